"""Month-end projection (未诉先办): from the month so far, each unit's expected month-end score with an interval,
and 差几件 to its target; its expected 解决率 and 满意率 against their targets; the daily progress of all three.

For each rate (响应率, 解决率, 满意率) the month's denominator is expected to reach the unit's own recent share of
it (rated cases per assessed case, last RECENT_MONTHS months) times the month's assessed volume at this month's
pace. The cases still to come into a denominator — later in the month, or received but still awaiting response or
callback — are expected at the unit's recent rate; their spread (binomial, plus the unit's month-to-month
variation of the rate) gives the interval. The score is the rules' weighted sum of the projected rates plus the
month's 加减分. Measured against the naive "score so far" on every past month (bench/foresight.py).
"""
from calendar import monthrange
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.records.targets import month_targets
from metrics.adjustments import adjustment_sums
from metrics.periods import period_of, range_period, shift
from metrics.registry import RATES
from metrics.rules import Rules
from metrics.scores import score_frame

RECENT_MONTHS = 3   # the unit's recent rates and shares
SPREAD_MONTHS = 6   # the months whose rates give the unit's month-to-month variation
# rate → (numerator, denominator) in the score frame
COLUMNS = ["unit_name", "score_so_far", "projected_score", "low", "high", "target", "gap_cases"]
# target → registry rate; the projection covers these and every rate the rules weight
RATE_TARGETS = {"resolution": "resolution_rate", "satisfaction": "satisfaction_rate"}
OFF_COLUMNS = ["projected_resolution", "target_resolution", "projected_satisfaction", "target_satisfaction",
               "off_target"]


def unit_target(targets: dict[int, dict], unit_id: int, name: str, rules: Rules) -> float:
    """The unit's own target for the month (data_access.records.targets), else the rules' targets.<name>."""
    return targets.get(unit_id, {}).get(name, rules.get(f"targets.{name}"))


def projections(engine: Engine, rules: Rules, day: date) -> pd.DataFrame:
    """One row per unit with cases this month up to `day` (included): unit_id, unit_name, group, score_so_far,
    projected_score, low, high, target (the unit's own for the month, else the rules' targets.score), gap_cases,
    projected_resolution / _satisfaction and their target_resolution / _satisfaction, off_target (the projected
    score or either projected rate is below its target)."""
    month = period_of(day, "month")
    so_far = range_period(month.start, day)
    past = [shift(month, -i) for i in range(1, SPREAD_MONTHS + 1)]
    frame = score_frame(engine, [so_far, *past], rules)
    adjustments = adjustment_sums(engine, [month.key])
    with engine.connect() as conn:
        targets = month_targets(conn, month.key)
    days_in = monthrange(month.start.year, month.start.month)[1]
    return _project(frame, so_far.key, [p.key for p in past], rules, days_in / day.day, month.key, adjustments,
                    targets)


def progress(engine: Engine, rules: Rules, day: date) -> pd.DataFrame:
    """The month's daily progress line: day, unit_id, unit_name, score_so_far, resolution_so_far,
    satisfaction_so_far (from the month's first day to that day; NaN before a rated case), target,
    target_resolution, target_satisfaction, behind (any of the three below its target) — for every day of the
    month up to `day`, every unit with cases."""
    month = period_of(day, "month")
    ranges = [range_period(month.start, month.start + timedelta(days=i)) for i in range((day - month.start).days + 1)]
    frame = score_frame(engine, ranges, rules)
    frame = frame[frame["assessed"] > 0]
    with engine.connect() as conn:
        targets = month_targets(conn, month.key)
    adjustments = adjustment_sums(engine, [month.key])
    ends = {p.key: p.end - timedelta(days=1) for p in ranges}
    out = pd.DataFrame({
        "day": frame["period"].map(ends), "unit_id": frame["unit_id"], "unit_name": frame["unit_name"],
        "score_so_far": frame["raw_score"] + frame["unit_id"].map(lambda u: adjustments.get((month.key, u), 0.0)),
        "target": frame["unit_id"].map(lambda u: unit_target(targets, u, "score", rules)),
    })
    behind = out["score_so_far"] < out["target"]
    for name, rate in RATE_TARGETS.items():
        out[f"{name}_so_far"] = frame[rate]
        out[f"target_{name}"] = frame["unit_id"].map(lambda u, n=name: unit_target(targets, u, n, rules))
        behind |= out[f"{name}_so_far"] < out[f"target_{name}"]  # no rated case yet (NaN): not behind
    out["behind"] = behind
    return out.sort_values(["unit_name", "day"], ignore_index=True)


