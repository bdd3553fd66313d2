"""The city-scale benchmark database: Beijing's 16 districts, each a copy of the demo district's geography and units
under its own name, codes and coordinates, with its own cases drawn by the demo generator (about 20 million in all).

Going through the Python write path would take hours (the demo generator alone makes about 5,000 rows/s), so each
district's generator runs at 1/COPIES of the district's volume and every row it makes is written COPIES times: the
copies get their own case number and caller, and a case at an address off the list of recurring places gets its
own address and point per copy (so the long tail of one-off addresses stays one-off; the recurring places and the
placeholder point gather the copies, as they gather cases). Rates per unit are those of the generator's sample.
Rows are derived by case_store.derive (their H3 cells included), given their repeat gaps in received order
(data_access.ingest.repeat_gaps.GapTracker, as the write path would) and streamed with PostgreSQL's COPY by two worker
processes, month by month (so a month's cases lie together on disk, as monthly imports leave them); the secondary
indexes are built afterwards and the summary tables filled by summaries.rebuild_stats, month by month. No batch_changes are written
(nothing to undo). The build is recorded in app_settings ("bench_city") and reused by later runs.
"""
import json
import multiprocessing as mp
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url

from data_access.ingest import privacy
from data_access.ingest.case_store import STORED_COLUMNS, derive, normalize_address
from data_access.ingest.summaries import rebuild_stats
from demo.seed import demo_months
from demo.cases import CaseMaker
from demo.places import CODE_PREFIX, PLACEHOLDER_POINT, unit_specs
from demo.world import build_world
from data_access.storage.engine import make_engine
from data_access.ingest.h3_cells import stored_cell
from data_access.storage.migrate import upgrade
from data_access.ingest.repeat_gaps import GapTracker
from data_access.storage.schema import app_settings, cases, import_batches, units

SETTING = "bench_city"
MONTHS = 13
# (name, short name, administrative code): the demo district (东城) is the first.
DISTRICTS = (
    ("东城区", "东城", "110101"), ("西城区", "西城", "110102"), ("朝阳区", "朝阳", "110105"),
    ("丰台区", "丰台", "110106"), ("石景山区", "石景山", "110107"), ("海淀区", "海淀", "110108"),
    ("门头沟区", "门头沟", "110109"), ("房山区", "房山", "110111"), ("通州区", "通州", "110112"),
    ("顺义区", "顺义", "110113"), ("昌平区", "昌平", "110114"), ("大兴区", "大兴", "110115"),
    ("怀柔区", "怀柔", "110116"), ("平谷区", "平谷", "110117"), ("密云区", "密云", "110118"),
    ("延庆区", "延庆", "110119"),
)
WORKERS = 2
COPIES = 16


