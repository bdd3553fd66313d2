"""月度成绩 — what exactly did each unit score? The full score table (METRICS.md §3–4) for a period and group: tiers
coloured, units not ranked listed apart with their reason, a unit's assessed cases on row selection, export."""
import streamlit as st

from metrics.registry import label
from ui import cache, filters
from ui import format as fmt
from ui.auth import current_user
from ui.cases import show_cases
from ui.export import download_buttons
from ui.panel import guarded
from ui.plain import plain

RANKED_COLUMNS = ["rank", "unit_name", "volume", "assessed", "response_rate", "resolution_rate",
                  "satisfaction_rate", "raw_score", "adjustment", "adjusted_score", "tier", "prev_score",
                  "change", "move", "first_double_yes_rate", "on_time_close_rate"]
NOT_RANKED_COLUMNS = ["unit_name", "group", "volume", "assessed", "response_rate", "resolution_rate",
                      "satisfaction_rate", "raw_score", "not_ranked_reason"]
EXPORT_COLUMNS = ["unit_code", "unit_name", "unit_type", "group", "volume", "assessed", "on_time_response",
                  "solved_rated", "satisfaction_rated", "response_rate", "resolution_rate", "satisfaction_rate",
                  "raw_score", "adjustment", "adjusted_score", "rank", "tier", "ranked", "not_ranked_reason",
                  "prev_score", "prev_rank", "score_change", "rank_change", "yoy_score", "first_double_yes_rate",
                  "on_time_close_rate"]
# What a unit user sees of other units: name and score only (DESIGN.md, access); its own row in full.
PUBLIC_RANKED = ["rank", "unit_name", "adjusted_score", "tier", "move"]
PUBLIC_NOT_RANKED = ["unit_name", "group", "not_ranked_reason"]
PUBLIC_EXPORT = ["unit_name", "group", "rank", "adjusted_score", "tier", "ranked", "not_ranked_reason"]
MOVES = {"change": label("score_change"), "move": label("rank_change")}

user = current_user()
public_only = user.role == "unit"
f = filters.sidebar(user, "group")
st.title("月度成绩")
st.caption(f"{f.period.label} · {f.group or '全部分组'} · 综合成绩 = 原始成绩 + 加减分；点选一行查看该单位的参评工单")

with guarded("成绩表"):
    scores = cache.unit_scores(f.period, f.rules, group=f.group)
    scores["change"] = scores["score_change"].map(fmt.signed)
    scores["move"] = scores["rank_change"].map(fmt.rank_move)
    ranked = scores[scores["ranked"]]

    # --- a unit user's own row in full ---
    if public_only:
        st.subheader("本单位")
        fmt.show(scores[scores["unit_id"] == user.unit_id], RANKED_COLUMNS, texts=MOVES)

    # --- one table per ranking group; selecting a row opens that unit's assessed cases ---
    for group, members in ranked.groupby("group", sort=False):
        st.subheader(f"{group}（{len(members)} 个单位参与排名）")
        event = fmt.show(members, PUBLIC_RANKED if public_only else RANKED_COLUMNS, texts=MOVES, on_select="rerun",
                         selection_mode="single-row", key=f"scores_{group}",
                         height="content")  # every unit of the group on the projector, no scrolling inside
        if event.selection.rows:
            unit = members.iloc[event.selection.rows[0]]
            st.markdown(f"**{plain(unit['unit_name'])}** · {f.period.label} 参评工单 {unit['assessed']} 件")
            show_cases(filters.case_filter(f, unit_id=int(unit["unit_id"]), excluded=False), key=f"cases_{group}")

    # --- units not ranked, with the reason ---
    not_ranked = scores[~scores["ranked"]]
    if not not_ranked.empty:
        st.subheader(f"不参与排名（{len(not_ranked)} 个单位）")
        min_assessed = f.rules.get("ranking.min_assessed")
        st.caption(f"参评量少于 {min_assessed} 件、没有参评工单或没有回访评价的单位不参与排名。")
        fmt.show(not_ranked, PUBLIC_NOT_RANKED if public_only else NOT_RANKED_COLUMNS, height="content")
    if scores.empty:
        st.info("本期没有可显示的单位。")

    # --- export: every unit, every column (for a unit user: what it sees), at full precision ---
    download_buttons(scores, PUBLIC_EXPORT if public_only else EXPORT_COLUMNS, f"月度成绩_{f.period.key}",
                     key="scores_export", user=user)
