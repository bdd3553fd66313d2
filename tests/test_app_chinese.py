"""Chinese only on screen: audit actions and details in words, preset names, "—" for missing values, error
messages without their English tail. AppTest on tests/app_fixture.py's district (demo mode: role staff)."""
import json

import pytest

from data_access.records import audit
from data_access.storage.engine import make_engine
from tests import app_fixture
from ui.audit_text import action_text, detail_text
from ui.auth import User
from ui.plain import chinese


def test_audit_actions_and_details_in_words():
    assert action_text("undo") == "撤销导入" and action_text("agenda_save") == "保存议程"
    detail = json.dumps({"batch": 3, "file": "march.csv", "new": 120, "rejected": 0, "new_units": []})
    assert detail_text("import", detail) == "批次：3；文件：march.csv；新增：120；拒收：0；新单位：—"
    assert detail_text("population", json.dumps({"7": 35000})) == "单位 7：人口 35000"
    assert detail_text("login", "") == "—"
    assert detail_text("note", "手工备注") == "手工备注"  # not JSON: as written


def test_error_messages_lose_their_english_tail_only():
    assert chinese("议程事项的名称 label 不能为空 (label is required)") == "议程事项的名称 label 不能为空"
    assert chinese("单位序号 9 不存在 (unit_id 9 not found)") == "单位序号 9 不存在"
    assert chinese("考核期写法不对：2025年（应为 2025-03）") == "考核期写法不对：2025年（应为 2025-03）"


@pytest.fixture
def url(tmp_path):
    db = f"sqlite:///{tmp_path / 'cases.db'}"
    app_fixture.build(db)
    return db


def test_the_audit_page_reads_in_chinese(url, monkeypatch):
    engine = make_engine(url)
    with engine.begin() as conn:
        audit.record(conn, "张三", "undo", {"batch": 4}, 12)
        audit.record(conn, "李四", "login_failed", {"mode": "local"})
    engine.dispose()
    monkeypatch.setattr("ui.auth.current_user", lambda: User("管理员", "admin"))
    at = app_fixture.open_app(monkeypatch, url, "pages/audit.py")
    log = at.dataframe[0].value
    assert list(log["操作"])[:2] == ["登录失败", "撤销导入"]
    assert list(log["内容"])[:2] == ["方式：local", "批次：4"]
    assert "undo" not in at.selectbox(key="audit_action").options
    assert "撤销导入" in at.selectbox(key="audit_action").options


def test_presets_have_chinese_names_in_the_sidebar(url, monkeypatch):
    at = app_fixture.open_app(monkeypatch, url)
    choice = at.sidebar.selectbox(key="rules")
    assert choice.options == ["默认规则", "北京 2019 年口径", "311 类数据（无回访评价）"]
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "默认规则：响应率 10% · 解决率 45% · 满意率 45%" in captions and "METRICS.md" not in captions
