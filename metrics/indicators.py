"""Other indicators (METRICS.md §7): 万人诉求比, 重复诉求, 高频诉求人, category mix with 环比, 每月一题 trend.

(首办双肯率 and 按时办结率 come with the unit scores, metrics.scores.)

- per_10k counts cases by the `street` field (where the problem is), not by handling unit, against the
  population of the unit of that name; a period longer or shorter than a month is scaled to a monthly average.
- a repeat is defined in data_access.queries.case_queries (same caller, same cat_l2, earlier case within
  rules.repeat.window_days); repeat rate = repeats / volume, per handling unit.
- frequent callers count their cases within the filter (one unit's cases when a unit is given); only the
  masked phone leaves this module.
"""
from dataclasses import replace

import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries import drill_queries
from data_access.queries.case_queries import CaseFilter
from data_access.records.units import list_units
from metrics.periods import Period
from metrics.rules import Rules

# The unit types that are streets / townships (DATA_FORMAT.md §1): their population makes 万人诉求比.
STREET_TYPES = ("街道", "乡镇")
TOP_CATEGORIES = 3
PER_10K_COLUMNS = ["street", "volume", "population", "per_10k"]
REPEAT_COLUMNS = ["unit_id", "unit_code", "unit_name", "volume", "repeats", "repeat_rate"]
CALLER_COLUMNS = ["caller_masked", "cases", "top_categories", "first_received_at", "last_received_at"]
TAG_COLUMNS = ["period", "period_label", "tag", "volume"]


def _scope(unit_id: int | None):
    return None if unit_id is None else (unit_id,)


def per_10k(engine: Engine, period: Period, rules: Rules | None = None) -> pd.DataFrame:
    """PER_10K_COLUMNS per street (streets with cases, and every street / township unit), highest first.
    per_10k is null for a street without population."""
    f = CaseFilter(unit_ids=None, start=period.start, end=period.end, basis=rules.basis if rules else "r")
    with engine.connect() as conn:
        volumes = {street: n for street, n in drill_queries.volumes_by(conn, f, "street") if street}
        known = list_units(conn)
    population = {u["name"]: u["population"] for u in known if u["population"] is not None}
    streets = [u["name"] for u in known if u["unit_type"] in STREET_TYPES]
    names = sorted(set(volumes) | set(streets))
    frame = pd.DataFrame({"street": names, "volume": [int(volumes.get(s, 0)) for s in names],
                          "population": pd.array([population.get(s) for s in names], dtype="Int64")})
    per_month = frame["volume"] / period.months()
    frame["per_10k"] = (per_month / frame["population"].astype(float) * 10_000).where(frame["population"] > 0)
    frame["per_10k"] = frame["per_10k"].astype(float)
    return frame.sort_values(["per_10k", "street"], ascending=[False, True], na_position="last",
                             ignore_index=True)[PER_10K_COLUMNS]


def repeats(engine: Engine, period: Period, rules: Rules, unit_id: int | None = None) -> pd.DataFrame:
    """REPEAT_COLUMNS per handling unit with cases in the period, highest repeat rate first."""
    f = CaseFilter.of(period, rules, unit_ids=_scope(unit_id), repeat=True)
    with engine.connect() as conn:
        # Volumes from the category summary (one table, not the score counts with their histograms).
        counts = pd.DataFrame(drill_queries.volumes_by(conn, replace(f, repeat=False), "unit_id"),
                              columns=["unit_id", "volume"])
        found = dict(drill_queries.volumes_by(conn, f, "unit_id"))
        names = pd.DataFrame(list_units(conn))
    frame = counts.merge(names.rename(columns={"id": "unit_id", "code": "unit_code", "name": "unit_name"}),
                         on="unit_id")
    frame["repeats"] = frame["unit_id"].map(found).fillna(0).astype(int)
    frame["repeat_rate"] = (frame["repeats"] / frame["volume"]).where(frame["volume"] > 0).astype(float)
    return frame.sort_values(["repeat_rate", "unit_code"], ascending=[False, True], na_position="last",
                             ignore_index=True)[REPEAT_COLUMNS]


def frequent_callers(engine: Engine, period: Period, rules: Rules, unit_id: int | None = None) -> pd.DataFrame:
    """CALLER_COLUMNS for callers with ≥ rules.repeat.frequent_caller_min cases, most cases first."""
    f = CaseFilter.of(period, rules, unit_ids=_scope(unit_id))
    with engine.connect() as conn:
        callers = drill_queries.frequent_caller_rows(conn, f, rules.get("repeat.frequent_caller_min"))
        keys = [c.caller_key for c in callers]
        categories = drill_queries.caller_categories(conn, f, keys) if keys else []
    top = pd.DataFrame(categories, columns=["caller_key", "cat_l1", "n"]).sort_values(
        ["caller_key", "n", "cat_l1"], ascending=[True, False, True]).groupby("caller_key").head(TOP_CATEGORIES)
    named = top.groupby("caller_key")["cat_l1"].agg("、".join)
    frame = pd.DataFrame(callers, columns=["caller_key", *CALLER_COLUMNS[:2], *CALLER_COLUMNS[3:]])
    frame["top_categories"] = frame["caller_key"].map(named)
    frame["cases"] = frame["cases"].astype(int)
    return frame.sort_values(["cases", "last_received_at"], ascending=False, ignore_index=True)[CALLER_COLUMNS]


def category_mix(engine: Engine, period: Period, filters: CaseFilter | None = None,
                 by: str = "cat_l1") -> pd.DataFrame:
    """Columns <by>, volume, prev_volume, change, share: cases per category in the period and the previous one,
    under a filter's unit scope, street, category and flags (its days are replaced by the two periods).
    change is null for a category new this period; share is of this period's volume. Largest first, then by
    name."""
    filters = filters or CaseFilter(unit_ids=None)
    previous = period.previous()
    with engine.connect() as conn:
        now = dict(drill_queries.volumes_by(conn, _days(filters, period), by))
        before = dict(drill_queries.volumes_by(conn, _days(filters, previous), by))
    names = sorted(set(now) | set(before), key=lambda v: (v is None, v or ""))
    frame = pd.DataFrame({by: names, "volume": [int(now.get(v, 0)) for v in names],
                          "prev_volume": [int(before.get(v, 0)) for v in names]})
    frame["change"] = (frame["volume"] - frame["prev_volume"]).where(frame["prev_volume"] > 0).astype(float)
    total = frame["volume"].sum()
    frame["share"] = frame["volume"] / total if total else float("nan")
    return frame.sort_values("volume", ascending=False, kind="stable", ignore_index=True)


def _days(f: CaseFilter, period: Period) -> CaseFilter:
    return replace(f, start=period.start, end=period.end)


def tag_trend(engine: Engine, periods: list[Period], tag: str = "每月一题", rules: Rules | None = None) -> pd.DataFrame:
    """TAG_COLUMNS: cases carrying the tag in each period (oldest first as given); empty when there are none."""
    if not periods:
        return pd.DataFrame(columns=TAG_COLUMNS)
    f = CaseFilter(unit_ids=None, basis=rules.basis if rules else "r", tag=tag)
    with engine.connect() as conn:
        counts = drill_queries.period_volumes(conn, f, [(p.start, p.end) for p in periods])
    volume = {p.key: n for p, n in zip(periods, counts)}
    if not any(volume.values()):
        return pd.DataFrame(columns=TAG_COLUMNS)
    return pd.DataFrame([{"period": p.key, "period_label": p.label, "tag": tag, "volume": volume[p.key]}
                         for p in periods], columns=TAG_COLUMNS)
