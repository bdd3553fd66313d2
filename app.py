"""接诉即办 调度驾驶舱 — the entry: page config, first start, current user, navigation by role.

Run with `streamlit run app.py`. Each page draws its own filters (ui.filters) and reads data through ui.cache.
Pages whose file is not there yet (built by other engineers) are left out of the menu.
"""
from pathlib import Path

import streamlit as st

from ui import auth, first_run

ROOT = Path(__file__).resolve().parent
# (section, file, title, url path, icon, roles that see it; None = everyone)
PAGES = (
    ("领导视图", "pages/overview.py", "总览", "overview", "📊", None),
    ("领导视图", "pages/scores.py", "月度成绩", "scores", "📋", None),
    ("领导视图", "pages/rankings.py", "排名", "rankings", "🏅", None),
    ("领导视图", "pages/awards.py", "流动红旗", "awards", "🚩", None),
    ("领导视图", "pages/lagging.py", "后进会诊", "lagging", "🩺", None),
    ("领导视图", "pages/hotspots.py", "高频点位", "hotspots", "📍", None),
    ("工作台", "pages/meeting.py", "调度会", "meeting", "🗓️", ("leader", "staff", "admin")),
    ("工作台", "pages/data.py", "数据管理", "data", "🗄️", ("staff", "admin")),
    ("工作台", "pages/rules.py", "评分规则", "rules", "📐", None),
)
DEFAULT_PAGE = "pages/overview.py"


def menu(user: auth.User) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for section, path, title, url, icon, roles in PAGES:
        if (ROOT / path).exists() and (roles is None or user.role in roles):
            page = st.Page(path, title=title, url_path=url, icon=icon, default=path == DEFAULT_PAGE)
            sections.setdefault(section, []).append(page)
    return sections


st.set_page_config(page_title="接诉即办 调度驾驶舱", page_icon="📊", layout="wide")
first_run.gate()
user = auth.current_user()
auth.show_banner(user)
st.navigation(menu(user)).run()
