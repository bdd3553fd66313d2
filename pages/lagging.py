"""后进会诊 — why does a unit lag and what would fix it? The watchlist of 连续后进, then for one unit: points lost
per rate, loss by category and community, the 失分工单 (错题本) with Δ, 差几件 to a target, repeat callers, trend."""
import pandas as pd
import streamlit as st

import charts
from metrics.periods import trailing
from metrics.registry import label
from metrics.scores import of_group, trend_of_units
from ui import cache, chart_view, filters
from ui import format as fmt
from ui.agenda import add_to_agenda_button
from ui.auth import current_user
from ui.cases import PAGE_SIZE, current_page, show_page
from ui.panel import guarded
from ui.plain import plain

WATCH_COLUMNS = ["group", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]
LOST_COLUMNS = ["case_no", "cost", "on_time", "solved", "satisfaction", "cat_l1", "cat_l2", "community",
                "received_at"]
TREND_PERIODS = 13
UNKNOWN = "（未填）"

user = current_user()
f = filters.sidebar(user, "group", "unit")
bottom_n, consecutive = f.rules.get("lagging.bottom_n"), f.rules.get("lagging.consecutive")
st.title("后进会诊")
st.caption(f"{f.period.label} · 每组参与排名的单位中最后 {bottom_n} 名为后进单位，"
           f"连续 {consecutive} 期后进列入会诊名单")

# --- the watchlist ---
# One cached reading gives the watchlist, every unit's scores (which the loss panels below reuse instead of
# counting again) and the trend.
lagging = scores = all_scores = trends = None
with guarded("后进名单"):
    lagging, all_scores, trends = cache.lagging_review(f.period, f.rules, trailing(f.period, TREND_PERIODS))
    lagging = lagging[lagging["group"] == f.group] if f.group else lagging
    scores = of_group(all_scores, f.group)
    st.subheader("后进单位")
    if lagging.empty:
        st.info(f"本期没有后进单位（一组参与排名的单位多于 {2 * bottom_n} 个时才评后进）。")
    else:
        st.dataframe(fmt.table(lagging, WATCH_COLUMNS), hide_index=True)
if scores is None:
    st.stop()

# --- the unit to examine: the filtered unit, else one of the lagging (watchlist first), else any ranked ---
names = dict(zip(scores["unit_id"], scores["unit_name"]))
if f.unit_id:
    unit = f.unit_id
else:
    watch_first = lagging.sort_values("watchlist", ascending=False, kind="stable")["unit_id"]
    worst_first = scores[scores["ranked"]].sort_values("adjusted_score")["unit_id"]
    options = list(dict.fromkeys([*watch_first, *worst_first]))
    if not options:
        st.info("本期没有参与排名的单位。")
        st.stop()
    unit = st.selectbox("会诊单位", options, format_func=names.get, key="lag_unit")
unit_name = names.get(unit, "")

# --- score, 差几件 to a target (default: the lowest red-flag score of the group); onto the agenda ---
st.header(f"{plain(unit_name)} · 失分分析")
watched = lagging[lagging["unit_id"] == unit]
add_to_agenda_button("unit", unit, unit_name, key=f"lag_agenda_{unit}", owner_unit_id=unit,
                     reason=f"连续后进 {watched['lagging_periods'].iloc[0]} 期" if len(watched) else "后进会诊")
summary = None
with guarded("失分概况"):
    summary = cache.lost_summary(f.period, f.rules, unit, scores=all_scores)
    target = st.number_input("目标成绩", min_value=0.0, max_value=200.0, value=summary["target"], step=0.5,
                             format="%.2f", key=f"lag_target_{unit}_{f.period.key}", width=240,
                             placeholder="输入目标成绩",
                             help="默认是本组流动红旗的最低成绩；可输入其他目标，看至少要办好几件失分工单。")
    if target is not None and target != summary["target"]:
        summary = cache.lost_summary(f.period, f.rules, unit, target=target, scores=all_scores)
    gap = summary["gap_cases"]
    cols = st.columns(4)
    cols[0].metric(label("adjusted_score"), fmt.value("adjusted_score", summary["adjusted_score"]), border=True)
    cols[1].metric("失分合计", fmt.value("lost_points", summary["lost_total"]), border=True,
                   help=label("cost") + "之和 = 100 − " + label("raw_score"))
    cols[2].metric("失分工单", f"{summary['lost_cases']} 件", border=True)
    cols[3].metric(label("gap_cases"), "—" if gap is None else f"{gap} 件", border=True,
                   help=f"要达到 {fmt.value('adjusted_score', summary['target'])} 分，至少需办成按时、解决、满意的失分工单件数。"
                   if summary["target"] is not None else "本组本期没有流动红旗，请输入目标成绩。")

if summary is None:
    st.stop()

# --- where the points went: per rate, by category, by community ---
per_rate, by_category, by_community = st.columns(3)
with guarded("各率失分"):
    lost = summary["points_lost"]  # the rates the rules weight
    rates = pd.DataFrame({"rate": [label(r) for r in lost], "lost_points": list(lost.values())}).dropna()
    per_rate.markdown("**各率失分**")
    chart_view.show(charts.loss_by_category, rates, by="rate", value="lost_points", where=per_rate)
for column, by, title in ((by_category, "cat_l1", "按一级分类"), (by_community, "community", "按社区")):
    with guarded(f"失分{title}"):
        losses = cache.loss_by(f.period, f.rules, unit, by=by, scores=all_scores)
        column.markdown(f"**失分{title}**")
        chart_view.show(charts.loss_by_category, losses.fillna({by: UNKNOWN}), by=by, where=column)

# --- 失分工单 (错题本), largest Δ first ---
st.subheader("失分工单（错题本）")
with guarded("失分工单"):
    page = current_page("lag_lost")
    lost = cache.lost_cases(f.period, f.rules, unit, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                            scores=all_scores)
    show_page(lost, summary["lost_cases"], LOST_COLUMNS, "lag_lost", user,
              name=f"失分工单_{unit_name}_{f.period.key}")

# --- repeat callers (masked) ---
st.subheader("高频诉求人")
with guarded("高频诉求人"):
    callers = cache.frequent_callers(f.period, f.rules, unit_id=unit)
    if callers.empty:
        st.info(f"本期没有来电达 {f.rules.get('repeat.frequent_caller_min')} 次的诉求人。")
    else:
        st.dataframe(fmt.table(callers, list(callers.columns)), hide_index=True)

# --- trend over 13 periods, with the target ---
st.subheader("成绩走势")
with guarded("成绩走势"):
    trend = trend_of_units(trends, (unit,))
    chart_view.show(charts.score_trend, trend, target=summary["target"])
