"""The column-at-a-time paths against the one-by-one ones they shortcut: the row parser's parse_columns against
parse_many (values, reasons, notes), each column_checks shortcut against its field's own rule, and the CSV reader's
plain-line blocks against csv.reader. Any cell a shortcut accepts that the rule would refuse, or reads differently,
fails here."""
import codecs
import dataclasses
import hashlib
import hmac
import io
import re
import sys
from datetime import datetime

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.ingest import file_reader
from data_access.ingest.case_fields import FIELDS, parse_datetime
from data_access.ingest.case_rows import RowParser
from data_access.ingest.column_checks import WHITESPACE, shortcut
from data_access.ingest.column_mappings import canonical
from data_access.ingest.file_reader import CellBlock, RowProblem, read_table
from data_access.ingest.import_limits import Limits
from data_access.ingest.privacy import caller_key

WINDOW = (datetime(2000, 1, 1), datetime(2026, 12, 31, 23, 59, 59))
SETTINGS = settings(max_examples=60, deadline=None)

# Per field: cells its rule accepts as they are, accepts with a leniency, translates, or refuses.
POOL = {
    "case_no": ["A1", "BJ000000001", "Ｈ１２３", " A2 ", "A\u200b3", "X" * 64, "X" * 65, "\u3000", "A 4", "A1"],
    "received_at": ["2025-03-01 08:00", "2025-03-01 08:00:00", "2025/3/1 8:05", "2025-03-01", "2025-02-30 08:00",
                    "2025-03-01 24:00:00", "2025-03-01 23:59:60", "1999-12-31 23:59:59", "2000-01-01 00:00:00",
                    "2026-12-31 23:59:59", "2027-01-01 00:00:00", "2025-03-01T08:00:00", " 2025-03-01 08:00",
                    "2025-03-01 08:00:00.5", "2025-03-01 08:00+08:00", "２０２５-03-01 08:00", "2025年3月1日 08:05",
                    "20250-03-01 08:00:00", "0999-01-01 00:00:00", "昨天", ""],
    "closed_at": ["2025-03-01 07:58:00", "2025-03-01 07:00:00", "2025-03-02 09:00:30", "2025-03-01", "", "bad"],
    "responded_at": ["2025-03-01 07:59", "2025-03-01 08:30:00", ""],
    "unit": ["东华门街道", " 景山街道", "景山街道\u3000", "新单位", "长" * 65, ""],
    "unit_type": ["街道", "委办局", "随便", ""],
    "satisfaction": ["满意", "很满意", "未回访", " 满意", ""],
    "solved": ["解决", "已解决", "未解决", ""],
    "lon": ["116.397", "-0", "116", "１１６.４", "1e2", "nan", "inf", "200", "116.4000000000000001", "1_16.4",
            "+116.4", "180", "180.0000001", ""],
    "lat": ["39.9", "39.90", "90", "-90.5", "", "x"],
    "caller_phone": ["13812345678", "+86 138-1234-5678", "8613812345678", "1*********8", "12345", "电话", "",
                     "１３８１２３４５６７８"],
    "tags": ["每月一题；疑难; ", ";".join(f"挂账{i}" for i in range(60)), "", ";"],
    "category": ["城乡建设 -> 违法建设->住宅->加层", "城建->" + "二" * 70 + "->三", "->二", "一" * 70, ""],
    "cat_l1": ["市容环卫", "", " 交通 "],
    "content": ["市民来电反映楼道堆物", " 前后有空格 ", "x" * 70000, "", "\t"],
    "dispatch_count": ["1", "2", "0", "１", "x", ""],
    "excluded": ["是", "否", "Y", ""],
    "street": ["东华门街道", "北京市东城区东华门街道12号", ""],
}
KEYS = list(POOL)
HEADERS = {f.key: f.header for f in FIELDS}


def mappings():
    base = canonical()
    yield base
    yield dataclasses.replace(
        base, name="odd", values={"satisfaction": {"未回访": "未评价"}, "solved": {"已解决": "解决"}},
        defaults={"unit_type": "街道", "dispatch_count": "1"}, datetime_formats=("%Y年%m月%d日 %H:%M",),
        clock_skew_seconds=120, extract={"street": ("所属街道", re.compile(r"(\S+?街道)"))})


