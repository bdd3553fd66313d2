"""总览 — how are we doing? KPI cards with 环比, the score trend with its target line, the top categories and their
change, and the 每月一题 topics."""
import streamlit as st

import charts
from metrics.periods import trailing
from metrics.registry import label
from ui import cache, chart_view, filters, kpi
from ui import format as fmt
from ui.auth import current_user
from ui.cases import drill_button
from ui.panel import guarded

KPI_KEYS = ["volume", "response_rate", "resolution_rate", "satisfaction_rate", "raw_score"]
TREND_PERIODS = 13
TOPIC_TAG = "每月一题"

user = current_user()
f = filters.sidebar(user)
partial = filters.in_progress(f)
st.title("总览")
st.caption(f"{f.period.label}{partial} · 全区")

# --- KPI cards (the district has no 加减分, so its 综合成绩 is its 原始成绩) ---
with guarded("核心指标"):
    summary = cache.district_summary(f.period, f.rules)
    helps = {"raw_score": "全区综合成绩：全区全部工单按评分规则算出的三率加权成绩（全区不计加减分）。"}
    if partial:  # a month under way has fewer cases than a whole one: its volume gets no 环比, its rates do
        summary = dict(summary, prev_volume=None)
        helps["volume"] = f"本期尚未结束{partial}，诉求量不与上期整期比较。"
    kpi.cards(summary, KPI_KEYS, titles={"raw_score": label("adjusted_score")}, helps=helps,
              with_change=bool(summary["prev_assessed"]))  # no 环比 against a period without data
    drill_button(f"查看本期 {summary['volume']} 件工单", filters.case_filter(f), key="ov_volume",
                 title=f"{f.period.label} 全区工单")

# --- score trend over the last 13 periods, with the 优秀 line of the rules as target ---
st.subheader(f"综合成绩走势（近 {TREND_PERIODS} 期）")
with guarded("成绩走势"):
    trend = cache.score_trend(trailing(f.period, TREND_PERIODS), f.rules)
    trend = trend[trend["volume"].cumsum() > 0]  # leave out the periods before the first data
    tier_name, tier_line = next(iter(f.rules["tiers"].items()))
    chart_view.show(charts.score_trend, trend, target=tier_line, target_label=f"{tier_name}线")

left, right = st.columns(2)

# --- top categories and their change against the previous period ---
with left:
    st.subheader("诉求类别（前十）")
    with guarded("诉求类别"):
        mix = cache.category_mix(f.period, filters.case_filter(f))
        if mix["volume"].sum() == 0:
            st.info("本期没有工单。")
        else:
            chart_view.show(charts.category_mix, mix)

# --- 每月一题: the tagged cases over the last periods, and this period's topics ---
with right:
    st.subheader(TOPIC_TAG)
    with guarded(TOPIC_TAG):
        tagged = cache.tag_trend(trailing(f.period, TREND_PERIODS), tag=TOPIC_TAG, rules=f.rules)
        if not tagged.empty:
            tagged = tagged[tagged["volume"].cumsum() > 0]
        if tagged.empty:
            st.info(f"近 {TREND_PERIODS} 期没有标注“{TOPIC_TAG}”的工单。")
        else:
            chart_view.show(charts.volume_trend, tagged)
            topics = cache.category_mix(f.period, filters.case_filter(f, tag=TOPIC_TAG), by="cat_l2")
            topics = topics[topics["volume"] > 0].rename(columns={"change": "volume_change"})
            fmt.show(topics, ["cat_l2", "volume", "prev_volume", "volume_change"])
