"""预警 — what is coming before anyone calls? (未诉先办) Expected volumes of the coming weeks and months by
category and street with their interval and measured backtest error, surges, seasonal topics learned from past
years, and the places and units that carried each a year before, to check in advance or put on a meeting's agenda."""
import pandas as pd
import streamlit as st

from reports.daily import build_daily_docx, gather_daily
from ui import cache, rules_choice
from ui.agenda import DOCX_MIME
from ui import format as fmt
from ui.agenda import add_to_agenda_button
from ui.auth import current_user
from ui.panel import guarded
from ui.plain import plain

BY_LABELS = {"cat_l2": "按类别（二级分类）", "street": "按街道"}
FREQ_LABELS = {"W": "未来 4 周（按周）", "M": "本月和下月（按月）"}
HORIZON = {"W": 4, "M": 2}
NUMBERS = ["forecast", "low", "high", "baseline", "recent"]
TABLE_COLUMNS = ["key", *NUMBERS, "surge", "backtest_wape", "baseline_wape", "naive_wape", "status"]
SURGE_COLUMNS = ["key", "period_label", "forecast", "low", "high", "recent", "backtest_wape", "baseline_wape"]
TOPIC_COLUMNS = ["key", "month_label", "season_index", "arriving", "last_year"]
PROJECTION_COLUMNS = ["unit_name", "score_so_far", "projected_score", "low", "high", "target", "gap_cases",
                      "projected_resolution", "target_resolution", "projected_satisfaction", "target_satisfaction",
                      "off_target"]
RATE_LINES = {"resolution_so_far": "本月至今解决率", "target_resolution": "目标解决率",
              "satisfaction_so_far": "本月至今满意率", "target_satisfaction": "目标满意率"}
BACKTEST_TEXTS = {"day": "预测日（每月第几天）", "months": "回测月数", "units": "单位·月数", "projection_mae": "预测平均误差（分）",
                  "so_far_mae": "“至今成绩”平均误差（分）", "covered": "落在区间内的比例"}

user = current_user()
if user.role == "unit":
    st.info("预警页面面向区领导和中心工作人员。")
    st.stop()
rules = rules_choice.choose()
level = rules.get("warning.interval")

st.title("预警（未诉先办）")
st.caption(f"用往期每周、每月的诉求量预测未来，给出 {level * 100:g}% 预测区间。每个预测旁边都列出它在往期回测中的"
           "误差，并与“去年同期法”“上期值法”的误差对照：模型误差更小时才更值得信；历史太短的显示“数据不足”。")

# --- view options ---
left, right = st.columns(2)
by = left.segmented_control("预测对象", list(BY_LABELS), format_func=BY_LABELS.get, default="cat_l2",
                            required=True, key="wn_by")
freq = right.segmented_control("时间", list(FREQ_LABELS), format_func=FREQ_LABELS.get, default="W",
                               required=True, key="wn_freq")
key_text = {"key": "二级分类" if by == "cat_l2" else "所属街道", "period_label": "时段", "month_label": "月份"}

# --- data ---
frame = pd.DataFrame()
with guarded("诉求量预测"):
    frame = cache.forecasts(rules, by=by, freq=freq, horizon=HORIZON[freq])
if frame.empty:   # no case at all, or no complete week / month of cases with this field
    st.info("数据库中还没有工单，无法预测。" if cache.data_days(rules.basis) is None else
            f"还没有一个完整的{'周' if freq == 'W' else '月'}带{key_text['key']}的工单：数据不足，无法预测。")
    st.stop()
shown = frame.assign(**{c: frame[c].round() for c in NUMBERS})
periods = list(dict.fromkeys(shown["period_label"]))

# --- surges ---
st.subheader("突增预警")
surges = shown[shown["surge"]]
st.caption(f"预测诉求量达到近期水平的 {rules.get('warning.surge_ratio'):g} 倍且不少于 "
           f"{rules.get('warning.min_cases')} 件。")
if surges.empty:
    st.info("预测期内没有突增的类别或街道。")
else:
    fmt.show(surges, SURGE_COLUMNS, texts=key_text)

# --- seasonal topics (categories, by month) ---
st.subheader("季节性议题")
topics = pd.DataFrame()
with guarded("季节性议题"):
    topics = cache.seasonal_topics(rules)
if topics.empty:
    st.info("没有即将到来的季节性议题（需要至少一整年的历史才能从往年学习季节）。")
else:
    st.caption(f"从往年数据学到：这些类别在下个月的诉求量达到当年月均的 {rules.get('warning.season_ratio'):g} 倍以上。")
    fmt.show(topics.assign(season_index=topics["season_index"].round(2)), TOPIC_COLUMNS,
             texts={**key_text, "key": "二级分类"})

# --- every forecast of one period ---
st.subheader("预测明细")
picked_period = st.selectbox("时段", periods, key=f"wn_period_{freq}")
one = shown[shown["period_label"] == picked_period]
fmt.show(one, TABLE_COLUMNS, texts=key_text)
ok = one[one["status"] == "ok"]
if not ok.empty:
    st.caption(f"{len(ok)} 个{key_text['key']}有预测；{len(one) - len(ok)} 个历史太短（数据不足）。模型回测误差小于去年同期法的有 "
               f"{int((ok['backtest_wape'] < ok['baseline_wape']).sum())} 个，小于上期值法的有 "
               f"{int((ok['backtest_wape'] < ok['naive_wape']).sum())} 个。")

