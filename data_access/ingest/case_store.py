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
from datetime import date, datetime

from sqlalchemy import Date, DateTime, bindparam, select
from sqlalchemy.engine import Connection, Engine

from data_access.ingest.bulk_insert import insert_columns, insert_tuples
from data_access.ingest.h3_cells import stored_cell
from data_access.ingest.planner_stats import analyze_if_outgrown
from data_access.storage.lookups import one_of
from data_access.storage.measures import PROVIDED
from data_access.ingest.repeat_gaps import gaps_of_new, refresh_repeat_gaps
from data_access.ingest.summaries import refresh_stats
from data_access.storage.schema import batch_changes, case_streets, cases, categories, import_batches
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
    # (unit, day) keys of stored cases whose repeat gap the write changed, besides the cases it wrote (new cases
    # skip those of their own batch): a batch's own delta does not hold them, so they are always recomputed
    regapped: dict = field(default_factory=lambda: {"r": set(), "c": set()})
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
    """One clean row as stored (derive_columns of one row)."""
    return {k: v[0] for k, v in derive_columns({k: [v] for k, v in row.items()}).items()}


def derive_columns(columns: dict[str, list]) -> dict[str, list]:
    """Clean rows given a column at a time (a name left out is empty in every row) as the stored columns."""
    n = len(columns["case_no"])
    out = {k: columns.get(k) or [None] * n for k in INPUT_COLUMNS}
    out["dispatch_count"] = [v or 1 for v in out["dispatch_count"]]
    out["excluded"] = [bool(v) for v in out["excluded"]]
    for k in PROVIDED.values():  # absent: provided (the demo, rows written before 0014, canonical files)
        out[k] = [v is None or bool(v) for v in out[k]]
    for k in ("lon", "lat"):
        out[k] = [None if v is None else round(float(v), 6) for v in out[k]]
    received = out["received_at"]
    starts = [d or r for d, r in zip(out["dispatched_at"], received)]
    out["received_day"] = [r.date() for r in received]
    out["basis_cb_day"] = [(c or r).date() for c, r in zip(out["callback_at"], received)]
    out["response_hours"] = list(map(whole_hours, starts, out["responded_at"]))
    out["close_hours"] = list(map(whole_hours, starts, out["closed_at"]))
    out["address_key"] = _each_distinct(normalize_address, out["address"])
    out["h3_cell"] = _each_distinct(lambda point: stored_cell(*point), list(zip(out["lat"], out["lon"])))
    return out


def _each_distinct(function, values: list) -> list:
    """function(value) of each value, computed once per distinct value (addresses and points repeat)."""
    known = {}
    return [known[v] if v in known else known.setdefault(v, function(v)) for v in values]


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


def _regap(result: WriteResult, changed: dict) -> None:
    """The summary keys of other cases whose repeat gap the write changed."""
    for basis, keys in changed.items():
        result.regapped[basis] |= keys


def merge_keys(into: WriteResult, result: WriteResult) -> None:
    """Add a write's summary keys to those of earlier writes of the same batch."""
    for basis in into.touched:
        into.touched[basis] |= result.touched[basis]
        into.regapped[basis] |= result.regapped[basis]


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(type(value))


def write_cases(conn: Connection, rows: list[dict], batch_id: int, progress=None, refresh: bool = True) -> WriteResult:
    """write_columns for rows given one by one (the demo, the tests, accepted categories)."""
    columns = {k: [r.get(k) for r in rows] for k in INPUT_COLUMNS}
    return write_columns(conn, columns, batch_id, progress, refresh)


