"""Score adjustments (加减分): points with a reason, per unit and period key, entered by center staff."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.storage.schema import score_adjustments, units


def insert_adjustment(conn: Connection, unit_id: int, period_key: str, points: float, reason: str,
                      user: str = "") -> int:
    result = conn.execute(score_adjustments.insert().values(
        unit_id=unit_id, period=period_key, points=points, reason=reason, created_by=user or "",
        created_at=datetime.now().replace(microsecond=0)))
    return result.inserted_primary_key[0]


def store_adjustment(engine: Engine, unit_id: int, period_key: str, points: float, reason: str,
                     user: str = "") -> int | None:
    """One adjustment and its audit record in one transaction; its id, or None when the unit does not exist."""
    with engine.begin() as conn:
        if not unit_known(conn, unit_id):
            return None
        new_id = insert_adjustment(conn, unit_id, period_key, points, reason, user)
        audit.record(conn, user, "adjustment", {"id": new_id, "unit_id": unit_id, "period": period_key,
                                                "points": points, "reason": reason})
    return new_id


def unit_known(conn: Connection, unit_id: int) -> bool:
    return conn.execute(select(units.c.id).where(units.c.id == unit_id)).first() is not None


def adjustment_rows(conn: Connection, period_key: str) -> list[dict]:
    """Every adjustment of one period key, with the unit's code and name, oldest first."""
    query = (select(score_adjustments.c.id, score_adjustments.c.period, score_adjustments.c.unit_id,
                    units.c.code.label("unit_code"), units.c.name.label("unit_name"), score_adjustments.c.points,
                    score_adjustments.c.reason, score_adjustments.c.created_by, score_adjustments.c.created_at)
             .join(units, units.c.id == score_adjustments.c.unit_id)
             .where(score_adjustments.c.period == period_key)
             .order_by(score_adjustments.c.created_at, score_adjustments.c.id))
    return [dict(r) for r in conn.execute(query).mappings()]


def adjustment_totals(conn: Connection, period_keys: list[str]) -> list[tuple[str, int, float]]:
    """(period key, unit_id, Σ points) for the given period keys."""
    query = (select(score_adjustments.c.period, score_adjustments.c.unit_id, func.sum(score_adjustments.c.points))
             .where(score_adjustments.c.period.in_(period_keys))
             .group_by(score_adjustments.c.period, score_adjustments.c.unit_id))
    return [(p, u, float(total)) for p, u, total in conn.execute(query)]
