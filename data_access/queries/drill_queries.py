"""Aggregate SQL behind the drill-down metrics: hotspots, 失分工单 costs, repeats, callers, categories, streets.

Every query takes a `CaseFilter` (data_access.queries.case_queries) so that each number is computed over exactly the
cases its drill-down list shows, and returns a small result: one row per place, point, category, caller or day.
"""
from collections import namedtuple
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Mapping

from sqlalchemy import Integer, and_, case, cast, desc, distinct, false, func, literal, or_, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.types import Double

from data_access.queries.case_queries import (
    FILTER_COLUMNS, CaseFilter, Limits, at_points, conditions, hour_limit, in_box, on_time_response, summary_serves,
)
from data_access.storage.lookups import one_of
from data_access.storage.measures import case_classes
from data_access.storage.schema import (
    MONTH_TABLES, cases, stat_address_month, stat_category_day, stat_cell_month, stat_place_day, stat_point_month,
    stat_unit_day_geocoded, stat_unit_day_repeat,
)
from data_access.queries.score_queries import whole_months

# --- hotspots: counted on the place summary, or on the case table ---

SOURCES = ("summary", "cases")
# More candidate places than this (from the months' totals) and counting the days' rows whole is as quick.
MAX_CANDIDATES = 5000
Heavy = namedtuple("Heavy", "lat lon volume total")


def places(f: CaseFilter, source: str):
    """The rows hotspot figures are counted on: the place summary (stat_place_day, n cases a row) when asked for
    and when it can answer the filter (case_queries.summary_serves), else the case table (a case a row).
    Both give the same figures; the summary reads far fewer rows."""
    return _source(f, source, stat_place_day)


def _source(f: CaseFilter, source: str, summary):
    if source not in SOURCES:
        raise ValueError(f"未知的数据来源 {source!r}，应为 summary 或 cases (unknown source)")
    return summary if source == "summary" and summary_serves(f, summary) else cases


def _count(t, of=None):
    """The cases the rows stand for (those with `of` not null, if given): COUNT, or SUM(n) on the summary."""
    if t is cases:
        return func.count() if of is None else func.count(of)
    n = t.c.n if of is None else case((of.is_not(None), t.c.n), else_=0)
    return cast(func.sum(n), Integer)


def _mean(t, column):
    """The mean of a coordinate over the cases (nulls left out, as AVG does)."""
    if t is cases:
        return func.avg(column)
    return func.sum(column * t.c.n) / func.sum(case((column.is_not(None), t.c.n)))


def crowded_points(conn: Connection, f: CaseFilter, share: float, min_addresses: int,
                   source: str = "summary") -> list:
    """(lat, lon, volume, total, addresses) of the points carrying more than `share` of the `total` geocoded
    cases, from ≥ min_addresses distinct addresses.

    One scan counts cases per point and, by a window over those counts, the total; only the few heavy points
    then have their distinct addresses counted (COUNT DISTINCT over every point would cost a sort).
    """
    t = places(f, source)
    heavy = None
    if t is not cases and _months_of(f):
        heavy = _heavy_points_by_month(conn, f, share)
    elif t is not cases and _months_touched(f):
        heavy = _heavy_points_within_months(conn, f, share)
    if heavy is None:
        per_point = (select(t.c.lat, t.c.lon, _count(t).label("volume"), func.sum(_count(t)).over().label("total"))
                     .where(*conditions(conn, f, t), t.c.lat.is_not(None))
                     .group_by(t.c.lat, t.c.lon).subquery())
        heavy = conn.execute(select(per_point).where(
            per_point.c.volume > per_point.c.total * literal(share, Double))).all()
    if not heavy:
        return []
    addresses = func.count(distinct(t.c.address_key))
    counted = dict(((r.lat, r.lon), r.n) for r in conn.execute(
        select(t.c.lat, t.c.lon, addresses.label("n"))
        .where(*conditions(conn, f, t), at_points([(r.lat, r.lon) for r in heavy], t))
        .group_by(t.c.lat, t.c.lon)))
    found = [(r.lat, r.lon, r.volume, int(r.total), counted[(r.lat, r.lon)]) for r in heavy
             if counted[(r.lat, r.lon)] >= min_addresses]
    return sorted(found, key=lambda r: (-r[2], r[0], r[1]))


