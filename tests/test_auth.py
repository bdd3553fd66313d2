"""Identity: the users table (roles, own unit, argon2 passwords, lockout), the `user` / `audit` commands, and the
gate of every AUTH_MODE in the running app."""
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import cli
from data_access.storage.engine import make_engine
from data_access.storage.schema import users as users_table
from data_access.records.users import (LOCK_MINUTES, MAX_FAILURES, REFUSED, UserError, add_user, check_password, find,
                               list_users, reset_password, set_active)
from tests import app_fixture
from tests.app_fixture import open_app
from tests.dbs import migrated_engine
from tests.factories import units

PASSWORD = "correct-horse-1"
T0 = datetime(2025, 3, 1, 9, 0, 0)


# --- the users table ---

def test_add_and_find_users_with_role_and_unit(engine):
    ids = units(engine, ("景山街道", "街道"))
    with engine.begin() as conn:
        add_user(conn, "jingshan", "unit", unit="景山街道", display_name="景山街道办")
        add_user(conn, "boss", "leader")
    with engine.connect() as conn:
        assert find(conn, "jingshan").unit_id == ids["景山街道"]
        assert find(conn, "jingshan").role == "unit" and find(conn, "boss").unit_id is None
        assert find(conn, "nobody") is None
        assert [u["name"] for u in list_users(conn)] == ["boss", "jingshan"]


@pytest.mark.parametrize("kwargs, words", [
    (dict(role="unit"), "unit 角色必须指定所属单位"),            # a unit user without its unit
    (dict(role="leader", unit="景山街道"), "其他角色不能指定"),   # a unit for another role
    (dict(role="root"), "角色 'root' 无效"),
    (dict(role="unit", unit="不存在街道"), "找不到单位"),
    (dict(role="staff", password="short"), "密码至少"),
])
def test_refused_users_say_why(sqlite_engine, kwargs, words):
    units(sqlite_engine, ("景山街道", "街道"))
    with sqlite_engine.begin() as conn, pytest.raises(UserError, match=words):
        add_user(conn, "x", **kwargs)


def test_duplicate_user_refused(sqlite_engine):
    with sqlite_engine.begin() as conn:
        add_user(conn, "boss", "leader")
        with pytest.raises(UserError, match="已存在"):
            add_user(conn, "boss", "staff")