def columns_of(rows: list[list[str]], width: int) -> list[pa.Array]:
    return [pa.array([r[i] for r in rows], pa.string()) for i in range(width)]


def assert_same(parser: RowParser, rows: list[list[str]]) -> None:
    slow = parser.parse_many(rows)
    block = parser.parse_columns(columns_of(rows, len(parser.headers)))
    assert block.good == [i for i, (row, _, _) in enumerate(slow) if row is not None]
    assert block.rejected == {i: reasons for i, (row, reasons, _) in enumerate(slow) if row is None}
    for pos, i in enumerate(block.good):
        row, _, notes = slow[i]
        assert set(row) <= set(block.columns)
        got = {k: column[pos] for k, column in block.columns.items()}
        assert {k: (type(v), v) for k, v in got.items()} == {k: (type(row.get(k)), row.get(k)) for k in got}, i
        assert block.notes.get(i, set()) == notes


@pytest.mark.parametrize("mapping", list(mappings()), ids=lambda m: m.name)
@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
@SETTINGS
@given(data=st.data())
def test_parse_columns_reads_every_row_as_parse_many_does(mapping, crs, data):
    keys = data.draw(st.lists(st.sampled_from(KEYS), min_size=1, unique=True))
    keys = [k for k in ("case_no", "received_at", "unit") if k not in keys] + keys
    keys += [] if {"cat_l1", "category"} & set(keys) else ["cat_l1"]
    parser = RowParser(mapping, [HEADERS[k] for k in keys], crs, b"test-key-0123456789", WINDOW)
    rows = data.draw(st.lists(st.tuples(*(st.sampled_from(POOL[k]) for k in keys)).map(list), max_size=40))
    assert_same(parser, rows)


def test_parse_columns_reads_a_plain_block_and_its_odd_rows():
    keys = list(POOL)
    parser = RowParser(canonical(), [HEADERS[k] for k in keys], "wgs84", b"test-key-0123456789", WINDOW)
    plain = ["A1", "2025-03-01 08:00:00", "2025-03-02 09:00:00", "2025-03-01 08:30:00", "东华门街道", "街道", "满意",
             "解决", "116.4", "39.9", "13812345678", "疑难", "", "市容环卫", "内容", "1", "否", "东华门街道"]
    rows = [[f"A{i}"] + plain[1:] for i in range(300)]
    rows[7][1] = "2025-03-01"                  # date only: noted
    rows[8][2] = "2025-03-01 07:59:00"         # clock skew: set to received and noted
    rows[9][8] = ""                            # half a coordinate: refused
    rows[10][0] = "A1"                         # a repeated case number is the importer's check, not the parser's
    assert_same(parser, rows)
    block = parser.parse_columns(columns_of(rows, len(keys)))
    assert block.notes == {7: {"date_only"}, 8: {"clock_skew"}}
    assert list(block.rejected) == [9]
    assert block.columns["closed_at"][8] == block.columns["received_at"][8] == datetime(2025, 3, 1, 8)


def test_whitespace_is_what_str_strip_removes():
    assert WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


NEAR = st.one_of(
    st.sampled_from([v for values in POOL.values() for v in values]),
    st.text(alphabet="0123456789-: ./T+eE_", max_size=22),
    st.builds(lambda y, m, d, h, mi, s, sec: f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}" + (f":{s:02d}" if sec else ""),
              st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 61),
              st.integers(0, 61), st.booleans()),
    st.builds(lambda sign, whole, frac: f"{sign}{whole}{frac}", st.sampled_from(["", "-", "+"]),
              st.integers(0, 400), st.sampled_from(["", ".", ".5", ".000000000000001", ".1234567890123456789"])),
    st.builds(lambda whole, frac: f"{whole}.{frac}", st.integers(0, 999), st.text(alphabet="0123456789", min_size=1,
                                                                                 max_size=17)),
    st.text(max_size=8),
)


