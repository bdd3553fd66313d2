"""Benchmark at district and city scale (DESIGN.md §Performance budgets). Run outside CI:

    .venv/bin/python bench/run.py [--scale district|city] [--db URL] [--repeat 5] [--import-rows 100000]

district: the demo district's 13 months (≈ 350,000 cases, demo.seed.seed_demo) in SQLite, bench/out/district.db;
city:     about 20 million cases (bench/city.py) in the PostgreSQL database jsjb_city.
Either database is built on the first run and reused afterwards.

For each page it times the page's data (bench/pages.py) in a fresh process with a fresh engine and no app cache
("cold"; the operating system's file cache stays as it is, usually warm) and then repeated in that process
("warm", the median); beside them, the naive way (bench/naive.py: the month's cases loaded into pandas and the
page computed there) and the ratio. Then import throughput (bench/bench_import.py's file, through the importer
into a fresh database of the same kind) and peak memory: of one process serving every page for 20 concurrent
sessions, and of the naive load. Prints a table and writes bench/results.json (one entry per scale).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import app_views, browser  # noqa: E402

OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "results.json"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
CITY_CASES = 20_000_000
SESSIONS = 20
SCALES = {
    "district": {"db": f"sqlite:///{OUT / 'district.db'}", "cold": 0.2, "warm": 0.05},
    "city": {"db": SERVER + "jsjb_city", "cold": 0.5, "warm": None},
}
IMPORT_BUDGET = 20_000   # validated rows/s
PAGE_BUDGET = 1.5        # a whole page, s
MEMORY_BUDGET_MB = 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="district")
    parser.add_argument("--db", help="database URL (default: the scale's own database)")
    parser.add_argument("--repeat", type=int, default=5, help="warm repetitions per page")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--pages", help="comma-separated subset of pages")
    parser.add_argument("--no-browser", action="store_true", help="skip the whole-page timing in Chromium")
    parser.add_argument("--quick", action="store_true", help="only the pages' own timings (nothing written)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    run(args)


# --- the parent: prepare, measure in children, report ---

def run(args) -> None:
    budget = SCALES[args.scale]
    url = args.db or budget["db"]
    info = prepare(args.scale, url, built_here=args.db is None)
    period, unit = context_for(url)
    pages = _pages(args.pages)
    print(f"{args.scale}: {info['cases']:,} cases, {_safe(url)}; period {period}, 后进会诊 unit {unit}")
    rows = {}
    for name in pages:
        rows[name] = spawn("page", name, url, period, str(unit), str(args.repeat))
        print(f"  {name:<12} cold {rows[name]['cold']:.3f} s  warm {rows[name]['warm']:.3f} s  "
              f"(CPU {rows[name]['cold_cpu']:.3f} / {rows[name]['warm_cpu']:.3f} s)", flush=True)
    if args.quick:
        return
    naive = spawn("naive", ",".join(pages), url, period, str(unit))
    # The memory budget is set at district scale (DESIGN.md), where 20 sessions take a minute, not an hour.
    sessions = spawn("sessions", ",".join(pages), url, period, str(unit)) if args.scale == "district" else None
    imported = spawn("import", "sqlite" if url.startswith("sqlite") else "postgresql", str(args.import_rows))
    print("  page views on the server (AppTest) …", flush=True)
    views = {name: spawn("view", name, url, period) for name in app_views.PAGES}
    drawn = None
    if not args.no_browser and browser.available():
        print("  whole pages in Chromium …", flush=True)
        drawn = browser.measure(url, period, OUT / f"streamlit-{args.scale}.log")
    result = {"scale": args.scale, "measured_at": time.strftime("%Y-%m-%d %H:%M"), "database": _safe(url),
              "cases": info["cases"], "period": period, "budget": budget, "pages": rows, "naive": naive,
              "sessions": sessions, "import": imported, "views": views, "browser": drawn, "cpu": os.cpu_count(),
              "database_settings": _settings(url),
              "load_average": os.getloadavg()}
    print()
    print(table(result))
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything[args.scale] = result
    RESULTS.write_text(json.dumps(everything, ensure_ascii=False, indent=1, default=str) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def _settings(url: str) -> dict:
    """The PostgreSQL settings the measurement ran with (the server's, or the database's own)."""
    if url.startswith("sqlite"):
        return {}
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {name: conn.execute(text(f"SHOW {name}")).scalar()
                 for name in ("shared_buffers", "work_mem", "jit", "max_parallel_workers_per_gather")}
    engine.dispose()
    return found


def _pages(subset: str | None) -> list[str]:
    from bench.pages import PAGES
    names = list(PAGES) if not subset else subset.split(",")
    unknown = [n for n in names if n not in PAGES]
    if unknown:
        sys.exit(f"unknown pages {unknown}; known: {', '.join(PAGES)}")
    return names


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def prepare(scale: str, url: str, built_here: bool) -> dict:
    """Build the scale's own database unless it is there already (a database given by --db is used as it is,
    upgraded to the newest schema); returns its case count."""
    from data_access.storage.engine import make_engine
    from data_access.storage.migrate import upgrade
    if scale == "city" and built_here:
        from bench.city import build_or_reuse
        _create_server_database(url)
        build_or_reuse(url, CITY_CASES)
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
    if n == 0 and scale == "district" and built_here:
        from demo.seed import seed_demo
        print("building the demo district (13 months) …", flush=True)
        n = seed_demo(engine, months=13, scale=1.0)["cases"]  # the district at full size, as measured so far
    engine.dispose()
    return {"cases": n}


def _create_server_database(url: str) -> None:
    from sqlalchemy.engine import make_url
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def context_for(url: str) -> tuple[str, int]:
    """The latest whole month with data, and the unit 后进会诊 opens on (as the page picks it)."""
    from data_access.storage.engine import make_engine
    from data_access.queries.filter_options import data_days
    from metrics.lagging import lagging
    from metrics.periods import period_of
    from metrics.rules import load_rules
    from metrics.scores import unit_scores
    rules = load_rules()
    engine = make_engine(url)
    with engine.connect() as conn:
        first, last = data_days(conn, rules.basis)
    month = period_of(last, "month")
    if month.end > last + timedelta(days=1):  # the newest month is still running: take the one before
        month = month.previous()
    lagged = lagging(engine, month, rules).sort_values("watchlist", ascending=False, kind="stable")
    if len(lagged):
        unit = int(lagged["unit_id"].iloc[0])
    else:
        scores = unit_scores(engine, month, rules)
        unit = int(scores[scores["ranked"]].sort_values("adjusted_score")["unit_id"].iloc[0])
    engine.dispose()
    return month.key, unit


def spawn(*argv: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"benchmark step {argv[:2]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the children: each measurement in a fresh process ---

def child(argv: list[str]) -> dict:
    kind, *rest = argv
    if kind == "import":
        return measure_import(rest[0], int(rest[1]))
    if kind == "view":
        return app_views.measure(rest[1], rest[2], rest[0])
    names, url, period_key, unit = rest[0], rest[1], rest[2], int(rest[3])
    from bench.pages import PAGES, Context
    from data_access.storage.engine import make_engine
    from metrics.periods import parse_period
    from metrics.rules import load_rules
    ctx = Context(parse_period(period_key), load_rules(), unit)
    if kind == "page":
        return measure_page(PAGES[names][0], make_engine(url), ctx, int(rest[4]))
    if kind == "naive":
        return measure_naive(names.split(","), make_engine(url), ctx)
    if kind == "sessions":
        return measure_sessions([PAGES[n][0] for n in names.split(",")], make_engine(url, pool_size=SESSIONS), ctx)
    raise ValueError(kind)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(page, engine, ctx) -> tuple[float, float]:
    """Wall time and this process's CPU time (on a busy machine the wall time includes waiting for a core)."""
    wall, cpu = time.perf_counter(), time.process_time()
    page(engine, ctx)
    return time.perf_counter() - wall, time.process_time() - cpu


