"""Base counts, rates, scores, ranks, tiers, change and trends on a hand-built district (METRICS.md §2–4, §7).

Every expected figure below is worked out by hand from the cases written in `_march`.
Default rules: weights 0.10 / 0.45 / 0.45, limits 紧急 2 h / 一般 24 h, close 紧急 2 h / 一般 168 h, min_assessed 10.
"""
from fractions import Fraction as F

import pandas as pd
import pytest

from metrics.adjustments import add_adjustment
from metrics.counts import base_counts, counts_by_period
from metrics.periods import parse_period, trailing
from metrics.rules import load_rules
from metrics.scores import district_summary, score_trend, scores_and_trend, trend_of_units, unit_scores
from tests.factories import case_row, units, write
from tests.scoring_cases import month_cases, perfect

MARCH = parse_period("2025-03")
RULES = load_rules("default")


def _perfect_run(unit_id: int, prefix: str, n: int, **fields) -> list[dict]:
    return [perfect(f"{prefix}{i}", unit_id, f"2025-03-{i + 2:02d} 08:00:00", **fields) for i in range(1, n + 1)]


def _march(engine) -> dict[str, int]:
    """Nine units; the comments give each unit's hand-counted figures for March 2025."""
    u = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"), ("交道口街道", "街道"), ("和平里街道", "街道"),
              ("安定门街道", "街道"), ("北新桥街道", "街道"), ("东四镇", "乡镇"), ("朝阳门街道", "街道"),
              ("区城管委", "区级部门"))
    a, b, g, h = u["东华门街道"], u["景山街道"], u["交道口街道"], u["和平里街道"]
    rows = [
        # 东华门: 8 perfect; A9 紧急 answered exactly 2 h after dispatch (on time), 部分解决, 基本满意, closed at
        # exactly 2 h; A10 紧急 answered and closed 2 h + 1 s after dispatch (late), 未解决, 不满意; A11 excluded.
        # volume 11, assessed 10, on time 9, solved rated 10 (credit 8.5), satisfaction rated 10 (credit 9).
        *_perfect_run(a, "A", 8),
        case_row("A9", a, "2025-03-10 07:00:00", dispatched_at="2025-03-10 08:00:00", urgency="紧急",
                 responded_at="2025-03-10 10:00:00", deadline_class="紧急", closed_at="2025-03-10 10:00:00",
                 solved="部分解决", satisfaction="基本满意"),
        case_row("A10", a, "2025-03-10 07:00:00", dispatched_at="2025-03-10 08:00:00", urgency="紧急",
                 responded_at="2025-03-10 10:00:01", deadline_class="紧急", closed_at="2025-03-10 10:00:01",
                 solved="未解决", satisfaction="不满意"),
        case_row("A11", a, "2025-03-11 08:00:00", excluded=True, exclusion_reason="恶意诉求", solved="未解决",
                 satisfaction="不满意"),
        # 景山: 7 perfect; B8 no dispatch time, answered exactly 24 h after receipt (on time), 解决 but 未评价, closed
        # 168 h + 1 s after receipt (late); B9 no dispatch, answered 24 h + 1 s (late), both ratings empty, never
        # closed; B10 dispatched 12 h after receipt, answered 24 h after dispatch (on time: 36 h after receipt),
        # closed 168 h after dispatch (on time), 部分解决, 满意, dispatched twice.
        # on time 9 of 10; solved rated 9 (credit 8.5); satisfaction rated 8 (credit 8); close on time 8.
        *_perfect_run(b, "B", 7),
        case_row("B8", b, "2025-03-05 08:00:00", responded_at="2025-03-06 08:00:00",
                 closed_at="2025-03-12 08:00:01", solved="解决", satisfaction="未评价"),
        case_row("B9", b, "2025-03-05 08:00:00", responded_at="2025-03-06 08:00:01", solved="", satisfaction=""),
        case_row("B10", b, "2025-03-05 08:00:00", dispatched_at="2025-03-05 20:00:00",
                 responded_at="2025-03-06 20:00:00", closed_at="2025-03-12 20:00:00", solved="部分解决",
                 satisfaction="满意", dispatch_count=2),
        # 交道口: the first instant of March and its last second count; the last second of February and the first
        # instant of April do not (those two are unrated). 9 perfect + 1 不满意 in March.
        perfect("G1", g, "2025-03-01 00:00:00"), perfect("G2", g, "2025-03-31 23:59:59"),
        *_perfect_run(g, "GR", 7), perfect("G10", g, "2025-03-20 08:00:00", satisfaction="不满意"),
        perfect("G11", g, "2025-02-28 23:59:59", solved=None, satisfaction=None),
        perfect("G12", g, "2025-04-01 00:00:00", solved=None, satisfaction=None),
        # 和平里: 9 perfect + 1 未解决. 安定门: 10 perfect.
        *_perfect_run(h, "H", 9), perfect("H10", h, "2025-03-20 08:00:00", solved="未解决"),
        *_perfect_run(u["安定门街道"], "P", 10),
        # 北新桥: 9 perfect + 3 excluded: volume 12, assessed 9 < 10.
        *_perfect_run(u["北新桥街道"], "D", 9),
        *_perfect_run(u["北新桥街道"], "DX", 3, excluded=True),
        # 东四镇: 10 cases answered and solved but no satisfaction rating (5 未评价, 5 empty).
        *_perfect_run(u["东四镇"], "E", 5, satisfaction="未评价"),
        *_perfect_run(u["东四镇"], "EE", 5, satisfaction=None),
        # 区城管委 (部门): 10 perfect. 朝阳门: no cases at all.
        *_perfect_run(u["区城管委"], "Q", 10),
    ]
    write(engine, rows)
    add_adjustment(engine, a, "2025-03", 2.25, "主动治理加分", "tester")
    return u


