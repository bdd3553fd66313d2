"""The unit directory (数据管理 and `cli.py units`): rename a unit (display names for codes), merge two units,
and a units CSV `code,name,unit_type,street,population` to import and export. Every change runs on the caller's
connection, in its transaction; callers audit."""
import csv
import io
from collections import Counter

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection, Engine

from data_access.ingest.case_store import repoint_previous_unit
from data_access.ingest.summaries import refresh_stats
from data_access.queries.export_cells import csv_rows
from data_access.records import audit
from data_access.storage.schema import STAT_TABLES, cases, meeting_items, score_adjustments, unit_aliases, units, users
from data_access.records.units import UNIT_REF_KINDS, UNIT_TYPES, add_unit, list_units

CSV_COLUMNS = ("code", "name", "unit_type", "street", "population")


class UnitError(ValueError):
    """A directory change that cannot be made; the message is Chinese with English in brackets."""


def rename_unit(conn: Connection, unit_id: int, name: str) -> str:
    """Give a unit a new (display) name; the old one stays an alias, so files that use it still import here.
    Returns the old name."""
    name = _checked_name(name)
    old = conn.execute(select(units.c.name).where(units.c.id == unit_id)).scalar()
    if old is None:
        raise UnitError(f"单位 {unit_id} 不存在 (unit {unit_id} does not exist)")
    if name == old:
        return old
    _refuse_taken(conn, name, unit_id)
    conn.execute(unit_aliases.delete().where(unit_aliases.c.alias == name))
    conn.execute(units.update().where(units.c.id == unit_id).values(name=name))
    _add_alias(conn, old, unit_id)
    return old


def merge_units(conn: Connection, source_id: int, target_id: int) -> dict:
    """Merge a unit into another: its cases, 加减分, agenda items, users and former names move to the target, the
    summaries of both are recomputed (so score history and awards read the merged unit), and the source goes.
    Returns {"source": name, "target": name, "cases": moved}."""
    if source_id == target_id:
        raise UnitError("不能把单位合并到它自己 (cannot merge a unit into itself)")
    found = {r.id: r for r in conn.execute(select(units).where(units.c.id.in_([source_id, target_id])))}
    if len(found) != 2:
        raise UnitError("要合并的单位不存在 (a unit to merge does not exist)")
    source, target = found[source_id], found[target_id]
    days = {basis: conn.execute(select(col).distinct().where(cases.c.unit_id == source_id, col.is_not(None))
                                ).scalars().all()
            for basis, col in (("r", cases.c.received_day), ("c", cases.c.basis_cb_day))}
    moved = conn.execute(cases.update().where(cases.c.unit_id == source_id).values(unit_id=target_id)).rowcount
    repoint_previous_unit(conn, source_id, target_id)
    conn.execute(score_adjustments.update().where(score_adjustments.c.unit_id == source_id)
                 .values(unit_id=target_id))
    conn.execute(meeting_items.update().where(meeting_items.c.owner_unit_id == source_id)
                 .values(owner_unit_id=target_id))
    conn.execute(meeting_items.update().where(meeting_items.c.kind.in_(UNIT_REF_KINDS),
                                              meeting_items.c.ref == str(source_id)).values(ref=str(target_id)))
    conn.execute(users.update().where(users.c.unit_id == source_id).values(unit_id=target_id))
    conn.execute(unit_aliases.update().where(unit_aliases.c.unit_id == source_id).values(unit_id=target_id))
    for table in STAT_TABLES:
        if "unit_id" in table.c:
            conn.execute(table.delete().where(table.c.unit_id == source_id))
    conn.execute(units.delete().where(units.c.id == source_id))
    for alias in (source.name, source.code):
        _add_alias(conn, alias, target_id)
    _refresh_unit(conn, target_id, days)
    return {"source": source.name, "target": target.name, "cases": moved}


def _refresh_unit(conn: Connection, unit_id: int, days: dict) -> None:
    """The unit's summaries on the days (basis -> the moved cases' days) recomputed."""
    refresh_stats(conn, {basis: {(unit_id, d) for d in found} for basis, found in days.items()})


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UnitError("单位名称不能为空 (the unit name is empty)")
    limit = units.c.name.type.length
    if len(name) > limit:
        raise UnitError(f"单位名称超过 {limit} 个字符 (the unit name is longer than {limit} characters)")
    return name


def _refuse_taken(conn: Connection, name: str, unit_id: int) -> None:
    other = conn.execute(select(units.c.id).where(or_(units.c.name == name, units.c.code == name),
                                                  units.c.id != unit_id)).scalar()
    if other is not None:
        raise UnitError(f"已有单位使用名称或编码「{name}」，如是同一单位请合并 "
                        f"(another unit is named or coded {name!r}: merge them if they are one)")


