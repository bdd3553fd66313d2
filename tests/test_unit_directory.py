"""The unit directory and saved mappings on every backend: merge (cases, 加减分, agenda items, summaries, undo of
an older batch follow), rename with the old name kept as an alias, the units CSV, units removed with the batch
that created them, saved mappings round trip, a dry run that writes nothing."""
from datetime import date

import pytest
from sqlalchemy import func, select

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.case_store import undo_batch
from data_access.ingest.column_mappings import mapping_from_toml
from data_access.ingest.import_preview import preview_import
from data_access.ingest.importer import import_bytes
from data_access.records.meetings import add_item, create_meeting
from data_access.ingest.saved_mappings import all_mappings, mapping_toml, resolve_mapping, save_mapping
from data_access.storage.schema import audit_log, cases, import_batches, meeting_items, score_adjustments, stat_unit_day
from data_access.storage.schema import stat_unit_month, unit_aliases, units as units_table
from data_access.records.unit_directory import UnitError, import_units_csv, merge_units, rename_unit, units_csv
from data_access.records.units import unit_index
from metrics.adjustments import add_adjustment
from tests.factories import case_row, units, write
from tests.test_importer import csv_bytes

HEADER = ["工单编号", "受理时间", "承办单位", "单位类型", "一级分类"]


def volume(conn, unit_id, table=stat_unit_day):
    return conn.execute(select(func.sum(table.c.volume)).where(table.c.basis == "r", table.c.unit_id == unit_id)
                        ).scalar()


def test_merge_moves_cases_adjustments_agenda_and_summaries(engine):
    ids = units(engine, ("东华门街道", "街道"), ("东华门街道办", "街道"))
    keep, gone = ids["东华门街道"], ids["东华门街道办"]
    write(engine, [case_row("M1", keep, "2025-03-01 08:00:00"), case_row("M2", gone, "2025-03-02 08:00:00"),
                   case_row("M3", gone, "2025-04-05 08:00:00")], "a.csv")
    # An older version of M1 on the unit to be merged: undoing batch b must restore it to the merged unit.
    updated = write(engine, [case_row("M1", gone, "2025-03-01 08:00:00")], "b.csv")
    add_adjustment(engine, gone, "2025-03", 0.5, "主动治理")
    with engine.begin() as conn:
        meeting = create_meeting(conn, date(2025, 3, 10), "周调度会", "2025-W10")
        add_item(conn, meeting, "unit", str(gone), "东华门街道办", owner_unit_id=gone)
        assert (volume(conn, keep), volume(conn, gone)) == (None, 3)   # M1 moved to it by batch b
        merged = merge_units(conn, gone, keep)
    assert merged == {"source": "东华门街道办", "target": "东华门街道", "cases": 3}
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(cases).where(cases.c.unit_id == keep)).scalar() == 3
        assert (volume(conn, keep), volume(conn, gone)) == (3, None)
        assert (volume(conn, keep, stat_unit_month), volume(conn, gone, stat_unit_month)) == (3, None)
        assert conn.execute(select(score_adjustments.c.unit_id)).scalars().all() == [keep]
        assert conn.execute(select(meeting_items.c.ref, meeting_items.c.owner_unit_id)).one() == (str(keep), keep)
        assert conn.execute(select(units_table.c.name)).scalars().all() == ["东华门街道"]
        # The merged unit's name still finds the kept one at the next import.
        assert unit_index(conn)["东华门街道办"] == keep
        undo_batch(conn, updated)
        assert conn.execute(select(cases.c.unit_id).where(cases.c.case_no == "M1")).scalar() == keep


def test_merge_refuses_itself_and_unknown_units(engine):
    one = units(engine, ("甲", "街道"))["甲"]
    with engine.begin() as conn:
        with pytest.raises(UnitError, match="不能把单位合并到它自己"):
            merge_units(conn, one, one)
        with pytest.raises(UnitError, match="要合并的单位不存在"):
            merge_units(conn, one, one + 99)


def test_a_renamed_code_keeps_finding_its_cases_at_import(engine):
    result = import_bytes(engine, csv_bytes([["N1", "2025-03-01 08:00", "DOT", "区级部门", "道路"]], header=HEADER),
                          "a.csv")
    assert result.new_units == ["DOT"]
    other = units(engine, ("环卫中心", "区级部门"))["环卫中心"]
    with engine.begin() as conn:
        dot = unit_index(conn)["DOT"]
        assert rename_unit(conn, dot, "交通局") == "DOT"
        with pytest.raises(UnitError, match="已有单位使用名称或编码"):
            rename_unit(conn, other, "交通局")
    again = import_bytes(engine, csv_bytes([["N2", "2025-03-02 08:00", "DOT", "", "道路"]], header=HEADER), "b.csv")
    assert (again.rejected, again.new_units) == (0, [])
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.unit_id).where(cases.c.case_no == "N2")).scalar() == dot