# --- 提前排查: the places and units of last year, and the agenda ---
st.subheader("提前排查")
flagged = list(dict.fromkeys([*surges["key"], *(topics["key"] if by == "cat_l2" and not topics.empty else [])]))
choices = flagged or list(one["key"])
picked = st.selectbox(f"选择{key_text['key']}", choices, key=f"wn_pick_{by}",
                      help="默认列出突增和季节性议题；没有时列出全部。")
if picked is not None:
    row = shown[(shown["key"] == picked) & (shown["period_label"] == picked_period)].iloc[0]
    with guarded("往年同期点位"):
        found = cache.carriers(by, picked, row["period"])
        st.caption(f"{plain(picked)}在去年同期（{found['period']}）诉求最多的地点和承办单位。")
        places, units = st.columns(2)
        with places:
            if found["places"].empty:
                st.info("去年同期没有记录到地址。")
            else:
                st.dataframe(found["places"].rename(columns={"address": "诉求地址", "street": "所属街道", "n": "工单数"}),
                             hide_index=True)
        with units:
            if found["units"].empty:
                st.info("去年同期没有工单。")
            else:
                st.dataframe(found["units"].rename(columns={"unit_name": "承办单位", "n": "工单数"}), hide_index=True)
    forecast = "数据不足" if row["status"] != "ok" else f"{row['forecast']:.0f} 件（{row['low']:.0f}–{row['high']:.0f}）"
    add_to_agenda_button("note", f"warning:{by}:{picked}", f"预警：{picked}", key=f"wn_agenda_{by}_{picked}",
                         reason=f"{row['period_label']}预计 {forecast}，近期每期 {row['recent']:.0f} 件；"
                                f"模型回测误差 {fmt.value('backtest_wape', row['backtest_wape'])}，"
                                f"去年同期法 {fmt.value('baseline_wape', row['baseline_wape'])}")

# --- month-end projection of every unit's score ---
st.subheader("月末成绩预测")
days = cache.data_days(rules.basis)
if days is None:
    st.stop()
with guarded("月末成绩预测"):
    projected = cache.projections(rules, days[1])
    if projected.empty:
        st.info("本月还没有工单，无法预测月末成绩。")
    else:
        st.caption(f"依据 {days[1]:%Y-%m-%d} 为止的本月工单，按各单位近 3 个月的情况推算尚待回访和本月剩余的工单；"
                   f"各单位本月目标（数据管理 → 单位目标；未设的按评分规则：成绩 {rules.get('targets.score'):g} 分、"
                   f"解决率 {rules.get('targets.resolution'):.0%}、满意率 {rules.get('targets.satisfaction'):.0%}），"
                   f"预测有一项低于目标的 {int(projected['off_target'].sum())} 个；成绩低于目标的给出差几件"
                   "（把失分工单办成解决且满意所需的件数）。")
        fmt.show(projected.assign(low=projected["low"].round(2), high=projected["high"].round(2)),
                 PROJECTION_COLUMNS, texts={"low": "下限", "high": "上限"})
        # the daily progress line of one unit against its target (the lowest projection first)
        unit = st.selectbox("每日进度：选择单位", list(projected["unit_name"]), key="wn_progress_unit")
        daily = cache.progress(rules, days[1])
        line = daily[daily["unit_name"] == unit].set_index("day")
        score_line, rate_line = st.columns(2)
        score_line.line_chart(line[["score_so_far", "target"]].rename(
            columns={"score_so_far": "本月至今成绩", "target": "目标成绩"}), height=220)
        rate_line.line_chart(line[[*RATE_LINES]].rename(columns=RATE_LINES) * 100, height=220)
        st.caption(f"截至 {days[1]:%m月%d日}，本月至今成绩、解决率或满意率有一项低于目标的单位 "
                   f"{int(daily[daily['day'] == days[1]]['behind'].sum())} 个（右图为百分比）。")
if st.toggle("显示月末预测的回测误差（首次计算较慢）", key="wn_projection_backtest"):
    with guarded("月末预测回测"):
        measured = cache.projection_backtest(rules)
        st.caption("在每个已结束的月份，从第 10 天、第 20 天的数据预测月末成绩，与实际月末成绩比较；"
                   "对照“至今成绩”（直接拿月初至今的成绩当月末成绩）的误差。")
        st.dataframe(measured.rename(columns=BACKTEST_TEXTS).round(3), hide_index=True)

# --- 每日专报 (.docx) of the last day with data ---
st.subheader("每日专报")
if st.button(f"生成 {days[1]:%Y-%m-%d} 的每日专报", key="wn_daily"):
    with guarded("每日专报"):
        content = build_daily_docx(gather_daily(cache.engine(), rules, days[1]))
        st.download_button("下载每日专报（Word）", content, file_name=f"每日专报_{days[1]:%Y%m%d}.docx", mime=DOCX_MIME,
                           key="wn_daily_download")
