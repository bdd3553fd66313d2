"""An uploaded work-order file as headers and rows of cell text: CSV (UTF-8 or GBK) or XLSX (first sheet).

Every cell becomes the text a person reads in it (an Excel date cell becomes `YYYY-MM-DD HH:MM:SS`), so the row
parser has one path for both formats and a rejected row's raw values can be saved as CSV and imported again.
Rows are produced lazily: a year's export is never held in memory as cells.
"""
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterator

from data_access.case_fields import ImportRefused

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]   # (row number as a spreadsheet shows it, header = row 1; cells);
    #                                         blank rows are left out
    fraction_read: Callable[[], float]      # for progress bars


def read_table(data: bytes, file_name: str) -> Table:
    if data.startswith(_XLS_MAGIC):
        raise ImportRefused(f"{file_name} 是旧版 Excel (.xls) 文件，请另存为 .xlsx 或 CSV 后导入 "
                            f"({file_name} is a legacy .xls file: save it as .xlsx or CSV)")
    table = _xlsx(data, file_name) if data.startswith(_XLSX_MAGIC) else _csv(data, file_name)
    if not any(h.strip() for h in table.headers):
        raise ImportRefused(f"{file_name} 没有表头行 ({file_name} has no header row)")
    return table


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


# --- CSV ---

def decode(data: bytes, file_name: str) -> str:
    """UTF-8 (with or without BOM), else GBK; GB18030 is read as GBK's superset so no GBK file fails."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ImportRefused(f"{file_name} 不是 UTF-8 或 GBK 编码的 CSV 文本，也不是 xlsx 文件 "
                        f"({file_name} is neither UTF-8 / GBK CSV text nor an xlsx file)")


def _csv(data: bytes, file_name: str) -> Table:
    text = decode(data, file_name)
    consumed = 0

    def lines():
        # Slices of the text, not io.StringIO: that would copy the whole file again at 4 bytes a character.
        nonlocal consumed
        while consumed < len(text):
            end = text.find("\n", consumed) + 1 or len(text)
            yield text[consumed:end]
            consumed = end

    reader = csv.reader(lines())
    headers = _next_csv_row(reader, file_name)
    if headers is None:
        raise ImportRefused(f"{file_name} 是空文件 ({file_name} is empty)")

    def rows():
        number = 1
        while (cells := _next_csv_row(reader, file_name)) is not None:
            number += 1
            if not _blank(cells):
                yield number, cells

    return Table(headers, rows(), lambda: consumed / max(len(text), 1))


def _next_csv_row(reader, file_name: str) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise ImportRefused(f"{file_name} 第 {reader.line_num} 行附近的 CSV 格式无法解析: {exc} "
                            f"(malformed CSV near line {reader.line_num})") from exc


# --- XLSX ---

def _xlsx(data: bytes, file_name: str) -> Table:
    import openpyxl  # here, not at the top: it takes half a second to import and only xlsx files need it
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRefused(f"{file_name} 不是可读取的 xlsx 文件 ({file_name} is not a readable xlsx file: {exc})")
    sheet = book.worksheets[0]
    total = max(sheet.max_row or 1, 1)
    values = sheet.iter_rows(values_only=True)
    headers = [cell_text(v) for v in next(values, ())]
    done = 1

    def rows():
        nonlocal done
        try:
            for done, cells in enumerate(values, start=2):
                texts = [cell_text(v) for v in cells]
                if not _blank(texts):
                    yield done, texts
        finally:
            book.close()

    return Table(headers, rows(), lambda: min(done / total, 1.0))


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        # Excel stores times as fractions of a day; round away the float error (08:00 read as 07:59:59.999999).
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number or a count typed into a number cell
    return str(value)
