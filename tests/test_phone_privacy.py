"""Caller phones stay unrecoverable: the hash key is never kept in a database that is not the demo, the mask leaves
≥ 10⁸ candidates, every phone-like value of a rejected row is masked, and migration 0016 re-masks what is stored."""
import json
import re

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from cli import main
from data_access.ingest.batches import start_batch
from data_access.ingest.importer import import_bytes
from data_access.storage.migrate import _config
from data_access.ingest.privacy import KEY_MISSING, HashKeyMissing, hash_key, mask_phone, mask_row
from data_access.ingest.rejects import list_rejects
from data_access.storage.schema import app_settings, cases, import_batches, rejected_rows
from tests.app_fixture import APP
from tests.factories import case_row, units, write

FILE = ("工单编号,受理时间,承办单位,单位类型,一级分类,来电号码,联系电话,诉求人电话,诉求内容\n"
        "60512345,2025-03-01 08:00,东华门街道,街道,市容环卫,13812345678,010-6512 3456,+86 139 1234 5678,"
        "回电65123456\n"
        "60512346,bad-date,东华门街道,街道,市容环卫,13812345678,65123456,13912345678,回电13712345678\n").encode()
DIGITS7 = re.compile(r"\d{7,}")


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("CALLER_HASH_KEY", raising=False)
    monkeypatch.delenv("CALLER_HASH_KEY_FILE", raising=False)


def test_a_database_that_is_not_the_demo_refuses_an_import_without_a_key(engine, no_key):
    with pytest.raises(HashKeyMissing) as refused:
        import_bytes(engine, FILE, "real.csv")
    assert str(refused.value) == KEY_MISSING and "CALLER_HASH_KEY_FILE" in KEY_MISSING
    with engine.connect() as conn:
        assert conn.execute(select(import_batches.c.id)).all() == []
        assert conn.execute(select(app_settings.c.key)).all() == []


def test_the_command_line_import_exits_2_without_a_key(sqlite_engine, tmp_path, capsys, no_key):
    src = tmp_path / "real.csv"
    src.write_bytes(FILE)
    assert main(["import", str(src), "--db", str(sqlite_engine.url)]) == 2
    assert capsys.readouterr().err == f"error: {KEY_MISSING}\n"


def test_the_demo_database_keeps_its_generated_key(sqlite_engine, no_key):
    with sqlite_engine.begin() as conn:
        start_batch(conn, "演示区", "demo", source="demo")
        key = hash_key(conn)
        assert hash_key(conn) == key and len(key) == 64
        assert conn.execute(select(app_settings.c.value)).scalar().encode() == key


def test_the_key_file_is_read_and_a_bad_one_refused(sqlite_engine, tmp_path, monkeypatch, no_key):
    path = tmp_path / "caller.key"
    path.write_text("0123456789abcdef0123\n")
    monkeypatch.setenv("CALLER_HASH_KEY_FILE", str(path))
    with sqlite_engine.begin() as conn:
        assert hash_key(conn) == b"0123456789abcdef0123"
        path.write_text("short")
        with pytest.raises(HashKeyMissing, match="shorter than 16 bytes"):
            hash_key(conn)
        monkeypatch.setenv("CALLER_HASH_KEY_FILE", str(tmp_path / "none.key"))
        with pytest.raises(HashKeyMissing, match="cannot read the key file"):
            hash_key(conn)
        assert conn.execute(select(app_settings.c.key)).all() == []


def test_the_app_refuses_to_start_on_a_real_database_without_a_key(sqlite_engine, monkeypatch, no_key):
    ids = units(sqlite_engine, ("东华门街道", "街道"))
    write(sqlite_engine, [case_row("R1", ids["东华门街道"], "2025-03-01 08:00:00")])
    monkeypatch.setenv("CASES_DB_URL", str(sqlite_engine.url))
    monkeypatch.setenv("AUTH_MODE", "header")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [e.value for e in at.error] == [KEY_MISSING] and not at.dataframe


