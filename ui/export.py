"""Download buttons for a table: .xlsx and .csv with the registry's Chinese headers; every export is audited.
Cells are written by data_access.queries.export_cells, so no imported text becomes a live formula.

The file is built only when the button is clicked (a deferred download), and that is when the audit entry is
written, with who, what and how many rows.
"""
import io
from functools import partial

import pandas as pd
import streamlit as st
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from data_access.records import audit
from data_access.queries import export_cells
from data_access.queries.export_cells import set_cell
from metrics.registry import BOOL_TEXT, entry, export_headers
from ui import cache

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"pct": "0.00%", "score": "0.00", "float": "0.00", "int": "0"}


def _plain_bools(frame: pd.DataFrame) -> pd.DataFrame:
    bools = [c for c in frame.columns if frame[c].dtype == bool]
    return frame.assign(**{c: frame[c].map(BOOL_TEXT) for c in bools})


def xlsx_bytes(frame: pd.DataFrame, columns: list[str], sheet: str = "数据") -> bytes:
    """An Excel sheet: Chinese headers, values at full precision shown as "98.25%" / "96.41"."""
    table, headers = _plain_bools(frame[columns]), export_headers(columns)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for i, (key, header) in enumerate(zip(columns, headers), start=1):
        set_cell(ws, 1, i, header).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(i)].width = max(10, 2 * len(header) + 2)
        number_format = NUMBER_FORMATS.get(entry(key).fmt)
        for r, value in enumerate(table[key], start=2):
            cell = set_cell(ws, r, i, value)
            if number_format and not isinstance(cell.value, str):
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(frame: pd.DataFrame, columns: list[str]) -> bytes:
    """CSV with Chinese headers and full-precision values (rates as fractions, as the command line prints them);
    UTF-8 with BOM so that Excel opens it correctly."""
    table = _plain_bools(frame[columns])
    return export_cells.csv_bytes(export_headers(columns), table.itertuples(index=False, name=None))


def audited(build, user_name: str, file_name: str, n_rows: int) -> bytes:
    """Build the file and write the audit entry (called when the user clicks download)."""
    data = build()
    audit.log(cache.engine(), user_name, "export", {"file": file_name}, n_rows)
    return data


def download_buttons(frame: pd.DataFrame, columns: list[str], name: str, key: str, user) -> None:
    """Two buttons side by side: Excel and CSV of `frame[columns]`, named `name`.xlsx / .csv."""
    left, right = st.columns(2, width=360)
    xlsx = partial(audited, partial(xlsx_bytes, frame, columns, name), user.name, f"{name}.xlsx", len(frame))
    csv = partial(audited, partial(csv_bytes, frame, columns), user.name, f"{name}.csv", len(frame))
    left.download_button("下载 Excel", xlsx, file_name=f"{name}.xlsx", mime=XLSX_MIME, key=f"{key}_xlsx",
                         on_click="ignore")
    right.download_button("下载 CSV", csv, file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv",
                          on_click="ignore")
