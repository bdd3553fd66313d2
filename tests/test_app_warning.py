"""AppTest of the 预警 page on a small district (tests/test_foresight.py's weeks): forecasts with their measured
error, 数据不足 where history is short, last year's places, and the button that puts a warning on the agenda."""
import pytest
from sqlalchemy import select

from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import write_cases
from data_access.storage.engine import make_engine
from data_access.storage.schema import meeting_items
from tests.app_fixture import open_app
from tests.dbs import migrated_engine
from tests.factories import case_row, units
from tests.test_foresight import _rows


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('warning') / 'cases.db'}"
    engine = migrated_engine(url)
    u = units(engine, ("和平里街道", "街道"), ("区水务局", "区级部门"))
    rows = _rows(u["和平里街道"], u["区水务局"])
    with engine.begin() as conn:  # a demo batch: the app opens without a login, as staff
        batch = start_batch(conn, "演示区", "fixture", source="demo")
        result = write_cases(conn, rows, batch)
        finish_batch(conn, batch, n_rows=len(rows), n_new=result.new, n_updated=0, n_unchanged=0, n_rejected=0)
    engine.dispose()
    return url


def _table(at, index):
    return at.dataframe[index].value


def test_forecasts_by_category_with_their_error(url, monkeypatch):
    at = open_app(monkeypatch, url, "pages/warning.py")
    assert [s.value for s in at.subheader] == ["突增预警", "季节性议题", "预测明细", "提前排查", "月末成绩预测", "每日专报"]
    table = _table(at, 0).set_index("二级分类")
    assert table.loc["室温不达标", "预测诉求量"] == 3 and table.loc["室温不达标", "预测上限"] == 3
    assert table.loc["室温不达标", "模型回测误差"] == 0 and table.loc["室温不达标", "预测状态"] == "ok"
    assert "2025年第22周" in at.selectbox(key="wn_period_W").value


def test_streets_with_a_short_history_read_data_insufficient(url, monkeypatch):
    at = open_app(monkeypatch, url, "pages/warning.py")
    at.segmented_control(key="wn_by").set_value("street").run()
    table = _table(at, 0).set_index("所属街道")
    assert table.loc["景山街道", "预测状态"] == "数据不足"
    assert table.loc["景山街道"][["预测诉求量", "模型回测误差"]].isna().all()  # no number is shown for it


def test_last_years_places_and_the_agenda_button(url, monkeypatch):
    # AppTest resets the legacy pages/ flag on every run: ui.auth's one-time rerun into app.py would swallow the click
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    at = open_app(monkeypatch, url, "pages/warning.py")
    at.selectbox(key="wn_pick_cat_l2").set_value("路面积水").run()
    places = _table(at, 1)
    assert places.values.tolist() == [["东华门大街1号", "东华门街道", 3], ["王府井大街2号", "东华门街道", 1]]
    assert _table(at, 2).values.tolist() == [["区水务局", 4]]
    at.button(key="wn_agenda_cat_l2_路面积水").click().run()
    assert not at.exception and any("已将“预警：路面积水”加入" in s.value for s in at.success)
    with make_engine(url).connect() as conn:
        item = conn.execute(select(meeting_items.c.kind, meeting_items.c.ref, meeting_items.c.reason)).one()
    assert item[:2] == ("note", "warning:cat_l2:路面积水") and "模型回测误差" in item[2]


def test_the_daily_report_is_offered_for_the_last_day(url, monkeypatch):
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    at = open_app(monkeypatch, url, "pages/warning.py")
    at.button(key="wn_daily").click().run()
    assert not at.exception and not at.error
    assert at.get("download_button")[0].proto.label == "下载每日专报（Word）"


def test_staff_set_a_units_target_on_the_data_page(url, monkeypatch):
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    at = open_app(monkeypatch, url, "pages/data.py")
    at.text_input(key="target_month").set_value("2025-05").run()
    assert not at.exception and not at.error
    assert at.button(key="save_targets").disabled  # nothing changed yet


def test_target_edits_become_stored_fractions_and_defaults():
    import pandas as pd

    from ui.data_admin import target_changes
    before = pd.DataFrame({"id": [1, 2], "score": [float("nan"), 90.0], "resolution": [float("nan"), 88.0],
                           "satisfaction": [float("nan")] * 2})
    after = before.assign(score=[96.0, 90.0], resolution=[float("nan"), float("nan")], satisfaction=[92.5, float("nan")])
    # unit 1 gets a score and a 满意率 (92.5 % → 0.925); unit 2's 解决率 goes back to the rules' default
    assert target_changes(before, after) == {1: {"score": 96.0, "satisfaction": 0.925}, 2: {"resolution": None}}


def test_cases_without_a_complete_week_read_data_insufficient_not_no_cases(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    engine = migrated_engine(url)
    u = units(engine, ("和平里街道", "街道"))["和平里街道"]
    rows = [case_row(f"S{i}", u, f"2025-03-0{i} 09:00:00", cat_l2="路面积水") for i in (4, 5)]  # Tue, Wed: no whole week
    with engine.begin() as conn:
        batch = start_batch(conn, "演示区", "short", source="demo")
        result = write_cases(conn, rows, batch)
        finish_batch(conn, batch, n_rows=2, n_new=result.new, n_updated=0, n_unchanged=0, n_rejected=0)
    engine.dispose()
    at = open_app(monkeypatch, url, "pages/warning.py")
    assert [i.value for i in at.info][-1] == "还没有一个完整的周带二级分类的工单：数据不足，无法预测。"
