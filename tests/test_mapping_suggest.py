"""Mappings for other systems' exports: the 311 mapping on API and upper-case headers, [extract] rules, the
suggester on a Chinese message-board export and a 311 API export (fixtures built here, not the real files)."""
import csv
import io

import pytest

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.case_rows import RowParser
from data_access.ingest.column_mappings import load_mapping, mapping_from_toml
from data_access.ingest.mapping_suggest import FALLBACK_UNIT, spec_to_toml, suggest, suggest_file

KEY = b"k"
API_HEADERS = ["unique_key", "created_date", "closed_date", "agency", "agency_name", "complaint_type", "descriptor",
               "incident_address", "borough", "status", "resolution_description", "latitude", "longitude", "location"]
API_ROW = ["60879417", "2024-04-16T03:03:15.000", "2024-04-16T05:00:00.000", "DOT", "Department of Transportation",
           "Street Condition", "Pothole", "MAIN STREET", "QUEENS", "Closed", "The Department fixed it.",
           "40.67679280229251", "-73.7379342313789", "\n,  \n(40.67679280229251, -73.7379342313789)"]
BOSTON_HEADERS = ["CASE_ENQUIRY_ID", "OPEN_DT", "TARGET_DT", "CLOSED_DT", "CASE_STATUS", "CASE_TITLE", "REASON",
                  "TYPE", "DEPARTMENT", "LOCATION", "NEIGHBORHOOD", "LATITUDE", "LONGITUDE"]
BOSTON_ROW = ["101001234567", "01/01/2015 12:04:00 AM", "", "01/02/2015 09:30:00 AM", "Closed", "Pothole Repair",
              "Highway Maintenance", "Request for Pothole Repair", "PWDx", "INTERSECTION of A St & B St",
              "South Boston", "42.3594", "-71.0587"]


def parse(mapping, headers, cells):
    return RowParser(mapping, headers, "wgs84", KEY).parse(cells)


def test_the_311_mapping_reads_socrata_api_names_and_their_timestamps():
    row, reasons = parse(load_mapping("open311"), API_HEADERS, API_ROW)
    assert reasons == []
    assert (row["case_no"], row["unit"], row["unit_type"], row["cat_l1"], row["cat_l2"]) == (
        "60879417", "DOT", "区级部门", "Street Condition", "Pothole")
    assert (str(row["received_at"]), str(row["closed_at"])) == ("2024-04-16 03:03:15", "2024-04-16 05:00:00")
    assert (row["address"], row["street"], row["lat"]) == ("MAIN STREET", "QUEENS", 40.67679280229251)


def test_the_311_mapping_reads_bostons_upper_case_export():
    row, reasons = parse(load_mapping("open311"), BOSTON_HEADERS, BOSTON_ROW)
    assert reasons == []
    assert (row["case_no"], row["unit"], row["cat_l1"], row["cat_l2"], row["content"], row["community"]) == (
        "101001234567", "PWDx", "Highway Maintenance", "Request for Pothole Repair", "Pothole Repair",
        "South Boston")
    assert (str(row["received_at"]), str(row["closed_at"])) == ("2015-01-01 00:04:00", "2015-01-02 09:30:00")


def test_a_refusal_shows_the_files_headers_and_suggests_mapping_suggest():
    with pytest.raises(ImportRefused) as refused:
        RowParser(load_mapping("12345"), ["留言编号", "留言时间", "留言主题"], "wgs84", KEY)
    assert "读到的表头为: 留言编号、留言时间、留言主题" in str(refused.value)
    assert "python cli.py mapping suggest" in str(refused.value)


EXTRACT = '''
[columns]
case_no = "留言编号"
received_at = "留言时间"
[defaults]
unit = "未指定单位"
unit_type = "区级部门"
cat_l1 = "未分类"
[extract.unit]
from = "留言主题"
pattern = "^([A-Z]\\\\d*[市区县])"
'''


@pytest.mark.parametrize("subject, unit", [
    ("A7县某小区停水三天", "A7县"), ("B市公交线路调整建议", "B市"), ("A2区景蓉华苑物业管理有问题", "A2区"),
    ("请加快提高民营幼儿园老师的待遇", FALLBACK_UNIT),   # no area named: [defaults]
    ("", FALLBACK_UNIT),
])
def test_extract_takes_the_unit_out_of_the_subject_and_falls_back_to_defaults(subject, unit):
    mapping = mapping_from_toml("board", EXTRACT)
    row, reasons = parse(mapping, ["留言编号", "留言主题", "留言时间"], ["17", subject, "2019/3/7 18:32:24"])
    assert reasons == [] and row["unit"] == unit


@pytest.mark.parametrize("rule, message", [
    ('from = "留言主题"\npattern = "([A-Z"\n', "extract.unit 的正则表达式无效"),
    ('from = "留言主题"\npattern = "[A-Z]+"\n', "须恰有一个捕获组（括号），现有 0 个"),
    ('from = "留言主题"\npattern = "(A)(B)"\n', "现有 2 个"),
    ('pattern = "(A)"\n', "应只含 from（表头）和 pattern"),
])
def test_a_bad_extract_rule_is_refused_clearly(rule, message):
    with pytest.raises(ImportRefused, match=message):
        mapping_from_toml("bad", f"[extract.unit]\n{rule}")


