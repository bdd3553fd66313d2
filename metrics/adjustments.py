"""Score adjustments (加减分, METRICS.md §3): entered per unit and period, added to the raw score.

An adjustment counts only for the exact period key it was entered for: points entered for 2025-03 change the
March score, not the 2025-B2 bi-month or the 2025-Q1 quarter (a bi-monthly adjustment is entered as 2025-B2).
"""
import math

import pandas as pd
from sqlalchemy.engine import Engine

from data_access.records.adjustments import adjustment_rows, adjustment_totals, store_adjustment
from metrics.periods import parse_period

LIST_COLUMNS = ["id", "period", "unit_id", "unit_code", "unit_name", "points", "reason", "created_by", "created_at"]


class AdjustmentError(ValueError):
    """An adjustment that cannot be stored; the message names the field (Chinese, then English)."""


def add_adjustment(engine: Engine, unit_id: int, period_key: str, points: float, reason: str, user: str = "") -> int:
    """Store one adjustment (and an audit record); returns its id. The period key is normalised (parse_period)."""
    key = parse_period(period_key).key
    if not isinstance(points, (int, float)) or not math.isfinite(points) or points == 0:
        raise AdjustmentError(f"加减分分值必须是非零数字，而不是 {points!r} (points must be a non-zero number)")
    reason = (reason or "").strip()
    if not reason:
        raise AdjustmentError("加减分必须填写原因 (reason is required)")
    new_id = store_adjustment(engine, unit_id, key, float(points), reason, user)
    if new_id is None:
        raise AdjustmentError(f"单位序号 {unit_id} 不存在 (unit_id {unit_id} not found)")
    return new_id


def list_adjustments(engine: Engine, period_key: str) -> pd.DataFrame:
    """The adjustments of one period key, oldest first, with unit code and name."""
    with engine.connect() as conn:
        rows = adjustment_rows(conn, parse_period(period_key).key)
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def adjustment_sums(engine: Engine, period_keys: list[str]) -> dict[tuple[str, int], float]:
    """(period key, unit_id) → Σ points."""
    if not period_keys:
        return {}
    with engine.connect() as conn:
        return {(key, unit): total for key, unit, total in adjustment_totals(conn, list(period_keys))}
