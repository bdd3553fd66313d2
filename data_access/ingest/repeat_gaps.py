"""重复诉求 kept with the cases: `cases.repeat_gap_days` is the time since the same caller's latest strictly earlier
case of the same cat_l2, in whole days rounded up (null when there is none, or no caller or cat_l2).

A case is a repeat under a window of W whole days (METRICS.md §7) exactly when repeat_gap_days <= W: an elapsed
time is at most W days exactly when its days rounded up are. So repeat counts and lists are a plain WHERE on the
case table instead of a self-join of every case with the caller's earlier ones (6.8 s for a month at city scale).

The gap depends on the caller's other cases, not on the row alone, so it is not one of the row's stored columns:
every write or undo recomputes it for all the cases of the callers it touched.
"""
import math
from array import array
from datetime import datetime
from itertools import groupby

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, bindparam, select, text
from sqlalchemy.engine import Connection

from data_access.storage.lookups import one_of
from data_access.storage.schema import cases

CALLERS_PER_QUERY = 5000
DAY_SECONDS = 86400


class GapTracker:
    """The gaps of cases met in ascending received_at order: per caller and cat_l2 it remembers the last time seen
    and the latest time strictly earlier than that one (cases at the same moment are not earlier than each other)."""

    def __init__(self):
        self._seen: dict[tuple, tuple] = {}

    def gap(self, caller: str | None, cat_l2: str | None, at: datetime) -> int | None:
        if not caller or not cat_l2:
            return None
        last, before = self._seen.get((caller, cat_l2), (None, None))
        if last is not None and at > last:
            before = last
        self._seen[(caller, cat_l2)] = (at, before)
        return None if before is None else math.ceil((at - before).total_seconds() / DAY_SECONDS)


def gaps(received: list[datetime]) -> list[int | None]:
    """The gap of each of one caller's cases of one cat_l2, given their received times in ascending order."""
    tracker = GapTracker()
    return [tracker.gap("caller", "cat_l2", at) for at in received]


def _computed(rows):
    """(id, gap) for rows (id, caller_key, cat_l2, received_at) that come caller by caller (sorted by caller_key;
    within a caller, sorted here, so that the database's collation of cat_l2 does not matter)."""
    for caller, of_caller in groupby(rows, key=lambda r: r[1]):
        ordered = list(of_caller)
        if len(ordered) == 1:   # most callers call once: no earlier case, no gap
            yield ordered[0][0], None
            continue
        ordered.sort(key=lambda r: (r[2] or "", r[3], r[0]))
        for cat_l2, group in groupby(ordered, key=lambda r: r[2]):
            group = list(group)
            values = gaps([r[3] for r in group]) if caller and cat_l2 else [None] * len(group)
            yield from ((r[0], gap) for r, gap in zip(group, values))


def refresh_repeat_gaps(conn: Connection, callers: set) -> dict[str, set]:
    """Recompute the gaps of every case of these callers; returns the summary keys of the cases whose gap changed
    ({"r": {(unit_id, received_day)}, "c": {(unit_id, basis_cb_day)}}): a case written earlier than a caller's
    stored ones changes their gaps, and the repeat summary (stat_unit_day_repeat) of their days with them."""
    rows = {r.id: r for r in _cases_of(conn, callers)}
    changed = {i: gap for i, gap in _computed(rows.values()) if rows[i].repeat_gap_days != gap}
    _store(conn, changed)
    return _keys(rows, changed)


