"""The agenda on screen: the "加入调度会议程" button other pages call, and the meeting page's building blocks
(meeting choice, the editable agenda, proposals to accept, the briefing files).

Staff and admins edit; leaders read. Meetings and items are small and change as staff edit them, so they are read
fresh on every run (not through the data-version cache, which only follows imports).
"""
from datetime import date, datetime

import pandas as pd
import streamlit as st

from data_access.records import audit
from data_access.records import meetings as store
from metrics import agenda
from metrics.periods import Period, parse_period
from metrics.rules import Rules
from reports.briefing_data import gather
from reports.briefing_docx import build_docx
from reports.briefing_xlsx import build_xlsx
from ui import auth, cache, rules_choice
from ui.plain import plain

EDITOR_ROLES = ("staff", "admin")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REMOVE = "remove"
ACCEPT = "accept"
REVISION, FLASH = "agenda_rev", "agenda_flash"
EMPTY = "—"  # a missing owner, date or decision on screen (never "None")


def can_edit(user: auth.User) -> bool:
    return user.role in EDITOR_ROLES


def _active_rules() -> Rules:
    """The rules preset chosen in the sidebar (the button may sit on any page)."""
    return rules_choice.rules_for(rules_choice.source_of(st.session_state.get(rules_choice.KEY)))


NEW_MEETING = 0  # the choice "a new 周调度会 next Monday" beside the stored meetings (ids start at 1)


def add_to_agenda_button(kind: str, ref, label: str, key: str, *, owner_unit_id: int | None = None,
                         reason: str = "", text: str = "加入调度会议程") -> None:
    """A meeting choice and a button (`text`) that puts a unit (kind "unit", ref = unit id), a place (kind
    "hotspot", ref = "address:<key>" or "h3:<cell>") or a 每月一题 (kind "topic", ref = cat_l2) on that meeting's
    agenda. The next meeting is offered first; a new
    周调度会 next Monday is made only when the user picks it. Only staff see it."""
    user = auth.current_user()
    if not can_edit(user):
        return
    meetings = all_meetings()
    monday = agenda.next_monday(date.today())
    labels = {m["id"]: meeting_label(m) for m in meetings}
    labels[NEW_MEETING] = f"新建 {agenda_date(monday)} 周调度会"
    upcoming = [m["id"] for m in reversed(meetings) if m["meeting_date"] >= date.today()]
    options = [*upcoming, NEW_MEETING, *(m["id"] for m in meetings if m["id"] not in upcoming)]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox("列入会议", options, format_func=labels.get, key=f"{key}_meeting",
                            help="选择列入哪一次会议的议程；没有合适的会议时可选“新建”。")
    if not right.button(text, key=key, help="列入所选会议的议程，会上研究并在下次会议督办。"):
        return
    try:
        meeting, _ = agenda.add_to_meeting(cache.engine(), chosen or None, kind, str(ref), label, _active_rules(),
                                           date.today(), user=user.name, owner_unit_id=owner_unit_id,
                                           reason=reason)
    except store.MeetingError:
        st.error("加入议程失败：所选会议已不存在，请重新选择。")
        return
    except Exception:  # noqa: BLE001 — the page goes on; the user is told in Chinese
        st.error("加入议程失败：数据库暂时无法访问。请稍后重试。")
        return
    st.success(f"已将“{plain(label)}”加入 {plain(meeting_label(meeting))} 的议程。")


# --- meetings ---

def meeting_label(meeting: dict) -> str:
    """Date, kind, number (when a second meeting of the kind falls on the same day), period and title."""
    title = f" · {meeting['title']}" if meeting.get("title") else ""
    number = f" 第{meeting['number']}场" if meeting.get("number", 1) > 1 else ""
    return (f"{agenda_date(meeting['meeting_date'])} {meeting['kind']}{number}"
            f"（{parse_period(meeting['period']).label}）{title}")


def agenda_date(day: date) -> str:
    return f"{day:%Y-%m-%d}"


def all_meetings() -> list[dict]:
    with cache.engine().connect() as conn:
        return store.list_meetings(conn)


def default_meeting(meetings: list[dict], today: date) -> int:
    """The next meeting on or after today, else the latest one."""
    upcoming = [m for m in meetings if m["meeting_date"] >= today]
    return (upcoming[-1] if upcoming else meetings[0])["id"]  # newest first: the last upcoming is the nearest


def meeting_of(meeting_id: int) -> dict | None:
    with cache.engine().connect() as conn:
        return store.get_meeting(conn, meeting_id)


def items_of(meeting_id: int) -> list[dict]:
    with cache.engine().connect() as conn:
        return store.list_items(conn, meeting_id)


def previous_of(meeting: dict) -> dict | None:
    with cache.engine().connect() as conn:
        return store.previous_meeting(conn, meeting)


def unit_names() -> dict[int, str]:
    return {u["id"]: u["name"] for u in cache.list_units()}


# --- after a change ---

def revision() -> int:
    """Part of the editors' keys: bumped after each change, so that they start from the stored agenda."""
    return st.session_state.setdefault(REVISION, 0)


def after_change(message: str) -> None:
    """Fresh editors and a rerun; the message is shown once on the next run (show_flash)."""
    st.session_state[REVISION] = revision() + 1
    st.session_state[FLASH] = message
    st.rerun()


