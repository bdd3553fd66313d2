"""The work-order importer (DATA_FORMAT.md §1): one file is one batch, written in one transaction.

Good rows go through case_store (new case_no inserted, known ones updated, identical rows left alone); bad rows
are kept in rejected_rows with row number, reasons and raw values, and the rest of the file still imports.
The file is read and written in chunks, so a year's export never sits in memory whole; the summary tables are
refreshed once, at the end. A file already imported the same way (checksum, mapping, coordinate system) by a
batch still in force is not imported again.
"""
import hashlib
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Connection, Engine

from data_access import audit
from data_access.batches import find_done_batch, finish_batch, start_batch
from data_access.case_fields import ImportRefused
from data_access.case_rows import RowParser
from data_access.case_store import WriteResult, refresh_stats, write_cases
from data_access.column_mappings import Mapping, load_mapping
from data_access.coords import CRS_NAMES
from data_access.file_reader import read_table
from data_access.privacy import hash_key
from data_access.provided import mark_rows, missing_inputs, record_missing
from data_access.rejects import store_rejects
from data_access.units import add_unit, unit_index

CHUNK_ROWS = 5_000
REASON_SEPARATOR = "；"


@dataclass
class ImportResult:
    file_name: str
    batch_id: int | None = None
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_units: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    duplicate_of: int | None = None     # the batch that already imported this file; nothing was done
    not_provided: tuple[str, ...] = ()  # rate inputs the file lacks (data_access.provided): their rates read 无数据


def import_file(engine: Engine, path: str | Path, **options) -> ImportResult:
    path = Path(path)
    return import_bytes(engine, path.read_bytes(), path.name, **options)


def import_bytes(engine: Engine, data: bytes, file_name: str, *, mapping: str | Mapping | None = None,
                 crs: str = "wgs84", user: str = "",
                 progress: Callable[[int, float], None] | None = None) -> ImportResult:
    """Import one file. `progress(rows_read, fraction_of_file_read)` is called after every chunk.

    Raises ImportRefused (nothing imported) when the file, the mapping or the coordinate system is unusable.
    """
    if crs not in CRS_NAMES:
        raise ImportRefused(f"坐标系应为 {' / '.join(CRS_NAMES)} 之一 (crs must be one of {', '.join(CRS_NAMES)})")
    chosen = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    checksum = hashlib.sha256(data).hexdigest()
    table = read_table(data, file_name)
    with engine.begin() as conn:
        done = find_done_batch(conn, checksum, mapping=chosen.name, crs=crs)
        if done is not None:
            return ImportResult(file_name, duplicate_of=done)
        parser = RowParser(chosen, table.headers, crs, hash_key(conn))
        batch_id = start_batch(conn, file_name, checksum, mapping=chosen.name, crs=crs, user=user)
        run = _Run(conn, batch_id, parser, ImportResult(file_name, batch_id, ignored_columns=parser.ignored,
                                                        not_provided=missing_inputs(chosen, table.headers)))
        while chunk := list(islice(table.rows, CHUNK_ROWS)):
            run.add(chunk)
            if progress:
                progress(run.result.rows, table.fraction_read())
        return run.finish(user)


class _Run:
    """The state of one import across chunks: case numbers seen, units known, counts, touched summary keys."""

    def __init__(self, conn: Connection, batch_id: int, parser: RowParser, result: ImportResult):
        self.conn, self.batch_id, self.parser, self.result = conn, batch_id, parser, result
        self.units = unit_index(conn)
        self.seen: dict[str, int] = {}
        self.touched = WriteResult().touched

    def add(self, chunk: list[tuple[int, list[str]]]) -> None:
        good, rejects = [], []
        for number, cells in chunk:
            row, reasons = self.parser.parse(cells)
            if row is not None:
                reasons = self._accept(row, number)
            if reasons:
                rejects.append((number, REASON_SEPARATOR.join(reasons), self.parser.raw(cells)))
            else:
                good.append(row)
        mark_rows(good, self.result.not_provided)
        written = write_cases(self.conn, good, self.batch_id, refresh=False)
        for basis, keys in written.touched.items():
            self.touched[basis] |= keys
        store_rejects(self.conn, self.batch_id, rejects)
        res = self.result
        res.rows += len(chunk)
        res.rejected += len(rejects)
        res.new += written.new
        res.updated += written.updated
        res.unchanged += written.unchanged

    def _accept(self, row: dict, number: int) -> list[str]:
        """Checks that need the rest of the file or the database: a repeated case_no, an unknown unit."""
        first = self.seen.get(row["case_no"])
        if first is not None:
            return [f"工单编号 {row['case_no']} 与第 {first} 行重复 (case_no duplicates row {first})"]
        unit_id = self.units.get(row["unit"]) or self._new_unit(row)
        if unit_id is None:
            label = self.parser.labels
            return [f"{label['unit']}「{row['unit']}」不存在，且未给出{label['unit_type']}，无法新建 "
                    f"(unknown unit {row['unit']!r} and no unit_type to create it)"]
        self.seen[row["case_no"]] = number
        row["unit_id"] = unit_id
        return []

    def _new_unit(self, row: dict) -> int | None:
        if not row.get("unit_type"):
            return None
        unit_id = self.units[row["unit"]] = add_unit(self.conn, row["unit"], row["unit_type"])
        self.result.new_units.append(row["unit"])
        return unit_id

    def finish(self, user: str) -> ImportResult:
        res = self.result
        if not res.rows:
            raise ImportRefused(f"{res.file_name} 只有表头，没有数据行 ({res.file_name} has no data rows)")
        refresh_stats(self.conn, self.touched)
        record_missing(self.conn, self.batch_id, res.not_provided)
        finish_batch(self.conn, self.batch_id, n_rows=res.rows, n_new=res.new, n_updated=res.updated,
                     n_unchanged=res.unchanged, n_rejected=res.rejected)
        audit.record(self.conn, user, "import", {
            "batch": self.batch_id, "file": res.file_name, "new": res.new, "updated": res.updated,
            "unchanged": res.unchanged, "rejected": res.rejected, "new_units": res.new_units}, n_rows=res.rows)
        return res
