"""后进单位 and 连续后进 (METRICS.md §6).

A unit lags when it is among the bottom `lagging.bottom_n` ranked units of its group, ties included: fewer than
bottom_n ranked units of the group have a lower 2-decimal score. Without ties at the cut this is exactly
"rank > ranked units − bottom_n"; with ties it keeps every unit tied at the cut, as the red flag does at the top.
A group with no more than 2 × bottom_n ranked units has no 后进 units.
"""
import pandas as pd
from sqlalchemy.engine import Engine

from metrics.periods import Period
from metrics.ranking import round2_array
from metrics.rules import Rules
from metrics.scores import score_frame, sort_scores, trend_from, unit_scores_from

LAGGING_COLUMNS = ["group", "unit_id", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]
# How far back lagging_periods counts: a streak longer than this shows as this many periods.
LOOKBACK = 12


def lagging_units(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The lagging rows of a score table (all groups; of each period when it holds several), in table order."""
    bottom_n = rules.get("lagging.bottom_n")
    ranked = table[table["ranked"]]
    by = [ranked["period"], ranked["group"]]
    from_bottom = pd.Series(round2_array(ranked["adjusted_score"]), index=ranked.index).groupby(by).rank(
        method="min", ascending=True)
    members = ranked.groupby(by)["unit_id"].transform("size")
    return ranked[(members > 2 * bottom_n) & (from_bottom <= bottom_n)]


def lookback(period: Period, rules: Rules) -> list[Period]:
    """The periods lagging_periods looks at, newest (the period itself) first."""
    periods = [period]
    while len(periods) < max(LOOKBACK, rules.get("lagging.consecutive")):
        periods.append(periods[-1].previous())
    return periods


def lagging(engine: Engine, period: Period, rules: Rules) -> pd.DataFrame:
    """LAGGING_COLUMNS for this period's lagging units, by group and rank.

    lagging_periods counts the consecutive periods up to this one in which the unit lagged (at most LOOKBACK);
    watchlist is true when that reaches `lagging.consecutive`.
    """
    periods = lookback(period, rules)
    return lagging_from(score_frame(engine, periods, rules, closing=False), period, rules)


def lagging_reading_back(engine: Engine, frame: pd.DataFrame, period: Period, rules: Rules) -> pd.DataFrame:
    """lagging from a score_frame holding the period (and maybe some before it; 按时办结 need not be counted),
    reading a period before it that the frame lacks only when a lagging unit's streak reaches it, one at a time:
    the same table, without scoring all the LOOKBACK periods when streaks are short (at city scale each period
    costs about what the month itself does)."""
    periods = lookback(period, rules)
    while True:
        found = lagging_from(frame, period, rules)
        streak = int(found["lagging_periods"].max()) if len(found) else 0
        if streak == len(periods) or periods[streak].key in set(frame["period"]):
            return found
        earlier = score_frame(engine, [periods[streak]], rules, closing=False)
        frame = pd.concat([frame, earlier], ignore_index=True)


def lagging_from(frame: pd.DataFrame, period: Period, rules: Rules) -> pd.DataFrame:
    """lagging from a score_frame holding the lookback periods (and maybe others)."""
    periods = lookback(period, rules)
    lagging_rows = lagging_units(frame[frame["period"].isin([p.key for p in periods])], rules)
    by_period: dict[str, set] = {}
    for key, unit in zip(lagging_rows["period"], lagging_rows["unit_id"]):
        by_period.setdefault(key, set()).add(unit)
    lagged = [by_period.get(p.key, set()) for p in periods]
    current = sort_scores(lagging_rows[lagging_rows["period"] == period.key], rules)
    current["lagging_periods"] = [_run_length(unit, lagged) for unit in current["unit_id"]]
    current["watchlist"] = current["lagging_periods"] >= rules.get("lagging.consecutive")
    return current[LAGGING_COLUMNS].astype({"lagging_periods": "int64", "watchlist": bool})


def lagging_review(engine: Engine, period: Period, rules: Rules,
                   trend: list[Period]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """后进会诊: lagging, unit_scores (on_time_close_rate null) and score_trend over `trend` with every unit
    (metrics.scores.trend_of_units picks one), from one reading of all the periods they need."""
    frame = score_frame(engine, [*lookback(period, rules), *period.with_compared(), *trend], rules, closing=False,
                        changes=[period])
    return (lagging_from(frame, period, rules), unit_scores_from(frame, period, rules),
            trend_from(frame, frame, trend, rules))


def _run_length(unit: int, lagged: list[set]) -> int:
    """How many of the sets, newest first, contain the unit before the first that does not."""
    count = 0
    for members in lagged:
        if unit not in members:
            break
        count += 1
    return count
