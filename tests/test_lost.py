"""失分工单, points lost per rate, 差几件 and loss breakdowns (METRICS.md §6), with hand-computed Δ."""
import random

import pytest

from metrics.adjustments import add_adjustment
from metrics.lost import (
    case_costs, default_target, gap_cases, loss_by, lost_cases, lost_costs, lost_summary, points_lost,
)
from metrics.periods import parse_period
from metrics.rules import load_rules
from metrics.scores import unit_scores
from tests.factories import case_row, units, write

RULES = load_rules()  # weights 0.10 / 0.45 / 0.45; 部分解决 = 0.5
MARCH = parse_period("2025-03")
# |A| = 4, solved_rated = 3, satisfaction_rated = 2 (hand data below)
D_L1 = 100 * (0.1 / 4 + 0.45 / 3 + 0.45 / 2)   # late, 未解决, 不满意 = 40
D_L2 = 100 * 0.45 * (1 - 0.5) / 3               # on time, 部分解决, not rated = 7.5
D_L4 = 100 * 0.1 / 4                            # late, not rated = 2.5


def _perfect(no, unit, **fields):
    return case_row(no, unit, "2025-03-05 08:00:00", responded_at="2025-03-05 09:00:00", solved="解决",
                    satisfaction="满意", **fields)


@pytest.fixture
def lost_data(engine):
    u = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"), ("交道口街道", "街道"))
    a = u["东华门街道"]
    rows = [
        case_row("L1", a, "2025-03-02 08:00:00", solved="未解决", satisfaction="不满意", cat_l1="物业管理",
                 community="多福巷社区"),
        case_row("L2", a, "2025-03-02 08:00:00", responded_at="2025-03-02 09:00:00", solved="部分解决",
                 satisfaction="未评价", cat_l1="物业管理", community="韶九社区"),
        case_row("L3", a, "2025-03-02 08:00:00", responded_at="2025-03-02 09:00:00", solved="解决",
                 satisfaction="满意", cat_l1="市容环卫", community="韶九社区"),
        case_row("L4", a, "2025-03-02 08:00:00", urgency="紧急", responded_at="2025-03-02 11:00:00",
                 satisfaction="未评价", cat_l1="市容环卫", community="多福巷社区"),
        case_row("X1", a, "2025-03-02 08:00:00", solved="未解决", satisfaction="不满意", excluded=True),
        case_row("N1", a, "2025-04-01 00:00:00", solved="未解决"),  # next period
    ]
    # Two ranked streets with red flags: 100 and 100 × (0.1 + 0.45 × 9.5/10 + 0.45) = 97.75.
    rows += [_perfect(f"S1-{i}", u["景山街道"]) for i in range(10)]
    rows += [_perfect(f"S2-{i}", u["交道口街道"]) for i in range(9)]
    rows.append(_perfect("S2-9", u["交道口街道"]) | {"solved": "部分解决"})
    write(engine, rows)
    return engine, a


def test_lost_cases_with_their_cost(lost_data):
    engine, a = lost_data
    frame = lost_cases(engine, MARCH, RULES, a)
    assert list(frame["case_no"]) == ["L1", "L2", "L4"]
    assert list(frame["cost"]) == pytest.approx([D_L1, D_L2, D_L4], abs=1e-12)
    assert list(frame["on_time"]) == [False, True, False]
    assert list(frame["solved"]) == ["未解决", "部分解决", None]
    assert list(lost_cases(engine, MARCH, RULES, a, limit=1, offset=1)["case_no"]) == ["L2"]
    assert lost_costs(engine, MARCH, RULES, a) == pytest.approx([D_L1, D_L2, D_L4], abs=1e-12)


def test_costs_sum_to_what_the_score_lost(lost_data):
    engine, a = lost_data
    row = unit_scores(engine, MARCH, RULES).set_index("unit_id").loc[a]
    assert row["raw_score"] == pytest.approx(50.0)
    assert sum(lost_costs(engine, MARCH, RULES, a)) == pytest.approx(100 - row["raw_score"], abs=1e-9)
    lost = points_lost(row, RULES)  # every rate is 0.5
    assert lost == pytest.approx({"response_rate": 5.0, "resolution_rate": 22.5, "satisfaction_rate": 22.5})


def test_equal_costs_sort_by_case_no(engine):
    a = units(engine, ("北新桥街道", "街道"))["北新桥街道"]
    # Late only (Δ = 100 × 0.1 / 3) for T2 and T1; 未解决 only (Δ = 100 × 0.45 / 1) for T3.
    write(engine, [
        case_row("T2", a, "2025-03-03 08:00:00"),
        case_row("T1", a, "2025-03-04 08:00:00"),
        case_row("T3", a, "2025-03-05 08:00:00", responded_at="2025-03-05 08:30:00", solved="未解决"),
    ])
    frame = lost_cases(engine, MARCH, RULES, a)
    assert list(frame["case_no"]) == ["T3", "T1", "T2"]
    assert list(frame["cost"]) == pytest.approx([100 * 0.45 / 1, 100 * 0.1 / 3, 100 * 0.1 / 3])
    assert frame["cost"][1] == frame["cost"][2]


