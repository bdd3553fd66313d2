"""Unit score tables, the district summary and score trends (METRICS.md §3, §4, §7).

Rates and scores are kept at full precision; a rate whose denominator is 0 is null (NaN) and so is a raw score
with any null rate. Every function reads all the periods it needs with one statement (score tables: counts,
scores, ranks and changes together, data_access.queries.scored_units).
"""
import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries.score_queries import COUNT_COLUMNS
from data_access.queries.scored_units import ScoreSettings, scored_units
from metrics.counts import count_settings, counts_by_period, needs_closing
from metrics.periods import COMPARISONS, Period
from metrics.ranking import rank_units, with_reasons, with_tiers
from metrics.registry import RATES, weighted_rates
from metrics.rules import Rules

SCORE_COLUMNS = [
    "unit_id", "unit_code", "unit_name", "unit_type", "group", "volume", "assessed", "on_time_response",
    "solved_rated", "satisfaction_rated", "resp_base", "close_base", "fdy_den", "response_rate", "resolution_rate", "satisfaction_rate", "raw_score",
    "adjustment", "adjusted_score", "rank", "tier", "ranked", "not_ranked_reason", "prev_score", "prev_rank",
    "score_change", "rank_change", "yoy_score", "first_double_yes_rate", "on_time_close_rate",
]
TREND_COLUMNS = [
    "period", "period_label", "unit_id", "unit_name", "group", "volume", "assessed", "response_rate",
    "resolution_rate", "satisfaction_rate", "raw_score", "adjusted_score", "rank", "first_double_yes_rate",
    "on_time_close_rate",
]
DISTRICT_KEYS = ["volume", "assessed", "response_rate", "resolution_rate", "satisfaction_rate", "raw_score",
                 "first_double_yes_rate", "on_time_close_rate"]
DISTRICT_NAME = "全区"


