"""The small counts behind agenda items and their follow-up: cases matching a filter, overdue cases per unit.

Both read a `CaseFilter` (data_access.queries.case_queries), so an item's figure counts exactly the cases its drill-down
list shows. Overdue cases of a period and unit scope alone (the agenda's, the 每日专报's) are counted on the summaries:
the close histogram (its whole months by month) and stat_unit_day_overdue, which holds the rest of what 超期 reads.
"""
from datetime import datetime

from sqlalchemy import Integer, case, cast, desc, false, func, literal_column, or_, select, union_all
from sqlalchemy.engine import Connection

from data_access.queries.case_queries import (
    FILTER_COLUMNS, CaseFilter, closed_late, conditions, open_late,
)
from data_access.queries.score_queries import whole_months
from data_access.storage.schema import MONTH_TABLES, cases, stat_unit_day_close, stat_unit_day_overdue

SOURCES = ("summary", "cases")


def count_cases(conn: Connection, f: CaseFilter) -> int:
    return int(conn.execute(select(func.count()).select_from(cases).where(*conditions(conn, f))).scalar())


def overdue_by_unit(conn: Connection, f: CaseFilter, source: str = "summary") -> list:
    """(unit_id, overdue, still_open) per unit among the filter's cases (pass overdue=True), most still open first.

    Source "summary" reads the summaries when the filter is a period and a unit scope alone, else (and for
    source "cases", which exists to prove the summaries right) the case table."""
    if source not in SOURCES:
        raise ValueError(f"未知的数据来源 {source!r}，应为 summary 或 cases (unknown source)")
    if source == "summary" and _summary_serves(f):
        return _rows(conn, _summary_query(f, f.as_of or datetime.now().replace(microsecond=0)))
    still_open = func.sum(case((cases.c.closed_at.is_(None), 1), else_=0))
    query = (select(cases.c.unit_id, func.count().label("overdue"), still_open.label("still_open"))
             .where(*conditions(conn, f)).group_by(cases.c.unit_id)
             .order_by(desc("still_open"), desc("overdue"), cases.c.unit_id))
    return _rows(conn, query)


def _rows(conn: Connection, query) -> list:
    return [(r.unit_id, int(r.overdue), int(r.still_open)) for r in conn.execute(query)]


def _summary_serves(f: CaseFilter) -> bool:
    """Overdue over whole days and a unit scope, nothing else."""
    others = [name for name in FILTER_COLUMNS if name != "overdue" and getattr(f, name) not in (None, False, ())]
    return f.overdue and not others and f.start is not None and f.end is not None


def _summary_query(f: CaseFilter, as_of: datetime):
    """The per-unit sums of both summaries, in the case query's columns and order."""
    parts = [*_histogram_parts(f), _rest_part(f, as_of)]
    per = union_all(*parts).subquery("per_part")
    overdue, still_open = cast(func.sum(per.c.overdue), Integer), cast(func.sum(per.c.still_open), Integer)
    return (select(per.c.unit_id, overdue.label("overdue"), still_open.label("still_open"))
            .group_by(per.c.unit_id).having(func.sum(per.c.overdue) > 0)
            .order_by(desc("still_open"), desc("overdue"), per.c.unit_id))


def _scope(t, f: CaseFilter, start, end) -> list:
    where = [t.c.basis == f.basis, t.c.day >= start, t.c.day < end]
    if f.unit_ids is not None:
        where.append(t.c.unit_id.in_(f.unit_ids) if f.unit_ids else false())
    return where


def _histogram_parts(f: CaseFilter) -> list:
    """Closed late among the close histogram's cases: its whole months by month, the other days by day."""
    first, last = whole_months(f.start, f.end)
    days = stat_unit_day_close
    ranges = [(MONTH_TABLES[days], first, last), (days, f.start, first), (days, last, f.end)]
    zero = literal_column("0")
    return [select(t.c.unit_id, func.sum(t.c.n).label("overdue"), zero.label("still_open"))
            .where(*_scope(t, f, start, end), closed_late(t.c.hours, t.c.deadline_class, f.limits))
            .group_by(t.c.unit_id)
            for t, start, end in ranges if start < end]


def _rest_part(f: CaseFilter, as_of: datetime):
    """Closed late among the other closed cases, and open with the limit past, by day."""
    t = stat_unit_day_overdue
    late = closed_late(t.c.close_hours, t.c.deadline_class, f.limits)
    open_past = open_late(t.c.open_start.is_not(None), t.c.open_start, t.c.deadline_class, f.limits, as_of)
    return (select(t.c.unit_id, func.sum(t.c.n).label("overdue"),
                   func.sum(case((open_past, t.c.n), else_=0)).label("still_open"))
            .where(*_scope(t, f, f.start, f.end), or_(late, open_past)).group_by(t.c.unit_id))
