"""AppTest of the leader pages (总览, 月度成绩, 排名, 流动红旗, 评分规则) on the hand-scored fixture district.

The expected figures are worked out by hand in tests/app_fixture.py (its docstring shows each unit's score) and
below; none is copied from the code's output.
"""
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from data_access.storage.engine import make_engine
from data_access.records.units import list_units
from tests.app_fixture import build, open_app
from ui import auth
from ui.auth import User


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('leader') / 'cases.db'}"
    build(url)
    return url


@pytest.fixture(scope="module")
def ids(url) -> dict[str, int]:
    with make_engine(url).connect() as conn:
        return {u["name"]: u["id"] for u in list_units(conn)}


def chart_data(at) -> list[pd.DataFrame]:
    """The data sets of every chart on the page, in page order."""
    return [convert_arrow_bytes_to_pandas_df(d.data.data) for c in at.get("vega_lite_chart") for d in c.proto.datasets]


def table(at, index: int, columns: list[str]) -> list[tuple]:
    """Rows of the index-th table on the page, numbers to 2 decimals as shown."""
    return list(at.dataframe[index].value[columns].round(2).itertuples(index=False, name=None))


# --- 总览 ---

def test_overview_kpis_with_their_change(url, monkeypatch):
    at = open_app(monkeypatch, url)
    cards = {m.label: (m.value, m.delta) for m in at.metric}
    # March: 47 cases, 45 assessed; on time 44, solved credits 42.5, satisfied 43 (see app_fixture).
    # February: 40 cases, 40 assessed; on time 39, solved 40, satisfied 37.
    assert cards["诉求量"] == ("47", "+7（+17.5%）")                 # 7 / 40 = 17.5 %
    assert cards["响应率"] == ("97.78%", "+0.28 个百分点")           # 44/45 − 39/40
    assert cards["解决率"] == ("94.44%", "-5.56 个百分点")           # 42.5/45 − 40/40
    assert cards["满意率"] == ("95.56%", "+3.06 个百分点")           # 43/45 − 37/40
    # 100 × (0.10 × 44/45 + 0.45 × 42.5/45 + 0.45 × 43/45) = 95.2778; February 96.375
    assert cards["综合成绩"] == ("95.28", "-1.10")


def test_overview_trend_categories_and_topics(url, monkeypatch):
    at = open_app(monkeypatch, url)
    trend, target, categories, topics = chart_data(at)
    assert list(trend["period_label"]) == ["2025年2月", "2025年3月"]  # periods before the first data left out
    assert list(trend["adjusted_score"].round(4)) == [96.375, 95.2778]
    assert target.to_dict("records") == [{"target": 97, "text": "优秀线 97"}]  # the 优秀 line of default.toml
    # every third case is 物业管理: March 3 + 3 + 3 + 4 + 1 = 14 of 47, February 4 × 3 = 12 of 40
    assert list(categories[["cat_l1", "volume", "change"]].itertuples(index=False, name=None)) == [
        ("市容环卫", 33, 5.0), ("物业管理", 14, 2.0)]
    assert list(topics["volume"]) == [8, 10]  # two 每月一题 cases per unit: 4 units in February, 5 in March
    assert table(at, 0, ["二级分类", "诉求量", "上期诉求量", "诉求量变化"]) == [("物业服务", 10, 8, 2.0)]


def test_overview_follows_the_period(url, monkeypatch):
    at = open_app(monkeypatch, url, period="2025-02")
    cards = {m.label: (m.value, m.delta) for m in at.metric}
    assert cards["诉求量"] == ("40", "")  # no January data: no 环比
    assert cards["满意率"][0] == "92.50%"


# --- 月度成绩 ---

