"""The importer end to end on every backend: good rows in, bad rows kept, idempotent, undoable, chunk-safe."""
import csv
import io
import json
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from data_access.ingest import importer
from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.case_store import undo_batch
from data_access.ingest.importer import import_bytes
from data_access.ingest.rejects import list_rejects, rejects_csv
from data_access.storage.schema import audit_log, cases, import_batches, rejected_rows, stat_unit_day, units as units_table
from tests.factories import units

HEADER = ["工单编号", "受理时间", "承办单位", "单位类型", "一级分类", "办结时间", "解决情况", "满意度"]


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def stat(conn, unit_id, day):
    return conn.execute(select(stat_unit_day.c.volume, stat_unit_day.c.solved_full, stat_unit_day.c.sat_full)
                        .where(stat_unit_day.c.basis == "r", stat_unit_day.c.unit_id == unit_id,
                               stat_unit_day.c.day == day)).first()


def test_good_rows_import_and_bad_rows_are_kept_with_row_number_reason_and_raw_values(engine, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)  # so duplicates and new units cross chunk boundaries
    dhm = units(engine, ("东华门街道", "街道"))["东华门街道"]
    data = csv_bytes([
        ["A1", "2025-03-01 08:00", "东华门街道", "", "市容环卫", "2025-03-02 10:00", "解决", "满意"],  # row 2
        ["A2", "2025-03-32 08:00", "东华门街道", "", "市容环卫", "", "", ""],                          # row 3
        ["A3", "2025-03-01 09:00", "北京市自来水公司", "公共服务企业", "供水", "", "", ""],             # row 4
        ["", "", "", "", "", "", "", ""],                                                              # row 5
        ["A4", "2025-03-01 10:00", "不存在的单位", "", "市容环卫", "", "", ""],                         # row 6
        ["A1", "2025-03-01 11:00", "东华门街道", "", "交通管理", "", "", ""],                           # row 7
        ["A5", "2025-03-01 12:00", "北京市自来水公司", "", "供水", "", "", ""],                         # row 8
    ])
    result = import_bytes(engine, data, "march.csv", user="张三")
    assert (result.rows, result.new, result.updated, result.unchanged, result.rejected) == (6, 3, 0, 0, 3)
    assert result.new_units == ["北京市自来水公司"]
    with engine.connect() as conn:
        water = conn.execute(select(units_table.c.id, units_table.c.unit_type)
                             .where(units_table.c.name == "北京市自来水公司")).one()
        assert water.unit_type == "公共服务企业"
        got = conn.execute(select(cases.c.case_no, cases.c.unit_id, cases.c.cat_l1).order_by(cases.c.case_no)).all()
        assert [tuple(r) for r in got] == [("A1", dhm, "市容环卫"), ("A3", water.id, "供水"), ("A5", water.id, "供水")]
        rejects = list_rejects(conn, result.batch_id)
        assert [r["row_number"] for r in rejects] == [3, 6, 7]
        assert rejects[0]["reason"].startswith("受理时间「2025-03-32 08:00」不是有效的日期时间")
        assert "不存在的单位" in rejects[1]["reason"] and "与第 2 行重复" in rejects[2]["reason"]
        assert rejects[2]["raw"] == dict(zip(HEADER, ["A1", "2025-03-01 11:00", "东华门街道", "", "交通管理", "", "", ""]))
        batch = conn.execute(select(import_batches).where(import_batches.c.id == result.batch_id)).mappings().one()
        assert (batch["file_name"], batch["imported_by"], batch["n_rows"], batch["n_new"], batch["n_rejected"]) == \
            ("march.csv", "张三", 6, 3, 3)
        assert len(batch["checksum"]) == 64 and batch["finished_at"] is not None
        audit = conn.execute(select(audit_log.c.action, audit_log.c.user_name, audit_log.c.detail)).one()
        assert (audit.action, audit.user_name, json.loads(audit.detail)["rejected"]) == ("import", "张三", 3)
        assert tuple(stat(conn, dhm, date(2025, 3, 1))) == (1, 1, 1)
        assert tuple(stat(conn, water.id, date(2025, 3, 1))) == (2, 0, 0)


def test_importing_the_same_file_twice_changes_nothing_until_its_batch_is_undone(engine):
    units(engine, ("景山街道", "街道"))
    data = csv_bytes([["B1", "2025-03-05 08:00", "景山街道", "", "住房", "", "", ""],
                      ["B2", "坏日期", "景山街道", "", "住房", "", "", ""]])
    first = import_bytes(engine, data, "b.csv")
    again = import_bytes(engine, data, "b-copy.csv")
    assert (again.duplicate_of, again.batch_id, again.rows) == (first.batch_id, None, 0)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 1
        assert conn.execute(select(func.count()).select_from(rejected_rows)).scalar() == 1
    # Read another way (another coordinate system) it is a different import.
    assert import_bytes(engine, data, "b.csv", crs="gcj02").unchanged == 1
    with engine.begin() as conn:
        undo_batch(conn, first.batch_id)
    assert import_bytes(engine, data, "b.csv").new == 1