def test_the_mask_leaves_at_least_1e8_candidates():
    masked = mask_phone("+86 138-1234-5678")
    assert masked == "1*********8"
    # a Chinese mobile is 1, then 3–9, then nine digits: the hidden ones beyond the second are free
    candidates = 7 * 10 ** (masked.count("*") - 1)
    assert candidates >= 10 ** 8
    assert [mask_phone(p) for p in ("010-65123456", "65123456", "12345", "")] == [
        "0*********6", "********", "*****", ""]


def test_every_phone_like_value_of_a_rejected_row_is_masked(engine):
    result = import_bytes(engine, FILE, "phones.csv")
    assert (result.new, result.rejected) == (1, 1)
    with engine.connect() as conn:
        raw = list_rejects(conn, result.batch_id)[0]["raw"]
        stored = conn.execute(select(rejected_rows.c.raw)).scalar()
    assert raw["来电号码"] == "1*********8" and raw["联系电话"] == "********"
    assert raw["诉求人电话"] == "1*********8" and raw["诉求内容"] == "回电1*********8"
    assert raw["工单编号"] == "60512346" and raw["受理时间"] == "bad-date"   # an identifier stays for correction
    assert [v for v in json.loads(stored).values() if DIGITS7.search(v) and v != "60512346"] == []


def test_mask_row_keeps_identifiers_and_dates():
    assert mask_row({"unique_key": "60512345", "x": "2025030112345", "时间": "2025-03-01 08:00", "手机": "5551234"}) \
        == {"unique_key": "60512345", "x": "2025030112345", "时间": "2025-03-01 08:00", "手机": "*******"}


def test_migration_0016_re_masks_stored_phones(engine):
    """Masks cut the old way (stored before 0016) are re-cut when 0016 runs again from the revision before it."""
    ids = units(engine, ("东华门街道", "街道"))
    batch = write(engine, [case_row("M1", ids["东华门街道"], "2025-03-01 08:00:00", caller_masked="138****5678"),
                           case_row("M2", ids["东华门街道"], "2025-03-01 08:00:00", caller_masked="651****3456"),
                           case_row("M3", ids["东华门街道"], "2025-03-01 08:00:00", caller_masked="****")])
    old = {"来电号码": "138****5678", "联系电话": "13912345678", "工单编号": "M9"}
    with engine.begin() as conn:
        conn.execute(rejected_rows.insert().values(batch_id=batch, row_number=2, reason="x",
                                                   raw=json.dumps(old, ensure_ascii=False)))
        config = _config(conn)
        command.downgrade(config, ScriptDirectory.from_config(config).get_revision("0016").down_revision)
        command.upgrade(config, "head")
    with engine.connect() as conn:
        masks = dict(conn.execute(select(cases.c.case_no, cases.c.caller_masked)).all())
        raw = json.loads(conn.execute(select(rejected_rows.c.raw)).scalar())
    assert masks == {"M1": "1*********8", "M2": "*" * 11, "M3": "****"}
    assert raw == {"来电号码": "1*********8", "联系电话": "1*********8", "工单编号": "M9"}


def test_a_key_kept_in_the_database_is_moved_to_a_file(sqlite_engine, tmp_path, capsys, monkeypatch, no_key):
    with sqlite_engine.begin() as conn:
        conn.execute(app_settings.insert().values(key="caller_hash_key", value="ab" * 32))
    target = tmp_path / "caller.key"
    assert main(["caller-key", "--move-to", str(target), "--db", str(sqlite_engine.url)]) == 0
    assert target.read_text() == "ab" * 32 + "\n" and target.stat().st_mode & 0o777 == 0o600
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(app_settings.c.key)).all() == []
    monkeypatch.setenv("CALLER_HASH_KEY_FILE", str(target))
    with sqlite_engine.begin() as conn:
        assert hash_key(conn) == ("ab" * 32).encode()      # earlier callers still match
    assert main(["caller-key", "--move-to", str(target), "--db", str(sqlite_engine.url)]) == 2
    assert "no caller hash key is stored" in capsys.readouterr().err