def with_rates(counts: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Add every rate of the registry and raw_score (over the rates the rules weight) to a frame of base counts."""
    out = counts.copy()
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is masked to NaN just below
        for r in RATES.values():
            den = out[r.denominator].to_numpy(dtype=float)
            out[r.key] = np.where(den > 0, out[r.numerator].to_numpy(dtype=float) / den, np.nan)
    out["raw_score"] = 100 * sum(rules.weights[r.weight] * out[r.key] for r in weighted_rates(rules.weights))
    return out


def group_order(rules: Rules) -> list[str]:
    """The ranking groups in the order the rules name them (街乡镇, 部门, 企业 by default)."""
    return list(dict.fromkeys(rules.get("ranking.groups").values()))


# --- per-unit tables ---

def score_settings(rules: Rules) -> ScoreSettings:
    """What the scoring statement needs: the registry's rates, the weights of the rules, groups, min_assessed."""
    return ScoreSettings(rates=tuple((r.key, r.numerator, r.denominator) for r in RATES.values()),
                         weights=tuple((r.key, rules.weights[r.weight]) for r in weighted_rates(rules.weights)),
                         groups=tuple(rules.get("ranking.groups").items()),
                         min_assessed=rules.get("ranking.min_assessed"))


def score_frame(engine: Engine, periods: list[Period], rules: Rules, closing: bool = True,
                shown: list[Period] | None = None, changes: list[Period] = ()) -> pd.DataFrame:
    """All the periods' unit tables in one frame with a period column, from one statement
    (data_access.queries.scored_units): counts, rates, scores and ranks. The rows of the periods in `changes` also get
    prev_ and yoy_ score and rank when the frame holds the period compared (else null; so do other rows).
    `shown`: only these periods' rows (the others are still read, for ranks and changes)."""
    distinct = list({p.key: p for p in periods}.values())
    keys, changed = [p.key for p in distinct], {p.key for p in changes}
    compared = {prefix: [other(p).key if p.key in changed and other(p).key in keys else None for p in distinct]
                for prefix, other in COMPARISONS.items()}
    wanted = None if shown is None else tuple(keys.index(p.key) for p in shown)
    frame = scored_units(engine, [(p.start, p.end) for p in distinct], keys,
                         {prefix: tuple(None if k is None else keys.index(k) for k in others)
                          for prefix, others in compared.items()},
                         count_settings(rules), score_settings(rules), needs_closing(rules, closing), wanted)
    frame.insert(0, "period", [keys[i] for i in frame.pop("bucket")])
    if frame.pop("inexact").any():  # a score next to a rounding boundary: round2 decides (see scored_units)
        if shown is not None:  # ranks in Python need every period's rows
            full = score_frame(engine, periods, rules, closing, changes=changes)
            return full[full["period"].isin([p.key for p in shown])].reset_index(drop=True)
        return _ranked_in_python(frame.drop(columns=["rank", "rounded"]), rules, compared, keys)
    rounded = frame.pop("rounded")
    return with_tiers(with_reasons(frame, rules), rounded, rules)


def _ranked_in_python(frame: pd.DataFrame, rules: Rules, compared: dict[str, list], keys: list[str]) -> pd.DataFrame:
    frame = rank_units(frame, rules)
    rank_of = dict(zip(zip(frame["period"], frame["unit_id"]), frame["rank"]))
    for prefix, others in compared.items():
        other = dict(zip(keys, others))
        frame[f"{prefix}rank"] = pd.array([rank_of.get((other[p], u)) for p, u in zip(frame["period"],
                                                                                   frame["unit_id"])], "Int64")
    return frame


def unit_scores(engine: Engine, period: Period, rules: Rules, group: str | None = None) -> pd.DataFrame:
    """SCORE_COLUMNS, one row per unit (with cases or active), sorted by group, rank, unit_code.

    prev_* compare with the previous period of the same kind (环比), yoy_score with the same period a year
    before (同比). Changes are null when either side is; rank_change > 0 means the unit moved up.
    """
    frame = score_frame(engine, period.with_compared(), rules, shown=[period], changes=[period])
    return unit_scores_from(frame, period, rules, group)


def unit_scores_from(frame: pd.DataFrame, period: Period, rules: Rules, group: str | None = None) -> pd.DataFrame:
    """unit_scores from a score_frame that holds the period with its changes (score_frame's `changes`) and, for
    them, its previous and year-ago periods (those of a period the frame lacks are null): for pages that score
    those periods anyway."""
    table = frame[frame["period"] == period.key].reset_index(drop=True)
    table["score_change"] = table["adjusted_score"] - table["prev_score"]
    table["rank_change"] = table["prev_rank"] - table["rank"]
    return sort_scores(of_group(table, group), rules)[SCORE_COLUMNS]


def of_group(table: pd.DataFrame, group: str | None) -> pd.DataFrame:
    """The rows of one ranking group (all rows for None), order kept."""
    return table if group is None else table[table["group"] == group].reset_index(drop=True)


def sort_scores(table: pd.DataFrame, rules: Rules, first: str | None = None) -> pd.DataFrame:
    """By group (in the rules' order), rank (unranked last), unit code; by the column `first` before them."""
    order = {g: i for i, g in enumerate(group_order(rules))}
    keyed = table.assign(_group=table["group"].map(order).fillna(len(order)))
    keys = ([first] if first else []) + ["_group", "rank", "unit_code"]
    return keyed.sort_values(keys, na_position="last").drop(columns="_group").reset_index(drop=True)


# --- district ---

def district_totals(counts: pd.DataFrame, rules: Rules) -> dict:
    """Whole-district counts and rates from the sum of the units' counts (no adjustments at district level)."""
    rated = with_rates(pd.DataFrame([{c: counts[c].sum() for c in COUNT_COLUMNS}]), rules)
    return {k: _plain(rated[k].iloc[0]) for k in DISTRICT_KEYS}


def district_summary(engine: Engine, period: Period, rules: Rules) -> dict:
    """For the KPI cards: DISTRICT_KEYS for the period, and the same with prefix prev_ (环比) and yoy_ (同比).

    Also period, period_label, prev_period, yoy_period (keys). Null values are None.
    """
    compared = period.compared()
    counts = counts_by_period(engine, period.with_compared(), rules, district=True)
    summary = {"period": period.key, "period_label": period.label,
               **{f"{prefix}period": p.key for prefix, p in compared.items()}}
    for prefix, p in (("", period), *compared.items()):
        totals = district_totals(counts[counts["period"] == p.key], rules)
        summary.update({prefix + k: v for k, v in totals.items()})
    return summary


def _plain(value):
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


# --- trends ---

def score_trend(engine: Engine, periods: list[Period], rules: Rules, unit_ids=None,
                closing: bool = False) -> pd.DataFrame:
    """TREND_COLUMNS for each period (in the order given): the district total (unit_name 全区, unit_id and
    rank null, adjusted_score = raw_score), then, when unit_ids are given, those units with their ranks.

    on_time_close_rate is NaN unless closing=True: no trend chart shows 按时办结, and its histogram is the
    largest summary (13 months of it are most of the trend's reading at city scale)."""
    # Ranks need every unit's counts; the district line alone (总览) needs only their sums per period.
    if not unit_ids:
        return trend_from(counts_by_period(engine, periods, rules, closing=closing, district=True), None, periods,
                          rules)
    frame = score_frame(engine, periods, rules, closing)
    return trend_from(frame, frame[frame["unit_id"].isin(list(unit_ids))], periods, rules)


def trend_from(counts: pd.DataFrame, units: pd.DataFrame | None, periods: list[Period], rules: Rules) -> pd.DataFrame:
    """score_trend from counts per period (counts_by_period, or a score_frame: the district line is the sum of
    their COUNT_COLUMNS) and the score_frame rows of the units to show (None: the district line only); both may
    hold more periods than those given."""
    keys = [p.key for p in periods]
    totals = counts.groupby("period")[list(COUNT_COLUMNS)].sum(min_count=1).reindex(keys, fill_value=0)
    district = with_rates(totals.rename_axis("period").reset_index(), rules).assign(
        unit_id=pd.NA, unit_name=DISTRICT_NAME, group=None, rank=pd.NA, unit_code="")
    district["adjusted_score"] = district["raw_score"]
    shown = [c for c in TREND_COLUMNS if c != "period_label"] + ["unit_code"]  # copy only these below
    chosen = district.iloc[0:0] if units is None else units[units["period"].isin(keys)]
    trend = pd.concat([district[shown].astype({"unit_id": "Int64", "rank": "Int64"}),
                       chosen[shown].astype({"unit_id": "Int64"})], ignore_index=True)
    trend["period_label"] = trend["period"].map({p.key: p.label for p in periods})
    order = {key: i for i, key in enumerate(keys)}
    trend = trend.assign(_order=trend["period"].map(order), _unit=trend["unit_id"].notna()).sort_values(
        ["_order", "_unit", "unit_code"], kind="stable")
    return trend[TREND_COLUMNS].reset_index(drop=True)


def trend_of_units(trend: pd.DataFrame, unit_ids) -> pd.DataFrame:
    """The district line and the given units' rows of a trend (from trend_from with more units)."""
    return trend[trend["unit_id"].isna() | trend["unit_id"].isin(list(unit_ids))].reset_index(drop=True)


# --- one page's tables from one reading ---

def scores_and_trend(engine: Engine, period: Period, rules: Rules,
                     trend: list[Period]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """排名: unit_scores of the period (on_time_close_rate null), and score_trend over `trend` with every unit
    (trend_of_units picks the chosen ones), from one statement over all the periods."""
    frame = score_frame(engine, [*period.with_compared(), *trend], rules, closing=False, changes=[period])
    return unit_scores_from(frame, period, rules), trend_from(frame, frame, trend, rules)
