"""How long the meeting briefing takes: the figures gathered (with and without the charts), the .docx and the .xlsx,
and the agenda proposals of the 调度会 page; wall and CPU seconds, first and second round in one process (the
first pays for starting the chart renderer).

    python bench/bench_briefing.py --db sqlite:///data/cases.db --period 2026-W46 [--rounds 2]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.storage.engine import make_engine  # noqa: E402
from metrics.agenda import propose  # noqa: E402
from metrics.periods import parse_period  # noqa: E402
from metrics.rules import load_rules  # noqa: E402
from reports.briefing_data import gather  # noqa: E402
from reports.briefing_docx import build_docx  # noqa: E402
from reports.briefing_xlsx import build_xlsx  # noqa: E402


def timed(label: str, func):
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    print(f"{label:34s} wall {time.perf_counter() - wall:6.2f} s   cpu {time.process_time() - cpu:6.2f} s",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    engine, period, rules = make_engine(args.db), parse_period(args.period), load_rules()
    for n in range(1, args.rounds + 1):
        briefing = timed(f"round {n}: figures and charts", lambda: gather(engine, period, rules))
        docx = timed(f"round {n}: .docx", lambda: build_docx(briefing))
        xlsx = timed(f"round {n}: .xlsx", lambda: build_xlsx(briefing))
    timed("figures without charts", lambda: gather(engine, period, rules, with_charts=False))
    timed("agenda proposals (调度会 page)", lambda: propose(engine, period, rules))
    print(f".docx {len(docx) // 1024} KB, .xlsx {len(xlsx) // 1024} KB; rows per table: "
          + ", ".join(f"{k} {len(t.frame)}" for k, t in briefing.tables.items()))


if __name__ == "__main__":
    main()
