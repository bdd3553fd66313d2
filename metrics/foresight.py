"""未诉先办: expected volumes of the coming weeks and months by category (cat_l2) or street, with intervals and
measured backtest error, surges, seasonal topics learned from the data's own history, and the places and units
that carried each warning a year before (the list to 提前排查).

Series come from the category summaries (data_access.queries.volume_series); the model and its backtest from
metrics.forecast. Only complete weeks (Monday–Sunday) and months enter a series.
"""
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries import volume_series
from data_access.queries.filter_options import data_days
from metrics.forecast import outlook
from metrics.periods import Period, parse_period, period_of, shift
from metrics.rules import Rules

FREQS = {"W": "week", "M": "month"}
RECENT = {"W": 4, "M": 3}  # periods averaged for the recent level a surge is measured against
COLUMNS = ["key", "period", "forecast", "low", "high", "baseline", "backtest_wape", "baseline_wape"]


@dataclass(frozen=True)
class History:
    """Volumes per key (columns) and complete period (rows, oldest first), up to the period before `next`."""
    table: pd.DataFrame
    periods: list[Period]
    next: Period  # the first period after the history


def history(engine: Engine, by: str, freq: str, as_of: date | None = None) -> History | None:
    """The complete periods before `as_of` (default: the day after the last day with cases); None when empty."""
    kind = FREQS[freq]
    with engine.connect() as conn:
        days = data_days(conn, volume_series.RECEIVED)
        if days is None:
            return None
        last = days[1] if as_of is None else min(days[1], as_of - timedelta(days=1))
        upto = period_of(last + timedelta(days=1), kind)  # the first period not complete on `last`
        first = period_of(days[0], kind)
        first = first if first.start == days[0] else shift(first, 1)
        periods = _periods(first, upto)
        if not periods:
            return History(pd.DataFrame(), [], upto)
        rows = volume_series.volumes(conn, by, periods[0].start, periods[-1].end - timedelta(days=1),
                                     monthly=freq == "M")
    starts = pd.Series([p.start for p in periods])
    rows["start"] = _period_starts(rows["day"], kind)
    table = rows.pivot_table(index="start", columns="key", values="n", aggfunc="sum", fill_value=0)
    table = table.reindex(starts, fill_value=0)
    return History(table, periods, upto)


def _periods(first: Period, upto: Period) -> list[Period]:
    periods, p = [], first
    while p.start < upto.start:
        periods.append(p)
        p = shift(p, 1)
    return periods


