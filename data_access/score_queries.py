"""Per-unit base counts of METRICS.md §2 and §7 for one or more periods: one aggregate query per source.

Source "summary" (the default, what every page reads) adds up the per-unit-per-day summary tables; source
"cases" counts the case table itself and exists to prove the summaries right. Both feed rows of the same shape
(period bucket, unit, per-case or per-day counts) into one shared outer GROUP BY, so the credit sums are the
same expression over the same integers and the two sources agree exactly.

Periods are grouped in SQL by a CASE over their day ranges (bound parameters, no dialect date functions), so
thirteen months cost one query. The ranges of one call must not overlap; the caller splits overlapping ones.
"""
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, not_, or_, select, union_all
from sqlalchemy.engine import Engine

from data_access.schema import cases, stat_unit_day, stat_unit_day_close, stat_unit_day_resp

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
                source: str = "summary") -> pd.DataFrame:
    """Columns bucket (index into `ranges`), unit_id and COUNT_COLUMNS; one row per bucket and unit with cases.

    `ranges` are half-open day intervals [start, end) that must not overlap.
    """
    if source not in SOURCES:
        raise ValueError(f"未知的数据来源 {source!r}，应为 summary 或 cases (unknown source)")
    _check_disjoint(ranges)
    inner = _summary_rows(ranges, settings) if source == "summary" else _case_rows(ranges, settings)
    with engine.connect() as conn:
        rows = conn.execute(_outer(inner.subquery("per_row"), settings)).all()
    frame = pd.DataFrame(rows, columns=["bucket", "unit_id", *COUNT_COLUMNS])
    credit_sums = ["solved_credit_sum", "satisfaction_credit_sum"]
    ints = [c for c in frame.columns if c not in credit_sums]
    # MariaDB returns SUM() as Decimal: make every column a plain number.
    frame[ints] = frame[ints].astype("int64")
    frame[credit_sums] = frame[credit_sums].astype("float64")
    return frame.sort_values(["bucket", "unit_id"], ignore_index=True)


def _check_disjoint(ranges: list[tuple[date, date]]) -> None:
    ordered = sorted(ranges)
    for (_, end), (start, _) in zip(ordered, ordered[1:]):
        if start < end:
            raise ValueError("统计时间段不能重叠 (count ranges must not overlap)")


def _bucket(day, ranges):
    return case(*[(and_(day >= start, day < end), i) for i, (start, end) in enumerate(ranges)])


def _in_ranges(day, ranges):
    return or_(*[and_(day >= start, day < end) for start, end in ranges])


def _limit(column, limits: dict[str, int]):
    """The hour limit for a row's urgency / class; anything not listed (empty included) gets 一般's."""
    return case(limits, value=column, else_=limits[DEFAULT_CLASS])


def _row(bucket, unit_id, values: dict):
    """One inner row: the bucket, the unit, and every _PER_ROW column (0 when this source part lacks it)."""
    zero = literal_column("0")
    return [bucket.label("bucket"), unit_id.label("unit_id"),
            *[values.get(name, zero).label(name) for name in _PER_ROW]]


def _summary_rows(ranges, s: CountSettings):
    def part(table, values_of):
        where = (table.c.basis == s.basis, _in_ranges(table.c.day, ranges))
        return select(*_row(_bucket(table.c.day, ranges), table.c.unit_id, values_of(table))).where(*where)

    daily = part(stat_unit_day, lambda t: {name: t.c[name] for name in _PER_ROW if name in t.c})
    resp = part(stat_unit_day_resp, lambda t: {"on_time_response": _n_if(t.c.hours <= _limit(t.c.urgency,
                                                                                                s.response_limits),
                                                                          t.c.n)})
    close = part(stat_unit_day_close, lambda t: {"on_time_close": _n_if(t.c.hours <= _limit(t.c.deadline_class,
                                                                                             s.close_limits), t.c.n)})
    return union_all(daily, resp, close)


def _n_if(condition, n):
    return case((condition, n), else_=literal_column("0"))


def _case_rows(ranges, s: CountSettings):
    day = cases.c.received_day if s.basis == "r" else cases.c.basis_cb_day
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
        "on_time_response": flag(cases.c.response_hours <= _limit(cases.c.urgency, s.response_limits)),
        "on_time_close": flag(cases.c.close_hours <= _limit(cases.c.deadline_class, s.close_limits)),
    }
    return select(*_row(_bucket(day, ranges), cases.c.unit_id, values)).where(_in_ranges(day, ranges))


def _outer(rows, s: CountSettings):
    def total(name):
        return func.sum(rows.c[name])

    def rated_and_credit(columns: dict[str, str], credits: dict[str, float]):
        rated = sum((total(col) for col in columns.values()), start=literal_column("0"))
        credit = sum((total(col) * credits[value] for value, col in columns.items()), start=literal_column("0"))
        return rated, credit

    solved_rated, solved_credit = rated_and_credit(SOLVED_COLUMNS, s.solved_credit)
    sat_rated, sat_credit = rated_and_credit(SAT_COLUMNS, s.satisfaction_credit)
    return select(
        rows.c.bucket, rows.c.unit_id,
        total("volume"), total("assessed"), total("on_time_response"),
        solved_rated, solved_credit, sat_rated, sat_credit,
        total("fdy_den"), total("fdy_num"), total("on_time_close"),
    ).group_by(rows.c.bucket, rows.c.unit_id)
