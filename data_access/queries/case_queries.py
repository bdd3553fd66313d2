"""The cases behind any number: one filter model (`CaseFilter`), one page of a case list, one case in full.

Every drill-down builds a `CaseFilter`; the aggregate queries of `data_access.queries.drill_queries` read the same
filter, so a number and the list behind it always agree. `unit_ids` is the access scope and has no default: a caller
states which units it may see (None = all), and access control can narrow it here, below every page.

Flags that depend on the scoring rules (late response, unsolved, unsatisfied, overdue, repeat) read them from
`Limits`, made from the Rules object by the caller (data_access does not import metrics).

- late response: assessed, and not (responded and whole response hours <= response_limit_hours[urgency]);
- unsolved / unsatisfied: assessed, and rated with a credit below 1 (部分解决 / 未解决, 不满意 by default);
- overdue (超期): closed later than close_limit_hours[deadline_class] after the response start, or not closed and
  that limit already past at `as_of` (default: now); excluded cases included, since overdue is about handling;
- repeat: the same caller filed an earlier case (strictly earlier received_at) with the same cat_l2 at most
  repeat.window_days before; cases without caller or cat_l2 are never repeats (data_access.ingest.repeat_gaps keeps the
  gap on each case).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping

import h3
import pandas as pd
from sqlalchemy import and_, case, false, func, not_, or_, select, true
from sqlalchemy.engine import Connection, Engine

from data_access.ingest.h3_cells import from_key, is_stored
from data_access.storage.measures import RESPONSE_START, STILL_OPEN, count_condition
from data_access.storage.schema import cases, units
from data_access.storage.vocabulary import DEFAULT_CLASS  # an empty urgency or deadline class counts as 一般

LIST_COLUMNS = ("case_no", "received_at", "unit_name", "cat_l1", "cat_l2", "address", "street", "community",
                "urgency", "responded_at", "closed_at", "solved", "satisfaction", "excluded", "caller_masked",
                "content")
TIMELINE_COLUMNS = ("received_at", "dispatched_at", "responded_at", "closed_at", "callback_at")
HIDDEN_COLUMNS = ("id", "caller_key", "address_key", "batch_id", "h3_cell")  # never leave data_access with a case
BOX_MARGIN = 1e-5  # degrees


def _pairs(mapping: Mapping) -> tuple:
    return tuple(sorted(dict(mapping).items()))


@dataclass(frozen=True)
class Limits:
    """The settings case flags need, from the Rules object (`Limits.of(rules)`); hashable for caching."""
    response_hours: tuple        # ((urgency, whole hours), ...)
    close_hours: tuple           # ((deadline class, whole hours), ...)
    solved_credit: tuple         # ((solved value, credit), ...)
    satisfaction_credit: tuple   # ((satisfaction value, credit), ...)
    repeat_window_days: int

    @classmethod
    def of(cls, rules) -> "Limits":
        return cls(_pairs(rules["response_limit_hours"]), _pairs(rules["close_limit_hours"]),
                   _pairs(rules["solved_credit"]), _pairs(rules["satisfaction_credit"]),
                   int(rules.get("repeat.window_days")))


@dataclass(frozen=True, kw_only=True)
class CaseFilter:
    unit_ids: tuple | None               # access scope, mandatory: None = every unit
    start: date | None = None            # first day of the period
    end: date | None = None              # first day after it
    basis: str = "r"                     # 'r' received day, 'c' callback day (rules.period_basis)
    cat_l1: str | None = None
    cat_l2: str | None = None
    street: str | None = None
    community: str | None = None
    address_key: str | None = None
    h3_cell: str | None = None
    bbox: tuple | None = None            # (south, west, north, east) in degrees
    tag: str | None = None
    excluded: bool | None = None         # True: only 特例剔除; False: only assessed; None: both
    late_response: bool = False
    unsolved: bool = False
    unsatisfied: bool = False
    overdue: bool = False
    repeat: bool = False
    skip_points: tuple = ()              # ((lat, lon), ...) placeholder coordinates left out
    case_nos: tuple | None = None        # these cases only (a text cluster of 诉求分析)
    limits: Limits | None = None
    as_of: datetime | None = None        # "now" for overdue open cases

    def __post_init__(self):
        # Lists from callers become tuples so that a filter can be hashed (cache keys).
        for name in ("unit_ids", "bbox", "skip_points", "case_nos"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(tuple(v) if isinstance(v, list) else v for v in value))
        if self.basis not in ("r", "c"):
            raise ValueError(f"basis 应为 r 或 c，而不是 {self.basis!r} (basis must be 'r' or 'c')")
        needs_limits = self.late_response or self.unsolved or self.unsatisfied or self.overdue or self.repeat
        if needs_limits and self.limits is None:
            raise ValueError("按时/解决/满意/超期/重复 筛选需要评分规则: limits=Limits.of(rules) "
                             "(these flags need limits from the rules)")
        if self.h3_cell is not None and not h3.is_valid_cell(self.h3_cell):
            raise ValueError(f"无效的 H3 网格编号 {self.h3_cell!r} (h3_cell is not a valid H3 cell)")

    @classmethod
    def of(cls, period, rules, *, unit_ids, **fields) -> "CaseFilter":
        """The filter for a period under the rules: its days, the rules' period basis and limits."""
        return cls(unit_ids=unit_ids, start=period.start, end=period.end, basis=rules.basis,
                   limits=Limits.of(rules), **fields)