@pytest.mark.parametrize("field", [f for f in FIELDS if shortcut(f.parse, WINDOW)[0]], ids=lambda f: f.key)
@SETTINGS
@given(texts=st.lists(NEAR, min_size=1, max_size=30))
def test_a_shortcut_proves_only_what_the_rule_accepts_as_it_is(field, texts):
    prove, _ = shortcut(field.parse, WINDOW)
    proven, values = prove(pa.array(texts, pa.string()))
    parse = (lambda t: parse_datetime(t, (), WINDOW)) if field.parse is parse_datetime else field.parse
    parser = RowParser(canonical(), ["工单编号", "受理时间", "承办单位", "一级分类"], "wgs84", b"k", WINDOW)
    for text, value in zip([t for t, p in zip(texts, proven) if p], values):
        assert parser._cell(field.key, parse, None, "", None, text) == (value, None, None)
        assert type(value) is type(parse(text.strip()))


# --- the CSV reader: plain-line blocks against csv.reader ---

CELL = st.one_of(st.sampled_from(["", " ", "A1", "东华门街道", "2025-03-01 08:00", "a\"b", "\"q,\"\"x\"\"\"", "\u3000",
                                  "x" * 60]), st.text(alphabet="ab ,\"\r\n长", max_size=6))
END = st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\r\n\r\n", ""])


def rows_read(data: bytes, limits: Limits, plain: bool) -> list:
    saved = file_reader.BLOCK_LINES
    file_reader.BLOCK_LINES = saved if plain else 0   # 0: every line through csv.reader
    try:
        table = read_table(data, "x.csv", limits)
        return [(n, c.reason if type(c) is RowProblem else c) for n, c in table.rows]
    except Exception as exc:  # noqa: BLE001 — a refusal must be the same refusal
        return [type(exc).__name__, str(exc)]
    finally:
        file_reader.BLOCK_LINES = saved


@settings(max_examples=150, deadline=None)
@given(width=st.integers(1, 4), lines=st.lists(st.tuples(st.lists(CELL, min_size=0, max_size=5), END), max_size=30),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), cell_chars=st.sampled_from([5, 50, 32_768]),
       columns=st.sampled_from([3, 256]))
def test_plain_blocks_read_as_csv_reader_reads_them(width, lines, encoding, cell_chars, columns):
    header = ",".join(f"h{i}" for i in range(width)) + "\n"
    text = header + "".join(",".join(cells) + end for cells, end in lines)
    data = text.encode(encoding)
    limits = Limits(cell_chars=cell_chars, columns=columns)
    assert rows_read(data, limits, plain=True) == rows_read(data, limits, plain=False)


def test_a_plain_file_comes_in_cell_blocks_numbered_as_a_spreadsheet_shows_them():
    text = "工单编号,承办单位\r\n" + "".join(f"A{i},东四街道\r\n" for i in range(7)) + " , \r\nB1,\"x,y\"\r\nB2,z"
    table = read_table(text.encode(), "x.csv")
    pieces = list(table.pieces)
    assert type(pieces[0]) is CellBlock and pieces[0].numbers == list(range(2, 9))
    assert pieces[0].rows().__next__() == (2, ["A0", "东四街道"])
    assert pieces[1:] == [(10, ["B1", "x,y"]), CellBlock([11], pieces[2].columns)]
    assert pieces[2].columns[1].to_pylist() == ["z"]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet="ab\r\n长", max_size=40), limit=st.integers(1, 12), chunk=st.integers(1, 7))
def test_text_readline_is_textiowrapper_readline(text, limit, chunk):
    data = text.encode()
    expected, wrapper = [], io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    while line := wrapper.readline(limit):
        expected.append(line)
    saved = file_reader._TEXT_CHUNK
    file_reader._TEXT_CHUNK = chunk     # small pieces: line ends and \r\n across the buffer's refills
    try:
        ours = file_reader._Text(io.BytesIO(data), "utf-8")
        got = []
        while line := ours.readline(limit):
            got.append(line)
    finally:
        file_reader._TEXT_CHUNK = saved
    assert got == expected
    assert codecs.decode(data, "utf-8") == "".join(got)


@pytest.mark.parametrize("key", [b"short-key", b"k" * 64, b"a-key-longer-than-sha256s-block-of-64-bytes-" * 2])
def test_caller_key_is_hmac_sha256_of_the_digits(key):
    assert caller_key("+86 138-1234-5678", key) == hmac.new(key, b"13812345678", hashlib.sha256).hexdigest()[:32]
    assert caller_key("１３８１２３４５６７８", key) == \
        hmac.new(key, "１３８１２３４５６７８".encode(), hashlib.sha256).hexdigest()[:32]
    assert caller_key("无", key) == ""
