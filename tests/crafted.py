"""Crafted import files, built in code: xlsx parts rewritten by hand (no sheet, a DTD, wide or endless sheets,
formulas without a cached value), zips of files, CSV text with broken quotes."""
import csv
import io
import re
import zipfile

import openpyxl

HEADER = ["工单编号", "受理时间", "承办单位", "单位类型", "一级分类", "诉求内容"]
SHEET = "xl/worksheets/sheet1.xml"


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def row(case_no: str, received: str = "2025-03-01 08:00", content: str = "", unit: str = "东四街道") -> list[str]:
    return [case_no, received, unit, "街道", "住房", content]


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    for cells in [header, *rows]:
        book.active.append(cells)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def rewrite(data: bytes, part: str, change) -> bytes:
    """The xlsx with one part's bytes changed (`change(bytes) -> bytes`, or None to leave the part out)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            body = change(body) if info.filename == part else body
            if body is not None:
                target.writestr(info.filename, body)
    return out.getvalue()


def xlsx_without_sheet() -> bytes:
    return rewrite(xlsx_bytes([row("X1")]), "xl/workbook.xml",
                   lambda b: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", b))


def xlsx_with_dtd(entity: bool) -> bytes:
    dtd = (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' if entity
           else b'<!DOCTYPE worksheet [<!ELEMENT worksheet ANY>]>')
    cell = b"<t>&e;</t>" if entity else b"<t>x</t>"
    return rewrite(xlsx_bytes([row("X1", content="x")]), SHEET,
                   lambda b: b'<?xml version="1.0"?>' + dtd + b.replace(b"<t>x</t>", cell))


def _sheet_data(body: bytes, rows: bytes, dimension: str) -> bytes:
    body = re.sub(rb"<dimension ref=\"[^\"]*\"/>", f'<dimension ref="{dimension}"/>'.encode(), body)
    return re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData>" + rows + b"</sheetData>", body, flags=re.S)


def xlsx_wide(n_rows: int, n_cols: int = 16_384) -> bytes:
    from openpyxl.utils import get_column_letter
    letters = [get_column_letter(i).encode() for i in range(1, n_cols + 1)]
    rows = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>1</v></c>' % (c, r) for c in letters) + b"</row>"
                    for r in range(1, n_rows + 1))
    return rewrite(xlsx_bytes([]), SHEET, lambda b: _sheet_data(b, rows, f"A1:{letters[-1].decode()}{n_rows}"))


def _inline_row(number: int, cells: list[str]) -> bytes:
    from openpyxl.utils import get_column_letter
    from xml.sax.saxutils import escape
    return (b'<row r="%d">' % number + b"".join(
        f'<c r="{get_column_letter(i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'.encode()
        for i, v in enumerate(cells, start=1)) + b"</row>")


def xlsx_many_empty_rows(n_empty: int, then: list[str] | None = None) -> bytes:
    """A header, one case, n_empty styled empty rows, then (optionally) one more case after them."""
    rows = _inline_row(1, HEADER) + _inline_row(2, row("E1"))
    rows += b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (r, r) for r in range(3, 3 + n_empty))
    last = 3 + n_empty
    rows += _inline_row(last, then) if then else b""
    return rewrite(xlsx_bytes([]), SHEET, lambda b: _sheet_data(b, rows, f"A1:F{last}"))


def xlsx_formula_without_value() -> bytes:
    data = xlsx_bytes([row("F1", content="x"), row("F2", content="y")])
    return rewrite(data, SHEET, lambda b: re.sub(rb'<c r="F2" t="inlineStr"><is><t>x</t></is></c>',
                                                 b'<c r="F2"><f>CONCAT("a","b")</f></c>', b))


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
