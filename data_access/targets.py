"""Units' own monthly targets (综合成绩) over the rules' default; every change is audited."""
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from data_access import audit
from data_access.schema import unit_targets


class TargetError(ValueError):
    """A target that cannot be stored (Chinese, then English)."""


def month_targets(conn: Connection, month_key: str) -> dict[int, float]:
    """unit_id → target score for the month (units without one take the rules' default)."""
    t = unit_targets
    return dict(conn.execute(select(t.c.unit_id, t.c.score).where(t.c.period == month_key)).all())


def set_target(conn: Connection, unit_id: int, month_key: str, score: float | None, user: str) -> None:
    """Set (or, with None, remove) a unit's target for a month."""
    if score is not None and not 0 <= score <= 100:
        raise TargetError(f"目标成绩应在 0 到 100 之间，而不是 {score} (the target must be 0..100)")
    t = unit_targets
    conn.execute(delete(t).where(t.c.unit_id == unit_id, t.c.period == month_key))
    if score is not None:
        conn.execute(t.insert().values(unit_id=unit_id, period=month_key, score=float(score), set_by=user or "",
                                       set_at=datetime.now().replace(microsecond=0)))
    audit.record(conn, user, "target", {"unit_id": unit_id, "period": month_key, "score": score})
