"""Who is looking: one function, `current_user()`, that every page calls.

AUTH_MODE chooses where the name comes from; every mode then looks the name up in the users table
(`data_access.records.users`, managed with `python cli.py user …`), which gives the role and, for role unit, the own unit.
A name that is not there, or disabled, sees nothing.

- unset or `none`: only on the demo database — a demo user (role staff) under a visible banner; any other database
  shows a login notice and no data.
- `header`: a trusted header (AUTH_HEADER, default X-Remote-User) set by the intranet's login proxy. The proxy
  must replace any copy the browser sends, and the header counts only on a request from a trusted proxy address
  (AUTH_TRUSTED_PROXIES, default the loopback) carrying the shared secret when one is set (AUTH_PROXY_SECRET);
  Streamlit listens on 127.0.0.1 (.streamlit/config.toml; README: nginx). The header is read in this mode only.
- `oidc`: Streamlit's st.login with the OIDC provider in .streamlit/secrets.toml ([auth]); the user's e-mail
  (AUTH_OIDC_CLAIM, default email) is the name.
- `local`: the app's own accounts — a login form; argon2 password hashes; locked after repeated failures.
"""
import hmac
import ipaddress
import logging
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit.runtime.pages_manager import PagesManager

import settings
from data_access.records import audit, users
from ui import db
from ui.plain import plain

log = logging.getLogger(__name__)
DEMO_USER_NAME = "演示用户"
MODES = ("header", "oidc", "local")
LOCAL_KEY = "_auth_local_user"  # session state: the local account signed in (never bound to a widget or the URL)
MAX_NAME = 128
UNTRUSTED_NOTICE = ("请求未经过单位的登录代理，无法确认身份，已拒绝。请通过单位内网门户访问本系统。"
                    "(Refused: the request did not come through the trusted login proxy.)")
LOGIN_NOTICE = ("请先登录：本系统只对已登录的用户显示数据。请通过单位内网门户登录后再访问，"
                "或请管理员配置登录方式（AUTH_MODE）。(Please sign in to see the data.)")


@dataclass(frozen=True)
class User:
    name: str
    role: str  # leader | staff | unit | admin (DESIGN.md, access)
    unit_id: int | None = None  # the own unit of a `unit` user
    demo: bool = False  # the open demo mode: figures are made up


def auth_mode() -> str:
    """The configured login mode; "" for none (the open demo mode)."""
    mode = settings.AUTH_MODE.get().strip().lower()
    return "" if mode == "none" else mode


