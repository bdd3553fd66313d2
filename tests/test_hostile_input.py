"""Hostile input is harmless: SQL fragments, huge strings and script tags in URL parameters, form fields, the
login header and case text cause no error, widen no one's view, change no data, and are shown as plain text."""
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access.storage.engine import make_engine
from data_access.storage.schema import cases, score_adjustments, users
from data_access.records.users import add_user
from tests import app_fixture
from tests.factories import case_row, units, write

SQL = "2025-03'; DROP TABLE cases; --"
SCRIPT = "<script>alert(1)</script>"
HUGE = "景" * 100_000
HOSTILE = {"period": SQL, "ptype": SCRIPT, "group": "' OR '1'='1", "unit": SCRIPT, "cat": HUGE,
           "street": "%' OR 1=1 --", "rules": "../../../etc/passwd"}
PAGES = ("pages/overview.py", "pages/scores.py", "pages/rankings.py", "pages/awards.py", "pages/lagging.py",
         "pages/hotspots.py", "pages/rules.py")


@pytest.fixture(scope="module")
def app_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'app.db'}"
    ids = app_fixture.build(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "js", "unit", unit="景山街道")
        add_user(conn, "zhang", "staff", password="correct-horse-1")
    engine.dispose()
    return url, ids


def count(url, table) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(table)).scalar()
    engine.dispose()
    return n


def shown_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def run(monkeypatch, url, page, mode="", headers=None, **params) -> AppTest:
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("AUTH_MODE", mode)
    monkeypatch.delenv("SCORING_RULES", raising=False)
    monkeypatch.setattr("ui.auth.request_headers", lambda: headers or {})
    monkeypatch.setattr("ui.auth.request_peer", lambda: "127.0.0.1")  # as from the login proxy on the loopback
    at = AppTest.from_file(app_fixture.APP, default_timeout=60)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_hostile_url_parameters_are_dropped(app_db, monkeypatch, page):
    url, _ = app_db
    before = count(url, cases)
    at = run(monkeypatch, url, page, **HOSTILE)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = shown_text(at)
    assert SCRIPT not in text and "DROP TABLE" not in text and HUGE[:100] not in text
    assert count(url, cases) == before
    if page != "pages/rules.py":
        assert at.sidebar.selectbox(key="period").value == "2025-03"   # the default: the latest month


def test_hostile_parameters_do_not_widen_a_unit_users_view(app_db, monkeypatch):
    url, ids = app_db
    for unit in (SCRIPT, "交道口街道", str(ids["交道口街道"]), "' OR 1=1 --"):
        at = run(monkeypatch, url, "pages/lagging.py", "header", {"X-Remote-User": "js"}, period="2025-03", unit=unit)
        assert not at.exception
        assert [h.value for h in at.header] == ["景山街道 · 失分分析"]
        assert at.sidebar.selectbox(key="unit").options == ["景山街道"]


@pytest.mark.parametrize("name", [SCRIPT, "' OR '1'='1", "zhang' --", HUGE[:120]])
def test_hostile_login_names(app_db, monkeypatch, name):
    url, _ = app_db
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    at = run(monkeypatch, url, None, "local")
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input("' OR '1'='1")
    at.button[0].click().run()
    assert not at.exception and not at.metric
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert count(url, users) == 2


def test_a_hostile_header_name_is_shown_escaped(app_db, monkeypatch):
    url, _ = app_db
    at = run(monkeypatch, url, None, "header", {"X-Remote-User": SCRIPT})
    assert not at.exception and not at.metric
    assert [w.value for w in at.warning] == [
        "账号 \\<script\\>alert\\(1\\)\\</script\\> 尚未开通或已停用，请联系系统管理员。(This account is not enabled.)"]


def test_a_hostile_adjustment_reason_is_stored_as_written(app_db, monkeypatch):
    url, ids = app_db
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    at = run(monkeypatch, url, "pages/data.py", "header", {"X-Remote-User": "zhang"})
    at.text_input(key="adj_period").input("2025-03").run()
    at.selectbox(key="adj_unit").set_value(ids["景山街道"])
    at.number_input(key="adj_points").set_value(1.0)
    at.text_input(key="adj_reason").input(SCRIPT + SQL)
    at.button(key="FormSubmitter:adjust_form-保存加减分").click().run()
    assert not at.exception
    engine = make_engine(url)
    with engine.connect() as conn:
        reasons = list(conn.execute(select(score_adjustments.c.reason)).scalars())
    engine.dispose()
    assert reasons == [SCRIPT + SQL] and count(url, cases) > 0


# --- case text from citizens ---

def _one_case(case_no):
    from ui.auth import User
    from ui.cases import show_case
    show_case(case_no, User("zhang", "staff"))


def test_case_text_with_markdown_links_images_and_scripts_is_shown_as_written(sqlite_engine, monkeypatch):
    hostile = "![x](http://evil.example/t.png) [点我](http://evil.example) " + SCRIPT + " **粗**"
    ids = units(sqlite_engine, ("东华门街道", "街道"))
    write(sqlite_engine, [case_row("H-1", ids["东华门街道"], "2025-03-01 08:00:00", content=hostile,
                                   address="[地址](http://evil.example)")])
    monkeypatch.setenv("CASES_DB_URL", str(sqlite_engine.url))
    at = AppTest.from_function(_one_case, args=("H-1",), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    # every markdown sign escaped: no link, image or tag is drawn, the text reads as written
    assert "](http" not in text and "<script>" not in text and "**粗**" not in text
    assert "\\!\\[x\\]\\(http\\://evil\\.example/t\\.png\\)" in text and "\\[地址\\]" in text
