"""排名 — who moved? The rank table with change arrows, the rank over time of chosen units, and 档次 for the
bi-monthly review."""
import pandas as pd
import streamlit as st

import charts
from metrics.periods import trailing
from metrics.registry import label
from metrics.scores import of_group, trend_of_units
from ui import cache, chart_view, filters
from ui import format as fmt
from ui.auth import current_user
from ui.panel import guarded

TABLE_COLUMNS = ["rank", "move", "unit_name", "adjusted_score", "change", "prev_rank"]
TREND_PERIODS = 13
DEFAULT_CHOSEN = 3
MOVES = {"change": label("score_change"), "move": label("rank_change")}


@st.fragment
def rank_trend(f: filters.Filters, ranked: pd.DataFrame) -> None:
    """The rank chart of the chosen units; changing the choice reruns this panel only."""
    with guarded("名次走势"):
        names = dict(zip(ranked["unit_id"], ranked["unit_name"]))
        default = [f.unit_id] if f.unit_id in names else list(ranked["unit_id"][:DEFAULT_CHOSEN])
        chosen = st.multiselect("选择单位", list(names), default=default, format_func=names.get, key="rank_units")
        if not chosen:
            st.info("请选择要比较的单位。")
            return
        _, trend = cache.scores_and_trend(f.period, f.rules, trailing(f.period, TREND_PERIODS))
        trend = trend_of_units(trend, chosen)
        chart_view.show(charts.rank_over_time, trend[trend["unit_id"].notna()])


user = current_user()
f = filters.sidebar(user, "group", "unit")
bimonthly = f.ptype == "bimonth"
st.title("排名")
st.caption(f"{f.period.label} · {f.group or '全部分组'} · 名次变化与上一期相比（↑ 上升、↓ 下降、新 = 上期未参与排名）")

ranked = pd.DataFrame(columns=["unit_id", "unit_name"])
with guarded("排名表"):
    scores, _ = cache.scores_and_trend(f.period, f.rules, trailing(f.period, TREND_PERIODS))
    scores = of_group(scores, f.group)
    ranked = scores[scores["ranked"]].assign(move=lambda d: d["rank_change"].map(fmt.rank_move),
                                             change=lambda d: d["score_change"].map(fmt.signed))
    columns = TABLE_COLUMNS + (["tier"] if bimonthly else [])

    # --- 档次 of the bi-monthly review: how many units in each tier ---
    if bimonthly:
        tiers = [*f.rules["tiers"], "较差"]
        counts = ranked["tier"].value_counts()
        for column, tier in zip(st.columns(len(tiers)), tiers):
            column.metric(f"{tier}档", f"{int(counts.get(tier, 0))} 个单位", border=True)

    # --- the rank table, one per group ---
    for group, members in ranked.groupby("group", sort=False):
        st.subheader(group)
        fmt.show(members, columns, texts=MOVES, height="content")  # the bottom ranks visible without scrolling
    if ranked.empty:
        st.info("本期没有参与排名的单位。")

# --- rank over time for chosen units (the filtered unit, else the current top three) ---
st.subheader(f"名次走势（近 {TREND_PERIODS} 期）")
rank_trend(f, ranked)
