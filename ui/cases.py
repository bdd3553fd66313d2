"""Drill to cases: the paged list behind any number, one case's timeline and callback result, export of the page.

Other pages call `drill_button(label, case_filter, key)` (the list in a dialog) or `show_cases(case_filter, key)`
(the list inline); a page with its own paged case query (the 错题本) draws it with `show_page`. A list is always
one page of a query, never all rows. Case text is masked for roles without case access, and a unit user only
ever sees its own unit's cases, whatever the filter says.
"""
import dataclasses

import pandas as pd
import streamlit as st

from data_access.queries.case_queries import LIST_COLUMNS, CaseFilter, case_detail, case_page
from data_access.ingest.privacy import mask_text
from metrics.registry import label
from ui import cache
from ui import format as fmt
from ui.auth import User, current_user
from ui.export import download_buttons
from ui.panel import guarded
from ui.plain import plain

PAGE_SIZE = 50
MISSING = "—"
# Roles that read case text as written; the others see phone and ID numbers in it masked (DESIGN.md, privacy).
CASE_ACCESS_ROLES = ("staff", "unit")
TEXT_COLUMNS = ("content",)
DETAIL_FIELDS = ("unit_name", "cat_l1", "cat_l2", "address", "street", "community", "urgency", "caller_masked")


def drill_button(label_text: str, case_filter: CaseFilter, key: str, title: str | None = None) -> None:
    """A button that opens the cases behind a number in a dialog."""
    if st.button(label_text, key=key):
        _cases_dialog(case_filter, key, title or label_text)


@st.dialog("工单明细", width="large")
def _cases_dialog(case_filter: CaseFilter, key: str, title: str) -> None:
    st.markdown(f"**{plain(title)}**")
    show_cases(case_filter, f"{key}_dlg")


def scope_of(user: User) -> tuple | None:
    """The units whose cases the user may open: a unit user its own, everyone else all (None)."""
    return (user.unit_id,) if user.role == "unit" else None


def scoped(case_filter: CaseFilter, user: User) -> CaseFilter | None:
    """The filter narrowed to what the user may see; None when that is nothing (a unit asking for other units)."""
    scope = scope_of(user)
    if scope is None:
        return case_filter
    if case_filter.unit_ids is not None and user.unit_id not in case_filter.unit_ids:
        return None
    return dataclasses.replace(case_filter, unit_ids=scope)


def has_case_access(user: User) -> bool:
    return user.role in CASE_ACCESS_ROLES


def masked(frame: pd.DataFrame, user: User) -> pd.DataFrame:
    """Case text with personal data masked, unless the user's role has case access."""
    if has_case_access(user):
        return frame
    return frame.assign(**{c: frame[c].map(mask_text) for c in TEXT_COLUMNS if c in frame})


def current_page(key: str) -> int:
    """The page number chosen in the list's pager (1 before any choice)."""
    return int(st.session_state.get(f"{key}_page", 1))


def show_cases(case_filter: CaseFilter, key: str, page_size: int | None = None) -> None:
    """One page (PAGE_SIZE rows unless given) of the cases matching the filter; selecting a row shows that case."""
    page_size = page_size or PAGE_SIZE
    user = current_user()
    allowed = scoped(case_filter, user)
    if allowed is None:
        st.info("无权查看其他单位的工单。")
        return
    with guarded("工单列表"):
        page = current_page(key)
        frame, total = case_page(cache.engine(), allowed, limit=page_size, offset=(page - 1) * page_size)
        show_page(frame, total, list(LIST_COLUMNS), key, user, page_size)


def show_page(frame: pd.DataFrame, total: int, columns: list[str], key: str, user: User,
              page_size: int | None = None, name: str = "工单列表") -> None:
    """One page of a case list: the count, the table, a pager, export of the page, and the selected case."""
    page_size = page_size or PAGE_SIZE
    if total == 0:
        st.info("没有符合条件的工单。")
        return
    # Empty text fields read "—" on screen (never "None") and stay blank in the export; the rest is formatted
    # from the registry.
    frame = masked(frame, user)
    shown = frame.fillna({c: MISSING for c in columns if frame[c].dtype == object})
    frame = frame.fillna({c: "" for c in columns if frame[c].dtype == object})
    pages = -(-total // page_size)
    st.caption(f"共 {total} 件，第 {min(current_page(key), pages)} / {pages} 页，每页最多 {page_size} 件。"
               "点击一行查看该工单的办理过程。")
    event = st.dataframe(fmt.table(shown, columns), hide_index=True, on_select="rerun", placeholder=MISSING,
                         selection_mode="single-row", key=f"{key}_table")
    _pager(key, pages)
    download_buttons(frame, columns, name, key, user)
    if event.selection.rows:
        show_case(frame.iloc[event.selection.rows[0]]["case_no"], user)


def _pager(key: str, pages: int) -> None:
    if pages <= 1:
        return
    page_key = f"{key}_page"
    if st.session_state.get(page_key, 1) > pages:  # the filter changed and has fewer pages now
        st.session_state[page_key] = pages
    st.number_input("页码", min_value=1, max_value=pages, step=1, key=page_key, width=200)


def show_case(case_no: str, user: User) -> None:
    """One case: where and what, its timeline, and the callback result."""
    with guarded("工单详情"):
        case = case_detail(cache.engine(), case_no, unit_ids=scope_of(user))
        if case is None:
            st.info(f"找不到工单 {plain(case_no)}，或无权查看。")
            return
        st.subheader(f"工单 {plain(case_no)}")
        facts, steps = st.columns(2)
        facts.markdown("\n".join(f"- **{label(k)}**：{plain(case.get(k) or '—')}" for k in DETAIL_FIELDS))
        steps.dataframe(timeline(case), hide_index=True)
        text = case.get("content") or ""
        st.markdown(f"**{label('content')}**：{plain(text if has_case_access(user) else mask_text(text))}")
        st.markdown(callback_summary(case))


def timeline(case: dict) -> pd.DataFrame:
    """Each step that happened (case_detail's timeline), with the hours since the case was received."""
    start = case["received_at"]
    rows = [{"环节": label(step), "时间": at, "自受理起（小时）": round((at - start).total_seconds() / 3600, 1)}
            for step, at in case["timeline"]]
    return pd.DataFrame(rows, columns=["环节", "时间", "自受理起（小时）"])


def callback_summary(case: dict) -> str:
    """The callback result in one line: solved, satisfaction, dispatches, exclusion."""
    parts = [f"{label('solved')}：{case.get('solved') or '未回访'}",
             f"{label('satisfaction')}：{case.get('satisfaction') or '未评价'}",
             f"派单次数：{case.get('dispatch_count') or 1}"]
    if case.get("excluded"):
        parts.append(f"{label('excluded')}：{plain(case.get('exclusion_reason') or '是')}")
    return "**回访结果** · " + " · ".join(parts)
