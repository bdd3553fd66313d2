"""The one-month 月度成绩 data on PostgreSQL beside a DuckDB scan of the raw cases for the same aggregate, timed in the
same run (issue 17: at ≥ 2 million cases the first must not be slower). Run outside CI:

    .venv/bin/python bench/month_scores.py --db postgresql+psycopg://postgres@127.0.0.1:5432/NAME [--repeat 7]

Ours: metrics.scores.unit_scores of the latest whole month (every unit's counts, rates, score, rank in its group,
the previous month's score and rank and the year-ago score), as the page reads it. The anchor: the cases' scoring
columns copied from PostgreSQL into an in-memory DuckDB table (not timed), then one DuckDB query over the raw cases
of the same three months computing the same figures (counts, rates, weighted score, rank by the 2-decimal score
within the group, previous and year-ago joins), on both cores. The two take turns; each side's first call and the
median of the repeats; the ratio ours ÷ DuckDB is printed for both and written to bench/results.json
("month_scores").

"First call" means, on both sides: libraries imported, the connection open (ours: the app's pool holds its
connections), the data where the query reads it (ours: PostgreSQL's summaries, after bench/run.context_for has
read the latest month's lagging units, as a page seen before would; DuckDB: its in-memory table), and this query
never run in the process: ours builds and compiles its statement (SQLAlchemy), PostgreSQL plans it; DuckDB parses
and plans its SQL. Ours is split into its phases (Python before the statement is sent: building and compiling it;
the database: planning, running, sending rows; after: rows to a typed frame, reasons, tiers, sorting), first call
and median of the repeats.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.json"
COLUMNS = ("unit_id", "received_day", "excluded", "urgency", "deadline_class", "response_hours", "close_hours",
           "solved", "satisfaction", "dispatch_count", "has_responded_at", "has_closed_at", "has_solved",
           "has_satisfaction")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL database built by bench/city.py")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from bench.run import context_for
    from data_access.storage.engine import make_engine
    from metrics.periods import parse_period
    from metrics.rules import load_rules
    from metrics.scores import unit_scores
    period, rules = parse_period(context_for(args.db)[0]), load_rules()
    con, n = _duckdb(args.db)
    query, engine = _duck_query(period, rules), make_engine(args.db)
    with engine.connect():  # the app's pool holds its connections: a page view does not connect
        pass
    phases = _phases(engine)
    # Alternately, so that both sides meet the same load on this shared machine.
    ours, duck = _timed([lambda: phases.call(lambda: unit_scores(engine, period, rules)),
                         lambda: con.execute(query).fetchall()], args.repeat)
    ours["phases"] = {"first": phases.seen[0], "median": {k: statistics.median(p[k] for p in phases.seen[1:])
                                                          for k in PHASES}}
    engine.dispose()
    con.close()
    result = {"measured_at": time.strftime("%Y-%m-%d %H:%M"), "cases": n, "period": period.key,
              "postgresql": ours, "duckdb": duck,
              "ratio_first": ours["first"] / duck["first"], "ratio_median": ours["median"] / duck["median"]}
    print(f"{n:,} cases, month {period.key}: 月度成绩 data on PostgreSQL first {ours['first']:.3f} s, median "
          f"{ours['median']:.3f} s; DuckDB scan of the raw cases first {duck['first']:.3f} s, median "
          f"{duck['median']:.3f} s; ours ÷ DuckDB {result['ratio_first']:.2f}× first, "
          f"{result['ratio_median']:.2f}× median (goal ≤ 1)")
    for name in ("first", "median"):
        print(f"  ours, {name}: " + ", ".join(f"{k} {v:.3f} s" for k, v in ours["phases"][name].items()))
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything["month_scores"] = result
    RESULTS.write_text(json.dumps(everything, ensure_ascii=False, indent=1, default=str) + "\n")


PHASES = ("python before the statement", "database", "after")


class _phases:
    """The phases of each call (PHASES, s), from the engine's events around the statement it sends."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.seen, self._marks = [], {}
        event.listen(engine, "before_cursor_execute", lambda *_: self._marks.__setitem__("sent", time.perf_counter()))
        event.listen(engine, "after_cursor_execute", lambda *_: self._marks.__setitem__("back", time.perf_counter()))

    def call(self, work):
        started = time.perf_counter()
        work()
        ended, m = time.perf_counter(), self._marks
        self.seen.append(dict(zip(PHASES, (m["sent"] - started, m["back"] - m["sent"], ended - m["back"]))))


def _timed(calls: list, repeat: int) -> list[dict]:
    """Each call's first time and the median of `repeat` more, the calls taking turns."""
    times = [[] for _ in calls]
    for _ in range(repeat + 1):
        for call, spent in zip(calls, times):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
    return [{"first": t[0], "median": statistics.median(t[1:]), "all": t} for t in times]


