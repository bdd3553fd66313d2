"""Reading CSV (UTF-8, UTF-8 with BOM, GBK) and XLSX into headers and rows of text."""
import io
from datetime import datetime

import openpyxl
import pytest

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.file_reader import read_table

CSV_TEXT = "工单编号,承办单位,诉求内容\r\nA1,东华门街道,\"楼道堆物，\r\n影响通行\"\r\n,,\r\nA2,景山街道,噪音\r\n"


def rows_of(table):
    return list(table.rows)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_reads_the_same_with_spreadsheet_row_numbers(encoding):
    table = read_table(CSV_TEXT.encode(encoding), "x.csv")
    assert table.headers == ["工单编号", "承办单位", "诉求内容"]
    # Row 3 is blank and left out; a quoted line break stays inside its cell.
    assert rows_of(table) == [(2, ["A1", "东华门街道", "楼道堆物，\r\n影响通行"]), (4, ["A2", "景山街道", "噪音"])]
    assert table.fraction_read() == 1.0


def test_xlsx_cells_become_the_text_a_person_reads():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["工单编号", "受理时间", "来电号码", "经度", "是否特例", "派单次数"])
    sheet.append(["A1", datetime(2025, 3, 1, 7, 59, 59, 999_999), 13812345678, 116.397128, True, 2.0])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["A2", "2025-03-02 08:00", None, None, False, 1])
    buf = io.BytesIO()
    book.save(buf)
    table = read_table(buf.getvalue(), "x.xlsx")
    assert table.headers[:2] == ["工单编号", "受理时间"]
    assert rows_of(table) == [(2, ["A1", "2025-03-01 08:00:00", "13812345678", "116.397128", "是", "2"]),
                              (4, ["A2", "2025-03-02 08:00", "", "", "否", "1"])]


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "旧版 Excel"),
    (b"PK\x03\x04 not really a zip", "不是可读取的 xlsx"),
    (b"\x00\x01\x02\xff\xfe", "不是 UTF-8 或 GBK"),
    (b"", "空文件"),
    (b",,\r\nA1,B1\r\n", "没有表头行"),
])
def test_unreadable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(ImportRefused, match=message):
        read_table(data, "f")


def test_csv_without_a_final_line_break_keeps_its_last_row():
    table = read_table("case_no,unit\nA1,景山街道\nA2,东四街道".encode(), "x.csv")
    assert rows_of(table) == [(2, ["A1", "景山街道"]), (3, ["A2", "东四街道"])]
