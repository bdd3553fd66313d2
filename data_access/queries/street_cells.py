"""Where each street's cases lie: cases per (location street, stored H3 cell) over some days, from the place
summary (never the case table). metrics.street_areas turns them into street outlines for the maps."""
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data_access.storage.schema import stat_place_day


def street_cells(conn: Connection, basis: str, first: date, last: date) -> list[tuple[str, int, int]]:
    """(street, h3_cell, cases) for the days first..last, geocoded cases with a street only."""
    t = stat_place_day
    query = (select(t.c.street, t.c.h3_cell, func.sum(t.c.n))
             .where(t.c.basis == basis, t.c.day >= first, t.c.day <= last, t.c.street.is_not(None),
                    t.c.h3_cell.is_not(None))
             .group_by(t.c.street, t.c.h3_cell))
    return [(street, int(cell), int(n)) for street, cell, n in conn.execute(query)]
