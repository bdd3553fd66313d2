"""What the app's filters can offer: the days that have data, categories and location streets.

Small, index-backed queries; the app caches them keyed by the data version.
"""
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data_access.storage.schema import case_streets, categories, stat_unit_day


def data_days(conn: Connection, basis: str) -> tuple[date, date] | None:
    """First and last day with cases under a period basis ('r' received, 'c' callback); None when empty."""
    row = conn.execute(select(func.min(stat_unit_day.c.day), func.max(stat_unit_day.c.day))
                       .where(stat_unit_day.c.basis == basis)).first()
    return (row[0], row[1]) if row and row[0] is not None else None


def category_names(conn: Connection) -> list[str]:
    """Level-1 categories (一级分类) met so far."""
    return list(conn.execute(select(categories.c.cat_l1).distinct().order_by(categories.c.cat_l1)).scalars())


def street_names(conn: Connection) -> list[str]:
    """Location streets (所属街道) met so far (kept by the write path; the case table is never scanned for them)."""
    return [s for s in conn.execute(select(case_streets.c.name).order_by(case_streets.c.name)).scalars() if s]
