"""Every figure of the meeting briefing, gathered once for both files (reports.briefing_docx, briefing_xlsx).

`gather(engine, period, rules, meeting_id=None)` reads the metrics (never scoring anything itself) and returns a
`Briefing`: the title, which days the figures cover, the summary written as sentences, every table under registry
keys (so both files take their headers and number formats from metrics.registry), and the charts as PNG.

Volumes (诉求量, hotspots, categories, 每月一题) are those of the period; scores, ranks, awards and lagging units
those of `metrics.agenda.Figures.score_period` (for a week: the month containing its last day, month to date; the
last complete month when none is ranked yet). A period the data end inside is cut there ("截至…") and compared
with the same number of days before it.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

import charts
from data_access.records import meetings as store
from data_access.queries.case_queries import CaseFilter
from data_access.queries.filter_options import data_days
from data_access.records.units import list_units
from metrics import agenda
from metrics.awards import PROGRESS, RED_FLAG, awards_from_scores
from metrics.indicators import category_mix, tag_trend
from metrics.lost import gap_cases, lost_costs, points_lost
from metrics.periods import Period, period_of, to_date, trailing
from metrics.registry import RATES, entry, format_value, label, weighted_rates
from metrics.rules import Rules
from metrics.scores import district_summary, group_order, score_trend
from metrics.street_areas import street_areas
from reports import charts_png

TOP_HOTSPOTS = 10      # places in the table (the map shows every place of the hotspot query)
TREND_MONTHS = 13
NO_GAP = "—"           # 差几件 when even all lost cases are not enough, or there is no target
KEY_FIGURES = ["volume", "response_rate", "resolution_rate", "satisfaction_rate", "raw_score",
               "first_double_yes_rate", "on_time_close_rate"]
SCORE_COLUMNS = ["group", "rank", "unit_code", "unit_name", "unit_type", "volume", "assessed", "response_rate",
                 "resolution_rate", "satisfaction_rate", "raw_score", "adjustment", "adjusted_score", "tier",
                 "prev_score", "prev_rank", "score_change", "rank_change", "first_double_yes_rate",
                 "on_time_close_rate"]
SCORE_DOC_COLUMNS = ["rank", "unit_name", "volume", "response_rate", "resolution_rate", "satisfaction_rate",
                     "adjustment", "adjusted_score", "tier", "score_change", "rank_change"]
LOST_KEYS = {r.key: f"{r.weight}_lost" for r in RATES.values()}  # the points each rate lost (registry keys)
LAGGING_HEAD = ["group", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]
LAGGING_TAIL = ["lost_cases", "target", "gap_cases"]
LAGGING_DOC_DROP = ("group", "watchlist")  # the Word page is narrower
AGENDA_COLUMNS = ["position", "item_kind", "item", "reason", "owner_unit", "decision", "due_date"]
FOLLOW_UP_COLUMNS = ["item_kind", "item", "owner_unit", "decision", "due_date", "detail", "verdict"]


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    columns: list[str]                    # registry keys, in order (the workbook shows them all)
    doc_columns: list[str] | None = None  # the narrower choice for the Word page (default: columns)
    row_key: str | None = None            # a column naming each row's metric, whose format the row takes


@dataclass
class Briefing:
    period: Period
    score_period: Period
    title: str
    subtitle: str
    scope: str
    generated_at: datetime
    sentences: list[str]
    tables: dict[str, Table]
    lagging_notes: list[str]
    charts: dict[str, bytes] = field(default_factory=dict)
    meeting: dict | None = None
    previous_meeting: dict | None = None


# --- wording ---

def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def change_phrase(key: str, current, previous, before: str = "较上期") -> str:
    """The change as words: "较上期上升 0.35 个百分点" / "增加 120 件（+4.3%）" / "持平"; "" without a previous."""
    if current is None or previous is None:
        return ""
    diff = float(current) - float(previous)
    fmt = entry(key).fmt
    if fmt == "pct":
        amount, unit = round(diff * 100, 2), " 个百分点"
    elif fmt == "int":
        amount, unit = int(round(diff)), " 件"
    else:
        amount, unit = round(diff, 2), " 分"
    if amount == 0:
        return f"{before}持平"
    up, down = ("增加", "减少") if fmt == "int" else ("上升", "下降")
    text = f"{before}{up if amount > 0 else down} {abs(amount):g}{unit}"
    if fmt == "int" and previous:
        text += f"（{diff / float(previous) * 100:+.1f}%）"
    return text


def _figure(key: str, value) -> str:
    text = format_value(key, value)
    return f"{text} 件" if entry(key).fmt == "int" and value is not None else text


SUMMARY_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")


def _rate_phrase(key: str, scores: dict) -> str:
    """"响应率 98.50%（上升 0.35 个百分点）"; a rate without data says so, with no empty brackets."""
    if scores[key] is None:
        return f"{label(key)} 无数据"
    change = change_phrase(key, scores[key], scores["prev_" + key], "")
    return f"{label(key)} {format_value(key, scores[key])}" + (f"（{change}）" if change else "")


def _summary_sentences(volumes: dict, scores: dict, period: Period, score_period: Period) -> list[str]:
    volume = f"{period.label}全区共受理诉求 {_figure('volume', volumes['volume'])}"
    volume_change = change_phrase("volume", volumes["volume"], volumes["prev_volume"])
    said = ["，".join(filter(None, [volume, volume_change])) + "。"]
    where = "" if score_period == period else f"按{score_period.label}统计，"
    if all(scores[k] is None for k in (*SUMMARY_RATES, "raw_score")):
        return [*said, f"{where}尚无参评工单，响应率、解决率、满意率和综合成绩均无数据。"]
    score = ("全区综合成绩 无数据" if scores["raw_score"] is None
             else f"全区综合成绩 {format_value('raw_score', scores['raw_score'])} 分")
    score_change = change_phrase("raw_score", scores["raw_score"], scores["prev_raw_score"])
    rates = "，".join(_rate_phrase(k, scores) for k in SUMMARY_RATES)
    return [*said, f"{where}{rates}；" + "，".join(filter(None, [score, score_change])) + "。"]


def _group_sentences(scores: pd.DataFrame, awards: pd.DataFrame, lagged: pd.DataFrame, rules: Rules) -> list[str]:
    said = []
    for group in group_order(rules):
        ranked = scores[(scores["group"] == group) & scores["ranked"]]
        if ranked.empty:
            continue
        first = ranked.iloc[0]
        parts = [f"{group}组 {len(ranked)} 个单位参与排名，第一名 {first['unit_name']}"
                 f"（{format_value('adjusted_score', first['adjusted_score'])} 分）"]
        mine = awards[awards["group"] == group]
        for award in (RED_FLAG, PROGRESS):
            names = "、".join(mine.loc[mine["award"] == award, "unit_name"])
            if names:
                parts.append(f"{'获流动红旗' if award == RED_FLAG else '获进步奖'}：{names}")
        late = lagged[lagged["group"] == group]
        if len(late):
            watch = "、".join(late.loc[late["watchlist"], "unit_name"])
            parts.append(f"后进单位：{'、'.join(late['unit_name'])}" + (f"（其中连续后进：{watch}）" if watch else ""))
        said.append("；".join(parts) + "。")
    return said


def _hotspot_sentence(spots: pd.DataFrame) -> list[str]:
    """Counted among the places the hotspot query returned (the top ones by volume), and said so."""
    hot = spots[spots["hotspot"]]
    if hot.empty:
        return ["本期没有达到高频标准的点位。"]
    top = hot.iloc[0]
    return [f"诉求量居前的 {len(spots)} 个点位中，高频点位 {len(hot)} 个，其中突增 {int(hot['surge'].sum())} 个；"
            f"诉求最多的是{top['label']}（{int(top['volume'])} 件，上期 {int(top['prev_volume'])} 件）。"]


# --- tables ---

def _score_tables(scores: pd.DataFrame) -> tuple[Table, Table]:
    ranked, apart = scores[scores["ranked"]], scores[~scores["ranked"]]
    return (Table("各单位成绩与排名", ranked, SCORE_COLUMNS, SCORE_DOC_COLUMNS),
            Table("不参与排名的单位", apart, ["group", "unit_name", "volume", "assessed", "not_ranked_reason"]))


def red_flag_floors(awards: pd.DataFrame) -> dict:
    """group → the lowest 红旗 score: the default 差几件 target of METRICS.md §6 (metrics.lost.default_target),
    read off the awards already computed instead of recomputing them for every lagging unit."""
    flags = awards[awards["award"] == RED_FLAG]
    return flags.groupby("group")["adjusted_score"].min().to_dict()


def lagging_columns(rules: Rules) -> list[str]:
    """The lagging table's columns: the points lost by each rate the rules weight."""
    return [*LAGGING_HEAD, *(LOST_KEYS[r.key] for r in weighted_rates(rules.weights)), *LAGGING_TAIL]


