"""The 审计日志 page's reads: the log one page at a time and the user list, as tables with Chinese headers.

Read fresh on every view (nothing cached: the log is what just happened)."""
import pandas as pd

from data_access.records import audit
from data_access.records.users import ROLE_TEXT, list_users
from ui import cache
from ui.audit_text import action_text, detail_text

AUDIT_HEADERS = {"at": "时间", "user_name": "用户", "action": "操作", "n_rows": "行数", "detail": "内容"}
USER_HEADERS = {"name": "用户名", "display_name": "姓名", "role": "角色", "unit_name": "所属单位", "active": "启用",
                "local_password": "本地密码", "failed_logins": "连续失败", "locked_until": "锁定至",
                "last_login_at": "最近登录"}


def action_kinds() -> list[str]:
    with cache.engine().connect() as conn:
        return audit.actions(conn)


def log_page(action: str | None, page: int, size: int) -> pd.DataFrame:
    """Entries `size` per page, newest first, optionally of one action, in words."""
    with cache.engine().connect() as conn:
        rows = audit.recent(conn, size, action=action, offset=(page - 1) * size)
    frame = pd.DataFrame(rows, columns=["id", *AUDIT_HEADERS])
    frame["detail"] = [detail_text(a, d) for a, d in zip(frame["action"], frame["detail"])]
    frame["action"] = frame["action"].map(action_text)
    return frame[list(AUDIT_HEADERS)].rename(columns=AUDIT_HEADERS)


def users_table() -> pd.DataFrame:
    with cache.engine().connect() as conn:
        people = pd.DataFrame(list_users(conn), columns=list(USER_HEADERS))
    people["role"] = people["role"].map(lambda r: ROLE_TEXT.get(r, r))
    return people.rename(columns=USER_HEADERS)