# --- SQL building blocks, shared with data_access.queries.drill_queries ---

def day_column(basis: str):
    return cases.c.received_day if basis == "r" else cases.c.basis_cb_day


def class_limit(column, limits: tuple):
    """The value for a row's urgency / deadline class; anything not listed (empty included) gets 一般's."""
    table = dict(limits)
    return case(table, value=column, else_=table[DEFAULT_CLASS])


def assessed():
    return not_(cases.c.excluded)


def hour_limit(limits: Limits):
    """For measures.count_condition: a timed count's hour limit for the case's class, from these settings."""
    hours = {"response_limit_hours": limits.response_hours, "close_limit_hours": limits.close_hours}
    return lambda timed: class_limit(cases.c[timed.class_column], hours[timed.limits])


def on_time_response(limits: Limits):
    """The case counts as on time in 响应率's numerator (declared once, in data_access.storage.measures)."""
    return count_condition("on_time_response", hour_limit(limits))


def late_response(limits: Limits):
    """Assessed, from a file with a response column, and not responded in time (a file without one says nothing)."""
    return and_(assessed(), cases.c.has_responded_at == true(), not_(on_time_response(limits)))


def below_full_credit(column, credits: tuple):
    return and_(assessed(), column.in_([value for value, credit in credits if credit < 1]))


def overdue(limits: Limits, as_of: datetime):
    """Closed past its close limit, or still open with the limit already past at `as_of`."""
    klass = cases.c.deadline_class
    return or_(closed_late(cases.c.close_hours, klass, limits),
               open_late(still_open(), RESPONSE_START, klass, limits, as_of))


def closed_late(hours, klass, limits: Limits):
    """Closed in more whole hours than its class's close limit (on the case table or a summary's columns)."""
    return and_(hours.is_not(None), hours > class_limit(klass, limits.close_hours))


def open_late(is_open, start, klass, limits: Limits, as_of: datetime):
    """Open, and its class's close limit after the response start already past at `as_of`."""
    # The start compared with as_of − limit: bound datetimes, no dialect date arithmetic.
    deadlines = tuple((k, as_of - timedelta(hours=v)) for k, v in limits.close_hours)
    return and_(is_open, start < class_limit(klass, deadlines))


def still_open():
    """Not closed yet. A case from a file without a close column is not "still open": nobody knows."""
    return STILL_OPEN


def at_points(points, t=cases):
    # OR of pairs rather than a tuple IN: the same expression may appear twice in one statement.
    return or_(*[and_(t.c.lat == lat, t.c.lon == lon) for lat, lon in points]) if points else false()


# The filter fields besides unit scope and days, and the column a summary table needs to answer each: a summary
# (stat_place_day, stat_category_day / _month) serves a filter when it has the columns of every field in use.
FILTER_COLUMNS = {"cat_l1": "cat_l1", "cat_l2": "cat_l2", "street": "street", "community": "community",
                  "address_key": "address_key", "tag": "tags", "bbox": "lat", "skip_points": "lat",
                  "h3_cell": "h3_cell", "excluded": "excluded", "late_response": "response_hours",
                  "unsolved": "solved", "unsatisfied": "satisfaction", "overdue": "closed_at",
                  "repeat": "repeat_gap_days", "case_nos": "case_no"}


def summary_serves(f: CaseFilter, t) -> bool:
    return all(getattr(f, name) in (None, False, ()) or column in t.c for name, column in FILTER_COLUMNS.items())