EXPECTED_COUNTS = {  # unit: volume, assessed, on_time_response, solved_rated, solved_credit_sum,
    #                      satisfaction_rated, satisfaction_credit_sum, fdy_den, fdy_num, on_time_close
    "东华门街道": (11, 10, 9, 10, 8.5, 10, 9.0, 10, 8, 9),
    "景山街道": (10, 10, 9, 9, 8.5, 8, 8.0, 8, 7, 8),
    "交道口街道": (10, 10, 10, 10, 10.0, 10, 9.0, 10, 9, 10),
    "和平里街道": (10, 10, 10, 10, 9.0, 10, 10.0, 10, 9, 10),
    "安定门街道": (10, 10, 10, 10, 10.0, 10, 10.0, 10, 10, 10),
    "北新桥街道": (12, 9, 9, 9, 9.0, 9, 9.0, 9, 9, 9),
    "东四镇": (10, 10, 10, 10, 10.0, 0, 0.0, 0, 0, 10),
    "区城管委": (10, 10, 10, 10, 10.0, 10, 10.0, 10, 10, 10),
}
COUNT_COLUMNS = ["volume", "assessed", "on_time_response", "solved_rated", "solved_credit_sum", "satisfaction_rated",
                 "satisfaction_credit_sum", "fdy_den", "fdy_num", "on_time_close"]


def test_base_counts_by_hand_from_both_sources(engine):
    u = _march(engine)
    for source in ("summary", "cases"):
        got = base_counts(engine, MARCH, RULES, source=source)
        # The denominators of 响应率 and 按时办结率 (METRICS.md §2): every case here came with both columns.
        assert list(got.columns) == ["unit_id", *COUNT_COLUMNS, "resp_base", "close_base"]
        assert (got["resp_base"] == got["assessed"]).all() and (got["close_base"] == got["assessed"]).all()
        by_name = {name: tuple(got[got["unit_id"] == uid][COUNT_COLUMNS].iloc[0]) for name, uid in u.items()
                   if name in EXPECTED_COUNTS}
        assert by_name == EXPECTED_COUNTS, source
        assert u["朝阳门街道"] not in set(got["unit_id"])  # no cases: no row
        # Rank-only callers skip 按时办结: the same counts, on_time_close left uncounted.
        lean = counts_by_period(engine, [MARCH], RULES, source, closing=False)
        assert lean["on_time_close"].isna().all()
        pd.testing.assert_frame_equal(lean.drop(columns=["period", "on_time_close"]),
                                      got.drop(columns="on_time_close"))
        # The month's edges: one case each side belongs to February / April.
        for month in ("2025-02", "2025-04"):
            edge = base_counts(engine, parse_period(month), RULES, source=source)
            assert edge[["unit_id", "volume", "solved_rated"]].values.tolist() == [[u["交道口街道"], 1, 0]]