def _period_starts(days: pd.Series, kind: str) -> pd.Series:
    days = pd.to_datetime(days)
    if kind == "week":
        return (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.date
    return days.dt.to_period("M").dt.start_time.dt.date


def forecasts(engine: Engine, rules: Rules, by: str = "cat_l2", freq: str = "W", horizon: int = 4,
              start: Period | None = None) -> pd.DataFrame:
    """Forecasts for `horizon` periods from `start` (default: the first period after the data), made from the
    complete periods before it. One row per key and period: key, step (periods after the history), period,
    period_label, forecast, low, high, baseline (seasonal-naive), recent, surge, backtest_wape, baseline_wape,
    naive_wape, backtest_points, backtest_actual, model, status. Numbers are NaN for a key whose history is too
    short (数据不足)."""
    found = history(engine, by, freq, start.start if start else None)
    if found is None or found.table.empty:
        return pd.DataFrame(columns=["key", "step", "period", "period_label", *COLUMNS[2:], "recent", "surge",
                                     "naive_wape", "backtest_points", "backtest_actual", "model", "status"])
    level = rules.get("warning.interval")
    gap = len(_periods(found.next, start)) if start else 0  # the data may end before `start`
    steps = [shift(found.next, gap + i) for i in range(horizon)]
    rows = []
    for key in found.table.columns:
        y = _trim_leading_zeros(found.table[key].to_numpy(dtype=float))
        o = outlook(y, freq, gap + horizon, level)
        recent = float(np.mean(y[-RECENT[freq]:])) if len(y) else np.nan
        for j, p in enumerate(steps):
            i = gap + j
            rows.append({"key": key, "step": i + 1, "period": p.key, "period_label": p.label,
                         "forecast": o.forecast[i], "low": o.low[i], "high": o.high[i], "baseline": o.baseline[i],
                         "recent": recent, "backtest_wape": o.model_wape, "baseline_wape": o.baseline_wape,
                         "naive_wape": o.naive_wape, "backtest_points": o.backtest_points,
                         "backtest_actual": o.actual_total, "model": o.model,
                         "status": o.status})
    frame = pd.DataFrame(rows)
    errors = ["backtest_wape", "baseline_wape", "naive_wape"]
    frame[errors] = frame[errors].astype(float)  # None (no error measurable) as NaN
    frame["surge"] = is_surge(frame, rules)
    return frame.sort_values(["step", "forecast", "key"], ascending=[True, False, True], ignore_index=True)


def _trim_leading_zeros(y: np.ndarray) -> np.ndarray:
    """A key first seen part-way through (a new category or street) starts its series there, not with zeros."""
    seen = np.flatnonzero(y > 0)
    return y[seen[0]:] if len(seen) else y[-1:]


def is_surge(frame: pd.DataFrame, rules: Rules) -> pd.Series:
    """突增预警: a forecast of at least warning.min_cases that reaches warning.surge_ratio × the recent level, from a
    model that did no worse than the baselines in its backtest (a rise no better than a guess raises no alarm)."""
    ratio, least = rules.get("warning.surge_ratio"), rules.get("warning.min_cases")
    best_baseline = frame[["baseline_wape", "naive_wape"]].min(axis=1)  # NaN only when neither is measurable
    trusted = frame["backtest_wape"] <= best_baseline
    ok = frame["status"] == "ok"
    return ok & trusted & (frame["forecast"] >= least) & (frame["forecast"] >= ratio * frame["recent"])


TOPIC_COLUMNS = ["key", "month", "month_label", "season_index", "arriving", "last_year", "years"]


def seasonal_topics(engine: Engine, rules: Rules, as_of: date | None = None) -> pd.DataFrame:
    """Categories whose coming month (the first after the complete months) was a season of their own in past
    years; see `season_topics`. Needs a whole year of monthly history, none otherwise."""
    found = history(engine, "cat_l2", "M", as_of)
    if found is None or len(found.periods) < 12:
        return pd.DataFrame(columns=TOPIC_COLUMNS)
    return season_topics(found.table, found.next, rules.get("warning.season_ratio"), rules.get("warning.min_cases"))


def season_topics(table: pd.DataFrame, coming: Period, ratio: float, least: int) -> pd.DataFrame:
    """From monthly volumes (rows: month starts, columns: keys): key, month, month_label, season_index (the
    volume in the coming calendar month ÷ the mean month of that year — the twelve months up to it, else from it —
    averaged over past years), arriving (it also rose by `ratio` from the month before, on average), last_year
    (the latest such month's volume), years. Listed when season_index ≥ ratio and last_year ≥ least."""
    starts = list(table.index)
    past = [i for i, d in enumerate(starts) if d.month == coming.start.month]
    rows = []
    for key in table.columns:
        y = table[key].to_numpy(dtype=float)
        indices, rises = [], []
        for i in past:
            first = i - 11 if i >= 11 else i
            if first + 12 > len(y) or y[first:first + 12].mean() <= 0:
                continue
            indices.append(y[i] / y[first:first + 12].mean())
            if i >= 1:
                rises.append(y[i] / y[i - 1] if y[i - 1] > 0 else np.inf)
        last = y[past[-1]] if past else 0
        if not indices or last < least or np.mean(indices) < ratio:
            continue
        rows.append({"key": key, "month": coming.key, "month_label": coming.label,
                     "season_index": float(np.mean(indices)), "arriving": bool(rises) and bool(np.mean(rises) >= ratio),
                     "last_year": int(last), "years": len(indices)})
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS).sort_values("season_index", ascending=False, ignore_index=True)


def carriers(engine: Engine, by: str, key: str, period_key: str, top: int = 5) -> dict:
    """The places and units that carried the key in the same period a year before (提前排查): {"period": label,
    "places": DataFrame(address, street, n), "units": DataFrame(unit_name, n)}; empty frames without that data."""
    past: Period = parse_period(period_key).year_ago()
    last_day = past.end - timedelta(days=1)
    with engine.connect() as conn:
        places = volume_series.places_carrying(conn, by, key, past.start, last_day, top)
        units = volume_series.units_carrying(conn, by, key, past.start, last_day, top)
    return {"period": past.label, "places": places, "units": units}
