"""Aggregate SQL behind the drill-down metrics: hotspots, 失分工单 costs, repeats, callers, categories, streets.

Every query takes a `CaseFilter` (data_access.case_queries) so that each number is computed over exactly the
cases its drill-down list shows, and returns a small result: one row per place, point, category, caller or day.
"""
from sqlalchemy import and_, case, desc, distinct, func, select
from sqlalchemy.engine import Connection

from data_access.case_queries import CaseFilter, at_points, conditions
from data_access.schema import cases

# --- hotspots ---

def geocoded_total(conn: Connection, f: CaseFilter) -> int:
    where = conditions(conn, f)
    return conn.execute(select(func.count()).where(*where, cases.c.lat.is_not(None))).scalar()


def crowded_points(conn: Connection, f: CaseFilter, min_cases: float, min_addresses: int) -> list:
    """(lat, lon, volume, addresses) of points with more than min_cases cases across ≥ min_addresses addresses."""
    volume = func.count()
    addresses = func.count(distinct(cases.c.address_key))
    query = (select(cases.c.lat, cases.c.lon, volume.label("volume"), addresses.label("addresses"))
             .where(*conditions(conn, f), cases.c.lat.is_not(None))
             .group_by(cases.c.lat, cases.c.lon)
             .having(and_(volume > min_cases, addresses >= min_addresses))
             .order_by(desc("volume"), cases.c.lat, cases.c.lon))
    return conn.execute(query).all()


def _usable(column, skip_points):
    """The coordinate, or NULL at a placeholder point (so that AVG leaves it out)."""
    return case((at_points(skip_points), None), else_=column) if skip_points else column


def address_volumes(conn: Connection, f: CaseFilter, skip_points: tuple, top: int | None = None,
                    keys: list | None = None) -> list:
    """(key, volume, lat, lon, geocoded, usable) per address_key, largest first; the mean coordinates leave the
    placeholder points out; `keys` restricts to those addresses."""
    lat, lon = _usable(cases.c.lat, skip_points), _usable(cases.c.lon, skip_points)
    where = [*conditions(conn, f), cases.c.address_key.is_not(None)]
    if keys is not None:
        where.append(cases.c.address_key.in_(keys))
    volume = func.count()
    query = (select(cases.c.address_key.label("key"), volume.label("volume"), func.avg(lat).label("lat"),
                    func.avg(lon).label("lon"), func.count(cases.c.lat).label("geocoded"),
                    func.count(lat).label("usable"))
             .where(*where).group_by(cases.c.address_key).order_by(desc("volume"), cases.c.address_key))
    if top is not None:
        query = query.limit(top)
    return conn.execute(query).all()


def address_details(conn: Connection, f: CaseFilter, keys: list) -> list:
    """(key, address, street, cat_l1, n) for the given addresses: labels, streets and categories."""
    query = (select(cases.c.address_key.label("key"), cases.c.address, cases.c.street, cases.c.cat_l1,
                    func.count().label("n"))
             .where(*conditions(conn, f), cases.c.address_key.in_(keys))
             .group_by(cases.c.address_key, cases.c.address, cases.c.street, cases.c.cat_l1))
    return conn.execute(query).all()


def point_volumes(conn: Connection, f: CaseFilter) -> list:
    """(lat, lon, n) per distinct coordinate: what H3 cells are made of."""
    query = (select(cases.c.lat, cases.c.lon, func.count().label("n"))
             .where(*conditions(conn, f), cases.c.lat.is_not(None)).group_by(cases.c.lat, cases.c.lon))
    return conn.execute(query).all()


def point_details(conn: Connection, f: CaseFilter) -> list:
    """(lat, lon, address, street, cat_l1, n) per distinct coordinate and description."""
    query = (select(cases.c.lat, cases.c.lon, cases.c.address, cases.c.street, cases.c.cat_l1,
                    func.count().label("n"))
             .where(*conditions(conn, f), cases.c.lat.is_not(None))
             .group_by(cases.c.lat, cases.c.lon, cases.c.address, cases.c.street, cases.c.cat_l1))
    return conn.execute(query).all()
