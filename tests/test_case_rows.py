"""One file row to a clean row or its reasons (no database): formats, value lists, cross-checks, messages."""
from datetime import datetime

import pytest

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.case_rows import RowParser
from data_access.ingest.column_mappings import canonical, load_mapping

HEADERS = ["工单编号", "受理时间", "承办单位", "一级分类", "办结时间", "满意度", "经度", "纬度", "来电号码", "标签",
           "派单次数", "是否特例", "问题分类"]


def parse(crs="wgs84", headers=HEADERS, mapping=None, **cells):
    parser = RowParser(mapping or canonical(), headers, crs, b"test-key")
    by_header = {"工单编号": "A1", "受理时间": "2025-03-01 08:00", "承办单位": "东华门街道", "一级分类": "市容环卫"}
    by_header.update({k.replace("_", ""): v for k, v in cells.items()})
    return parser.parse([by_header.get(h, "") for h in headers])


def test_both_date_formats_and_optional_seconds_parse_to_the_same_instant():
    row, reasons = parse(受理时间="2025/3/1 8:05", 办结时间="2025-03-02 09:00:30")
    assert reasons == []
    assert row["received_at"] == datetime(2025, 3, 1, 8, 5)
    assert row["closed_at"] == datetime(2025, 3, 2, 9, 0, 30)


@pytest.mark.parametrize("bad", ["2025-13-01 08:00", "2025-03-01 8", "明天上午", "1899-12-31 08:00", "03/01/2025 08:00"])
def test_unparseable_received_at_rejects_the_row_naming_the_column(bad):
    row, reasons = parse(受理时间=bad)
    assert row is None
    assert len(reasons) == 1 and reasons[0].startswith(f"受理时间「{bad}」") and "(received_at:" in reasons[0]


def test_every_problem_of_a_row_is_reported_at_once():
    row, reasons = parse(工单编号="", 满意度="很满意", 派单次数="0", 是否特例="Y", 经度="200", 纬度="39.9")
    assert row is None
    assert [r.split("(")[-1].split(":")[0].split(" ")[0] for r in reasons] == \
        ["lon", "satisfaction", "dispatch_count", "excluded", "case_no"]
    assert reasons[-1] == "缺少工单编号 (case_no is missing)"


def test_closed_before_received_and_half_a_coordinate_are_rejected():
    _, reasons = parse(办结时间="2025-02-28 08:00", 经度="116.4")
    assert reasons == ["办结时间早于受理时间 (closed_at is before received_at)",
                       "经度和纬度须同时填写 (lon and lat must be given together)"]


def test_values_are_converted_phone_reduced_and_tags_wrapped():
    row, _ = parse(来电号码="+86 138-1234-5678", 标签="每月一题；疑难; ", 派单次数="2", 是否特例="是", 满意度="基本满意")
    same_phone, _ = parse(来电号码="13812345678")
    other_phone, _ = parse(来电号码="13812345679")
    assert row["caller_masked"] == "1*********8"
    assert row["caller_key"] == same_phone["caller_key"] != other_phone["caller_key"]
    assert "caller_phone" not in row and not any("12345678" in str(v) for v in row.values())
    assert (row["tags"], row["dispatch_count"], row["excluded"], row["satisfaction"]) == \
        (";每月一题;疑难;", 2, True, "基本满意")


def test_category_path_fills_levels_when_level_columns_are_empty():
    row, _ = parse(一级分类="", 问题分类="城乡建设 -> 违法建设->住宅->加层")
    assert (row["cat_l1"], row["cat_l2"], row["cat_l3"]) == ("城乡建设", "违法建设", "住宅->加层")
    row, _ = parse(问题分类="城乡建设->违法建设")
    assert (row["cat_l1"], row.get("cat_l2")) == ("市容环卫", None)
    _, reasons = parse(一级分类="")
    assert reasons == ["缺少一级分类 (cat_l1 is missing)"]


