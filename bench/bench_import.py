"""Import speed and memory (DESIGN.md budget; issue 17: within 5x of a plain bulk load; issue 12: a 200,000-row
import peaks under 600 MB), with two anchors timed in the same run on the same file.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--backends sqlite,postgresql,mariadb] [--first-only] [--save]

Writes a month's canonical CSV with every column filled (and 1 % bad rows) to a temporary folder, then per backend,
in a fresh child process and database (so that its peak RSS is the import's own): the first import from the file
on disk (all new; `cli.py import`'s path, streamed), the same file again (refused by checksum), and a second export
of the same cases with every tenth one changed (updates and unchanged rows). Prints wall and CPU rows/s and the
child's peak RSS after the first import (`--first-only`: that import alone, for a 1,000,000-row memory figure;
`--save`: the figures into bench/results.json under "import_bench", keyed by the row count). Anchors: DuckDB
`read_csv` of the file into a table (bad rows set aside) and PostgreSQL `COPY` of it into a text table with a unique
index, and the ratios of the first import to them; and per backend its write floor (write_floor: the finished cases
alone bulk-inserted into `cases`, what no import of them can go below on that database) and, below it, the
database's own share of that floor (the same rows copied into an empty `cases` by one INSERT … SELECT inside it).
"""
import argparse
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402

from data_access.storage.engine import make_engine  # noqa: E402
from data_access.ingest.bulk_insert import insert_columns  # noqa: E402
from data_access.ingest.case_store import STORED_COLUMNS  # noqa: E402
from data_access.ingest.importer import import_paths  # noqa: E402
from data_access.storage.schema import cases, import_batches, units  # noqa: E402
from data_access.storage.migrate import upgrade  # noqa: E402

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/", "postgres"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/", ""),
}
# A bench database is not the demo, so its import needs a caller hash key (kept outside the database, as in use).
FLOOR_ROWS = 200_000  # the floor reads every finished case back into memory: not for the 1,000,000-row figure
CHILD_ENV = {**os.environ, "CALLER_HASH_KEY": os.environ.get("CALLER_HASH_KEY") or "bench-import-key-not-secret"}
HEADER = ["工单编号", "受理时间", "承办单位", "单位类型", "派单方式", "诉求类型", "问题分类", "诉求内容", "诉求地址",
          "所属街道", "所属社区", "经度", "纬度", "紧急程度", "办理时限类别", "派单时间", "响应时间", "办结时间", "回访时间",
          "解决情况", "满意度", "派单次数", "是否特例", "特例原因", "来电号码", "标签"]
STREETS = ["东华门", "景山", "交道口", "安定门", "北新桥", "东四", "朝阳门", "建国门", "东直门", "和平里", "前门",
           "崇文门外", "东花市", "龙潭", "体育馆路", "天坛", "永定门外"]
CATEGORIES = ["物业管理->物业服务->维修", "市容环卫->垃圾->清运", "交通管理->停车->乱停车", "城乡建设->违法建设->加层",
              "供暖->室温不达标->居民楼", "市场管理->价格->收费"]


def make_csv(n: int, seed: int, changed_every: int = 0) -> bytes:
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    start = datetime(2025, 3, 1)
    for i in range(n):
        r = random.Random(i)  # each case the same in every export, whatever the seed
        street = r.choice(STREETS)
        received = start + timedelta(minutes=r.randrange(31 * 24 * 60))
        dispatched = received + timedelta(minutes=r.randrange(5, 90))
        responded = dispatched + timedelta(minutes=r.randrange(10, 30 * 60))
        closed = responded + timedelta(hours=r.randrange(1, 200))
        solved = r.choice(["解决", "解决", "解决", "部分解决", "未解决"])
        if changed_every and i % changed_every == 0:
            solved = "未解决" if solved == "解决" else "解决"
        received_text = received.strftime("%Y-%m-%d %H:%M:%S")
        if rnd.random() < 0.01:
            received_text = "2025-02-30 08:00"  # a bad row
        writer.writerow([
            f"BJ{i:09d}", received_text, f"{street}街道", "街道", r.choice(["直派", "区派"]),
            r.choice(["咨询", "求助", "投诉", "举报", "建议"]), r.choice(CATEGORIES),
            f"市民来电反映{street}某小区楼道内堆放杂物，影响通行，存在消防隐患，希望尽快清理。联系电话13{r.randrange(10**9):09d}",
            f"北京市东城区{street}大街{r.randrange(1, 300)}号", f"{street}街道", f"{street}第{r.randrange(1, 12)}社区",
            f"{116.38 + r.random() * 0.06:.6f}", f"{39.88 + r.random() * 0.06:.6f}", r.choice(["一般"] * 9 + ["紧急"]),
            r.choice(["一般", "一般", "水电气热", "疑难", "紧急"]), dispatched.strftime("%Y-%m-%d %H:%M:%S"),
            responded.strftime("%Y-%m-%d %H:%M:%S"), closed.strftime("%Y-%m-%d %H:%M:%S"),
            (closed + timedelta(hours=r.randrange(1, 48))).strftime("%Y-%m-%d %H:%M:%S"), solved,
            r.choice(["满意", "满意", "基本满意", "不满意", "未评价"]), r.choice(["1"] * 9 + ["2"]), r.choice(["否"] * 49 + ["是"]),
            "", f"13{r.randrange(10**9):09d}", r.choice(["", "", "每月一题", "疑难;挂账"]),
        ])
    return out.getvalue().encode("utf-8")


