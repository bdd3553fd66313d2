"""The one write path for cases: upsert clean rows, record what changed (for undo), keep summaries current.

Callers (the importer, the demo generator) hand over *clean* rows: python values already validated, the unit
resolved to `unit_id`, the caller's phone already reduced to `caller_key` / `caller_masked`. Everything runs on
the caller's connection, inside the caller's transaction, so a batch is written whole or not at all.
"""
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter

from sqlalchemy import Date, DateTime, String, bindparam, func, literal, or_, select
from sqlalchemy.engine import Connection, Engine

from data_access.ingest.bulk_insert import insert_tuples
from data_access.ingest.h3_cells import stored_cell
from data_access.ingest.planner_stats import analyze_if_outgrown
from data_access.storage.measures import ASSESSED, COUNTS, PROVIDED, TIMED, case_flag, provided
from data_access.storage.vocabulary import DEFAULT_CLASS
from data_access.ingest.repeat_gaps import refresh_repeat_gaps
from data_access.storage.schema import (
    DISTRICT_TABLES, MONTH_TABLES, batch_changes, case_streets, cases, categories, import_batches, stat_address_month,
    stat_category_day, stat_cell_month, stat_place_day, stat_point_month, stat_unit_day,
)
from data_access.records import audit
from data_access.records.units import remove_batch_units

# The columns a clean row carries; the rest of `cases` is derived here.
INPUT_COLUMNS = (
    "case_no", "received_at", "unit_id", "dispatch_mode", "request_type", "cat_l1", "cat_l2", "cat_l3", "content",
    "address", "street", "community", "lon", "lat", "urgency", "deadline_class", "dispatched_at", "responded_at",
    "closed_at", "callback_at", "solved", "satisfaction", "dispatch_count", "excluded", "exclusion_reason",
    "caller_key", "caller_masked", "tags", *PROVIDED.values(),
)
DERIVED_COLUMNS = ("received_day", "basis_cb_day", "response_hours", "close_hours", "address_key", "h3_cell")
STORED_COLUMNS = INPUT_COLUMNS + DERIVED_COLUMNS
CHUNK = 2000


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    touched: dict = field(default_factory=lambda: {"r": set(), "c": set()})
    callers: set = field(default_factory=set)  # whose repeat gaps may have changed


def normalize_address(address: str | None) -> str | None:
    """Group spellings of one place: full-width to half-width, no spaces or punctuation."""
    if not address:
        return None
    text = unicodedata.normalize("NFKC", address).lower()
    text = re.sub(r"[\s\-_,.;:，。；：、()（）\[\]【】#＃]+", "", text)
    return text[:255] or None


