"""The work-order importer (DATA_FORMAT.md §1): one batch — one file, several, a folder or a zip — written in one
transaction.

Good rows go through case_store (new case_no inserted, known ones updated, identical rows left alone), handed over a
column at a time; bad rows are kept in rejected_rows with row number, reasons and raw values, and the rest of the
batch still imports.
Files are streamed and written in chunks, within the limits of import_limits; the summary tables are refreshed
once, at the end. Every leniency (a date without a time, clock skew, optional text cut to fit, …) is counted and
kept with the batch. A batch already imported the same way (the files' bytes and the mapping's content, the
coordinate system) by a batch still in force is not imported again.
"""
import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from data_access.records import audit
from data_access.ingest.batches import find_done_batch, finish_batch, start_batch
from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.case_rows import RowParser
from data_access.ingest.case_store import INPUT_COLUMNS, WriteResult, merge_keys, write_columns
from data_access.ingest.summaries import refresh_batch
from data_access.ingest.column_mappings import Mapping, load_mapping
from data_access.ingest.coords import CRS_NAMES
from data_access.ingest.file_reader import CellBlock, Row, RowProblem, Scan, Source, cell_block, open_table, scan, \
    sources_from_paths, sources_from_uploads
from data_access.ingest.import_limits import Limits, limits_from_env
from data_access.ingest.privacy import hash_key
from data_access.ingest.provided import missing_inputs, provided_columns, record_missing
from data_access.ingest.rejects import store_rejects
from data_access.storage.schema import PROVIDED_FIELDS
from data_access.records.units import add_unit, unit_index

CHUNK_ROWS = 10_000
REASON_SEPARATOR = "；"
FILE_HEADER = "原文件"   # in a rejected row's raw values when the batch has several files
ATTEMPTS = 3            # a concurrent import of the same cases: the transaction is retried, then refused
NOTE_TEXTS = {
    "date_only": ("{n} 件工单的日期没有时刻，按当日 00:00 计", "{n} cases had a date without a time of day: read as 00:00"),
    "clock_skew": ("{n} 件工单的办结/响应/回访时间略早于受理时间（系统时钟偏差），已按受理时间计",
                   "{n} cases closed/responded/called back slightly before received (clock skew): set to received"),
    "cut_to_fit": ("{n} 件工单有可选文本超过列长度，已截断保存",
                   "{n} cases had optional text longer than its column: cut to fit"),
    "formula_no_value": ("{n} 个公式单元格没有保存计算结果，按空值导入（请在 Excel 中重新计算并保存）",
                         "{n} formula cells had no cached value and were read as empty"),
    "empty_tail": ("{n} 个工作表在连续空行后停止读取（其后的行未导入）",
                   "{n} sheets stopped at a long run of empty rows (rows after it were not read)"),
}


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
    duplicate_of: int | None = None     # the batch that already imported these files; nothing was done
    files: list[str] = field(default_factory=list)
    notes: Counter = field(default_factory=Counter)   # kind (NOTE_TEXTS) -> count
    not_provided: tuple[str, ...] = ()  # rate inputs a file of the batch lacks (data_access.ingest.provided): 无数据


def note_lines(notes: dict[str, int], english: bool = True) -> list[str]:
    """The counted leniencies in words: Chinese, then English in parentheses (or Chinese alone for the app)."""
    lines = []
    for kind, (zh, en) in NOTE_TEXTS.items():
        if notes.get(kind):
            text = zh.format(n=notes[kind])
            lines.append(f"{text} ({en.format(n=notes[kind])})" if english else text)
    return lines


def import_file(engine: Engine, path: str | Path, **options) -> ImportResult:
    return import_paths(engine, [path], **options)


def import_paths(engine: Engine, paths: list[str | Path], *, limits: Limits | None = None,
                 **options) -> ImportResult:
    """Files, folders and zips named on the command line, as one batch."""
    limits = limits or limits_from_env()
    return import_sources(engine, sources_from_paths(paths, limits), limits=limits, **options)


def import_bytes(engine: Engine, data: bytes, file_name: str, **options) -> ImportResult:
    return import_uploads(engine, [(file_name, data)], **options)


def import_uploads(engine: Engine, files: list[tuple[str, bytes]], *, limits: Limits | None = None,
                   **options) -> ImportResult:
    """Uploaded (name, bytes) files, a .zip among them standing for its CSV and XLSX files, as one batch."""
    limits = limits or limits_from_env()
    return import_sources(engine, sources_from_uploads(files, limits), limits=limits, **options)


