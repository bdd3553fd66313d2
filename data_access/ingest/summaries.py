"""The summary tables kept current with the cases (DESIGN.md: pages read summaries, never all cases).

Every summary row is a GROUP BY of the case table declared once here (the counts by storage.measures), so a write,
an undo or a rebuild recomputes exactly what a fresh build would hold. A batch of new cases only is added instead
(refresh_batch): the same GROUP BYs over the batch's own cases, merged into the rows already there.
"""
from datetime import date, timedelta

from sqlalchemy import Date, String, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from data_access.storage.measures import (
    CLOSE_TIMED, COUNTS, RESPONSE_START, STILL_OPEN, TIMED, case_flag, in_histogram,
)
from data_access.storage.vocabulary import DEFAULT_CLASS
from data_access.storage.schema import (
    DISTRICT_TABLES, MONTH_TABLES, cases, stat_address_month, stat_category_day, stat_cell_month,
    stat_district_month, stat_place_day, stat_point_month, stat_unit_day, stat_unit_day_geocoded,
    stat_unit_day_overdue, stat_unit_day_repeat, stat_unit_month,
)

PLACE_MONTH_TABLES = (stat_address_month, stat_point_month, stat_cell_month)
CARRIED = {"h3_cell"}  # a point's cell: the same in every row of the point, carried along rather than summed


def _day_column(basis: str):
    return cases.c.received_day if basis == "r" else cases.c.basis_cb_day


def refresh_stats(conn: Connection, *touched: dict) -> None:
    """Recompute the summary rows for the touched (unit, day) keys from the case table: one or more dicts of
    basis -> keys, taken together.

    Each month's touched keys are covered by one rectangle (their units × their first to last day that month): a
    delete and one INSERT … SELECT … GROUP BY per day table, which is simple, exact and portable; then that month
    is summed anew from its day rows. By month, because keys far apart in time (a daily import that changes the
    repeat gap of a caller's case from last year) would otherwise take every month between them along.
    """
    for basis in ("r", "c"):
        by_month: dict[date, set] = {}
        for keys in touched:
            for unit_id, day in keys.get(basis, ()):
                by_month.setdefault(day.replace(day=1), set()).add((unit_id, day))
        for month in sorted(by_month):
            keys = by_month[month]
            _replace_stats(conn, basis, sorted({u for u, _ in keys}), min(d for _, d in keys),
                           max(d for _, d in keys))


def refresh_batch(conn: Connection, batch_id: int, touched: dict, all_new: bool, regapped: dict | None = None) -> None:
    """The summaries after a batch was written: `touched` as for refresh_stats; `all_new` when the batch inserted
    cases and changed none (then its cases are exactly those with cases.batch_id = batch_id); `regapped`: the keys
    of other batches' cases whose repeat gap the batch changed, which its own rows do not hold.

    A batch of new cases adds to every summary row what it would add to a fresh build: the day GROUP BYs over its
    own cases (read by ix_cases_batch, not by the rectangle), inserted where its keys have no row yet (the first
    load, a new day), added to the rows by an upsert where they have; its months likewise when they hold more
    cases than the batch (a day's load), else summed anew from their day rows. A batch that changed cases takes
    refresh_stats' exact rectangles: the old versions' counts are no longer in the case table to subtract.
    """
    regapped = regapped or {}
    if not all_new:
        refresh_stats(conn, touched, regapped)
        return
    for basis, keys in touched.items():
        if keys:
            _add_batch(conn, basis, cases.c.batch_id == batch_id, keys)
    if any(regapped.values()):   # after the batch's own rows: from the case table as it now stands
        refresh_stats(conn, regapped)


def rebuild_stats(conn: Connection, day_from: date, day_to: date) -> None:
    """Recompute every summary row of the days [day_from, day_to) from the case table, for all units and both
    bases: for a database filled without the write path, or summary tables added by a later migration."""
    for basis in ("r", "c"):
        _replace_stats(conn, basis, None, day_from, day_to - timedelta(days=1))


def _scope(unit_id, day, unit_ids: list | None, first: date, last: date) -> tuple:
    return (*(() if unit_ids is None else (unit_id.in_(unit_ids),)), day.between(first, last))


def _months(first: date, last: date):
    """(month's first day, next month's first day) of every month from first's to last's."""
    month = first.replace(day=1)
    while month <= last:
        yield month, _following(month)
        month = _following(month)


