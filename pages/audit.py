"""审计日志 — who did what, and who may sign in. For admins: the users (managed with `python cli.py user …`) and
the audit log of imports, undos, exports, adjustments, logins and user changes, newest first, one page at a time."""
import pandas as pd
import streamlit as st

from data_access import audit
from data_access.users import ROLE_TEXT, list_users
from ui import cache
from ui.audit_text import EMPTY, action_text, detail_text
from ui.auth import current_user
from ui.panel import guarded

PAGE_SIZE = 100
AUDIT_HEADERS = {"at": "时间", "user_name": "用户", "action": "操作", "n_rows": "行数", "detail": "内容"}
USER_HEADERS = {"name": "用户名", "display_name": "姓名", "role": "角色", "unit_name": "所属单位", "active": "启用",
                "local_password": "本地密码", "failed_logins": "连续失败", "locked_until": "锁定至",
                "last_login_at": "最近登录"}

user = current_user()
if user.role != "admin":
    st.warning("审计日志和用户管理仅限系统管理员。")
    st.stop()
st.title("审计日志")

# --- the audit log, one page at a time ---
with guarded("审计日志"):
    with cache.engine().connect() as conn:
        kinds = audit.actions(conn)
    left, right = st.columns(2, width=600)
    action = left.selectbox("操作", kinds, index=None, placeholder="全部操作", key="audit_action",
                            format_func=action_text)
    page = right.number_input("页码", min_value=1, value=1, step=1, key="audit_page")
    with cache.engine().connect() as conn:
        rows = audit.recent(conn, PAGE_SIZE, action=action, offset=(page - 1) * PAGE_SIZE)
    frame = pd.DataFrame(rows, columns=["id", *AUDIT_HEADERS])
    frame["detail"] = [detail_text(a, d) for a, d in zip(frame["action"], frame["detail"])]
    frame["action"] = frame["action"].map(action_text)
    st.dataframe(frame[list(AUDIT_HEADERS)].rename(columns=AUDIT_HEADERS), hide_index=True, placeholder=EMPTY)
    st.caption(f"第 {page} 页，每页最多 {PAGE_SIZE} 条，最新在前。")

# --- users ---
st.subheader("用户")
st.caption("用户在服务器上用 python cli.py user add / disable / enable / reset / list 管理。")
with guarded("用户列表"):
    with cache.engine().connect() as conn:
        people = pd.DataFrame(list_users(conn), columns=list(USER_HEADERS))
    people["role"] = people["role"].map(lambda r: ROLE_TEXT.get(r, r))
    st.dataframe(people.rename(columns=USER_HEADERS), hide_index=True, placeholder=EMPTY)