def test_unit_scores_by_hand(engine):
    u = _march(engine)
    got = unit_scores(engine, MARCH, RULES)
    assert got["unit_name"].tolist() == ["安定门街道", "景山街道", "交道口街道", "和平里街道", "东华门街道",
                                          "北新桥街道", "东四镇", "朝阳门街道", "区城管委"]
    rows = got.set_index("unit_name")
    # 东华门: rates 9/10, 8.5/10, 9/10; raw = 100 × (0.1 × 0.9 + 0.45 × 0.85 + 0.45 × 0.9) = 87.75; + 2.25 = 90.00.
    a = rows.loc["东华门街道"]
    assert (a["response_rate"], a["resolution_rate"], a["satisfaction_rate"]) == pytest.approx((0.9, 0.85, 0.9))
    assert (a["raw_score"], a["adjustment"], a["adjusted_score"]) == pytest.approx((87.75, 2.25, 90.0))
    assert (a["first_double_yes_rate"], a["on_time_close_rate"]) == pytest.approx((0.8, 0.9))
    # 景山: 9/10, 8.5/9, 8/8 → 9 + 42.5 + 45 = 96.5; 首办双肯 7/8; 按时办结 8/10.
    b = rows.loc["景山街道"]
    assert (b["response_rate"], b["resolution_rate"], b["satisfaction_rate"]) == pytest.approx((0.9, 8.5 / 9, 1.0))
    assert (b["raw_score"], b["adjusted_score"]) == pytest.approx((96.5, 96.5))
    assert (b["first_double_yes_rate"], b["on_time_close_rate"]) == pytest.approx((7 / 8, 0.8))
    # 交道口 (满意 9/10) and 和平里 (解决 9/10) both score 10 + 45 + 40.5 = 95.5 by different roads: one rank.
    assert rows.loc["交道口街道", "raw_score"] == pytest.approx(95.5)
    assert rows.loc["和平里街道", "raw_score"] == pytest.approx(95.5)
    ranked = got[got["ranked"]]
    assert list(zip(ranked["unit_name"], ranked["group"], ranked["rank"], ranked["tier"])) == [
        ("安定门街道", "街乡镇", 1, "优秀"), ("景山街道", "街乡镇", 2, "良好"), ("交道口街道", "街乡镇", 3, "良好"),
        ("和平里街道", "街乡镇", 3, "良好"), ("东华门街道", "街乡镇", 5, "一般"), ("区城管委", "部门", 1, "优秀")]
    # Not ranked: 9 assessed < 10; no satisfaction rating, so no score; no cases at all.
    unranked = got[~got["ranked"]]
    assert list(zip(unranked["unit_name"], unranked["not_ranked_reason"], unranked["group"])) == [
        ("北新桥街道", "参评量不足", "街乡镇"), ("东四镇", "无回访评价", "街乡镇"), ("朝阳门街道", "无参评工单", "街乡镇")]
    assert rows.loc["北新桥街道", "raw_score"] == pytest.approx(100.0)
    assert unranked["rank"].isna().all() and unranked["tier"].isna().all()
    e = rows.loc["东四镇"]
    assert e["response_rate"] == 1.0 and e["resolution_rate"] == 1.0
    assert pd.isna(e["satisfaction_rate"]) and pd.isna(e["raw_score"]) and pd.isna(e["adjusted_score"])
    f = rows.loc["朝阳门街道"]
    assert (f["volume"], f["assessed"]) == (0, 0) and pd.isna(f["response_rate"]) and pd.isna(f["raw_score"])
    # Only 交道口 had a February case, and it was unrated: nobody has a previous score.
    assert got["prev_score"].isna().all() and got["score_change"].isna().all() and got["yoy_score"].isna().all()
    assert got[got["group"] == "部门"]["unit_id"].tolist() == [u["区城管委"]]
    only_departments = unit_scores(engine, MARCH, RULES, group="部门")
    assert only_departments["unit_name"].tolist() == ["区城管委"]