def test_exact_costs_make_equal_patterns_identical():
    # 100 × 0.1 / 18 (late) and 100 × 0.45 / 81 (不满意) are the same number, so they tie exactly.
    costs = case_costs(RULES, 18, 0, 81)
    assert costs[(True, None, None)] == costs[(False, None, "不满意")]
    assert costs[(False, "解决", "满意")] == 0.0


def test_loss_by_category_and_community(lost_data):
    engine, a = lost_data
    by_cat = loss_by(engine, MARCH, RULES, a, by="cat_l1")
    assert by_cat.to_dict("records") == [
        {"cat_l1": "物业管理", "cases": 2, "cost": pytest.approx(D_L1 + D_L2)},
        {"cat_l1": "市容环卫", "cases": 1, "cost": pytest.approx(D_L4)}]
    by_community = loss_by(engine, MARCH, RULES, a, by="community")
    assert list(zip(by_community["community"], by_community["cases"])) == [("多福巷社区", 2), ("韶九社区", 1)]
    assert list(by_community["cost"]) == pytest.approx([D_L1 + D_L4, D_L2])
    with pytest.raises(ValueError, match="cat_l1"):
        loss_by(engine, MARCH, RULES, a, by="street")


def test_gap_to_the_lowest_red_flag_and_to_a_given_target(lost_data):
    engine, a = lost_data
    assert default_target(engine, MARCH, RULES, a) == pytest.approx(97.75)
    # 50 + 40 + 7.5 = 97.5 < 97.75; + 2.5 = 100
    summary = lost_summary(engine, MARCH, RULES, a)
    assert (summary["unit_name"], summary["target"], summary["gap_cases"], summary["lost_cases"]) == \
        ("东华门街道", pytest.approx(97.75), 3, 3)
    assert summary["lost_total"] == pytest.approx(50.0)
    assert lost_summary(engine, MARCH, RULES, a, target=90)["gap_cases"] == 1       # 50 + 40 = 90 exactly
    assert lost_summary(engine, MARCH, RULES, a, target=100.01)["gap_cases"] is None
    add_adjustment(engine, a, "2025-03", 0.5, "主动治理")
    summary = lost_summary(engine, MARCH, RULES, a, target=98)                     # 50.5 + 40 + 7.5 = 98
    assert (summary["raw_score"], summary["adjusted_score"], summary["gap_cases"]) == \
        (pytest.approx(50.0), pytest.approx(50.5), 2)


def test_the_page_s_scores_spare_counting_again_and_change_nothing(lost_data):
    engine, a = lost_data
    scores = unit_scores(engine, MARCH, RULES)
    summary = lost_summary(engine, MARCH, RULES, a, scores=scores)
    assert (summary["target"], summary["gap_cases"], summary["lost_total"]) == (pytest.approx(97.75), 3,
                                                                               pytest.approx(50.0))
    assert summary == lost_summary(engine, MARCH, RULES, a)
    assert list(lost_cases(engine, MARCH, RULES, a, scores=scores)["cost"]) == \
        pytest.approx([D_L1, D_L2, D_L4], abs=1e-12)
    assert loss_by(engine, MARCH, RULES, a, by="cat_l1", scores=scores)["cost"].tolist() == \
        pytest.approx([D_L1 + D_L2, D_L4])


def test_gap_compares_two_decimal_figures():
    # 94.994 + 0.001 = 94.995, shown as 95.00: reaches 95 with one case, though the exact sum is below it.
    assert gap_cases(94.994, [0.001, 0.004], 95.0) == 1
    assert gap_cases(94.994, [0.0005, 0.0005], 95.0) == 2  # 94.9945 shows as 94.99, 94.995 as 95.00
    assert gap_cases(94.994, [0.0005, 0.0004], 95.0) is None  # 94.9949 still shows as 94.99
    assert gap_cases(95.0, [1.0], 95.004) == 0             # the target too is taken at 2 decimals
    assert gap_cases(90.0, [1.0, 2.0], 95.0) is None
    assert gap_cases(None, [1.0], 95.0) is None and gap_cases(90.0, [1.0], None) is None


def test_property_costs_sum_to_100_minus_raw_score(engine):
    a = units(engine, ("和平里街道", "街道"))["和平里街道"]
    rng = random.Random(7)
    rows = []
    for i in range(80):
        responded = rng.choice([None, "2025-03-10 09:00:00", "2025-03-11 10:00:00"])
        rows.append(case_row(f"R{i:03d}", a, "2025-03-10 08:00:00", responded_at=responded,
                             urgency=rng.choice([None, "紧急", "一般"]),
                             solved=rng.choice([None, "解决", "部分解决", "未解决"]),
                             satisfaction=rng.choice([None, "未评价", "满意", "基本满意", "不满意"]),
                             excluded=rng.random() < 0.1))
    write(engine, rows)
    for rules in (RULES, load_rules("beijing-2019")):
        raw = unit_scores(engine, MARCH, rules).set_index("unit_id").loc[a, "raw_score"]
        assert sum(lost_costs(engine, MARCH, rules, a)) == pytest.approx(100 - raw, abs=1e-9)
        assert sum(lost_cases(engine, MARCH, rules, a)["cost"]) == pytest.approx(100 - raw, abs=1e-9)
