"""每日专报: a one-to-two page .docx for one day — the day's volume against the usual for that weekday, its top
categories and their change, its urgent cases and the units holding overdue ones, surges expected next week,
seasonal topics, places new or surging this week, units projected below a target (score with 差几件, 解决率, 满意率). Figures from the summaries (data_access.queries.volume_series) and the 预警 metrics."""
import io
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy.engine import Engine

from data_access.queries.case_queries import Limits
from data_access.records.units import list_units
from data_access.queries.urgent_queries import URGENT, overdue_units, urgent_on
from data_access.queries.volume_series import day_totals, volumes
from metrics.foresight import forecasts, seasonal_topics
from metrics.hotspots import hotspots
from metrics.periods import period_of, range_period
from metrics.projection import projections
from metrics.rules import Rules
from reports.briefing_data import Table
from reports.briefing_docx import _setup, add_table

USUAL_WEEKS = 8
SHOWN = 10  # rows of a table at most: the report stays within two pages
HOTSPOT_DAYS = 7  # surging places: the week ending on the day against the week before
TOP_CATEGORIES = 8
OVERDUE_DAYS = 30  # overdue cases: those received in the 30 days up to the day, judged at its end


@dataclass(frozen=True)
class Daily:
    day: date
    volume: int
    usual: float | None
    usual_weeks: int      # the same weekdays the usual is the mean of (fewer than 8 at the start of the data)
    urgent: dict          # 紧急 cases received on the day: received, late, open
    overdue_known: bool   # False: no case of the stretch came with a close time, so 超期 cannot be told
    tables: dict[str, Table]


def gather_daily(engine: Engine, rules: Rules, day: date) -> Daily:
    first = day - timedelta(weeks=USUAL_WEEKS)
    same_weekday = [first + timedelta(weeks=i) for i in range(USUAL_WEEKS)]
    with engine.connect() as conn:
        totals = day_totals(conn, first, day).set_index("day")["n"]
        by_category = volumes(conn, "cat_l2", first, day, monthly=False)
    volume = int(totals.get(day, 0))
    # the usual counts only the weekdays the data reaches back to: days before the first case are unknown, not 0
    same_weekday = [d for d in same_weekday if len(totals) and d >= totals.index.min()]
    usual = float(totals.reindex(same_weekday, fill_value=0).mean()) if same_weekday else None
    usual_by = (by_category[by_category["day"].isin(same_weekday)].groupby("key")["n"].sum()
                / max(len(same_weekday), 1))
    today = by_category[by_category["day"] == day].set_index("key")["n"]
    top = pd.DataFrame({"cat_l2": today.index, "volume": today.values}).nlargest(TOP_CATEGORIES, "volume")
    top["usual_volume"] = top["cat_l2"].map(usual_by).fillna(0).round(1)
    top["vs_usual"] = (top["volume"] - top["usual_volume"]).round()
    week = forecasts(engine, rules, by="cat_l2", freq="W", horizon=1, start=period_of(day + timedelta(days=1), "week"))
    surges = week[week["surge"]].head(SHOWN) if not week.empty else week
    topics = seasonal_topics(engine, rules, as_of=day + timedelta(days=1))
    spots = hotspots(engine, range_period(day - timedelta(days=HOTSPOT_DAYS - 1), day), rules)
    flagged = spots["surge"].fillna(False).astype(bool) | spots["new"].fillna(False).astype(bool)
    spots = spots[flagged].head(SHOWN)   # 突增 and 新增 (METRICS.md §7): both are news for the day
    behind = projections(engine, rules, day)
    behind = behind[behind["off_target"]].head(SHOWN) if not behind.empty else behind  # lowest projections first
    limits = Limits.of(rules)
    with engine.connect() as conn:
        urgent = urgent_on(conn, day, limits)
        late = overdue_units(conn, day - timedelta(days=OVERDUE_DAYS - 1), day, limits)
        names = {u["id"]: u["name"] for u in list_units(conn)}
    overdue = pd.DataFrame(late or [], columns=["unit_id", "overdue", "still_open"])
    overdue = overdue.assign(unit_name=overdue["unit_id"].map(names)).head(SHOWN)
    return Daily(day, volume, usual, len(same_weekday), urgent, late is not None, {
        "top": Table("主要诉求", top, ["cat_l2", "volume", "usual_volume", "vs_usual"]),
        "surges": Table("突增预警", surges, ["key", "period", "forecast", "low", "high", "recent", "backtest_wape",
                                          "baseline_wape"]),
        "topics": Table("季节性议题", topics.rename(columns={"month": "period"}),
                        ["key", "period", "season_index", "arriving", "last_year"]),
        "places": Table("突增和新增点位", spots, ["label", "street", "volume", "prev_volume"]),
        "overdue": Table("超期工单", overdue, ["unit_name", "still_open", "overdue"]),
        "behind": Table("未达目标单位", behind, ["unit_name", "score_so_far", "projected_score", "target", "gap_cases",
                                          "projected_resolution", "target_resolution", "projected_satisfaction",
                                          "target_satisfaction"]),
    })


def build_daily_docx(d: Daily) -> bytes:
    doc = Document()
    _setup(doc)
    doc.add_heading("每日专报", level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"{d.day:%Y年%m月%d日}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading("一、当日诉求", level=1)
    usual = "无数据" if d.usual is None else f"{d.usual:.0f} 件"
    doc.add_paragraph(f"当日受理诉求 {d.volume} 件；前 {d.usual_weeks or USUAL_WEEKS} 周同一星期几平均 {usual}。")
    add_table(doc, d.tables["top"], empty="当日没有工单。")
    doc.add_heading("二、紧急和超期工单", level=1)
    add_urgent(doc, d)
    doc.add_heading("三、下周预警", level=1)
    doc.add_paragraph("预测值附回测误差，并与“去年同期法”的误差对照。")
    add_table(doc, d.tables["surges"], empty="下周没有预计突增的类别。")
    add_table(doc, d.tables["topics"], empty="没有即将到来的季节性议题。")
    doc.add_paragraph(f"近 {HOTSPOT_DAYS} 天诉求量达到前 {HOTSPOT_DAYS} 天评分规则所定倍数的点位：")
    add_table(doc, d.tables["places"], empty="没有突增或新增的点位。")
    doc.add_heading("四、月末预测未达目标的单位", level=1)
    add_table(doc, d.tables["behind"], empty="预计各单位月末成绩、解决率、满意率都能达到目标。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def add_urgent(doc, d: Daily) -> None:
    u = d.urgent
    if u["received"]:
        doc.add_paragraph(f"当日受理{URGENT}工单 {u['received']} 件，其中未按时响应 {u['late']} 件、至今未办结 {u['open']} 件。")
    else:   # an empty urgency counts as 一般 (METRICS.md), so a source without the field shows none here
        doc.add_paragraph(f"当日没有标为{URGENT}的工单（紧急程度为空的按一般计；数据未提供该字段时也显示为没有）。")
    if not d.overdue_known:
        doc.add_paragraph(f"近 {OVERDUE_DAYS} 天的工单数据未提供办结时间，无法判断超期。")
        return
    doc.add_paragraph(f"近 {OVERDUE_DAYS} 天受理的工单中，截至当日末超过办理时限的（未办结超期在前）：")
    add_table(doc, d.tables["overdue"], empty="没有超期工单。")