def test_district_summary_by_hand(engine):
    _march(engine)
    got = district_summary(engine, MARCH, RULES)
    # Totals of EXPECTED_COUNTS: volume 83, assessed 79, on time 77, solved 75/78, satisfied 65/67,
    # 首办双肯 62/67, closed on time 76/79. The district score carries no adjustment.
    raw = 100 * (F(1, 10) * F(77, 79) + F(45, 100) * F(75, 78) + F(45, 100) * F(65, 67))
    assert (got["period"], got["prev_period"], got["yoy_period"]) == ("2025-03", "2025-02", "2024-03")
    assert (got["volume"], got["assessed"]) == (83, 79)
    assert got["response_rate"] == pytest.approx(77 / 79)
    assert got["resolution_rate"] == pytest.approx(75 / 78)
    assert got["satisfaction_rate"] == pytest.approx(65 / 67)
    assert got["raw_score"] == pytest.approx(float(raw))
    assert got["first_double_yes_rate"] == pytest.approx(62 / 67)
    assert got["on_time_close_rate"] == pytest.approx(76 / 79)
    # February: one unrated case answered in time; a year ago: nothing.
    assert (got["prev_volume"], got["prev_response_rate"], got["prev_resolution_rate"], got["prev_raw_score"]) == \
        (1, 1.0, None, None)
    assert (got["yoy_volume"], got["yoy_response_rate"], got["yoy_raw_score"]) == (0, None, None)


def _league(engine) -> dict[str, int]:
    """Three streets over 2024-03, 2025-02 and 2025-03 (scores = 100 − late answers, 10 cases each)."""
    u = units(engine, ("甲街道", "街道"), ("乙街道", "街道"), ("丙街道", "街道"))
    x, y, z = u["甲街道"], u["乙街道"], u["丙街道"]
    write(engine, [*month_cases(x, "2024-03", late=5),
                   *month_cases(x, "2025-02", late=0), *month_cases(y, "2025-02", late=1),
                   *month_cases(x, "2025-03", late=2), *month_cases(y, "2025-03", late=0),
                   *month_cases(z, "2025-03", late=1)])
    add_adjustment(engine, y, "2025-02", 0.5, "吹哨报到加分")
    add_adjustment(engine, y, "2025-Q1", 10, "季度加分")  # only for the quarter's own score
    return u


def test_change_against_previous_period_and_year_ago(engine):
    _league(engine)
    got = unit_scores(engine, MARCH, RULES).set_index("unit_name")
    # March: 乙 100 (1st), 丙 99 (2nd), 甲 98 (3rd). February: 甲 100 (1st), 乙 99 + 0.5 = 99.5 (2nd), 丙 absent.
    assert got.loc[["乙街道", "丙街道", "甲街道"], "rank"].tolist() == [1, 2, 3]
    assert got.loc["甲街道", ["prev_score", "prev_rank", "score_change", "rank_change", "yoy_score"]].tolist() == \
        pytest.approx([100.0, 1, -2.0, -2, 95.0])
    assert got.loc["乙街道", ["prev_score", "prev_rank", "score_change", "rank_change"]].tolist() == \
        pytest.approx([99.5, 2, 0.5, 1])
    assert pd.isna(got.loc["乙街道", "yoy_score"])
    new = got.loc["丙街道"]  # no previous score: no change (shown as 新)
    assert pd.isna(new["prev_score"]) and pd.isna(new["prev_rank"]) and pd.isna(new["score_change"])
    assert pd.isna(new["rank_change"])
    assert got["adjustment"].tolist() == [0.0, 0.0, 0.0]
    # The quarter: 乙 has 20 cases with 1 late → 100 × (0.1 × 19/20 + 0.9) = 99.5, + 10 from its Q1 adjustment
    # (the February 0.5 belongs to February only).
    quarter = unit_scores(engine, parse_period("2025-Q1"), RULES).set_index("unit_name")
    assert quarter.loc["乙街道", ["raw_score", "adjustment", "adjusted_score"]].tolist() == \
        pytest.approx([99.5, 10.0, 109.5])


def test_adjustments_are_validated_listed_and_audited(engine):
    from data_access.records.audit import recent
    from metrics.adjustments import AdjustmentError, list_adjustments

    u = units(engine, ("甲街道", "街道"))["甲街道"]
    add_adjustment(engine, u, " 2025-03 ", 1.0, "主动治理", "王五")
    add_adjustment(engine, u, "2025-03", -0.25, "督办扣分", "李四")
    for bad in [dict(points=0), dict(points=float("nan")), dict(reason="  "), dict(unit_id=u + 99)]:
        args = {"unit_id": u, "period_key": "2025-03", "points": 1.0, "reason": "x", **bad}
        with pytest.raises(AdjustmentError):
            add_adjustment(engine, **args)
    listed = list_adjustments(engine, "2025-03")
    assert list(zip(listed["unit_name"], listed["points"], listed["reason"], listed["created_by"])) == [
        ("甲街道", 1.0, "主动治理", "王五"), ("甲街道", -0.25, "督办扣分", "李四")]
    assert list_adjustments(engine, "2025-B2").empty
    with engine.connect() as conn:
        assert [r["action"] for r in recent(conn)] == ["adjustment", "adjustment"]