def _lagging_table(figures: agenda.Figures, awards: pd.DataFrame) -> pd.DataFrame:
    """Lagging units with the points each rate lost, the lost cases and 差几件 to the group's lowest red flag."""
    scores, floors = figures.scores, red_flag_floors(awards)
    period = figures.score_period
    rows = []
    for r in figures.lagging.to_dict("records"):
        score_row = scores[scores["unit_id"] == r["unit_id"]].iloc[0]
        costs = lost_costs(figures.engine, period, figures.rules, r["unit_id"], scores)
        target = floors.get(r["group"])
        gap = gap_cases(r["adjusted_score"], costs, target)
        lost = {LOST_KEYS[rate]: points for rate, points in points_lost(score_row, figures.rules).items()}
        rows.append({**r, **lost, "lost_cases": len(costs), "target": target,
                     "gap_cases": NO_GAP if gap is None else gap})
    return pd.DataFrame(rows, columns=["unit_id", *lagging_columns(figures.rules)])


def _lagging_note(row: dict) -> str:
    lost = {k: row[k] for k in LOST_KEYS.values() if row.get(k) is not None}
    worst = max(lost, key=lost.get) if lost else None
    parts = [f"{row['unit_name']}：{row['group']}第 {int(row['rank'])} 名，综合成绩 "
             f"{format_value('adjusted_score', row['adjusted_score'])} 分"
             + (f"，连续后进 {row['lagging_periods']} 期" if row["watchlist"] else "")]
    parts.append("失分 " + "、".join(f"{label(k).removesuffix('失分')} {format_value(k, v)}" for k, v in lost.items())
                 + " 分" + (f"，{label(worst).removesuffix('失分')}失分最多" if worst else ""))
    parts.append(f"失分工单 {row['lost_cases']} 件")
    if row["gap_cases"] != NO_GAP:
        parts.append(f"办好失分最多的 {row['gap_cases']} 件即可达到 {format_value('target', row['target'])} 分")
    elif row["target"] is not None:
        parts.append(f"即使全部失分工单办好也达不到 {format_value('target', row['target'])} 分")
    return "；".join(parts) + "。"