def test_password_is_stored_as_an_argon2_hash(sqlite_engine):
    with sqlite_engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
        stored = conn.execute(select(users_table.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_right_password_signs_in_and_wrong_one_does_not(engine):
    with engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
    account, reason = check_password(engine, "zhang", PASSWORD, now=T0)
    assert account.name == "zhang" and reason == ""
    assert check_password(engine, "zhang", "wrong-password", now=T0) == (None, REFUSED)
    # an unknown name gets the very same answer
    assert check_password(engine, "li", PASSWORD, now=T0) == (None, REFUSED)
    assert REFUSED.startswith("用户名或密码错误")


def test_five_failures_lock_the_account_for_fifteen_minutes(engine):
    assert (MAX_FAILURES, LOCK_MINUTES) == (5, 15)
    with engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
    for i in range(5):
        assert check_password(engine, "zhang", "bad", now=T0 + timedelta(seconds=i)) == (None, REFUSED)
    # locked: even the right password is refused until 09:15:04, with the answer an unknown name gets
    assert check_password(engine, "zhang", PASSWORD, now=T0 + timedelta(minutes=15)) == (None, REFUSED)
    assert check_password(engine, "zhang", PASSWORD, now=T0 + timedelta(minutes=15, seconds=5))[0] is not None


def test_a_success_resets_the_failure_count(sqlite_engine):
    with sqlite_engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
    for _ in range(4):
        check_password(sqlite_engine, "zhang", "bad", now=T0)
    check_password(sqlite_engine, "zhang", PASSWORD, now=T0)
    for _ in range(4):  # four more failures: still not locked (the count started again)
        check_password(sqlite_engine, "zhang", "bad", now=T0)
    assert check_password(sqlite_engine, "zhang", PASSWORD, now=T0)[0] is not None


def test_disabled_user_cannot_sign_in_and_reset_lifts_a_lock(sqlite_engine):
    with sqlite_engine.begin() as conn:
        add_user(conn, "zhang", "staff", password=PASSWORD)
        set_active(conn, "zhang", False)
        assert find(conn, "zhang") is None
    assert check_password(sqlite_engine, "zhang", PASSWORD, now=T0)[0] is None
    with sqlite_engine.begin() as conn:
        set_active(conn, "zhang", True)
    for _ in range(MAX_FAILURES):
        check_password(sqlite_engine, "zhang", "bad", now=T0)
    with sqlite_engine.begin() as conn:
        reset_password(conn, "zhang", "another-password")
    assert check_password(sqlite_engine, "zhang", "another-password", now=T0)[0] is not None
    with sqlite_engine.begin() as conn:
        with pytest.raises(UserError, match="找不到用户"):
            set_active(conn, "nobody", False)


# --- the command line ---

def run_cli(monkeypatch, capsys, args, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_user_commands_and_audit(sqlite_engine, monkeypatch, capsys):
    db = ["--db", str(sqlite_engine.url)]
    units(sqlite_engine, ("景山街道", "街道"))
    assert run_cli(monkeypatch, capsys, ["user", "add", "zhang", "--role", "staff", "--password", *db],
                   stdin=PASSWORD + "\n")[0] == 0
    assert run_cli(monkeypatch, capsys, ["user", "add", "js", "--role", "unit", "--unit", "景山街道", *db])[0] == 0
    code, _, err = run_cli(monkeypatch, capsys, ["user", "add", "x", "--role", "unit", *db])
    assert code == 2 and "unit 角色必须指定所属单位" in err
    assert run_cli(monkeypatch, capsys, ["user", "disable", "js", *db])[0] == 0
    code, out, _ = run_cli(monkeypatch, capsys, ["user", "list", "--format", "csv", *db])
    assert out.splitlines()[1:] == ["js,js,unit,景山街道,False,False,0,,", "zhang,zhang,staff,,True,True,0,,"]
    code, out, _ = run_cli(monkeypatch, capsys, ["audit", "--format", "csv", *db])
    assert [line.split(",")[3] for line in out.splitlines()[1:]] == ["user_disable", "user_add", "user_add"]
    assert check_password(sqlite_engine, "zhang", PASSWORD)[0] is not None


# --- the gate of each mode in the app ---

@pytest.fixture(scope="module")
def app_db(tmp_path_factory):
    """The hand-scored app fixture with users of every role."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'app.db'}"
    app_fixture.build(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        add_user(conn, "boss", "leader")
        add_user(conn, "zhang", "staff", password=PASSWORD)
        add_user(conn, "js", "unit", unit="景山街道")
        add_user(conn, "root", "admin")
        add_user(conn, "gone", "staff")
        set_active(conn, "gone", False)
    engine.dispose()
    return url


def gate_app(monkeypatch, url, mode, page=None, **params):
    """open_app without its no-warning assertion: a refused visitor sees a warning."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("AUTH_MODE", mode)
    at = AppTest.from_file(app_fixture.APP, default_timeout=60)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    return at.run()


def shows_no_data(at) -> bool:
    return not at.metric and not at.dataframe and not at.title


def headers(monkeypatch, **values):
    """The request's headers, as sent by the login proxy on the loopback (AppTest has no network peer)."""
    monkeypatch.setattr("ui.auth.request_headers", lambda: {k.replace("_", "-"): v for k, v in values.items()})
    monkeypatch.setattr("ui.auth.request_peer", lambda: "127.0.0.1")


def test_header_mode_without_the_header_shows_nothing(app_db, monkeypatch):
    headers(monkeypatch)
    at = gate_app(monkeypatch, app_db, "header")
    assert any("请先登录" in w.value for w in at.warning) and shows_no_data(at)


def test_header_mode_signs_in_the_named_user(app_db, monkeypatch):
    headers(monkeypatch, X_Remote_User="boss")
    at = open_app(monkeypatch, app_db, auth_mode="header")
    assert at.title[0].value == "总览" and not any("演示数据" in i.value for i in at.info)
    assert any("boss" in c.value and "领导" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("name", ["stranger", "gone", "x" * 500, "\x00boss"])
def test_header_mode_refuses_unknown_disabled_and_unusable_names(app_db, monkeypatch, name):
    headers(monkeypatch, X_Remote_User=name)
    at = gate_app(monkeypatch, app_db, "header")
    assert at.warning and shows_no_data(at)


def test_the_header_is_ignored_unless_the_mode_is_on(tmp_path, monkeypatch):
    # A real (non-demo) database, no AUTH_MODE: a forged header gives nothing.
    url = f"sqlite:///{tmp_path / 'real.db'}"
    from tests.factories import case_row, write
    engine = migrated_engine(url)
    ids = units(engine, ("东华门街道", "街道"))
    write(engine, [case_row("R-1", ids["东华门街道"], "2025-03-01 08:00:00")], "real.csv")
    with engine.begin() as conn:
        add_user(conn, "boss", "leader")
    engine.dispose()
    headers(monkeypatch, X_Remote_User="boss")
    for mode in ("", "none"):
        at = gate_app(monkeypatch, url, mode)
        assert any("请先登录" in w.value for w in at.warning) and shows_no_data(at)


def test_mode_none_opens_the_demo_database_with_the_banner(app_db, monkeypatch):
    at = gate_app(monkeypatch, app_db, "none")
    assert any("演示数据" in i.value for i in at.info) and at.title[0].value == "总览"


def test_unknown_mode_is_a_configuration_error(app_db, monkeypatch):
    at = gate_app(monkeypatch, app_db, "ldap")
    assert any("AUTH_MODE" in e.value for e in at.error) and shows_no_data(at)


def test_oidc_mode_offers_the_login_and_then_maps_the_email(app_db, monkeypatch):
    monkeypatch.setattr("ui.auth.oidc_identity", lambda: (False, ""))
    at = gate_app(monkeypatch, app_db, "oidc")
    assert [b.label for b in at.button] == ["通过统一身份认证登录"] and shows_no_data(at)
    monkeypatch.setattr("ui.auth.oidc_identity", lambda: (True, "js"))
    at = open_app(monkeypatch, app_db, auth_mode="oidc")
    assert at.title[0].value == "总览" and "退出登录" in [b.label for b in at.sidebar.button]
    monkeypatch.setattr("ui.auth.oidc_identity", lambda: (True, "someone@else.cn"))
    assert shows_no_data(gate_app(monkeypatch, app_db, "oidc"))


@pytest.fixture
def no_rerun(monkeypatch):
    # AppTest sets Streamlit's legacy pages flag again on every run, so ui.auth would rerun each run and a form's
    # click would be lost in the rerun (tests/test_app_meeting.py does the same).
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)


def test_local_mode_login_form_lockout_and_logout(app_db, monkeypatch, no_rerun):
    at = gate_app(monkeypatch, app_db, "local")
    assert shows_no_data(at) is False and at.title[0].value == "接诉即办 调度驾驶舱" and not at.metric
    at.text_input(key="auth_name").input("zhang")
    at.text_input(key="auth_password").input("wrong-password")
    at.button[0].click().run()
    assert any("用户名或密码错误" in e.value for e in at.error) and not at.metric
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and [t.value for t in at.title] == ["总览"] and at.metric
    at.sidebar.button(key="auth_logout").click().run()
    assert not at.metric and at.text_input(key="auth_name")


def test_local_mode_locks_after_five_failures_and_audits_attempts(app_db, monkeypatch, no_rerun):
    engine = make_engine(app_db)
    with engine.begin() as conn:
        add_user(conn, "wang", "staff", password=PASSWORD)
    at = gate_app(monkeypatch, app_db, "local")
    for _ in range(MAX_FAILURES):
        at.text_input(key="auth_name").input("wang")
        at.text_input(key="auth_password").input("wrong-password")
        at.button[0].click().run()
    assert [e.value for e in at.error] == [REFUSED]
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert [e.value for e in at.error] == [REFUSED] and not at.metric  # locked, told as any failure
    from data_access.records.audit import recent
    with engine.connect() as conn:
        actions = [r["action"] for r in recent(conn, 10) if r["user_name"] == "wang"]
    engine.dispose()
    assert actions == ["login_failed"] * (MAX_FAILURES + 1)