def import_sources(engine: Engine, sources: list[Source], *, mapping: str | Mapping | None = None,
                   crs: str = "wgs84", user: str = "", limits: Limits | None = None,
                   progress: Callable[[int, float], None] | None = None) -> ImportResult:
    """Import files as one batch. `progress(rows_read, fraction_of_the_batch_read)` is called after every chunk.

    Raises ImportRefused (nothing imported) when a file, the mapping or the coordinate system is unusable.
    """
    if crs not in CRS_NAMES:
        raise ImportRefused(f"坐标系应为 {' / '.join(CRS_NAMES)} 之一 (crs must be one of {', '.join(CRS_NAMES)})")
    limits = limits or limits_from_env()
    chosen = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    scans = [scan(source, limits) for source in sources]
    checksum = batch_checksum(scans, chosen)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _import_once(engine, sources, scans, _Plan(chosen, crs, user, limits, checksum, progress))
        except DBAPIError as exc:
            # Another import wrote the same case numbers first (PostgreSQL waits on the unique index, then fails
            # this transaction); read again, those cases are now updates. Anything else is not ours to hide.
            if not _concurrent(exc):
                raise
            if attempt == ATTEMPTS:
                raise ImportRefused("另一个导入正在写入相同的工单，请稍后再试，本次未做任何改动 "
                                    "(another import is writing the same cases: try again later; nothing changed)"
                                    ) from None