def board_export(rows: int = 40) -> bytes:
    """A message-board export as a Chinese government site gives it: no unit or category column, unpadded
    dates, one reply with no time of day, details wrapped in tabs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"])
    for i in range(rows):
        reply = "2019/4/24" if i == 30 else f"2019/4/{i % 20 + 5} 9:{i % 60:02d}:10"
        writer.writerow([str(2500 + i), f"A000{i}", f"A{i % 9}区道路{i}号坑洼", f"2019/3/{i % 27 + 1} 18:32:24",
                         "\n\t\t\t路面坑洼，请尽快修复\u3000", "您好，已转相关部门办理。", reply])
    return out.getvalue().encode()


def test_suggestion_on_a_chinese_message_board_export():
    proposal = suggest_file(board_export(), "board.csv", sample_rows=20)   # the date-only reply is past the sample
    chosen = {k: g.header for k, g in proposal.guesses.items() if g.header}
    assert chosen == {"case_no": "留言编号", "received_at": "留言时间", "content": "留言详情", "closed_at": "答复时间"}
    assert proposal.missing == ["cat_l1", "unit"]
    assert proposal.defaults == {"cat_l1": "未分类", "unit": "未指定单位", "unit_type": "区级部门"}
    # A bare date of the same shape as the sampled ones is accepted (exports write midnight so).
    assert proposal.datetime_formats == ["%Y/%m/%d"]
    assert proposal.guesses["case_no"].confidence > 0.9
    mapping = proposal.mapping("board")
    parser = RowParser(mapping, proposal.headers, "wgs84", KEY)
    rows = list(csv.reader(io.StringIO(board_export().decode())))[1:]
    parsed = [parser.parse(r) for r in rows]
    assert [reasons for _, reasons in parsed if reasons] == []
    assert str(parsed[30][0]["closed_at"]) == "2019-04-24 00:00:00"


def test_suggestion_on_a_311_api_export_recognises_status_and_not_the_reply():
    proposal = suggest(API_HEADERS, [API_ROW, ["60879418", *API_ROW[1:9], "Open", *API_ROW[10:]]])
    chosen = {k: g.header for k, g in proposal.guesses.items() if g.header}
    assert chosen == {"case_no": "unique_key", "received_at": "created_date", "closed_at": "closed_date",
                      "unit": "agency", "cat_l1": "complaint_type", "cat_l2": "descriptor",
                      "address": "incident_address", "street": "borough", "lat": "latitude", "lon": "longitude"}
    assert proposal.missing == [] and proposal.defaults == {"unit_type": "区级部门"}
    assert "「status」像是办理状态" in proposal.notes[0]


def test_value_lists_are_recognised_and_translated():
    headers = ["工单号", "来电时间", "主办单位", "问题类型", "是否解决", "评价结果"]
    rows = [["G1", "2025年3月1日 08:00", "东华门街道", "供水", "已解决", "非常满意"],
            ["G2", "2025年3月2日 09:30", "东华门街道", "供水", "未解决", "不满意"]]
    proposal = suggest(headers, rows)
    assert proposal.values == {"solved": {"已解决": "解决"}, "satisfaction": {"非常满意": "满意"}}
    assert proposal.datetime_formats == ["%Y年%m月%d日 %H:%M", "%Y年%m月%d日"]
    row, reasons = parse(proposal.mapping(), headers, rows[0])
    assert reasons == [] and (row["solved"], row["satisfaction"], str(row["received_at"])) == (
        "解决", "满意", "2025-03-01 08:00:00")


def test_the_toml_written_is_what_the_loader_reads():
    spec = {"label": "带\"引号\"的", "datetime_formats": ["%Y/%m/%d"], "columns": {"case_no": "编 号", "unit": "单位"},
            "values": {"solved": {"已解决": "解决"}}, "defaults": {"unit_type": "区级部门"},
            "extract": {"unit": {"from": "主题", "pattern": "^(\\w+区)"}}}
    mapping = mapping_from_toml("t", spec_to_toml(spec))
    assert (mapping.label, mapping.headers["case_no"][0], mapping.values, mapping.extract["unit"][0]) == (
        '带"引号"的', "编 号", {"solved": {"已解决": "解决"}}, "主题")
    assert mapping.extract["unit"][1].pattern == "^(\\w+区)"


def test_a_name_whose_values_do_not_fit_is_not_taken():
    """An SF-style 311 export: `Request Type` holds categories, not the 咨询/求助/… list; `CaseID` is case_id."""
    headers = ["CaseID", "Opened", "Closed", "Responsible Agency", "Category", "Request Type", "Status"]
    rows = [["101", "01/05/2024 08:01:00 AM", "", "DPW Ops Queue", "Street and Sidewalk Cleaning", "Bulky Items",
             "Open"],
            ["102", "01/05/2024 09:15:00 AM", "01/06/2024 10:00:00 AM", "Recology_Abandoned", "Graffiti",
             "Graffiti on Building", "Closed"]]
    proposal = suggest(headers, rows)
    chosen = {k: g.header for k, g in proposal.guesses.items() if g.header}
    assert chosen == {"case_no": "CaseID", "received_at": "Opened", "closed_at": "Closed",
                      "unit": "Responsible Agency", "cat_l1": "Category", "cat_l2": "Request Type"}
    assert proposal.datetime_formats[0] == "%m/%d/%Y %I:%M:%S %p"
    row, reasons = parse(proposal.mapping(), headers, rows[1])
    assert reasons == [] and str(row["received_at"]) == "2024-01-05 09:15:00"
