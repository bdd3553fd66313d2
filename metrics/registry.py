"""Every metric the dashboard shows, declared once: key, Chinese label, description, unit, better direction, format.

The KPI cards, chart titles, table and export headers, and the glossary on the 评分规则 page all read from here.
`METRICS` holds the measures; `FIELDS` holds the descriptive columns that tables and exports carry beside them
(unit name, group, reasons …), so that every column printed anywhere has one label and one description.

`RATES` is the semantic layer of the score (METRICS.md §3): each scored rate as a numerator over a denominator
among the base counts (declared with their SQL in data_access/storage/measures.py), the key that weights it in
rules.weights, and what a unit lacks when it is null. Scores, ranks, not-ranked reasons, 失分 and 差几件 follow
the rates the rules weight; adding a rate is an entry here (and a count there if it needs a new one).
"""
from dataclasses import dataclass

from data_access.storage.measures import COUNT_COLUMNS

NO_DATA = "无数据"


@dataclass(frozen=True)
class Rate:
    weight: str            # its key in rules.weights
    key: str               # the rate's metric key (METRICS below)
    numerator: str         # base counts (data_access.storage.measures.COUNT_COLUMNS)
    denominator: str
    missing: str           # why a unit whose score weighs it is not ranked when it is null (METRICS.md §4)
    fields: tuple          # the input fields it reads (provided or not, METRICS.md §2)


RATES: dict[str, Rate] = {r.weight: r for r in (
    Rate("response", "response_rate", "on_time_response", "resp_base", "无响应数据", ("responded_at",)),
    Rate("resolution", "resolution_rate", "solved_credit_sum", "solved_rated", "无回访评价", ("solved",)),
    Rate("satisfaction", "satisfaction_rate", "satisfaction_credit_sum", "satisfaction_rated", "无回访评价",
         ("satisfaction",)),
    Rate("on_time_close", "on_time_close_rate", "on_time_close", "close_base", "无办结数据", ("closed_at",)),
    Rate("first_double_yes", "first_double_yes_rate", "fdy_num", "fdy_den", "无回访评价", ("solved", "satisfaction")),
)}
assert all({r.numerator, r.denominator} <= set(COUNT_COLUMNS) for r in RATES.values())


def weighted_rates(weights: dict[str, float]) -> list[Rate]:
    """The rates a score weighs (weight > 0), in RATES order."""
    return [r for key, r in RATES.items() if weights.get(key, 0) > 0]


def no_data_notices(missing_fields) -> list[str]:
    """For an import: which rates will read 无数据 because the file lacks their input column, in plain Chinese
    (e.g. 此文件没有响应时间列，响应率将显示为无数据)."""
    notices = []
    for name in missing_fields:
        rates = "、".join(METRICS[r.key].label for r in RATES.values() if name in r.fields)
        notices.append(f"此文件没有{FIELDS[name].label}列，{rates}将显示为无数据")
    return notices


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    description: str
    unit: str = ""
    better: str | None = None   # 'up' | 'down' | None
    fmt: str = "float"          # 'pct' | 'score' | 'int' | 'float' | 'text'
    kind: str = "count"         # 'count' | 'ratio' | 'derived' | 'indicator'; 'field' for FIELDS


def _m(key, label, description, unit="", better=None, fmt="float", kind="count") -> tuple[str, Metric]:
    return key, Metric(key, label, description, unit, better, fmt, kind)


def _f(key, label, description, fmt="text") -> tuple[str, Metric]:
    return key, Metric(key, label, description, fmt=fmt, kind="field")


