"""The first start: no database, or an empty one → offer to build the demo district, with a progress bar.

Only in the open demo mode (AUTH_MODE unset). With a login configured, an empty database is where real data
will be imported (数据管理), so nothing is offered here.
"""
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data_access.storage.migrate import current_revision, is_current, upgrade
from data_access.ingest.privacy import KEY_MISSING, HashKeyMissing, configured_key
from ui import cache
from ui.auth import auth_mode

# demo.seed's DEFAULT_MONTHS / DEFAULT_SCALE (three years at 0.35 of the district's size), kept here so that
# the app does not load the demo builder until asked (tests/test_demo.py checks they are equal)
DEMO_MONTHS = 37
DEMO_SCALE = 0.35


def gate() -> None:
    """Let the run go on when the database is usable; otherwise draw the right screen and stop."""
    try:
        version = cache.refresh_version()
    except SQLAlchemyError:
        version = None
    if version and version[1][0]:  # at least one import batch: a database in use
        if not is_current(cache.engine()):  # code newer than the schema: panels would fail one by one
            _stop("数据库版本较旧，请先运行 python cli.py init-db 升级后再刷新页面。")
        _hash_key_outside()
        return
    try:
        revision = current_revision(cache.engine())
    except SQLAlchemyError:
        _stop("无法连接数据库，请检查数据库服务和连接地址（CASES_DB_URL）后刷新页面。")
    if revision is not None and not is_current(cache.engine()):
        _stop("数据库版本较旧，请先运行 python cli.py init-db 升级后再刷新页面。")
    if auth_mode():
        if revision is None:
            _stop("数据库尚未初始化，请先运行 python cli.py init-db。")
        return  # empty but ready: staff import real data on the 数据管理 page
    offer_demo()
    st.stop()


def _hash_key_outside() -> None:
    """A database in use that is not the demo starts only with its caller hash key kept outside it."""
    try:
        if configured_key() is None and not cache.is_demo():
            _stop(KEY_MISSING)
    except HashKeyMissing as exc:
        _stop(str(exc))


def _stop(message: str) -> None:
    st.error(message)
    st.stop()


def offer_demo() -> None:
    st.title("接诉即办 调度驾驶舱")
    st.subheader("欢迎使用：数据库中还没有数据")
    st.write(f"可以先生成一个演示区（约 {DEMO_MONTHS} 个月的虚构工单）来试用全部页面；"
             "正式使用时，请配置登录方式并在“数据管理”页导入 12345 平台导出的工单。")
    if st.button("生成演示数据", type="primary", key="build_demo"):
        build_demo()
        st.rerun()


def build_demo() -> None:
    from demo.seed import seed_demo  # the demo builder, imported only when asked for
    bar = st.progress(0.0, text="正在生成演示数据…")

    def progress(done, total):
        bar.progress(min(done / total, 1.0) if total else 1.0, text=f"正在生成演示数据… {done}/{total}")

    engine = cache.engine()
    upgrade(engine)
    summary = seed_demo(engine, months=DEMO_MONTHS, scale=DEMO_SCALE, progress=progress)
    cache.clear()
    st.session_state["demo_summary"] = summary
