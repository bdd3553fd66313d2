"""What staff do on the 数据管理 page: import a file, read and download rejected rows, undo a batch, edit units.

Each change runs in one transaction with its audit record (the importer and metrics.adjustments audit their own),
then drops this session's cached results so that every page shows the new data at once.
"""
import pandas as pd
from sqlalchemy.exc import IntegrityError

from data_access.targets import month_targets, set_target
from data_access import audit
from data_access.case_store import undo_batch
from data_access.importer import ImportResult, import_bytes
from data_access.rejects import list_rejects, rejects_csv
from data_access.units import add_unit, set_population
from ui import cache

CRS_LABELS = {"wgs84": "WGS-84（GPS、天地图）", "gcj02": "GCJ-02（高德、腾讯）", "bd09": "BD-09（百度）"}
REJECTS_SHOWN = 200


def run_import(data: bytes, file_name: str, mapping: str, crs: str, user: str, progress=None) -> ImportResult:
    result = import_bytes(cache.engine(), data, file_name, mapping=mapping, crs=crs, user=user, progress=progress)
    cache.clear()
    return result


def import_message(result: ImportResult) -> str:
    if result.duplicate_of is not None:
        return f"文件「{result.file_name}」已由批次 {result.duplicate_of} 按同样方式导入过，本次未做任何改动。"
    text = (f"批次 {result.batch_id}：共 {result.rows} 行，新增 {result.new} 件，更新 {result.updated} 件，"
            f"未变 {result.unchanged} 件，拒收 {result.rejected} 行。")
    if result.new_units:
        text += f" 新建单位：{'、'.join(result.new_units)}。"
    if result.ignored_columns:
        text += f" 未使用的列：{'、'.join(result.ignored_columns)}。"
    return text


def rejects_table(batch_id: int, limit: int = REJECTS_SHOWN) -> pd.DataFrame:
    """The first rejected rows of a batch: row number, reason, then the row's raw values."""
    with cache.engine().connect() as conn:
        rows = list_rejects(conn, batch_id, limit)
    return pd.DataFrame([{"原行号": r["row_number"], "拒收原因": r["reason"], **r["raw"]} for r in rows])


def rejects_file(batch_id: int, user: str) -> bytes:
    """All rejected rows of a batch as a CSV to correct and import again (an audited export)."""
    with cache.engine().begin() as conn:
        rows = list_rejects(conn, batch_id)
        audit.record(conn, user, "export", {"file": f"拒收行_批次{batch_id}.csv", "batch": batch_id}, len(rows))
    return rejects_csv(rows)


def undo(batch_id: int, user: str) -> int:
    """Undo a batch (raises case_store.UndoRefused with a Chinese reason); returns the cases reverted."""
    with cache.engine().begin() as conn:
        reverted = undo_batch(conn, batch_id)
        audit.record(conn, user, "undo", {"batch": batch_id}, reverted)
    cache.clear()
    return reverted


def save_populations(changes: dict[int, int | None], user: str) -> None:
    """unit id → new population (None clears it)."""
    with cache.engine().begin() as conn:
        for unit_id, population in changes.items():
            set_population(conn, unit_id, population)
        audit.record(conn, user, "population", {str(k): v for k, v in changes.items()}, len(changes))
    cache.clear()


def new_unit(name: str, unit_type: str, code: str | None, population: int | None, user: str) -> int:
    name = name.strip()
    if not name:
        raise ValueError("请填写单位名称 (unit name is required)")
    try:
        with cache.engine().begin() as conn:
            unit_id = add_unit(conn, name, unit_type, code=(code or "").strip() or None, population=population)
            audit.record(conn, user, "unit_add", {"id": unit_id, "name": name, "unit_type": unit_type})
    except IntegrityError:
        raise ValueError(f"单位名称或编码已存在：{name} (a unit with this name or code exists)") from None
    cache.clear()
    return unit_id


def population_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[int, int | None]:
    """Rows of the units editor whose population changed: unit id → new value (None when cleared)."""
    old = before.set_index("id")["population"]
    new = after.set_index("id")["population"]
    changed = [i for i in new.index if not (pd.isna(old[i]) and pd.isna(new[i])) and old[i] != new[i]]
    return {int(i): None if pd.isna(new[i]) else int(new[i]) for i in changed}


def unit_targets(month_key: str) -> dict[int, float]:
    """The units' own targets for a month (read fresh: staff edit them here)."""
    with cache.engine().connect() as conn:
        return month_targets(conn, month_key)


def save_targets(month_key: str, changes: dict[int, float | None], user: str) -> None:
    """unit id → the month's target score (None: back to the rules' default); each change audited."""
    with cache.engine().begin() as conn:
        for unit_id, score in changes.items():
            set_target(conn, unit_id, month_key, score, user)
    cache.clear()
