"""Base counts per unit and period (METRICS.md §2, §7), read from the summary tables or the case table."""
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.measures import RATED, TIMED
from data_access.score_queries import COUNT_COLUMNS, CountSettings, unit_counts
from metrics.periods import Period
from metrics.rules import Rules


def count_settings(rules: Rules) -> CountSettings:
    return CountSettings(basis=rules.basis, limits={t.limits: rules[t.limits] for t in TIMED},
                         credits={r.credits: rules[r.credits] for r in RATED})


def base_counts(engine: Engine, period: Period, rules: Rules, source: str = "summary") -> pd.DataFrame:
    """One row per unit with cases in the period: unit_id and COUNT_COLUMNS."""
    counts = counts_by_period(engine, [period], rules, source)
    return counts.drop(columns="period").reset_index(drop=True)


def counts_by_period(engine: Engine, periods: list[Period], rules: Rules, source: str = "summary",
                     closing: bool = True, district: bool = False) -> pd.DataFrame:
    """Columns period (key), unit_id and COUNT_COLUMNS for each distinct period given.

    Periods that overlap (a year and its 同比 year, long date ranges) are counted in separate queries;
    the usual sets (13 months; a period, its previous one and its year-ago one) take one.
    closing=False leaves on_time_close NaN, for callers that only need scores and ranks (faster).
    district=True is for callers that only add the units up: the rows are then not one per unit (whole months
    come as one row, unit_id 0, from the district month tables), but their sums per period are the same.
    """
    distinct = list({p.key: p for p in periods}.values())
    closing = closing or rules.weights.get("on_time_close", 0) > 0  # a score weighing 按时办结 needs it
    frames = []
    for batch in _disjoint_batches(distinct):
        counts = unit_counts(engine, [(p.start, p.end) for p in batch], count_settings(rules), source, closing,
                             district)
        counts.insert(0, "period", [batch[i].key for i in counts.pop("bucket")])
        frames.append(counts)
    columns = ["period", "unit_id", *COUNT_COLUMNS]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def _disjoint_batches(periods: list[Period]) -> list[list[Period]]:
    batches: list[list[Period]] = []
    for p in periods:
        home = next((b for b in batches if all(p.end <= q.start or q.end <= p.start for q in b)), None)
        if home is None:
            batches.append([p])
        else:
            home.append(p)
    return batches
