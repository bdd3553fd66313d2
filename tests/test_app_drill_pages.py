"""AppTest of the drill-down pages (后进会诊, 高频点位, 数据管理) on the hand-checked fixture district.

Expected figures are worked out by hand in tests/drill_fixture.py (its docstring shows the arithmetic).
"""
import json
from pathlib import Path

import h3
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from data_access.queries.case_queries import CaseFilter
from tests.drill_fixture import build
from ui.auth import User
from ui.cases import masked, scoped
from ui.data_admin import population_changes

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STAFF = User("中心值班员", "staff")
LEADER = User("区领导", "leader")


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A function that opens a page of the app (with URL parameters) on a fresh fixture database."""
    build(f"sqlite:///{tmp_path / 'cases.db'}", tmp_path / "rules.toml")
    monkeypatch.setenv("CASES_DB_URL", f"sqlite:///{tmp_path / 'cases.db'}")
    monkeypatch.setenv("SCORING_RULES", str(tmp_path / "rules.toml"))
    monkeypatch.delenv("AUTH_MODE", raising=False)
    # AppTest resets Streamlit's legacy pages/ flag on every run, so ui.auth's once-per-process rerun into app.py
    # would fire on every run here and swallow each button click; a real server does it on its first request only.
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)

    def open_page(page: str, **params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params)
        at.switch_page(page)  # before the first run, as a browser opening the page's URL
        at.run()
        assert_clean(at)
        return at
    return open_page


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _index(at: AppTest, key: str) -> int:
    return next(i for i, d in enumerate(at.dataframe) if d.proto.id.endswith(f"-{key}"))


def table(at: AppTest, key: str) -> pd.DataFrame:
    return at.dataframe[_index(at, key)].value


def table_after(at: AppTest, key: str) -> pd.DataFrame:
    """The table drawn next after the keyed one (a selected case's timeline follows its list)."""
    return at.dataframe[_index(at, key) + 1].value


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def chart_data(at: AppTest) -> list[pd.DataFrame]:
    """The data of every Altair chart on the page, in order."""
    charts = [e for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    return [convert_arrow_bytes_to_pandas_df(c.proto.datasets[0].data.data) for c in charts]


def select_rows(at: AppTest, **rows: int) -> None:
    """Select a row in each keyed table (AppTest cannot click; a table's selection lives in its session state)."""
    for key, row in rows.items():
        at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)


def as_user(monkeypatch, user: User) -> None:
    monkeypatch.setattr("ui.auth.current_user", lambda: user)


# --- 后进会诊 ---

def test_lagging_watchlist_points_lost_and_gap(app):
    at = app("pages/lagging.py")
    watch = at.dataframe[0].value
    assert list(watch["承办单位"]) == ["交道口街道"]
    assert list(watch["连续后进期数"]) == [2] and list(watch["连续后进"]) == [True]
    assert metrics(at) == {"综合成绩": "52.50", "失分合计": "47.50", "失分工单": "2 件", "差几件": "2 件"}
    lost = table(at, "lag_lost_table")
    assert list(lost["工单编号"]) == ["MC1", "MC2"]
    assert list(lost["工单失分"]) == pytest.approx([25.0, 22.5])
    callers = at.dataframe[-1].value
    assert list(callers["来电号码"]) == ["1*********1"] and list(callers["工单数"]) == [3]
    assert [c.value for c in at.header] == ["交道口街道 · 失分分析"]


def test_lagging_charts_get_points_per_rate_category_and_community(app):
    at = app("pages/lagging.py")
    per_rate, by_category, by_community, trend = chart_data(at)
    assert dict(zip(per_rate["rate"], per_rate["lost_points"])) == pytest.approx(
        {"响应率": 2.5, "解决率": 22.5, "满意率": 22.5})
    assert dict(zip(by_category["cat_l1"], by_category["cost"])) == pytest.approx({"物业管理": 25.0, "市容环卫": 22.5})
    assert dict(zip(by_community["community"], by_community["cost"])) == pytest.approx(
        {"北新桥社区": 25.0, "民安社区": 22.5})
    unit_trend = trend[trend["unit_name"] == "交道口街道"]
    assert list(unit_trend["period_label"])[-2:] == ["2025年2月", "2025年3月"]
    assert list(unit_trend["adjusted_score"])[-2:] == pytest.approx([77.5, 52.5])


def test_a_typed_target_changes_the_gap(app):
    at = app("pages/lagging.py")
    at.number_input(key="lag_target_3_2025-03").set_value(75.0).run()
    assert_clean(at)
    assert metrics(at)["差几件"] == "1 件"  # 52.50 + 25.00 = 77.50 ≥ 75
    at.number_input(key="lag_target_3_2025-03").set_value(101.0).run()
    assert metrics(at)["差几件"] == "—"  # even all cases reach only 100


def test_the_period_in_the_url_changes_the_figures(app):
    at = app("pages/lagging.py", period="2025-02")
    watch = at.dataframe[0].value
    assert list(watch["连续后进期数"]) == [1] and list(watch["连续后进"]) == [False]
    # February: 交道口 77.50, one case of Δ 22.50 short of the red flags' 100
    assert metrics(at) == {"综合成绩": "77.50", "失分合计": "22.50", "失分工单": "1 件", "差几件": "1 件"}


def test_a_lost_case_opens_with_its_timeline_and_text_masked_for_a_leader(app, monkeypatch):
    as_user(monkeypatch, LEADER)
    at = app("pages/lagging.py")
    select_rows(at, lag_lost_table=0)
    assert "工单 MC1" in [s.value for s in at.subheader]
    timeline = table_after(at, "lag_lost_table")
    assert list(timeline["环节"]) == ["受理时间", "响应时间", "办结时间", "回访时间"]
    assert list(timeline["自受理起（小时）"]) == [0.0, 30.0, 48.0, 72.0]
    # The markdown source escapes every sign (ui.plain); compare the text as it is displayed.
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "1*********8" in text and "13912345678" not in text
    assert "解决情况：未解决" in text and "满意度：不满意" in text


# --- 高频点位 ---

def test_hotspot_table_map_and_the_cases_of_a_chosen_place(app):
    at = app("pages/hotspots.py")
    spots = table(at, "hs_table")
    assert list(spots["地点"]) == ["东华门大街1号", "景山前街5号"]
    assert list(spots["诉求量"]) == [3, 2] and list(spots["上期诉求量"]) == [1, 2]
    assert list(spots["诉求量变化"]) == [2, 0] and list(spots["点位状态"]) == ["突增", "高频"]
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    areas, outline, points, labels = deck["layers"]  # street areas and the district outline under the spots
    assert (areas["@@type"], outline["@@type"]) == ("PolygonLayer", "PathLayer")
    assert {a["name"] for a in areas["data"]} == {"东华门街道", "景山街道"} and outline["data"]
    assert [p["volume"] for p in points["data"]] == [3, 2]
    assert labels["characterSet"] == "auto" and {d["name"] for d in labels["data"]} == {"东华门街道", "景山街道"}
    select_rows(at, hs_table=0)
    assert list(table(at, "hs_cases_table")["工单编号"]) == ["MA3", "MA2", "MA1"]
    select_rows(at, hs_table=0, hs_cases_table=0)
    assert "工单 MA3" in [s.value for s in at.subheader]


def test_hotspots_by_h3_cell_draw_hexagons(app):
    at = app("pages/hotspots.py")
    at.segmented_control(key="hs_by").set_value("h3").run()
    assert_clean(at)
    spots = table(at, "hs_table")
    assert list(spots["诉求量"]) == [3, 2] and list(spots["点位状态"]) == ["突增", "高频"]
    _, _, cells, _ = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]
    assert cells["@@type"] == "H3HexagonLayer"
    assert [c["key"] for c in cells["data"]] == [h3.latlng_to_cell(39.9151, 116.4031, 9),
                                                 h3.latlng_to_cell(39.9242, 116.3975, 9)]
    select_rows(at, hs_table=0)
    assert list(table(at, "hs_cases_table")["工单编号"]) == ["MA3", "MA2", "MA1"]


