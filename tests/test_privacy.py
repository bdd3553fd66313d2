"""Privacy: no caller phone number stored anywhere (cases, rejected rows, the demo), case text masked for roles
without case access, and every import and export in the audit log."""
import json
import re

import pytest
from sqlalchemy import String, Text, select
from streamlit.testing.v1 import AppTest

from data_access.records import audit
from demo.seed import seed_demo
from data_access.ingest.importer import import_bytes as import_file
from data_access.ingest.privacy import mask_text
from data_access.ingest.rejects import list_rejects
from data_access.storage.schema import cases, metadata
from tests.dbs import migrated_engine
from tests.factories import case_row, units, write
import ui.cases  # noqa: F401 — imported so that its current_user can be patched
from ui.auth import User

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
HEX = ("cases.caller_key", "app_settings.value")  # hex digests and the hash key: digit runs there are chance
CALLERS = ("13812345678", "13912345678", "15011112222")
HEADER = "工单编号,受理时间,承办单位,单位类型,一级分类,诉求内容,来电号码\n"
FILE = (HEADER
        + f"P-1,2025-03-01 08:00,东华门街道,街道,市容环卫,路灯不亮,{CALLERS[0]}\n"
        + f"P-2,2025-03-02 08:00,东华门街道,街道,市容环卫,噪音扰民,+86 {CALLERS[1]}\n"
        + f"P-3,not-a-date,东华门街道,街道,市容环卫,垃圾未清,{CALLERS[2]}\n").encode()


@pytest.mark.parametrize("text, shown", [
    ("请回电13812345678", "请回电1*********8"),
    ("电话 +86 138-1234-5678 或 138 1234 5678", "电话 1*********8 或 1*********8"),
    ("座机010-65123456，另有65123456", "座机010-********，另有********"),
    ("身份证110101199003071234，11010119900307123X", "身份证110101********1234，110101********123X"),
    ("2025年3月1日（20250301）反映", "2025年3月1日（20250301）反映"),            # a date stays
    ("见工单2025030112345、12345热线", "见工单2025030112345、12345热线"),    # case numbers and 12345 stay
    ("", ""),
    (None, ""),
])
def test_mask_text(text, shown):
    assert mask_text(text) == shown


def text_values(conn):
    """Every text value in every table (column name, value)."""
    for table in metadata.sorted_tables:
        columns = [c for c in table.c if isinstance(c.type, (String, Text))]
        if columns:
            for row in conn.execute(select(*columns)):
                yield from ((f"{table.name}.{c.name}", v) for c, v in zip(columns, row) if v)


def test_no_caller_phone_is_stored_anywhere_after_an_import(engine):
    result = import_file(engine, FILE, "来电.csv", user="zhang")
    assert (result.new, result.rejected) == (2, 1)
    with engine.connect() as conn:
        found = [(where, value) for where, value in text_values(conn) if any(p in value for p in CALLERS)]
        masked = dict(conn.execute(select(cases.c.case_no, cases.c.caller_masked)).all())
        reject = list_rejects(conn, result.batch_id)[0]
    assert found == []
    assert masked == {"P-1": "1*********8", "P-2": "1*********8"}
    # the rejected row keeps its other raw values for correction, the phone only masked
    assert reject["raw"]["来电号码"] == "1*********2" and reject["raw"]["受理时间"] == "not-a-date"


def test_a_corrected_rejected_row_imports_with_its_masked_phone_and_no_caller_key(sqlite_engine):
    first = import_file(sqlite_engine, FILE, "来电.csv", user="zhang")
    with sqlite_engine.connect() as conn:
        raw = list_rejects(conn, first.batch_id)[0]["raw"]
    fixed = HEADER + ",".join(raw[h] if h != "受理时间" else "2025-03-03 08:00" for h in HEADER.strip().split(","))
    import_file(sqlite_engine, fixed.encode(), "改正.csv", user="zhang")
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(cases.c.caller_masked, cases.c.caller_key).where(cases.c.case_no == "P-3")).one()
    assert tuple(row) == ("1*********2", None)


def test_no_mobile_number_in_the_demo_outside_case_text(tmp_path):
    """Case text (诉求内容) is kept as written for roles with case access; some demo texts name a phone, and
    mask_text hides every one of them. Nothing else anywhere holds a mobile number."""
    engine = migrated_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    seed_demo(engine, months=1, scale=0.02)
    with engine.connect() as conn:
        n_masked = conn.execute(select(cases.c.caller_masked).where(cases.c.caller_masked.is_not(None))).all()
        found = [(where, value) for where, value in text_values(conn) if MOBILE.search(value) and where not in HEX]
    engine.dispose()
    assert len(n_masked) > 100 and {where for where, _ in found} == {"cases.content"}
    assert [value for _, value in found if MOBILE.search(mask_text(value))] == []


def test_import_and_export_are_audited(sqlite_engine, monkeypatch):
    result = import_file(sqlite_engine, FILE, "来电.csv", user="zhang")
    monkeypatch.setenv("CASES_DB_URL", str(sqlite_engine.url))
    from ui.export import audited
    assert audited(lambda: b"x,y\n", "li", "成绩.csv", 7) == b"x,y\n"
    with sqlite_engine.connect() as conn:
        entries = audit.recent(conn, 10)
    export, imported = entries[0], entries[1]
    assert (export["user_name"], export["action"], export["n_rows"]) == ("li", "export", 7)
    assert json.loads(export["detail"]) == {"file": "成绩.csv"}
    assert (imported["user_name"], imported["action"], imported["n_rows"]) == ("zhang", "import", 3)
    assert json.loads(imported["detail"])["batch"] == result.batch_id and export["at"] is not None


# --- on screen: case text masked for roles without case access ---

def _case_list():
    """Run inside AppTest: the inline case list of every case."""
    from data_access.queries.case_queries import CaseFilter
    from ui.cases import show_cases
    show_cases(CaseFilter(unit_ids=None), key="t")


@pytest.mark.parametrize("user, content", [
    (User("boss", "leader"), "请回电1*********8，身份证110101********1234"),
    (User("root", "admin"), "请回电1*********8，身份证110101********1234"),
    (User("zhang", "staff"), "请回电13812345678，身份证110101199003071234"),
])
def test_case_text_is_masked_on_screen_for_roles_without_case_access(sqlite_engine, monkeypatch, user, content):
    ids = units(sqlite_engine, ("东华门街道", "街道"))
    write(sqlite_engine, [case_row("C-1", ids["东华门街道"], "2025-03-01 08:00:00",
                                   content="请回电13812345678，身份证110101199003071234")])
    monkeypatch.setenv("CASES_DB_URL", str(sqlite_engine.url))
    monkeypatch.setattr("ui.auth.current_user", lambda: user)
    monkeypatch.setattr("ui.cases.current_user", lambda: user)  # ui.cases holds its own reference
    at = AppTest.from_function(_case_list, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["诉求内容"]) == [content]
