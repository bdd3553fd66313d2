"""A panel that fails alone: a query error shows a Chinese message with a retry hint instead of a traceback."""
import logging
from contextlib import contextmanager

import streamlit as st

from data_access.storage.query_timeout import is_timeout

log = logging.getLogger(__name__)


@contextmanager
def guarded(what: str):
    """Run one panel; on any error (database down, query failure) show `what` could not be loaded and go on.

    Streamlit's own stop / rerun signals are BaseExceptions and pass through untouched.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 — one broken panel must not take the page down
        log.exception("panel %s failed", what)
        if is_timeout(exc):
            st.error(f"{what}查询超时：数据库繁忙或查询范围太大。请缩小时间或筛选范围，或稍后刷新页面重试。")
        else:
            st.error(f"{what}加载失败：数据库暂时无法访问或查询出错。请稍后刷新页面重试；若持续出现，请联系管理员。")
