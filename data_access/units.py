"""Handling units (承办单位): lookup by name or code, creation of new ones met at import."""
from sqlalchemy import select
from sqlalchemy.engine import Connection

from data_access.schema import units

UNIT_TYPES = ("街道", "乡镇", "区级部门", "国有企业", "公共服务企业")


def unit_index(conn: Connection) -> dict[str, int]:
    """name → id and code → id, for resolving the 承办单位 column (either form is accepted)."""
    index = {}
    for row in conn.execute(select(units.c.id, units.c.code, units.c.name)):
        index[row.code] = row.id
        index[row.name] = row.id
    return index


def add_unit(conn: Connection, name: str, unit_type: str, code: str | None = None, population: int | None = None,
             lat: float | None = None, lon: float | None = None) -> int:
    if unit_type not in UNIT_TYPES:
        raise ValueError(f"单位类型无效: {unit_type!r}")
    code = code or _next_code(conn)
    result = conn.execute(units.insert().values(code=code, name=name, unit_type=unit_type, population=population,
                                                lat=lat, lon=lon, active=True))
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