def test_undo_removes_the_units_the_batch_created_and_nothing_else_uses(engine):
    first = import_bytes(engine, csv_bytes([["U1", "2025-03-01 08:00", "新单位甲", "区级部门", "道路"],
                                            ["U2", "2025-03-01 09:00", "新单位乙", "区级部门", "道路"]],
                                           header=HEADER), "first.csv")
    second = import_bytes(engine, csv_bytes([["U3", "2025-03-02 08:00", "新单位乙", "", "道路"]], header=HEADER),
                          "second.csv")
    with engine.begin() as conn:
        undo_batch(conn, first.batch_id)
        # 乙 is still used by the second batch's case; 甲 was the first batch's alone.
        assert conn.execute(select(units_table.c.name)).scalars().all() == ["新单位乙"]
        undo_batch(conn, second.batch_id)
        assert conn.execute(select(units_table.c.name)).scalars().all() == ["新单位乙"]   # created by the first
    again = import_bytes(engine, csv_bytes([["U1", "2025-03-01 08:00", "新单位甲", "区级部门", "道路"]],
                                           header=HEADER), "first-again.csv")
    with engine.begin() as conn:
        undo_batch(conn, again.batch_id)
        assert conn.execute(select(units_table.c.name)).scalars().all() == ["新单位乙"]


def test_units_csv_round_trip_and_bad_files(engine):
    units(engine, ("东华门街道", "街道"))
    with engine.begin() as conn:
        counts = import_units_csv(conn, "code,name,unit_type,street,population\n"
                                        "110101001,东华门街道,街道,东华门街道,52000\n"
                                        "DOT,交通局,区级部门,,\n")
        assert counts == {"created": 1, "updated": 1}
        with pytest.raises(UnitError, match="第 3 行: 单位类型应为"):
            import_units_csv(conn, "code,name,unit_type\nX1,甲,街道\nX2,乙,委办局\n")
        with pytest.raises(UnitError, match="表头应为"):
            import_units_csv(conn, "编码,名称\n1,2\n")
        text = units_csv(conn).decode("utf-8-sig")
    assert text == ("code,name,unit_type,street,population\n110101001,东华门街道,街道,东华门街道,52000\n"
                    "DOT,交通局,区级部门,,\n")


def test_saved_mapping_round_trip_audited_and_found_by_name(engine, tmp_path):
    toml = '[columns]\ncase_no = "单号"\n[defaults]\nunit_type = "区级部门"\ncat_l1 = "未分类"\n'
    with engine.begin() as conn:
        save_mapping(conn, "我们的系统", toml, "staff1")
        assert resolve_mapping(conn, "我们的系统").headers["case_no"][0] == "单号"
        assert mapping_toml(conn, "我们的系统") == toml
        assert ("我们的系统", "我们的系统") in all_mappings(conn)
        with pytest.raises(ImportRefused, match="系统自带"):
            save_mapping(conn, "open311", toml)
        with pytest.raises(ImportRefused, match="格式错误"):
            save_mapping(conn, "坏的", "[columns\n")
        with pytest.raises(ImportRefused, match="可用: canonical, 12345, open311, 我们的系统"):
            resolve_mapping(conn, "nosuch")
        actions = conn.execute(select(audit_log.c.action, audit_log.c.user_name)).all()
    assert ("mapping_save", "staff1") in actions
    result = import_bytes(engine, csv_bytes([["S1", "2025-03-01 08:00", "交通局"]], header=["单号", "受理时间",
                                                                                          "承办单位"]), "s.csv",
                          mapping=resolve_mapping(engine.connect(), "我们的系统"))
    assert (result.new, result.rejected, result.new_units) == (1, 0, ["交通局"])


def test_preview_writes_nothing_and_counts_what_would_be_rejected(engine):
    board = mapping_from_toml("board", '[columns]\ncase_no = "编号"\nreceived_at = "时间"\n'
                                       '[defaults]\nunit_type = "区级部门"\ncat_l1 = "未分类"\n'
                                       '[extract.unit]\nfrom = "主题"\npattern = "^([A-Z]\\\\d*[市区县])"\n')
    data = csv_bytes([["1", "2019/3/7 18:32:24", "A7县停水"], ["2", "2019/3/8 10:00", "没有地区"],
                      ["1", "2019/3/9 08:00:00", "A市"], ["3", "不是日期", "B市"]], header=["编号", "时间", "主题"])
    preview = preview_import(engine, data, "board.csv", board)
    assert (preview.checked, preview.rejected, preview.whole_file) == (4, 3, True)
    assert [r["unit"] for r in preview.rows] == ["A7县"] and preview.new_units == ["A7县"]
    assert [n for n, _ in preview.rejected_rows] == [3, 4, 5]
    assert dict(preview.reasons) == {
        "缺少承办单位（取自主题） (unit is missing)": 1,
        "工单编号 1 与第 2 行重复 (case_no duplicates row 2)": 1,
        "时间不是有效的日期时间，应为 YYYY-MM-DD HH:MM[:SS] (received_at: not a valid datetime, expected "
        "YYYY-MM-DD HH:MM[:SS])": 1}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(units_table)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(unit_aliases)).scalar() == 0


def test_units_csv_carries_no_live_formula(engine):
    """A unit name from an imported file reaches the units CSV quoted, so a spreadsheet shows it and runs nothing."""
    units(engine, ("=HYPERLINK(\"http://x\")", "区级部门"))
    with engine.connect() as conn:
        text = units_csv(conn).decode("utf-8-sig")
    assert "'=HYPERLINK(\"\"http://x\"\")" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
