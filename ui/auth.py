"""Who is looking: one function, `current_user()`, that every page calls.

For now: with AUTH_MODE unset, the demo database is open to a demo user (role staff) under a visible banner, and any
other database shows a login notice and nothing else. Header / OIDC / local-account modes and role scoping will be
added behind this same function.
"""
import os
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui import cache

DEMO_USER_NAME = "演示用户"


@dataclass(frozen=True)
class User:
    name: str
    role: str  # leader | staff | unit | admin (DESIGN.md, access)
    unit_id: int | None = None  # the own unit of a `unit` user
    demo: bool = False  # the open demo mode: figures are made up


def auth_mode() -> str:
    return os.environ.get("AUTH_MODE", "").strip().lower()


def _through_app_entry() -> None:
    """Make sure app.py (first-run gate, menu by role) runs: on a fresh process's first request for a page URL,
    Streamlit runs the page file alone, in its legacy pages/ mode, until some run calls st.navigation. Switch that
    mode off and rerun; the same URL then runs through app.py."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current_user() -> User:
    """The signed-in user; without one the page shows a login notice and stops."""
    _through_app_entry()
    if not auth_mode() and cache.is_demo():
        return User(DEMO_USER_NAME, "staff", demo=True)
    st.warning("请先登录：本系统只对已登录的用户显示数据。请通过单位内网门户登录后再访问，"
               "或请管理员配置登录方式（AUTH_MODE）。(Please sign in to see the data.)")
    st.stop()


def show_banner(user: User) -> None:
    """A visible mark that the figures are made up, so no one quotes them."""
    if user.demo:
        st.info("演示数据：当前数据库是生成的演示区，所有数字均为虚构，仅供试用。")
