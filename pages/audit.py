"""审计日志 — who did what, and who may sign in. For admins: the users (managed with `python cli.py user …`) and
the audit log of imports, undos, exports, adjustments, logins and user changes, newest first, one page at a time."""
import streamlit as st

from ui.audit_log import action_kinds, log_page, users_table
from ui.audit_text import EMPTY, action_text
from ui.auth import current_user
from ui.panel import guarded

PAGE_SIZE = 100

user = current_user()
if user.role != "admin":
    st.warning("审计日志和用户管理仅限系统管理员。")
    st.stop()
st.title("审计日志")

# --- the audit log, one page at a time ---
with guarded("审计日志"):
    left, right = st.columns(2, width=600)
    action = left.selectbox("操作", action_kinds(), index=None, placeholder="全部操作", key="audit_action",
                            format_func=action_text)
    page = right.number_input("页码", min_value=1, value=1, step=1, key="audit_page")
    st.dataframe(log_page(action, page, PAGE_SIZE), hide_index=True, placeholder=EMPTY)
    st.caption(f"第 {page} 页，每页最多 {PAGE_SIZE} 条，最新在前。")

# --- users ---
st.subheader("用户")
st.caption("用户在服务器上用 python cli.py user add / disable / enable / reset / list 管理。")
with guarded("用户列表"):
    st.dataframe(users_table(), hide_index=True, placeholder=EMPTY)
