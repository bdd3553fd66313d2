"""The data of the pages that score units (月度成绩, 排名, 后进会诊) on one database, this tree's code beside another
tree's (e.g. a `git worktree` of an older commit), timed in the same run. Run outside CI:

    .venv/bin/python bench/score_pages.py --db postgresql+psycopg://postgres@127.0.0.1:5432/NAME --before TREE \
        [--rounds 3] [--repeat 5]

Each measurement is bench/run.py's page child of its tree (the page's metrics calls without the app's cache, in a
fresh process: "cold" its first call, "warm" the median of the next `repeat`, wall and the process's CPU). The two
trees take turns, the one that goes first alternating per round, so both meet the same load; the medians over the
rounds and the ratio this tree ÷ the other (the anchor) are printed and written to bench/results.json
("score_pages"), with the load average.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.json"
PAGES = {"scores": "月度成绩", "rankings": "排名", "lagging": "后进会诊"}
FIGURES = ("cold", "warm", "cold_cpu", "warm_cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL database built by bench/city.py")
    parser.add_argument("--before", required=True, type=Path, help="the other tree (the anchor)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from bench.run import context_for
    period, unit = context_for(args.db)
    trees = {"after": ROOT, "before": args.before.resolve()}
    runs = {name: {side: [] for side in trees} for name in PAGES}
    load = [os.getloadavg()[0]]
    for round_ in range(args.rounds):
        order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for name in PAGES:
            for side in order:
                runs[name][side].append(_child(trees[side], name, args.db, period, unit, args.repeat))
        load.append(os.getloadavg()[0])
    result = {"measured_at": time.strftime("%Y-%m-%d %H:%M"), "period": period, "rounds": args.rounds,
              "repeat": args.repeat, "load_average": [round(x, 2) for x in load], "pages": {}}
    for name, sides in runs.items():
        medians = {side: {f: statistics.median(r[f] for r in rs) for f in FIGURES} for side, rs in sides.items()}
        ratios = {f: medians["after"][f] / medians["before"][f] for f in FIGURES}
        result["pages"][name] = {**medians, "after_over_before": ratios}
        print(f"{PAGES[name]}: " + ", ".join(
            f"{f} {medians['before'][f]:.3f} → {medians['after'][f]:.3f} s ({ratios[f]:.2f}×)" for f in FIGURES))
    print(f"load average (1 min) during the run: {min(load):.2f}–{max(load):.2f}")
    everything = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    everything["score_pages"] = result
    RESULTS.write_text(json.dumps(everything, ensure_ascii=False, indent=1, default=str) + "\n")


def _child(tree: Path, page: str, url: str, period: str, unit: int, repeat: int) -> dict:
    done = subprocess.run([sys.executable, str(tree / "bench" / "run.py"), "--child", "page", page, url, period,
                           str(unit), str(repeat)], capture_output=True, text=True, cwd=tree)
    if done.returncode:
        sys.exit(f"{tree}: page {page} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
