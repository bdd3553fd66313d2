"""Per-unit base counts of METRICS.md §2 and §7 for one or more periods: one aggregate query per source.

Source "summary" (the default, what every page reads) adds up the per-unit-per-day summary tables; source
"cases" counts the case table itself and exists to prove the summaries right. Both feed rows of the same shape
(period bucket, unit, integer counts) into one shared outer GROUP BY, so the credit sums are the same
expression over the same integers and the two sources agree exactly.

Each period is one UNION ALL branch per source table with its own day range (bound parameters, no dialect
date functions), so thirteen months cost one query, and ranges may overlap (a year and its 同比 year, the days
of a month so far). On the summaries, the whole calendar months of a period are read from the month tables
(a thirtieth of the rows) and only its other days from the day tables; a period without such days has no
day-table branch, one without whole months no month-table branch.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import pandas as pd
from sqlalchemy import (
    Date, Float, Integer, String, and_, bindparam, case, cast, func, literal_column, or_, select, union_all,
)
from sqlalchemy.engine import Engine

from data_access.storage.measures import CLOSE, COUNT_COLUMNS, COUNTS, RATED, TIMED, case_flag, timed_condition
from data_access.storage.schema import DISTRICT_TABLES, MONTH_TABLES, cases, stat_unit_day
from data_access.storage.vocabulary import DEFAULT_CLASS

# The columns each source part sums per unit: the summary counts, then the timed counts (from their histograms).
_PER_ROW = (*(c.name for c in COUNTS), *(t.name for t in TIMED))
SOURCES = ("summary", "cases")
__all__ = ["COUNT_COLUMNS", "CountSettings", "counts_query", "unit_counts", "whole_months"]


@dataclass(frozen=True)
class CountSettings:
    """The parts of the scoring rules that counting needs (data_access does not know the Rules object)."""
    basis: str                           # 'r' received day, 'c' callback day
    limits: dict[str, dict[str, int]]    # a timed count's rules key (response_limit_hours …) → class → hours
    credits: dict[str, dict[str, float]]  # a rated count's rules key (solved_credit …) → value → credit


def unit_counts(engine: Engine, ranges: list[tuple[date, date]], settings: CountSettings,
                source: str = "summary", closing: bool = True, district: bool = False) -> pd.DataFrame:
    """Columns bucket (index into `ranges`), unit_id and COUNT_COLUMNS; one row per bucket and unit with cases.

    `ranges` are half-open day intervals [start, end). closing=False leaves on_time_close uncounted (NaN):
    scores and ranks do not need it, and its histogram is the largest summary table, so rank-only callers read
    about half as much. district=True is for callers that add all units up: whole months then come from the
    district tables as one row with unit_id 0.
    """
    statement, params = counts_query(ranges, settings, source, closing, district)
    with engine.connect() as conn:
        rows = conn.execute(statement, params).all()
    frame = pd.DataFrame(rows, columns=["bucket", "unit_id", *COUNT_COLUMNS])
    # MariaDB returns SUM() as Decimal: make every column a plain number.
    floats = [f"{r.name}_credit_sum" for r in RATED] + ([] if closing else [CLOSE])
    frame = frame.astype({c: "float64" if c in floats else "int64" for c in frame.columns})
    if not closing:
        frame[CLOSE] = float("nan")
    return frame.sort_values(["bucket", "unit_id"], ignore_index=True)


def counts_query(ranges: list[tuple[date, date]], settings: CountSettings, source: str = "summary",
                 closing: bool = True, district: bool = False):
    """unit_counts' statement (columns bucket, unit_id, COUNT_COLUMNS; on_time_close 0 unless closing) and its
    parameters, for statements that build on the counts (data_access.queries.scored_units)."""
    if source not in SOURCES:
        raise ValueError(f"未知的数据来源 {source!r}，应为 summary 或 cases (unknown source)")
    shape = (source, settings.basis, _parts(ranges),
             tuple((key, tuple(limits)) for key, limits in settings.limits.items()), closing, district)
    return _statement(*shape), _parameters(ranges, settings)


# --- the statement: every value a bound parameter, so each shape of statement is built once and reused ---

def _parameters(ranges, s: CountSettings) -> dict:
    params = {"basis": s.basis}
    for i, (start, end) in enumerate(ranges):
        params[f"start_{i}"], params[f"end_{i}"] = start, end
        params[f"month_start_{i}"], params[f"month_end_{i}"] = whole_months(start, end)
    for t in TIMED:
        params.update({f"{t.name}_{i}": v for i, v in enumerate(s.limits[t.limits].values())})
    for r in RATED:
        params.update({f"credit_{col}": float(s.credits[r.credits][value]) for value, col in r.columns.items()})
    return params


def _parts(ranges: list[tuple[date, date]]) -> tuple[tuple[bool, bool], ...]:
    """Per range: whether it holds whole calendar months, and whether it holds other days. A statement leaves
    out the branches of a part a range lacks (13 months read no day table): smaller to build and to run."""
    found = []
    for start, end in ranges:
        first, last = whole_months(start, end)
        found.append((first < last, start < first or last < end))
    return tuple(found)


@lru_cache(maxsize=64)
def _statement(source: str, basis: str, parts: tuple[tuple[bool, bool], ...], classes: tuple, closing: bool,
               district: bool):
    shape = _Shape(basis, dict(classes), closing, district, parts)
    branches = _summary_branches if source == "summary" else _case_branches
    return _outer(union_all(*[b for i in range(len(parts)) for b in branches(shape, i)]).subquery("per_unit"))


@dataclass(frozen=True)
class _Shape:
    basis: str
    classes: dict                         # a timed count's rules key → its classes, in the rules' order
    closing: bool
    district: bool
    parts: tuple[tuple[bool, bool], ...]  # per range: (has whole months, has other days), see _parts

    def timed(self):
        """The timed counts this statement reads (按时办结 only when closing)."""
        return [t for t in TIMED if self.closing or t.name != CLOSE]

    def limit(self, t, column):
        """The hour limit for a row's class; anything not listed (empty included) gets 一般's."""
        limits = {key: bindparam(f"{t.name}_{i}", type_=Integer) for i, key in enumerate(self.classes[t.limits])}
        return case(limits, value=column, else_=limits[DEFAULT_CLASS])


def _branch(i: int, unit_id, values: dict, *where, key=None):
    """Per-unit sums of one source part over range i: the bucket, the unit, every _PER_ROW column (0 where
    this part lacks it). One branch per range keeps each an index range scan, and summing inside the branch
    hands the outer GROUP BY a few rows per unit instead of every summary row."""
    zero = literal_column("0")
    # As INTEGER: one range's sum of a unit (or of the district's month) fits, and PostgreSQL then sums the
    # branches as BIGINT instead of NUMERIC (several times slower to add up and to convert).
    columns = [cast(func.sum(values[name]), Integer) if name in values else zero for name in _PER_ROW]
    return (select(literal_column(str(i)).label("bucket"), unit_id.label("unit_id"),
                   *[c.label(name) for c, name in zip(columns, _PER_ROW)])
            .where(*where).group_by(unit_id if key is None else key))


def whole_months(start: date, end: date) -> tuple[date, date]:
    """The calendar months lying whole inside [start, end), as [first, last); (end, end) when there are none.
    The days before `first` and from `last` on are read by day."""
    first = start if start.day == 1 else (start + timedelta(days=31)).replace(day=1)
    last = end.replace(day=1)
    return (first, last) if first < last else (end, end)


def _in(day, start: str, end: str):
    return and_(day >= bindparam(start, type_=Date), day < bindparam(end, type_=Date))


def _n_if(condition, n):
    return case((condition, n), else_=literal_column("0"))


def _summary_branches(shape: _Shape, i: int) -> list:
    def parts(day_table, values):
        """The whole months from the month table, the other days of range i from the day table."""
        month_table = MONTH_TABLES[day_table]
        if shape.district:  # all units as one: unit_id 0, grouped by the one basis (no row when no month)
            month_table = DISTRICT_TABLES[month_table]
        months = (month_table.c.basis == bindparam("basis", type_=String),
                  _in(month_table.c.day, f"month_start_{i}", f"month_end_{i}"))
        days = (day_table.c.basis == bindparam("basis", type_=String),
                or_(_in(day_table.c.day, f"start_{i}", f"month_start_{i}"),
                    _in(day_table.c.day, f"month_end_{i}", f"end_{i}")))
        month_part = (_branch(i, literal_column("0"), values(month_table), *months, key=month_table.c.basis)
                      if shape.district else _branch(i, month_table.c.unit_id, values(month_table), *months))
        has_months, has_days = shape.parts[i]
        return ([month_part] if has_months else []) + (
            [_branch(i, day_table.c.unit_id, values(day_table), *days)] if has_days else [])

    def counts(t):
        return {c.name: t.c[c.name] for c in COUNTS}

    def on_time(timed):
        return lambda t: {timed.name: _n_if(t.c.hours <= shape.limit(timed, t.c[timed.class_column]), t.c.n)}

    return parts(stat_unit_day, counts) + [b for t in shape.timed() for b in parts(t.table, on_time(t))]


def _case_branches(shape: _Shape, i: int) -> list:
    day = cases.c.received_day if shape.basis == "r" else cases.c.basis_cb_day
    values = {c.name: case_flag(c.condition) for c in COUNTS}
    for t in shape.timed():
        values[t.name] = case_flag(timed_condition(t, shape.limit(t, cases.c[t.class_column])))
    return [_branch(i, cases.c.unit_id, values, _in(day, f"start_{i}", f"end_{i}"))]


def _outer(rows):
    """Per bucket and unit: COUNT_COLUMNS, in order (each rated vocabulary as its count and its credit sum)."""
    def total(name):
        return func.sum(rows.c[name])

    rated = {}
    for r in RATED:
        rated[f"{r.name}_rated"] = sum((total(col) for col in r.columns.values()), start=literal_column("0"))
        rated[f"{r.name}_credit_sum"] = sum((total(col) * bindparam(f"credit_{col}", type_=Float)
                                             for col in r.columns.values()), start=literal_column("0"))
    columns = [(rated[name] if name in rated else total(name)).label(name) for name in COUNT_COLUMNS]
    return select(rows.c.bucket, rows.c.unit_id, *columns).group_by(rows.c.bucket, rows.c.unit_id)