@dataclass(frozen=True)
class District:
    index: int
    name: str
    short: str
    code: str

    def unit_name(self, demo_name: str) -> str:
        """区城市管理委 → 朝阳区城市管理委, 东城公安分局 → 朝阳公安分局, 东华门街道 → 朝阳区东华门街道."""
        if "东城" in demo_name:
            return demo_name.replace("东城", self.short)
        return self.name + (demo_name[1:] if demo_name.startswith("区") else demo_name)

    def shift(self, lat: float | None, lon: float | None) -> tuple:
        """Each district's copy of the map sits on its own patch (4 × 4 patches of about 10 km)."""
        if lat is None:
            return None, None
        return round(lat + 0.1 * (self.index // 4), 6), round(lon + 0.12 * (self.index % 4), 6)


def districts() -> list[District]:
    return [District(i, *d) for i, d in enumerate(DISTRICTS)]


# The city database's own settings, as the Scaling section recommends for a city deployment: JIT compilation costs
# more than these short aggregate queries take, and 4 MB of work_mem makes a large GROUP BY spill to disk.
SETTINGS = {"jit": "off", "work_mem": "64MB"}


def build_or_reuse(url: str, cases_total: int, seed: int = 1, log=print) -> dict:
    """The city database at `url` with about `cases_total` cases; reused when a finished build matches."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name, value in SETTINGS.items():
            conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" SET {name} = \'{value}\''))
    wanted = {"cases": cases_total, "seed": seed, "months": MONTHS}
    with engine.connect() as conn:
        found = conn.execute(select(app_settings.c.value).where(app_settings.c.key == SETTING)).scalar()
    if found and {k: v for k, v in json.loads(found).items() if k in wanted} == wanted:
        log(f"reusing the city database ({json.loads(found)['built_cases']:,} cases)")
        engine.dispose()
        return json.loads(found)
    info = _build(engine, url, cases_total, seed, log)
    with engine.begin() as conn:
        conn.execute(app_settings.delete().where(app_settings.c.key == SETTING))
        conn.execute(app_settings.insert().values(key=SETTING, value=json.dumps({**wanted, **info})))
    engine.dispose()
    return {**wanted, **info}


def _build(engine: Engine, url: str, cases_total: int, seed: int, log) -> dict:
    started = time.perf_counter()
    month_starts, last_day = demo_months(None, MONTHS, date.today())
    with engine.begin() as conn:
        for table in ("stat_unit_day", "stat_unit_day_resp", "stat_unit_day_close", "batch_changes", "cases",
                      "score_adjustments", "meeting_items", "meetings", "rejected_rows", "import_batches", "units"):
            conn.execute(text(f"TRUNCATE {table} RESTART IDENTITY CASCADE"))
        key = privacy.hash_key(conn, demo=True)  # a demo-source build
        unit_ids = _add_units(conn)
        batch_id = conn.execute(import_batches.insert().values(
            file_name="城市规模基准数据", checksum=f"bench-city-{seed}-{cases_total}", source="demo",
            imported_by="bench", started_at=datetime.now().replace(microsecond=0), status="done")
        ).inserted_primary_key[0]
        for index in cases.indexes:
            index.drop(conn, checkfirst=True)  # a build cut short has dropped some already
    # One demo district at scale 1 has this many cases in these months; scale each district to the target.
    per_district = build_world(random.Random(seed), month_starts, last_day, 1.0).total
    scale = cases_total / len(DISTRICTS) / per_district / COPIES
    log(f"generating {cases_total:,} cases: {len(DISTRICTS)} districts at demo scale {scale:.2f}, "
        f"× {COPIES} copies, {month_starts[0]:%Y-%m} … {last_day}, {WORKERS} workers")
    jobs = [(url, [d for d in districts() if d.index % WORKERS == w], unit_ids, key, seed, scale, month_starts,
             last_day, batch_id) for w in range(WORKERS)]
    with mp.get_context("spawn").Pool(WORKERS) as pool:
        written = sum(pool.starmap(_write_districts, jobs))
    log(f"  {written:,} cases written in {time.perf_counter() - started:,.0f} s; building indexes")
    with engine.begin() as conn:
        conn.execute(text("SET maintenance_work_mem = '1GB'"))
        for index in cases.indexes:
            index.create(conn)
        conn.execute(import_batches.update().where(import_batches.c.id == batch_id).values(
            n_rows=written, n_new=written, finished_at=datetime.now().replace(microsecond=0)))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))
    log(f"  indexes built at {time.perf_counter() - started:,.0f} s; filling the summary tables")
    for first in month_starts:
        with engine.begin() as conn:
            rebuild_stats(conn, first, _next_month(first))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    seconds = round(time.perf_counter() - started)
    log(f"  city database ready in {seconds:,} s")
    return {"built_cases": written, "scale": scale, "first_day": str(month_starts[0]), "last_day": str(last_day),
            "build_seconds": seconds}


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _add_units(conn) -> dict[int, dict[str, int]]:
    """district index → demo unit name → id of that district's copy of the unit."""
    ids: dict[int, dict[str, int]] = {}
    for d in districts():
        ids[d.index] = {}
        for spec in unit_specs():
            lat, lon = d.shift(spec.lat, spec.lon)
            row = {"code": d.code + spec.code[len(CODE_PREFIX):], "name": d.unit_name(spec.name),
                   "unit_type": spec.unit_type, "population": spec.population, "lat": lat, "lon": lon, "active": True}
            ids[d.index][spec.name] = conn.execute(units.insert().values(**row)).inserted_primary_key[0]
    return ids


def _write_districts(url, mine, unit_ids, key, seed, scale, month_starts, last_day, batch_id) -> int:
    """Worker: the cases of some districts, month by month, each district-month one COPY."""
    engine = create_engine(make_url(url))
    as_of = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    makers = {}
    for d in mine:
        rng = random.Random(seed * 1000 + d.index)
        world = build_world(rng, month_starts, last_day, scale)
        maker = CaseMaker(rng, world, unit_ids[d.index],
                          lambda phone: (privacy.caller_key(phone, key), privacy.mask_phone(phone)), as_of=as_of)
        makers[d] = (world, maker, {p.address for p in world.places}, GapTracker())
    written = 0
    raw = engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET session_replication_role = replica")  # no per-row foreign key triggers while loading
        for month in range(len(month_starts)):
            for d, (world, maker, recurring, tracker) in makers.items():
                # In received order, so that the tracker sees each caller's cases as they came (the write path
                # keeps repeat_gap_days; COPY bypasses it). A copy's caller has the same cases, so the same gaps.
                rows = sorted(maker.month_rows(month, world.months[month]), key=lambda r: r["received_at"])
                lines = []
                for row in rows:
                    one_off = row["address"] is not None and row["address"] not in recurring
                    gap = tracker.gap(row["caller_key"], row["cat_l2"], row["received_at"])
                    stored = derive(_localise(row, d)) | {"batch_id": batch_id, "repeat_gap_days": gap}
                    lines += _copies(stored, d, one_off)
                with raw.driver_connection.cursor() as cur:
                    with cur.copy(f"COPY cases ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                        copy.write("".join(lines).encode())
                raw.driver_connection.commit()
                written += len(lines)
    finally:
        raw.close()
        engine.dispose()
    return written


COPY_COLUMNS = (*STORED_COLUMNS, "batch_id", "repeat_gap_days")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    return str(value)  # numbers; dates and datetimes print as YYYY-MM-DD[ HH:MM:SS]


def _localise(row: dict, d: District) -> dict:
    """A demo row moved into district d: address, street, community and coordinates."""
    for name in ("address", "community"):
        if row[name]:
            row[name] = d.name + row[name]
    if row["street"]:
        row["street"] = d.unit_name(row["street"])
    row["lat"], row["lon"] = d.shift(row["lat"], row["lon"])
    return row


def _copies(stored: dict, d: District, one_off: bool) -> list[str]:
    """The COPY lines of a stored row's copies: each its own case number and caller; a one-off address becomes
    another one-off address per copy, 25 m further north (unless the geocoder put it on its placeholder point)."""
    fields = [_text(stored[c]) for c in COPY_COLUMNS]
    index = {c: COPY_COLUMNS.index(c) for c in ("case_no", "caller_key", "address", "address_key", "lat", "h3_cell")}
    moves = one_off and stored["lat"] is not None and (stored["lat"], stored["lon"]) != d.shift(*PLACEHOLDER_POINT)
    lines = []
    for copy in range(COPIES):
        mine = fields.copy()
        mine[index["case_no"]] = f"{d.code}{copy:x}{fields[index['case_no']]}"
        if stored["caller_key"]:
            mine[index["caller_key"]] = f"{copy:x}{stored['caller_key'][1:]}"
        if one_off and copy:
            address = f"{stored['address']}{copy}号院"
            mine[index["address"]] = _text(address)
            mine[index["address_key"]] = _text(normalize_address(address))
            if moves:
                lat = round(stored["lat"] + 0.00025 * copy, 6)
                mine[index["lat"]], mine[index["h3_cell"]] = str(lat), _text(stored_cell(lat, stored["lon"]))
        lines.append("\t".join(mine) + "\n")
    return lines
