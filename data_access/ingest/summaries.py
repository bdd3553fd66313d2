"""The summary tables kept current with the cases (DESIGN.md: pages read summaries, never all cases).

Every summary row is a GROUP BY of the case table declared once here (the counts by storage.measures), so a write,
an undo or a rebuild recomputes exactly what a fresh build would hold.
"""
from datetime import date, timedelta

from sqlalchemy import Date, String, and_, case, func, literal, not_, or_, select
from sqlalchemy.engine import Connection

from data_access.storage.measures import (
    CLOSE_TIMED, COUNTS, RESPONSE_START, STILL_OPEN, TIMED, case_flag, in_histogram,
)
from data_access.storage.vocabulary import DEFAULT_CLASS
from data_access.storage.schema import (
    DISTRICT_TABLES, MONTH_TABLES, cases, stat_address_month, stat_category_day, stat_cell_month, stat_place_day,
    stat_point_month, stat_unit_day, stat_unit_day_overdue, stat_unit_day_repeat,
)


def _day_column(basis: str):
    return cases.c.received_day if basis == "r" else cases.c.basis_cb_day


def refresh_stats(conn: Connection, touched: dict) -> None:
    """Recompute the summary rows for the touched (unit, day) keys from the case table.

    Touched keys are covered by one rectangle per basis (their units × their day range): a delete and one
    INSERT … SELECT … GROUP BY each, which is simple, exact and portable; then the months of that range are
    summed anew from the day rows.
    """
    for basis, keys in touched.items():
        if keys:
            _replace_stats(conn, basis, sorted({u for u, _ in keys}), min(d for _, d in keys),
                           max(d for _, d in keys))


def rebuild_stats(conn: Connection, day_from: date, day_to: date) -> None:
    """Recompute every summary row of the days [day_from, day_to) from the case table, for all units and both
    bases: for a database filled without the write path, or summary tables added by a later migration."""
    for basis in ("r", "c"):
        _replace_stats(conn, basis, None, day_from, day_to - timedelta(days=1))


def _replace_stats(conn: Connection, basis: str, unit_ids: list | None, first: date, last: date) -> None:
    """The summaries of the units (None: all) and the days first…last, from the cases; then their months."""
    def scope(unit_id, day, lo, hi):
        return (*(() if unit_ids is None else (unit_id.in_(unit_ids),)), day.between(lo, hi))

    day = _day_column(basis)
    queries = _stat_queries(basis, day)
    for table in queries:
        conn.execute(table.delete().where(table.c.basis == basis, *scope(table.c.unit_id, table.c.day, first, last)))
    for table, query in queries.items():
        conn.execute(_insert(table, query.where(*scope(cases.c.unit_id, day, first, last))))
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        for day_table, month_table in MONTH_TABLES.items():
            conn.execute(month_table.delete().where(month_table.c.basis == basis,
                                                    *scope(month_table.c.unit_id, month_table.c.day, month, month)))
            where = (day_table.c.basis == basis,
                     *scope(day_table.c.unit_id, day_table.c.day, month, following - timedelta(days=1)))
            conn.execute(_insert(month_table, _month_query(day_table, basis, month).where(*where)))
        _replace_place_month(conn, basis, month, following)
        for month_table, district_table in DISTRICT_TABLES.items():
            conn.execute(district_table.delete().where(district_table.c.basis == basis,
                                                       district_table.c.day == month))
            conn.execute(_insert(district_table, _district_query(month_table, basis, month)))
        month = following


def _insert(table, query):
    """INSERT … SELECT matching the query's labelled columns to the table's by name, never by position."""
    names = [c.name for c in query.selected_columns]
    unknown = set(names) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    return table.insert().from_select(names, query)


def _district_query(month_table, basis: str, month: date):
    """A month's counts of all units together (the keys but the unit)."""
    keys = [c for c in month_table.primary_key.columns if c.name not in ("basis", "day", "unit_id")]
    names = {c.name for c in keys}
    columns = [(c if c.name in names or c.name in ("basis", "day") else func.sum(c)).label(c.name)
               for c in month_table.columns if c.name != "unit_id"]
    return (select(*columns).where(month_table.c.basis == basis, month_table.c.day == month)
            .group_by(month_table.c.basis, month_table.c.day, *keys))


