"""Where a unit's points went (METRICS.md §6): points lost per rate, 失分工单 with their cost Δ, 差几件.

A case's Δ = 100 × Σ over the weighted rates r of w_r × (1 − credit_r)/|D_r|, each term only when the case is in
r's denominator D_r (the default: w_resp × (1 − on_time)/|A| + w_solve × (1 − solved_credit)/|solved_rated|
+ w_sat × (1 − sat_credit)/|satisfaction_rated|). Δ depends only on the case's class in each weighted rate (on
time or late, the solved value, …: data_access.storage.measures.case_classes), so it is computed exactly (as a fraction
of the decimal settings) once per such pattern, and SQL picks each case's value by CASE: equal costs are
identical numbers and sort by case_no, and the costs of all cases sum to 100 − raw_score.
"""
from fractions import Fraction
from itertools import product

import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries import drill_queries
from data_access.queries.case_queries import CaseFilter
from data_access.queries.drill_queries import CaseCosts
from data_access.storage.measures import rated_of
from metrics.awards import red_flags
from metrics.counts import base_counts
from metrics.periods import Period
from metrics.ranking import round2
from metrics.registry import Rate, weighted_rates
from metrics.rules import Rules
from metrics.scores import unit_scores

BY = ("cat_l1", "cat_l2", "community")
CASE_COLUMNS = ["case_no", "cost", "on_time", "solved", "satisfaction", "cat_l1", "cat_l2", "community", "street",
                "address", "urgency", "response_hours", "received_at"]


def _exact(value: float) -> Fraction:
    # Settings are written as decimals (0.45); their decimal value, not the nearest binary float, is meant.
    return Fraction(repr(value))


def case_costs(rules: Rules, resp_base: int, solved_rated: int, satisfaction_rated: int, close_base: int = 0,
               fdy_den: int = 0) -> dict:
    """Δ for every pattern of classes in the weighted rates (by default (late, solved, satisfaction)), given the
    unit's denominators; a class None means outside that rate's denominator (not rated, not provided)."""
    return pattern_costs(rules, {"resp_base": resp_base, "solved_rated": solved_rated,
                                 "satisfaction_rated": satisfaction_rated, "close_base": close_base,
                                 "fdy_den": fdy_den})


def _credits(rate: Rate, rules: Rules) -> dict:
    """A case's credit in the rate for each of its classes (measures.case_classes)."""
    rated = rated_of(rate.denominator)
    if rated:
        return {value: _exact(rules[rated.credits][value]) for value in rated.columns}
    return {False: Fraction(1), True: Fraction(0)}


def pattern_costs(rules: Rules, denominators: dict) -> dict:
    """Δ for every pattern of classes in the weighted rates, from the unit's denominator counts."""
    rates = weighted_rates(rules.weights)
    credits = [_credits(r, rules) for r in rates]

    def term(rate, credit, denominator):
        return _exact(rules.weights[rate.weight]) * (1 - credit) / denominator if credit is not None and \
            denominator else Fraction(0)

    costs = {}
    for pattern in product(*[[*c, None] for c in credits]):
        delta = sum((term(r, c.get(k), int(denominators[r.denominator])) for r, c, k in zip(rates, credits, pattern)),
                    start=Fraction(0))
        costs[pattern] = float(100 * delta)
    return costs


def _filter(period: Period, rules: Rules, unit_id: int) -> CaseFilter:
    return CaseFilter.of(period, rules, unit_ids=(unit_id,), excluded=False)


def _costs(engine: Engine, period: Period, rules: Rules, unit_id: int,
           scores: pd.DataFrame | None = None) -> CaseCosts:
    """Δ per pattern from the unit's denominators: in `scores` (any table of the period with unit_id and the
    weighted rates' denominators: unit_scores, base_counts) when the caller has one, else counted."""
    counts = base_counts(engine, period, rules) if scores is None else scores
    row = counts[counts["unit_id"] == unit_id]
    rates = weighted_rates(rules.weights)
    denominators = {r.denominator: 0 if row.empty else int(row.iloc[0][r.denominator]) for r in rates}
    return CaseCosts(tuple((r.numerator, r.denominator) for r in rates), pattern_costs(rules, denominators))


