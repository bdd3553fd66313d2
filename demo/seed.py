"""The demo district (东城区): fill an empty database with believable, made-up cases (`python cli.py seed-demo`).

Cases go through the one write path (case_store.write_cases), one batch per month with source 'demo', each in its
own transaction. A database that holds any other cases is never touched; a demo database is rebuilt.
"""
import hashlib
import random
import re
from datetime import date, datetime, timedelta
from time import perf_counter

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.ingest import privacy
from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import write_cases
from demo.cases import CaseMaker
from demo.places import unit_specs
from demo.world import build_world
from data_access.storage.schema import STAT_TABLES, batch_changes, cases, import_batches, rejected_rows, units
from data_access.records.units import add_unit

MAX_MONTHS = 60
MAX_SCALE = 20.0
# The demo's default history: three years, so that 预警's seasonal model has two years to learn the seasons from and
# a year to be measured on (on 13 or 25 months it lost to seasonal-naive; README, 预警). At 0.35 of the district's
# size (≈ 9,800 cases a month) it holds about as many cases as 13 full-size months did, so the first run stays quick.
DEFAULT_MONTHS = 37
DEFAULT_SCALE = 0.35


class DemoRefused(ValueError):
    """The demo cannot be built here (the database holds real cases) or with these arguments."""


def is_demo(engine: Engine) -> bool:
    with engine.connect() as conn:
        return privacy.is_demo_database(conn)


def demo_months(end: str | date | None, months: int, today: date) -> tuple[list[date], date]:
    """First days of the months to build, oldest first, and the last day with cases (never today or later).
    `end` is 'YYYY-MM' or a date in that month; by default the current month, up to yesterday."""
    if not 1 <= months <= MAX_MONTHS:
        raise DemoRefused(f"月数应在 1 到 {MAX_MONTHS} 之间: {months} (months must be 1..{MAX_MONTHS})")
    yesterday = today - timedelta(days=1)
    if end is None:
        last = yesterday.replace(day=1)
    elif isinstance(end, date):
        last = end.replace(day=1)
    elif re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(end)):
        last = date(int(end[:4]), int(end[5:]), 1)
    else:
        raise DemoRefused(f"结束月份应为 YYYY-MM: {end!r} (end must be YYYY-MM)")
    if last > today.replace(day=1):
        raise DemoRefused(f"结束月份 {last:%Y-%m} 晚于本月 (the end month {last:%Y-%m} is in the future)")
    starts = [_add_months(last, -k) for k in range(months - 1, -1, -1)]
    return starts, min(_add_months(last, 1) - timedelta(days=1), yesterday)


def _add_months(first_day: date, n: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def seed_demo(engine: Engine, months: int = DEFAULT_MONTHS, end: str | date | None = None, seed: int = 1,
              scale: float = DEFAULT_SCALE,
              progress=None) -> dict:
    """Build the demo district; returns a summary. `progress(done, total)` counts cases written.

    Same arguments (and the same `end`) → the same cases (caller_key also depends on the database's hash key).
    Refuses a database that holds non-demo cases; replaces an earlier demo build."""
    if not 0 < scale <= MAX_SCALE:
        raise DemoRefused(f"规模应大于 0 且不超过 {MAX_SCALE}: {scale} (scale must be in (0, {MAX_SCALE}])")
    started = perf_counter()
    month_starts, last_day = demo_months(end, months, date.today())
    with engine.begin() as conn:
        _refuse_real_cases(conn)
        replaced = _clear_demo(conn)
        unit_ids = _ensure_units(conn)
        key = privacy.hash_key(conn, demo=True)
    rng = random.Random(seed)
    world = build_world(rng, month_starts, last_day, scale)
    maker = CaseMaker(rng, world, unit_ids, lambda phone: (privacy.caller_key(phone, key), privacy.mask_phone(phone)),
                      as_of=datetime.combine(last_day + timedelta(days=1), datetime.min.time()))
    done, batches = 0, []
    for index, plan in enumerate(world.months):
        rows = maker.month_rows(index, plan)
        if rows:
            batches.append(_write_month(engine, plan.key, rows, (seed, scale, last_day),
                                        _offset(progress, done, world.total)))
        done += len(rows)
    summary = {"months": [p.key for p in world.months], "first_day": month_starts[0], "last_day": last_day,
               "cases": done, "units": len(unit_ids), "batches": batches, "replaced_cases": replaced,
               "seed": seed, "scale": scale, "seconds": round(perf_counter() - started, 1)}
    with engine.begin() as conn:
        audit.record(conn, "seed-demo", "seed_demo", summary, n_rows=done)
    return summary


def _offset(progress, done: int, total: int):
    return (lambda n, _month_total: progress(done + n, total)) if progress else None


def _write_month(engine: Engine, month_key: str, rows: list[dict], build: tuple, progress) -> int:
    name = f"演示数据 {month_key}"
    checksum = hashlib.sha256(repr((name, *build)).encode()).hexdigest()
    with engine.begin() as conn:
        batch = start_batch(conn, name, checksum, source="demo", user="seed-demo")
        result = write_cases(conn, rows, batch, progress)
        finish_batch(conn, batch, n_rows=len(rows), n_new=result.new, n_updated=result.updated,
                     n_unchanged=result.unchanged, n_rejected=0)
    return batch


def _demo_batch_ids():
    return select(import_batches.c.id).where(import_batches.c.source == "demo")


def _refuse_real_cases(conn: Connection) -> None:
    real = conn.execute(select(func.count()).select_from(cases).where(
        or_(cases.c.batch_id.is_(None), cases.c.batch_id.not_in(_demo_batch_ids())))).scalar()
    if real:
        raise DemoRefused(f"数据库中已有 {real} 件非演示工单，不能写入演示数据；请使用一个空数据库 "
                          f"(the database holds {real} non-demo cases: use an empty database for the demo)")


def _clear_demo(conn: Connection) -> int:
    """Remove an earlier demo build. Only called once no other cases exist, so the summaries go whole."""
    removed = conn.execute(cases.delete().where(cases.c.batch_id.in_(_demo_batch_ids()))).rowcount
    for table in (batch_changes, rejected_rows):
        conn.execute(table.delete().where(table.c.batch_id.in_(_demo_batch_ids())))
    for table in STAT_TABLES:
        conn.execute(table.delete())
    conn.execute(import_batches.delete().where(import_batches.c.source == "demo"))
    return removed


def _ensure_units(conn: Connection) -> dict[str, int]:
    """The district's units by name → id: existing ones (matched by code, else name) brought up to date."""
    existing = {}
    for row in conn.execute(select(units.c.id, units.c.code, units.c.name)):
        existing.setdefault(row.code, row.id)
        existing.setdefault(row.name, row.id)
    ids = {}
    for spec in unit_specs():
        values = {"code": spec.code, "name": spec.name, "unit_type": spec.unit_type, "population": spec.population,
                  "lat": spec.lat, "lon": spec.lon}
        unit_id = existing.get(spec.code) or existing.get(spec.name)
        if unit_id is None:
            unit_id = add_unit(conn, **values)
        else:
            conn.execute(units.update().where(units.c.id == unit_id).values(active=True, **values))
        ids[spec.name] = unit_id
    return ids
