"""What staff do on the 数据管理 page: import a file, read and download rejected rows, undo a batch, edit units.

Each change is one transaction with its audit record, held by the data_access function that makes it (`…_recorded`;
the importer audits its own); here it is called and this session's cached results are dropped, so that every page
shows the new data at once.
"""
import pandas as pd

from data_access.ingest.batches import batch_warnings
from data_access.ingest.case_store import undo_recorded
from data_access.ingest.column_mappings import Mapping
from data_access.ingest.file_reader import decode, sources_from_uploads
from data_access.ingest.import_limits import limits_from_env
from data_access.ingest.import_preview import Preview, preview_import
from data_access.ingest.importer import ImportResult, import_uploads, note_lines
from data_access.ingest.mapping_suggest import Suggestion, suggest_file
from data_access.ingest.rejects import export_rejects_recorded, list_rejects, rejects_csv
from data_access.ingest.saved_mappings import all_mappings, resolve_mapping, save_mapping_recorded
from data_access.records.targets import month_targets, set_targets_recorded
from data_access.records.unit_directory import (
    export_units_recorded, import_units_recorded, merge_recorded, rename_recorded,
)
from data_access.records.units import create_unit_recorded, set_populations_recorded
from metrics.registry import no_data_notices
from ui import cache
from ui.plain import plain

CRS_LABELS = {"wgs84": "WGS-84（GPS、天地图）", "gcj02": "GCJ-02（高德、腾讯）", "bd09": "BD-09（百度）"}
REJECTS_SHOWN = 200


def run_import(files: list[tuple[str, bytes]], mapping: str | Mapping, crs: str, user: str,
               progress=None) -> ImportResult:
    """Uploaded (name, bytes) files — a zip among them stands for its CSV and XLSX files — as one batch."""
    result = import_uploads(cache.engine(), files, mapping=mapping, crs=crs, user=user, progress=progress)
    cache.clear()
    return result


# --- column mappings: proposed, previewed, saved ---

def mapping_choices() -> list[tuple[str, str]]:
    with cache.engine().connect() as conn:
        return all_mappings(conn)


def named_mapping(name: str) -> Mapping:
    with cache.engine().connect() as conn:
        return resolve_mapping(conn, name)


def suggest_mapping(data: bytes, file_name: str) -> Suggestion:
    return suggest_file(data, file_name)


def preview(data: bytes, file_name: str, mapping: Mapping, crs: str) -> Preview:
    return preview_import(cache.engine(), data, file_name, mapping, crs)


def save_mapping(name: str, toml_text: str, user: str) -> None:
    save_mapping_recorded(cache.engine(), name, toml_text, user)


def first_data_file(files: list[tuple[str, bytes]]) -> tuple[bytes, str] | None:
    """(bytes, name) of the batch's first CSV or XLSX file (inside a zip too): the file the mapping is made on."""
    sources = sources_from_uploads(files, limits_from_env())
    with sources[0].open() as stream:
        return stream.read(), sources[0].name


def progress_text(rows: int, fraction: float) -> str:
    """Rows done of the batch's total, estimated from the share of its bytes read."""
    total = f" / 约 {rows / fraction:,.0f}" if 0 < fraction < 1 else ""
    return f"正在导入… 已读取 {rows:,}{total} 行"


def import_message(result: ImportResult) -> str:
    """The summary shown after an import (markdown: the file's own names escaped)."""
    if result.duplicate_of is not None:
        return f"文件「{plain(result.file_name)}」已由批次 {result.duplicate_of} 按同样方式导入过，本次未做任何改动。"
    text = (f"批次 {result.batch_id}：共 {result.rows} 行，新增 {result.new} 件，更新 {result.updated} 件，"
            f"未变 {result.unchanged} 件，拒收 {result.rejected} 行。")
    if result.new_units:
        text += f" 新建单位：{'、'.join(result.new_units)}。"
    if result.ignored_columns:
        text += f" 未使用的列：{'、'.join(result.ignored_columns)}。"
    text += "".join(f" 注意：{line}。" for line in note_lines(result.notes, english=False))
    for notice in no_data_notices(result.not_provided):
        text += f" {notice}。"
    return text


def warnings_text(stored: str | None) -> str:
    """A batch's stored leniency counts, in words (the batch history's 注意 column)."""
    return "；".join(note_lines(batch_warnings({"warnings": stored if isinstance(stored, str) else None}),
                               english=False))


