"""What the app's filters can offer: the days that have data, categories and location streets.

Small, index-backed queries; the app caches them keyed by the data version.
"""
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data_access.schema import cases, categories, stat_unit_day


def data_days(conn: Connection, basis: str) -> tuple[date, date] | None:
    """First and last day with cases under a period basis ('r' received, 'c' callback); None when empty."""
    row = conn.execute(select(func.min(stat_unit_day.c.day), func.max(stat_unit_day.c.day))
                       .where(stat_unit_day.c.basis == basis)).first()
    return (row[0], row[1]) if row and row[0] is not None else None


def category_names(conn: Connection) -> list[str]:
    """Level-1 categories (一级分类) met so far."""
    return list(conn.execute(select(categories.c.cat_l1).distinct().order_by(categories.c.cat_l1)).scalars())


def street_names(conn: Connection) -> list[str]:
    """Location streets (所属街道) of the cases; the street index makes this a short scan."""
    query = select(cases.c.street).where(cases.c.street.is_not(None)).distinct().order_by(cases.c.street)
    return [s for s in conn.execute(query).scalars() if s]