def _following(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _replace_stats(conn: Connection, basis: str, unit_ids: list | None, first: date, last: date) -> None:
    """The summaries of the units (None: all) and the days first…last, from the cases; then their months."""
    day = _day_column(basis)
    for table, query in _stat_queries(basis, day).items():
        _replace_days(conn, table, query, day, basis, unit_ids, first, last)
    for month, following in _months(first, last):
        for day_table in MONTH_TABLES:
            _replace_month(conn, day_table, basis, unit_ids, month, following)
        _replace_place_months(conn, basis, month)
        _replace_district(conn, basis, month)


def _replace_days(conn: Connection, table, query, day, basis: str, unit_ids: list | None, first: date,
                  last: date) -> None:
    """A day table's rows of the units (None: all) and days first…last, anew from the cases (`day`: the case
    column of the basis)."""
    conn.execute(table.delete().where(table.c.basis == basis, *_scope(table.c.unit_id, table.c.day, unit_ids,
                                                                         first, last)))
    conn.execute(_insert(table, query.where(*_scope(cases.c.unit_id, day, unit_ids, first, last))))


def _replace_month(conn: Connection, day_table, basis: str, unit_ids: list | None, month: date,
                   following: date, had: bool = True) -> None:
    """A month table's rows of the units (None: all) and the month, anew from its day table (`had`: False when
    none of them exists, so there is nothing to delete)."""
    month_table = MONTH_TABLES[day_table]
    if had:
        conn.execute(month_table.delete().where(month_table.c.basis == basis,
                                                *_scope(month_table.c.unit_id, month_table.c.day, unit_ids,
                                                        month, month)))
    where = (day_table.c.basis == basis,
             *_scope(day_table.c.unit_id, day_table.c.day, unit_ids, month, following - timedelta(days=1)))
    conn.execute(_insert(month_table, _month_query(day_table, basis, month).where(*where)))


def _replace_district(conn: Connection, basis: str, month: date) -> None:
    for month_table, district_table in DISTRICT_TABLES.items():
        conn.execute(district_table.delete().where(district_table.c.basis == basis, district_table.c.day == month))
        conn.execute(_insert(district_table, _district_query(month_table, basis, month)))


def _add_batch(conn: Connection, basis: str, mine, keys: set) -> None:
    """Add the batch's cases (`mine`: their condition) to one basis's summaries; `keys`: their (unit, day)s.

    Whether a key already has rows is read before anything is written, from stat_unit_day and stat_unit_month
    (every case counts there, so a key without a row there has none in any day or month table). The months
    take the batch's own totals only when they already hold as many cases as the batch: else summing their
    day rows anew reads less (a first load, a new month's export). The district months, a few rows, always."""
    day = _day_column(basis)
    month_keys = {(u, d.replace(day=1)) for u, d in keys}
    months = sorted({m for _, m in month_keys})
    had_days = _had(conn, stat_unit_day, basis, keys)
    had_months = _had(conn, stat_unit_month, basis, month_keys)
    by_delta = _month_volume(conn, basis, months) >= conn.execute(select(func.count()).where(mine)).scalar()
    for table, query in _stat_queries(basis, day).items():
        _merge(conn, table, query.where(mine), had_days, day)
    if by_delta:
        month = _MonthStart(day)
        for day_table, query in _stat_queries(basis, month).items():
            if day_table in MONTH_TABLES:
                _merge(conn, MONTH_TABLES[day_table], query.where(mine), had_months, month)
        _add_place_months(conn, basis, mine, months)
    for first in months:
        if not by_delta:
            units = sorted({u for u, m in month_keys if m == first})
            for day_table in MONTH_TABLES:
                _replace_month(conn, day_table, basis, units, first, _following(first), had=bool(had_months))
            _replace_place_months(conn, basis, first)
        _replace_district(conn, basis, first)


def _month_volume(conn: Connection, basis: str, months: list) -> int:
    """The cases the months hold (their district rows: a row per month)."""
    t = stat_district_month
    return conn.execute(select(func.coalesce(func.sum(t.c.volume), 0)).where(t.c.basis == basis,
                                                                             t.c.day.in_(months))).scalar()


def _add_place_months(conn: Connection, basis: str, mine, months: list) -> None:
    """The batch's cases added to the address, point and cell months: inserted, or upserted where the months
    have rows."""
    places = _place_query(literal(basis, String(1)).label("basis"), _MonthStart(_day_column(basis))).where(mine)
    for table, query in _place_month_queries(places.subquery("places")).items():
        conn.execute(_upsert(conn, table, query) if _any_row(conn, table, basis, months) else _insert(table, query))


def _replace_place_months(conn: Connection, basis: str, month: date) -> None:
    for table in PLACE_MONTH_TABLES:
        conn.execute(table.delete().where(table.c.basis == basis, table.c.day == month))
        conn.execute(_insert(table, _place_month_query(table, basis, month, _following(month))))


def _merge(conn: Connection, table, delta, had: set, day) -> None:
    """Add a batch's rows (`delta`, keyed by the case's unit and `day`) to a table; `had`: those of their (unit,
    day) keys that have rows there.

    Outside the rectangle around those keys, a plain insert. Inside, with a primary key: an upsert adding the
    counts; with nullable keys, which no upsert matches: the counts added to the rows whose every key equals the
    batch row's (NULL equal to NULL), then the batch's other rows inserted."""
    if not had:
        conn.execute(_insert(table, delta))
        return
    inside = and_(cases.c.unit_id.in_(sorted({u for u, _ in had})),
                  day.between(min(d for _, d in had), max(d for _, d in had)))
    conn.execute(_insert(table, delta.where(not_(inside))))
    if table.primary_key:
        conn.execute(_upsert(conn, table, delta.where(inside)))
        return
    batch = delta.where(inside).subquery("batch")
    match = and_(*(table.c[c.name].is_not_distinct_from(c) if table.c[c.name].nullable else table.c[c.name] == c
                   for c in batch.c if c.name != "n"))
    conn.execute(table.update().where(match).values(n=table.c.n + batch.c.n))
    conn.execute(_insert(table, select(*batch.c).where(~exists().where(match))))


def _had(conn: Connection, table, basis: str, keys: set) -> set:
    """The (unit, day) keys that already have a row in the table."""
    units = sorted({u for u, _ in keys})
    found = conn.execute(select(table.c.unit_id, table.c.day).distinct().where(
        table.c.basis == basis, table.c.unit_id.in_(units),
        table.c.day.between(min(d for _, d in keys), max(d for _, d in keys))))
    return keys & {tuple(r) for r in found}


def _any_row(conn: Connection, table, basis: str, months: list) -> bool:
    return conn.execute(select(table.c.day).where(table.c.basis == basis, table.c.day.in_(months)).limit(1)
                        ).first() is not None


class _MonthStart(FunctionElement):
    """The first day of a date's month."""
    type = Date()
    inherit_cache = True


@compiles(_MonthStart, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(_MonthStart, "postgresql")
def _month_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(_MonthStart, "mysql")
def _month_start_mysql(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    return f"DATE_SUB({day}, INTERVAL DAYOFMONTH({day}) - 1 DAY)"


def _insert(table, query):
    """INSERT … SELECT matching the query's labelled columns to the table's by name, never by position."""
    names = [c.name for c in query.selected_columns]
    unknown = set(names) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    return table.insert().from_select(names, query)


_UPSERT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert, "mysql": mysql.insert}


def _upsert(conn: Connection, table, query):
    """_insert, adding the counts to the row with the same primary key where there is one."""
    _insert(table, query)  # raises on a column the table lacks
    names = [c.name for c in query.selected_columns]
    keys = [c.name for c in table.primary_key.columns]
    added = [n for n in names if n not in {*keys, *CARRIED}]
    dialect = conn.dialect.name
    statement = _UPSERT_INSERTS[dialect](table).from_select(names, query)
    if dialect == "mysql":
        return statement.on_duplicate_key_update({n: table.c[n] + statement.inserted[n] for n in added})
    return statement.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                           set_={n: table.c[n] + statement.excluded[n] for n in added})


def _district_query(month_table, basis: str, month: date):
    """A month's counts of all units together (the keys but the unit)."""
    keys = [c for c in month_table.primary_key.columns if c.name not in ("basis", "day", "unit_id")]
    names = {c.name for c in keys}
    columns = [(c if c.name in names or c.name in ("basis", "day") else func.sum(c)).label(c.name)
               for c in month_table.columns if c.name != "unit_id"]
    return (select(*columns).where(month_table.c.basis == basis, month_table.c.day == month)
            .group_by(month_table.c.basis, month_table.c.day, *keys))


def _place_month_query(table, basis: str, month: date, following: date):
    """A month's totals per address or point from its place rows, over all units, or per cell from its points."""
    if table is stat_cell_month:
        p = stat_point_month
        return _cell_query(p, p.c.basis == basis, p.c.day == month)
    t = stat_place_day
    places = (select(t.c.basis, literal(month, Date).label("day"), t.c.address_key, t.c.lat, t.c.lon, t.c.h3_cell,
                     t.c.n)
              .where(t.c.basis == basis, t.c.day >= month, t.c.day < following).subquery("places"))
    return _place_month_queries(places)[table]


def _place_month_queries(places) -> dict:
    """The address, point and cell month rows of place rows by month (`places`: basis, day = the month's first,
    address_key, lat, lon, h3_cell, n). A point has one cell, so grouping by it too changes nothing but carries it
    along."""
    s = places.c
    points = (select(s.basis, s.day, s.lat, s.lon, func.sum(s.n).label("n"), s.h3_cell)
              .where(s.lat.is_not(None)).group_by(s.basis, s.day, s.lat, s.lon, s.h3_cell))
    return {stat_address_month: select(s.basis, s.day, s.address_key, func.sum(s.n).label("n"))
            .where(s.address_key.is_not(None)).group_by(s.basis, s.day, s.address_key),
            stat_point_month: points, stat_cell_month: _cell_query(points.subquery("points"))}


def _cell_query(points, *where):
    """Cell totals of point totals (`points`: basis, day, lat, lon, n, h3_cell), with the sums of the points'
    coordinates × n for the cell's mean point."""
    p = points.c
    return (select(p.basis, p.day, p.h3_cell, func.sum(p.n).label("n"), func.sum(p.lat * p.n).label("lat_n"),
                   func.sum(p.lon * p.n).label("lon_n"))
            .where(*where, p.h3_cell.is_not(None)).group_by(p.basis, p.day, p.h3_cell))


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
                day, cases.c.unit_id, gap),
            stat_unit_day_geocoded: select(*key, func.count().label("n")).where(cases.c.lat.is_not(None)).group_by(
                day, cases.c.unit_id)}


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
