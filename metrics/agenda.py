"""A meeting's agenda: items proposed for its period, and the follow-up (督办) of the last meeting's items.

Proposals come from the metrics, never scored here: lagging and watchlist units (metrics.lagging), surging and
persistent hotspots (metrics.hotspots), units with overdue cases or many repeat requests, and 每月一题 topics
whose volume rose. Each item carries a baseline — the figure it was put on the agenda for, measured by
`Figures.measure` — and the next meeting measures the same figure again for its own period: did the unit's
score rise, did the place's volume fall, are the overdue cases closed.

Scores of a weekly meeting are those of the month containing the week's last day, month to date
(`score_period`) — or, in the first days of a month when no unit is ranked yet, of the last complete month
(`Figures.score_period`); volumes (hotspots, cases, topics) are those of the meeting's own period.
"""
from datetime import date, datetime, timedelta
from functools import cached_property

import pandas as pd
from sqlalchemy.engine import Engine

from data_access.records import meetings as store
from data_access.queries.agenda_queries import count_cases, overdue_by_unit
from data_access.queries.case_queries import CaseFilter
from data_access.queries.filter_options import data_days
from data_access.records.units import list_units
from metrics.hotspots import hotspot_case_filter, hotspots
from metrics.indicators import category_mix, repeats
from metrics.lagging import lagging_reading_back, lookback
from metrics.periods import Period, last_complete, parse_period, period_of, range_period, shift
from metrics.registry import format_value, label, metric
from metrics.rules import Rules
from metrics.scores import score_frame, unit_scores, unit_scores_from

# The period a meeting reviews, by meeting kind: the week or the month before the meeting.
MEETING_PERIOD_KIND = {"周调度会": "week", "月度点评会": "month", "会诊会": "month"}
# A meeting takes up a handful of places and units: at most this many proposals per source (all lagging units).
PER_SOURCE = 3
PROPOSAL_COLUMNS = ["kind", "ref", "label", "reason", "owner_unit_id", "baseline"]
FOLLOW_UP_COLUMNS = ["id", "kind", "ref", "label", "owner_unit_id", "decision", "due_date", "measure", "before",
                     "after", "verdict", "detail", "now"]
IMPROVED, WORSE, SAME, UNKNOWN, NOT_MEASURED = "好转", "未好转", "持平", "无可比数据", "—"
# What each kind of item is followed by: the figure of its baseline, and which direction is good.
MEASURES = {"unit": ("adjusted_score", "up"), "hotspot": ("volume", "down"), "overdue": ("still_open", "down"),
            "repeat": ("repeats", "down"), "topic": ("volume", "down")}
TOPIC_TAG = "每月一题"
READ_AHEAD = 3  # the lagging lookback's periods read with the scores (Figures._frame)


# --- periods ---

def score_period(period: Period) -> Period:
    """The period whose scores a meeting on `period` shows: the period itself, except for a week (whole or cut at
    the data's last day): the month that contains the week's last day, month to date (the whole month when the
    week ends on its last day)."""
    if "week" not in (period.kind, period.part_of):
        return period
    last = period.end - timedelta(days=1)
    month = period_of(last, "month")
    return month if month.end == period.end else range_period(month.start, last)


def meeting_period(kind: str, meeting_date: date, last_day: date | None = None) -> Period:
    """The period a meeting reviews: the week (周调度会) or month before the meeting's own, but never one the data
    do not cover to its end (then the last complete one: a meeting compares whole weeks or months)."""
    period_kind = MEETING_PERIOD_KIND[kind]
    period = shift(period_of(meeting_date, period_kind), -1)
    if last_day is not None and period.end - timedelta(days=1) > last_day:
        period = last_complete(period_kind, last_day)
    return period


def scores_period(engine: Engine, period: Period, rules: Rules) -> Period:
    """The period whose unit scores a meeting on `period` shows (Figures.score_period)."""
    return Figures(engine, period, rules).score_period


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7)


# --- figures ---

