"""流动红旗, 进步奖 and the flag history (METRICS.md §5) on hand-built leagues.

Every unit has 10 cases a month; with the default weights its score is 100 − late answers − 4.5 × 未解决
− 4.5 × 不满意 (tests/scoring_cases.month_cases), so each expected score below is read off its arguments.
"""
import pandas as pd

from metrics.adjustments import add_adjustment
from metrics.awards import awards, awards_and_history, flag_history
from metrics.periods import parse_period
from metrics.rules import load_rules
from tests.factories import units, write
from tests.scoring_cases import month_cases

MARCH = parse_period("2025-03")
RULES = load_rules("default")


def _rows(frame: pd.DataFrame) -> list[tuple]:
    """(group, award, unit_name, rank, adjusted score to 2 decimals, rank_gain or None) per row."""
    return [(g, a, n, int(r), round(s, 2), None if pd.isna(k) else int(k))
            for g, a, n, r, s, k in frame[["group", "award", "unit_name", "rank", "adjusted_score",
                                           "rank_gain"]].itertuples(index=False)]


def test_red_flags_share_ties_at_the_cut_and_need_the_minimum_score(engine, tmp_path):
    u = units(engine, ("一街道", "街道"), ("二街道", "街道"), ("三街道", "街道"), ("四街道", "街道"), ("五街道", "街道"),
              ("甲局", "区级部门"), ("乙局", "区级部门"), ("丙局", "区级部门"))
    write(engine, [
        *month_cases(u["一街道"], "2025-03"),                   # 100    rank 1
        *month_cases(u["二街道"], "2025-03", late=1),           # 99     rank 2
        *month_cases(u["三街道"], "2025-03", unsatisfied=1),    # 95.5   rank 3
        *month_cases(u["四街道"], "2025-03", unsolved=1),       # 95.5   rank 3 (tie at the cut: both flagged)
        *month_cases(u["五街道"], "2025-03", late=6),           # 94     rank 5
        *month_cases(u["甲局"], "2025-03", late=4),             # 96     rank 1
        *month_cases(u["乙局"], "2025-03", late=1, unsatisfied=1),  # 94.5 + 0.5 adjustment = 95.00, rank 2
        *month_cases(u["丙局"], "2025-03", late=1, unsatisfied=1),  # 94.5, rank 3, below 95: no flag
    ])
    add_adjustment(engine, u["乙局"], "2025-03", 0.5, "疑难工单加分")
    got = awards(engine, MARCH, RULES)
    assert list(got.columns) == ["group", "award", "unit_id", "unit_name", "rank", "adjusted_score", "rank_gain"]
    # No February: nobody was ranked before, so no 进步奖 and no rank gain.
    assert _rows(got) == [
        ("街乡镇", "红旗", "一街道", 1, 100.0, None), ("街乡镇", "红旗", "二街道", 2, 99.0, None),
        ("街乡镇", "红旗", "三街道", 3, 95.5, None), ("街乡镇", "红旗", "四街道", 3, 95.5, None),
        ("部门", "红旗", "甲局", 1, 96.0, None), ("部门", "红旗", "乙局", 2, 95.0, None)]
    # top_n 2 keeps the flag for ranks 1–2; min_score 99.5 leaves only the perfect street.
    assert _rows(awards(engine, MARCH, _rules(tmp_path, "top2.toml", "[awards]\ntop_n = 2\n")))[:2] == [
        ("街乡镇", "红旗", "一街道", 1, 100.0, None), ("街乡镇", "红旗", "二街道", 2, 99.0, None)]
    strict = awards(engine, MARCH, _rules(tmp_path, "strict.toml", "[awards]\nmin_score = 99.5\n"))
    assert strict["unit_name"].tolist() == ["一街道"]