def fresh_engine(backend: str, workdir: Path, name: str = "jsjb_bench_import"):
    if backend == "sqlite":
        return make_engine(f"sqlite:///{workdir / (name + '.db')}")
    extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if backend == "mariadb" else ""
    server_sql(backend, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}{extra}")
    suffix = "?charset=utf8mb4" if backend == "mariadb" else ""
    return make_engine(f"{SERVERS[backend][0]}{name}{suffix}")


def write_floor(backend: str, engine, workdir: Path) -> tuple[float, float]:
    """The least any import of these rows pays on this database: the finished cases (read back from the import)
    written into an empty, migrated `cases` with its indexes by the same bulk insert, and committed — no reading,
    no checks, no summaries, no repeat gaps. And below that, the database's own share: the same rows copied by one
    INSERT … SELECT inside it into an empty `cases` with the same indexes (no client, no parameters; on the
    servers without the two foreign keys' checks). Returns (bulk insert s, in-database copy s)."""
    names = (*STORED_COLUMNS, "batch_id", "repeat_gap_days")
    with engine.connect() as conn:
        values = [list(c) for c in zip(*conn.execute(select(*(cases.c[k] for k in names))))]
        unit_rows = [dict(r) for r in conn.execute(select(units)).mappings()]
        batch_rows = [dict(r) for r in conn.execute(select(import_batches)).mappings()]
    floor = _empty_copy(backend, workdir, "jsjb_bench_floor", unit_rows, batch_rows)
    t0 = time.perf_counter()
    with floor.begin() as conn:
        insert_columns(conn, cases, names, values)
    wall = time.perf_counter() - t0
    inside = _copy_inside(backend, floor, workdir, unit_rows, batch_rows)
    floor.dispose()
    if backend != "sqlite":
        server_sql(backend, "DROP DATABASE IF EXISTS jsjb_bench_floor")
    print(f"  floor: its {len(values[0]):,} finished cases bulk-inserted and committed: {wall:6.2f} s; "
          f"copied inside the database by one INSERT … SELECT: {inside:6.2f} s", flush=True)
    return wall, inside


def _empty_copy(backend: str, workdir: Path, name: str, unit_rows: list, batch_rows: list):
    """A fresh migrated database holding the import's units and batch but no case."""
    engine = fresh_engine(backend, workdir, name)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(units.insert(), unit_rows)
        conn.execute(import_batches.insert(), batch_rows)
    return engine


def _copy_inside(backend: str, floor, workdir: Path, unit_rows: list, batch_rows: list) -> float:
    """The floor's cases copied by the database itself into an empty `cases` with the same indexes (SQLite: a
    fresh migrated file that attaches the floor's; the servers: a table LIKE cases beside it), timed."""
    columns = ", ".join(cases.c.keys())
    if backend == "sqlite":
        target = _empty_copy(backend, workdir, "jsjb_bench_inside", unit_rows, batch_rows)
        with target.connect() as conn:
            conn.exec_driver_sql(f"ATTACH DATABASE '{workdir / 'jsjb_bench_floor.db'}' AS floor")
            conn.commit()
            t0 = time.perf_counter()
            with conn.begin():
                conn.exec_driver_sql(f"INSERT INTO main.cases ({columns}) SELECT {columns} FROM floor.cases")
            wall = time.perf_counter() - t0
        target.dispose()
        return wall
    like = "(LIKE cases INCLUDING ALL)" if backend == "postgresql" else "LIKE cases"
    with floor.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE cases_inside {like}")
    t0 = time.perf_counter()
    with floor.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO cases_inside ({columns}) SELECT {columns} FROM cases")
    return time.perf_counter() - t0


def server_sql(backend: str, *statements: str) -> None:
    base, admin_db = SERVERS[backend]
    admin = create_engine(base + admin_db, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    admin.dispose()


def timed(label: str, engine, path: Path) -> tuple[float, float]:
    """Wall time, and this process's CPU time: on a busy machine the CPU figure shows what the code itself costs
    (all of it for SQLite, which runs in-process; the client side only for the servers). Returns both."""
    t0, c0 = time.perf_counter(), time.process_time()
    r = import_paths(engine, [path])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {label:<28} wall {wall:6.2f} s {r.rows / wall:8,.0f} rows/s | "
          f"cpu {cpu:6.2f} s {r.rows / cpu:8,.0f} rows/s"
          f" | new {r.new:,} updated {r.updated:,} unchanged {r.unchanged:,} rejected {r.rejected:,}"
          + (f" (already batch {r.duplicate_of})" if r.duplicate_of else ""), flush=True)
    return wall, cpu