def _project(frame: pd.DataFrame, so_far_key: str, past_keys: list[str], rules: Rules, pace: float,
             month_key: str, adjustments: dict, targets: dict[int, dict]) -> pd.DataFrame:
    now = frame[frame["period"] == so_far_key].set_index("unit_id")
    now = now[now["assessed"] > 0]
    if now.empty:
        return pd.DataFrame(columns=["unit_id", "unit_name", "group", *COLUMNS[1:], *OFF_COLUMNS])
    history = frame[frame["period"].isin(past_keys)]
    recent = history[history["period"].isin(past_keys[:RECENT_MONTHS])].groupby("unit_id").sum(numeric_only=True)
    z = NormalDist().inv_cdf(0.5 + rules.get("warning.interval") / 2)
    expected_assessed = now["assessed"] * pace
    score, variance, gain, rates = 0.0, 0.0, 0.0, {}
    for rate in dict.fromkeys([*rules.weights, *RATE_TARGETS]):
        num, den = RATES[rate].numerator, RATES[rate].denominator
        r_recent = _ratio(recent, num, den).reindex(now.index)
        r_recent = r_recent.fillna(_ratio(now, num, den))  # no recent history: the month so far stands for it
        share = (_ratio(recent, den, "assessed").reindex(now.index) if den != "assessed" else 1.0)
        share = share.fillna(now[den] / now["assessed"]) if den != "assessed" else share
        remaining = np.maximum(share * expected_assessed - now[den], 0)
        final_den = now[den] + remaining
        rates[rate] = (now[num] + r_recent * remaining) / final_den
        weight = rules.weights.get(rate)
        if weight is None:
            continue
        spread = _monthly_variance(history, num, den).reindex(now.index).fillna(0)
        rate_var = (remaining * r_recent * (1 - r_recent) + remaining ** 2 * spread) / final_den ** 2
        score = score + 100 * weight * rates[rate]
        variance = variance + (100 * weight) ** 2 * rate_var
        if rate in RATE_TARGETS:  # a lost case made 解决 and 满意 gains a full case in each of these denominators
            gain = gain + 100 * weight / final_den
    adjustment = pd.Series([adjustments.get((month_key, u), 0.0) for u in now.index], index=now.index)
    projected_score = score + adjustment
    half = z * np.sqrt(variance)
    target = pd.Series([unit_target(targets, u, "score", rules) for u in now.index], index=now.index)
    gap = np.where(projected_score >= target, 0, np.ceil((target - projected_score) / gain)).astype(float)
    gap = np.where(np.isfinite(gap), gap, np.nan)  # no rated case left to expect: no count to give
    out = pd.DataFrame({
        "unit_id": now.index, "unit_name": now["unit_name"], "group": now["group"],
        "score_so_far": now["raw_score"] + adjustment, "projected_score": projected_score,
        "low": np.clip(score - half, 0, 100) + adjustment, "high": np.clip(score + half, 0, 100) + adjustment,
        "target": target, "gap_cases": pd.array(gap, dtype="Float64").astype("Int64"),
    }).reset_index(drop=True)
    off = out["projected_score"] < out["target"]
    for name in RATE_TARGETS:
        out[f"projected_{name}"] = rates[name].to_numpy()
        out[f"target_{name}"] = [unit_target(targets, u, name, rules) for u in now.index]
        off |= out[f"projected_{name}"] < out[f"target_{name}"]   # NaN (nothing rated to expect): not off
    out["off_target"] = off
    return out.sort_values(["projected_score", "unit_name"], ignore_index=True)


def _ratio(frame: pd.DataFrame, num: str, den: str) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (frame[num] / frame[den].where(frame[den] > 0)).astype(float)


def _monthly_variance(history: pd.DataFrame, num: str, den: str) -> pd.Series:
    """Each unit's variance of the rate between past months (months without a denominator left out)."""
    rates = history.assign(rate=_ratio(history, num, den)).dropna(subset=["rate"])
    return rates.groupby("unit_id")["rate"].var(ddof=1)


def backtest(engine: Engine, rules: Rules, days: tuple[int, ...] = (10, 20)) -> pd.DataFrame:
    """Every complete month with data: the projection from day d and the score so far against the month's final
    score. One row per day d: months, units, projection_mae, so_far_mae, covered (share of finals inside the
    interval). The database holds today's ratings, so a past month's 'so far' already knows callbacks that came
    after day d: the projection's edge for cases awaiting callback is not measured here."""
    from data_access.queries.filter_options import data_days
    with engine.connect() as conn:
        span = data_days(conn, rules.basis)
    if span is None:
        return pd.DataFrame(columns=["day", "months", "units", "projection_mae", "so_far_mae", "covered"])
    months, m = [], period_of(span[0], "month")
    while m.end - timedelta(days=1) <= span[1]:
        if m.start >= span[0]:
            months.append(m)
        m = shift(m, 1)
    rows = []
    for d in days:
        errors = []
        for month in months[1:]:  # the first month has no history to lean on
            finals = score_frame(engine, [month], rules).set_index("unit_id")["adjusted_score"]
            found = projections(engine, rules, month.start + timedelta(days=d - 1)).set_index("unit_id")
            found = found.join(finals.rename("final"), how="inner").dropna(subset=["final", "projected_score"])
            errors.append(found.assign(month=month.key))
        if not errors:   # no complete month after the first: nothing to measure
            rows.append({"day": d, "months": 0, "units": 0, "projection_mae": None, "so_far_mae": None,
                         "covered": None})
            continue
        every = pd.concat(errors)
        rows.append({"day": d, "months": len(errors), "units": len(every),
                     "projection_mae": float((every["projected_score"] - every["final"]).abs().mean()),
                     "so_far_mae": float((every["score_so_far"] - every["final"]).abs().mean()),
                     "covered": float(((every["low"] <= every["final"]) & (every["final"] <= every["high"])).mean())})
    return pd.DataFrame(rows)

