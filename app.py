"""接诉即办 调度驾驶舱 — the entry: page config, first start, current user, navigation by role.

Run with `streamlit run app.py`. Each page draws its own sidebar filters (ui.filters) and calls current_user()
itself, so a page is safe even when Streamlit runs it without this script (its legacy pages/ mode on a fresh
process's first request). Pages whose file is not there yet (built by other engineers) are left out of the menu.
"""
from pathlib import Path

import streamlit as st

from ui import auth, first_run

ROOT = Path(__file__).resolve().parent
LEADERS, WORKBENCH = "领导视图", "工作台"
# (section, file, title, url path, roles that see it; None = everyone)
PAGES = (
    (LEADERS, "pages/overview.py", "总览", "overview", None),
    (LEADERS, "pages/scores.py", "月度成绩", "scores", None),
    (LEADERS, "pages/rankings.py", "排名", "rankings", None),
    (LEADERS, "pages/awards.py", "流动红旗", "awards", None),
    (LEADERS, "pages/lagging.py", "后进会诊", "lagging", None),
    (LEADERS, "pages/hotspots.py", "高频点位", "hotspots", None),
    (LEADERS, "pages/warning.py", "预警", "warning", ("leader", "staff", "admin")),
    (WORKBENCH, "pages/meeting.py", "调度会", "meeting", ("leader", "staff", "admin")),
    (WORKBENCH, "pages/topics.py", "诉求分析", "topics", ("leader", "staff")),
    (WORKBENCH, "pages/data.py", "数据管理", "data", ("staff", "admin")),
    (WORKBENCH, "pages/rules.py", "评分规则", "rules", None),
    (WORKBENCH, "pages/audit.py", "审计日志", "audit", ("admin",)),
)
DEFAULT_PAGE = "pages/overview.py"


def refused(title: str, url: str):
    """What a page the user may not see shows when opened by its URL: a Chinese notice, not Streamlit's
    English "Page not found" dialog (the page stays out of the menu)."""
    def page() -> None:
        st.title("无权访问此页")
        st.warning(f"当前账号不能查看“{title}”页。请从左侧菜单选择其他页面；如需此页，请联系系统管理员。")
    page.__name__ = f"refused_{url}"
    return page


def menu(user: auth.User) -> dict[str, list[st.Page]]:
    """The pages this user may open, by section; the default one is served at /. The others are there hidden,
    answering their URL with `refused`."""
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, url, roles in PAGES:
        if not (ROOT / path).exists():
            continue
        if roles is None or user.role in roles:
            page = st.Page(path, title=title, url_path=url, default=path == DEFAULT_PAGE)
        else:
            page = st.Page(refused(title, url), title=title, url_path=url, visibility="hidden")
        sections.setdefault(section, []).append(page)
    return sections


st.set_page_config(page_title="接诉即办 调度驾驶舱", page_icon="📊", layout="wide")
first_run.gate()
user = auth.current_user()
auth.show_banner(user)
st.navigation(menu(user)).run()