def _duckdb(url: str):
    """The anchor's data: the raw cases' scoring columns and the units' types in an in-memory DuckDB (not timed)."""
    import duckdb
    import psycopg
    from sqlalchemy.engine import make_url
    con = duckdb.connect()
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    path = Path("/dev/shm") / "jsjb_month_scores.csv"
    with psycopg.connect(plain) as pg, path.open("wb") as out:
        with pg.cursor().copy(f"COPY (SELECT {', '.join(COLUMNS)} FROM cases) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                out.write(chunk)
        unit_rows = pg.execute("SELECT id, unit_type FROM units").fetchall()
    con.execute(f"CREATE TABLE cases AS SELECT * FROM read_csv('{path}', header = true)")
    path.unlink()
    con.execute("CREATE TABLE units (id INTEGER, unit_type VARCHAR)")
    con.executemany("INSERT INTO units VALUES (?, ?)", unit_rows)
    return con, con.execute("SELECT COUNT(*) FROM cases").fetchone()[0]


def _limit(column: str, limits: dict) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in limits.items())
    return f"CASE {column} {whens} ELSE {limits['一般']} END"


def _credit(column: str, credits: dict) -> str:
    return "CASE " + " ".join(f"WHEN {column} = '{k}' THEN {v}" for k, v in credits.items()) + " END"


def _duck_query(period, rules) -> str:
    """Per unit, over the month and its two compared months: what unit_scores gives (the default rules' rates)."""
    months = [period, period.previous(), period.year_ago()]
    bucket = " ".join(f"WHEN received_day >= DATE '{p.start}' AND received_day < DATE '{p.end}' THEN {i}"
                      for i, p in enumerate(months))
    within = " OR ".join(f"(received_day >= DATE '{p.start}' AND received_day < DATE '{p.end}')" for p in months)
    solved, sat = rules["solved_credit"], rules["satisfaction_credit"]
    w = rules.weights
    groups = " ".join(f"WHEN '{t}' THEN '{g}'" for t, g in rules.get("ranking.groups").items())
    return f"""
    WITH per AS (
      SELECT CASE {bucket} END AS bucket, unit_id, COUNT(*) AS volume,
        COUNT(*) FILTER (WHERE NOT excluded) AS assessed,
        COUNT(*) FILTER (WHERE NOT excluded AND has_responded_at) AS resp_base,
        COUNT(*) FILTER (WHERE NOT excluded AND has_responded_at AND response_hours
                         <= {_limit('urgency', rules['response_limit_hours'])}) AS on_time,
        COUNT(*) FILTER (WHERE NOT excluded AND has_closed_at) AS close_base,
        COUNT(*) FILTER (WHERE NOT excluded AND has_closed_at AND close_hours
                         <= {_limit('deadline_class', rules['close_limit_hours'])}) AS on_time_close,
        COUNT({_credit('solved', solved)}) FILTER (WHERE NOT excluded AND has_solved) AS solved_rated,
        SUM({_credit('solved', solved)}) FILTER (WHERE NOT excluded AND has_solved) AS solved_credit,
        COUNT({_credit('satisfaction', sat)}) FILTER (WHERE NOT excluded AND has_satisfaction) AS sat_rated,
        SUM({_credit('satisfaction', sat)}) FILTER (WHERE NOT excluded AND has_satisfaction) AS sat_credit,
        COUNT(*) FILTER (WHERE NOT excluded AND has_solved AND has_satisfaction AND solved IN ('解决', '部分解决', '未解决')
                         AND satisfaction IN ('满意', '基本满意', '不满意')) AS fdy_den,
        COUNT(*) FILTER (WHERE NOT excluded AND has_solved AND has_satisfaction AND dispatch_count = 1
                         AND solved = '解决' AND satisfaction IN ('满意', '基本满意')) AS fdy_num
      FROM cases WHERE {within} GROUP BY ALL),
    rated AS (
      SELECT per.*, CASE units.unit_type {groups} END AS grp,
        on_time / NULLIF(resp_base, 0) AS response_rate, solved_credit / NULLIF(solved_rated, 0) AS resolution_rate,
        sat_credit / NULLIF(sat_rated, 0) AS satisfaction_rate, fdy_num / NULLIF(fdy_den, 0) AS fdy_rate,
        on_time_close / NULLIF(close_base, 0) AS close_rate
      FROM per JOIN units ON units.id = per.unit_id),
    scored AS (
      SELECT *, 100 * ({w.get('response', 0)} * response_rate + {w.get('resolution', 0)} * resolution_rate
                       + {w.get('satisfaction', 0)} * satisfaction_rate) AS score FROM rated),
    ranked AS (
      SELECT *, CASE WHEN assessed >= {rules.get('ranking.min_assessed')} AND score IS NOT NULL
        THEN RANK() OVER (PARTITION BY bucket, grp, assessed >= {rules.get('ranking.min_assessed')}
                          AND score IS NOT NULL ORDER BY ROUND(score, 2) DESC) END AS rnk
      FROM scored)
    SELECT r.*, p.score AS prev_score, p.rnk AS prev_rank, y.score AS yoy_score
    FROM ranked r LEFT JOIN ranked p ON p.unit_id = r.unit_id AND p.bucket = 1
    LEFT JOIN ranked y ON y.unit_id = r.unit_id AND y.bucket = 2
    WHERE r.bucket = 0 ORDER BY grp, rnk, r.unit_id"""


if __name__ == "__main__":
    main()
