"""Urgent and overdue cases for the 每日专报: the 紧急 cases of one day, and the units holding cases past their close
limit at the day's end.

紧急 is the `urgency` field (DATA_FORMAT.md; an empty urgency counts as 一般, METRICS.md §6), so a source without
that column shows no urgent case at all; overdue needs the close time (`has_closed_at`), and says so when no case
of the stretch carries it. Late and still-open are the drill-down's own conditions (case_queries), and overdue is
counted through a `CaseFilter`, so the counts match the lists. The day's 紧急 cases include 特例剔除 ones, as 诉求量
does; only "late" counts assessed cases.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select, true
from sqlalchemy.engine import Connection

from data_access.queries.agenda_queries import overdue_by_unit
from data_access.queries.case_queries import CaseFilter, Limits, late_response, still_open
from data_access.storage.schema import cases
from data_access.storage.vocabulary import URGENCIES

URGENT = URGENCIES[0]   # 紧急


def urgent_on(conn: Connection, day: date, limits: Limits) -> dict:
    """{received, late, open} for cases received on `day` marked 紧急: late = not answered within the 紧急
    response limit (files with a response column); open = not closed yet (files with a close column)."""
    row = conn.execute(select(func.count(), func.sum(case((late_response(limits), 1), else_=0)),
                              func.sum(case((still_open(), 1), else_=0)))
                       .where(cases.c.received_day == day, cases.c.urgency == URGENT)).one()
    return {"received": int(row[0]), "late": int(row[1] or 0), "open": int(row[2] or 0)}


def overdue_units(conn: Connection, first: date, day: date, limits: Limits) -> list[tuple[int, int, int]] | None:
    """(unit_id, overdue, still_open) for the cases received first..day, judged at the end of `day` (most still
    open first); None when none of those cases comes from a file with a close time (超期 cannot be told)."""
    known = conn.execute(select(func.count()).where(cases.c.received_day >= first, cases.c.received_day <= day,
                                                    cases.c.has_closed_at == true())).scalar()
    if not known:
        return None
    f = CaseFilter(unit_ids=None, start=first, end=day + timedelta(days=1), overdue=True, limits=limits,
                   as_of=datetime.combine(day + timedelta(days=1), time()))
    return overdue_by_unit(conn, f)
