"""流动红旗 and 进步奖 per ranking group (METRICS.md §5), and the flag history with streaks.

The red-flag minimum compares the score rounded to 2 decimals, as ranks and tiers do.
"""
import pandas as pd
from sqlalchemy.engine import Engine

from metrics.periods import Period
from metrics.ranking import round2_array
from metrics.rules import Rules
from metrics.scores import group_order, score_frame, sort_scores, unit_scores, unit_scores_from

RED_FLAG, PROGRESS = "红旗", "进步奖"
AWARD_COLUMNS = ["group", "award", "unit_id", "unit_name", "rank", "adjusted_score", "rank_gain"]
HISTORY_COLUMNS = ["period", "period_label", "group", "unit_id", "unit_name", "rank", "adjusted_score", "streak"]


def red_flags(members: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Ranked units with rank ≤ top_n and score ≥ min_score; ties at the cut share the rank.

    Ranks are per group already, so this works on one group or on a whole score table.
    """
    ranked = members[members["ranked"]]
    good_enough = round2_array(ranked["adjusted_score"]) >= rules.get("awards.min_score")
    return ranked[(ranked["rank"] <= rules.get("awards.top_n")) & good_enough]


def progress_awards(scores: pd.DataFrame, flagged: pd.Series, rules: Rules) -> pd.DataFrame:
    """Per group: the largest rank gain among units ranked in both periods and not flagged, if ≥ min_rank_gain;
    ties share."""
    candidates = scores[scores["rank_change"].notna() & ~scores["unit_id"].isin(flagged)]
    best = candidates.groupby("group")["rank_change"].transform("max")
    return candidates[(candidates["rank_change"] == best) & (best >= rules.get("awards.min_rank_gain"))]


def awards_from_scores(scores: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """AWARD_COLUMNS from a unit_scores table: per group, 红旗 then 进步奖, each by rank then unit code."""
    order = {group: 2 * i for i, group in enumerate(group_order(rules))}
    scores = scores[scores["group"].isin(list(order))]
    flags = red_flags(scores, rules)
    parts = [flags.assign(award=RED_FLAG, order=flags["group"].map(order)),
             progress_awards(scores, flags["unit_id"], rules).pipe(
                 lambda won: won.assign(award=PROGRESS, order=won["group"].map(order) + 1))]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=AWARD_COLUMNS)
    found = pd.concat(parts).sort_values(["order", "rank", "unit_code"])
    return found.rename(columns={"rank_change": "rank_gain"})[AWARD_COLUMNS].reset_index(drop=True)


def awards(engine: Engine, period: Period, rules: Rules) -> pd.DataFrame:
    """This period's 红旗 and 进步奖; rank_gain is the rank improvement on the previous period (null when new)."""
    return awards_from_scores(unit_scores(engine, period, rules), rules)


def flag_history(engine: Engine, periods: list[Period], rules: Rules) -> pd.DataFrame:
    """HISTORY_COLUMNS: who held the red flag in each period (oldest first), with the streak of consecutive
    periods held, counted within the periods given (pass consecutive periods, e.g. trailing(p, 13))."""
    return flag_history_from(score_frame(engine, periods, rules, closing=False), periods, rules)


def flag_history_from(frame: pd.DataFrame, periods: list[Period], rules: Rules) -> pd.DataFrame:
    """flag_history from a score_frame holding the periods (and maybe others)."""
    periods = sorted(periods, key=lambda p: p.start)
    position = {p.key: i for i, p in enumerate(periods)}
    flagged = red_flags(frame[frame["period"].isin(list(position))], rules)
    if flagged.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS).astype({"streak": "int64", "rank": "Int64"})
    flagged = sort_scores(flagged.assign(_position=flagged["period"].map(position)), rules, first="_position")
    return flagged.assign(period_label=flagged["period"].map({p.key: p.label for p in periods}),
                          streak=_streaks(flagged["unit_id"], flagged["_position"]))[HISTORY_COLUMNS]


def _streaks(units: pd.Series, positions: pd.Series) -> list[int]:
    """For rows in period order: how many periods in a row, up to this one, the row's unit has held the flag."""
    held: dict[int, tuple[int, int]] = {}  # unit → (last position, streak there)
    streaks = []
    for unit, at in zip(units, positions):
        last, streak = held.get(unit, (None, 0))
        held[unit] = (at, streak + 1 if last == at - 1 else 1)
        streaks.append(held[unit][1])
    return streaks


def awards_and_history(engine: Engine, period: Period, rules: Rules,
                       history: list[Period]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """流动红旗: awards of the period and flag_history over `history`, from one score_frame of all the periods
    (the awards need the period and the one before, which the history usually holds already)."""
    frame = score_frame(engine, [period, period.previous(), *history], rules, closing=False, changes=[period])
    return awards_from_scores(unit_scores_from(frame, period, rules), rules), flag_history_from(frame, history, rules)
