"""The briefing as a Word file (python-docx) a staff member hands out as is: A4, Chinese fonts, numbered sections,
tables under registry headers with values formatted as on screen, charts as PNG."""
import io

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell

from metrics.registry import BOOL_TEXT, entry, export_headers, format_value, is_missing
from reports.briefing_data import Briefing, Table, cn_date

BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
BODY_SIZE, TABLE_SIZE = Pt(12), Pt(9)
IMAGE_WIDTH = Cm(16)
HEADER_FILL = "E7E9EE"
TABLE_STYLE, TABLE_HEADER_STYLE = "简报表格", "简报表头"
TOP_CATEGORIES = 10
TEXT_WIDTH_CM = 16.6
# Relative column widths: sentences and names get the room, rates ("100.00%") a little more than counts.
COLUMN_WEIGHTS = {"reason": 3.2, "decision": 2.6, "detail": 3.0, "item": 2.0, "label": 2.4, "unit_name": 2.2,
                  "top_categories": 1.7, "metric": 1.4, "change_text": 2.0, "not_ranked_reason": 2.4, "rank": 0.8,
                  "position": 0.7, "item_kind": 1.3, "owner_unit": 1.6, "due_date": 1.5}
FORMAT_WEIGHTS = {"pct": 1.45, "score": 1.2}
CHAPTERS = ("一", "二", "三", "四", "五", "六", "七", "八")


# --- fonts and styles ---

def _font(target, east_asia: str, size=None, bold=None) -> None:
    """Latin and East Asian font of a style or run (Word picks the East Asian one for Chinese)."""
    target.font.name = LATIN_FONT
    target.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)
    if size is not None:
        target.font.size = size
    if bold is not None:
        target.font.bold = bold


def _setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    _font(doc.styles["Normal"], BODY_FONT, BODY_SIZE)
    for name, size in (("Title", Pt(20)), ("Heading 1", Pt(15)), ("Heading 2", Pt(13))):
        style = doc.styles[name]
        _font(style, HEADING_FONT, size, bold=True)
        style.font.color.rgb = RGBColor(0, 0, 0)
    # Table text gets its own styles: setting fonts cell by cell costs seconds on a district's tables.
    for name, bold in ((TABLE_STYLE, False), (TABLE_HEADER_STYLE, True)):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        _font(style, BODY_FONT, TABLE_SIZE, bold)


# --- blocks ---

