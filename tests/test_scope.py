"""Who may see what: the case scope below the pages, the cached case-level reads, and each role's view of the app.

The app views run on the hand-scored fixture (tests/app_fixture.py): in March 2025 景山街道 has two lost cases
(its cases 00 and 01: late / 部分解决 / 不满意, and 部分解决), 交道口街道 one (case 00: 未解决, 不满意).
Case numbers are `<month>-<unit id>-<nn>`.
"""
import pytest
from streamlit.testing.v1 import AppTest

from data_access.records import audit
from data_access.queries.case_queries import CaseFilter, case_detail, case_page
from data_access.storage.engine import make_engine
from data_access.records.units import list_units
from data_access.records.users import add_user
from tests import app_fixture
from tests.factories import case_row, units, write
from ui.auth import User
from ui.cases import scoped


# --- the scope where cases are read ---

def test_case_reads_stay_inside_the_scope(engine):
    ids = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"))
    a, b = ids["东华门街道"], ids["景山街道"]
    write(engine, [case_row("A-1", a, "2025-03-01 08:00:00"), case_row("A-2", a, "2025-03-02 08:00:00"),
                   case_row("B-1", b, "2025-03-01 09:00:00")])
    frame, total = case_page(engine, CaseFilter(unit_ids=(a,)))
    assert (sorted(frame["case_no"]), total) == (["A-1", "A-2"], 2)
    assert case_page(engine, CaseFilter(unit_ids=()))[1] == 0          # an empty scope is nothing, not everything
    assert case_page(engine, CaseFilter(unit_ids=None))[1] == 3        # None: every unit (leader, staff)
    assert case_detail(engine, "B-1", unit_ids=(a,)) is None
    assert case_detail(engine, "B-1", unit_ids=(b,))["unit_name"] == "景山街道"


def test_the_scope_is_mandatory():
    with pytest.raises(TypeError):
        CaseFilter()


def test_a_unit_user_filter_is_narrowed_never_widened():
    user = User("js", "unit", 7)
    assert scoped(CaseFilter(unit_ids=None), user).unit_ids == (7,)
    assert scoped(CaseFilter(unit_ids=(7, 8)), user).unit_ids == (7,)
    assert scoped(CaseFilter(unit_ids=(8,)), user) is None
    leader = User("boss", "leader")
    assert scoped(CaseFilter(unit_ids=(8,)), leader).unit_ids == (8,)


# --- the app, as each role ---

@pytest.fixture(scope="module")
def app_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 'app.db'}"
    app_fixture.build(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "js", "unit", unit="景山街道")
        for name, role in (("boss", "leader"), ("zhang", "staff"), ("root", "admin")):
            add_user(conn, name, role)
        ids = {u["name"]: u["id"] for u in list_units(conn)}
    engine.dispose()
    return url, ids


def as_user(monkeypatch, url, name, page=None, **params) -> AppTest:
    """The app behind the login proxy, signed in as `name`."""
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("AUTH_MODE", "header")
    monkeypatch.delenv("SCORING_RULES", raising=False)
    monkeypatch.setattr("ui.auth.request_headers", lambda: {"X-Remote-User": name})
    monkeypatch.setattr("ui.auth.request_peer", lambda: "127.0.0.1")  # the login proxy on the loopback
    at = AppTest.from_file(app_fixture.APP, default_timeout=60)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def case_numbers(at) -> set[str]:
    return {n for df in at.dataframe if "工单编号" in df.value.columns for n in df.value["工单编号"]}


def test_a_unit_user_examines_only_its_own_unit_whatever_the_url_says(app_db, monkeypatch):
    url, ids = app_db
    at = as_user(monkeypatch, url, "js", "pages/lagging.py", period="2025-03", unit="交道口街道")
    assert [h.value for h in at.header] == ["景山街道 · 失分分析"]
    js = ids["景山街道"]
    assert case_numbers(at) == {f"2025-03-{js}-00", f"2025-03-{js}-01"}


