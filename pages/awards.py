"""流动红旗 — who earns the flag? This period's 红旗 and 进步奖 per group, the printable award list, and the flag
history with streaks."""
import streamlit as st

from metrics.awards import PROGRESS, RED_FLAG
from metrics.periods import trailing
from metrics.registry import format_value, label
from metrics.scores import group_order
from ui import cache, filters
from ui.auth import current_user
from ui.export import download_buttons
from ui.panel import guarded
from ui.plain import plain

HISTORY_PERIODS = 12
EXPORT_COLUMNS = ["group", "award", "unit_name", "rank", "adjusted_score", "rank_gain"]


def award_line(row) -> str:
    """One winner on the printable list (markdown): name, score and rank (and the places gained for 进步奖)."""
    text = (f"{plain(row['unit_name'])}（{label('adjusted_score')} {format_value('adjusted_score', row['adjusted_score'])}，"
            f"第 {row['rank']} 名")
    if row["award"] == PROGRESS:
        text += f"，名次提升 {row['rank_gain']} 位"
    return text + "）"


def winners(won, group: str, award: str) -> list[str]:
    return [award_line(r) for _, r in won[(won["group"] == group) & (won["award"] == award)].iterrows()]


def award_list(won, groups: list[str], title: str) -> str:
    """The award list as Markdown, group by group, ready to print or read out."""
    lines = [f"### {title}"]
    for group in groups:
        lines.append(f"**{group}**")
        lines += [f"- {award}：{'；'.join(winners(won, group, award)) or '本期无'}" for award in (RED_FLAG, PROGRESS)]
    return "\n".join(lines)


user = current_user()
f = filters.sidebar(user)
rules = f.rules
st.title("流动红旗")
st.caption(f"{f.period.label} · 红旗：每组排名前 {rules.get('awards.top_n')} 名且综合成绩不低于 "
           f"{rules.get('awards.min_score')}（并列同享）；进步奖：两期都参与排名、未获红旗的单位中名次提升最多者，"
           f"至少提升 {rules.get('awards.min_rank_gain')} 位。")

# --- this period's winners, one column per group ---
with guarded("本期获奖"):
    won, _ = cache.awards_and_history(f.period, rules, trailing(f.period, HISTORY_PERIODS))
    groups = group_order(rules)
    for column, group in zip(st.columns(len(groups)), groups):
        with column.container(border=True):
            st.subheader(group)
            for award in (RED_FLAG, PROGRESS):
                st.markdown(f"**{award}**\n" + ("\n".join(f"- {w}" for w in winners(won, group, award)) or "本期无"))

    # --- the printable award list and its export ---
    with st.expander("获奖名单（打印版）", expanded=False):
        st.markdown(award_list(won, groups, f"{f.period.label} 流动红旗获奖名单"))
        download_buttons(won, EXPORT_COLUMNS, f"流动红旗_{f.period.key}", key="awards_export", user=user)

# --- flag history: who held the flag in each of the last periods, and current streaks ---
st.subheader(f"红旗历史（近 {HISTORY_PERIODS} 期）")
with guarded("红旗历史"):
    _, history = cache.awards_and_history(f.period, rules, trailing(f.period, HISTORY_PERIODS))  # cached above
    if history.empty:
        st.info("近期没有单位获得流动红旗。")
    else:
        holders = (history.assign(holder=history["unit_name"] + history["streak"].map(
            lambda s: f"（连续 {s} 期）" if s > 1 else ""))
            .groupby(["period", "period_label", "group"], sort=False)["holder"].agg("、".join)
            .unstack("group").reindex(columns=[g for g in groups if g in set(history["group"])]))
        holders = holders.sort_index(level="period", ascending=False).droplevel("period")
        st.dataframe(holders.rename_axis(index=label("period_label"), columns=None), placeholder="—")
        current = history[(history["period"] == f.period.key) & (history["streak"] > 1)]
        if not current.empty:
            st.success("连续获旗：" + "；".join(f"{plain(n)} 连续 {s} 期" for n, s in
                                             zip(current["unit_name"], current["streak"])))
