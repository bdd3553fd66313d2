"""The app shell: offline settings, first start, the login gate, the demo banner, URL filters, formats, exports,
chart builders, the rules text, and the filter-option queries (on all three databases)."""
import ast
import io
import tomllib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

import charts
from data_access.records import audit
from data_access.storage.engine import make_engine
from data_access.queries.filter_options import category_names, data_days, street_names
from metrics.rules import load_rules
from tests.app_fixture import APP, build, open_app
from tests.dbs import migrated_engine
from tests.factories import case_row, units, write
from ui import cache, first_run, rules_text
from ui import format as fmt
from ui.export import audited, csv_bytes, xlsx_bytes
from ui.filters import periods_between

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('app') / 'cases.db'}"
    build(url)
    return url


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --- offline configuration ---

def test_config_is_offline_safe_and_has_a_theme():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["headless"] is True
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["theme"]["baseFontSize"] >= 16


def test_no_material_icons_or_external_urls_in_the_ui():
    sources = [ROOT / "app.py", *map(str, (ROOT / "ui").glob("*.py")), *map(str, (ROOT / "pages").glob("*.py"))]
    for path in sources:
        text = Path(path).read_text(encoding="utf-8")
        assert ":material/" not in text, path
        assert "http://" not in text and "https://" not in text, path


# --- first start and the login gate ---

def test_empty_database_offers_the_demo_and_shows_no_data(tmp_path, monkeypatch):
    at = open_app(monkeypatch, f"sqlite:///{tmp_path / 'empty.db'}")
    assert [b.label for b in at.button] == ["生成演示数据"]
    assert not at.metric and not at.dataframe


def test_building_the_demo_from_the_first_start_screen(tmp_path, monkeypatch):
    monkeypatch.setattr(first_run, "DEMO_MONTHS", 1)
    monkeypatch.setattr(first_run, "DEMO_SCALE", 0.01)
    at = open_app(monkeypatch, f"sqlite:///{tmp_path / 'new.db'}")
    at.button(key="build_demo").click().run()
    assert not at.exception
    assert any("演示数据" in i.value for i in at.info) and at.title[0].value == "总览"
    assert int(at.metric[0].value) > 0


