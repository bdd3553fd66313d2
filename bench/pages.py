"""The work behind each page, as the page does it (the same metrics and data_access calls, without the app's
cache): what a first visit to the page costs the server. The benchmark times these functions."""
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from data_access.queries.case_queries import CaseFilter
from data_access.queries.filter_options import category_names, data_days, street_names
from data_access.records.units import list_units
from metrics.awards import awards_and_history
from metrics.hotspots import hotspots
from metrics.indicators import category_mix, frequent_callers, tag_trend
from metrics.lagging import lagging_review
from metrics.lost import loss_by, lost_cases, lost_summary
from metrics.periods import Period, trailing
from metrics.rules import Rules
from metrics.scores import district_summary, score_trend, scores_and_trend, trend_of_units, unit_scores

TREND_PERIODS = 13    # the 13-month charts of 总览, 排名, 后进会诊
CASE_PAGE = 50        # one page of a case list (ui.cases)
RANKING_CHOSEN = 3    # 排名 draws the rank over time of the top three units by default
FLAG_HISTORY_PERIODS = 12
TOPIC_TAG = "每月一题"


@dataclass(frozen=True)
class Context:
    period: Period
    rules: Rules
    unit_id: int      # the unit 后进会诊 examines (the watchlist's first, else the lowest ranked)


def sidebar(engine: Engine, ctx: Context, *fields: str) -> None:
    """What the page's filters read (ui.filters.sidebar): the days with data, and the options of its fields."""
    with engine.connect() as conn:
        data_days(conn, ctx.rules.basis)
        if "unit" in fields:
            list_units(conn)
        if "cat" in fields:
            category_names(conn)
        if "street" in fields:
            street_names(conn)


def overview(engine: Engine, ctx: Context) -> None:
    sidebar(engine, ctx)
    p, rules = ctx.period, ctx.rules
    district_summary(engine, p, rules)
    score_trend(engine, trailing(p, TREND_PERIODS), rules)
    category_mix(engine, p, CaseFilter.of(p, rules, unit_ids=None))
    tag_trend(engine, trailing(p, TREND_PERIODS), tag=TOPIC_TAG, rules=rules)
    category_mix(engine, p, CaseFilter.of(p, rules, unit_ids=None, tag=TOPIC_TAG), by="cat_l2")


def scores(engine: Engine, ctx: Context) -> None:
    sidebar(engine, ctx, "group")
    unit_scores(engine, ctx.period, ctx.rules)


def rankings(engine: Engine, ctx: Context) -> None:
    sidebar(engine, ctx, "group", "unit")
    table, trend = scores_and_trend(engine, ctx.period, ctx.rules, trailing(ctx.period, TREND_PERIODS))
    trend_of_units(trend, table[table["ranked"]]["unit_id"][:RANKING_CHOSEN])


def awards_page(engine: Engine, ctx: Context) -> None:
    sidebar(engine, ctx)
    awards_and_history(engine, ctx.period, ctx.rules, trailing(ctx.period, FLAG_HISTORY_PERIODS))


def lagging_page(engine: Engine, ctx: Context) -> None:
    sidebar(engine, ctx, "group", "unit")
    p, rules, unit = ctx.period, ctx.rules, ctx.unit_id
    _, scores, trend = lagging_review(engine, p, rules, trailing(p, TREND_PERIODS))
    lost_summary(engine, p, rules, unit, scores=scores)
    for by in ("cat_l1", "community"):
        loss_by(engine, p, rules, unit, by=by, scores=scores)
    lost_cases(engine, p, rules, unit, limit=CASE_PAGE, offset=0, scores=scores)
    frequent_callers(engine, p, rules, unit_id=unit)
    trend_of_units(trend, (unit,))


def hotspots_page(engine: Engine, ctx: Context, by: str = "address") -> None:
    sidebar(engine, ctx, "unit", "cat", "street")
    hotspots(engine, ctx.period, ctx.rules, by=by, top=50)
    with engine.connect() as conn:
        list_units(conn)  # street labels on the map


def hotspots_h3(engine: Engine, ctx: Context) -> None:
    hotspots_page(engine, ctx, by="h3")


def meeting(engine: Engine, ctx: Context) -> None:
    from metrics.agenda import propose
    sidebar(engine, ctx)
    propose(engine, ctx.period, ctx.rules)


def briefing(engine: Engine, ctx: Context) -> None:
    from reports.briefing_data import gather
    gather(engine, ctx.period, ctx.rules, with_charts=False)


# name → (function, page, leader page: held to the city-scale budget)
PAGES = {
    "overview": (overview, "总览", True),
    "scores": (scores, "月度成绩", True),
    "rankings": (rankings, "排名", True),
    "awards": (awards_page, "流动红旗", True),
    "lagging": (lagging_page, "后进会诊 (失分工单)", True),
    "hotspots": (hotspots_page, "高频点位 (地址)", True),
    "hotspots_h3": (hotspots_h3, "高频点位 (H3)", True),
    "meeting": (meeting, "调度会 (建议议题)", False),
    "briefing": (briefing, "会议材料 (数据, 不含图)", False),
}