class Figures:
    """The figures agenda items are measured by, for one period (unit scores are read once)."""

    def __init__(self, engine: Engine, period: Period, rules: Rules, as_of: datetime | None = None):
        self.engine, self.period, self.rules = engine, period, rules
        self.as_of = as_of or datetime.now().replace(microsecond=0)

    @cached_property
    def _scored(self) -> tuple[Period, pd.DataFrame, pd.DataFrame]:
        """The score period, a score frame of it and its compared periods (按时办结 not counted: the proposals need
        ranks), and the period's table from it; the lagging streaks read further back only as far as they go."""
        period = score_period(self.period)
        frame, table = self._frame(period)
        to_date = period != self.period or self.period.part_of == "month"  # a month to date, not a chosen range
        if to_date and period.start.day == 1 and not table["ranked"].any():
            period = period_of(period.start - timedelta(days=1), "month")  # the month has just begun
            frame, table = self._frame(period)
        return period, frame, table

    def _frame(self, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The frame also holds the lagging lookback's first READ_AHEAD periods: when a lagging unit's streak is two
        periods long, one more bucket of this statement costs less than the statement of its own it would need."""
        periods = [*period.with_compared(), *lookback(period, self.rules)[:READ_AHEAD]]
        frame = score_frame(self.engine, periods, self.rules, closing=False, changes=[period])
        return frame, unit_scores_from(frame, period, self.rules)

    @property
    def score_period(self) -> Period:
        """`score_period`, except a month to date in which no unit is ranked yet: the last complete month."""
        return self._scored[0]

    @cached_property
    def scores(self) -> pd.DataFrame:
        """metrics.scores.unit_scores of the score period (with 按时办结率, for the briefing's tables)."""
        return unit_scores(self.engine, self.score_period, self.rules)

    @cached_property
    def lagging(self) -> pd.DataFrame:
        """metrics.lagging.lagging of the score period."""
        return lagging_reading_back(self.engine, self._scored[1], self.score_period, self.rules)

    @cached_property
    def hotspots(self) -> pd.DataFrame:
        """metrics.hotspots.hotspots by address of the period (the top 50 places)."""
        return hotspots(self.engine, self.period, self.rules, by="address", as_of=self.as_of)

    def measure(self, kind: str, ref: str) -> dict:
        """The item's figures in this period ({} for a note)."""
        if kind == "unit":
            return self._unit(int(ref))
        if kind == "hotspot":
            by, key = ref.split(":", 1)
            f = hotspot_case_filter(self.engine, self.period, self.rules, key, by=by)
            return {"period": self.period.key, "volume": self._count(f)}
        if kind == "overdue":
            return self.overdue([int(ref)]).get(int(ref), self._overdue_row(0, 0))
        if kind == "repeat":
            return self._repeat(int(ref))
        if kind == "topic":
            f = CaseFilter.of(self.period, self.rules, unit_ids=None, tag=TOPIC_TAG, cat_l2=ref)
            return {"period": self.period.key, "volume": self._count(f)}
        return {}

    def _count(self, f: CaseFilter) -> int:
        with self.engine.connect() as conn:
            return count_cases(conn, f)

    def _unit(self, unit_id: int) -> dict:
        period, table = self.score_period.key, self._scored[2]
        found = table[table["unit_id"] == unit_id]
        if found.empty:
            return {"period": period, "adjusted_score": None, "rank": None, "group": None}
        row = found.iloc[0]
        return {"period": period, "adjusted_score": _plain(row["adjusted_score"]), "rank": _plain(row["rank"]),
                "group": row["group"]}

    @cached_property
    def repeats(self) -> pd.DataFrame:
        return repeats(self.engine, self.period, self.rules).set_index("unit_id")

    def _repeat(self, unit_id: int) -> dict:
        found = unit_id in self.repeats.index
        return {"period": self.period.key, "repeats": int(self.repeats.loc[unit_id, "repeats"]) if found else 0,
                "repeat_rate": _plain(self.repeats.loc[unit_id, "repeat_rate"]) if found else None}

    def topics(self) -> pd.DataFrame:
        """每月一题 cases per topic (cat_l2) in this period and the one before (metrics.indicators)."""
        tagged = CaseFilter.of(self.period, self.rules, unit_ids=None, tag=TOPIC_TAG)
        return category_mix(self.engine, self.period, tagged, by="cat_l2")

    def _overdue_row(self, overdue: int, still_open: int) -> dict:
        return {"period": self.period.key, "overdue": overdue, "still_open": still_open,
                "as_of": self.as_of.isoformat(sep=" ")}

    def overdue(self, unit_ids: list[int] | None = None) -> dict[int, dict]:
        """unit id → overdue cases of the period and how many of them are still open at as_of."""
        f = CaseFilter.of(self.period, self.rules, unit_ids=None if unit_ids is None else tuple(unit_ids),
                          overdue=True, as_of=self.as_of)
        with self.engine.connect() as conn:
            rows = overdue_by_unit(conn, f)
        return {unit: self._overdue_row(n, still_open) for unit, n, still_open in rows}


def _plain(value):
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


# --- proposals ---

def propose(engine: Engine, period: Period, rules: Rules, as_of: datetime | None = None,
            per_source: int = PER_SOURCE) -> pd.DataFrame:
    """PROPOSAL_COLUMNS: what the meeting on `period` should take up, most pressing source first."""
    return proposals(Figures(engine, period, rules, as_of), per_source)


def proposals(figures: Figures, per_source: int = PER_SOURCE) -> pd.DataFrame:
    """`propose` on figures already read (the briefing shares them with its own tables)."""
    with figures.engine.connect() as conn:
        units = {u["id"]: u for u in list_units(conn)}
    rows = (_lagging_units(figures)
            + _hotspots(figures, units, per_source)
            + _overdue_units(figures, units, per_source)
            + _repeat_units(figures, per_source)
            + _rising_topics(figures, per_source))
    return pd.DataFrame(rows, columns=PROPOSAL_COLUMNS, dtype=object)  # object: no owner stays None


def _proposal(kind: str, ref, label_text: str, reason: str, owner: int | None, baseline: dict) -> dict:
    return {"kind": kind, "ref": str(ref), "label": label_text, "reason": reason,
            "owner_unit_id": None if owner is None else int(owner), "baseline": baseline}


def _lagging_units(figures: Figures) -> list[dict]:
    """Watchlist units first, then the other lagging units, each in its group's rank order."""
    found = figures.lagging.sort_values("watchlist", ascending=False, kind="stable")
    rows = []
    for r in found.itertuples():
        standing = f"综合成绩 {format_value('adjusted_score', r.adjusted_score)}，{r.group}第 {int(r.rank)} 名"
        why = f"连续后进 {r.lagging_periods} 期，列入会诊名单" if r.watchlist else "后进单位"
        rows.append(_proposal("unit", r.unit_id, r.unit_name, f"{why}；{standing}", r.unit_id,
                              figures.measure("unit", r.unit_id)))
    return rows


def _street_unit(units: dict, street) -> int | None:
    """The 街乡镇 unit named like the place's street (the natural owner of a place)."""
    return next((uid for uid, u in units.items() if u["name"] == street), None)


def _hotspots(figures: Figures, units: dict, per_source: int) -> list[dict]:
    """Surging hotspots (突增), then persistent ones (hotspot this period and the one before), largest first."""
    spots = figures.hotspots
    spots = spots[spots["hotspot"] & ~spots["placeholder"]]
    min_cases = figures.rules.get("hotspots.min_cases")
    persistent = spots[~spots["surge"] & (spots["prev_volume"] >= min_cases)]
    rows = []
    for chosen, why in ((spots[spots["surge"]], "突增"), (persistent, "持续高频")):
        for r in chosen.head(per_source).itertuples():
            where = f"（{r.street}）" if isinstance(r.street, str) else ""
            topics = f"；主要问题：{r.top_categories}" if isinstance(r.top_categories, str) else ""
            reason = f"{why}：本期 {r.volume} 件，上期 {r.prev_volume} 件{where}{topics}"
            rows.append(_proposal("hotspot", f"address:{r.key}", r.label or r.key, reason,
                                  _street_unit(units, r.street),
                                  {"period": figures.period.key, "volume": int(r.volume)}))
    return rows


def _overdue_units(figures: Figures, units: dict, per_source: int) -> list[dict]:
    """Units with overdue cases still open, most first (then most overdue): the ones a meeting can still act on."""
    rows = []
    still_open = [(u, b) for u, b in figures.overdue().items() if b["still_open"] > 0]
    for unit_id, baseline in still_open[:per_source]:
        reason = f"超期工单 {baseline['overdue']} 件，其中 {baseline['still_open']} 件尚未办结"
        rows.append(_proposal("overdue", unit_id, f"{units[unit_id]['name']} 超期工单", reason, unit_id, baseline))
    return rows


def _repeat_units(figures: Figures, per_source: int) -> list[dict]:
    """Units whose repeat rate is above the district's, most repeats first."""
    found = figures.repeats
    volume = found["volume"].sum()
    if not volume:
        return []
    district = found["repeats"].sum() / volume
    heavy = found[(found["repeats"] > 0) & (found["repeat_rate"] > district)]
    heavy = heavy.reset_index().sort_values(["repeats", "repeat_rate", "unit_code"], ascending=[False, False, True])
    rows = []
    for r in heavy.head(per_source).itertuples():
        reason = (f"重复诉求 {r.repeats} 件，重复诉求率 {format_value('repeat_rate', r.repeat_rate)}"
                  f"（全区 {format_value('repeat_rate', district)}）")
        rows.append(_proposal("repeat", r.unit_id, f"{r.unit_name} 重复诉求", reason, r.unit_id,
                              figures.measure("repeat", r.unit_id)))
    return rows


def _rising_topics(figures: Figures, per_source: int) -> list[dict]:
    """每月一题 topics whose volume rose against the previous period, largest rise first."""
    topics = figures.topics()
    rising = topics[topics["change"] > 0].sort_values(["change", "cat_l2"], ascending=[False, True])
    rows = []
    for r in rising.head(per_source).itertuples():
        reason = f"{TOPIC_TAG}诉求量上升：本期 {r.volume} 件，上期 {r.prev_volume} 件"
        rows.append(_proposal("topic", r.cat_l2, f"{TOPIC_TAG}：{r.cat_l2}", reason, None,
                              {"period": figures.period.key, "volume": int(r.volume)}))
    return rows


# --- follow-up (督办) ---

def verdict(before, after, better: str) -> str:
    """好转 / 未好转 / 持平 by the figure's direction of good; equal at 2 decimals is 持平."""
    if before is None or after is None:
        return UNKNOWN
    diff = round(float(after) - float(before), 2)
    if diff == 0:
        return SAME
    return IMPROVED if (diff > 0) == (better == "up") else WORSE


def _figure_text(key: str, value) -> str:
    """Counts with their unit ("3 件"), scores and rates as the registry formats them."""
    text = format_value(key, value)
    return f"{text} {metric(key).unit}" if metric(key).fmt == "int" and value is not None else text


def _detail(kind: str, key: str, before: dict, after: dict) -> str:
    text = f"{label(key)} {_figure_text(key, before.get(key))} → {_figure_text(key, after.get(key))}"
    if kind == "unit":
        ranks = [("—" if d.get("rank") is None else str(int(d["rank"]))) for d in (before, after)]
        text += f"；排名 {ranks[0]} → {ranks[1]}"
    return text


def follow_up(engine: Engine, items: list[dict], period: Period, rules: Rules,
              as_of: datetime | None = None) -> pd.DataFrame:
    """FOLLOW_UP_COLUMNS for the items of the last meeting, measured again for this meeting's `period`.

    Overdue cases are those of the item's own period, counted again at as_of (are they closed now?); everything
    else is the same figure in the new period. `now` holds the new figures (the baseline when carried over).
    """
    figures = Figures(engine, period, rules, as_of)
    rows = []
    for item in items:
        before, kind = item["baseline"] or {}, item["kind"]
        row = {k: item.get(k) for k in ("id", "kind", "ref", "label", "owner_unit_id", "decision", "due_date")}
        if kind not in MEASURES:
            rows.append({**row, "measure": None, "before": None, "after": None, "verdict": NOT_MEASURED,
                         "detail": "", "now": {}})
            continue
        key, better = MEASURES[kind]
        if kind == "overdue" and before.get("period"):
            source = Figures(engine, parse_period(before["period"]), rules, figures.as_of)
        else:
            source = figures
        now = source.measure(kind, item["ref"])
        rows.append({**row, "measure": label(key), "before": before.get(key), "after": now.get(key),
                     "verdict": verdict(before.get(key), now.get(key), better),
                     "detail": _detail(kind, key, before, now), "now": now})
    return pd.DataFrame(rows, columns=FOLLOW_UP_COLUMNS, dtype=object)  # object: a missing figure stays None


# --- writing to the agenda ---

def accept(engine: Engine, meeting_id: int, proposals: pd.DataFrame, user: str = "", source: str = "auto") -> list:
    """Put proposals (or carried-over items) on the agenda; returns their item ids."""
    items = [{"kind": p["kind"], "ref": p["ref"], "label": p["label"], "reason": p["reason"],
              "baseline": p["baseline"], "owner_unit_id": _plain(p["owner_unit_id"])}
             for p in proposals.to_dict("records")]
    return store.add_items(engine, meeting_id, items, source, user)


def pending(proposals: pd.DataFrame, items: list[dict]) -> pd.DataFrame:
    """The proposals not yet on the agenda."""
    taken = {(i["kind"], i["ref"]) for i in items}
    keep = [(k, r) not in taken for k, r in zip(proposals["kind"], proposals["ref"])]
    return proposals[keep].reset_index(drop=True)


def carry_over(engine: Engine, meeting_id: int, followed: pd.DataFrame, user: str = "") -> list:
    """Put the followed-up items that did not improve on this meeting's agenda, with today's figures as baseline."""
    open_items = followed[followed["verdict"].isin([WORSE, SAME])]
    reasons = [f"上次会议事项，{v}：{d}" for v, d in zip(open_items["verdict"], open_items["detail"])]
    carried = open_items.assign(reason=reasons, baseline=open_items["now"])
    return accept(engine, meeting_id, carried, user, source="carry")


def new_meeting(engine: Engine, kind: str, meeting_date: date, rules: Rules, period: Period | None = None,
                title: str = "", user: str = "") -> int:
    """Create a meeting; without a period, the one it reviews by default (`meeting_period`)."""
    if period is None:
        with engine.connect() as conn:
            period = _default_period(conn, kind, meeting_date, rules)
    return store.new_meeting(engine, meeting_date, kind, period.key, title, user)


def _default_period(conn, kind: str, meeting_date: date, rules: Rules) -> Period:
    days = data_days(conn, rules.basis)
    return meeting_period(kind, meeting_date, days[1] if days else None)


def add_note(engine: Engine, meeting_id: int, text: str, user: str = "") -> int:
    """A free item (其他事项) at the end of this meeting's agenda."""
    return store.add_items(engine, meeting_id, [{"kind": "note", "ref": "", "label": text}], "manual", user)[0]


def save_agenda(engine: Engine, meeting_id: int, rows: list[dict], user: str = "") -> None:
    """The agenda of this meeting as edited (data_access.records.meetings.save_agenda), in one transaction."""
    store.store_agenda(engine, meeting_id, rows, user)


def add_to_meeting(engine: Engine, meeting_id: int | None, kind: str, ref: str, label_text: str, rules: Rules,
                   today: date, user: str = "", owner_unit_id: int | None = None,
                   reason: str = "") -> tuple[dict, int]:
    """Put a unit or a place on the agenda of the meeting the user chose, with its figures in that meeting's
    period as baseline; `meeting_id` None is the user's explicit choice of a new 周调度会 next Monday, created
    in the same transaction as the item. Returns (meeting, item id)."""
    with engine.connect() as conn:
        if meeting_id is None:
            period = _default_period(conn, "周调度会", next_monday(today), rules)
        else:
            meeting = store.get_meeting(conn, meeting_id)
            if meeting is None:
                raise store.MeetingError(f"会议 {meeting_id} 不存在 (meeting {meeting_id} not found)")
            period = parse_period(meeting["period"])
    baseline = Figures(engine, period, rules).measure(kind, ref)
    item = {"kind": kind, "ref": ref, "label": label_text, "reason": reason, "baseline": baseline,
            "owner_unit_id": owner_unit_id}
    return store.add_item_to(engine, meeting_id, item, (next_monday(today), "周调度会", period.key), user)
