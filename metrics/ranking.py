"""Who is ranked, competition ranks within a group, tiers (METRICS.md §4).

Ranks, tiers, the red-flag minimum and the lagging cut all compare the score rounded to 2 decimals, the
figure people see. Rounding is half-up on the decimal value after removing floating-point noise, so two units
whose scores are mathematically equal always share a rank.
"""
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from metrics.rules import Rules

NO_ASSESSED = "无参评工单"
TOO_FEW = "参评量不足"
NO_RATINGS = "无回访评价"


def round2(score: float | None) -> float | None:
    if score is None or score != score:
        return None
    return float(Decimal(repr(round(score, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def not_ranked_reason(assessed: int, adjusted_score: float | None, min_assessed: int) -> str | None:
    """Why a unit is not ranked, or None when it is.

    No assessed cases; fewer than min_assessed; or assessed cases but no score because nobody rated the
    resolution or the satisfaction of any of them (a null rate makes the score null, METRICS.md §3).
    """
    if assessed == 0:
        return NO_ASSESSED
    if assessed < min_assessed:
        return TOO_FEW
    if adjusted_score is None or adjusted_score != adjusted_score:
        return NO_RATINGS
    return None


def competition_rank(scores: pd.Series, ascending: bool = False) -> pd.Series:
    """1, 2, 2, 4 on the 2-decimal scores; best first unless ascending (then the worst gets 1)."""
    return scores.map(round2).rank(method="min", ascending=ascending).astype("Int64")


def rank_units(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Add ranked, not_ranked_reason, rank and tier to a table with period, group, assessed and adjusted_score.

    The table may hold several periods: ranks are per period and group.
    """
    min_assessed = rules.get("ranking.min_assessed")
    out = table.copy()
    out["not_ranked_reason"] = [not_ranked_reason(a, s, min_assessed)
                                for a, s in zip(out["assessed"], out["adjusted_score"])]
    out["ranked"] = out["not_ranked_reason"].isna()
    rounded = out["adjusted_score"].map(round2)
    ranked = out[["period", "group"]].assign(rounded=rounded)[out["ranked"]]
    ranks = ranked.groupby(["period", "group"])["rounded"].rank(method="min", ascending=False)
    out["rank"] = ranks.reindex(out.index).astype("Int64")
    # Tiers belong to the assessment, so only ranked units get one.
    out["tier"] = [rules.tier_of(r) if ok else None for r, ok in zip(rounded, out["ranked"])]
    return out
