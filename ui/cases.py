"""Drill to cases: the paged list behind any number, one case's timeline and callback result, export of the page.

Other pages call `drill_button(label, case_filter, key)` (the list in a dialog) or `show_cases(case_filter, key)`
(the list inline). The list is always one page of `data_access.case_queries.case_page`, never all rows. Case text
is masked for roles without case access, and a unit user only ever sees its own unit's cases, whatever the filter.
"""
import dataclasses

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data_access import audit
from data_access.case_queries import CaseFilter, case_detail, case_page
from data_access.privacy import mask_text
from metrics.registry import export_headers
from ui import cache
from ui.auth import current_user

PAGE_SIZE = 50
# Roles that read case text as written; others see it with phone and ID numbers masked (DESIGN.md, privacy).
CASE_ACCESS_ROLES = ("staff", "unit")
TEXT_COLUMNS = ("content",)
TIMELINE = (("受理", "received_at"), ("派单", "dispatched_at"), ("响应", "responded_at"), ("办结", "closed_at"),
            ("回访", "callback_at"))
FAILED = "工单查询失败，请稍后重试（刷新页面或缩小筛选范围）。"


def drill_button(label: str, case_filter: CaseFilter, key: str, title: str | None = None) -> None:
    """A button that opens the cases behind a number in a dialog."""
    if st.button(label, key=key):
        _cases_dialog(case_filter, key, title or label)


@st.dialog("工单明细", width="large")
def _cases_dialog(case_filter: CaseFilter, key: str, title: str) -> None:
    st.markdown(f"**{title}**")
    show_cases(case_filter, f"{key}_dlg")


def scoped(case_filter: CaseFilter, user) -> CaseFilter | None:
    """The filter narrowed to what the user may see; None when that is nothing (a unit asking for other units)."""
    if user.role != "unit":
        return case_filter
    wanted = case_filter.unit_ids
    if wanted and user.unit_id not in wanted:
        return None
    return dataclasses.replace(case_filter, unit_ids=[user.unit_id])


def has_case_access(user) -> bool:
    return user.role in CASE_ACCESS_ROLES


def masked(frame: pd.DataFrame, user) -> pd.DataFrame:
    """Case text with personal data masked, unless the user's role has case access."""
    if has_case_access(user):
        return frame
    out = frame.copy()
    for col in TEXT_COLUMNS:
        if col in out:
            out[col] = out[col].map(mask_text)
    return out


def show_cases(case_filter: CaseFilter, key: str, page_size: int = PAGE_SIZE) -> None:
    """One page of the cases matching the filter; selecting a row shows that case below."""
    user = current_user()
    allowed = scoped(case_filter, user)
    if allowed is None:
        st.info("无权查看其他单位的工单。")
        return
    page_key = f"{key}_page"
    page = st.session_state.get(page_key, 1)
    try:
        frame, total = case_page(cache.engine(), allowed, limit=page_size, offset=(page - 1) * page_size)
    except SQLAlchemyError:
        st.error(FAILED)
        return
    if total == 0:
        st.info("没有符合条件的工单。")
        return
    frame = masked(frame, user)
    pages = -(-total // page_size)
    st.caption(f"共 {total} 件，第 {min(page, pages)} / {pages} 页，每页 {page_size} 件")
    event = st.dataframe(_labelled(frame), hide_index=True, on_select="rerun", selection_mode="single-row",
                         key=f"{key}_table")
    _pager(page_key, pages)
    _export(frame, key, user)
    if event.selection.rows:
        show_case(frame.iloc[event.selection.rows[0]]["case_no"], user)


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_axis(export_headers(list(frame.columns)), axis=1)


def _pager(page_key: str, pages: int) -> None:
    if pages <= 1:
        return
    if st.session_state.get(page_key, 1) > pages:  # the filter changed and has fewer pages now
        st.session_state[page_key] = pages
    st.number_input("页码", min_value=1, max_value=pages, step=1, key=page_key)


def _export(frame: pd.DataFrame, key: str, user) -> None:
    """The page on screen as CSV (Excel opens UTF-8 with BOM); every export is audited."""
    data = _labelled(frame).to_csv(index=False).encode("utf-8-sig")
    st.download_button("导出本页（CSV）", data, file_name="工单列表.csv", mime="text/csv", key=f"{key}_csv",
                       on_click=_audit_export, args=(user.name, len(frame)))


def _audit_export(user_name: str, n_rows: int) -> None:
    with cache.engine().begin() as conn:
        audit.record(conn, user_name, "export", "工单列表.csv", n_rows)


def show_case(case_no: str, user) -> None:
    """One case: what was asked, where, its timeline and the callback result."""
    try:
        case = case_detail(cache.engine(), case_no)
    except SQLAlchemyError:
        st.error(FAILED)
        return
    if not case:
        st.info(f"找不到工单 {case_no}。")
        return
    st.subheader(f"工单 {case_no}")
    text = case.get("content") or ""
    st.write(text if has_case_access(user) else mask_text(text))
    st.dataframe(timeline(case), hide_index=True)
    st.markdown(callback_summary(case))


def timeline(case: dict) -> pd.DataFrame:
    """Each step that happened, with its time and the hours since the case was received."""
    start = case.get("received_at")
    rows = [{"环节": step, "时间": case.get(field), "自受理起（小时）": _hours(start, case.get(field))}
            for step, field in TIMELINE if case.get(field)]
    return pd.DataFrame(rows, columns=["环节", "时间", "自受理起（小时）"])


def _hours(start, end) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)


def callback_summary(case: dict) -> str:
    parts = [f"解决情况：{case.get('solved') or '未回访'}", f"满意度：{case.get('satisfaction') or '未评价'}",
             f"派单次数：{case.get('dispatch_count') or 1}"]
    if case.get("excluded"):
        parts.append(f"特例剔除：{case.get('exclusion_reason') or '是'}")
    return " · ".join(parts)