def test_score_trend_gives_district_and_chosen_units(engine):
    u = _league(engine)
    got = score_trend(engine, trailing(MARCH, 3), RULES, unit_ids=[u["甲街道"]])
    assert list(zip(got["period"], got["unit_name"])) == [
        ("2025-01", "全区"), ("2025-01", "甲街道"), ("2025-02", "全区"), ("2025-02", "甲街道"),
        ("2025-03", "全区"), ("2025-03", "甲街道")]
    # District February: 20 cases, 1 late → 99.5; March: 30 cases, 3 late → 100 × (0.1 × 27/30 + 0.9) = 99.
    district = got[got["unit_name"] == "全区"]
    assert district["volume"].tolist() == [0, 20, 30]
    assert pd.isna(district["raw_score"].iloc[0])
    assert district["raw_score"].iloc[1:].tolist() == pytest.approx([99.5, 99.0])
    assert district["rank"].isna().all()
    unit = got[got["unit_name"] == "甲街道"]
    assert unit["volume"].tolist() == [0, 10, 10]
    assert unit["adjusted_score"].iloc[1:].tolist() == pytest.approx([100.0, 98.0])
    assert unit["rank"].iloc[1:].tolist() == [1, 3]
    assert got["period_label"].tolist()[::2] == ["2025年1月", "2025年2月", "2025年3月"]
    assert score_trend(engine, trailing(MARCH, 2), RULES)["unit_name"].tolist() == ["全区", "全区"]


def test_scores_and_trend_read_once_give_the_tables_of_unit_scores_and_score_trend(engine):
    u = _league(engine)
    scores, trend = scores_and_trend(engine, MARCH, RULES, trailing(MARCH, 3))
    # March by hand, as above: 甲 98 is third; 13 periods are not needed for this league, 3 are given.
    assert scores.set_index("unit_name").loc["甲街道", ["adjusted_score", "rank", "prev_rank"]].tolist() == \
        [pytest.approx(98.0), 3, 1]
    assert scores["on_time_close_rate"].isna().all()  # not read: no ranking page shows 按时办结
    alone = unit_scores(engine, MARCH, RULES).drop(columns="on_time_close_rate")
    pd.testing.assert_frame_equal(scores.drop(columns="on_time_close_rate"), alone, check_exact=True)
    # Every unit is in the trend; picking 甲 gives exactly score_trend's table for 甲.
    assert set(trend["unit_id"].dropna()) == set(u.values())
    pd.testing.assert_frame_equal(trend_of_units(trend, [u["甲街道"]]),
                                  score_trend(engine, trailing(MARCH, 3), RULES, unit_ids=[u["甲街道"]]),
                                  check_exact=True)


def test_callback_basis_counts_cases_by_callback_day(engine, tmp_path):
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [
        perfect("CB1", u, "2025-02-27 08:00:00", callback_at="2025-03-01 09:00:00"),  # received Feb, called in Mar
        perfect("CB2", u, "2025-03-30 08:00:00", callback_at="2025-04-02 09:00:00"),  # received Mar, called in Apr
        perfect("CB3", u, "2025-03-10 08:00:00", callback_at=None),  # no callback: its received day counts
    ])
    path = tmp_path / "callback.toml"
    path.write_text('period_basis = "callback"\n', encoding="utf-8")
    by_callback = load_rules(str(path))
    for source in ("summary", "cases"):
        assert base_counts(engine, MARCH, by_callback, source)["volume"].tolist() == [2]
        assert base_counts(engine, MARCH, RULES, source)["volume"].tolist() == [2]
        assert base_counts(engine, parse_period("2025-04"), by_callback, source)["volume"].tolist() == [1]
        assert base_counts(engine, parse_period("2025-04"), RULES, source).empty