def _add_alias(conn: Connection, alias: str, unit_id: int) -> None:
    taken = conn.execute(select(units.c.id).where(or_(units.c.name == alias, units.c.code == alias))).first()
    if alias and not taken:
        conn.execute(unit_aliases.delete().where(unit_aliases.c.alias == alias))
        conn.execute(unit_aliases.insert().values(alias=alias, unit_id=unit_id))


# --- the units CSV: code,name,unit_type,street,population ---

def units_csv(conn: Connection) -> bytes:
    """Through the one writer of export cells: a unit name taken from an imported file is never a live formula."""
    out = io.StringIO()
    csv_rows(out, CSV_COLUMNS, ([unit[c] for c in CSV_COLUMNS] for unit in list_units(conn)), lineterminator="\n")
    return out.getvalue().encode("utf-8-sig")   # the BOM makes Excel read it as UTF-8


def import_units_csv(conn: Connection, text: str) -> dict:
    """Create or update units from the CSV: a row whose code is known updates that unit (its name becomes the
    display name, the old one an alias); a row whose name is known sets that unit's code; others are created.
    Any bad row refuses the whole file (UnitError listing the rows). Returns {"created": n, "updated": n}."""
    rows = _csv_rows(text)
    by_code = {r.code: r for r in conn.execute(select(units))}
    by_name = {r.name: r for r in by_code.values()}
    counts = Counter()
    for row in rows:
        known = by_code.get(row["code"]) if row["code"] else None
        known = known or by_name.get(row["name"])
        if known is None:
            add_unit(conn, row["name"], row["unit_type"], code=row["code"] or None, population=row["population"],
                     street=row["street"])
            counts["created"] += 1
            continue
        rename_unit(conn, known.id, row["name"])
        values = {k: row[k] for k in ("unit_type", "street", "population")}
        if row["code"] and row["code"] != known.code:
            _refuse_taken(conn, row["code"], known.id)
            values["code"] = row["code"]
            _add_alias(conn, known.code, known.id)
        conn.execute(units.update().where(units.c.id == known.id).values(**values))
        counts["updated"] += 1
    return {"created": counts["created"], "updated": counts["updated"]}


def _csv_rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    if not {"code", "name", "unit_type"} <= set(header):
        raise UnitError(f"单位文件的表头应为 {','.join(CSV_COLUMNS)}，实际为 {','.join(reader.fieldnames or [])} "
                        f"(the units CSV needs the columns {','.join(CSV_COLUMNS)})")
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().casefold(): (v or "").strip() for k, v in raw.items() if k}
        problem = _csv_problem(row)
        if problem:
            problems.append(f"第 {number} 行: {problem}")
            continue
        rows.append({"code": row["code"], "name": row["name"], "unit_type": row["unit_type"],
                     "street": row.get("street") or None,
                     "population": int(row["population"]) if row.get("population") else None})
    if problems:
        raise UnitError(f"单位文件有 {len(problems)} 行有误，未做任何改动 (rows with errors, nothing changed): "
                        + "；".join(problems[:10]))
    return rows


def _csv_problem(row: dict) -> str:
    if not row.get("name"):
        return "缺少名称 (name is empty)"
    if len(row["name"]) > units.c.name.type.length or len(row.get("code", "")) > units.c.code.type.length:
        return "名称或编码过长 (name or code too long)"
    if row.get("unit_type") not in UNIT_TYPES:
        return f"单位类型应为 {' / '.join(UNIT_TYPES)} 之一 (unit_type must be one of the five types)"
    if row.get("population") and not row["population"].isdecimal():
        return "人口应为整数 (population must be a whole number)"
    if len(row.get("street") or "") > units.c.street.type.length:
        return "街道名称过长 (street too long)"
    return ""


# --- each change one transaction with its audit record (数据管理 and the command line call these) ---

def rename_recorded(engine: Engine, unit_id: int, name: str, user: str = "") -> str:
    """Raises UnitError with the reason; returns the old name."""
    with engine.begin() as conn:
        old = rename_unit(conn, unit_id, name)
        audit.record(conn, user, "unit_rename", {"id": unit_id, "from": old, "to": name.strip()})
    return old


def merge_recorded(engine: Engine, source_id: int, target_id: int, user: str = "") -> dict:
    with engine.begin() as conn:
        merged = merge_units(conn, source_id, target_id)
        audit.record(conn, user, "unit_merge", merged, merged["cases"])
    return merged


def import_units_recorded(engine: Engine, text: str, file_name: str, user: str = "") -> dict:
    with engine.begin() as conn:
        counts = import_units_csv(conn, text)
        audit.record(conn, user, "units_import", {"file": file_name, **counts}, counts["created"] + counts["updated"])
    return counts


def export_units_recorded(engine: Engine, file_name: str, user: str = "") -> bytes:
    """The units CSV; the export is audited (as every download of the app's data is)."""
    return audit.with_record(engine, user, "export", {"file": file_name, "units": True}, units_csv)