def gaps_of_new(conn: Connection, callers: list, cat_l2: list, received: list[datetime],
                batch_id: int) -> tuple[list, dict]:
    """The gaps of cases about to be inserted by a batch (one list per column), with the same callers' stored cases,
    and the summary keys of the stored cases of other batches whose gap the new ones change (a new case earlier
    than them: updated here, as refresh_repeat_gaps does). So new cases are written with their gap instead of
    being updated after. A case of this batch's earlier chunks needs no key: the batch's summaries are added from
    its cases as they stand at the end."""
    stored = {r.id: r for r in _cases_of(conn, set(callers))}
    first_new = max(stored, default=0) + 1   # stand-in ids after every stored one, in the order of insertion
    rows = [*stored.values(), *((first_new + i, *new) for i, new in enumerate(zip(callers, cat_l2, received)))]
    computed = dict(_computed(sorted(rows, key=lambda r: r[1] or "")))
    changed = {i: computed[i] for i, r in stored.items() if r.repeat_gap_days != computed[i]}
    _store(conn, changed)
    others = {i: r for i, r in stored.items() if r.batch_id != batch_id}
    return [computed[first_new + i] for i in range(len(callers))], _keys(others, changed)


def _cases_of(conn: Connection, callers: set) -> list:
    """The stored cases of these callers, by caller: (id, caller_key, cat_l2, received_at, repeat_gap_days, unit_id,
    received_day, basis_cb_day, batch_id)."""
    callers = sorted(c for c in callers if c)
    rows = []
    for start in range(0, len(callers), CALLERS_PER_QUERY):
        query = (select(cases.c.id, cases.c.caller_key, cases.c.cat_l2, cases.c.received_at, cases.c.repeat_gap_days,
                        cases.c.unit_id, cases.c.received_day, cases.c.basis_cb_day, cases.c.batch_id)
                 .where(one_of(conn, cases.c.caller_key, callers[start:start + CALLERS_PER_QUERY]))
                 .order_by(cases.c.caller_key))
        rows += conn.execute(query).all()
    return rows


def _store(conn: Connection, gaps: dict[int, int | None]) -> None:
    """Write the changed gaps of stored cases (id -> gap)."""
    if gaps:
        update = cases.update().where(cases.c.id == bindparam("_id")).values(repeat_gap_days=bindparam("gap"))
        conn.execute(update, [{"_id": i, "gap": gap} for i, gap in gaps.items()])


def _keys(rows: dict, ids) -> dict[str, set]:
    """The summary keys of those of `ids` that are in `rows`."""
    mine = [rows[i] for i in ids if i in rows]
    return {"r": {(r.unit_id, r.received_day) for r in mine}, "c": {(r.unit_id, r.basis_cb_day) for r in mine}}


def fill_repeat_gaps(conn: Connection, chunk: int = 50_000) -> int:
    """The gaps of a whole database (a migration, or a bulk load that bypassed the write path): the cases with a
    caller and a cat_l2 streamed once by caller, the non-null gaps kept in compact arrays (a streaming result
    must be read to its end before the connection runs anything else), then written through a helper table and
    one joined UPDATE. Returns the number of gaps written."""
    query = (select(cases.c.id, cases.c.caller_key, cases.c.cat_l2, cases.c.received_at)
             .where(cases.c.caller_key != "", cases.c.cat_l2.is_not(None)).order_by(cases.c.caller_key))
    ids, values = array("q"), array("l")
    for i, gap in _computed(conn.execute(query.execution_options(yield_per=chunk))):
        if gap is not None:
            ids.append(i)
            values.append(gap)
    helper = Table("repeat_gaps_tmp", MetaData(), Column("id", BigInteger, primary_key=True),
                   Column("gap", Integer, nullable=False))
    helper.create(conn)
    for start in range(0, len(ids), chunk):
        conn.execute(helper.insert(), [{"id": i, "gap": g} for i, g in
                                       zip(ids[start:start + chunk], values[start:start + chunk])])
    conn.execute(text(_joined_update(conn.dialect.name)))
    helper.drop(conn)
    return len(ids)


def _joined_update(dialect: str) -> str:
    if dialect in ("mysql", "mariadb"):
        return "UPDATE cases JOIN repeat_gaps_tmp g ON g.id = cases.id SET cases.repeat_gap_days = g.gap"
    return "UPDATE cases SET repeat_gap_days = g.gap FROM repeat_gaps_tmp g WHERE g.id = cases.id"