def test_a_chosen_hotspot_goes_onto_the_next_meeting_agenda(app):
    at = app("pages/hotspots.py")
    select_rows(at, hs_table=0)
    at.button(key=next(b.key for b in at.button if b.key.startswith("hs_agenda_"))).click()
    select_rows(at, hs_table=0)
    assert len(at.success) == 1 and at.success[0].value.startswith("已将“东华门大街1号”加入")


def test_case_lists_are_paged(app, monkeypatch):
    monkeypatch.setattr("ui.cases.PAGE_SIZE", 2)
    at = app("pages/hotspots.py")
    select_rows(at, hs_table=0)
    assert list(table(at, "hs_cases_table")["工单编号"]) == ["MA3", "MA2"]
    assert "共 3 件，第 1 / 2 页，每页最多 2 件。" in " ".join(c.value for c in at.caption)
    at.number_input(key="hs_cases_page").set_value(2)
    select_rows(at, hs_table=0)
    assert list(table(at, "hs_cases_table")["工单编号"]) == ["MA1"]


def test_a_drill_button_opens_the_cases_in_a_dialog(app):
    at = app("pages/overview.py")
    at.button(key="ov_volume").click().run()
    assert_clean(at)
    cases = table(at, "ov_volume_dlg_table")
    assert len(cases) == 12 and set(cases["工单编号"]) >= {"MA1", "MB4", "MC4"}


def test_street_filter_in_the_url_narrows_the_hotspots(app):
    at = app("pages/hotspots.py", street="景山街道")
    assert list(table(at, "hs_table")["地点"]) == ["景山前街5号"]


# --- 数据管理 ---

IMPORT_CSV = ("工单编号,受理时间,承办单位,一级分类,解决情况,满意度\n"
              "N1,2025-03-20 09:00,交道口街道,市容环卫,解决,满意\n"
              "N2,,交道口街道,市容环卫,解决,满意\n").encode("utf-8")


