"""Every setting of a rules file in plain Chinese, for the 评分规则 page (METRICS.md §9).

`describe(rules)` walks every leaf of the loaded rules; a leaf this module cannot explain raises KeyError, so a new
setting cannot reach the app unexplained (a test walks the shipped presets).
"""
from metrics.registry import RATES, label
BASIS = {"received": "受理时间", "callback": "回访时间（没有回访时间的按受理时间）"}


def _pct(v) -> str:
    return f"{v * 100:g}%"


def _hours(v) -> str:
    return f"{v:g} 小时" if v < 48 else f"{v:g} 小时（{v / 24:g} 天）"


def _num(v) -> str:
    return f"{v:g}"


# table → (section, setting name from the entry key, value text, meaning from entry key and value text)
TABLES = {
    "weights": ("综合成绩", lambda k: f"{label(RATES[k].key)}权重", _pct,
                lambda k, v: f"综合成绩 = 100 × Σ（所列各率 × 各自权重），{label(RATES[k].key)}占 {v}；各项权重之和为 1，"
                "未列出的率不计入成绩；所计任一率无数据的单位没有成绩、不参与排名。"),
    "response_limit_hours": ("响应时限", lambda k: f"{k}工单", _hours,
                             lambda k, v: f"紧急程度为{k}的参评工单，自派单（无派单时间则自受理）起 {v}内响应算按时响应。"
                             + ("紧急程度为空的按一般。" if k == "一般" else "")),
    "close_limit_hours": ("办结时限", lambda k: f"{k}类工单", _hours,
                          lambda k, v: f"办理时限类别为{k}的工单，自派单（无派单时间则自受理）起 {v}内办结算按时办结。"
                          + ("类别为空的按一般。" if k == "一般" else "")),
    "solved_credit": ("解决率", lambda k: f"“{k}”折算", _num,
                      lambda k, v: f"回访结果为“{k}”的工单在解决率中计 {v} 件。"),
    "satisfaction_credit": ("满意率", lambda k: f"“{k}”折算", _num,
                            lambda k, v: f"回访结果为“{k}”的工单在满意率中计 {v} 件；未评价和空白不计入满意率。"),
    "ranking.groups": ("排名", lambda k: f"{k}的排名分组", str,
                       lambda k, v: f"单位类型为{k}的单位在“{v}”组内排名。"),
    "tiers": ("档次", lambda k: f"{k}档分数线", _num,
              lambda k, v: f"综合成绩（四舍五入到两位小数）不低于 {v} 为{k}（从高档往低档依次比较）。"),
}
# single setting → (section, setting name, value text, meaning)
SINGLE = {
    "period_basis": ("考核期", "工单归属考核期的依据", BASIS.get,
                     lambda v: f"工单按{v}归入考核期（含首日零点，不含下一期首日零点）。"),
    "ranking.min_assessed": ("排名", "参与排名的最少参评量", lambda v: f"{v} 件",
                             lambda v: f"有综合成绩且参评量不少于 {v}的单位参与排名，其余单位单列“不参与排名”并注明原因。"),
    "awards.top_n": ("流动红旗", "红旗名额", lambda v: f"前 {v} 名",
                     lambda v: f"各组排名{v}以内（并列同享）且成绩达线的单位获流动红旗。"),
    "awards.min_score": ("流动红旗", "红旗最低成绩", lambda v: f"{v:g} 分",
                         lambda v: f"综合成绩（两位小数）不低于 {v}才能获流动红旗。"),
    "awards.min_rank_gain": ("流动红旗", "进步奖最少名次提升", lambda v: f"{v} 位",
                             lambda v: f"两期都参与排名、未获红旗的单位中名次提升最多者获进步奖，且提升不少于 {v}。"),
    "lagging.bottom_n": ("后进单位", "后进名额", lambda v: f"后 {v} 名",
                         lambda v: f"各组排名{v}（并列同算）的单位为后进单位；参与排名的单位不超过此名额两倍的组不评后进。"),
    "lagging.consecutive": ("后进单位", "连续后进期数", lambda v: f"{v} 期",
                            lambda v: f"连续 {v}都是后进的单位列入会诊名单（连续后进）。"),
    "repeat.window_days": ("重复诉求", "重复诉求时间窗", lambda v: f"{v} 天",
                           lambda v: f"同一诉求人在此前 {v}内就同一二级分类来电过，本次工单算重复诉求。"),
    "repeat.frequent_caller_min": ("重复诉求", "高频诉求人门槛", lambda v: f"{v} 件",
                                   lambda v: f"一期内来电达到 {v}的诉求人列为高频诉求人（号码脱敏显示）。"),
    "hotspots.h3_resolution": ("高频点位", "网格精度（H3 级别）", lambda v: f"第 {v} 级",
                               lambda v: f"有坐标的工单按 H3 {v}网格归并为点位（9 级约 0.1 平方千米）。"),
    "hotspots.min_cases": ("高频点位", "高频点位门槛", lambda v: f"{v} 件",
                           lambda v: f"一个点位一期内诉求量达到 {v}即为高频点位。"),
    "hotspots.surge_ratio": ("高频点位", "突增倍数", lambda v: f"{v:g} 倍",
                             lambda v: f"点位诉求量达到上期的 {v}且达到高频门槛，标为突增。"),
    "hotspots.placeholder_share": ("高频点位", "占位坐标判定", _pct,
                                   lambda v: f"同一坐标承载了全部有坐标工单的 {v}以上、且涉及 10 个以上不同地址时，"
                                   "视为占位坐标，不上地图。"),
    "warning.surge_ratio": ("预警", "突增预警倍数", lambda v: f"{v:g} 倍",
                            lambda v: f"某类诉求或某街道的预测量达到近期水平（近 4 周或近 3 个月的平均）的 {v}，"
                            "且不少于预警门槛，列为突增预警。"),
    "warning.season_ratio": ("预警", "季节性议题倍数", lambda v: f"{v:g} 倍",
                             lambda v: f"往年同月诉求量达到当年月均的 {v}的类别，列为即将到来的季节性议题；"
                             "比上月也增长这么多的，标为“来临”。"),
    "warning.min_cases": ("预警", "预警门槛", lambda v: f"{v} 件",
                          lambda v: f"预测量或往年同期诉求量少于 {v}的，不列入预警。"),
    "targets.score": ("预警", "目标成绩", lambda v: f"{v:g} 分",
                      lambda v: f"月末成绩预测对照的目标：各单位本月综合成绩目标为 {v}（数据管理可逐单位设定）；预测低于它的单位标为未达目标，并给出差几件。"),
    "targets.resolution": ("预警", "目标解决率", _pct,
                           lambda v: f"各单位本月解决率目标为 {v}（数据管理可逐单位设定）；预测月末或本月至今低于它的单位标为未达目标。"),
    "targets.satisfaction": ("预警", "目标满意率", _pct,
                             lambda v: f"各单位本月满意率目标为 {v}（数据管理可逐单位设定）；预测月末或本月至今低于它的单位标为未达目标。"),
    "warning.interval": ("预警", "预测区间", _pct,
                         lambda v: f"预测值给出 {v}预测区间：模型认为实际值落在区间内的把握为 {v}。"),
}


def _leaves(data: dict, prefix: str = ""):
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and dotted not in TABLES:
            yield from _leaves(value, dotted + ".")
        else:
            yield dotted, value


def describe(rules) -> list[dict]:
    """One row per setting: section, setting, value (plain Chinese), meaning, and the key in the rules file."""
    rows = []
    for dotted, value in _leaves(rules.data):
        if dotted in TABLES:
            section, name, show, meaning = TABLES[dotted]
            rows += [{"section": section, "setting": name(k), "value": show(v), "meaning": meaning(k, show(v)),
                      "key": f"{dotted}.{k}"} for k, v in value.items()]
        else:
            section, name, show, meaning = SINGLE[dotted]
            rows.append({"section": section, "setting": name, "value": show(value), "meaning": meaning(show(value)),
                         "key": dotted})
    return rows


def lowest_tier_note(rules) -> str:
    """What is below the last tier line (较差), which the tiers table does not name."""
    name, line = list(rules["tiers"].items())[-1]
    return f"综合成绩低于 {line:g}（{name}档分数线）为较差。"