def test_empty_database_with_a_login_configured_offers_no_demo(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ready.db'}"
    migrated_engine(url).dispose()
    at = open_app(monkeypatch, url, auth_mode="header")
    assert not at.button
    assert any("请先登录" in w.value for w in at.warning)


def test_real_database_without_login_shows_a_notice_and_no_data(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    engine = migrated_engine(url)
    ids = units(engine, ("东华门街道", "街道"))
    write(engine, [case_row("R-1", ids["东华门街道"], "2025-03-01 08:00:00")], "real.csv")
    at = open_app(monkeypatch, url)
    assert any("请先登录" in w.value for w in at.warning)
    assert not at.metric and not at.dataframe and not at.title


def test_a_database_in_use_with_an_older_schema_asks_for_init_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    build(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # as if made by the version before the newest migration
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.delenv("AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [e.value for e in at.error] == ["数据库版本较旧，请先运行 python cli.py init-db 升级后再刷新页面。"]
    assert not at.metric and not at.exception


def test_demo_database_opens_with_the_banner(fixture_url, monkeypatch):
    at = open_app(monkeypatch, fixture_url)
    assert any("演示数据" in i.value for i in at.info)
    assert at.title[0].value == "总览"


# --- filters in the URL ---

def test_period_defaults_to_the_latest_month_with_data(fixture_url, monkeypatch):
    at = open_app(monkeypatch, fixture_url)
    assert at.selectbox(key="period").value == "2025-03"
    assert metric_values(at)["诉求量"] == "47"  # 10 + 10 + 10 + 12 + 5 March cases


def test_period_from_the_url_and_invalid_values_dropped(fixture_url, monkeypatch):
    february = open_app(monkeypatch, fixture_url, period="2025-02")
    assert metric_values(february)["诉求量"] == "40"  # four streets × 10
    invalid = open_app(monkeypatch, fixture_url, period="2099-01", group="no-such")
    assert invalid.selectbox(key="period").value == "2025-03"
    assert metric_values(invalid)["诉求量"] == "47"


def test_a_bimonthly_period_in_the_url_opens_the_bimonthly_view(fixture_url, monkeypatch):
    at = open_app(monkeypatch, fixture_url, period="2025-B1")
    assert at.selectbox(key="ptype").value == "bimonth"
    assert metric_values(at)["诉求量"] == "40"  # January–February holds the February cases only


def test_filters_stay_chosen_from_page_to_page(fixture_url, monkeypatch):
    at = open_app(monkeypatch, fixture_url)
    at.selectbox(key="period").set_value("2025-02").run()
    at.switch_page("pages/scores.py").run()
    assert at.selectbox(key="period").value == "2025-02"
    assert at.caption[0].value.startswith("2025年2月")


def test_unit_options_follow_the_group(fixture_url, monkeypatch):
    at = open_app(monkeypatch, fixture_url, page="pages/rankings.py", group="部门")
    unit = at.selectbox(key="unit")
    assert unit.options == ["区城管委"]


# --- a failing panel ---

def test_a_query_failure_shows_a_chinese_error_in_that_panel_only(fixture_url, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT …", {}, Exception("database is locked"))
    monkeypatch.setattr(cache, "scores_and_trend", broken)  # what 排名 reads
    monkeypatch.setenv("CASES_DB_URL", fixture_url)
    monkeypatch.delenv("AUTH_MODE", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/rankings.py").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "排名表加载失败：数据库暂时无法访问或查询出错。请稍后刷新页面重试；若持续出现，请联系管理员。"]
    assert at.title[0].value == "排名" and "database is locked" not in str(at)


# --- formats ---

def test_formats_of_deltas_arrows_and_changes():
    assert fmt.delta("response_rate", 0.9777777, 0.975) == "+0.28 个百分点"
    assert fmt.delta("volume", 47, 40) == "+7（+17.5%）"
    assert fmt.delta("adjusted_score", 95.2777, 96.375) == "-1.10"
    assert fmt.delta("volume", 47, None) is None
    assert (fmt.delta_color("response_rate"), fmt.delta_color("rank"), fmt.delta_color("volume")) == \
        ("normal", "inverse", "off")
    assert [fmt.rank_move(v) for v in (3, -2, 0, None)] == ["↑3", "↓2", "—", "新"]
    assert [fmt.signed(v) for v in (2.25, -8, float("nan"))] == ["+2.25", "-8.00", "新"]


def test_periods_offered_run_from_the_last_day_back_to_the_first():
    offered = periods_between(pd.Timestamp("2025-02-01").date(), pd.Timestamp("2025-03-31").date(), "month")
    assert [p.key for p in offered] == ["2025-03", "2025-02"]
    weeks = periods_between(pd.Timestamp("2025-02-01").date(), pd.Timestamp("2025-02-10").date(), "week")
    assert [p.key for p in weeks] == ["2025-W07", "2025-W06", "2025-W05"]  # 10 Feb is a Monday


# --- exports ---

SCORES = pd.DataFrame({"unit_name": ["东华门街道", "区城管委"], "response_rate": [0.98251, None],
                       "adjusted_score": [96.4149, None], "ranked": [True, False]})


def test_xlsx_export_has_chinese_headers_and_shows_rates_and_scores_rounded():
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(SCORES, list(SCORES.columns), "月度成绩"))).active
    assert [c.value for c in sheet[1]] == ["承办单位", "响应率", "综合成绩", "参与排名"]
    assert sheet["B2"].value == pytest.approx(0.98251) and sheet["B2"].number_format == "0.00%"
    assert sheet["C2"].number_format == "0.00" and sheet["D2"].value == "是" and sheet["B3"].value is None


def test_csv_export_keeps_full_precision_for_excel():
    text = csv_bytes(SCORES, ["unit_name", "response_rate"]).decode("utf-8-sig")
    assert text.splitlines()[:2] == ["承办单位,响应率", "东华门街道,0.98251"]


def test_an_export_is_audited(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("CASES_DB_URL", url)
    assert audited(lambda: b"data", "值班员", "月度成绩_2025-03.xlsx", 5) == b"data"
    with make_engine(url).connect() as conn:
        entry = audit.recent(conn, 1)[0]
    assert (entry["user_name"], entry["action"], entry["n_rows"]) == ("值班员", "export", 5)
    assert "月度成绩_2025-03.xlsx" in entry["detail"]


# --- chart builders (pure: no streamlit) ---

def test_chart_builders_do_not_import_streamlit():
    tree = ast.parse((ROOT / "charts" / "__init__.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported == {"altair", "pandas", "metrics.registry"}  # nothing of streamlit or of ui


def test_score_trend_has_the_target_line():
    trend = pd.DataFrame({"period_label": ["2025年2月", "2025年3月"], "unit_name": ["全区", "全区"],
                          "adjusted_score": [96.375, 95.28]})
    spec = charts.score_trend(trend, target=97, target_label="优秀线").to_dict()
    rule = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"][0]
    assert spec["datasets"][rule["data"]["name"]] == [{"target": 97, "text": "优秀线 97"}]


def test_rank_over_time_puts_rank_one_on_top_and_skips_unranked_periods():
    trend = pd.DataFrame({"period_label": ["2月", "3月", "3月"], "unit_name": ["甲", "甲", "乙"],
                          "rank": pd.array([4, 1, None], dtype="Int64"), "adjusted_score": [91.0, 100.0, None]})
    spec = charts.rank_over_time(trend).to_dict()
    assert spec["encoding"]["y"]["scale"]["reverse"] is True
    assert [r["rank"] for r in spec["datasets"][spec["data"]["name"]]] == [4, 1]


def test_category_mix_marks_new_categories_and_increases():
    mix = pd.DataFrame({"cat_l1": ["市容环卫", "物业管理", "供暖"], "volume": [30, 17, 5],
                        "change": [4.0, -3.0, None]})
    rows = charts.category_mix(mix).to_dict()["datasets"]
    rows = next(iter(rows.values()))
    assert [(r["cat_l1"], r["_change_text"], r["_colour"]) for r in rows] == [
        ("市容环卫", "+4", "增加"), ("物业管理", "-3", "减少或持平"), ("供暖", "新", "减少或持平")]


def test_category_mix_orders_bars_explicitly_and_keeps_its_legend_beside_the_bars():
    # Streamlit 1.64 ignores sort="-x" in a layered chart and collapses it with a bottom legend (seen in Chromium).
    mix = pd.DataFrame({"cat_l1": ["交通管理", "市容环卫", "物业管理"], "volume": [1, 7, 4], "change": [-1, 2, None]})
    spec = charts.category_mix(mix).to_dict()
    bars = spec["layer"][0]["encoding"]
    assert bars["y"]["sort"] == ["市容环卫", "物业管理", "交通管理"]
    assert bars["color"]["legend"]["orient"] == "right"


# --- the rules in plain Chinese ---

@pytest.mark.parametrize("preset", ["default", "beijing-2019"])
def test_every_setting_of_the_presets_is_explained(preset):
    rules = load_rules(preset)
    rows = rules_text.describe(rules)
    # period_basis 1, weights 3, response limits 2, close limits 4, solved 3, satisfaction 3, min_assessed 1,
    # groups 5, tiers 3, awards 3, lagging 2, repeat 2, hotspots 4, warning 4, targets 3
    assert len(rows) == 43 and len({r["key"] for r in rows}) == 43
    weights = {r["key"]: r["value"] for r in rows if r["key"].startswith("weights.")}
    expected = {"default": ("10%", "45%", "45%"), "beijing-2019": ("20%", "40%", "40%")}[preset]
    assert tuple(weights.values()) == expected


def test_an_unexplained_setting_is_refused():
    rules = load_rules()
    broken = type(rules)(data={**rules.data, "new_setting": 1}, source="x")
    with pytest.raises(KeyError):
        rules_text.describe(broken)


# --- filter options (SQL: every database) ---

def test_filter_options_come_from_the_data(engine):
    ids = units(engine, ("东华门街道", "街道"), ("区城管委", "区级部门"))
    assert data_days_of(engine, "r") is None
    write(engine, [
        case_row("F-1", ids["东华门街道"], "2025-02-03 08:00:00", street="东华门街道", cat_l1="市容环卫"),
        case_row("F-2", ids["区城管委"], "2025-03-30 23:59:59", street="景山街道", cat_l1="物业管理",
                 callback_at="2025-04-02 10:00:00"),
        case_row("F-3", ids["区城管委"], "2025-03-05 10:00:00", street=None, cat_l1="物业管理"),
    ])
    assert data_days_of(engine, "r") == ("2025-02-03", "2025-03-30")
    assert data_days_of(engine, "c") == ("2025-02-03", "2025-04-02")  # F-2 counts on its callback day
    with engine.connect() as conn:
        assert category_names(conn) == ["市容环卫", "物业管理"]
        assert street_names(conn) == ["东华门街道", "景山街道"]


def data_days_of(engine, basis: str):
    with engine.connect() as conn:
        days = data_days(conn, basis)
    return tuple(d.isoformat() for d in days) if days else None