def _concurrent(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return isinstance(exc, IntegrityError) or "deadlock" in text or "could not serialize" in text


def batch_checksum(scans: list[Scan], mapping: Mapping) -> str:
    """The files' bytes (in any order) and the mapping's content, not its name: a changed mapping reads again."""
    digest = hashlib.sha256()
    for file_digest in sorted(s.digest for s in scans):
        digest.update(file_digest.encode())
    digest.update(mapping_content(mapping).encode())
    return digest.hexdigest()


def mapping_content(mapping: Mapping) -> str:
    """A mapping's canonical serialisation: what it does, without its name and label."""
    spec = {k: v for k, v in dataclasses.asdict(mapping).items() if k not in ("name", "label", "spec")}
    return json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class _Plan:
    mapping: Mapping
    crs: str
    user: str
    limits: Limits
    checksum: str
    progress: Callable[[int, float], None] | None


def _batch_name(sources: list[Source]) -> str:
    if len(sources) == 1:
        return sources[0].name
    name = f"{sources[0].name} 等 {len(sources)} 个文件"
    return name if len(name) <= 255 else name[:240] + "…"


def _import_once(engine: Engine, sources: list[Source], scans: list[Scan], plan: _Plan) -> ImportResult:
    name = _batch_name(sources)
    with engine.begin() as conn:
        done = find_done_batch(conn, plan.checksum, crs=plan.crs)
        if done is not None:
            return ImportResult(name, duplicate_of=done, files=[s.name for s in sources])
        batch_id = start_batch(conn, name, plan.checksum, mapping=plan.mapping.name, crs=plan.crs, user=plan.user)
        run = _Run(conn, batch_id, ImportResult(name, batch_id, files=[s.name for s in sources]))
        total, before = sum(s.size for s in sources) or 1, 0
        for source, scanned in zip(sources, scans):
            table, parser = _open(source, scanned, plan, conn, several=len(sources) > 1)
            run.start_file(parser, source.name if len(sources) > 1 else None,
                           missing_inputs(plan.mapping, table.headers))
            for chunk in table.chunks(CHUNK_ROWS):
                run.add(chunk)
                if run.result.rows > plan.limits.rows:
                    raise ImportRefused(f"这批文件超过 {plan.limits.rows} 行上限，未做任何改动 "
                                        f"(the batch has more than {plan.limits.rows} rows: nothing changed)")
                if plan.progress:
                    plan.progress(run.result.rows, (before + table.fraction_read() * source.size) / total)
            run.result.notes.update(+table.notes)
            before += source.size
        return run.finish(plan.user)


def _open(source: Source, scanned: Scan, plan: _Plan, conn: Connection, several: bool):
    try:
        table = open_table(source, scanned, plan.limits, CHUNK_ROWS)
        parser = RowParser(plan.mapping, table.headers, plan.crs, hash_key(conn), plan.limits.date_window())
    except ImportRefused as exc:
        if several and source.name not in str(exc):
            raise ImportRefused(f"{source.name}: {exc}") from None
        raise
    return table, parser


class _Run:
    """The state of one import across files and chunks: case numbers seen, units known, counts, summary keys."""

    def __init__(self, conn: Connection, batch_id: int, result: ImportResult):
        self.conn, self.batch_id, self.result = conn, batch_id, result
        self.parser: RowParser | None = None
        self.file_name: str | None = None
        self.missing: tuple[str, ...] = ()
        self.units = unit_index(conn)
        self.seen: dict[str, int] = {}
        self.keys = WriteResult()   # the summary keys of all its chunks

    def start_file(self, parser: RowParser, file_name: str | None, missing: tuple[str, ...] = ()) -> None:
        """The next file of the batch; `missing`: the rate inputs it lacks (its cases are marked so)."""
        self.parser, self.file_name, self.missing = parser, file_name, missing
        self.result.not_provided = tuple(f for f in PROVIDED_FIELDS if f in {*self.result.not_provided, *missing})
        self.result.ignored_columns += [c for c in parser.ignored if c not in self.result.ignored_columns]

    def add(self, chunk: list[Row] | CellBlock) -> None:
        """One chunk of the file: its rows parsed a column at a time, accepted in order, written as columns."""
        rejects, n_rows = [], len(chunk.numbers) if type(chunk) is CellBlock else len(chunk)
        if type(chunk) is not CellBlock:
            rejects = [(n, cells.reason, self._raw(cells.cells)) for n, cells in chunk if type(cells) is RowProblem]
            chunk = cell_block([r for r in chunk if type(r[1]) is not RowProblem], len(self.parser.headers))
        parsed = self.parser.parse_columns(chunk.columns)
        reasons = dict(parsed.rejected)
        keep, unit_ids = self._accept_all(parsed, chunk.numbers, reasons)
        if reasons:
            at = sorted(reasons)
            rejects += [(chunk.numbers[i], REASON_SEPARATOR.join(reasons[i]), self._raw(cells))
                        for i, cells in zip(at, chunk.cells_at(at))]
            rejects.sort(key=lambda r: r[0])
        for pos in keep if parsed.notes else ():
            self.result.notes.update(parsed.notes.get(parsed.good[pos], ()))
        written = write_columns(self.conn, self._columns(parsed, keep, unit_ids), self.batch_id, refresh=False)
        merge_keys(self.keys, written)
        store_rejects(self.conn, self.batch_id, rejects)
        res = self.result
        res.rows += n_rows
        res.rejected += len(rejects)
        res.new += written.new
        res.updated += written.updated
        res.unchanged += written.unchanged

    def _accept_all(self, parsed, numbers: list[int], reasons: dict) -> tuple[list[int], list[int]]:
        """_accept for each clean row in order (a known unit and a case number not seen before take the short way);
        the block positions kept and their unit ids. Refused rows get their reasons in `reasons`."""
        keep, unit_ids, seen, known = [], [], self.seen, self.units
        columns = parsed.columns
        unit_types = columns.get("unit_type") or [None] * len(parsed.good)
        for pos, (i, case_no, unit) in enumerate(zip(parsed.good, columns["case_no"], columns["unit"])):
            unit_id = known.get(unit)
            if unit_id is None or case_no in seen:
                row = {"case_no": case_no, "unit": unit, "unit_type": unit_types[pos]}
                refused = self._accept(row, numbers[i])
                if refused:
                    reasons[i] = refused
                    continue
                unit_id = row["unit_id"]
            else:
                seen[case_no] = numbers[i]
            keep.append(pos)
            unit_ids.append(unit_id)
        return keep, unit_ids

    def _columns(self, parsed, keep: list[int], unit_ids: list[int]) -> dict[str, list]:
        """The kept rows' columns as write_columns takes them, has_<field> marked (data_access.ingest.provided)."""
        everyone = len(keep) == len(parsed.good)
        columns = {k: v if everyone else [v[p] for p in keep]
                   for k, v in parsed.columns.items() if k in INPUT_COLUMNS}
        columns["unit_id"] = unit_ids
        columns.update(provided_columns(self.missing, len(keep)))
        return columns

    def _raw(self, cells: list[str]) -> dict[str, str]:
        raw = self.parser.raw(cells)
        if self.file_name:
            raw[FILE_HEADER] = self.file_name
        return raw

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
        unit_id = self.units[row["unit"]] = add_unit(self.conn, row["unit"], row["unit_type"],
                                                         batch_id=self.batch_id)
        self.result.new_units.append(row["unit"])
        return unit_id

    def finish(self, user: str) -> ImportResult:
        res = self.result
        if not res.rows:
            raise ImportRefused(f"{res.file_name} 只有表头，没有数据行 ({res.file_name} has no data rows)")
        refresh_batch(self.conn, self.batch_id, self.keys.touched, all_new=not res.updated,
                      regapped=self.keys.regapped)
        record_missing(self.conn, self.batch_id, res.not_provided)
        finish_batch(self.conn, self.batch_id, n_rows=res.rows, n_new=res.new, n_updated=res.updated,
                     n_unchanged=res.unchanged, n_rejected=res.rejected, warnings=dict(res.notes))
        audit.record(self.conn, user, "import", {
            "batch": self.batch_id, "file": res.file_name, "new": res.new, "updated": res.updated,
            "unchanged": res.unchanged, "rejected": res.rejected, "new_units": res.new_units,
            "files": res.files, "warnings": dict(res.notes)}, n_rows=res.rows)
        return res