def test_scores_table_ranked_and_not_ranked(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/scores.py")
    assert [s.value for s in at.subheader] == ["街乡镇（4 个单位参与排名）", "不参与排名（1 个单位）"]
    assert table(at, 0, ["排名", "承办单位", "综合成绩", "档次", "成绩环比", "名次变化"]) == [
        (1, "东华门街道", 100.0, "优秀", "+9.00", "↑3"),
        (2, "安定门街道", 97.75, "优秀", "+2.25", "↑1"),
        (3, "交道口街道", 91.0, "一般", "-8.00", "↓1"),
        (4, "景山街道", 90.0, "一般", "-10.00", "↓3")]
    assert table(at, 1, ["承办单位", "参评量", "不参与排名原因"]) == [("区城管委", 5, "参评量不足")]
    assert [b.label for b in at.get("download_button")] == ["下载 Excel", "下载 CSV"]


def test_a_unit_user_sees_other_units_by_name_and_score_only(url, ids, monkeypatch):
    monkeypatch.setattr(auth, "current_user", lambda: User("景山街道办", "unit", ids["景山街道"]))
    at = open_app(monkeypatch, url, page="pages/scores.py")
    own, ranked, not_ranked = (t.value for t in at.dataframe)
    assert list(own["承办单位"]) == ["景山街道"] and list(own["参评量"]) == [10]
    assert list(ranked.columns) == ["排名", "承办单位", "综合成绩", "档次", "名次变化"]
    assert list(not_ranked.columns) == ["承办单位", "排名分组", "不参与排名原因"]


def test_scores_group_filter(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/scores.py", group="部门")
    assert [s.value for s in at.subheader] == ["不参与排名（1 个单位）"]


def test_scores_follow_the_rules_preset(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/scores.py", rules="beijing-2019")
    scores = dict(table(at, 0, ["承办单位", "综合成绩"]))
    assert scores["安定门街道"] == pytest.approx(98.0)  # 20 × 1 + 40 × 0.95 + 40 × 1
    assert scores["景山街道"] == pytest.approx(90.0)    # 20 × 0.9 + 40 × 0.9 + 40 × 0.9


# --- 排名 ---

def test_rankings_with_arrows_and_rank_chart(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/rankings.py")
    assert table(at, 0, ["排名", "名次变化", "承办单位", "上期排名"]) == [
        (1, "↑3", "东华门街道", 4), (2, "↑1", "安定门街道", 3), (3, "↓1", "交道口街道", 2), (4, "↓3", "景山街道", 1)]
    ranks = chart_data(at)[0]
    assert set(ranks["unit_name"]) == {"东华门街道", "安定门街道", "交道口街道"}  # the current top three by default
    mine = ranks[ranks["unit_name"] == "东华门街道"]
    assert list(zip(mine["period_label"], mine["rank"])) == [("2025年2月", 4), ("2025年3月", 1)]


def test_rank_chart_follows_the_chosen_units(url, ids, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/rankings.py")
    at.multiselect(key="rank_units").set_value([ids["景山街道"]]).run()
    ranks = chart_data(at)[0]
    assert list(zip(ranks["unit_name"], ranks["period_label"], ranks["rank"])) == [
        ("景山街道", "2025年2月", 1), ("景山街道", "2025年3月", 4)]


def test_bimonthly_rankings_show_tiers(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/rankings.py", period="2025-B2")
    # March–April holds March only: 100 and 97.75 are 优秀 (≥ 97), 91 and 90 一般 (≥ 90)
    assert {m.label: m.value for m in at.metric} == {"优秀档": "2 个单位", "良好档": "0 个单位",
                                                     "一般档": "2 个单位", "较差档": "0 个单位"}
    assert "档次" in at.dataframe[0].value.columns


# --- 流动红旗 ---

def test_awards_this_period_and_history(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/awards.py")
    text = "\n".join(m.value for m in at.markdown)
    # March: 东华门 100 and 安定门 97.75 are top three and ≥ 95; 交道口 91 is third but below 95.
    assert "**红旗**\n- 东华门街道（综合成绩 100.00，第 1 名）\n- 安定门街道（综合成绩 97.75，第 2 名）" in text
    assert "交道口街道" not in text and text.count("**进步奖**\n本期无") == 3
    assert "- 红旗：东华门街道（综合成绩 100.00，第 1 名）；安定门街道（综合成绩 97.75，第 2 名）" in text
    history = at.dataframe[0].value
    # February: 景山 100, 交道口 99, 安定门 95.5 (all ≥ 95); 安定门 holds the flag two months running
    assert history.loc["2025年2月", "街乡镇"] == "景山街道、交道口街道、安定门街道"
    assert history.loc["2025年3月", "街乡镇"] == "东华门街道、安定门街道（连续 2 期）"
    assert [s.value for s in at.success] == ["连续获旗：安定门街道 连续 2 期"]


# --- 评分规则 ---

def test_rules_page_explains_every_setting_and_switches_presets(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/rules.py")
    weights = at.table[1].value  # the second section is 综合成绩 (weights)
    assert list(weights["取值"]) == ["10%", "45%", "45%"]
    assert sum(len(t.value) for t in at.table) == 43  # targets: score, 解决率, 满意率
    at.button(key="use_beijing-2019").click().run()
    assert list(at.table[1].value["取值"]) == ["20%", "40%", "40%"]
    assert at.selectbox(key="rules").value == "北京 2019 年口径"  # the choice holds the preset's Chinese name
    glossary = at.dataframe[0].value
    assert glossary.loc[glossary["指标"] == "综合成绩", "方向"].item() == "越高越好"