METRICS: dict[str, Metric] = dict([
    # --- base counts (METRICS.md §2) ---
    _m("volume", "诉求量", "期内受理的全部工单数，含特例剔除的工单。", "件", None, "int"),
    _m("assessed", "参评量", "参与考核的工单数：诉求量减去特例剔除的工单。三率都以它为基础。", "件", None, "int"),
    _m("on_time_response", "按时响应量", "参评工单中在响应时限内（自派单时间起，无派单时间则自受理时间起）"
       "已响应的工单数；时限按紧急程度取自评分规则。", "件", "up", "int"),
    _m("solved_rated", "解决评价量", "参评工单中回访结果为解决、部分解决或未解决的工单数（解决率的分母）。", "件", None, "int"),
    _m("solved_credit_sum", "解决得分合计", "解决评价工单按评分规则折算的得分之和（解决率的分子）。", "分", "up", "float"),
    _m("satisfaction_rated", "满意评价量", "参评工单中回访结果为满意、基本满意或不满意的工单数（满意率的分母）；"
       "未评价和空白不计。", "件", None, "int"),
    _m("satisfaction_credit_sum", "满意得分合计", "满意评价工单按评分规则折算的得分之和（满意率的分子）。", "分", "up", "float"),
    _m("fdy_den", "双评价量", "既有解决评价又有满意评价的参评工单数（首办双肯率的分母）。", "件", None, "int"),
    _m("fdy_num", "首办双肯量", "双评价工单中只派单一次、解决且满意或基本满意的工单数。", "件", "up", "int"),
    _m("on_time_close", "按时办结量", "参评工单中在办结时限内办结的工单数；时限按办理时限类别取自评分规则。", "件", "up", "int"),
    _m("resp_base", "响应参评量", "参评工单中所属批次的文件含响应时间列的工单数（响应率的分母）。", "件", None, "int"),
    _m("close_base", "办结参评量", "参评工单中所属批次的文件含办结时间列的工单数（按时办结率的分母）。", "件", None, "int"),
    # --- rates and scores (§3) ---
    _m("response_rate", "响应率", "按时响应量 ÷ 响应参评量（导入文件没有响应时间列的工单不计）。分母为 0 时无数据。", "%",
       "up", "pct", "ratio"),
    _m("resolution_rate", "解决率", "解决评价工单的得分之和 ÷ 解决评价量（解决计 1、部分解决计 0.5、未解决计 0，"
       "以评分规则为准）。分母为 0 时无数据。", "%", "up", "pct", "ratio"),
    _m("satisfaction_rate", "满意率", "满意评价工单的得分之和 ÷ 满意评价量（满意、基本满意计 1，不满意计 0，"
       "以评分规则为准）。分母为 0 时无数据。", "%", "up", "pct", "ratio"),
    _m("raw_score", "原始成绩", "100 × Σ（权重 × 率），对评分规则 weights 所列的各率（默认响应率 10%、解决率 45%、"
       "满意率 45%，也可计入按时办结率、首办双肯率）；所计任一率无数据时无成绩。", "分", "up", "score", "derived"),
    _m("adjustment", "加减分", "中心录入的加分或减分之和，只计入录入时所填的那一个考核期（按期标识精确匹配，"
       "例如录入 2025-03 的加分不进入 2025-B2 双月成绩）。", "分", None, "score", "derived"),
    _m("adjusted_score", "综合成绩", "原始成绩 + 加减分。排名、档次、流动红旗和后进都按它计算。", "分", "up", "score",
       "derived"),
    # --- ranking and change (§4) ---
    _m("rank", "排名", "在本组（街乡镇 / 部门 / 企业）参与排名的单位中，按综合成绩四舍五入到两位小数后从高到低的名次；"
       "成绩相同名次相同，其后名次顺延（1、2、2、4）。", "名", "down", "int", "derived"),
    _m("tier", "档次", "按综合成绩（四舍五入到两位小数，与排名一致）对照评分规则的分数线得出：优秀、良好、一般、较差。"
       "只给参与排名的单位。", "", None, "text", "derived"),
    _m("prev_score", "上期成绩", "上一个同类考核期（上月、上双月……）的综合成绩（环比的基数）。", "分", "up", "score",
       "derived"),
    _m("prev_rank", "上期排名", "上一个同类考核期在本组的排名；上期未参与排名时为空。", "名", "down", "int", "derived"),
    _m("score_change", "成绩环比", "综合成绩 − 上期成绩；上期无成绩时为空（显示为“新”）。", "分", "up", "score", "derived"),
    _m("rank_change", "名次变化", "上期排名 − 本期排名，正数表示名次上升；任一期未参与排名时为空。", "名", "up", "int",
       "derived"),
    _m("yoy_score", "去年同期成绩", "去年同一考核期的综合成绩（同比的基数）。", "分", "up", "score", "derived"),
    # --- other indicators (§7) ---
    _m("first_double_yes_rate", "首办双肯率", "既有解决评价又有满意评价的参评工单中，只派单一次、解决且满意或基本满意的比例。",
       "%", "up", "pct", "ratio"),
    _m("on_time_close_rate", "按时办结率", "参评工单中在办结时限内办结的比例（时限自派单时间起算，按办理时限类别取自评分规则；"
       "导入文件没有办结时间列的工单不计）。", "%", "up", "pct", "ratio"),
    _m("per_10k", "万人诉求比", "按诉求所在街道统计的诉求量 ÷ 街道常住人口 × 10000；超过一个月的时间段折算为月均。",
       "件/万人", "down", "float", "indicator"),
    _m("repeats", "重复诉求量", "同一诉求人在评分规则所定天数内就同一二级分类再次来电的工单数。", "件", "down", "int",
       "indicator"),
    _m("repeat_rate", "重复诉求率", "重复诉求量 ÷ 诉求量。", "%", "down", "pct", "indicator"),
    _m("frequent_callers", "高频诉求人数", "期内来电次数达到评分规则所定次数的诉求人数（号码脱敏显示）。", "人", "down",
       "int", "indicator"),
    # --- lost points (§6) ---
    _m("lost_points", "失分", "某一率失去的分数：100 × 权重 × (1 − 该率)。所计各率之和等于 100 − 原始成绩。", "分", "down",
       "score", "derived"),
    _m("cost", "工单失分", "一件参评工单使本单位原始成绩少得的分数（Δ）；全部工单的失分之和等于 100 − 原始成绩。", "分",
       "down", "score", "derived"),
    _m("gap_cases", "差几件", "要达到目标成绩，至少需要把多少件失分最多的工单办成按时、解决、满意；做不到时显示“—”。",
       "件", "down", "int", "derived"),
    # --- awards and lagging (§5, §6) ---
    _m("rank_gain", "名次提升", "上期排名 − 本期排名（进步奖按它评定）。", "名", "up", "int", "derived"),
    _m("streak", "连续获旗", "截至该期连续获得流动红旗的期数（在所查看的时间段内计）。", "期", "up", "int", "derived"),
    _m("lagging_periods", "连续后进期数", "截至本期连续列为后进单位的期数（最多向前查 12 期）。", "期", "down", "int",
       "derived"),
    # --- hotspots (§7) ---
    _m("prev_volume", "上期诉求量", "上一个同类考核期的诉求量。", "件", None, "int"),
    _m("volume_change", "诉求量变化", "本期诉求量 − 上期诉求量。", "件", "down", "int", "derived"),
    # --- meetings and the briefing (additive, by MEETING) ---
    _m("response_lost", "响应率失分", "100 × 响应率权重 × (1 − 响应率)。", "分", "down", "score", "derived"),
    _m("resolution_lost", "解决率失分", "100 × 解决率权重 × (1 − 解决率)。", "分", "down", "score", "derived"),
    _m("satisfaction_lost", "满意率失分", "100 × 满意率权重 × (1 − 满意率)。", "分", "down", "score", "derived"),
    _m("on_time_close_lost", "按时办结率失分", "100 × 按时办结率权重 × (1 − 按时办结率)。", "分", "down", "score", "derived"),
    _m("first_double_yes_lost", "首办双肯率失分", "100 × 首办双肯率权重 × (1 − 首办双肯率)。", "分", "down", "score",
       "derived"),
    _m("lost_cases", "失分工单数", "参评工单中使成绩失分的工单件数（错题本的件数）。", "件", "down", "int", "derived"),
    _m("target", "目标成绩", "差几件所对照的成绩：后进会诊默认为本组流动红旗的最低综合成绩；月末成绩预测为评分规则所定的目标成绩。", "分", None, "score", "derived"),
    _m("overdue", "超期工单", "办结晚于办理时限，或至今未办结且已过时限的工单数（含特例剔除的工单）。", "件", "down", "int",
       "indicator"),
    _m("still_open", "未办结超期工单", "超期工单中至今仍未办结的件数。", "件", "down", "int", "indicator"),
    # --- 预警 (未诉先办): forecasts and their measured error ---
    _m("forecast", "预测诉求量", "该时段预计受理的工单数：指数平滑（ETS）、去年同期、两者平均、上期值中，按本对象往期回测误差最小者外推。", "件", None, "int",
       "indicator"),
    _m("low", "预测下限", "预测区间的下端：实际值低于它的可能约为（1 − 评分规则所定区间）的一半。", "件", None, "int",
       "indicator"),
    _m("high", "预测上限", "预测区间的上端：实际值高于它的可能约为（1 − 评分规则所定区间）的一半。", "件", None, "int",
       "indicator"),
    _m("baseline", "去年同期", "季节性朴素预测：一年前同一周或同一月的诉求量；历史不足一年时无数据。", "件", None, "int",
       "indicator"),
    _m("recent", "近期水平", "近 4 周（按周预测）或近 3 个月（按月预测）的平均诉求量，突增预警以它为基准。", "件", None,
       "int", "indicator"),
    _m("backtest_wape", "模型回测误差", "滚动回测：在没见过的往期上逐期预测（每期只按更早各期的误差选方法），Σ|实际 − 预测| ÷ Σ实际。越小越可信。",
       "", "down", "pct", "indicator"),
    _m("baseline_wape", "去年同期法误差", "同样的回测时段上，用去年同期值作预测的误差（Σ|实际 − 预测| ÷ Σ实际）。",
       "", "down", "pct", "indicator"),
    _m("score_so_far", "本月至今成绩", "月初到所选日期受理的工单按现有结果计算的综合成绩（含本月加减分）。", "分", "up", "score",
       "indicator"),
    _m("projected_score", "预测月末成绩", "按本单位近 3 个月的各率和评价比例，推算本月剩余及待回访工单后的月末综合成绩。", "分",
       "up", "score", "indicator"),
    _m("projected_resolution", "预测月末解决率", "按本单位近 3 个月的解决率和评价比例，推算本月剩余及待回访工单后的月末解决率。", "",
       "up", "pct", "indicator"),
    _m("projected_satisfaction", "预测月末满意率", "按本单位近 3 个月的满意率和评价比例，推算本月剩余及待回访工单后的月末满意率。", "",
       "up", "pct", "indicator"),
    _m("target_resolution", "目标解决率", "本单位本月的目标解决率（数据管理 → 单位目标；未设时按评分规则）。", "", None, "pct",
       "derived"),
    _m("target_satisfaction", "目标满意率", "本单位本月的目标满意率（数据管理 → 单位目标；未设时按评分规则）。", "", None, "pct",
       "derived"),
    _m("resolution_so_far", "本月至今解决率", "月初到该日受理且已回访评价的工单的解决率。", "", "up", "pct", "indicator"),
    _m("satisfaction_so_far", "本月至今满意率", "月初到该日受理且已回访评价的工单的满意率。", "", "up", "pct", "indicator"),
    _m("usual_volume", "同星期常量", "前 8 周同一星期几的平均诉求量（每日专报的对照）。", "件", None, "int", "indicator"),
    _m("vs_usual", "比常量增减", "当日诉求量 − 同星期常量。", "件", None, "int", "indicator"),
    _m("last_year", "往年同月诉求量", "最近一年里与即将到来的月份同月的诉求量。", "件", None, "int", "indicator"),
    _m("naive_wape", "上期值法误差", "同样的回测时段上，用最近一期的值作预测的误差。", "", "down", "pct", "indicator"),
])

