"""The small counts behind agenda items and their follow-up: cases matching a filter, overdue cases per unit.

Both read a `CaseFilter` (data_access.queries.case_queries), so an item's figure counts exactly the cases its drill-down
list shows.
"""
from sqlalchemy import case, desc, func, select
from sqlalchemy.engine import Connection

from data_access.queries.case_queries import CaseFilter, conditions
from data_access.storage.schema import cases


def count_cases(conn: Connection, f: CaseFilter) -> int:
    return int(conn.execute(select(func.count()).select_from(cases).where(*conditions(conn, f))).scalar())


def overdue_by_unit(conn: Connection, f: CaseFilter) -> list:
    """(unit_id, overdue, still_open) per unit among the filter's cases (pass overdue=True), most still open first."""
    still_open = func.sum(case((cases.c.closed_at.is_(None), 1), else_=0))
    query = (select(cases.c.unit_id, func.count().label("overdue"), still_open.label("still_open"))
             .where(*conditions(conn, f)).group_by(cases.c.unit_id)
             .order_by(desc("still_open"), desc("overdue"), cases.c.unit_id))
    return [(r.unit_id, int(r.overdue), int(r.still_open)) for r in conn.execute(query)]
