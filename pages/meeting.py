"""调度会 — what does this week's meeting take up? The meeting's agenda (proposed from the data, edited by staff),
the follow-up of the last meeting's items (督办), and the briefing to hand out (.docx with charts, .xlsx)."""
from datetime import date

import streamlit as st

from data_access.records import meetings as store
from metrics import agenda
from metrics.periods import PeriodError, parse_period
from ui import agenda as agenda_ui
from ui import cache, rules_choice
from ui import format as fmt
from ui.agenda import DOCX_MIME, XLSX_MIME
from ui.auth import current_user
from ui.panel import guarded
from ui.plain import chinese, plain

FOLLOW_UP_COLUMNS = ["item_kind", "item", "verdict", "detail", "owner_unit", "decision", "due_date"]
VERDICT_COLOURS = {agenda.IMPROVED: "#d7f0dc", agenda.WORSE: "#f8d7d7", agenda.SAME: "#fcefd2"}

user = current_user()
rules = rules_choice.choose()
editable = agenda_ui.can_edit(user)
today = date.today()
revision = agenda_ui.revision()
st.title("调度会")
agenda_ui.show_flash()

# --- a new meeting (staff) ---
if editable:
    with st.expander("新建会议", expanded=False):
        kind = st.selectbox("会议类型", store.MEETING_KINDS, key="new_kind")
        day = st.date_input("会议日期", value=agenda.next_monday(today), key="new_day", format="YYYY-MM-DD")
        last_day = (cache.data_days(rules.basis) or (None, None))[1]
        proposed = agenda.meeting_period(kind, day, last_day)
        period_key = st.text_input("考核期", value=proposed.key, key=f"new_period_{kind}_{day}",
                                   help="周调度会默认看上一周，点评会和会诊会默认看上个月（不晚于最新数据）。"
                                        "也可填 2025-03、2025-W10、2025-B2 等。")
        title = st.text_input("会议名称（可不填）", key="new_title", max_chars=128)
        if st.button("创建会议", type="primary", key="new_create"):
            try:
                period = parse_period(period_key)
            except PeriodError as exc:
                st.error(plain(chinese(str(exc))))
            else:
                with guarded("新建会议"):
                    created = agenda.new_meeting(cache.engine(), kind, day, rules, period=period, title=title,
                                                 user=user.name)
                    st.session_state["meeting"] = created
                    agenda_ui.after_change(f"已创建 {plain(agenda_ui.meeting_label(agenda_ui.meeting_of(created)))}。")

# --- which meeting ---
meetings = []
with guarded("会议列表"):
    meetings = agenda_ui.all_meetings()
if not meetings:
    st.info("还没有安排会议。" + ("请在上方“新建会议”中创建本周的调度会。" if editable else "请等待中心工作人员安排。"))
    st.stop()
by_id = {m["id"]: m for m in meetings}
if st.session_state.get("meeting") not in by_id:
    st.session_state["meeting"] = agenda_ui.default_meeting(meetings, today)
chosen = st.selectbox("会议", list(by_id), key="meeting", format_func=lambda i: agenda_ui.meeting_label(by_id[i]))
meeting = by_id[chosen]
period = parse_period(meeting["period"])
score_period = cache.scores_period(period, rules)
if score_period == period:
    st.caption(f"考核期：{period.label}")
elif score_period == agenda.score_period(period):
    st.caption(f"考核期：{period.label}；单位成绩按 {score_period.label}（月初至本周末）")
else:
    st.caption(f"考核期：{period.label}；本月尚无参与排名的单位，单位成绩按上一个完整月份 {score_period.label}")
names = agenda_ui.unit_names()

