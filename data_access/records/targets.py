"""Units' own monthly targets — 综合成绩, 解决率, 满意率 — over the rules' defaults; every change is audited.

A row holds the targets one unit has for one month; a column left empty takes the rules' default
(targets.score / targets.resolution / targets.satisfaction). Rates are fractions (0.9 = 90 %).
"""
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.storage.schema import unit_targets

# target → the largest value it can take (a score out of 100, a rate out of 1)
TARGETS = {"score": 100.0, "resolution": 1.0, "satisfaction": 1.0}
TARGET_NAMES = {"score": "目标成绩", "resolution": "目标解决率", "satisfaction": "目标满意率"}


class TargetError(ValueError):
    """A target that cannot be stored (Chinese, then English)."""


def month_targets(conn: Connection, month_key: str) -> dict[int, dict[str, float]]:
    """unit_id → {target: value} for the month, only the targets the unit has (others take the rules' default)."""
    t = unit_targets
    rows = conn.execute(select(t.c.unit_id, *[t.c[k] for k in TARGETS]).where(t.c.period == month_key)).all()
    return {r.unit_id: {k: float(r._mapping[k]) for k in TARGETS if r._mapping[k] is not None} for r in rows}


def set_target(conn: Connection, unit_id: int, month_key: str, values: dict[str, float | None], user: str) -> None:
    """Set a unit's targets for a month: {target: value, or None to go back to the rules' default}; targets not
    named keep what they had."""
    for name, value in values.items():
        if name not in TARGETS:
            raise TargetError(f"未知的目标 {name!r} (unknown target)")
        if value is not None and not 0 <= value <= TARGETS[name]:
            raise TargetError(f"{TARGET_NAMES[name]}应在 0 到 {TARGETS[name]:g} 之间，而不是 {value} "
                              f"(the {name} target must be 0..{TARGETS[name]:g})")
    t = unit_targets
    old = month_targets(conn, month_key).get(unit_id, {})
    new = {**old, **{k: v for k, v in values.items()}}
    new = {k: float(v) for k, v in new.items() if v is not None}
    conn.execute(delete(t).where(t.c.unit_id == unit_id, t.c.period == month_key))
    if new:
        conn.execute(t.insert().values(unit_id=unit_id, period=month_key, **new, set_by=user or "",
                                       set_at=datetime.now().replace(microsecond=0)))
    audit.record(conn, user, "target", {"unit_id": unit_id, "period": month_key, **values})


def set_targets_recorded(engine: Engine, month_key: str, changes: dict[int, dict[str, float | None]],
                         user: str = "") -> None:
    """unit id → the month's targets to change (None: back to the rules' default); each change audited."""
    with engine.begin() as conn:
        for unit_id, values in changes.items():
            set_target(conn, unit_id, month_key, values, user)
