"""The importer under random input (hypothesis): broken bytes, random headers, random cell values, stray quotes
and line breaks, far or date-only dates, zips of random files, random xlsx sheets — on SQLite and PostgreSQL. It
never crashes: a batch is either refused as a whole with a Chinese reason (and nothing is written), or imported as
one consistent batch in which every row is either stored or rejected with its reason (rows in = accepted +
rejected)."""
import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access.ingest.case_fields import FIELDS, ImportRefused
from data_access.ingest.importer import import_bytes, import_uploads
from data_access.storage.schema import audit_log, cases, import_batches, rejected_rows
from tests import crafted
from tests.dbs import empty_all_tables, migrated_engine, shared_server_engine

pytestmark = pytest.mark.slow

HEADERS = [f.header for f in FIELDS] + [f.key for f in FIELDS]
VALUES = ["2025-03-01 08:00", "2025/03/01 8:00:00", "2025-02-30 08:00", "东华门街道", "街道", "市容环卫",
          "解决", "满意", "是", "否", "116.40", "39.91", "999", "-1", "1e308", "nan", "13812345678", "",
          "'; DROP TABLE cases; --", "<script>alert(1)</script>", "一级->二级->三级", "=1+1"]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


DATES = ["2025-03-01 08:00", "2018/4/24", "2025-03-01", "9999-12-31 23:59", "2299-01-01 00:00", "1999-12-31 23:59",
         "0001-01-01 00:00", "2025-03-01 07:59:59", "2025-02-29 08:00", "2025/3/1 8:05:07.123"]
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))  # what a worksheet cell can hold
WILD = ['"', '""', '"\n', "\n", "\r", ",", "\x00", "长" * 40, "x" * 300]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory, _server_engines):
    if request.param != "sqlite":
        yield shared_server_engine(_server_engines, request.param)   # the session's; dropped when it ends
        return
    engine = migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    yield engine
    engine.dispose()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def check_import(engine, data: bytes, name: str = "fuzz.csv", files: list[tuple[str, bytes]] | None = None) -> None:
    """Import and check the outcome is whole: refused and nothing written, or one consistent batch."""
    empty_all_tables(engine)
    try:
        result = import_uploads(engine, files, user="fuzz") if files else import_bytes(engine, data, name, user="fuzz")
    except ImportRefused as exc:
        assert "(" in str(exc) and str(exc).strip()  # Chinese, then English in parentheses
        assert [count(engine, t) for t in (cases, import_batches, rejected_rows, audit_log)] == [0, 0, 0, 0]
        return
    assert result.rows == result.new + result.updated + result.unchanged + result.rejected
    assert count(engine, cases) == result.new and count(engine, rejected_rows) == result.rejected
    assert count(engine, import_batches) == 1 and count(engine, audit_log) == 1
    with engine.connect() as conn:
        assert all(reason.strip() for reason in conn.execute(select(rejected_rows.c.reason)).scalars())


def to_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(db, data):
    check_import(db, data)


@SETTINGS
@given(st.binary(max_size=500))
def test_random_bytes_after_an_xlsx_or_xls_signature(db, tail):
    for magic in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        check_import(db, magic + tail, "fuzz.xlsx")


@SETTINGS
@given(st.lists(st.sampled_from(HEADERS) | st.text(max_size=12), min_size=1, max_size=12),
       st.lists(st.lists(st.sampled_from(VALUES) | st.text(max_size=40), max_size=14), max_size=25))
def test_random_headers_and_cells(db, headers, rows):
    check_import(db, to_csv(headers, rows))


@SETTINGS
@given(st.lists(st.lists(st.sampled_from(VALUES) | st.text(max_size=30), min_size=5, max_size=5),
                min_size=1, max_size=30))
def test_random_cells_under_the_required_headers(db, rows):
    # 工单编号 unique-ish from the row number so that some rows get through to the database
    rows = [[f"F-{i}", *cells[1:]] for i, cells in enumerate(rows)]
    check_import(db, to_csv(["工单编号", "受理时间", "承办单位", "单位类型", "一级分类"], rows))


@SETTINGS
@given(st.binary(min_size=1, max_size=300))
def test_broken_bytes_inside_a_good_file(db, garbage):
    good = "工单编号,受理时间,承办单位,单位类型,一级分类\nG-1,2025-03-01 08:00,东华门街道,街道,市容环卫\n".encode()
    check_import(db, good[:40] + garbage + good[40:])
    check_import(db, good + garbage)


def _raw_csv(header: str, lines: list[list[str]]) -> bytes:
    """Cells joined by hand, not by csv.writer: stray quotes and line breaks stay as a broken export has them."""
    return (header + "\n" + "\n".join(",".join(cells) for cells in lines)).encode()


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(DATES), st.sampled_from(DATES + [""]),
                          st.sampled_from(WILD) | st.text(max_size=20)), min_size=1, max_size=25))
def test_stray_quotes_line_breaks_and_far_dates(db, rows):
    lines = [[f"Q-{i}", received, "东华门街道", "街道", "市容环卫", closed, wild] for i, (received, closed, wild)
             in enumerate(rows)]
    check_import(db, _raw_csv("工单编号,受理时间,承办单位,单位类型,一级分类,办结时间,诉求内容", lines))


@SETTINGS
@given(st.lists(st.lists(st.sampled_from(VALUES + DATES) | st.text(PRINTABLE, max_size=20), min_size=6, max_size=6),
                min_size=1, max_size=8), st.integers(1, 3))
def test_random_xlsx_sheets_and_zips_of_files(db, rows, n_files):
    sheet = crafted.xlsx_bytes([[f"X-{i}", *cells[1:]] for i, cells in enumerate(rows)])
    check_import(db, sheet, "fuzz.xlsx")
    files = {f"f{k}.csv": to_csv(crafted.HEADER, [[f"Z{k}-{i}", *cells[1:]] for i, cells in enumerate(rows)])
             for k in range(n_files)}
    check_import(db, b"", files=[("fuzz.zip", crafted.zip_of({**files, "s.xlsx": sheet}))])


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from(["a.csv", "../a.csv", "a.zip", "a.xlsx", "a.txt"]))
def test_zips_holding_random_bytes(db, data, member):
    check_import(db, b"", files=[("fuzz.zip", crafted.zip_of({member: data, "ok.csv": to_csv(crafted.HEADER, [])}))])