def lost_cases(engine: Engine, period: Period, rules: Rules, unit_id: int, limit: int | None = None,
               offset: int = 0, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """失分工单 (错题本): the unit's assessed cases with Δ > 0, CASE_COLUMNS, Δ descending then case_no.
    `scores`: the period's unit_scores when the caller has them (saves counting again)."""
    costs = _costs(engine, period, rules, unit_id, scores)
    with engine.connect() as conn:
        rows = drill_queries.lost_rows(conn, _filter(period, rules, unit_id), costs, limit, offset)
    frame = pd.DataFrame(rows, columns=[*drill_queries.LOST_COLUMNS, "cost"])
    # null: the case's file had no response column (neither on time nor late)
    frame["on_time"] = pd.array([None if pd.isna(v) else bool(v) for v in frame["on_time"]], dtype="boolean")
    frame["cost"] = frame["cost"].astype(float)
    return frame[CASE_COLUMNS]


def lost_costs(engine: Engine, period: Period, rules: Rules, unit_id: int,
               scores: pd.DataFrame | None = None) -> list[float]:
    """Every Δ > 0 of the unit, largest first (for 差几件 and totals), from a few grouped rows."""
    costs = _costs(engine, period, rules, unit_id, scores)
    with engine.connect() as conn:
        counted = drill_queries.cost_counts(conn, _filter(period, rules, unit_id), costs)
    return sorted((float(cost) for cost, n in counted for _ in range(n)), reverse=True)


def points_lost(score_row, rules: Rules) -> dict:
    """rate key → 100 × w × (1 − rate) for each weighted rate, None for a rate without data. Their sum is
    100 − raw_score."""
    return {r.key: None if pd.isna(score_row[r.key]) else 100 * rules.weights[r.weight] * (1 - float(score_row[r.key]))
            for r in weighted_rates(rules.weights)}


def gap_cases(adjusted_score: float | None, costs: list[float], target: float | None) -> int | None:
    """差几件: the smallest k with round2(adjusted + the k largest Δ) ≥ round2(target); None when even all
    cases are not enough (or there is no score or target)."""
    if adjusted_score is None or target is None or pd.isna(adjusted_score) or pd.isna(target):
        return None
    goal, total = round2(target), float(adjusted_score)
    for k, cost in enumerate([0.0, *sorted(costs, reverse=True)]):
        total += cost
        if round2(total) >= goal:
            return k
    return None


def default_target(engine: Engine, period: Period, rules: Rules, unit_id: int,
                   scores: pd.DataFrame | None = None) -> float | None:
    """The lowest 红旗 adjusted score in the unit's group this period; None when the group has no red flag."""
    scores = unit_scores(engine, period, rules) if scores is None else scores
    group = scores.loc[scores["unit_id"] == unit_id, "group"]
    if group.empty:
        return None
    flags = red_flags(scores[scores["group"] == group.iloc[0]], rules)
    return float(flags["adjusted_score"].min()) if len(flags) else None


def loss_by(engine: Engine, period: Period, rules: Rules, unit_id: int, by: str = "cat_l1",
            scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Columns <by>, cases, cost: the unit's lost cases and their Σ Δ per category or community, largest first.
    `scores`: the period's unit_scores when the caller has them (saves counting again)."""
    if by not in BY:
        raise ValueError(f"失分分组应为 {' / '.join(BY)} 之一，而不是 {by!r} (by must be one of {', '.join(BY)})")
    costs = _costs(engine, period, rules, unit_id, scores)
    with engine.connect() as conn:
        rows = drill_queries.loss_by(conn, _filter(period, rules, unit_id), costs, by)
    frame = pd.DataFrame(rows, columns=[by, "cases", "cost"]).astype({"cases": int, "cost": float})
    return frame.sort_values(["cost", by], ascending=[False, True], na_position="last").reset_index(drop=True)


def lost_summary(engine: Engine, period: Period, rules: Rules, unit_id: int, target: float | None = None,
                 scores: pd.DataFrame | None = None) -> dict:
    """What the 会诊 page and `cli.py lost` print above the list: unit_name, group, raw_score, adjusted_score,
    points_lost (per rate), lost_cases (how many), lost_total (Σ Δ), target (the one given, else the default),
    target_is_default, gap_cases. `scores`: the period's unit_scores (all groups) when the caller has them."""
    scores = unit_scores(engine, period, rules) if scores is None else scores
    row = scores[scores["unit_id"] == unit_id]
    if row.empty:
        raise ValueError(f"单位 {unit_id} 在 {period.key} 没有成绩（不存在或已停用） "
                         f"(unit {unit_id} has no score in {period.key}: unknown or inactive)")
    row = row.iloc[0]
    costs = lost_costs(engine, period, rules, unit_id, scores)
    chosen = target if target is not None else default_target(engine, period, rules, unit_id, scores)
    adjusted = None if pd.isna(row["adjusted_score"]) else float(row["adjusted_score"])
    return {
        "unit_id": unit_id, "unit_name": row["unit_name"], "group": row["group"],
        "raw_score": None if pd.isna(row["raw_score"]) else float(row["raw_score"]), "adjusted_score": adjusted,
        "points_lost": points_lost(row, rules), "lost_cases": len(costs), "lost_total": sum(costs),
        "target": chosen, "target_is_default": target is None, "gap_cases": gap_cases(adjusted, costs, chosen),
    }
