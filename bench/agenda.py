"""The staff 调度会 agenda (metrics.agenda.propose) on large PostgreSQL databases (issue 17: ≤ 0.5 s cold at city
scale). Run outside CI:

    .venv/bin/python bench/agenda.py --db postgresql+psycopg://postgres@127.0.0.1:5432/NAME [--db …] [--repeat 5]

Per database, each in a fresh process with a fresh engine and no app cache, as bench/run.py times a page: the
proposals for the latest whole month (bench/run.py's 调度会 page) and for the last whole week (a 周调度会): the first
call ("cold"; PostgreSQL's buffers and the operating system's file cache as they are) and the median of `repeat`
more ("warm"). Then, in the month's process, the two counts the summaries of migration 0023 are for — overdue and
repeats per unit of the month — from the summaries and from the case table (source "cases", the agenda's read before
0023), each the median of `repeat`, after checking that both give the same rows. Prints a table; --save writes it
to bench/results.json ("agenda").
"""
import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.json"
KINDS = ("month", "week")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True, help="a database built by bench/city.py")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--save", action="store_true", help="write the figures to bench/results.json")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child[:2], int(args.child[2]))))
        return
    found = {url: {"size": size_of(url), **{kind: spawn(url, kind, args.repeat) for kind in KINDS}}
             for url in args.db}
    print(table(found))
    if args.save:
        everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        everything["agenda"] = {"measured_at": time.strftime("%Y-%m-%d %H:%M"), "databases": found}
        RESULTS.write_text(json.dumps(everything, ensure_ascii=False, indent=1, default=str) + "\n")


def spawn(url: str, kind: str, repeat: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--db", url, "--child", url, kind, str(repeat)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"agenda bench ({kind}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def size_of(url: str) -> dict:
    """Cases, the database's size, and the size of the summaries the agenda's two counts read."""
    from sqlalchemy import text
    from data_access.storage.engine import make_engine
    engine = make_engine(url)
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT COUNT(*) FROM cases")).scalar()
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        tables = {name: conn.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar()
                  for name in ("cases", "stat_unit_day_overdue", "stat_unit_day_repeat", "stat_unit_month_repeat")
                  if conn.execute(text(f"SELECT to_regclass('{name}')")).scalar()}
    engine.dispose()
    return {"cases": cases, "database_mb": size / 2**20, "tables_mb": {k: v / 2**20 for k, v in tables.items()}}


# --- the child: one fresh process per period kind ---

def child(url: str, kind: str, repeat: int) -> dict:
    from data_access.storage.engine import make_engine
    from data_access.queries.filter_options import data_days
    from metrics.agenda import propose
    from metrics.periods import last_complete
    from metrics.rules import load_rules
    rules, engine = load_rules(), make_engine(url)
    with engine.connect() as conn:
        last = data_days(conn, rules.basis)[1]
    period = last_complete(kind, last)
    times = [_timed(lambda: propose(engine, period, rules)) for _ in range(repeat + 1)]
    out = {"period": period.key, "cold": times[0], "warm": statistics.median(times[1:])}
    if kind == "month":
        out["counts"] = counts(engine, period, rules, repeat)
    engine.dispose()
    return out


def counts(engine, period, rules, repeat: int) -> dict:
    """The month's overdue and repeat counts per unit from each source (median s), after checking they agree."""
    from datetime import datetime
    from data_access.queries.agenda_queries import overdue_by_unit
    from data_access.queries.case_queries import CaseFilter
    from data_access.queries.drill_queries import volumes_by
    as_of = datetime.now().replace(microsecond=0)
    overdue = CaseFilter.of(period, rules, unit_ids=None, overdue=True, as_of=as_of)
    repeats = CaseFilter.of(period, rules, unit_ids=None, repeat=True)
    reads = {"overdue": lambda conn, source: overdue_by_unit(conn, overdue, source=source),
             "repeats": lambda conn, source: sorted(volumes_by(conn, repeats, "unit_id", source=source))}
    out = {}
    with engine.connect() as conn:
        for name, read in reads.items():
            if read(conn, "summary") != read(conn, "cases"):
                sys.exit(f"{name}: the summaries and the case table disagree")
            for source in ("summary", "cases"):
                out[f"{name}_{source}"] = statistics.median(_timed(lambda: read(conn, source)) for _ in range(repeat))
    return out


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def table(found: dict) -> str:
    lines = ["| cases | database | period | agenda cold s | agenda warm s | overdue: summaries / cases s "
             "| repeats: summaries / cases s |", "|---:|---:|---|---:|---:|---:|---:|"]
    for url, r in found.items():
        size = f"{r['size']['database_mb'] / 1024:.1f} GB"
        for kind in KINDS:
            m, c = r[kind], r[kind].get("counts")
            pair = (lambda n: f"{c[n + '_summary']:.3f} / {c[n + '_cases']:.3f}") if c else (lambda n: "")
            lines.append(f"| {r['size']['cases']:,} | {size} | {m['period']} | {m['cold']:.3f} | {m['warm']:.3f} | "
                         f"{pair('overdue')} | {pair('repeats')} |")
    summaries = {url: r["size"]["tables_mb"] for url, r in found.items()}
    return "\n".join(lines) + "\n\nMB: " + json.dumps(summaries, indent=None)


if __name__ == "__main__":
    main()