def conditions(conn: Connection, f: CaseFilter, t=cases) -> list:
    """The WHERE clauses of a filter. An H3 cell of the stored resolution is a test on h3_cell; of another
    resolution it costs one small query (the points in its box, tested in Python).

    `t` is the case table, or a summary table (one row per basis, day and its keys) that serves the filter.
    """
    if t is cases:
        day, where = day_column(f.basis), []
    elif summary_serves(f, t):
        day, where = t.c.day, [t.c.basis == f.basis]
    else:
        used = [n for n, column in FILTER_COLUMNS.items() if getattr(f, n) and column not in t.c]
        raise ValueError(f"汇总表 {t.name} 不能按 {used} 筛选 (summary {t.name} cannot filter on {used})")
    if f.unit_ids is not None:
        where.append(t.c.unit_id.in_(f.unit_ids) if f.unit_ids else false())
    if f.start is not None:
        where.append(day >= f.start)
    if f.end is not None:
        where.append(day < f.end)
    for name in ("cat_l1", "cat_l2", "street", "community", "address_key"):
        if getattr(f, name) is not None:
            where.append(t.c[name] == getattr(f, name))
    if f.case_nos is not None:
        where.append(t.c.case_no.in_(f.case_nos))
    if f.tag:
        where.append(t.c.tags.contains(f";{f.tag};", autoescape=True))
    if f.excluded is not None:
        where.append(cases.c.excluded if f.excluded else assessed())
    if f.late_response:
        where.append(late_response(f.limits))
    if f.unsolved:
        where.append(below_full_credit(cases.c.solved, f.limits.solved_credit))
    if f.unsatisfied:
        where.append(below_full_credit(cases.c.satisfaction, f.limits.satisfaction_credit))
    if f.overdue:
        where.append(overdue(f.limits, f.as_of or datetime.now().replace(microsecond=0)))
    if f.repeat:
        where.append(t.c.repeat_gap_days <= f.limits.repeat_window_days)
    if f.bbox is not None:
        where.append(in_box(f.bbox, t))
    if f.skip_points:
        where.append(or_(t.c.lat.is_(None), not_(at_points(f.skip_points, t))))
    if f.h3_cell is not None and is_stored(f.h3_cell):
        where.append(t.c.h3_cell == from_key(f.h3_cell))
    elif f.h3_cell is not None:
        # The box first, so that the list of points is only tested inside it.
        box = in_box(cell_bbox(f.h3_cell), t)
        where += [box, at_points(_points_in_cell(conn, [*where, box], f.h3_cell, t), t)]
    return where


def in_box(bbox: tuple, t=cases):
    south, west, north, east = bbox
    return and_(t.c.lat.between(south, north), t.c.lon.between(west, east))


def cell_bbox(cell: str) -> tuple:
    """(south, west, north, east) around an H3 cell: a cheap SQL pre-filter before the exact test in Python.
    The margin (about a metre) covers the slight bulge of the cell's geodesic edges beyond its corners."""
    boundary = h3.cell_to_boundary(cell)
    lats, lons = [p[0] for p in boundary], [p[1] for p in boundary]
    return min(lats) - BOX_MARGIN, min(lons) - BOX_MARGIN, max(lats) + BOX_MARGIN, max(lons) + BOX_MARGIN


def _points_in_cell(conn: Connection, where: list, cell: str, t=cases) -> list[tuple]:
    """The distinct coordinates (within `where`) inside one H3 cell."""
    res = h3.get_resolution(cell)
    points = conn.execute(select(t.c.lat, t.c.lon).where(*where).distinct()).all()
    return [(lat, lon) for lat, lon in points if h3.latlng_to_cell(lat, lon, res) == cell]


# --- the list and the detail ---

def _list_query():
    return select(*[cases.c[c] for c in LIST_COLUMNS if c != "unit_name"], units.c.name.label("unit_name")
                  ).join_from(cases, units, units.c.id == cases.c.unit_id)


def case_page(engine: Engine, f: CaseFilter, limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """One page of the filter's cases, newest day first (ORDER BY the indexed day column, then id), and the total."""
    day = day_column(f.basis)
    with engine.connect() as conn:
        where = conditions(conn, f)
        total = conn.execute(select(func.count()).select_from(cases).where(*where)).scalar()
        query = _list_query().where(*where).order_by(day.desc(), cases.c.id.desc()).limit(limit).offset(offset)
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(LIST_COLUMNS))
    frame["excluded"] = frame["excluded"].astype(bool)
    return frame, int(total)


def case_detail(engine: Engine, case_no: str, unit_ids=None) -> dict | None:
    """One case in full: its fields, unit, timeline and callback result; the phone only masked. None if not
    found or outside the scope `unit_ids` (None = all units). Content is returned as stored; the UI masks it
    for roles without case access."""
    where = [cases.c.case_no == case_no]
    if unit_ids is not None:
        where.append(cases.c.unit_id.in_(list(unit_ids)))
    columns = [c for c in cases.c if c.name not in HIDDEN_COLUMNS]
    query = select(*columns, units.c.name.label("unit_name"), units.c.code.label("unit_code")).join_from(
        cases, units, units.c.id == cases.c.unit_id).where(*where)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    detail = dict(row)
    detail["excluded"] = bool(detail["excluded"])
    detail["tags"] = [t for t in (detail["tags"] or "").split(";") if t]
    detail["timeline"] = [(name, detail[name]) for name in TIMELINE_COLUMNS if detail[name] is not None]
    return detail