def _months_of(f: CaseFilter) -> list:
    """The first days of the months a filter covers when it is whole calendar months and nothing else (no unit,
    category, street or place): the view stat_address_month and stat_point_month answer. Else []."""
    if f.start is None or f.end is None or whole_months(f.start, f.end) != (f.start, f.end):
        return []
    return _months_touched(f)


def _months_touched(f: CaseFilter) -> list:
    """The first days of the months a filter's days touch when it has days and nothing else (no unit, category,
    street or place): the months' address and point totals then bound each place's volume over those days from
    above. Else []."""
    if f.unit_ids is not None or f.start is None or f.end is None:
        return []
    if any(getattr(f, name) not in (None, False, ()) for name in FILTER_COLUMNS):
        return []
    months, month = [], f.start.replace(day=1)
    while month < f.end:
        months.append(month)
        month = (month + timedelta(days=31)).replace(day=1)
    return months


def _heavy_points_by_month(conn: Connection, f: CaseFilter, share: float) -> list:
    """(lat, lon, volume, total) of the points above share × total, from the months' point totals: a point above
    it over k months is above share × total / k in one of them, so only those few rows are read by the index.
    The total comes from the cell totals: every geocoded case has both coordinates (the importer refuses one
    without the other) and so a cell, and there are a hundred times fewer cells than points."""
    t, c, months = stat_point_month, stat_cell_month, _months_of(f)
    in_period = (t.c.basis == f.basis, t.c.day.in_(months))
    total = int(conn.execute(select(func.sum(c.c.n)).where(c.c.basis == f.basis, c.c.day.in_(months))).scalar() or 0)
    # n is an integer: n > x exactly when n > floor(x), and an integer bound keeps the index on n usable.
    cut = int(share * total / len(months))
    points = conn.execute(select(t.c.lat, t.c.lon).where(*in_period, t.c.n > cut).distinct()).all()
    if not points:
        return []
    rows = conn.execute(select(t.c.lat, t.c.lon, cast(func.sum(t.c.n), Integer).label("volume"))
                        .where(*in_period, at_points(points, t)).group_by(t.c.lat, t.c.lon)).all()
    return [Heavy(r.lat, r.lon, r.volume, total) for r in rows if r.volume > total * share]


def _heavy_points_within_months(conn: Connection, f: CaseFilter, share: float) -> list:
    """(lat, lon, volume, total) of the points above share × total for days that are not whole months (a week):
    a point above it has more than share × total / k cases in one of the k months the days touch, so only those
    points, read from the months' point totals by the index on n, are counted over the days (by their cells).
    The total of geocoded cases comes from their day counts per unit, not from the days' place rows.
    None when there are more than MAX_CANDIDATES such points (a tiny total): every point is counted then."""
    t, p, g, months = stat_place_day, stat_point_month, stat_unit_day_geocoded, _months_touched(f)
    total = int(conn.execute(select(func.sum(g.c.n)).where(*conditions(conn, f, g))).scalar() or 0)
    cut = int(share * total / len(months))
    points = conn.execute(select(p.c.lat, p.c.lon, p.c.h3_cell)
                          .where(p.c.basis == f.basis, p.c.day.in_(months), p.c.n > cut).distinct()
                          .limit(MAX_CANDIDATES + 1)).all()
    if len(points) > MAX_CANDIDATES:
        return None
    if not points:
        return []
    cells = {r.h3_cell for r in points}
    by_cell = () if None in cells else (one_of(conn, t.c.h3_cell, sorted(cells)),)
    rows = conn.execute(select(t.c.lat, t.c.lon, _count(t).label("volume"))
                        .where(*conditions(conn, f, t), *by_cell, at_points([(r.lat, r.lon) for r in points], t))
                        .group_by(t.c.lat, t.c.lon)).all()
    return [Heavy(r.lat, r.lon, r.volume, total) for r in rows if r.volume > total * share]


def _top_address_keys(conn: Connection, f: CaseFilter, top: int) -> list:
    """The addresses of a one-month view at or above its top-th volume (ties at the cut included), by the
    index on the month's totals; address_volumes then orders and cuts them as the database collates."""
    return _month_top_keys(conn, f.basis, f.start, top)


