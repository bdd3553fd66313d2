"""预警 benchmark: how good and how fast are the forecasts on a database (the demo district or a real one)?

    python bench/foresight.py [--db URL]

Prints, for categories (cat_l2) and streets, weekly (4 weeks ahead) and monthly (this month and next): the
backtest WAPE of the model, of seasonal-naive (same period a year before) and of naive (last value), pooled over
every key (Σ|error| ÷ Σ actual, on the same backtest points), how many keys have no forecast (数据不足), and the
time taken (wall and CPU: the machine is shared, CPU time is what the work costs). Then the month-end
projection's mean absolute score error from day 10 and day 20 of every past month, beside the score so far's.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.storage.engine import make_engine  # noqa: E402
from metrics.foresight import forecasts, seasonal_topics  # noqa: E402
from metrics.projection import backtest as projection_backtest  # noqa: E402
from metrics.rules import load_rules  # noqa: E402

VIEWS = (("cat_l2", "W", 4), ("cat_l2", "M", 2), ("street", "W", 4), ("street", "M", 2))


def pooled(frame, column: str) -> float | None:
    """Σ|error| ÷ Σ actual over every key with a measured error (each key's WAPE × its backtest actual total)."""
    keys = frame[frame[column].notna()]
    total = keys["backtest_actual"].sum()
    return float((keys[column] * keys["backtest_actual"]).sum() / total) if total > 0 else None


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def forecast_quality(engine, rules) -> list[dict]:
    rows = []
    for by, freq, horizon in VIEWS:
        wall, cpu = time.perf_counter(), time.process_time()
        frame = forecasts(engine, rules, by=by, freq=freq, horizon=horizon)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if frame.empty:   # no complete week / month carrying the field: nothing to forecast (数据不足)
            rows.append({"view": f"{by}/{freq}", "keys": 0, "short": 0, "model": None, "naive": None,
                         "model_vs_snaive": None, "snaive": None, "surges": 0, "wall_s": wall, "cpu_s": cpu})
            continue
        keys = frame[frame["step"] == frame["step"].min()]
        ok = keys[keys["status"] == "ok"]
        both = ok[ok["baseline_wape"].notna()]  # the keys with a seasonal-naive baseline: all three on them
        rows.append({"view": f"{by}/{freq}", "keys": len(keys), "short": int((keys["status"] != "ok").sum()),
                     "model": pooled(ok, "backtest_wape"), "naive": pooled(ok, "naive_wape"),
                     "model_vs_snaive": pooled(both, "backtest_wape"), "snaive": pooled(both, "baseline_wape"),
                     "surges": int(frame["surge"].sum()), "wall_s": wall, "cpu_s": cpu})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: CASES_DB_URL, secrets.toml, or data/cases.db)")
    args = parser.parse_args(argv)
    engine, rules = make_engine(args.db), load_rules()
    print("view          keys  数据不足  model   naive   | model   snaive (keys with a year)  surges  wall     cpu")
    total_wall = total_cpu = 0.0
    quality = forecast_quality(engine, rules)
    for r in quality:
        total_wall, total_cpu = total_wall + r["wall_s"], total_cpu + r["cpu_s"]
        if not r["keys"]:
            print(f"{r['view']:<12}  数据不足: no complete {'week' if r['view'].endswith('W') else 'month'} of cases")
            continue
        print(f"{r['view']:<12}  {r['keys']:>4}  {r['short']:>6}  {_pct(r['model']):>6}  {_pct(r['naive']):>6}  | "
              f"{_pct(r['model_vs_snaive']):>6}  {_pct(r['snaive']):>6}                      {r['surges']:>6}  "
              f"{r['wall_s']:6.1f}s  {r['cpu_s']:6.1f}s")
    print(f"all forecasts: {total_wall:.1f} s wall, {total_cpu:.1f} s CPU")
    measured = [r for r in quality if r["snaive"] is not None and r["naive"] is not None]
    wins = sum(r["model_vs_snaive"] < r["snaive"] and r["model"] < r["naive"] for r in measured)
    print(f"the model beats both seasonal-naive and naive in {wins} of {len(measured)} views with both measured")
    topics = seasonal_topics(engine, rules)
    print(f"seasonal topics of the coming month: {', '.join(topics['key']) or '—'}")
    wall = time.perf_counter()
    print("month-end projection, every past month: day  months  units  MAE projection  MAE score-so-far  in interval")
    for r in projection_backtest(engine, rules).to_dict("records"):
        if not r["months"]:
            print(f"{'':40}{r['day']:>3}  数据不足: no complete month after the first to measure on")
            continue
        print(f"{'':40}{r['day']:>3}  {r['months']:>6}  {r['units']:>5}  {r['projection_mae']:>14.3f}  "
              f"{r['so_far_mae']:>16.3f}  {r['covered'] * 100:>10.1f}%")
    print(f"projection backtest: {time.perf_counter() - wall:.1f} s wall")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
