"""The importer's read side alone (issue 17): the file's bytes to the clean columns handed to the write path —
reading the CSV, parsing and checking the cells, accepting rows (repeated case numbers, units) — with the write
stubbed out, on bench_import's file (every column filled, 1 % bad rows).

    .venv/bin/python bench/bench_read.py [--rows 100000] [--repeat 3]

Prints the CPU and wall time of the best of `--repeat` imports into a fresh SQLite database whose writes
(write_columns / write_cases, the summary refresh) do nothing, and rows/s. Budget: 100,000 rows in <= 1.0 s CPU.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CALLER_HASH_KEY", "bench-import-key-not-secret")

from bench.bench_import import make_csv  # noqa: E402
from data_access.ingest import importer  # noqa: E402
from data_access.ingest.case_store import WriteResult  # noqa: E402
from data_access.storage.engine import make_engine  # noqa: E402
from data_access.storage.migrate import upgrade  # noqa: E402


def _no_write(conn, rows, batch_id, refresh=False) -> WriteResult:
    """The write path stubbed: counts the rows (a list of dicts or a dict of columns) as new."""
    return WriteResult(new=len(rows) if isinstance(rows, list) else len(next(iter(rows.values()), ())))


def stub_writes() -> None:
    for name in ("write_columns", "write_cases"):  # whichever this version of the importer calls
        if hasattr(importer, name):
            setattr(importer, name, _no_write)
    importer.refresh_batch = lambda *args, **kwargs: None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    stub_writes()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench_{args.rows}.csv"
        path.write_bytes(make_csv(args.rows, 1))
        best = None
        for i in range(args.repeat):
            engine = make_engine(f"sqlite:///{tmp}/read_{i}.db")
            upgrade(engine)
            t0, c0 = time.perf_counter(), time.process_time()
            result = importer.import_paths(engine, [path])
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            engine.dispose()
            best = min(best or (cpu, wall), (cpu, wall))
        cpu, wall = best
        print(f"read + parse + accept, {result.rows:,} rows (write stubbed), best of {args.repeat}: "
              f"cpu {cpu:.2f} s ({result.rows / cpu:,.0f} rows/s), wall {wall:.2f} s | "
              f"accepted {result.new:,} rejected {result.rejected:,} new units {len(result.new_units)}")


if __name__ == "__main__":
    main()
