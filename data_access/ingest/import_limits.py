"""The importer's limits (docs/security.md "File limits"): settings from the environment, with sane defaults.

Every limit keeps a crafted or broken file from costing unbounded time or memory; a file beyond one is refused (or
its row rejected) with a reason, never read half-way in silence. An unreadable value falls back to the default.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import settings

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 1024 * MB        # IMPORT_MAX_FILE_MB: one file (a zip member or an xlsx: unzipped)
    batch_bytes: int = 4096 * MB       # IMPORT_MAX_BATCH_MB: all files of one batch
    rows: int = 5_000_000              # IMPORT_MAX_ROWS: data rows of one batch
    columns: int = 256                 # IMPORT_MAX_COLUMNS: cells of one row (the header row included)
    cell_chars: int = 32_768           # IMPORT_MAX_CELL_CHARS: one cell; a longer one rejects its row
    row_lines: int = 100               # IMPORT_MAX_ROW_LINES: lines one CSV row may span (else: a broken quote)
    empty_rows: int = 10_000           # IMPORT_MAX_EMPTY_ROWS: consecutive empty xlsx rows that end the sheet
    zip_files: int = 1_000             # IMPORT_MAX_ZIP_FILES: members of a zip (or parts of an xlsx)
    date_from: date = date(2000, 1, 1)  # IMPORT_DATE_FROM: earliest date accepted in a case
    date_ahead_days: int = 366         # IMPORT_DATE_AHEAD_DAYS: latest date = today + this many days

    @property
    def line_chars(self) -> int:
        """One physical CSV line: room for several cells at their limit, and a bound on the memory one line takes."""
        return max(8 * self.cell_chars, MB)

    def date_window(self) -> tuple[datetime, datetime]:
        last = date.today() + timedelta(days=self.date_ahead_days)
        return datetime.combine(self.date_from, time()), datetime.combine(last, time(23, 59, 59))


_SETTINGS = {"file_bytes": ("IMPORT_MAX_FILE_MB", MB), "batch_bytes": ("IMPORT_MAX_BATCH_MB", MB),
             "rows": ("IMPORT_MAX_ROWS", 1), "columns": ("IMPORT_MAX_COLUMNS", 1),
             "cell_chars": ("IMPORT_MAX_CELL_CHARS", 1), "row_lines": ("IMPORT_MAX_ROW_LINES", 1),
             "empty_rows": ("IMPORT_MAX_EMPTY_ROWS", 1), "zip_files": ("IMPORT_MAX_ZIP_FILES", 1),
             "date_ahead_days": ("IMPORT_DATE_AHEAD_DAYS", 1)}


def limits_from_env() -> Limits:
    given = {}
    for key, (name, unit) in _SETTINGS.items():
        try:
            value = int(getattr(settings, name).get() or "") * unit
        except ValueError:
            continue
        if value > 0:
            given[key] = value
    try:
        given["date_from"] = date.fromisoformat(settings.IMPORT_DATE_FROM.get() or "")
    except ValueError:
        pass
    return Limits(**given)