def whole_hours(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return math.ceil((end - start).total_seconds() / 3600)


def derive(row: dict) -> dict:
    out = {k: row.get(k) for k in INPUT_COLUMNS}
    out["dispatch_count"] = out["dispatch_count"] or 1
    out["excluded"] = bool(out["excluded"])
    for k in PROVIDED.values():  # absent: provided (the demo, rows written before 0014, canonical files)
        out[k] = out[k] is None or bool(out[k])
    for k in ("lon", "lat"):
        if out[k] is not None:
            out[k] = round(float(out[k]), 6)
    start = out["dispatched_at"] or out["received_at"]
    out["received_day"] = out["received_at"].date()
    out["basis_cb_day"] = (out["callback_at"] or out["received_at"]).date()
    out["response_hours"] = whole_hours(start, out["responded_at"])
    out["close_hours"] = whole_hours(start, out["closed_at"])
    out["address_key"] = normalize_address(out["address"])
    out["h3_cell"] = stored_cell(out["lat"], out["lon"])
    return out


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def _changed(old: dict, new: dict) -> bool:
    return any(not _same(old[k], new[k]) for k in STORED_COLUMNS)


def _touch(result: WriteResult, row: dict) -> None:
    result.touched["r"].add((row["unit_id"], row["received_day"]))
    result.touched["c"].add((row["unit_id"], row["basis_cb_day"]))
    result.callers.add(row["caller_key"])


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(type(value))


def write_cases(conn: Connection, rows: list[dict], batch_id: int, progress=None, refresh: bool = True) -> WriteResult:
    """Insert new cases, update changed ones, skip identical ones; then refresh the summaries they touch.

    `rows` must have unique case_no. `progress(done, total)` is called after every chunk. A caller writing one
    batch in several calls passes refresh=False and hands the merged `touched` to refresh_stats once at the end.
    """
    result = WriteResult()
    for start in range(0, len(rows), CHUNK):
        _write_chunk(conn, [derive(r) for r in rows[start:start + CHUNK]], batch_id, result)
        if progress:
            progress(min(start + CHUNK, len(rows)), len(rows))
    _add_categories(conn, rows)
    _add_streets(conn, rows)
    analyze_if_outgrown(conn)
    refresh_repeat_gaps(conn, result.callers)
    if refresh:
        refresh_stats(conn, result.touched)
    return result


def _write_chunk(conn: Connection, chunk: list[dict], batch_id: int, result: WriteResult) -> None:
    cols = [cases.c[k] for k in STORED_COLUMNS]
    existing = {
        r["case_no"]: dict(r)
        for r in conn.execute(select(cases.c.id, cases.c.batch_id, *cols).where(cases.c.case_no.in_([c["case_no"] for c in chunk])))
        .mappings()
    }
    inserts, updates, changes = [], [], []
    stored = itemgetter(*STORED_COLUMNS)
    for row in chunk:
        old = existing.get(row["case_no"])
        if old is None:
            inserts.append((*stored(row), batch_id))  # no undo row: cases.batch_id says the batch inserted it
        elif _changed(old, row):
            updates.append({**row, "batch_id": batch_id, "_id": old["id"]})
            previous = json.dumps({k: old[k] for k in STORED_COLUMNS + ("batch_id",)},
                                  default=_json_default, ensure_ascii=False)
            changes.append((batch_id, row["case_no"], "update", previous))
            _touch(result, old)
        else:
            result.unchanged += 1
            continue
        _touch(result, row)
    insert_tuples(conn, cases, STORED_COLUMNS + ("batch_id",), inserts)
    if updates:
        conn.execute(_update_by_id(), updates)
    insert_tuples(conn, batch_changes, ("batch_id", "case_no", "action", "previous"), changes)
    result.new += len(inserts)
    result.updated += len(updates)


def _update_by_id():
    values = {k: bindparam(k) for k in STORED_COLUMNS + ("batch_id",) if k != "case_no"}
    return cases.update().where(cases.c.id == bindparam("_id")).values(**values)


def _add_categories(conn: Connection, rows: list[dict]) -> None:
    paths = {(r["cat_l1"], r.get("cat_l2") or "", r.get("cat_l3") or "") for r in rows}
    known = set(conn.execute(select(categories.c.cat_l1, categories.c.cat_l2, categories.c.cat_l3)).tuples())
    new = [{"cat_l1": a, "cat_l2": b, "cat_l3": c} for a, b, c in sorted(paths - known)]
    if new:
        conn.execute(categories.insert(), new)


def _add_streets(conn: Connection, rows: list[dict]) -> None:
    streets = {r["street"] for r in rows if r.get("street")}
    known = set(conn.execute(select(case_streets.c.name).where(case_streets.c.name.in_(streets))).scalars())
    if streets - known:
        conn.execute(case_streets.insert(), [{"name": s} for s in sorted(streets - known)])


# --- summaries ---

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
                               .where(ASSESSED, provided(t.field), hours.is_not(None))
                               .group_by(day, cases.c.unit_id, klass, hours))
    category = (cases.c.unit_id, cases.c.cat_l1, cases.c.cat_l2, cases.c.street, cases.c.tags)
    return {stat_unit_day: unit_day, **histograms, stat_place_day: _place_query(tag, day),
            stat_category_day: select(tag, day.label("day"), *category, func.count().label("n")).group_by(
                day, *category)}


def _place_query(tag, day):
    place = (cases.c.unit_id, cases.c.cat_l1, cases.c.street, cases.c.address_key, cases.c.address, cases.c.lat,
             cases.c.lon)
    return select(tag, day.label("day"), *place, func.count().label("n"), cases.c.h3_cell).where(
        or_(cases.c.address_key.is_not(None), cases.c.lat.is_not(None))).group_by(day, *place, cases.c.h3_cell)


# --- undo ---

class UndoRefused(Exception):
    """A later batch changed some of this batch's cases; undoing it would silently overwrite those changes."""


def undo_batch(conn: Connection, batch_id: int) -> int:
    """Remove the cases a batch inserted and restore the ones it updated. Returns the number of cases reverted."""
    status = conn.execute(select(import_batches.c.status).where(import_batches.c.id == batch_id)).scalar()
    if status != "done":
        raise UndoRefused(f"批次 {batch_id} 不存在或已撤销 (batch {batch_id} does not exist or was already undone)")
    later = sorted(_later_batches(conn, batch_id))
    if later:
        raise UndoRefused(f"批次 {batch_id} 的部分工单已被之后的批次 {later} 修改，请先撤销这些批次 "
                          f"(later batches {later} changed some of its cases: undo them first)")
    changes = _changes(conn, batch_id)
    result = WriteResult()
    _revert(conn, changes, result)
    conn.execute(import_batches.update().where(import_batches.c.id == batch_id).values(status="undone"))
    refresh_repeat_gaps(conn, result.callers)
    refresh_stats(conn, result.touched)
    remove_batch_units(conn, batch_id)
    return len(changes)