def test_a_later_file_updates_known_cases_and_undo_restores_them(engine):
    u = units(engine, ("交道口街道", "街道"))["交道口街道"]
    import_bytes(engine, csv_bytes([["C1", "2025-03-03 08:00", "交道口街道", "", "住房", "", "未解决", ""]]), "1.csv")
    second = import_bytes(engine, csv_bytes([
        ["C1", "2025-03-03 08:00", "交道口街道", "", "住房", "2025-03-04 08:00", "解决", ""],
        ["C2", "2025-03-04 08:00", "交道口街道", "", "住房", "", "", ""]]), "2.csv")
    assert (second.new, second.updated) == (1, 1)
    with engine.connect() as conn:
        assert tuple(stat(conn, u, date(2025, 3, 3))) == (1, 1, 0)
    with engine.begin() as conn:
        undo_batch(conn, second.batch_id)
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.case_no, cases.c.solved)).all() == [("C1", "未解决")]
        assert tuple(stat(conn, u, date(2025, 3, 3))) == (1, 0, 0)
        assert stat(conn, u, date(2025, 3, 4)) is None


def test_downloaded_rejects_once_corrected_import_again(engine):
    units(engine, ("安定门街道", "街道"))
    first = import_bytes(engine, csv_bytes([["D1", "2025-03-06 08:00", "安定门街道", "", "教育", "", "", "很满意"]]),
                         "d.csv")
    with engine.connect() as conn:
        download = rejects_csv(list_rejects(conn, first.batch_id))
    table = list(csv.reader(io.StringIO(download.decode("utf-8-sig"))))
    assert table[0] == ["原行号", "拒收原因", *HEADER]
    assert table[1][:2] == ["2", "满意度「很满意」应为 满意 / 基本满意 / 不满意 / 未评价 之一 "
                                 "(satisfaction: must be one of 满意 / 基本满意 / 不满意 / 未评价)"]
    table[1][-1] = "基本满意"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    fixed = import_bytes(engine, out.getvalue().encode("utf-8-sig"), "d-fixed.csv")
    assert (fixed.new, fixed.rejected, fixed.ignored_columns) == (1, 0, ["原行号", "拒收原因"])
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.satisfaction)).scalar() == "基本满意"


def test_a_311_export_creates_agencies_and_converts_bd09(sqlite_engine):
    header = ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor",
              "Latitude", "Longitude", "Borough"]
    data = csv_bytes([["59893124", "03/01/2025 02:05:09 PM", "03/02/2025 09:00:00 AM", "DSNY", "Dirty Condition",
                       "Trash", "45", "123", "MANHATTAN"]], header)
    result = import_bytes(sqlite_engine, data, "nyc.csv", mapping="open311", crs="bd09")
    assert (result.new, result.new_units, result.ignored_columns) == (1, ["DSNY"], [])
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(cases.c.received_at, cases.c.closed_at, cases.c.cat_l2, cases.c.lon,
                                  cases.c.lat, cases.c.street)).one()
        assert conn.execute(select(units_table.c.unit_type)).scalar() == "区级部门"
    assert (row.received_at, row.closed_at, row.cat_l2, row.street) == \
        (datetime(2025, 3, 1, 14, 5, 9), datetime(2025, 3, 2, 9, 0), "Trash", "MANHATTAN")
    assert (row.lon, row.lat) == pytest.approx((122.98762210, 44.99171540), abs=5e-6)


def test_xlsx_with_excel_date_cells_and_gbk_csv_import(sqlite_engine):
    units(sqlite_engine, ("东四街道", "街道"))
    book = openpyxl.Workbook()
    book.active.append(["工单编号", "受理时间", "承办单位", "一级分类"])
    book.active.append(["E1", datetime(2025, 3, 7, 8, 30), "东四街道", "交通管理"])
    buf = io.BytesIO()
    book.save(buf)
    assert import_bytes(sqlite_engine, buf.getvalue(), "e.xlsx").new == 1
    gbk = csv_bytes([["E2", "2025/03/07 09:00", "东四街道", "", "交通管理", "", "", ""]], encoding="gbk")
    assert import_bytes(sqlite_engine, gbk, "e.csv").new == 1
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(cases.c.received_at).order_by(cases.c.case_no)).scalars().all() == \
            [datetime(2025, 3, 7, 8, 30), datetime(2025, 3, 7, 9, 0)]


@pytest.mark.parametrize("data, message", [
    (csv_bytes([]), "没有数据行"),
    (csv_bytes([["F1", "2025-03-01 08:00"]], header=["工单编号", "受理时间"]), "缺少必需的列"),
], ids=["header-only", "missing-columns"])
def test_unusable_files_are_refused_and_leave_no_trace(sqlite_engine, data, message):
    with pytest.raises(ImportRefused, match=message):
        import_bytes(sqlite_engine, data, "f.csv")
    with pytest.raises(ImportRefused, match="坐标系应为"):
        import_bytes(sqlite_engine, data, "f.csv", crs="utm")
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 0


def test_a_row_too_long_to_keep_refuses_the_file(sqlite_engine):
    units(sqlite_engine, ("东四街道", "街道"))
    header = ["工单编号", "受理时间", "承办单位", "一级分类", "诉求内容"]
    data = csv_bytes([["L1", "2025-03-01 08:00", "东四街道", "住房", "长" * 22_000]], header)  # 66,000 bytes
    with pytest.raises(ImportRefused, match="第 2 行超过 65535 字节"):
        import_bytes(sqlite_engine, data, "l.csv")


def test_progress_reports_rows_read_and_fraction_of_the_file(sqlite_engine, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    units(sqlite_engine, ("和平里街道", "街道"))
    rows = [[f"G{i}", "2025-03-01 08:00", "和平里街道", "", "住房", "", "", ""] for i in range(5)]
    seen = []
    import_bytes(sqlite_engine, csv_bytes(rows), "g.csv", progress=lambda n, f: seen.append((n, f)))
    assert [n for n, _ in seen] == [2, 4, 5]
    assert 0 < seen[0][1] < seen[1][1] < 1 and seen[2][1] == 1.0