def _rules(folder, name: str, text: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_rules(str(path))


FEBRUARY_LATE = {"P1": 0, "P2": 1, "P4": 2, "P5": 3, "P6": 4, "P3": 5, "P7": 6, "P8": 7}  # ranks 1–8 in this order
MARCH_LATE = {"P1": 0, "P2": 1, "P3": 2, "P7": 3, "P8": 4, "P4": 5, "P5": 6, "P6": 7, "P9": 10}


def _progress_league(engine) -> dict[str, int]:
    """Nine streets. February ranks P1 … P8 as listed in FEBRUARY_LATE; P9 is new in March.
    March: P1 1st (±0), P2 2nd (±0), P3 3rd (6th → 3rd: +3 but flagged), P7 4th (7th → 4th: +3),
    P8 5th (8th → 5th: +3), P4 6th (−3), P5 7th (−3), P6 8th (−3), P9 9th (new: no gain)."""
    u = units(engine, *[(f"{name}街道", "街道") for name in MARCH_LATE])
    rows = [c for name, late in FEBRUARY_LATE.items() for c in month_cases(u[f"{name}街道"], "2025-02", late=late)]
    rows += [c for name, late in MARCH_LATE.items() for c in month_cases(u[f"{name}街道"], "2025-03", late=late)]
    write(engine, rows)
    return u


def test_progress_award_goes_to_the_largest_gain_among_units_without_a_flag(engine, tmp_path):
    _progress_league(engine)
    got = awards(engine, MARCH, RULES)
    assert _rows(got) == [
        ("街乡镇", "红旗", "P1街道", 1, 100.0, 0), ("街乡镇", "红旗", "P2街道", 2, 99.0, 0),
        ("街乡镇", "红旗", "P3街道", 3, 98.0, 3),
        ("街乡镇", "进步奖", "P7街道", 4, 97.0, 3), ("街乡镇", "进步奖", "P8街道", 5, 96.0, 3)]
    # A gain of 3 is below a min_rank_gain of 4: no 进步奖 at all.
    higher_bar = awards(engine, MARCH, _rules(tmp_path, "gain4.toml", "[awards]\nmin_rank_gain = 4\n"))
    assert higher_bar["award"].tolist() == ["红旗", "红旗", "红旗"]


def test_flag_history_counts_streaks_of_consecutive_periods(engine):
    _progress_league(engine)
    # February flags: P1 (100), P2 (99), P4 (98). March: P1, P2, P3. Periods may be given in any order.
    got = flag_history(engine, [MARCH, parse_period("2025-02")], RULES)
    assert list(zip(got["period"], got["group"], got["unit_name"], got["rank"], got["streak"])) == [
        ("2025-02", "街乡镇", "P1街道", 1, 1), ("2025-02", "街乡镇", "P2街道", 2, 1), ("2025-02", "街乡镇", "P4街道", 3, 1),
        ("2025-03", "街乡镇", "P1街道", 1, 2), ("2025-03", "街乡镇", "P2街道", 2, 2), ("2025-03", "街乡镇", "P3街道", 3, 1)]
    # A month without cases breaks nothing before it and flags nobody.
    assert flag_history(engine, [parse_period("2025-04")], RULES).empty


def test_awards_and_history_from_one_reading_equal_the_two_tables(engine):
    _progress_league(engine)
    # The history here is March alone: the awards still find February (for rank_gain) in the same reading.
    won, history = awards_and_history(engine, MARCH, RULES, [MARCH])
    assert _rows(won) == [
        ("街乡镇", "红旗", "P1街道", 1, 100.0, 0), ("街乡镇", "红旗", "P2街道", 2, 99.0, 0),
        ("街乡镇", "红旗", "P3街道", 3, 98.0, 3),
        ("街乡镇", "进步奖", "P7街道", 4, 97.0, 3), ("街乡镇", "进步奖", "P8街道", 5, 96.0, 3)]
    assert list(zip(history["unit_name"], history["streak"])) == [("P1街道", 1), ("P2街道", 1), ("P3街道", 1)]
    periods = [parse_period("2025-01"), parse_period("2025-02"), MARCH]
    won, history = awards_and_history(engine, MARCH, RULES, periods)
    pd.testing.assert_frame_equal(won, awards(engine, MARCH, RULES), check_exact=True)
    pd.testing.assert_frame_equal(history, flag_history(engine, periods, RULES), check_exact=True)