FIELDS: dict[str, Metric] = dict([
    _f("period", "考核期", "时间段标识，例如 2025-03（月）、2025-B2（双月）、2025-Q1（季度）。"),
    _f("period_label", "时间段", "时间段的中文名称。"),
    _f("unit_id", "单位序号", "单位在数据库中的序号。", "int"),
    _f("unit_code", "单位编码", "承办单位的编码。"),
    _f("unit_name", "承办单位", "承办单位名称。"),
    _f("unit_type", "单位类型", "街道、乡镇、区级部门、国有企业或公共服务企业。"),
    _f("group", "排名分组", "同组单位一起排名：街道与乡镇为街乡镇，区级部门为部门，国有企业与公共服务企业为企业"
       "（以评分规则为准）。"),
    _f("ranked", "参与排名", "有综合成绩且参评量不少于评分规则所定件数的单位参与排名。"),
    _f("not_ranked_reason", "不参与排名原因", "无参评工单；或评分所计的某一率无数据，因而没有成绩（无回访评价、无响应数据、"
       "无办结数据）；或参评量不足。"),
    _f("award", "奖项", "流动红旗或进步奖。"),
    _f("watchlist", "连续后进", "连续后进期数达到评分规则所定期数的单位，列入会诊名单。"),
    _f("case_no", "工单编号", "工单的编号。"),
    # --- case fields, for case lists and their exports (DATA_FORMAT.md §1) ---
    _f("received_at", "受理时间", "热线受理工单的时间。"),
    _f("dispatched_at", "派单时间", "工单派给承办单位的时间；为空时响应时限自受理时间起算。"),
    _f("responded_at", "响应时间", "承办单位签收或首次联系诉求人的时间。"),
    _f("closed_at", "办结时间", "承办单位办结工单的时间。"),
    _f("callback_at", "回访时间", "热线回访诉求人的时间。"),
    _f("cat_l1", "一级分类", "问题分类的第一级。"),
    _f("cat_l2", "二级分类", "问题分类的第二级。"),
    _f("address", "诉求地址", "诉求人所报的地址。"),
    _f("street", "所属街道", "问题所在的街道（街乡镇），可能与承办单位不同。"),
    _f("community", "所属社区", "问题所在的社区。"),
    _f("urgency", "紧急程度", "紧急或一般；空白按一般计。"),
    _f("solved", "解决情况", "回访结果：解决、部分解决或未解决。"),
    _f("satisfaction", "满意度", "回访结果：满意、基本满意、不满意或未评价。"),
    _f("excluded", "特例剔除", "经审核剔除出考核的工单（仍计入诉求量）。"),
    _f("caller_masked", "来电号码", "诉求人号码，只显示脱敏后的形式（如 1*********8：只留首末两位）。"),
    _f("content", "诉求内容", "诉求人反映的内容；对无工单权限的角色，其中的电话和身份证号脱敏显示。"),
    _f("on_time", "按时响应", "该工单是否在响应时限内响应。"),
    _f("first_received_at", "首次来电", "期内该诉求人第一件工单的受理时间。"),
    _f("last_received_at", "最近来电", "期内该诉求人最近一件工单的受理时间。"),
    _f("response_hours", "响应用时（小时）", "自派单（无派单时间则自受理）到响应的整小时数，不足一小时按一小时计。", "int"),
    _f("cases", "工单数", "该分组中的工单件数。", "int"),
    # --- hotspot fields (METRICS.md §7) ---
    _f("label", "地点", "点位的名称：该地址（或网格内）最常用的地址写法。"),
    _f("top_categories", "主要类别", "该点位工单最多的一级分类（最多三个）。"),
    _f("hotspot_status", "点位状态", "高频：诉求量达到评分规则所定件数；突增：同时达到上期（上期有工单）的评分规则所定倍数；"
       "新增：高频且上期没有工单。数据库中本期之前没有任何工单时（第一个月的数据）不判断突增和新增，显示“无上期数据”。"),
    _f("new", "新增", "高频点位上期没有工单（数据库中本期之前有数据时才判断）。"),
    # --- meeting agenda and follow-up (additive, by MEETING) ---
    _f("position", "序号", "议程事项的次序。", "int"),
    _f("item_kind", "事项类型", "后进单位、高频点位、超期工单、重复诉求、每月一题或其他事项。"),
    _f("item", "议程事项", "会议要研究的单位、点位、工单或主题。"),
    _f("reason", "提出缘由", "列入议程的原因及当时的数字。"),
    _f("owner_unit", "责任单位", "负责落实会议决定的单位。"),
    _f("decision", "会议决定", "会议对该事项作出的决定。"),
    _f("due_date", "完成时限", "会议决定要求完成的日期。"),
    _f("item_source", "来源", "系统建议、人工添加，或上次会议未见好转而转入。"),
    _f("measure", "跟踪指标", "督办时对照的数字：单位看综合成绩，点位和主题看诉求量，超期工单看未办结件数。"),
    _f("before", "上次会议时", "列入议程时该指标的数值。"),
    _f("after", "本次会议时", "本次会议考核期内该指标的数值。"),
    _f("verdict", "进展", "好转、未好转、持平，或无可比数据。"),
    _f("detail", "变化情况", "该指标从上次会议到本次会议的变化。"),
    _f("metric", "指标", "指标名称。"),
    _f("current", "本期", "本期数值。"),
    _f("previous", "上期", "上一个同类时间段的数值。"),
    _f("change_text", "环比", "本期与上期相比的变化。"),
    # --- 诉求分析: clusters, hot words, suggested categories (metrics/text) ---
    _f("topic", "诉求主题", "一组说法相近的诉求（同一问题的不同说法），以其中最常见的写法命名；电话、身份证号和姓名已去除。"),
    _f("topic_size", "本期件数", "本期属于该主题的工单件数。", "int"),
    _f("prev_size", "上期件数", "上一个同类时间段属于该主题（或含该热词）的工单件数。", "int"),
    _f("increase", "增加件数", "本期件数减上期件数；按增长排序即按此排序。", "int"),
    _f("top_terms", "关键词", "该主题中明显多于其他诉求的词。"),
    _f("units", "承办单位（件数）", "该主题工单最多的承办单位（最多三个）。"),
    _f("places", "地点（件数）", "该主题工单最多的诉求地址（最多三个）。"),
    _f("word", "热词", "诉求内容中的词（已去除来电套话和电话等个人信息）。"),
    _f("word_count", "提及件数", "本期内容含该词的工单件数（一件工单只计一次）。", "int"),
    _f("word_change", "增减", "提及件数与上期相比的增减。", "int"),
    _f("class", "类别", "分类模型所分的类别。"),
    _f("precision", "精确率", "模型判为该类的留出工单中，确属该类的比例。", "pct"),
    _f("recall", "召回率", "该类的留出工单中，模型判对的比例。", "pct"),
    _f("f1", "F1", "精确率与召回率的调和平均；各类 F1 的平均为宏平均 F1（macro-F1）。", "pct"),
    _f("support", "留出件数", "评估时留出（未参与训练）的该类工单件数。", "int"),
    _f("true_class", "实际类别", "工单登记的类别。"),
    _f("predicted", "模型判为", "模型对该工单判出的类别。"),
    _f("count", "件数", "件数。", "int"),
    _f("recorded", "现有分类", "工单现在登记的类别（或承办单位）。"),
    _f("suggested", "建议分类", "模型根据诉求内容建议的类别（或承办单位），需人工确认后才采纳。"),
    _f("parent", "所属一级分类", "建议的二级分类最常归属的一级分类。"),
    _f("confidence", "把握", "模型对建议的把握（概率）；达到设定值且与现有分类不同的标为派单存疑。", "pct"),
    _f("disagrees", "派单存疑", "模型有把握的建议与现有分类或承办单位不一致。"),
    # --- 预警 (未诉先办) ---
    _f("key", "预警对象", "按二级分类或按所属街道预测时，该行的类别或街道。"),
    _f("surge", "突增预警", "预测诉求量达到近期水平的评分规则所定倍数，且不少于预警门槛。"),
    _f("status", "预测状态", "ok：有预测；数据不足：历史太短，不给数字。"),
    _f("model", "预测模型", "回测中误差最小的方法：ETS(A,N,N) 只平滑水平；有两年以上历史时 ETS(A,Ad,A) 带阻尼趋势和季节项（均在对数尺度上）；去年同期；与去年同期平均；上期值。"),
    _f("off_target", "未达目标", "预测月末成绩、解决率或满意率低于本单位本月目标（未设时按评分规则）。"),
    _f("season_index", "季节指数", "往年该月诉求量 ÷ 当年月均诉求量（多年取平均）。", "float"),
    _f("arriving", "季节来临", "往年该月比上月也增长到评分规则所定倍数：季节性问题正要到来。"),
])