def test_rules_limits_and_credits_come_from_the_rules_file(engine, tmp_path):
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [
        # answered after 3 h: late under the default 2 h for 紧急, on time under a 3 h limit
        case_row("L1", u, "2025-03-03 08:00:00", urgency="紧急", responded_at="2025-03-03 11:00:00",
                 solved="部分解决", satisfaction="基本满意"),
        case_row("L2", u, "2025-03-03 08:00:00", responded_at="2025-03-03 09:00:00", solved="解决",
                 satisfaction="满意"),
    ])
    path = tmp_path / "strict.toml"
    path.write_text('[response_limit_hours]\n"紧急" = 3\n[solved_credit]\n"部分解决" = 0.25\n'
                    '[satisfaction_credit]\n"基本满意" = 0.5\n', encoding="utf-8")
    for source in ("summary", "cases"):
        default = base_counts(engine, MARCH, RULES, source).iloc[0]
        custom = base_counts(engine, MARCH, load_rules(str(path)), source).iloc[0]
        assert (default["on_time_response"], default["solved_credit_sum"], default["satisfaction_credit_sum"]) == \
            (1, 1.5, 2.0)
        assert (custom["on_time_response"], custom["solved_credit_sum"], custom["satisfaction_credit_sum"]) == \
            (2, 1.25, 1.5)


def test_bad_source_is_refused(engine):
    with pytest.raises(ValueError, match="source"):
        base_counts(engine, MARCH, RULES, source="pandas")


# --- properties (hypothesis) ---

from datetime import datetime, timedelta  # noqa: E402
from itertools import count  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

import numpy as np  # noqa: E402

from metrics.ranking import round2, round2_array  # noqa: E402
from metrics.rules import load_rules_text  # noqa: E402

START = datetime(2025, 2, 20)

# Offsets in seconds that land exactly on, just before and just after whole hours, in the same small range as
# the limits drawn below, so that "exactly at the limit" and "one second over" both occur often.
def _edge_seconds(max_hours: int):
    return st.builds(lambda h, s: h * 3600 + s, st.integers(0, max_hours), st.sampled_from([-1, 0, 0, 1, 1800]))


_case = st.fixed_dictionaries({
    "unit": st.integers(0, 2),
    "received": st.integers(0, 50 * 86400 - 1),
    "dispatch": st.none() | st.integers(0, 36000),
    "response": st.none() | _edge_seconds(8),
    "close": st.none() | _edge_seconds(14),
    "callback": st.none() | st.integers(0, 20 * 86400),
    "urgency": st.sampled_from([None, "", "紧急", "一般"]),
    "deadline_class": st.sampled_from([None, "", "紧急", "水电气热", "一般", "疑难"]),
    "solved": st.sampled_from([None, "", "解决", "部分解决", "未解决"]),
    "satisfaction": st.sampled_from([None, "", "满意", "基本满意", "不满意", "未评价"]),
    "dispatch_count": st.integers(1, 3),
    "excluded": st.booleans(),
})
_credit = st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.7, 1.0])
_rules_text = st.builds(
    lambda basis, r1, r2, c, credits: (
        f'period_basis = "{basis}"\n[response_limit_hours]\n"紧急" = {r1}\n"一般" = {r2}\n'
        f'[close_limit_hours]\n"紧急" = {c[0]}\n"水电气热" = {c[1]}\n"一般" = {c[2]}\n"疑难" = {c[3]}\n'
        f'[solved_credit]\n"部分解决" = {credits[0]}\n"未解决" = {credits[1]}\n'
        f'[satisfaction_credit]\n"基本满意" = {credits[2]}\n"不满意" = {credits[3]}\n'),
    st.sampled_from(["received", "callback"]), st.integers(1, 6), st.integers(1, 6),
    st.lists(st.integers(1, 12), min_size=4, max_size=4), st.lists(_credit, min_size=4, max_size=4))


def _random_row(spec: dict, unit_ids: list[int], case_no: str) -> dict:
    received = START + timedelta(seconds=spec["received"])
    start = None if spec["dispatch"] is None else received + timedelta(seconds=spec["dispatch"])
    base = start or received
    after = {k: None if spec[k] is None else base + timedelta(seconds=spec[k]) for k in ("response", "close")}
    return case_row(case_no, unit_ids[spec["unit"]], received, dispatched_at=start,
                    responded_at=after["response"], closed_at=after["close"],
                    callback_at=None if spec["callback"] is None else received + timedelta(seconds=spec["callback"]),
                    **{k: spec[k] for k in ("urgency", "deadline_class", "solved", "satisfaction", "dispatch_count",
                                            "excluded")})