def _through_app_entry() -> None:
    """Make sure app.py (first-run gate, menu by role) runs: on a fresh process's first request for a page URL,
    Streamlit runs the page file alone, in its legacy pages/ mode, until some run calls st.navigation. Switch that
    mode off and rerun; the same URL then runs through app.py."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current_user() -> User:
    """The signed-in user; without one the page shows a login notice (or form) and stops."""
    _through_app_entry()
    mode = auth_mode()
    if not mode:
        if db.is_demo():
            return User(DEMO_USER_NAME, "staff", demo=True)
        _refuse(LOGIN_NOTICE)
    if mode not in MODES:
        st.error(f"登录方式配置无效：AUTH_MODE 应为 none / {' / '.join(MODES)}。请联系管理员。")
        st.stop()
    name = {"header": _header_name, "oidc": _oidc_name, "local": _local_name}[mode]()
    account = _account(name)
    if account is None:
        _refuse(f"账号 {plain(name)} 尚未开通或已停用，请联系系统管理员。(This account is not enabled.)")
    return User(account.name, account.role, account.unit_id)


def _refuse(message: str) -> None:
    st.warning(message)
    st.stop()


def _account(name: str) -> users.Account | None:
    try:
        with db.engine().connect() as conn:
            return users.find(conn, name)
    except SQLAlchemyError:
        log.exception("user lookup failed")
        st.error("无法连接数据库，暂时无法确认登录身份。请稍后刷新页面重试。")
        st.stop()


def _clean(name) -> str:
    """A name from outside (header, identity provider): trimmed, and nothing unusable passes."""
    name = (name or "").strip()
    return name if 0 < len(name) <= MAX_NAME and name.isprintable() else ""


# --- header: the intranet login proxy ---

def header_name() -> str:
    return settings.AUTH_HEADER.get()


def request_headers():
    return st.context.headers


def request_peer() -> str:
    """The address the request came from: Streamlit's ip_address (the TCP peer; uvicorn replaces it with
    X-Forwarded-For only when that peer is itself 127.0.0.1), None for loopback; anything else (no runtime) is no
    address at all."""
    peer = st.context.ip_address
    return "127.0.0.1" if peer is None else peer if isinstance(peer, str) else ""


def _trusted_networks() -> list | None:
    """AUTH_TRUSTED_PROXIES: addresses or networks, comma-separated (default the loopback); "*" = any peer."""
    text = settings.AUTH_TRUSTED_PROXIES.get().strip()
    if text == "*":
        return None
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def from_trusted_proxy(peer: str, headers, trusted: list | None, secret: str) -> bool:
    """Whether a request may name its user by header: it comes from a trusted proxy address (`trusted` None: any)
    and, when a shared secret is configured, carries it in AUTH_PROXY_SECRET_HEADER (compared in constant time).
    "*" without a secret trusts no one: the identity header alone proves nothing."""
    if trusted is None and not secret:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if trusted is not None and not any(address in network for network in trusted):
        return False
    if secret:
        sent = headers.get(settings.AUTH_PROXY_SECRET_HEADER.get()) or ""
        return hmac.compare_digest(sent.encode(), secret.encode())
    return True


def _header_name() -> str:
    name = _clean(request_headers().get(header_name()))
    if not name:
        _refuse(LOGIN_NOTICE)
    try:
        trusted = _trusted_networks()
    except ValueError:
        _refuse("登录配置无效：AUTH_TRUSTED_PROXIES 应为逗号分隔的 IP 地址或网段。请联系管理员。"
                "(invalid AUTH_TRUSTED_PROXIES)")
    if not from_trusted_proxy(request_peer(), request_headers(), trusted, settings.AUTH_PROXY_SECRET.get()):
        log.warning("identity header refused: request not from the trusted login proxy")
        _refuse(UNTRUSTED_NOTICE)
    return name


# --- oidc: Streamlit's st.login ---

def oidc_identity() -> tuple[bool, str]:
    """(signed in, the claim that names the user)."""
    if not st.user.is_logged_in:
        return False, ""
    return True, st.user.get(settings.AUTH_OIDC_CLAIM.get()) or ""


def _oidc_name() -> str:
    signed_in, name = oidc_identity()
    if not signed_in:
        st.warning(LOGIN_NOTICE)
        st.button("通过统一身份认证登录", type="primary", on_click=st.login,
                  args=(settings.AUTH_OIDC_PROVIDER.get(),), key="auth_oidc_login")
        st.stop()
    name = _clean(name)
    if not name:
        _refuse("身份认证没有提供用户名，请联系系统管理员。(The identity provider gave no user name.)")
    return name


# --- local: the app's own accounts ---

def _local_name() -> str:
    name = st.session_state.get(LOCAL_KEY)
    if not name:
        _login_form()
        st.stop()
    return name


def _login_form() -> None:
    st.title("接诉即办 调度驾驶舱")
    with st.form("auth_login", width=420):
        st.subheader("登录")
        name = st.text_input("用户名", max_chars=MAX_NAME, key="auth_name")
        password = st.text_input("密码", type="password", max_chars=256, key="auth_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        account, reason = _check(name.strip(), password)
        if account is None:
            st.error(reason)
            return
        st.session_state[LOCAL_KEY] = account.name
        st.rerun()


def _check(name: str, password: str):
    """Verify the password (with the lockout, data_access.records.users) and write the attempt to the audit log."""
    try:
        account, reason = users.check_password(db.engine(), name, password)
        audit.log(db.engine(), name[:64], "login" if account else "login_failed", {"mode": "local"})
        return account, reason
    except SQLAlchemyError:
        log.exception("local login failed")
        return None, "无法连接数据库，暂时无法登录。请稍后重试。"


def _sign_out_local() -> None:
    st.session_state.pop(LOCAL_KEY, None)


def show_banner(user: User) -> None:
    """Once per run (app.py): a visible mark that the figures are made up, so no one quotes them; or who is signed
    in, with a way out where the app holds the login (oidc, local)."""
    if user.demo:
        st.info("演示数据：当前数据库是生成的演示区，所有数字均为虚构，仅供试用。")
        return
    st.sidebar.caption(f"当前用户：{plain(user.name)}（{users.ROLE_TEXT.get(user.role, user.role)}）")
    sign_out = {"oidc": st.logout, "local": _sign_out_local}.get(auth_mode())
    if sign_out:
        st.sidebar.button("退出登录", on_click=sign_out, key="auth_logout")
