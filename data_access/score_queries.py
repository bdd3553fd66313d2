"""Per-unit base counts of METRICS.md §2 and §7 for one or more periods: one aggregate query per source.

Source "summary" (the default, what every page reads) adds up the per-unit-per-day summary tables; source
"cases" counts the case table itself and exists to prove the summaries right. Both feed rows of the same shape
(period bucket, unit, integer counts) into one shared outer GROUP BY, so the credit sums are the same
expression over the same integers and the two sources agree exactly.

Each period is one UNION ALL branch per source table with its own day range (bound parameters, no dialect
date functions), so thirteen months cost one query. The ranges of one call must not overlap; the caller
splits overlapping ones. On the summaries, the whole calendar months of a period are read from the month tables
(a thirtieth of the rows) and only its other days from the day tables; a period without such days has no
day-table branch, one without whole months no month-table branch.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import pandas as pd
from sqlalchemy import (
    Date, Float, Integer, String, and_, bindparam, case, func, literal_column, not_, or_, select, union_all,
)
from sqlalchemy.engine import Engine

from data_access.schema import (
    DISTRICT_TABLES, MONTH_TABLES, cases, stat_unit_day, stat_unit_day_close, stat_unit_day_resp,
)

# Rating vocabularies (DATA_FORMAT.md §1) and the summary columns that count them.
SOLVED_COLUMNS = {"解决": "solved_full", "部分解决": "solved_part", "未解决": "solved_none"}
SAT_COLUMNS = {"满意": "sat_full", "基本满意": "sat_basic", "不满意": "sat_none"}
DEFAULT_CLASS = "一般"  # an empty urgency / deadline class counts as 一般 (METRICS.md §2, §7)

_PER_ROW = ("volume", "assessed", *SOLVED_COLUMNS.values(), *SAT_COLUMNS.values(), "fdy_den", "fdy_num",
            "on_time_response", "on_time_close")
COUNT_COLUMNS = ("volume", "assessed", "on_time_response", "solved_rated", "solved_credit_sum",
                 "satisfaction_rated", "satisfaction_credit_sum", "fdy_den", "fdy_num", "on_time_close")
SOURCES = ("summary", "cases")


@dataclass(frozen=True)
class CountSettings:
    """The parts of the scoring rules that counting needs (data_access does not know the Rules object)."""
    basis: str                           # 'r' received day, 'c' callback day
    response_limits: dict[str, int]      # urgency → whole hours
    close_limits: dict[str, int]         # deadline class → whole hours
    solved_credit: dict[str, float]
    satisfaction_credit: dict[str, float]


def unit_counts(engine: Engine, ranges: list[tuple[date, date]], settings: CountSettings,
                source: str = "summary", closing: bool = True, district: bool = False) -> pd.DataFrame:
    """Columns bucket (index into `ranges`), unit_id and COUNT_COLUMNS; one row per bucket and unit with cases.

    `ranges` are half-open day intervals [start, end) that must not overlap. closing=False leaves
    on_time_close uncounted (NaN): scores and ranks do not need it, and its histogram is the largest
    summary table, so rank-only callers read about half as much. district=True is for callers that add all
    units up: whole months then come from the district tables as one row with unit_id 0.
    """
    if source not in SOURCES:
        raise ValueError(f"未知的数据来源 {source!r}，应为 summary 或 cases (unknown source)")
    _check_disjoint(ranges)
    shape = (source, settings.basis, _parts(ranges), tuple(settings.response_limits), tuple(settings.close_limits),
             closing, district)
    with engine.connect() as conn:
        rows = conn.execute(_statement(*shape), _parameters(ranges, settings)).all()
    frame = pd.DataFrame(rows, columns=["bucket", "unit_id", *COUNT_COLUMNS])
    # MariaDB returns SUM() as Decimal: make every column a plain number.
    floats = ["solved_credit_sum", "satisfaction_credit_sum"] + ([] if closing else ["on_time_close"])
    frame = frame.astype({c: "float64" if c in floats else "int64" for c in frame.columns})
    if not closing:
        frame["on_time_close"] = float("nan")
    return frame.sort_values(["bucket", "unit_id"], ignore_index=True)


def _check_disjoint(ranges: list[tuple[date, date]]) -> None:
    ordered = sorted(ranges)
    for (_, end), (start, _) in zip(ordered, ordered[1:]):
        if start < end:
            raise ValueError("统计时间段不能重叠 (count ranges must not overlap)")


# --- the statement: every value a bound parameter, so each shape of statement is built once and reused ---

def _parameters(ranges, s: CountSettings) -> dict:
    params = {"basis": s.basis}
    for i, (start, end) in enumerate(ranges):
        params[f"start_{i}"], params[f"end_{i}"] = start, end
        params[f"month_start_{i}"], params[f"month_end_{i}"] = whole_months(start, end)
    for prefix, values in (("resp", s.response_limits), ("close", s.close_limits)):
        params.update({f"{prefix}_{i}": v for i, v in enumerate(values.values())})
    for prefix, columns, credits in (("solved", SOLVED_COLUMNS, s.solved_credit),
                                     ("sat", SAT_COLUMNS, s.satisfaction_credit)):
        params.update({f"{prefix}_{col}": float(credits[value]) for value, col in columns.items()})
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
def _statement(source: str, basis: str, parts: tuple[tuple[bool, bool], ...], urgencies: tuple[str, ...],
               classes: tuple[str, ...], closing: bool, district: bool):
    shape = _Shape(basis, urgencies, classes, closing, district, parts)
    branches = _summary_branches if source == "summary" else _case_branches
    return _outer(union_all(*[b for i in range(len(parts)) for b in branches(shape, i)]).subquery("per_unit"))


@dataclass(frozen=True)
class _Shape:
    basis: str
    urgencies: tuple[str, ...]
    classes: tuple[str, ...]
    closing: bool
    district: bool
    parts: tuple[tuple[bool, bool], ...]  # per range: (has whole months, has other days), see _parts

    def response_limit(self, urgency):
        return _limit(urgency, "resp", self.urgencies)

    def close_limit(self, deadline_class):
        return _limit(deadline_class, "close", self.classes)


def _limit(column, prefix: str, keys: tuple[str, ...]):
    """The hour limit for a row's urgency / class; anything not listed (empty included) gets 一般's."""
    limits = {key: bindparam(f"{prefix}_{i}", type_=Integer) for i, key in enumerate(keys)}
    return case(limits, value=column, else_=limits[DEFAULT_CLASS])


def _branch(i: int, unit_id, values: dict, *where, key=None):
    """Per-unit sums of one source part over range i: the bucket, the unit, every _PER_ROW column (0 where
    this part lacks it). One branch per range keeps each an index range scan, and summing inside the branch
    hands the outer GROUP BY a few rows per unit instead of every summary row."""
    zero = literal_column("0")
    columns = [func.sum(values[name]) if name in values else zero for name in _PER_ROW]
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
        return {name: t.c[name] for name in _PER_ROW if name in t.c}

    def on_time_response(t):
        return {"on_time_response": _n_if(t.c.hours <= shape.response_limit(t.c.urgency), t.c.n)}

    def on_time_close(t):
        return {"on_time_close": _n_if(t.c.hours <= shape.close_limit(t.c.deadline_class), t.c.n)}

    branches = parts(stat_unit_day, counts) + parts(stat_unit_day_resp, on_time_response)
    return branches + parts(stat_unit_day_close, on_time_close) if shape.closing else branches


def _case_branches(shape: _Shape, i: int) -> list:
    day = cases.c.received_day if shape.basis == "r" else cases.c.basis_cb_day
    one = literal_column("1")
    assessed = not_(cases.c.excluded)
    solved_rated = cases.c.solved.in_(tuple(SOLVED_COLUMNS))
    sat_rated = cases.c.satisfaction.in_(tuple(SAT_COLUMNS))

    def flag(*conditions):
        return _n_if(and_(assessed, *conditions), one)

    values = {
        "volume": one,
        "assessed": flag(),
        **{col: flag(cases.c.solved == value) for value, col in SOLVED_COLUMNS.items()},
        **{col: flag(cases.c.satisfaction == value) for value, col in SAT_COLUMNS.items()},
        "fdy_den": flag(solved_rated, sat_rated),
        "fdy_num": flag(solved_rated, sat_rated, cases.c.dispatch_count == 1, cases.c.solved == "解决",
                        cases.c.satisfaction.in_(("满意", "基本满意"))),
        "on_time_response": flag(cases.c.response_hours <= shape.response_limit(cases.c.urgency)),
    }
    if shape.closing:
        values["on_time_close"] = flag(cases.c.close_hours <= shape.close_limit(cases.c.deadline_class))
    return [_branch(i, cases.c.unit_id, values, _in(day, f"start_{i}", f"end_{i}"))]


def _outer(rows):
    def total(name):
        return func.sum(rows.c[name])

    def rated_and_credit(prefix: str, columns: dict[str, str]):
        rated = sum((total(col) for col in columns.values()), start=literal_column("0"))
        credit = sum((total(col) * bindparam(f"{prefix}_{col}", type_=Float) for col in columns.values()),
                     start=literal_column("0"))
        return rated, credit

    solved_rated, solved_credit = rated_and_credit("solved", SOLVED_COLUMNS)
    sat_rated, sat_credit = rated_and_credit("sat", SAT_COLUMNS)
    return select(
        rows.c.bucket, rows.c.unit_id,
        total("volume"), total("assessed"), total("on_time_response"),
        solved_rated, solved_credit, sat_rated, sat_credit,
        total("fdy_den"), total("fdy_num"), total("on_time_close"),
    ).group_by(rows.c.bucket, rows.c.unit_id)