def _month_top_keys(conn: Connection, basis: str, month, top: int) -> list:
    """A month's addresses at or above its top-th total (ties included)."""
    t = stat_address_month
    where = (t.c.basis == basis, t.c.day == month)
    cut = conn.execute(select(t.c.n).where(*where).order_by(t.c.n.desc()).limit(1).offset(top - 1)).scalar()
    query = select(t.c.address_key).where(*where, *(() if cut is None else (t.c.n >= cut,)))
    return list(conn.execute(query).scalars())


def _address_candidates(conn: Connection, f: CaseFilter, top: int) -> list | None:
    """For days that are not one whole month (a week) without other filters: addresses among which are all those
    at or above the days' top-th volume. The top of each month the days touch, counted over the days, give a
    volume v that the top-th reaches; an address reaching v has at least v cases in those k months together, so
    at least v / k in one of them, which the index on the months' totals finds. None (count every address) when
    fewer than `top` addresses are found or more than MAX_CANDIDATES."""
    months = _months_touched(f)
    first = sorted({key for month in months for key in _month_top_keys(conn, f.basis, month, top)})
    volumes = sorted(address_totals(conn, f, first).values(), reverse=True) if first else []
    if len(volumes) < top:
        return None
    v, t = volumes[top - 1], stat_address_month
    in_months = (t.c.basis == f.basis, t.c.day.in_(months))
    some = select(t.c.address_key).where(*in_months, t.c.n >= -(-v // len(months)))
    query = (select(t.c.address_key).where(*in_months, t.c.address_key.in_(some))
             .group_by(t.c.address_key).having(func.sum(t.c.n) >= v).limit(MAX_CANDIDATES + 1))
    keys = list(conn.execute(query).scalars())
    return keys if len(keys) <= MAX_CANDIDATES else None


def _usable(column, skip_points, t):
    """The coordinate, or NULL at a placeholder point (so that the mean leaves it out)."""
    return case((at_points(skip_points, t), None), else_=column) if skip_points else column


def address_volumes(conn: Connection, f: CaseFilter, skip_points: tuple, top: int | None = None,
                    keys: list | None = None, source: str = "summary") -> list:
    """(key, volume, lat, lon, geocoded, usable) per address_key, largest first; the mean coordinates leave the
    placeholder points out; `keys` restricts to those addresses."""
    t = places(f, source)
    if t is not cases and top is not None and keys is None and len(_months_of(f)) == 1:
        keys = _top_address_keys(conn, f, top)
    elif t is not cases and top is not None and keys is None and _months_touched(f):
        keys = _address_candidates(conn, f, top)
    lat, lon = _usable(t.c.lat, skip_points, t), _usable(t.c.lon, skip_points, t)
    # IN already leaves NULL out; with IS NOT NULL beside it SQLite would range-scan every non-null address.
    where = [*conditions(conn, f, t),
             t.c.address_key.is_not(None) if keys is None else one_of(conn, t.c.address_key, keys)]
    query = (select(t.c.address_key.label("key"), _count(t).label("volume"), _mean(t, lat).label("lat"),
                    _mean(t, lon).label("lon"), _count(t, t.c.lat).label("geocoded"),
                    _count(t, lat).label("usable"))
             .where(*where).group_by(t.c.address_key).order_by(desc("volume"), t.c.address_key))
    if top is not None:
        query = query.limit(top)
    return conn.execute(query).all()


def address_totals(conn: Connection, f: CaseFilter, keys: list, source: str = "summary") -> dict:
    """key → volume of the given addresses: from the months' address totals for whole months without filters (an
    index lookup per address), else counted as address_volumes counts them."""
    months = _months_of(f) if source == "summary" else []
    if not months:
        return {r.key: r.volume for r in address_volumes(conn, f, (), keys=keys, source=source)}
    t = stat_address_month
    query = (select(t.c.address_key, cast(func.sum(t.c.n), Integer))
             .where(t.c.basis == f.basis, t.c.day.in_(months), one_of(conn, t.c.address_key, keys))
             .group_by(t.c.address_key))
    return dict(conn.execute(query).all())


def _in_cells(conn: Connection, cells: list, t):
    return one_of(conn, t.c.h3_cell, [int(c) for c in cells])


CellVolume = namedtuple("CellVolume", "cell volume lat lon")


def cell_volumes(conn: Connection, f: CaseFilter, top: int | None = None, cells: list | None = None,
                 source: str = "summary") -> list:
    """(cell, volume, lat, lon) per stored H3 cell (data_access.ingest.h3_cells), largest first then by cell; `cells`
    restricts to those. lat, lon: the mean of the cases' coordinates."""
    months = _months_of(replace(f, skip_points=())) if source == "summary" else []
    if months:
        return _month_cell_volumes(conn, f, months, top, cells)
    t = places(f, source)
    where = [*conditions(conn, f, t), t.c.h3_cell.is_not(None) if cells is None else _in_cells(conn, cells, t)]
    query = (select(t.c.h3_cell.label("cell"), _count(t).label("volume"), _mean(t, t.c.lat).label("lat"),
                    _mean(t, t.c.lon).label("lon"))
             .where(*where).group_by(t.c.h3_cell).order_by(desc("volume"), t.c.h3_cell))
    if top is not None:
        query = query.limit(top)
    return conn.execute(query).all()


def _month_cell_volumes(conn: Connection, f: CaseFilter, months: list, top: int | None, cells: list | None) -> list:
    """Whole months without filters: the months' cell totals, less the placeholder points (f.skip_points) in them.
    Those lower at most one cell each, so the first `top` after the correction are among the first
    top + len(skip_points) before it."""
    t = stat_cell_month
    n = func.sum(t.c.n)
    query = (select(t.c.h3_cell, n, func.sum(t.c.lat_n), func.sum(t.c.lon_n))
             .where(t.c.basis == f.basis, t.c.day.in_(months),
                    *(() if cells is None else (_in_cells(conn, cells, t),)))
             .group_by(t.c.h3_cell).order_by(n.desc(), t.c.h3_cell))
    if top is not None:
        query = query.limit(top + len(f.skip_points))
    sums = {cell: [int(k), float(lat_n), float(lon_n)] for cell, k, lat_n, lon_n in conn.execute(query)}
    if f.skip_points and sums:
        p = stat_point_month
        skipped = (select(p.c.h3_cell, func.sum(p.c.n), func.sum(p.c.lat * p.c.n), func.sum(p.c.lon * p.c.n))
                   .where(p.c.basis == f.basis, p.c.day.in_(months), at_points(f.skip_points, p),
                          one_of(conn, p.c.h3_cell, list(sums))).group_by(p.c.h3_cell))
        for cell, k, lat_n, lon_n in conn.execute(skipped):
            sums[cell] = [sums[cell][0] - int(k), sums[cell][1] - float(lat_n), sums[cell][2] - float(lon_n)]
    rows = sorted((CellVolume(cell, k, lat_n / k, lon_n / k) for cell, (k, lat_n, lon_n) in sums.items() if k > 0),
                  key=lambda r: (-r.volume, r.cell))
    return rows if top is None else rows[:top]


def most_used(conn: Connection, f: CaseFilter, key_column: str, keys: list, columns: Mapping[str, int],
              source: str = "summary") -> list:
    """(key, column, value, n): for each of the places `keys` (values of key_column: address_key or h3_cell), the
    values of each column most used by number of cases — the first columns[column] of them, ties at the cut
    included (RANK, so that the caller orders ties as it likes). One statement, a portable window per column: a
    city cell holds thousands of addresses, and only its few most used leave the database."""
    t = places(f, source)
    key, parts = t.c[key_column], []
    for name, first in columns.items():
        counted = (select(key.label("key"), t.c[name].label("value"), _count(t).label("n"))
                   .where(*conditions(conn, f, t), one_of(conn, key, keys), t.c[name].is_not(None))
                   .group_by(key, t.c[name]).subquery())
        ranked = select(counted, func.rank().over(partition_by=counted.c.key, order_by=counted.c.n.desc())
                        .label("place")).subquery()
        parts.append(select(ranked.c.key, literal(name).label("column"), ranked.c.value, ranked.c.n)
                     .where(ranked.c.place <= first))
    return conn.execute(union_all(*parts)).all()


def point_volumes(conn: Connection, f: CaseFilter, boxes: list | None = None, source: str = "summary") -> list:
    """(lat, lon, n) per distinct coordinate (inside the boxes, if given): what H3 cells of a resolution other
    than the stored one are made of."""
    t = places(f, source)
    where = [*conditions(conn, f, t), t.c.lat.is_not(None)]
    if boxes is not None:
        where.append(or_(*[in_box(b, t) for b in boxes]))
    query = select(t.c.lat, t.c.lon, _count(t).label("n")).where(*where).group_by(t.c.lat, t.c.lon)
    return conn.execute(query).all()


def point_details(conn: Connection, f: CaseFilter, boxes: list, source: str = "summary") -> list:
    """(lat, lon, address, street, cat_l1, n) per distinct coordinate and description, inside the boxes."""
    t = places(f, source)
    query = (select(t.c.lat, t.c.lon, t.c.address, t.c.street, t.c.cat_l1, _count(t).label("n"))
             .where(*conditions(conn, f, t), or_(*[in_box(b, t) for b in boxes]))
             .group_by(t.c.lat, t.c.lon, t.c.address, t.c.street, t.c.cat_l1))
    return conn.execute(query).all()


# --- 失分工单: the cost Δ of each case ---

@dataclass(frozen=True)
class CaseCosts:
    """The Δ of every pattern of a unit's cases: `rates` are the weighted rates as (numerator, denominator) base
    counts, `values` maps a tuple of the case's class in each (measures.case_classes; None: outside its
    denominator) to its Δ."""
    rates: tuple
    values: Mapping


def cost_expression(costs: CaseCosts, limits: Limits):
    """A case's Δ as nested CASEs over its class in each weighted rate, with the Δ values bound: Δ depends on
    nothing else, so equal patterns give identical values (ties sort exactly)."""
    levels = [case_classes(numerator, denominator, hour_limit(limits)) for numerator, denominator in costs.rates]

    def level(i: int, pattern: tuple):
        if i == len(levels):
            return literal(costs.values[pattern], Double)
        return case(*[(condition, level(i + 1, (*pattern, value))) for value, condition in levels[i]],
                    else_=level(i + 1, (*pattern, None)))

    return level(0, ())


LOST_COLUMNS = ("case_no", "on_time", "solved", "satisfaction", "cat_l1", "cat_l2", "community", "street",
                "address", "urgency", "response_hours", "received_at")


def _costed(conn: Connection, f: CaseFilter, costs: CaseCosts):
    """The filter's cases with their cost, as a subquery."""
    # A case from a file without a response column was neither on time nor late: null.
    on_time = case((cases.c.has_responded_at == false(), None), (on_time_response(f.limits), 1),
                   else_=0).label("on_time")
    columns = [on_time if c == "on_time" else cases.c[c] for c in LOST_COLUMNS]
    return select(*columns, cost_expression(costs, f.limits).label("cost")).where(*conditions(conn, f)).subquery()


def lost_rows(conn: Connection, f: CaseFilter, costs: CaseCosts, limit: int | None, offset: int) -> list:
    """The cases that cost points (Δ > 0), largest Δ first, then case_no."""
    costed = _costed(conn, f, costs)
    query = (select(costed).where(costed.c.cost > 0).order_by(costed.c.cost.desc(), costed.c.case_no)
             .limit(limit).offset(offset))
    return conn.execute(query).mappings().all()


def cost_counts(conn: Connection, f: CaseFilter, costs: CaseCosts) -> list:
    """(cost, n) for each distinct Δ > 0: all the costs of a unit in a few rows."""
    costed = _costed(conn, f, costs)
    query = select(costed.c.cost, func.count().label("n")).where(costed.c.cost > 0).group_by(costed.c.cost)
    return conn.execute(query).all()


def loss_by(conn: Connection, f: CaseFilter, costs: CaseCosts, column: str) -> list:
    """(value, cases, cost) per value of a case column: the lost cases and the sum of their Δ."""
    costed = _costed(conn, f, costs)
    key = costed.c[column]
    query = (select(key.label("value"), func.count().label("cases"), func.sum(costed.c.cost).label("cost"))
             .where(costed.c.cost > 0).group_by(key))
    return conn.execute(query).all()


# --- indicators ---

def volumes_by(conn: Connection, f: CaseFilter, column, source: str = "summary") -> list:
    """(value, n) per value of a case column (name) or expression: streets, categories, units, days.

    Columns of the volume summary (_volume_summary: the category summary, or for repeats the repeat summary) are
    counted there when it serves the filter (its whole months by month, the other days by day), else, like
    expressions, on the case table."""
    summary = _volume_summary(f)
    if isinstance(column, str) and column in summary.c and _source(f, source, summary) is not cases:
        parts = [select(t.c[column].label("value"), func.sum(t.c.n).label("n")).where(*where).group_by(t.c[column])
                 for t, where in _summary_parts(conn, f, f.start, f.end, summary)]
        rows = union_all(*parts).subquery()
        return conn.execute(select(rows.c.value, cast(func.sum(rows.c.n), Integer)).group_by(rows.c.value)).all()
    key = cases.c[column] if isinstance(column, str) else column
    query = select(key.label("value"), func.count().label("n")).where(*conditions(conn, f)).group_by(key)
    return conn.execute(query).all()


def period_volumes(conn: Connection, f: CaseFilter, ranges: list, source: str = "summary") -> list[int]:
    """The filter's cases in each of the day ranges [start, end) (its own days replaced): one count per range."""
    summary = _volume_summary(f)
    if _source(f, source, summary) is cases:
        parts = [select(literal(i).label("bucket"), func.count().label("n"))
                 .where(*conditions(conn, replace(f, start=start, end=end))) for i, (start, end) in enumerate(ranges)]
    else:
        parts = [select(literal(i).label("bucket"), func.sum(t.c.n).label("n")).where(*where)
                 for i, (start, end) in enumerate(ranges)
                 for t, where in _summary_parts(conn, f, start, end, summary)]
    rows = union_all(*parts).subquery()
    counted = dict(conn.execute(select(rows.c.bucket, func.sum(rows.c.n)).group_by(rows.c.bucket)).all())
    return [int(counted.get(i) or 0) for i in range(len(ranges))]


def _volume_summary(f: CaseFilter):
    """The day summary whose rows add up to case volumes under the filter: the repeat summary (cases with a gap,
    by gap) for repeats, the category summary otherwise."""
    return stat_unit_day_repeat if f.repeat else stat_category_day


def _summary_parts(conn: Connection, f: CaseFilter, start, end, days) -> list:
    """(table, where) of a day summary and its month table for the days [start, end): whole months by month, the
    rest by day (an open range by day alone)."""
    day_part = replace(f, start=start, end=end)
    if start is None or end is None:
        return [(days, conditions(conn, day_part, days))]
    first, last = whole_months(start, end)
    month_table = MONTH_TABLES[days]
    other_days = or_(and_(days.c.day >= start, days.c.day < first), and_(days.c.day >= last, days.c.day < end))
    return [(month_table, conditions(conn, replace(f, start=first, end=last), month_table)),
            (days, [*conditions(conn, replace(f, start=None, end=None), days), other_days])]


def frequent_caller_rows(conn: Connection, f: CaseFilter, min_cases: int) -> list:
    """(caller_key, caller_masked, cases, first_received_at, last_received_at) of callers with ≥ min_cases cases.

    The key stays in data_access's callers (metrics) to look up categories; it is never shown.
    """
    n = func.count()
    query = (select(cases.c.caller_key, func.max(cases.c.caller_masked).label("caller_masked"), n.label("cases"),
                    func.min(cases.c.received_at).label("first_received_at"),
                    func.max(cases.c.received_at).label("last_received_at"))
             .where(*conditions(conn, f), cases.c.caller_key != "")
             .group_by(cases.c.caller_key).having(n >= min_cases))
    return conn.execute(query).all()


def caller_categories(conn: Connection, f: CaseFilter, keys: list) -> list:
    """(caller_key, cat_l1, n) for the given callers."""
    query = (select(cases.c.caller_key, cases.c.cat_l1, func.count().label("n"))
             .where(*conditions(conn, f), one_of(conn, cases.c.caller_key, keys))
             .group_by(cases.c.caller_key, cases.c.cat_l1))
    return conn.execute(query).all()