def rejects_table(batch_id: int, limit: int = REJECTS_SHOWN) -> pd.DataFrame:
    """The first rejected rows of a batch: row number, reason, then the row's raw values."""
    with cache.engine().connect() as conn:
        rows = list_rejects(conn, batch_id, limit)
    return pd.DataFrame([{"原行号": r["row_number"], "拒收原因": r["reason"], **r["raw"]} for r in rows])


def rejects_file(batch_id: int, user: str) -> bytes:
    """All rejected rows of a batch as a CSV to correct and import again (an audited export)."""
    return rejects_csv(export_rejects_recorded(cache.engine(), batch_id, f"拒收行_批次{batch_id}.csv", user))


def undo(batch_id: int, user: str) -> int:
    """Undo a batch (raises case_store.UndoRefused with a Chinese reason); returns the cases reverted."""
    reverted = undo_recorded(cache.engine(), batch_id, user)
    cache.clear()
    return reverted


def save_populations(changes: dict[int, int | None], user: str) -> None:
    """unit id → new population (None clears it)."""
    set_populations_recorded(cache.engine(), changes, user)
    cache.clear()


def new_unit(name: str, unit_type: str, code: str | None, population: int | None, user: str) -> int:
    unit_id = create_unit_recorded(cache.engine(), name, unit_type, code, population, user)
    cache.clear()
    return unit_id


def population_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[int, int | None]:
    """Rows of the units editor whose population changed: unit id → new value (None when cleared)."""
    old = before.set_index("id")["population"]
    new = after.set_index("id")["population"]
    changed = [i for i in new.index if not (pd.isna(old[i]) and pd.isna(new[i])) and old[i] != new[i]]
    return {int(i): None if pd.isna(new[i]) else int(new[i]) for i in changed}


# --- the unit directory: rename, merge, CSV (each audited) ---

def rename(unit_id: int, name: str, user: str) -> str:
    """Raises unit_directory.UnitError with the reason; returns the old name."""
    old = rename_recorded(cache.engine(), unit_id, name, user)
    cache.clear()
    return old


def merge(source_id: int, target_id: int, user: str) -> dict:
    merged = merge_recorded(cache.engine(), source_id, target_id, user)
    cache.clear()
    return merged


def import_units(data: bytes, file_name: str, user: str) -> dict:
    text = decode(data, file_name)   # UTF-8 or GBK, as work-order files
    counts = import_units_recorded(cache.engine(), text, file_name, user)
    cache.clear()
    return counts


def units_file(user: str) -> bytes:
    return export_units_recorded(cache.engine(), "单位目录.csv", user)


# editor column → (label, largest value); rates are edited in percent and stored as fractions
TARGET_COLUMNS = {"score": ("目标成绩", 100), "resolution": ("目标解决率（%）", 100), "satisfaction": ("目标满意率（%）", 100)}
PERCENT = {"score": 1, "resolution": 100, "satisfaction": 100}


def target_table(month_key: str) -> pd.DataFrame:
    """Columns id, name and one per target: every unit's own targets for the month (read fresh: staff edit them
    here), rates in percent; NaN where the unit takes the rules' default."""
    with cache.engine().connect() as conn:
        own = month_targets(conn, month_key)
    table = pd.DataFrame(cache.list_units(), columns=["id", "name"])
    for name, factor in PERCENT.items():
        table[name] = pd.Series([own.get(i, {}).get(name) for i in table["id"]], dtype="float64") * factor
    return table


def target_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[int, dict[str, float | None]]:
    """unit id → {target: new value as stored (None: back to the default)} for the cells the editor changed."""
    changes: dict[int, dict] = {}
    for name, factor in PERCENT.items():
        for unit_id, new, old in zip(after["id"], after[name], before[name]):
            if not (pd.isna(new) and pd.isna(old)) and new != old:
                changes.setdefault(int(unit_id), {})[name] = None if pd.isna(new) else float(new) / factor
    return changes


def save_targets(month_key: str, changes: dict[int, dict[str, float | None]], user: str) -> None:
    """unit id → the month's targets to change (None: back to the rules' default); each change audited."""
    set_targets_recorded(cache.engine(), month_key, changes, user)
    cache.clear()
