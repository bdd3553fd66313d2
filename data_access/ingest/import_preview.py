"""A dry run of the importer: what a file would become with a mapping, written nowhere (DATA_FORMAT.md §1b).

The rows go through the importer's own row parser and its per-file checks (a repeated case_no, a unit that is
unknown and cannot be created), against the units the database holds now; nothing is written and no
transaction is committed. The browser shows the first rows as they would be stored and why the others would be
rejected, while the user adjusts the mapping.
"""
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy.engine import Engine

from data_access.ingest.case_rows import RowParser
from data_access.ingest.column_mappings import Mapping
from data_access.ingest.file_reader import RowProblem, read_table
from data_access.ingest.import_limits import limits_from_env
from data_access.ingest.importer import REASON_SEPARATOR, ImportResult, _Run

PREVIEW_ROWS = 20
CHECKED_ROWS = 20_000
_SHOWN_VALUE = re.compile(r"「[^」]*」")
_PREVIEW_KEY = b"preview"   # the caller hash is never shown: no key is read or made for a preview


@dataclass
class Preview:
    rows: list[dict] = field(default_factory=list)      # the first rows as stored: row number + field values
    rejected_rows: list[tuple[int, str]] = field(default_factory=list)   # the first rejected: row number, reason
    checked: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)    # reason without the row's value -> rows
    new_units: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    whole_file: bool = True                              # False: only the first CHECKED_ROWS were checked


class _DryRun(_Run):
    """The importer's per-file checks with unit creation only noted, never written."""

    def _new_unit(self, row: dict) -> int | None:
        if not row.get("unit_type"):
            return None
        self.units[row["unit"]] = -1
        self.result.new_units.append(row["unit"])
        return -1


def preview_import(engine: Engine, data: bytes, file_name: str, mapping: Mapping, crs: str = "wgs84",
                   shown: int = PREVIEW_ROWS, checked: int = CHECKED_ROWS) -> Preview:
    """Raises ImportRefused as the import would (an unreadable file, a mapping that finds no required column)."""
    limits = limits_from_env()
    table = read_table(data, file_name, limits)
    parser = RowParser(mapping, table.headers, crs, _PREVIEW_KEY, limits.date_window())
    out = Preview(ignored_columns=parser.ignored)
    with engine.connect() as conn:
        run = _DryRun(conn, None, ImportResult(file_name))
        run.start_file(parser, None)
        for number, cells in islice(table.rows, checked):
            out.checked += 1
            if type(cells) is RowProblem:   # a row the reader itself rejects (a broken quote, a huge cell)
                _count_reject(out, number, [cells.reason])
                continue
            row, reasons = parser.parse(cells)
            if row is not None:
                reasons = run._accept(row, number)
            if reasons:
                _count_reject(out, number, reasons)
            elif len(out.rows) < shown:
                out.rows.append({"行号": number, **{k: v for k, v in row.items() if k != "unit_id"}})
        out.whole_file = next(table.rows, None) is None
        conn.rollback()
    out.new_units = run.result.new_units
    return out


def _count_reject(out: Preview, number: int, reasons: list[str]) -> None:
    out.rejected += 1
    for reason in reasons:
        out.reasons[_SHOWN_VALUE.sub("", reason)] += 1
    if len(out.rejected_rows) < PREVIEW_ROWS:
        out.rejected_rows.append((number, REASON_SEPARATOR.join(reasons)))