def _key_figures(volumes: dict, scores: dict) -> pd.DataFrame:
    rows = []
    for key in KEY_FIGURES:
        source = volumes if key == "volume" else scores
        current, previous = source[key], source["prev_" + key]
        rows.append({"key": key, "metric": label(key), "current": current, "previous": previous,
                     "change_text": change_phrase(key, current, previous, "") or "—"})
    return pd.DataFrame(rows)


def _hotspot_table(spots: pd.DataFrame) -> pd.DataFrame:
    hot = spots[spots["hotspot"]].head(TOP_HOTSPOTS)
    return hot.assign(volume_change=hot["change"],
                      hotspot_status=["突增" if s else "新增" if n else "高频" for s, n in zip(hot["surge"], hot["new"])])


def _unit_names(engine: Engine) -> dict:
    with engine.connect() as conn:
        return {u["id"]: u["name"] for u in list_units(conn)}


def _agenda_frame(rows: list[dict], names: dict) -> pd.DataFrame:
    frame = pd.DataFrame([{
        "position": i, "item_kind": store.ITEM_KINDS[r["kind"]], "item": r["label"], "reason": r.get("reason", ""),
        "owner_unit": names.get(r.get("owner_unit_id"), ""), "decision": r.get("decision") or "",
        "due_date": r.get("due_date"), "detail": r.get("detail", ""), "verdict": r.get("verdict", ""),
    } for i, r in enumerate(rows, start=1)], columns=["position", *AGENDA_COLUMNS[1:], "detail", "verdict"])
    return frame