def measure_page(page, engine, ctx, repeat: int) -> dict:
    cold, cold_cpu = _timed(page, engine, ctx)
    warm = [_timed(page, engine, ctx) for _ in range(repeat)]
    return {"cold": cold, "cold_cpu": cold_cpu, "warm": statistics.median(w for w, _ in warm),
            "warm_cpu": statistics.median(c for _, c in warm), "warm_all": [w for w, _ in warm],
            "peak_mb": _peak_mb()}


def measure_naive(pages: list[str], engine, ctx) -> dict:
    from bench import naive
    started = time.perf_counter()
    frame = naive.load_month(engine, ctx.period, ctx.rules.basis)
    load = time.perf_counter() - started
    computed = {}
    for page in pages:
        started = time.perf_counter()
        naive.compute(page, frame, ctx.rules, ctx.unit_id)
        computed[page] = time.perf_counter() - started
    return {"load": load, "rows": len(frame), "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
            "compute": computed, "peak_mb": _peak_mb()}


def measure_sessions(pages: list, engine, ctx) -> dict:
    """SESSIONS threads, each drawing every page once (in a different order), on one engine: the app process
    serving that many sessions at once, without its cache."""
    def session(i: int) -> float:
        started = time.perf_counter()
        for page in pages[i % len(pages):] + pages[:i % len(pages)]:
            page(engine, ctx)
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(SESSIONS) as pool:
        each = list(pool.map(session, range(SESSIONS)))
    return {"sessions": SESSIONS, "wall": time.perf_counter() - started, "slowest_session": max(each),
            "peak_mb": _peak_mb()}


