"""Column mappings: shipped ones load, a center's own TOML file works by path, bad files are refused clearly."""
import pytest

from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.column_mappings import canonical, list_mappings, load_mapping


def test_canonical_takes_chinese_headers_and_english_keys_case_insensitively():
    located = canonical().locate([" 工单编号 ", "RECEIVED_AT", "其他", "\ufeff承办单位"])
    assert located == {"case_no": 0, "received_at": 1, "unit": 3}


def test_shipped_mappings_are_listed_and_read_311_exports():
    assert [name for name, _ in list_mappings()][:3] == ["canonical", "12345", "open311"]
    nyc = load_mapping("open311").locate(["Unique Key", "Created Date", "Agency", "Complaint Type", "Latitude"])
    assert nyc == {"case_no": 0, "received_at": 1, "unit": 2, "cat_l1": 3, "lat": 4}
    assert load_mapping("open311").defaults == {"unit_type": "区级部门"}


def test_a_mapping_file_given_by_path(tmp_path):
    path = tmp_path / "ours.toml"
    path.write_text('label = "我们的系统"\n[columns]\ncase_no = "单号"\nunit = ["责任单位", "主办"]\n'
                    '[values.urgency]\n"急" = "紧急"\n', encoding="utf-8")
    ours = load_mapping(str(path))
    assert (ours.name, ours.label, ours.values) == ("ours", "我们的系统", {"urgency": {"急": "紧急"}})
    # Its own headers first, the canonical ones still accepted.
    assert ours.locate(["主办", "受理时间", "单号"]) == {"unit": 0, "received_at": 1, "case_no": 2}


@pytest.mark.parametrize("text, message", [
    ("[columns]\nphone = \"电话\"\n", "未知字段 phone"),
    ("colums = 1\n", r"未知的项 \['colums'\]"),
    ("[columns]\ncase_no = 5\n", "columns.case_no 应为表头或表头列表"),
    ("[columns\n", "格式错误"),
    ("columns = 1\n", r"columns 应为表 \[columns\]"),
])
def test_bad_mapping_files_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRefused, match=message):
        load_mapping(str(path))


def test_unknown_name_lists_what_there_is():
    with pytest.raises(ImportRefused, match="可用: canonical, 12345, open311"):
        load_mapping("nosuch")


def test_a_header_claimed_twice_is_refused():
    with pytest.raises(ImportRefused, match="出现了 2 次"):
        canonical().locate(["工单编号", "受理时间", "工单编号"])
