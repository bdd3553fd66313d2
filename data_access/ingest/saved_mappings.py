"""Column mappings saved by name in the database (DATA_FORMAT.md §1b): made in the browser or imported from a
TOML file, exported as TOML, audited. A name is looked up among the shipped and data/mappings/ files first,
then here, then taken as a path."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.column_mappings import (
    CANONICAL, Mapping, list_mappings, load_mapping, mapping_file, mapping_from_toml,
)
from data_access.storage.schema import saved_mappings

NAME_CHARS = saved_mappings.c.name.type.length


def save_mapping(conn: Connection, name: str, toml_text: str, user: str = "") -> Mapping:
    """Check the TOML as the loader reads it, then store it under the name (replacing a saved one of that name).
    A shipped or file mapping's name is refused: it would never be found here."""
    name = (name or "").strip()
    if not name or len(name) > NAME_CHARS or "/" in name or "\\" in name:
        raise ImportRefused(f"列映射名称应为 1–{NAME_CHARS} 个字符且不含斜杠 "
                            f"(a mapping name has 1–{NAME_CHARS} characters and no slash)")
    if name == CANONICAL or mapping_file(name):
        raise ImportRefused(f"「{name}」是系统自带或服务器上的列映射名称，请换一个名称 "
                            f"({name!r} is a shipped or file mapping: choose another name)")
    mapping = mapping_from_toml(name, toml_text)
    now = datetime.now().replace(microsecond=0)
    exists = conn.execute(select(saved_mappings.c.id).where(saved_mappings.c.name == name)).scalar()
    if exists is None:
        conn.execute(saved_mappings.insert().values(name=name, content=toml_text, created_by=user or "",
                                                    created_at=now))
    else:
        conn.execute(saved_mappings.update().where(saved_mappings.c.id == exists)
                     .values(content=toml_text, created_by=user or "", created_at=now))
    audit.record(conn, user, "mapping_save", {"name": name, "replaced": exists is not None, "label": mapping.label})
    return mapping


def saved_toml(conn: Connection, name: str) -> str | None:
    return conn.execute(select(saved_mappings.c.content).where(saved_mappings.c.name == name)).scalar()


def list_saved(conn: Connection) -> list[dict]:
    rows = conn.execute(select(saved_mappings.c.name, saved_mappings.c.created_by, saved_mappings.c.created_at)
                        .order_by(saved_mappings.c.name)).mappings()
    return [dict(r) for r in rows]


def all_mappings(conn: Connection) -> list[tuple[str, str]]:
    """(name, label) of every mapping on offer: canonical, shipped, data/mappings/, then the saved ones."""
    found = list_mappings()
    names = {n for n, _ in found}
    for row in list_saved(conn):
        if row["name"] not in names:
            found.append((row["name"], resolve_mapping(conn, row["name"]).label))
    return found


def resolve_mapping(conn: Connection, name_or_path: str | None) -> Mapping:
    """A mapping by name (shipped, data/mappings/, saved here) or by the path of its TOML file."""
    if name_or_path and name_or_path != CANONICAL and mapping_file(name_or_path) is None:
        text = saved_toml(conn, name_or_path)
        if text is not None:
            return mapping_from_toml(name_or_path, text)
        names = [n for n, _ in list_mappings()] + [r["name"] for r in list_saved(conn)]
        raise ImportRefused(f"找不到列映射「{name_or_path}」，可用: {', '.join(names)} "
                            f"(no column mapping named {name_or_path!r})")
    return load_mapping(name_or_path)


def mapping_toml(conn: Connection, name: str, user: str = "") -> str:
    """The TOML of a saved or file mapping, to keep or move to another server (an audited export)."""
    text = saved_toml(conn, name)
    if text is None:
        path = mapping_file(name)
        if path is None or name == CANONICAL:
            raise ImportRefused(f"找不到列映射「{name}」 (no column mapping named {name!r})")
        text = path.read_text(encoding="utf-8")
    audit.record(conn, user, "export", {"mapping": name})
    return text


def export_mapping_recorded(engine: Engine, name: str, user: str = "") -> str:
    """mapping_toml in a transaction of its own (its audit record with it)."""
    with engine.begin() as conn:
        return mapping_toml(conn, name, user)


def save_mapping_recorded(engine: Engine, name: str, toml_text: str, user: str = "") -> Mapping:
    """save_mapping in a transaction of its own (its audit record with it)."""
    with engine.begin() as conn:
        return save_mapping(conn, name, toml_text, user)