def measure_import(backend: str, rows: int) -> dict:
    from bench.bench_import import make_csv
    from data_access.storage.engine import make_engine
    from data_access.ingest.importer import import_bytes
    from data_access.storage.migrate import upgrade
    data = make_csv(rows, 1)
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'import.db'}"
        else:
            url = SERVER + "jsjb_bench_perf_import"
            _drop_server_database(url)
            _create_server_database(url)
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        result = import_bytes(engine, data, "bench.csv")
        seconds = time.perf_counter() - started
        engine.dispose()
        if backend != "sqlite":
            _drop_server_database(url)
    return {"backend": backend, "rows": result.rows, "new": result.new, "rejected": result.rejected,
            "seconds": seconds, "rows_per_s": result.rows / seconds, "peak_mb": _peak_mb()}


def _drop_server_database(url: str) -> None:
    from sqlalchemy.engine import make_url
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}"'))
    admin.dispose()


# --- the report ---

def _verdict(m: dict, budget: dict, leader: bool) -> str:
    if not leader:
        return "yes" if m["cold"] <= PAGE_BUDGET else "NO"
    return "yes" if m["cold"] <= budget["cold"] and (budget["warm"] is None or m["warm"] <= budget["warm"]) else "NO"


def table(r: dict) -> str:
    from bench.pages import PAGES
    naive, budget = r["naive"], r["budget"]
    lines = [f"{r['scale']} scale: {r['cases']:,} cases, period {r['period']}, {r['database']}",
             f"budget: cold ≤ {budget['cold']} s" + (f", warm ≤ {budget['warm']} s" if budget["warm"] else ""),
             "",
             "staff tools (调度会, 会议材料) are held to the whole-page budget of 1.5 s instead", "",
             "| page | cold s | warm s | naive s (load + compute) | naive ÷ cold | naive ÷ warm | within budget "
             "| cold / warm CPU s (app process) |",
             "|---|---:|---:|---:|---:|---:|:---:|---:|"]
    for name, m in r["pages"].items():
        slow = naive["load"] + naive["compute"][name]
        lines.append(f"| {PAGES[name][1]} | {m['cold']:.3f} | {m['warm']:.3f} | {slow:.2f} | "
                     f"{slow / m['cold']:,.0f}× | {slow / m['warm']:,.0f}× | {_verdict(m, budget, PAGES[name][2])} | "
                     f"{m['cold_cpu']:.3f} / {m['warm_cpu']:.3f} |")
    imp, ses = r["import"], r["sessions"]
    lines += [
        "",
        f"naive load of the month: {naive['rows']:,} cases in {naive['load']:.2f} s, {naive['frame_mb']:,.0f} MB "
        f"in pandas, process peak {naive['peak_mb']:,.0f} MB",
        f"import ({imp['backend']}): {imp['rows']:,} rows in {imp['seconds']:.2f} s = {imp['rows_per_s']:,.0f} "
        f"validated rows/s (budget ≥ {IMPORT_BUDGET:,}) — {'yes' if imp['rows_per_s'] >= IMPORT_BUDGET else 'NO'}",
    ]
    if ses:
        lines.append(f"{ses['sessions']} concurrent sessions, every page each, no cache: {ses['wall']:.1f} s, peak "
                     f"memory {ses['peak_mb']:,.0f} MB (budget < {MEMORY_BUDGET_MB:,} MB) — "
                     f"{'yes' if ses['peak_mb'] < MEMORY_BUDGET_MB else 'NO'}")
    lines.append(f"machine: {r['cpu']} cores, load average {r['load_average'][0]:.1f} at the end of the run")
    if r.get("views"):
        lines += ["", "a page view on the server, the page's whole script (AppTest), first / next views "
                  f"(budget at district scale: next ≤ {SCALES['district']['warm']} s): " + ", ".join(
                      f"{PAGES[n][1]} {t['cold']:.3f} / {t['warm']:.3f} s" for n, t in r["views"].items())]
    if r["browser"]:
        lines += ["", f"whole page in Chromium (budget ≤ {PAGE_BUDGET} s), by URL cold / warm, and by the menu: "
                  + ", ".join(f"{PAGES[n][1]} {t['cold']:.2f} / {t['warm']:.2f}, {t['switch']:.2f} s"
                              for n, t in r["browser"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