@pytest.mark.slow
def test_summary_source_equals_case_source_on_random_data(engine):
    unit_ids = list(units(engine, ("甲街道", "街道"), ("乙局", "区级部门"), ("丙公司", "国有企业")).values())
    serial = count()

    @settings(max_examples=10, deadline=None)
    @given(specs=st.lists(_case, min_size=1, max_size=15), rules_text=_rules_text)
    def check(specs, rules_text):
        # Cases pile up over the examples: each comparison covers everything written so far.
        write(engine, [_random_row(s, unit_ids, f"R{next(serial)}") for s in specs], f"random{next(serial)}.csv")
        rules = load_rules_text(rules_text)
        for key in ("2025-03", "2025-Q1", "2025-W10"):
            period = parse_period(key)
            summary = base_counts(engine, period, rules, "summary")
            pd.testing.assert_frame_equal(summary, base_counts(engine, period, rules, "cases"), check_exact=True)

    check()


def test_weights_in_a_rules_file_change_the_raw_score_as_the_formula_says(engine, tmp_path):
    # 10 cases: 1 late, 2 未解决, 3 不满意 → response 0.9, resolution 0.8, satisfaction 0.7.
    u = units(engine, ("甲街道", "街道"))["甲街道"]
    write(engine, month_cases(u, "2025-03", late=1, unsolved=2, unsatisfied=3))
    add_adjustment(engine, u, "2025-03", -1.5, "督办扣分")
    path = tmp_path / "weights.toml"

    @settings(max_examples=10, deadline=None)
    @given(st.integers(0, 100), st.integers(0, 100))
    def check(a, b):
        a, b = sorted((a, b))
        response, resolution, satisfaction = a, b - a, 100 - b  # percentages, summing to 100
        path.write_text(f"[weights]\nresponse = {response / 100}\nresolution = {resolution / 100}\n"
                        f"satisfaction = {satisfaction / 100}\n", encoding="utf-8")
        row = unit_scores(engine, MARCH, load_rules(str(path))).iloc[0]
        expected = response * 0.9 + resolution * 0.8 + satisfaction * 0.7  # = 100 × Σ w × rate
        assert row["raw_score"] == pytest.approx(expected, abs=1e-9)
        assert row["adjusted_score"] == pytest.approx(expected - 1.5, abs=1e-9)

    check()


@pytest.mark.parametrize("score, expected", [
    (95.5, 95.5), (0.125, 0.13), (2.675, 2.68), (96.4149999, 96.41), (96.41499999999999, 96.42),
    (89.99999999999999, 90.0), (None, None), (float("nan"), None)])
def test_round2_rounds_half_up_on_the_decimal_value(score, expected):
    assert round2(score) == expected


TRICKY = [96.995, 0.125, 2.675, 89.99499999, 89.995, 96.4149999, 96.41499999999999, 89.99999999999999, 94.985,
          0.005, 0.0049999999999, -0.005, -2.675, -0.001, 0.0, 100.0, 96.9949999995, 96.9950000005, 123456.785,
          float("nan")]


@pytest.mark.parametrize("score, expected", [
    (96.995, 97.0), (0.125, 0.13), (2.675, 2.68), (89.99499999, 89.99), (96.41499999999999, 96.42),
    (89.99999999999999, 90.0), (-2.675, -2.68), (123456.785, 123456.79)])
def test_round2_array_rounds_half_up_like_round2(score, expected):
    assert round2_array([score])[0] == expected


def test_round2_array_gives_round2_s_figures_on_tricky_and_random_scores():
    # Both halves of the vectorised rounding: plain values, and those next to a half at 9 decimals (96.9949999995
    # is 96.995 at 9 decimals, so 97.00) or too large, which go through round2 itself.
    rng = np.random.default_rng(7)
    scores = TRICKY + [None] + list(rng.uniform(-10, 110, 20000)) + list(np.round(rng.uniform(0, 100, 20000), 3))
    got = round2_array(scores)
    want = [round2(None if v is None else float(v)) for v in scores]
    assert [None if np.isnan(g) else g for g in got] == want
    assert np.signbit(round2_array([-0.001])[0])  # Decimal keeps the sign of -0.00