def _replace_place_month(conn: Connection, basis: str, month: date, following: date) -> None:
    """The month's totals per address and per point, over all units (so the whole month is summed again)."""
    t = stat_place_day
    in_month = (t.c.basis == basis, t.c.day >= month, t.c.day < following)
    # A point has one cell, so grouping by it too changes nothing but carries it along.
    for table, keys, extra in ((stat_address_month, (t.c.address_key,), ()),
                               (stat_point_month, (t.c.lat, t.c.lon), (t.c.h3_cell,))):
        conn.execute(table.delete().where(table.c.basis == basis, table.c.day == month))
        query = (select(literal(basis, String(1)).label("basis"), literal(month, Date).label("day"), *keys,
                        func.sum(t.c.n).label("n"), *extra)
                 .where(*in_month, keys[0].is_not(None)).group_by(*keys, *extra))
        conn.execute(_insert(table, query))
    conn.execute(stat_cell_month.delete().where(stat_cell_month.c.basis == basis, stat_cell_month.c.day == month))
    conn.execute(_insert(stat_cell_month, _cell_month_query(basis, month)))


def _cell_month_query(basis: str, month: date):
    """A month's cell totals from its point totals."""
    p = stat_point_month
    return (select(p.c.basis, p.c.day, p.c.h3_cell, func.sum(p.c.n).label("n"),
                   func.sum(p.c.lat * p.c.n).label("lat_n"), func.sum(p.c.lon * p.c.n).label("lon_n"))
            .where(p.c.basis == basis, p.c.day == month, p.c.h3_cell.is_not(None))
            .group_by(p.c.basis, p.c.day, p.c.h3_cell))


def _month_query(day_table, basis: str, month: date):
    """A month's rows summed from its day rows: the same keys but the day, which becomes the month's first.
    The keys are the primary key's columns, or in a table without one (nullable keys) every column but n."""
    keyed = list(day_table.primary_key.columns) or [c for c in day_table.columns if c.name != "n"]
    keys = [c for c in keyed if c.name not in ("basis", "day")]
    names = {c.name for c in keys}
    values = {"basis": literal(basis, String(1)), "day": literal(month, Date)}
    columns = [values.get(c.name, c if c.name in names else func.sum(c)).label(c.name) for c in day_table.columns]
    return select(*columns).group_by(*keys)


def _stat_queries(basis: str, day) -> dict:
    """The day summaries' rows of the cases, each column labelled with its summary column's name."""
    tag = literal(basis, String(1)).label("basis")
    key = (tag, day.label("day"), cases.c.unit_id)
    unit_day = select(*key, *(func.sum(case_flag(c.condition)).label(c.name) for c in COUNTS)).group_by(
        day, cases.c.unit_id)
    histograms = {}
    for t in TIMED:  # a histogram of the cases that can be on time: by class (empty = 一般) and whole hours
        hours = cases.c[t.hours]
        klass = func.coalesce(func.nullif(cases.c[t.class_column], ""), DEFAULT_CLASS)
        histograms[t.table] = (select(*key, klass.label(t.class_column), hours.label("hours"),
                                      func.count().label("n"))
                               .where(in_histogram(t))
                               .group_by(day, cases.c.unit_id, klass, hours))
    category = (cases.c.unit_id, cases.c.cat_l1, cases.c.cat_l2, cases.c.street, cases.c.tags)
    gap = cases.c.repeat_gap_days
    return {stat_unit_day: unit_day, **histograms, stat_place_day: _place_query(tag, day),
            stat_category_day: select(tag, day.label("day"), *category, func.count().label("n")).group_by(
                day, *category),
            stat_unit_day_overdue: _overdue_query(key, day),
            stat_unit_day_repeat: select(*key, gap, func.count().label("n")).where(gap.is_not(None)).group_by(
                day, cases.c.unit_id, gap)}


def _overdue_query(key, day):
    """What 超期 counts besides the close histogram: closed cases outside it by class and hours, open ones by class
    and response start."""
    hours, klass = cases.c.close_hours, cases.c.deadline_class
    open_start = case((STILL_OPEN, RESPONSE_START))
    return (select(*key, klass, hours, open_start.label("open_start"), func.count().label("n"))
            .where(or_(and_(hours.is_not(None), not_(in_histogram(CLOSE_TIMED))), STILL_OPEN))
            .group_by(day, cases.c.unit_id, klass, hours, open_start))


def _place_query(tag, day):
    place = (cases.c.unit_id, cases.c.cat_l1, cases.c.street, cases.c.address_key, cases.c.address, cases.c.lat,
             cases.c.lon)
    return select(tag, day.label("day"), *place, func.count().label("n"), cases.c.h3_cell).where(
        or_(cases.c.address_key.is_not(None), cases.c.lat.is_not(None))).group_by(day, *place, cases.c.h3_cell)