# --- charts ---

def trend_month(score_period: Period) -> Period:
    """The last month of the score trend: the score period itself when it is a calendar period, else its month."""
    if score_period.kind in ("month", "bimonth", "quarter", "year"):
        return score_period
    return period_of(score_period.end - timedelta(days=1), "month")


def _charts(engine: Engine, period: Period, score_period: Period, rules: Rules, spots: pd.DataFrame,
            mix: pd.DataFrame) -> dict[str, bytes]:
    periods = trailing(trend_month(score_period), TREND_MONTHS)
    trend = score_trend(engine, periods, rules)
    trend = trend[trend["volume"].cumsum() > 0]
    tier_name, tier_line = next(iter(rules["tiers"].items()))
    made = {"trend": charts_png.png(charts.score_trend(trend, target=tier_line, target_label=f"{tier_name}线"))}
    if mix["volume"].sum():
        made["categories"] = charts_png.png(charts.category_mix(mix))
    tagged = tag_trend(engine, periods, tag=agenda.TOPIC_TAG, rules=rules)
    tagged = tagged[tagged["volume"].cumsum() > 0]  # from the first period with tagged cases
    if not tagged.empty:
        made["topics"] = charts_png.png(charts.volume_trend(tagged))
    drawable = spots[~spots["placeholder"] & spots["lat"].notna() & spots["lon"].notna()]
    if not drawable.empty:
        made["map"] = charts_png.png(charts_png.hotspot_map(drawable, areas=street_areas(engine, rules.basis)))
    return made


# --- the whole briefing ---

def _meetings(engine: Engine, period: Period, meeting_id: int | None) -> tuple[dict | None, dict | None]:
    with engine.connect() as conn:
        meeting = store.get_meeting(conn, meeting_id) if meeting_id else store.meeting_for_period(conn, period.key)
        previous = store.previous_meeting(conn, meeting) if meeting else None
    return meeting, previous


def _scope(period: Period, score_period: Period, month_begun: bool) -> str:
    partial = (f"数据截至{cn_date(period.end - timedelta(days=1))}，本期不完整，环比与上期同样天数"
               f"（{period.previous().label}）相比。" if period.part_of else "")
    if score_period == period:
        return f"本材料全部数字按{period.label}统计。{partial}"
    if month_begun:
        why = (f"本月截至{cn_date(period.end - timedelta(days=1))}尚无参与排名的单位，"
               f"单位成绩、排名、流动红旗和后进单位按上一个完整月份{score_period.label}统计")
    else:
        why = (f"单位成绩、排名、流动红旗和后进单位按{score_period.label}（本周最后一天所在月份的月初至本周末）"
               f"统计，成绩环比与此前同样天数（{score_period.previous().label}）相比")
    return f"{partial}诉求量、高频点位和诉求类别按{period.label}统计；{why}。"


def _running_to_date(engine: Engine, period: Period, rules: Rules, as_of: datetime) -> Period:
    """A period not over at as_of, cut at the last day with data ("截至…", compared with as many days before)."""
    if period.end <= as_of.date():
        return period
    with engine.connect() as conn:
        return to_date(period, (data_days(conn, rules.basis) or (None, None))[1])