def _changes(conn: Connection, batch_id: int) -> list[tuple[str, str, str | None]]:
    """(case_no, action, previous) of what a batch did: its recorded updates, and as inserts the cases it still
    owns without one (earlier versions also recorded each insert; such a row is read as it is)."""
    recorded = conn.execute(select(batch_changes.c.case_no, batch_changes.c.action, batch_changes.c.previous)
                            .where(batch_changes.c.batch_id == batch_id)).all()
    known = {r.case_no for r in recorded}
    owned = conn.execute(select(cases.c.case_no).where(cases.c.batch_id == batch_id)).scalars()
    return [tuple(r) for r in recorded] + [(no, "insert", None) for no in owned if no not in known]


def _later_batches(conn: Connection, batch_id: int) -> set[int]:
    """The batches still in force that changed this batch's cases after it: a later update of a case it updated
    (joined by case number), or of one it inserted (that update's previous version carries this batch's id, the
    last key of the recorded JSON)."""
    mine = batch_changes.alias("mine")
    later = batch_changes.alias("later")
    done = (import_batches.c.status == "done", later.c.batch_id > batch_id)
    query = (select(later.c.batch_id).distinct()
             .join_from(mine, later, later.c.case_no == mine.c.case_no)
             .join(import_batches, import_batches.c.id == later.c.batch_id)
             .where(mine.c.batch_id == batch_id, *done))
    after_insert = (select(later.c.batch_id).distinct()
                    .join(import_batches, import_batches.c.id == later.c.batch_id)
                    .where(later.c.action == "update", later.c.previous.like(f'%"batch_id": {batch_id}}}'), *done))
    return set(conn.execute(query).scalars()) | set(conn.execute(after_insert).scalars())


def _revert(conn: Connection, changes, result: WriteResult) -> None:
    for start in range(0, len(changes), CHUNK):
        chunk = changes[start:start + CHUNK]
        nos = [no for no, _, _ in chunk]
        current = conn.execute(select(cases.c.case_no, cases.c.id, cases.c.unit_id, cases.c.received_day,
                                      cases.c.basis_cb_day, cases.c.caller_key)
                               .where(cases.c.case_no.in_(nos))).mappings().all()
        ids = {r["case_no"]: r["id"] for r in current}
        for r in current:
            _touch(result, r)
        inserted = [ids[no] for no, action, _ in chunk if action == "insert" and no in ids]
        if inserted:
            conn.execute(cases.delete().where(cases.c.id.in_(inserted)))
        restored = [_decode_previous(previous) | {"_id": ids[no]}
                    for no, action, previous in chunk if action == "update" and no in ids]
        for row in restored:
            _touch(result, row)
        if restored:
            conn.execute(_update_by_id(), restored)


def repoint_previous_unit(conn: Connection, old_id: int, new_id: int) -> None:
    """Recorded previous versions that name a unit now merged into another name that other unit instead, so an
    undo restores a case to a unit that exists."""
    found = conn.execute(select(batch_changes.c.id, batch_changes.c.previous).where(
        batch_changes.c.action == "update", batch_changes.c.previous.like(f'%"unit_id": {old_id},%'))).all()
    for change_id, text in found:
        row = json.loads(text)
        if row.get("unit_id") == old_id:
            row["unit_id"] = new_id
            conn.execute(batch_changes.update().where(batch_changes.c.id == change_id)
                         .values(previous=json.dumps(row, ensure_ascii=False)))


def _decode_previous(text: str) -> dict:
    row = json.loads(text)
    for column in cases.columns:  # the schema says which stored texts are times and days
        if row.get(column.name) and isinstance(column.type, (DateTime, Date)):
            parse = datetime.fromisoformat if isinstance(column.type, DateTime) else date.fromisoformat
            row[column.name] = parse(row[column.name])
    row["h3_cell"] = stored_cell(row["lat"], row["lon"])  # absent from versions recorded before it was stored
    for flag in PROVIDED.values():  # absent from versions recorded before 0014, when every file had every column
        row.setdefault(flag, True)
    return row


def undo_recorded(engine: Engine, batch_id: int, user: str = "") -> int:
    """Undo a batch with its audit record, in one transaction (raises UndoRefused with a Chinese reason)."""
    with engine.begin() as conn:
        reverted = undo_batch(conn, batch_id)
        audit.record(conn, user, "undo", {"batch": batch_id}, reverted)
    return reverted
