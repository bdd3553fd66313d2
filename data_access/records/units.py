"""Handling units (承办单位): lookup by name, code or former name; creation at import; removal of the units an
undone batch created (the directory's renames and merges are in unit_directory)."""
from sqlalchemy import or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from data_access.records import audit
from data_access.storage.schema import cases, meeting_items, score_adjustments, unit_aliases, units, users

UNIT_TYPES = ("街道", "乡镇", "区级部门", "国有企业", "公共服务企业")
# Agenda items whose ref is a unit id.
UNIT_REF_KINDS = ("unit", "overdue", "repeat")


def unit_index(conn: Connection) -> dict[str, int]:
    """name → id, code → id and former name → id, for resolving the 承办单位 column (any form is accepted;
    a current name or code wins over a former one)."""
    index = dict(conn.execute(select(unit_aliases.c.alias, unit_aliases.c.unit_id)).all())
    for row in conn.execute(select(units.c.id, units.c.code, units.c.name)):
        index[row.code] = row.id
        index[row.name] = row.id
    return index


def add_unit(conn: Connection, name: str, unit_type: str, code: str | None = None, population: int | None = None,
             lat: float | None = None, lon: float | None = None, batch_id: int | None = None,
             street: str | None = None) -> int:
    if unit_type not in UNIT_TYPES:
        raise ValueError(f"单位类型无效: {unit_type!r}")
    code = code or _next_code(conn)
    # Columns of migration 0013 only when given: the migration tests add units to databases at older schemas.
    later = {k: v for k, v in (("created_batch_id", batch_id), ("street", street)) if v is not None}
    result = conn.execute(units.insert().values(code=code, name=name, unit_type=unit_type, population=population,
                                                lat=lat, lon=lon, active=True, **later))
    return result.inserted_primary_key[0]


def _next_code(conn: Connection) -> str:
    """Units created at import get a local code U0001, U0002, … (the platform's code can be set later)."""
    taken = set(conn.execute(select(units.c.code).where(units.c.code.like("U%"))).scalars())
    n = len(taken) + 1
    while f"U{n:04d}" in taken:
        n += 1
    return f"U{n:04d}"


def list_units(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute(select(units).order_by(units.c.code)).mappings()]


def set_population(conn: Connection, unit_id: int, population: int | None) -> None:
    conn.execute(units.update().where(units.c.id == unit_id).values(population=population))


def remove_batch_units(conn: Connection, batch_id: int) -> list[str]:
    """After an undo: the units this batch created that nothing uses any more (no case, 加减分, agenda item or
    user) are removed. Returns their names."""
    created = conn.execute(select(units.c.id, units.c.name).where(units.c.created_batch_id == batch_id)).all()
    removed = []
    for unit_id, name in created:
        if not _in_use(conn, unit_id):
            conn.execute(unit_aliases.delete().where(unit_aliases.c.unit_id == unit_id))
            conn.execute(units.delete().where(units.c.id == unit_id))
            removed.append(name)
    return removed


def _in_use(conn: Connection, unit_id: int) -> bool:
    checks = (select(cases.c.id).where(cases.c.unit_id == unit_id),
              select(score_adjustments.c.id).where(score_adjustments.c.unit_id == unit_id),
              select(meeting_items.c.id).where(or_(meeting_items.c.owner_unit_id == unit_id,
                                                   meeting_items.c.kind.in_(UNIT_REF_KINDS)
                                                   & (meeting_items.c.ref == str(unit_id)))),
              select(users.c.id).where(users.c.unit_id == unit_id))
    return any(conn.execute(q.limit(1)).first() for q in checks)


# --- each change one transaction with its audit record (数据管理 calls these) ---

def create_unit_recorded(engine: Engine, name: str, unit_type: str, code: str | None, population: int | None,
                         user: str = "") -> int:
    name = name.strip()
    if not name:
        raise ValueError("请填写单位名称 (unit name is required)")
    try:
        with engine.begin() as conn:
            unit_id = add_unit(conn, name, unit_type, code=(code or "").strip() or None, population=population)
            audit.record(conn, user, "unit_add", {"id": unit_id, "name": name, "unit_type": unit_type})
    except IntegrityError:
        raise ValueError(f"单位名称或编码已存在：{name} (a unit with this name or code exists)") from None
    return unit_id


def set_populations_recorded(engine: Engine, changes: dict[int, int | None], user: str = "") -> None:
    """unit id → new population (None clears it)."""
    with engine.begin() as conn:
        for unit_id, population in changes.items():
            set_population(conn, unit_id, population)
        audit.record(conn, user, "population", {str(k): v for k, v in changes.items()}, len(changes))
