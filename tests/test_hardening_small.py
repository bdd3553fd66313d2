"""The smaller findings of the hardening probe: BD-09 points that leave the valid range after conversion, case
numbers that differ only by width, spaces or invisible characters, the command line's rejects export audited and
never by an empty user, and failing statements that do not print their parameters (case text)."""
import getpass
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from cli import main
from cli_commands.common import operator_name
from data_access.records import audit
from data_access.ingest.case_fields import normalise_case_no
from data_access.ingest.coords import OutOfRange, to_wgs84
from data_access.ingest.importer import import_bytes
from data_access.ingest.rejects import list_rejects
from data_access.storage.schema import cases, units

HEADER = "工单编号,受理时间,承办单位,单位类型,一级分类,经度,纬度\n"


def test_a_bd09_point_pushed_out_of_range_by_the_conversion_is_refused():
    with pytest.raises(OutOfRange):
        to_wgs84(-180.0, 0.0, "bd09")   # valid as given; BD-09's offset moves it to -180.0065
    lon, lat = to_wgs84(116.404, 39.915, "bd09")
    assert (round(lon, 4), round(lat, 4)) == (116.3914, 39.9073)


def test_an_import_rejects_such_a_row_with_a_reason(sqlite_engine):
    data = (HEADER + "B1,2025-03-01 08:00,东华门街道,街道,市容环卫,-180,0\n"
            "B2,2025-03-01 08:00,东华门街道,街道,市容环卫,116.404,39.915\n").encode()
    result = import_bytes(sqlite_engine, data, "bd.csv", crs="bd09")
    assert (result.new, result.rejected) == (1, 1)
    with sqlite_engine.connect() as conn:
        reason = list_rejects(conn, result.batch_id)[0]["reason"]
    assert reason.startswith("经度/纬度: 换算后的坐标 (-180.006506, -0.005491) 超出")


@pytest.mark.parametrize("given", ["Ｈ１２３", "H 123", " H1\u200b23", "H\u200c1\u200d2\ufeff3", "H\u00a0123\u3000",
                                   "H1\u206023", "H12\u00ad3"])
def test_case_numbers_normalised(given):
    assert normalise_case_no(given) == "H123"


def test_look_alike_case_numbers_are_one_case(engine):
    data = (HEADER + "Ｈ１２３,2025-03-01 08:00,东华门街道,街道,市容环卫,,\n"
            "H1\u200b23,2025-03-02 08:00,东华门街道,街道,市容环卫,,\n"
            "\u200b,2025-03-02 08:00,东华门街道,街道,市容环卫,,\n").encode()
    result = import_bytes(engine, data, "same.csv")
    assert (result.new, result.rejected) == (1, 2)
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.case_no)).scalars().all() == ["H123"]
        reasons = [r["reason"] for r in list_rejects(conn, result.batch_id)]
    assert reasons[0] == "工单编号 H123 与第 2 行重复 (case_no duplicates row 2)"
    assert reasons[1].startswith("工单编号「\u200b」只有空白或不可见字符")


def test_the_command_line_user_is_never_empty(monkeypatch):
    monkeypatch.setenv("USER", "ops")
    assert operator_name() == "cli:ops"
    monkeypatch.delenv("USER")
    monkeypatch.setattr(getpass, "getuser", lambda: "svc")
    assert operator_name() == "cli:svc"

    def no_user():
        raise OSError("No username set in the environment")
    monkeypatch.setattr(getpass, "getuser", no_user)
    assert operator_name() == "cli:unknown"


def test_rejects_out_is_audited_and_imports_name_their_user(sqlite_engine, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "svc")
    src = tmp_path / "bad.csv"
    src.write_text(HEADER + "R1,bad,东华门街道,街道,市容环卫,,\n", encoding="utf-8")
    db = str(sqlite_engine.url)
    assert main(["import", str(src), "--db", db]) == 0
    assert main(["rejects", "--out", str(tmp_path / "r.csv"), "--db", db]) == 0
    capsys.readouterr()
    with sqlite_engine.connect() as conn:
        export, imported = audit.recent(conn, 2)
    assert (export["user_name"], export["action"], export["n_rows"]) == ("cli:svc", "export", 1)
    assert json.loads(export["detail"]) == {"file": "r.csv", "batch": 1}
    assert (imported["user_name"], imported["action"]) == ("cli:svc", "import")


def test_a_failing_statement_does_not_print_its_parameters(engine):
    with engine.begin() as conn:
        conn.execute(units.insert().values(name="东华门街道", code="U1", unit_type="街道"))
    with pytest.raises(IntegrityError) as failed:
        with engine.begin() as conn:
            conn.execute(units.insert().values(name="东华门街道", code="诉求人电话13912345678", unit_type="街道"))
    assert "13912345678" not in str(failed.value) and "hidden due to hide_parameters" in str(failed.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