def test_a_leader_may_examine_any_unit(app_db, monkeypatch):
    url, ids = app_db
    at = as_user(monkeypatch, url, "boss", "pages/lagging.py", period="2025-03", unit="交道口街道")
    assert [h.value for h in at.header] == ["交道口街道 · 失分分析"]
    assert case_numbers(at) == {f"2025-03-{ids['交道口街道']}-00"}


def test_a_unit_user_hotspots_are_its_own_cases(app_db, monkeypatch):
    url, ids = app_db
    at = as_user(monkeypatch, url, "js", "pages/hotspots.py", period="2025-03", unit="东华门街道")
    assert not at.error
    assert at.sidebar.selectbox(key="unit").options == ["景山街道"]


def _cached_lost(unit_id):
    """Run inside AppTest: ask the cached lost-case read for another unit's cases."""
    import streamlit as st

    from metrics.periods import parse_period
    from metrics.rules import load_rules
    from ui import cache
    st.session_state.pop("_data_version", None)
    frame = cache.lost_cases(parse_period("2025-03"), load_rules(), unit_id)
    callers = cache.frequent_callers(parse_period("2025-03"), load_rules(), unit_id=None)
    st.write(",".join(sorted(frame["case_no"])))
    st.write(f"callers={len(callers)}")


def test_cached_case_reads_give_a_unit_user_its_own_unit_only(app_db, monkeypatch):
    url, ids = app_db
    monkeypatch.setenv("CASES_DB_URL", url)
    js = ids["景山街道"]
    monkeypatch.setattr("ui.auth.current_user", lambda: User("js", "unit", js))
    at = AppTest.from_function(_cached_lost, args=(ids["交道口街道"],), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.markdown[0].value == f"2025-03-{js}-00,2025-03-{js}-01"
    monkeypatch.setattr("ui.auth.current_user", lambda: User("boss", "leader"))
    at = AppTest.from_function(_cached_lost, args=(ids["交道口街道"],), default_timeout=60).run()
    assert at.markdown[0].value == f"2025-03-{ids['交道口街道']}-00"


@pytest.mark.parametrize("name, visible, hidden", [
    ("js", [], ["数据管理", "调度会", "审计日志"]),
    ("boss", ["调度会"], ["数据管理", "审计日志"]),
    ("zhang", ["数据管理", "调度会"], ["审计日志"]),
    ("root", ["审计日志"], []),
])
def test_menus_show_only_what_a_role_may_use(app_db, monkeypatch, name, visible, hidden):
    url, _ = app_db
    for title, page in (("数据管理", "pages/data.py"), ("调度会", "pages/meeting.py"), ("审计日志", "pages/audit.py")):
        if title not in visible + hidden:
            continue
        at = as_user(monkeypatch, url, name, page)
        shown = [t.value for t in at.title]
        assert (title in shown) == (title in visible), (name, title, shown)


def test_the_admin_sees_the_audit_log_and_the_users(app_db, monkeypatch):
    url, _ = app_db
    engine = make_engine(url)
    with engine.begin() as conn:
        audit.record(conn, "zhang", "import", {"file": "三月.csv"}, 30)
        audit.record(conn, "boss", "export", {"file": "月度成绩_2025-03.xlsx"}, 5)
    engine.dispose()
    at = as_user(monkeypatch, url, "root", "pages/audit.py")
    log = at.dataframe[0].value
    assert list(zip(log["用户"], log["操作"], log["行数"])) == [("boss", "导出", 5), ("zhang", "导入", 30)]
    at.selectbox(key="audit_action").set_value("import").run()
    assert list(at.dataframe[0].value["用户"]) == ["zhang"]
    users = at.dataframe[1].value
    assert list(users["用户名"]) == ["boss", "js", "root", "zhang"]
    assert list(users.loc[users["用户名"] == "js", "所属单位"]) == ["景山街道"]
