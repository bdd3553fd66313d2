"""Who is ranked, competition ranks within a group, tiers (METRICS.md §4).

Ranks, tiers, the red-flag minimum and the lagging cut all compare the score rounded to 2 decimals, the
figure people see. Rounding is half-up on the decimal value after removing floating-point noise, so two units
whose scores are mathematically equal always share a rank.
"""
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from metrics.registry import weighted_rates
from metrics.rules import Rules

NO_ASSESSED = "无参评工单"
TOO_FEW = "参评量不足"
NO_SCORE = "无成绩"  # a null score with every weighted rate present: cannot happen from counts, said plainly anyway

# round2_array computes scores below this magnitude itself: score × 10⁹ then stays under 2⁵³ with an error
# below 0.002, and the 9-decimal value has at most 15 significant digits (so repr gives exactly it).
_PLAIN_LIMIT = 1e4
_NEAR_HALF = 0.01


def round2(score: float | None) -> float | None:
    if score is None or score != score:
        return None
    return float(Decimal(repr(round(score, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def round2_array(scores) -> np.ndarray:
    """round2 of every score at once, NaN for None or NaN: the same figures without a Decimal per value.

    round2 rounds to 9 decimals first (the integer k = score × 10⁹ rounded to nearest), then half-up to 2
    (|k| + 5·10⁶ divided down by 10⁷, the sign kept). The product score × 10⁹ in floating point can miss
    the exact one by a little, which matters only when it lies next to a half: those rare scores, and any
    outside the plain range, go through round2 itself."""
    x = np.asarray(scores, dtype=float)
    out = np.full(x.shape, np.nan)
    with np.errstate(over="ignore", invalid="ignore"):  # huge or infinite scores are left to round2 below
        scaled = x * 1e9
        plain = (np.abs(x) < _PLAIN_LIMIT) & (np.abs(scaled - np.floor(scaled) - 0.5) > _NEAR_HALF)
    k = np.rint(np.abs(scaled[plain])).astype(np.int64)
    out[plain] = np.copysign((k + 5_000_000) // 10_000_000 / 100, x[plain])
    odd = ~plain & ~np.isnan(x)
    out[odd] = [round2(float(v)) for v in x[odd]]
    return out


def missing_inputs(table: pd.DataFrame, rules: Rules) -> np.ndarray:
    """What each row's score lacks: the reasons of the weighted rates that are null (无响应数据、无回访评价 …),
    each once, in RATES order; None where none is null."""
    rates = weighted_rates(rules.weights)
    nulls = [table[r.key].isna().to_numpy() for r in rates]
    out = np.full(len(table), None, dtype=object)
    # Only the rows lacking something are joined one by one (a twelve-period frame has thousands of rows).
    for i in np.flatnonzero(np.logical_or.reduce(nulls)) if nulls else ():
        out[i] = "、".join(dict.fromkeys(r.missing for r, null in zip(rates, nulls) if null[i]))
    return out


def not_ranked_reasons(assessed, adjusted_score, min_assessed: int, missing) -> np.ndarray:
    """Why each unit is not ranked, or None when it is (METRICS.md §4): no assessed cases; else no score, with
    what its weighted rates lack (`missing`, from missing_inputs); else fewer than min_assessed."""
    assessed = np.asarray(assessed)
    unscored = np.isnan(np.asarray(adjusted_score, dtype=float))
    missing = np.asarray(missing, dtype=object)
    lacking = np.where(pd.isna(missing), NO_SCORE, missing)
    return np.select([assessed == 0, unscored, assessed < min_assessed], [NO_ASSESSED, lacking, TOO_FEW],
                     default=None)


def with_reasons(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Add not_ranked_reason and ranked to a table with assessed, adjusted_score and the weighted rates."""
    out = table.copy()
    out["not_ranked_reason"] = not_ranked_reasons(out["assessed"], out["adjusted_score"],
                                                  rules.get("ranking.min_assessed"), missing_inputs(out, rules))
    out["ranked"] = out["not_ranked_reason"].isna()
    return out


def with_tiers(table: pd.DataFrame, rounded, rules: Rules) -> pd.DataFrame:
    """Add tier from the round2 scores (tiers belong to the assessment, so only ranked units get one)."""
    table["tier"] = np.where(table["ranked"], rules.tiers_of(np.asarray(rounded, dtype=float)), None)
    return table


def rank_units(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Add ranked, not_ranked_reason, rank and tier to a table with period, group, assessed and adjusted_score.

    The table may hold several periods: ranks are per period and group. (Score tables are ranked in SQL,
    data_access.queries.scored_units; this is for the rare one whose rounding only round2 itself can settle.)
    """
    out = with_reasons(table, rules)
    rounded = round2_array(out["adjusted_score"])
    ranked = out[["period", "group"]].assign(rounded=rounded)[out["ranked"]]
    ranks = ranked.groupby(["period", "group"])["rounded"].rank(method="min", ascending=False)
    out["rank"] = ranks.reindex(out.index).astype("Int64")
    return with_tiers(out, rounded, rules)
