"""The base counts of METRICS.md §2 and §7, declared once for storage: each is a column of the unit summaries
(stat_unit_day and its month and district sums) together with the case-level condition that counts a case in it.

The summaries' refresh (case_store) and the case-table counts (score_queries) are both generated from these
declarations, by column name; metrics/registry.py builds the rates and the score on the counts they give.
Timed counts (on-time response / close) depend on the rules' hour limits, so they are kept as histograms by class
and whole hours, and compared with the limits when read.

"Provided or not" (METRICS.md §2): each case records whether its batch's file carried the fields its rates read
(`has_<field>` on cases); a rate's denominator counts only the cases that had them.
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal_column, not_, true
from sqlalchemy.sql.elements import ColumnElement

from data_access.storage.case_tables import PROVIDED_FIELDS, cases, stat_unit_day_close, stat_unit_day_resp
from data_access.storage.vocabulary import FULLY_SOLVED, SAT_COLUMNS, SATISFIED, SOLVED_COLUMNS

# The fields a rate reads → the case column that says whether the case's batch provided it.
PROVIDED = {name: f"has_{name}" for name in PROVIDED_FIELDS}


def provided(field: str) -> ColumnElement:
    return cases.c[PROVIDED[field]] == true()


ASSESSED = not_(cases.c.excluded)
SOLVED_RATED = and_(provided("solved"), cases.c.solved.in_(tuple(SOLVED_COLUMNS)))
SAT_RATED = and_(provided("satisfaction"), cases.c.satisfaction.in_(tuple(SAT_COLUMNS)))


@dataclass(frozen=True)
class Count:
    """A column of stat_unit_day: the number of the day's cases of a unit that meet `condition` (None: all)."""
    name: str
    condition: ColumnElement | None


@dataclass(frozen=True)
class Rated:
    """Cases rated with one of a vocabulary's values, a summary column per value; read as `<name>_rated` and
    `<name>_credit_sum` (Σ of the rules' credit per value)."""
    name: str
    columns: dict[str, str]    # value → summary column
    credits: str               # the rules key of the credits


@dataclass(frozen=True)
class Timed:
    """Assessed cases whose elapsed whole hours are within their class's limit: a histogram table by class and
    hours; read as `name`."""
    name: str
    table: object              # the day histogram (its month and district sums follow it)
    hours: str                 # the case column of whole hours
    class_column: str          # the case column of the class (urgency / deadline class), also the table's
    limits: str                # the rules key of the limits
    field: str                 # the input field it reads (PROVIDED)


COUNTS = (
    Count("volume", None),
    Count("assessed", ASSESSED),
    Count("resp_base", and_(ASSESSED, provided("responded_at"))),
    Count("close_base", and_(ASSESSED, provided("closed_at"))),
    *(Count(col, and_(ASSESSED, provided("solved"), cases.c.solved == value))
      for value, col in SOLVED_COLUMNS.items()),
    *(Count(col, and_(ASSESSED, provided("satisfaction"), cases.c.satisfaction == value))
      for value, col in SAT_COLUMNS.items()),
    Count("fdy_den", and_(ASSESSED, SOLVED_RATED, SAT_RATED)),
    Count("fdy_num", and_(ASSESSED, SOLVED_RATED, SAT_RATED, cases.c.dispatch_count == 1,
                          cases.c.solved == FULLY_SOLVED, cases.c.satisfaction.in_(SATISFIED))),
)
RATED = (Rated("solved", SOLVED_COLUMNS, "solved_credit"), Rated("satisfaction", SAT_COLUMNS, "satisfaction_credit"))
TIMED = (Timed("on_time_response", stat_unit_day_resp, "response_hours", "urgency", "response_limit_hours",
               "responded_at"),
         Timed("on_time_close", stat_unit_day_close, "close_hours", "deadline_class", "close_limit_hours",
               "closed_at"))
CLOSE = "on_time_close"  # the timed count that only 按时办结率 reads (its histogram is the largest summary)

# What unit_counts returns per unit and period, in this order (the first ten as before 0014, the denominators it
# added after them): every count but the rated values' own, each rated vocabulary's count and credit sum, the timed.
COUNT_COLUMNS = ("volume", "assessed", "on_time_response", "solved_rated", "solved_credit_sum", "satisfaction_rated",
                 "satisfaction_credit_sum", "fdy_den", "fdy_num", "on_time_close", "resp_base", "close_base")
assert set(COUNT_COLUMNS) == ({c.name for c in COUNTS} - {col for r in RATED for col in r.columns.values()}
                              | {f"{r.name}_{part}" for r in RATED for part in ("rated", "credit_sum")}
                              | {t.name for t in TIMED}), "COUNT_COLUMNS must list every declared count once"


def in_histogram(t: Timed) -> ColumnElement:
    """The cases a timed count's histogram holds: assessed, from a file with its input, with whole hours."""
    return and_(ASSESSED, provided(t.field), cases.c[t.hours].is_not(None))


# 超期 (overdue, METRICS.md §7 按时办结's limits applied to every case, 特例剔除 included): counted from the close
# histogram and from stat_unit_day_overdue, which holds the cases it needs and the histogram does not.
CLOSE_TIMED = next(t for t in TIMED if t.name == CLOSE)
RESPONSE_START = func.coalesce(cases.c.dispatched_at, cases.c.received_at)
# Not closed yet; a case from a file without a close column is not "still open": nobody knows.
STILL_OPEN = and_(cases.c.closed_at.is_(None), provided("closed_at"))


def timed_condition(t: Timed, limit) -> ColumnElement:
    """The case-level condition of a timed count, given the SQL of the case's hour limit."""
    return and_(in_histogram(t), cases.c[t.hours] <= limit)


def case_flag(condition: ColumnElement | None):
    """1 for a case that meets the condition, else 0 (a summable SQL expression)."""
    one = literal_column("1")
    return one if condition is None else case((condition, one), else_=literal_column("0"))


# --- a case's place in a rate (for its cost Δ, METRICS.md §6) ---

_CONDITIONS = {c.name: c.condition for c in COUNTS}


def rated_of(denominator: str) -> Rated | None:
    """The rated vocabulary whose count is this denominator (solved_rated …), else None."""
    return next((r for r in RATED if denominator == f"{r.name}_rated"), None)


def count_condition(name: str, limit_of) -> ColumnElement:
    """The case-level condition of a base count; `limit_of(timed)` gives a timed count's hour limit in SQL."""
    timed = next((t for t in TIMED if t.name == name), None)
    return timed_condition(timed, limit_of(timed)) if timed else _CONDITIONS[name]


def case_classes(numerator: str, denominator: str, limit_of) -> list[tuple[object, ColumnElement]]:
    """The classes of a case in the rate numerator / denominator, each with its condition (first match wins; a case
    in none is outside the denominator): a rated rate's classes are its values, another's are False (counted in
    the numerator: full credit) and True (in the denominator only: no credit)."""
    rated = rated_of(denominator)
    if rated:
        return [(value, _CONDITIONS[column]) for value, column in rated.columns.items()]
    return [(False, count_condition(numerator, limit_of)), (True, count_condition(denominator, limit_of))]