BOOL_TEXT = {True: "是", False: "否"}


def metric(key: str) -> Metric:
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"未登记的指标 {key!r} (unknown metric)") from None


def entry(key: str) -> Metric:
    """A metric or a descriptive field."""
    found = METRICS.get(key) or FIELDS.get(key)
    if found is None:
        raise KeyError(f"未登记的指标或字段 {key!r} (unknown metric or field)")
    return found


def label(key: str) -> str:
    return entry(key).label


def export_headers(columns) -> list[str]:
    """Chinese headers for exported tables, in the given column order."""
    return [label(c) for c in columns]


def is_missing(value) -> bool:
    """None, NaN and pandas.NA (which refuses bool(), hence the except)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def format_value(key: str, value) -> str:
    """A value as the UI shows it: rates "98.25%", scores "96.41", counts "1234", None/NaN "无数据"."""
    if is_missing(value):
        return NO_DATA
    fmt = entry(key).fmt
    value = value.item() if hasattr(value, "item") else value  # numpy scalars
    if isinstance(value, bool):
        return BOOL_TEXT[value]
    if fmt == "pct":
        return f"{float(value) * 100:.2f}%"
    if fmt in ("score", "float"):
        return f"{float(value):.2f}"
    if fmt == "int":
        return str(int(value))
    return str(value)
