"""后进单位 and 连续后进 (METRICS.md §6).

A unit lags when it is among the bottom `lagging.bottom_n` ranked units of its group, ties included: fewer than
bottom_n ranked units of the group have a lower 2-decimal score. Without ties at the cut this is exactly
"rank > ranked units − bottom_n"; with ties it keeps every unit tied at the cut, as the red flag does at the top.
A group with no more than 2 × bottom_n ranked units has no 后进 units.
"""
import pandas as pd
from sqlalchemy.engine import Engine

from metrics.periods import Period
from metrics.ranking import competition_rank
from metrics.rules import Rules
from metrics.scores import score_tables, sort_scores

LAGGING_COLUMNS = ["group", "unit_id", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]
# How far back lagging_periods counts: a streak longer than this shows as this many periods.
LOOKBACK = 12


def lagging_units(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The lagging rows of a score table (all groups)."""
    bottom_n = rules.get("lagging.bottom_n")
    parts = []
    for _, members in table[table["ranked"]].groupby("group"):
        if len(members) > 2 * bottom_n:
            parts.append(members[competition_rank(members["adjusted_score"], ascending=True) <= bottom_n])
    return pd.concat(parts) if parts else table.iloc[0:0]


def lagging(engine: Engine, period: Period, rules: Rules) -> pd.DataFrame:
    """LAGGING_COLUMNS for this period's lagging units, by group and rank.

    lagging_periods counts the consecutive periods up to this one in which the unit lagged (at most LOOKBACK);
    watchlist is true when that reaches `lagging.consecutive`.
    """
    periods = [period]
    while len(periods) < max(LOOKBACK, rules.get("lagging.consecutive")):
        periods.append(periods[-1].previous())
    tables = score_tables(engine, periods, rules, closing=False)
    lagged = [set(lagging_units(tables[p.key], rules)["unit_id"]) for p in periods]
    current = sort_scores(lagging_units(tables[period.key], rules), rules)
    current["lagging_periods"] = [_run_length(unit, lagged) for unit in current["unit_id"]]
    current["watchlist"] = current["lagging_periods"] >= rules.get("lagging.consecutive")
    return current[LAGGING_COLUMNS].astype({"lagging_periods": "int64", "watchlist": bool})


def _run_length(unit: int, lagged: list[set]) -> int:
    """How many of the sets, newest first, contain the unit before the first that does not."""
    count = 0
    for members in lagged:
        if unit not in members:
            break
        count += 1
    return count