def show_flash() -> None:
    """The message of the last change (its user-typed parts already passed through ui.plain.plain)."""
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))


# --- the agenda table ---

def _as_date(value) -> date | None:
    """The editor gives a date, a timestamp or ISO text depending on the column's history."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def agenda_table(items: list[dict]) -> pd.DataFrame:
    """One row per item, indexed by item id, in the registry's column keys."""
    return pd.DataFrame({
        "position": [i["position"] for i in items],
        "item_kind": [store.ITEM_KINDS[i["kind"]] for i in items],
        "item": [i["label"] for i in items],
        "reason": [i["reason"] for i in items],
        "owner_unit": pd.array([i["owner_unit_id"] for i in items], dtype="Int64"),
        "decision": [i["decision"] for i in items],
        "due_date": [i["due_date"] for i in items],
        "item_source": [store.SOURCES[i["source"]] for i in items],
        REMOVE: False,
    }, index=pd.Index([i["id"] for i in items], name="id"))


def saved_rows(edited: pd.DataFrame) -> list[dict]:
    """What the agenda editor's table means for data_access.records.meetings.save_agenda: kept rows in the order of
    their 序号, a renumbered row before an untouched one with the same number (typing 1 moves a row to the top),
    then in the shown order; with the editable fields."""
    shown = pd.Series(range(1, len(edited) + 1), index=edited.index)  # stored positions are 1, 2, 3 … as shown
    kept = edited.assign(_shown=shown, _kept=(edited["position"] == shown))[~edited[REMOVE].astype(bool)]
    kept = kept.sort_values(["position", "_kept", "_shown"], na_position="last")
    return [{"id": int(item_id), "label": row["item"], "reason": row["reason"] or "",
             "owner_unit_id": None if pd.isna(row["owner_unit"]) else int(row["owner_unit"]),
             "decision": row["decision"] or "", "due_date": _as_date(row["due_date"])}
            for item_id, row in kept.iterrows()]


def agenda_editor(items: list[dict], names: dict[int, str], key: str) -> pd.DataFrame:
    """The agenda as an editable table: order (序号), wording, owner, decision, due date, remove."""
    table = agenda_table(items)
    column = st.column_config
    return st.data_editor(
        table, key=key, hide_index=True, num_rows="fixed", placeholder=EMPTY,
        column_order=["position", "item_kind", "item", "owner_unit", "decision", "due_date", "reason",
                      "item_source", REMOVE],
        disabled=["item_kind", "item_source"],
        column_config={
            "position": column.NumberColumn("序号", min_value=1, step=1, width="small",
                                            help="改动序号可调整次序，保存后重新编号。"),
            "item_kind": column.TextColumn("事项类型", width="small"),
            "item": column.TextColumn("议程事项", required=True, max_chars=255),
            "reason": column.TextColumn("提出缘由", width="medium"),
            "owner_unit": column.SelectboxColumn("责任单位", options=list(names), format_func=names.get),
            "decision": column.TextColumn("会议决定", width="large"),
            "due_date": column.DateColumn("完成时限", format="YYYY-MM-DD"),
            "item_source": column.TextColumn("来源", width="small"),
            REMOVE: column.CheckboxColumn("移除", width="small"),
        })


def proposal_table(proposals: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    return pd.DataFrame({
        ACCEPT: True,
        "item_kind": [store.ITEM_KINDS[k] for k in proposals["kind"]],
        "item": list(proposals["label"]),
        "reason": list(proposals["reason"]),
        "owner_unit": [names.get(o, EMPTY) for o in proposals["owner_unit_id"]],
    })


def proposal_picker(proposals: pd.DataFrame, names: dict[int, str], key: str) -> list[int]:
    """The proposals with a tick each (all ticked); returns the row numbers still ticked."""
    picked = st.data_editor(
        proposal_table(proposals, names), key=key, hide_index=True, num_rows="fixed",
        disabled=["item_kind", "item", "reason", "owner_unit"],
        column_config={ACCEPT: st.column_config.CheckboxColumn("采纳", width="small"),
                       "item_kind": "事项类型", "item": "议程事项",
                       "reason": st.column_config.TextColumn("提出缘由", width="large"), "owner_unit": "责任单位"})
    return [i for i, ticked in enumerate(picked[ACCEPT]) if ticked]


# --- the briefing files ---

def briefing_files(meeting: dict, rules: Rules, user: auth.User) -> dict:
    """Both files of the meeting's briefing from one gathering of the figures; the export is audited."""
    period: Period = parse_period(meeting["period"])
    briefing = gather(cache.engine(), period, rules, meeting_id=meeting["id"])
    number = f"_{meeting['number']}" if meeting.get("number", 1) > 1 else ""
    stem = f"{meeting['kind']}材料_{meeting['meeting_date']:%Y%m%d}{number}_{period.key}"
    files = {"docx": (build_docx(briefing), f"{stem}.docx"), "xlsx": (build_xlsx(briefing), f"{stem}.xlsx")}
    audit.log(cache.engine(), user.name, "export", {"briefing": period.key, "meeting": meeting["id"],
                                                    "files": [name for _, name in files.values()]})
    return files