# --- the agenda ---
st.header("会议议程")
items = []
with guarded("会议议程"):
    items = agenda_ui.items_of(meeting["id"])
    if not items:
        st.info("议程还没有事项。" + ("可采纳下方的建议议题，或添加其他事项。" if editable else ""))
    elif editable:
        edited = agenda_ui.agenda_editor(items, names, key=f"agenda_{meeting['id']}_{revision}")
        if st.button("保存议程", type="primary", key="agenda_save"):
            try:
                agenda.save_agenda(cache.engine(), meeting["id"], agenda_ui.saved_rows(edited), user=user.name)
            except store.MeetingError as exc:
                st.error(f"议程未保存：{plain(chinese(str(exc)))}")
            else:
                agenda_ui.after_change("议程已保存。")
    else:
        empty = agenda_ui.EMPTY
        readable = agenda_ui.agenda_table(items).assign(owner_unit=lambda d: d["owner_unit"].map(names).fillna(empty),
                                                        decision=lambda d: d["decision"].replace("", empty),
                                                        due_date=lambda d: d["due_date"].fillna(empty))
        st.dataframe(fmt.table(readable,
                               ["position", "item_kind", "item", "reason", "owner_unit", "decision", "due_date"]),
                     hide_index=True, placeholder=agenda_ui.EMPTY)
    if editable:
        note_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
        note = note_col.text_input("其他事项", key=f"agenda_note_{revision}", max_chars=255,
                                   placeholder="例如：汛期积水点排查部署")
        if button_col.button("添加事项", key="agenda_add_note") and note.strip():
            agenda.add_note(cache.engine(), meeting["id"], note.strip(), user=user.name)
            agenda_ui.after_change(f"已添加：{plain(note.strip())}")

# --- proposals from the data, not yet on the agenda ---
st.header("建议议题")
st.caption("按本期数据自动提出：后进和连续后进单位、突增和持续高频点位、超期未办结和重复诉求多的单位、诉求量上升的每月一题。")
with guarded("建议议题"):
    pending = agenda.pending(cache.propose(period, rules), items)
    if pending.empty:
        st.info("没有新的建议议题：数据提出的事项都已在议程中。")
    elif editable:
        ticked = agenda_ui.proposal_picker(pending, names, key=f"proposals_{meeting['id']}_{revision}")
        if st.button(f"采纳选中的 {len(ticked)} 项建议", type="primary", key="proposals_accept", disabled=not ticked):
            agenda.accept(cache.engine(), meeting["id"], pending.iloc[ticked], user=user.name)
            agenda_ui.after_change(f"已将 {len(ticked)} 项建议加入议程。")
    else:
        st.dataframe(fmt.table(agenda_ui.proposal_table(pending, names), ["item_kind", "item", "reason", "owner_unit"]),
                     hide_index=True, placeholder=agenda_ui.EMPTY)

# --- follow-up of the last meeting of the same kind (督办) ---
st.header("上次会议事项督办")
with guarded("督办"):
    previous = agenda_ui.previous_of(meeting)
    if previous is None:
        st.info(f"没有更早的{meeting['kind']}，本次会议无需督办。")
    else:
        st.caption(f"上次会议：{plain(agenda_ui.meeting_label(previous))}。对照本次考核期 {period.label} 的数字。")
        followed = cache.follow_up(agenda_ui.items_of(previous["id"]), period, rules)
        if followed.empty:
            st.info("上次会议没有议程事项。")
        else:
            shown = followed.assign(item_kind=followed["kind"].map(store.ITEM_KINDS), item=followed["label"],
                                    owner_unit=followed["owner_unit_id"].map(names).fillna(agenda_ui.EMPTY),
                                    due_date=followed["due_date"].fillna(agenda_ui.EMPTY))
            st.dataframe(fmt.table(shown, FOLLOW_UP_COLUMNS).map(
                lambda v: f"background-color: {VERDICT_COLOURS[v]}" if v in VERDICT_COLOURS else "",
                subset=["进展"]), hide_index=True)
            unresolved = followed["verdict"].isin([agenda.WORSE, agenda.SAME]).sum()
            if editable and unresolved and st.button(f"将 {unresolved} 项未见好转的事项转入本次议程",
                                                     key="follow_carry"):
                agenda.carry_over(cache.engine(), meeting["id"], followed, user=user.name)
                agenda_ui.after_change(f"已转入 {unresolved} 项。")

# --- the briefing to hand out ---
st.header("会议材料")
files_key = f"briefing_{meeting['id']}"
if st.button("生成会议材料（Word + Excel）", key="briefing_make",
             help="含本期概况、成绩排名、流动红旗、后进单位失分分析、高频点位地图、类别走势、议程和督办。"):
    with guarded("会议材料"), st.spinner("正在生成会议材料……"):
        st.session_state[files_key] = agenda_ui.briefing_files(meeting, rules, user)
if files_key in st.session_state:
    made = st.session_state[files_key]
    left, right = st.columns(2, width=480)
    left.download_button("下载 Word 简报", made["docx"][0], file_name=made["docx"][1], mime=DOCX_MIME,
                         key="briefing_docx", on_click="ignore")
    right.download_button("下载 Excel 表格", made["xlsx"][0], file_name=made["xlsx"][1], mime=XLSX_MIME,
                          key="briefing_xlsx", on_click="ignore")
