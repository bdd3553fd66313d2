"""The briefing's tables as an Excel workbook (openpyxl): one sheet each, Chinese headers from the registry, values
at full precision with number formats ("98.25%", "96.41"), so that staff can sort and recompute. Every cell is
written by data_access.queries.export_cells (no imported text becomes a formula)."""
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.queries.export_cells import set_cell
from metrics.registry import BOOL_TEXT, entry, export_headers, is_missing
from reports.briefing_data import Briefing, Table

NUMBER_FORMATS = {"pct": "0.00%", "score": "0.00", "float": "0.00", "int": "0"}
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = PatternFill("solid", fgColor="E7E9EE")
SHEETS = {"key_figures": "概要", "scores": "成绩排名", "not_ranked": "不参与排名", "awards": "流动红旗",
          "lagging": "后进单位", "hotspots": "高频点位", "categories": "诉求类别", "topics": "每月一题",
          "agenda": "议程", "follow_up": "督办"}


def _value(value):
    """What a cell holds: numbers as numbers, yes/no as 是/否, missing as empty."""
    if isinstance(value, bool):
        return BOOL_TEXT[value]
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _number_format(key: str, value) -> str | None:
    if isinstance(value, date):
        return DATE_FORMAT
    return NUMBER_FORMATS.get(entry(key).fmt)


def _write_table(ws, table: Table, first_row: int) -> None:
    headers = export_headers(table.columns)
    for col, header in enumerate(headers, start=1):
        cell = set_cell(ws, first_row, col, header)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(table.frame.to_dict("records"), start=first_row + 1):
        for col, key in enumerate(table.columns, start=1):
            value = _value(row[key])
            cell = set_cell(ws, r, col, value)
            shown_as = row[table.row_key] if table.row_key and key in ("current", "previous") else key
            number_format = _number_format(shown_as, value) if value is not None else None
            if number_format and not isinstance(value, str):
                cell.number_format = number_format
    for col, header in enumerate(headers, start=1):
        texts = [len(str(ws.cell(r, col).value or "")) for r in range(first_row + 1, ws.max_row + 1)]
        ws.column_dimensions[get_column_letter(col)].width = min(60, max(10, 2 * len(header) + 2, *texts, 0) + 2)
    if first_row == 1:
        ws.freeze_panes = "A2"


def _overview(ws, b: Briefing) -> None:
    """The title, scope and summary above the key figures, so the first sheet reads like the first page."""
    set_cell(ws, 1, 1, b.title).font = Font(bold=True, size=14)
    lines = [b.subtitle, b.scope, *b.sentences]
    for r, text in enumerate(lines, start=2):
        set_cell(ws, r, 1, text)
    _write_table(ws, b.tables["key_figures"], len(lines) + 3)


def build_xlsx(b: Briefing) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for key, name in SHEETS.items():
        ws = wb.create_sheet(name)
        if key == "key_figures":
            _overview(ws, b)
        else:
            _write_table(ws, b.tables[key], 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