def gather(engine: Engine, period: Period, rules: Rules, meeting_id: int | None = None,
           as_of: datetime | None = None, with_charts: bool = True) -> Briefing:
    """Everything the briefing shows for `period`; the agenda is that of `meeting_id`, else of the latest meeting
    on this period, else the proposals. The follow-up is that of the meeting before it (same kind)."""
    period = _running_to_date(engine, period, rules, as_of or datetime.now())
    figures = agenda.Figures(engine, period, rules, as_of)  # scores, lagging and hotspots, read once
    as_of, sp = figures.as_of, figures.score_period
    meeting, previous = _meetings(engine, period, meeting_id)
    names = _unit_names(engine)
    volumes = district_summary(engine, period, rules)
    summary = volumes if sp == period else district_summary(engine, sp, rules)
    scores = figures.scores
    awards = awards_from_scores(scores, rules)
    lagged = _lagging_table(figures, awards)
    spots = figures.hotspots
    mix = category_mix(engine, period, CaseFilter.of(period, rules, unit_ids=None))
    topics = category_mix(engine, period, CaseFilter.of(period, rules, unit_ids=None, tag=agenda.TOPIC_TAG),
                          by="cat_l2")
    if meeting:
        with engine.connect() as conn:
            items = store.list_items(conn, meeting["id"])
    else:
        items = agenda.proposals(figures).to_dict("records")
    followed = []
    if previous:
        with engine.connect() as conn:
            before = store.list_items(conn, previous["id"])
        followed = agenda.follow_up(engine, before, period, rules, as_of).to_dict("records")

    score_tables = _score_tables(scores)
    tables = {
        "key_figures": Table("主要指标", _key_figures(volumes, summary),
                             ["metric", "current", "previous", "change_text"], row_key="key"),
        "scores": score_tables[0],
        "not_ranked": score_tables[1],
        "awards": Table("流动红旗与进步奖", awards, ["group", "award", "unit_name", "rank", "adjusted_score", "rank_gain"]),
        "lagging": Table("后进单位失分分析", lagged, lagging_columns(rules),
                         [c for c in lagging_columns(rules) if c not in LAGGING_DOC_DROP]),
        "hotspots": Table("高频点位", _hotspot_table(spots),
                          ["label", "street", "volume", "prev_volume", "volume_change", "hotspot_status",
                           "top_categories"]),
        "categories": Table("诉求类别", mix.assign(volume_change=mix["change"]),
                            ["cat_l1", "volume", "prev_volume", "volume_change"]),
        "topics": Table(agenda.TOPIC_TAG, topics.assign(volume_change=topics["change"]),
                        ["cat_l2", "volume", "prev_volume", "volume_change"]),
        "agenda": Table("本次会议议程" if meeting else "建议议题", _agenda_frame(items, names), AGENDA_COLUMNS),
        "follow_up": Table("上次会议事项督办", _agenda_frame(followed, names), FOLLOW_UP_COLUMNS),
    }
    kind = meeting["kind"] if meeting else "工作"
    subtitle = (f"{cn_date(meeting['meeting_date'])}{meeting['kind']}" if meeting else "") + \
               f"（生成于 {as_of:%Y-%m-%d %H:%M}）"
    return Briefing(
        period=period, score_period=sp, title=f"接诉即办{kind}材料：{period.label}", subtitle=subtitle,
        scope=_scope(period, sp, month_begun=sp != agenda.score_period(period)), generated_at=as_of,
        sentences=(_summary_sentences(volumes, summary, period, sp)
                   + _group_sentences(scores, awards, lagged, rules) + _hotspot_sentence(spots)),
        tables=tables, lagging_notes=[_lagging_note(r) for r in lagged.to_dict("records")],
        charts=_charts(engine, period, sp, rules, spots, mix) if with_charts else {},
        meeting=meeting, previous_meeting=previous,
    )
