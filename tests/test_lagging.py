"""后进单位 and 连续后进 (METRICS.md §6) on a hand-built league.

Every unit has 10 cases a month; its score is 100 − late answers (tests/scoring_cases.month_cases).
Default rules: bottom_n 3 (so a group needs more than 6 ranked units), consecutive 2.
"""
import pandas as pd

from metrics.lagging import lagging, lagging_reading_back, lagging_review
from metrics.periods import parse_period, trailing
from metrics.rules import load_rules
from metrics.scores import score_frame, score_trend, trend_of_units, unit_scores
from tests.factories import units, write
from tests.scoring_cases import month_cases

MARCH = parse_period("2025-03")
RULES = load_rules("default")
STREETS = [f"L{i}街道" for i in range(1, 9)]
# late answers per street and month; the scores are 100 minus these
LATE = {
    "2025-01": [7, 8, 0, 1, 2, 3, 4, 9],   # bottom three: L8 (91), L2 (92), L1 (93)
    "2025-02": [0, 1, 2, 7, 3, 4, 8, 9],   # bottom three: L8 (91), L7 (92), L4 (93)
    "2025-03": [0, 1, 2, 3, 5, 5, 5, 6],   # L8 94 is last; L5, L6, L7 tie at 95 on the cut: all four lag
}
DEPARTMENTS = [f"D{i}局" for i in range(1, 8)]


def _league(engine) -> dict[str, int]:
    u = units(engine, *[(name, "街道") for name in STREETS], *[(name, "区级部门") for name in DEPARTMENTS])
    rows = [c for month, lates in LATE.items() for name, late in zip(STREETS, lates)
            for c in month_cases(u[name], month, late=late)]
    # 部门: six ranked departments (2 × bottom_n, too few for 后进) and a seventh with 9 cases, not ranked.
    rows += [c for i, name in enumerate(DEPARTMENTS[:6]) for c in month_cases(u[name], "2025-03", late=i)]
    rows += month_cases(u[DEPARTMENTS[6]], "2025-03", n=9, late=9)
    write(engine, rows)
    return u


def test_bottom_units_with_ties_streaks_and_watchlist(engine, tmp_path):
    _league(engine)
    got = lagging(engine, MARCH, RULES)
    assert list(got.columns) == ["group", "unit_id", "unit_name", "rank", "adjusted_score", "lagging_periods",
                                 "watchlist"]
    # March ranks: L1–L4 1–4, L5/L6/L7 5, L8 8. L7 also lagged in February; L8 in January and February too.
    assert [(g, n, int(r), round(s, 2), k, w) for g, n, r, s, k, w in got[
        ["group", "unit_name", "rank", "adjusted_score", "lagging_periods", "watchlist"]].itertuples(index=False)] == [
        ("街乡镇", "L5街道", 5, 95.0, 1, False), ("街乡镇", "L6街道", 5, 95.0, 1, False),
        ("街乡镇", "L7街道", 5, 95.0, 2, True), ("街乡镇", "L8街道", 8, 94.0, 3, True)]
    # Three consecutive periods needed: only L8 stays on the watchlist.
    path = tmp_path / "three.toml"
    path.write_text("[lagging]\nconsecutive = 3\n", encoding="utf-8")
    strict = lagging(engine, MARCH, load_rules(str(path)))
    assert strict[strict["watchlist"]]["unit_name"].tolist() == ["L8街道"]


def test_a_group_of_at_most_twice_bottom_n_has_no_lagging_units(engine, tmp_path):
    _league(engine)
    got = lagging(engine, MARCH, RULES)
    assert "部门" not in set(got["group"])
    # With bottom_n = 2 the six ranked departments exceed 2 × 2: the two lowest (D5 96, D6 95) lag;
    # the streets' cut moves too: fewer than 2 streets score below L5–L7's 95, so they still lag with L8.
    path = tmp_path / "two.toml"
    path.write_text("[lagging]\nbottom_n = 2\n", encoding="utf-8")
    two = lagging(engine, MARCH, load_rules(str(path)))
    assert list(zip(two["group"], two["unit_name"])) == [
        ("街乡镇", "L5街道"), ("街乡镇", "L6街道"), ("街乡镇", "L7街道"), ("街乡镇", "L8街道"),
        ("部门", "D5局"), ("部门", "D6局")]


def test_lagging_review_reads_once_what_the_page_shows(engine):
    u = _league(engine)
    lagged, scores, trend = lagging_review(engine, MARCH, RULES, trailing(MARCH, 3))
    assert list(zip(lagged["unit_name"], lagged["lagging_periods"])) == [
        ("L5街道", 1), ("L6街道", 1), ("L7街道", 2), ("L8街道", 3)]
    pd.testing.assert_frame_equal(lagged, lagging(engine, MARCH, RULES), check_exact=True)
    # L8: 94 in March, last of eight streets (above: 91 and 91 in January and February, last both times).
    l8 = trend_of_units(trend, [u["L8街道"]])
    assert l8[l8["unit_name"] == "L8街道"][["adjusted_score", "rank"]].values.tolist() == \
        [[91.0, 8], [91.0, 8], [94.0, 8]]
    pd.testing.assert_frame_equal(l8, score_trend(engine, trailing(MARCH, 3), RULES, unit_ids=[u["L8街道"]]),
                                  check_exact=True)
    pd.testing.assert_frame_equal(scores.drop(columns="on_time_close_rate"),
                                  unit_scores(engine, MARCH, RULES).drop(columns="on_time_close_rate"),
                                  check_exact=True)


def test_reading_back_only_as_far_as_the_streaks_go_gives_the_same_table(engine, monkeypatch):
    _league(engine)
    expected, read = lagging(engine, MARCH, RULES), []
    monkeypatch.setattr("metrics.lagging.score_frame", lambda e, periods, *a, **k: read.append(
        [p.key for p in periods]) or score_frame(e, periods, *a, **k))
    march = score_frame(engine, [MARCH], RULES, closing=False)
    got = lagging_reading_back(engine, march, MARCH, RULES)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # L8 lagged in February and January: both read, and December, where nobody's streak goes on; no further.
    assert read == [["2025-02"], ["2025-01"], ["2024-12"]]