def test_gcj02_coordinates_are_stored_as_wgs84():
    row, _ = parse(crs="gcj02", 经度="123", 纬度="45")
    assert row["lon"] == pytest.approx(122.99395597, abs=5e-6)
    assert row["lat"] == pytest.approx(44.99804071, abs=5e-6)


def test_text_longer_than_its_column_is_rejected_not_cut():
    _, reasons = parse(工单编号="X" * 65)
    assert reasons == [f"工单编号「{'X' * 30}…」超过 64 个字符 (case_no: longer than 64 characters)"]


def test_english_keys_are_accepted_as_headers():
    parser = RowParser(canonical(), ["case_no", "received_at", "unit", "cat_l1"], "wgs84", b"k")
    row, reasons = parser.parse(["A1", "2025-03-01 08:00", "景山街道", "交通管理"])
    assert reasons == [] and (row["case_no"], row["unit"], row["cat_l1"]) == ("A1", "景山街道", "交通管理")


def test_missing_required_columns_refuse_the_whole_file():
    with pytest.raises(ImportRefused, match=r"缺少必需的列: 承办单位、一级分类 \(missing required columns: unit, cat_l1\)"):
        RowParser(canonical(), ["工单编号", "受理时间"], "wgs84", b"k")


def test_a_mapping_renames_columns_translates_values_and_names_its_own_headers_in_reasons():
    headers = ["工单号", "来电时间", "主办单位", "诉求分类", "是否解决"]
    parser = RowParser(load_mapping("12345"), headers, "wgs84", b"k")
    row, _ = parser.parse(["G1", "2025年3月1日 08:05", "景山街道", "住房->物业", "已解决"])
    assert (row["case_no"], row["received_at"], row["cat_l2"], row["solved"]) == \
        ("G1", datetime(2025, 3, 1, 8, 5), "物业", "解决")
    _, reasons = parser.parse(["G2", "昨天", "景山街道", "住房", ""])
    assert reasons[0].startswith("来电时间「昨天」")


def parsed_with_notes(**cells):
    parser = RowParser(canonical(), HEADERS, "wgs84", b"k")
    by_header = {"工单编号": "A1", "受理时间": "2025-03-01 08:00", "承办单位": "东华门街道", "一级分类": "市容环卫", **cells}
    row, reasons = parser.parse([by_header.get(h, "") for h in HEADERS])
    return row, reasons, parser.notes


def test_optional_text_is_cut_to_fit_and_noted_tags_at_a_whole_tag():
    # 52 tags fill 1 + 10 × 4 + 42 × 5 = 251 characters of 255; the 53rd (5 more) no longer fits
    row, reasons, notes = parsed_with_notes(标签=";".join(f"挂账{i}" for i in range(60)))
    assert (reasons, notes, len(row["tags"]), row["tags"].count(";")) == ([], {"cut_to_fit"}, 251, 53)
    assert row["tags"].endswith(";挂账51;")
    row, _, notes = parsed_with_notes(标签="长" * 300)  # one tag longer than the column: no tag kept
    assert (row.get("tags"), notes) == (None, {"cut_to_fit"})
    row, _, notes = parsed_with_notes(一级分类="", 问题分类="城建->" + "二" * 70 + "->三")
    assert (row["cat_l1"], row["cat_l2"], row["cat_l3"], notes) == ("城建", "二" * 64, "三", {"cut_to_fit"})
    _, reasons, _ = parsed_with_notes(一级分类="", 问题分类="一" * 70 + "->二")
    assert reasons == [f"问题分类「{'一' * 30}…」超过 64 个字符 (category: longer than 64 characters)"]


def test_a_date_alone_is_midnight_and_noted():
    parser = RowParser(canonical(), HEADERS, "wgs84", b"k")
    cells = {"工单编号": "A1", "受理时间": "2018/4/24", "承办单位": "东华门街道", "一级分类": "市容环卫"}
    row, reasons = parser.parse([cells.get(h, "") for h in HEADERS])
    assert (reasons, row["received_at"], parser.notes) == ([], datetime(2018, 4, 24), {"date_only"})