def test_import_shows_counts_and_rejects_then_undo_restores(app):
    at = app("pages/data.py")
    at.file_uploader(key="imp_file").set_value(("new.csv", IMPORT_CSV, "text/csv")).run()
    at.button(key="imp_go").click().run()
    assert_clean(at)
    assert any("共 2 行，新增 1 件，更新 0 件，未变 0 件，拒收 1 行" in s.value for s in at.success)
    batches = table(at, "batch_table")
    assert list(batches["批次"]) == [3, 2, 1] and list(batches["拒收"]) == [1, 0, 0]
    select_rows(at, batch_table=0)
    rejects = next(d.value for d in at.dataframe if "原行号" in d.value.columns)
    assert list(rejects["原行号"]) == [3] and "受理时间" in rejects["拒收原因"].iloc[0]
    assert at.button(key="undo_3").disabled
    at.checkbox(key="undo_sure_3").check()
    select_rows(at, batch_table=0)
    at.button(key="undo_3").click()
    select_rows(at, batch_table=0)
    assert_clean(at)
    assert "批次 3 已撤销，恢复了 1 件工单。" in [s.value for s in at.success]
    assert list(table(at, "batch_table")["状态"]) == ["已撤销", "有效", "有效"]


def test_an_import_without_response_and_close_times_says_which_rates_read_no_data(app):
    at = app("pages/data.py")
    data = "工单编号,受理时间,承办单位,一级分类\nNP1,2025-03-21 09:00,交道口街道,市容环卫\n".encode("utf-8")
    at.file_uploader(key="imp_file").set_value(("no_times.csv", data, "text/csv")).run()
    at.button(key="imp_go").click().run()
    assert_clean(at)
    said = " ".join(s.value for s in at.success)
    assert "此文件没有响应时间列，响应率将显示为无数据" in said and "此文件没有办结时间列，按时办结率将显示为无数据" in said
    assert "此文件没有解决情况列，解决率、首办双肯率将显示为无数据" in said
    select_rows(at, batch_table=0)
    assert "此文件没有满意度列，满意率、首办双肯率将显示为无数据。" in [c.value for c in at.caption]


def test_an_adjustment_enters_the_unit_score(app):
    at = app("pages/data.py")
    at.selectbox(key="adj_unit").set_value(3)
    at.text_input(key="adj_period").set_value("2025-03")
    at.number_input(key="adj_points").set_value(5.0)
    at.text_input(key="adj_reason").set_value("主动治理老旧小区漏雨")
    button(at, "保存加减分").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == ["已为交道口街道记录 +5.00 分（2025-03）。"]
    at.switch_page("pages/lagging.py")
    at.run()
    assert metrics(at)["综合成绩"] == "57.50"


def test_an_adjustment_without_reason_is_refused(app):
    at = app("pages/data.py")
    at.number_input(key="adj_points").set_value(5.0)
    button(at, "保存加减分").click().run()
    assert [e.value.replace("\\", "") for e in at.error] == ["加减分必须填写原因"]  # the English tail is for the command line only


def test_a_new_unit_is_added_once(app):
    at = app("pages/data.py")
    for expected in (["已新增单位：北新桥街道"], []):
        at.text_input(key="new_unit_name").set_value(" 北新桥街道 ")
        at.number_input(key="new_unit_pop").set_value(61000)
        button(at, "新增单位").click().run()
        assert [s.value for s in at.success] == expected
    assert [e.value.replace("\\", "") for e in at.error] == ["单位名称或编码已存在：北新桥街道"]
    assert at.selectbox(key="adj_unit").options == ["东华门街道", "景山街道", "交道口街道", "北新桥街道"]


def test_data_page_is_for_staff_only(app, monkeypatch):
    as_user(monkeypatch, User("系统管理员", "admin"))  # admin sees the page in the menu, but may not change data
    at = app("pages/data.py")
    assert [w.value for w in at.warning] == ["数据管理（导入、撤销、加减分、单位维护）仅限中心工作人员使用。"]
    assert not at.file_uploader


# --- access rules of the case list (no app run needed) ---

def test_a_unit_user_sees_only_its_own_cases():
    unit_user = User("交道口街道", "unit", unit_id=3)
    assert scoped(CaseFilter(unit_ids=None), unit_user).unit_ids == (3,)
    assert scoped(CaseFilter(unit_ids=(3,)), unit_user).unit_ids == (3,)
    assert scoped(CaseFilter(unit_ids=(1, 2)), unit_user) is None
    assert scoped(CaseFilter(unit_ids=()), unit_user) is None
    assert scoped(CaseFilter(unit_ids=(1,)), STAFF).unit_ids == (1,)


def test_case_text_masked_for_roles_without_case_access():
    frame = pd.DataFrame({"case_no": ["X"], "content": ["请回电13912345678"]})
    assert masked(frame, LEADER)["content"].iloc[0] == "请回电1*********8"
    assert masked(frame, STAFF)["content"].iloc[0] == "请回电13912345678"


def test_population_changes_only_the_edited_rows():
    before = pd.DataFrame({"id": [1, 2, 3], "population": [50000, None, 42000]})
    after = pd.DataFrame({"id": [1, 2, 3], "population": [50000, 61000, None]})
    assert population_changes(before, after) == {2: 61000, 3: None}
