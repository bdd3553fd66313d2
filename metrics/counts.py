"""Base counts per unit and period (METRICS.md §2, §7), read from the summary tables or the case table."""
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.storage.measures import CLOSE, RATED, TIMED
from data_access.queries.score_queries import COUNT_COLUMNS, CountSettings, unit_counts
from metrics.periods import Period
from metrics.registry import weighted_rates
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
    """Columns period (key), unit_id and COUNT_COLUMNS for each distinct period given, in one query (periods may
    overlap: a year and its 同比 year, long date ranges).
    closing=False leaves on_time_close NaN, for callers that only need scores and ranks (faster).
    district=True is for callers that only add the units up: the rows are then not one per unit (whole months
    come as one row, unit_id 0, from the district month tables), but their sums per period are the same.
    """
    distinct = list({p.key: p for p in periods}.values())
    columns = ["period", "unit_id", *COUNT_COLUMNS]
    if not distinct:
        return pd.DataFrame(columns=columns)
    counts = unit_counts(engine, [(p.start, p.end) for p in distinct], count_settings(rules), source,
                         needs_closing(rules, closing), district)
    counts.insert(0, "period", [distinct[i].key for i in counts.pop("bucket")])
    return counts[columns]


def needs_closing(rules: Rules, closing: bool) -> bool:
    """Whether on_time_close must be counted: when asked, or when the score weighs 按时办结."""
    return closing or any(r.numerator == CLOSE for r in weighted_rates(rules.weights))