def cell_text(key: str, value) -> str:
    """A value as on screen; an empty text field stays empty rather than "无数据"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return BOOL_TEXT[value]
    if is_missing(value) and entry(key).fmt == "text":
        return ""
    if hasattr(value, "strftime"):
        return f"{value:%Y-%m-%d}"
    return format_value(key, value)


def _shade(cell, fill: str) -> None:
    shading = cell._tc.get_or_add_tcPr().makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:fill"): fill})
    cell._tc.get_or_add_tcPr().append(shading)


def _cells(grid) -> list[list[_Cell]]:
    """The cells row by row, read once (python-docx's row.cells re-reads the whole table each time)."""
    return [[_Cell(tc, grid) for tc in tr.tc_lst] for tr in grid._tbl.tr_lst]


def _write_row(cells: list[_Cell], texts: list[str], style_id: str) -> None:
    """Text and paragraph style straight into each cell's XML: python-docx's setters look the style up among all
    styles for every cell, which costs seconds on a district's tables."""
    for cell, text in zip(cells, texts):
        paragraph = cell._tc.p_lst[0]
        paragraph.style = style_id
        paragraph.add_r().text = text


def add_table(doc, table: Table, columns: list[str] | None = None, empty: str = "无。") -> None:
    columns = columns or table.doc_columns or table.columns
    if table.frame.empty:
        doc.add_paragraph(empty)
        return
    records = table.frame.to_dict("records")
    grid = doc.add_table(rows=len(records) + 1, cols=len(columns), style="Table Grid")
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    cells = _cells(grid)
    _write_row(cells[0], export_headers(columns), doc.styles[TABLE_HEADER_STYLE].style_id)
    for cell in cells[0]:
        _shade(cell, HEADER_FILL)
    body = doc.styles[TABLE_STYLE].style_id
    for row, record in zip(cells[1:], records):
        shown_as = [record[table.row_key] if table.row_key and k in ("current", "previous") else k for k in columns]
        _write_row(row, [cell_text(a, record[k]) for a, k in zip(shown_as, columns)], body)
    _widths(grid, cells, columns)
    doc.add_paragraph()


def _widths(grid, cells: list[list[_Cell]], columns: list[str]) -> None:
    """The table grid (LibreOffice reads it) and every cell (Word reads those) get the same widths."""
    weights = [COLUMN_WEIGHTS.get(c) or FORMAT_WEIGHTS.get(entry(c).fmt, 1.0) for c in columns]
    widths = [Cm(TEXT_WIDTH_CM * w / sum(weights)) for w in weights]
    for column, width in zip(grid.columns, widths):
        column.width = width
    for row in cells:
        for cell, width in zip(row, widths):
            cell.width = width


def add_image(doc, png: bytes | None, caption: str) -> None:
    if not png:
        return
    doc.add_picture(io.BytesIO(png), width=IMAGE_WIDTH)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.add_paragraph(caption)
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(note.runs[0], BODY_FONT, Pt(10))


def _heading(doc, number: int, text: str) -> None:
    doc.add_heading(f"{CHAPTERS[number]}、{text}", level=1)


# --- the document ---

def _overview(doc, b: Briefing) -> None:
    _heading(doc, 0, "总体情况")
    scope = doc.add_paragraph(b.scope)
    _font(scope.runs[0], BODY_FONT, Pt(10.5))
    doc.add_paragraph("".join(b.sentences))
    add_table(doc, b.tables["key_figures"])
    add_image(doc, b.charts.get("trend"), "图 1  全区综合成绩走势")


def _scores(doc, b: Briefing) -> None:
    _heading(doc, 1, "各单位成绩与排名")
    scores = b.tables["scores"]
    for group, members in scores.frame.groupby("group", sort=False):
        doc.add_heading(f"{group}（{len(members)} 个单位）", level=2)
        add_table(doc, Table(scores.title, members, scores.columns, scores.doc_columns))
    if not b.tables["not_ranked"].frame.empty:
        doc.add_heading("不参与排名的单位", level=2)
        add_table(doc, b.tables["not_ranked"])


def _awards_and_lagging(doc, b: Briefing) -> None:
    _heading(doc, 2, "流动红旗与进步奖")
    add_table(doc, b.tables["awards"], empty="本期没有单位获得流动红旗或进步奖。")
    _heading(doc, 3, "后进单位会诊")
    for note in b.lagging_notes:
        doc.add_paragraph(note, style="List Bullet")
    add_table(doc, b.tables["lagging"], empty="本期没有后进单位。")


def _places_and_categories(doc, b: Briefing) -> None:
    _heading(doc, 4, "高频点位")
    add_image(doc, b.charts.get("map"), "图 2  高频点位分布（红色为突增点位，圆越大诉求越多）")
    add_table(doc, b.tables["hotspots"], empty="本期没有达到高频标准的点位。")
    _heading(doc, 5, "诉求类别与每月一题")
    add_image(doc, b.charts.get("categories"), "图 3  诉求量前十的类别及环比变化")
    categories = b.tables["categories"]
    add_table(doc, Table(categories.title, categories.frame.head(TOP_CATEGORIES), categories.columns))
    add_image(doc, b.charts.get("topics"), "图 4  每月一题诉求量走势")
    add_table(doc, b.tables["topics"], empty="本期没有每月一题工单。")


def _meeting(doc, b: Briefing) -> None:
    _heading(doc, 6, b.tables["agenda"].title)
    add_table(doc, b.tables["agenda"], empty="议程尚无事项。")
    _heading(doc, 7, "上次会议事项督办")
    if b.previous_meeting is None:
        doc.add_paragraph("没有上次同类会议的记录。")
        return
    last = b.previous_meeting
    doc.add_paragraph(f"上次会议：{cn_date(last['meeting_date'])}{last['kind']}。")
    add_table(doc, b.tables["follow_up"], empty="上次会议没有议程事项。")


def build_docx(b: Briefing) -> bytes:
    doc = Document()
    _setup(doc)
    doc.add_heading(b.title, level=0).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(b.subtitle).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in (_overview, _scores, _awards_and_lagging, _places_and_categories, _meeting):
        part(doc, b)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