def write_columns(conn: Connection, columns: dict[str, list], batch_id: int, progress=None,
                  refresh: bool = True) -> WriteResult:
    """Insert new cases, update changed ones, skip identical ones; then refresh the summaries they touch.

    `columns` maps names of INPUT_COLUMNS to equal-length lists (a name left out is empty in every row); case_no
    must be unique. `progress(done, total)` is called after every chunk. A caller writing one batch in several
    calls passes refresh=False, merges the keys (merge_keys) and hands them to summaries.refresh_batch at the end.
    """
    result = WriteResult()
    total = len(columns["case_no"])
    for start in range(0, total, CHUNK):
        chunk = {k: v[start:start + CHUNK] for k, v in columns.items()}
        _write_chunk(conn, derive_columns(chunk), batch_id, result)
        if progress:
            progress(min(start + CHUNK, total), total)
    _add_categories(conn, columns)
    _add_streets(conn, columns)
    analyze_if_outgrown(conn)
    _regap(result, refresh_repeat_gaps(conn, result.callers))
    if refresh:
        refresh_stats(conn, result.touched, result.regapped)
    return result


def _write_chunk(conn: Connection, chunk: dict[str, list], batch_id: int, result: WriteResult) -> None:
    cols = [cases.c[k] for k in STORED_COLUMNS]
    known = select(cases.c.id, cases.c.batch_id, *cols).where(one_of(conn, cases.c.case_no, chunk["case_no"]))
    existing = {r["case_no"]: dict(r) for r in conn.execute(known).mappings()}
    stored = [chunk[k] for k in STORED_COLUMNS]
    if not existing:  # all new (a first load, a new month): no row by row comparison, gaps written with the rows
        gaps, regapped = gaps_of_new(conn, chunk["caller_key"], chunk["cat_l2"], chunk["received_at"], batch_id)
        _regap(result, regapped)
        _insert_new(conn, [*stored, gaps], batch_id, result, ("repeat_gap_days",))
        for u, r, c in zip(chunk["unit_id"], chunk["received_day"], chunk["basis_cb_day"]):
            result.touched["r"].add((u, r))
            result.touched["c"].add((u, c))
        return
    inserts, updates, changes = [], [], []
    for values in zip(*stored):
        row = dict(zip(STORED_COLUMNS, values))
        old = existing.get(row["case_no"])
        if old is None:
            inserts.append(values)
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
    _insert_new(conn, list(zip(*inserts)) if inserts else [], batch_id, result)
    if updates:
        conn.execute(_update_by_id(), updates)
    insert_tuples(conn, batch_changes, ("batch_id", "case_no", "action", "previous"), changes)
    result.updated += len(updates)


def _insert_new(conn: Connection, stored: list, batch_id: int, result: WriteResult, extra: tuple = ()) -> None:
    """New cases, a column at a time (STORED_COLUMNS, then `extra`); no undo row: cases.batch_id says the batch
    inserted them."""
    if not stored or not stored[0]:
        return
    insert_columns(conn, cases, STORED_COLUMNS + extra + ("batch_id",), [*stored, [batch_id] * len(stored[0])])
    result.new += len(stored[0])


def _update_by_id():
    values = {k: bindparam(k) for k in STORED_COLUMNS + ("batch_id",) if k != "case_no"}
    return cases.update().where(cases.c.id == bindparam("_id")).values(**values)


def _add_categories(conn: Connection, columns: dict[str, list]) -> None:
    empty = [None] * len(columns["cat_l1"])
    paths = set(zip(columns["cat_l1"], *((v or "" for v in columns.get(k) or empty) for k in ("cat_l2", "cat_l3"))))
    known = set(conn.execute(select(categories.c.cat_l1, categories.c.cat_l2, categories.c.cat_l3)).tuples())
    new = [{"cat_l1": a, "cat_l2": b, "cat_l3": c} for a, b, c in sorted(paths - known)]
    if new:
        conn.execute(categories.insert(), new)


def _add_streets(conn: Connection, columns: dict[str, list]) -> None:
    streets = {s for s in columns.get("street") or () if s}
    known = set(conn.execute(select(case_streets.c.name).where(case_streets.c.name.in_(streets))).scalars())
    if streets - known:
        conn.execute(case_streets.insert(), [{"name": s} for s in sorted(streets - known)])


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
    _regap(result, refresh_repeat_gaps(conn, result.callers))
    refresh_stats(conn, result.touched, result.regapped)
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