def peak_rss_mb() -> float:
    """This process's own peak (VmHWM). Not ru_maxrss: Linux carries it across exec, so a child spawned by this
    script reported the parent's peak (the generated CSV held in memory) instead of the import's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def child(backend: str, first: Path, second: Path, first_only: bool, rows: int) -> None:
    """One backend in this fresh process; the last line is JSON for the parent."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = fresh_engine(backend, Path(tmp))
        upgrade(engine)
        print(backend, flush=True)
        wall, cpu = timed("first import (all new)", engine, first)
        peak = peak_rss_mb()
        print(f"  peak RSS after the first import: {peak:,.0f} MB", flush=True)
        floor, inside = write_floor(backend, engine, Path(tmp)) if rows <= FLOOR_ROWS else (None, None)
        if not first_only:
            timed("same file again", engine, first)
            timed("next export (10 % changed)", engine, second)
        engine.dispose()
    if backend != "sqlite":
        server_sql(backend, "DROP DATABASE IF EXISTS jsjb_bench_import")
    print(json.dumps({"backend": backend, "wall": wall, "cpu": cpu, "peak_mb": peak, "floor": floor,
                      "inside": inside}))


def duckdb_anchor(path: Path) -> float:
    import duckdb
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "anchor.duckdb"))
        t0 = time.perf_counter()
        con.execute("CREATE TABLE cases AS SELECT * FROM read_csv(?, header = true, store_rejects = true)",
                    [str(path)])
        wall = time.perf_counter() - t0
        con.close()
    return wall


def copy_anchor(path: Path) -> float:
    """COPY of the file into a table of text columns with a unique case number, as a plain bulk load does."""
    import psycopg
    server_sql("postgresql", "DROP DATABASE IF EXISTS jsjb_bench_copy", "CREATE DATABASE jsjb_bench_copy")
    columns = ", ".join(f"c{i} text" + (" PRIMARY KEY" if i == 0 else "") for i in range(len(HEADER)))
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/jsjb_bench_copy") as conn:
        conn.execute(f"CREATE TABLE cases ({columns})")
        t0 = time.perf_counter()
        with conn.cursor().copy("COPY cases FROM STDIN (FORMAT csv, HEADER true)") as copy, path.open("rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        wall = time.perf_counter() - t0
    server_sql("postgresql", "DROP DATABASE IF EXISTS jsjb_bench_copy")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb")
    parser.add_argument("--first-only", action="store_true")
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "FIRST", "SECOND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]), args.first_only, args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "march.csv", Path(tmp) / "march-2.csv"
        first.write_bytes(make_csv(args.rows, 1))
        second.write_bytes(make_csv(args.rows, 1, changed_every=10))
        print(f"{args.rows:,} rows, {first.stat().st_size / 1e6:.1f} MB CSV, {len(HEADER)} columns")
        duck, copy = duckdb_anchor(first), copy_anchor(first)
        print(f"anchors: DuckDB read_csv {duck:.2f} s = {args.rows / duck:,.0f} rows/s; "
              f"PostgreSQL COPY {copy:.2f} s = {args.rows / copy:,.0f} rows/s")
        run = {"rows": args.rows, "measured_at": datetime.now().isoformat(timespec="seconds"),
               "load_average": os.getloadavg()[0], "duckdb_read_csv_s": duck, "postgresql_copy_s": copy}
        for backend in args.backends.split(","):
            out = subprocess.run([sys.executable, __file__, "--child", backend, str(first), str(second),
                                  "--rows", str(args.rows)] + ["--first-only"] * args.first_only, env=CHILD_ENV,
                                 capture_output=True, text=True, check=True).stdout.splitlines()
            print("\n".join(out[:-1]))
            got = json.loads(out[-1])
            print(f"  first import / DuckDB read_csv = {got['wall'] / duck:.1f}x, / PostgreSQL COPY = "
                  f"{got['wall'] / copy:.1f}x"
                  + (f", / its own write floor = {got['wall'] / got['floor']:.1f}x (the database's own copy of the "
                     f"rows alone = {got['inside'] / copy:.1f}x COPY, {args.rows / got['inside']:,.0f} rows/s)"
                     if got["floor"] else "") + "; "
                  f"peak RSS {got['peak_mb']:,.0f} MB (goal ≤ 1 GB)", flush=True)
            run[backend] = {"wall_s": got["wall"], "cpu_s": got["cpu"], "rows_per_s": args.rows / got["wall"],
                            "cpu_rows_per_s": args.rows / got["cpu"], "x_duckdb": got["wall"] / duck,
                            "x_copy": got["wall"] / copy, "peak_mb": got["peak_mb"],
                            "write_floor_s": got["floor"], "in_database_copy_s": got["inside"]}
        if args.save:
            save(run)


def save(run: dict) -> None:
    path = Path(__file__).resolve().parent / "results.json"
    results = json.loads(path.read_text())
    results.setdefault("import_bench", {})[str(run["rows"])] = run
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
