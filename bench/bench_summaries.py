"""The summary step of an import (issue 17: "summary rows … computed from the batch when it holds only new cases"):
the rectangle recompute (summaries.refresh_stats) against the batch's own delta (summaries.refresh_batch), timed on
the same database in the same run, each in a transaction rolled back afterwards.

    .venv/bin/python bench/bench_summaries.py [--rows 100000] [--backends sqlite,postgresql,mariadb] [--statements]

Per backend, in a fresh database, four all-new batches of bench_import's canonical CSV are imported with the
summary step held back (the cases are written and committed; the summaries of the earlier batches are kept
current), and for each batch both ways of refreshing are timed:
  1. March 1-30, into an empty database (the first load);
  2. March 31 (the next day's load: new days of a month that has rows);
  3. March 15's cases again under other case numbers (late cases of a day that has rows: upserts and merges);
  4. April (a new month's export; by callback day its first days overlap March's).
Wall and CPU are the best of two; `--statements`: the slowest statements of each way.
"""
import argparse
import csv
import io
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402

from bench.bench_import import CHILD_ENV, make_csv  # noqa: E402
from data_access.ingest import importer  # noqa: E402
from data_access.ingest.summaries import refresh_batch, refresh_stats  # noqa: E402
from data_access.storage.engine import make_engine  # noqa: E402
from data_access.storage.migrate import upgrade  # noqa: E402

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/", "postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/", ""),
}
DB = "summaries_bench"
REPEATS = 2


def fresh_engine(backend: str, workdir: Path):
    if backend == "sqlite":
        return make_engine(f"sqlite:///{workdir / 'bench.db'}")
    base, admin_db = SERVERS[backend]
    extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if backend == "mariadb" else ""
    admin = create_engine(base + admin_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DB}"))
        conn.execute(text(f"CREATE DATABASE {DB}{extra}"))
    admin.dispose()
    return make_engine(f"{base}{DB}" + ("?charset=utf8mb4" if backend == "mariadb" else ""))


def files(rows: int, folder: Path) -> list[tuple[str, Path]]:
    march = list(csv.reader(io.StringIO(make_csv(rows, 1).decode("utf-8"))))
    header, body = march[0], march[1:]
    day = lambda d: [r for r in body if r[1].startswith(f"2025-03-{d}")]  # noqa: E731
    renamed = lambda rs, prefix: [[prefix + r[0][2:], *r[1:]] for r in rs]  # noqa: E731
    # April: every date a month later (31 March is then no date: those rows are rejected, as bad rows are).
    april = make_csv(rows, 1).replace(b"2025-04-", b"2025-05-").replace(b"2025-03-", b"2025-04-")
    batches = (("1 March 1-30, empty database", [r for r in body if not r[1].startswith("2025-03-31")]),
               ("2 March 31, the next day", day(31)),
               ("3 late cases of March 15, other case numbers", renamed(day(15), "BK")),
               ("4 April, a new month", april.replace(b"BJ", b"BL")))
    out = []
    for label, data in batches:
        path = folder / f"{label[0]}.csv"
        if isinstance(data, list):
            text_out = io.StringIO()
            csv.writer(text_out).writerows([header, *data])
            data = text_out.getvalue().encode("utf-8")
        path.write_bytes(data)
        out.append((label, path))
    return out


def import_held_back(engine, path: Path):
    """Import with the summary step held back; returns (batch_id, touched, all_new)."""
    held = {}

    def hold(conn, batch_id, touched, all_new, regapped=None):
        held.update(batch_id=batch_id, touched=touched, all_new=all_new)

    original, importer.refresh_batch = importer.refresh_batch, hold
    try:
        result = importer.import_paths(engine, [path])
    finally:
        importer.refresh_batch = original
    return result, held


class StatementClock:
    """Wall time per statement (its first 60 characters), while on."""

    def __init__(self, engine):
        self.times, self.counts, self.on = Counter(), Counter(), False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, *args):
        conn.info["t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, *args):
        if self.on:
            key = " ".join(statement.split())[:90]
            self.times[key] += time.perf_counter() - conn.info["t0"]
            self.counts[key] += 1


def timed(engine, refresh, clock: StatementClock | None) -> tuple[float, float, int]:
    """Wall time, this process's CPU time (all of it for SQLite, which runs in-process; the client's alone for the
    servers) and the number of statements (round trips)."""
    with engine.connect() as conn:
        trans = conn.begin()
        clock.times.clear()
        clock.counts.clear()
        clock.on = True
        t0, c0 = time.perf_counter(), time.process_time()
        refresh(conn)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        clock.on = False
        trans.rollback()
    return wall, cpu, sum(clock.counts.values())


def run(backend: str, sources, statements: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = fresh_engine(backend, Path(tmp))
        upgrade(engine)
        clock = StatementClock(engine)
        print(backend, flush=True)
        for label, path in sources:
            result, held = import_held_back(engine, path)
            batch, touched = held["batch_id"], held["touched"]
            ways = {"rectangle (refresh_stats)": lambda conn: refresh_stats(conn, touched),
                    "batch delta (refresh_batch)": lambda conn: refresh_batch(conn, batch, touched, all_new=True)}
            best = {}
            for _ in range(REPEATS):
                for name, way in ways.items():
                    got = timed(engine, way, clock)
                    best[name] = [min(a, b) for a, b in zip(best.get(name, got), got)]
            print(f"  {label}: {result.new:,} new cases", flush=True)
            for name, (wall, cpu, count) in best.items():
                print(f"    {name:<28} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {count:3d} statements", flush=True)
                if statements:
                    timed(engine, ways[name], clock)
                    for statement, seconds in clock.times.most_common(8):
                        print(f"        {seconds:5.2f} s  {statement}")
            (w0, c0, _), (w1, c1, _) = best.values()
            print(f"    rectangle / batch: wall {w0 / w1:.1f}x, cpu {c0 / c1:.1f}x", flush=True)
            with engine.begin() as conn:  # keep the summaries current for the next batch
                refresh_batch(conn, batch, touched, all_new=True)
        engine.dispose()
    if backend != "sqlite":
        base, admin_db = SERVERS[backend]
        admin = create_engine(base + admin_db, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DB}"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    os.environ.update(CHILD_ENV)  # a bench database is not the demo: its import needs a caller hash key
    with tempfile.TemporaryDirectory() as tmp:
        sources = files(args.rows, Path(tmp))
        for backend in args.backends.split(","):
            run(backend, sources, args.statements)


if __name__ == "__main__":
    main()
