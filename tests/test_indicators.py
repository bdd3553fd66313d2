"""万人诉求比, 重复诉求, 高频诉求人, category mix with change, 每月一题 trend (METRICS.md §7)."""
import math

import pytest

from data_access.queries.case_queries import CaseFilter
from data_access.records.units import set_population
from metrics.indicators import category_mix, frequent_callers, per_10k, repeats, tag_trend
from metrics.periods import parse_period, trailing
from metrics.rules import load_rules
from tests.factories import case_row, units, write

RULES = load_rules()  # repeat window 30 days, frequent caller 5 cases
MARCH = parse_period("2025-03")


def test_per_10k_counts_by_the_street_field_against_its_population(engine):
    u = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"), ("交道口街道", "街道"), ("区城管委", "区级部门"))
    with engine.begin() as conn:
        set_population(conn, u["东华门街道"], 20_000)
        set_population(conn, u["景山街道"], 10_000)
    dept = u["区城管委"]
    write(engine, [
        # handled by a department, located in 东华门街道: counted for the street
        *[case_row(f"S{i}", dept, "2025-03-02 08:00:00", street="东华门街道") for i in range(3)],
        case_row("J1", u["景山街道"], "2025-03-02 08:00:00", street="景山街道"),
        *[case_row(f"B{i}", dept, "2025-03-02 08:00:00", street="北新桥街道") for i in range(2)],
        case_row("N1", dept, "2025-03-02 08:00:00"),
        case_row("F1", dept, "2025-02-02 08:00:00", street="景山街道"),
    ])
    frame = per_10k(engine, MARCH)
    assert list(frame["street"]) == ["东华门街道", "景山街道", "交道口街道", "北新桥街道"]
    assert list(frame["volume"]) == [3, 1, 0, 2]
    assert frame["per_10k"][0] == pytest.approx(3 / 20_000 * 10_000)
    assert frame["per_10k"][1] == pytest.approx(1 / 10_000 * 10_000)
    assert math.isnan(frame["per_10k"][2]) and math.isnan(frame["per_10k"][3])
    # A quarter is a monthly average: (3 in March) / 3 months / 20,000 × 10,000; 景山 has 1 + 1 cases.
    quarter = per_10k(engine, parse_period("2025-Q1")).set_index("street")["per_10k"]
    assert quarter["东华门街道"] == pytest.approx(3 / 3 / 20_000 * 10_000)
    assert quarter["景山街道"] == pytest.approx(2 / 3 / 10_000 * 10_000)


def test_repeat_rate_by_unit_with_the_thirty_day_window(engine):
    u = units(engine, ("建国门街道", "街道"), ("朝阳门街道", "街道"))
    a, b = u["建国门街道"], u["朝阳门街道"]
    write(engine, [
        case_row("E0", a, "2025-02-01 08:00:00", caller_key="k1", cat_l2="噪音"),
        case_row("E1", a, "2025-03-03 08:00:00", caller_key="k1", cat_l2="噪音"),   # 30 days exactly: repeat
        case_row("F1", a, "2025-03-03 08:00:01", caller_key="k2", cat_l2="噪音"),   # first of k2
        case_row("G1", a, "2025-04-02 08:00:02", caller_key="k2", cat_l2="噪音"),   # 30 days + 1 s: next period
        case_row("G2", a, "2025-03-20 08:00:00", caller_key="k1", cat_l2="供暖"),   # first 供暖 of k1
        case_row("H1", b, "2025-03-25 08:00:00", caller_key="k1", cat_l2="供暖"),   # 5 days after G2, other unit
    ])
    frame = repeats(engine, MARCH, RULES)
    assert frame.to_dict("records") == [
        {"unit_id": b, "unit_code": "U0002", "unit_name": "朝阳门街道", "volume": 1, "repeats": 1, "repeat_rate": 1.0},
        {"unit_id": a, "unit_code": "U0001", "unit_name": "建国门街道", "volume": 3, "repeats": 1,
         "repeat_rate": pytest.approx(1 / 3)}]
    assert list(repeats(engine, MARCH, RULES, unit_id=a)["unit_name"]) == ["建国门街道"]
    assert repeats(engine, parse_period("2025-04"), RULES).set_index("unit_id").loc[a, "repeats"] == 0


def test_frequent_callers_are_shown_masked_only(engine):
    u = units(engine, ("东四街道", "街道"), ("区住建委", "区级部门"))
    a, d = u["东四街道"], u["区住建委"]

    def call(no, unit, key, masked, cat, day):
        return case_row(no, unit, f"2025-03-{day:02d} 08:00:00", caller_key=key, caller_masked=masked, cat_l1=cat)

    write(engine, [
        *[call(f"K{i}", a, "key-one", "138****0001", "物业管理", i + 1) for i in range(3)],
        *[call(f"L{i}", d, "key-one", "138****0001", "市容环卫", i + 10) for i in range(2)],
        *[call(f"M{i}", a, "key-two", "139****0002", "物业管理", i + 1) for i in range(4)],
        case_row("P0", a, "2025-02-20 08:00:00", caller_key="key-one", caller_masked="138****0001"),  # February
    ])
    frame = frequent_callers(engine, MARCH, RULES)
    assert list(frame.columns) == ["caller_masked", "cases", "top_categories", "first_received_at",
                                   "last_received_at"]
    assert frame[["caller_masked", "cases", "top_categories"]].values.tolist() == [
        ["138****0001", 5, "物业管理、市容环卫"]]
    assert (frame["first_received_at"][0].day, frame["last_received_at"][0].day) == (1, 11)
    assert "key-one" not in frame.to_csv()
    assert frequent_callers(engine, MARCH, RULES, unit_id=a).empty  # 3 of its cases are the unit's


@pytest.fixture
def mix_data(engine):
    u = units(engine, ("安定门街道", "街道"), ("区交通委", "区级部门"))
    a, d = u["安定门街道"], u["区交通委"]
    rows = []
    for month, counts in (("03", {"物业管理": 3, "市容环卫": 1, "交通管理": 2}),
                          ("02", {"物业管理": 1, "市容环卫": 2, "教育": 1})):
        for cat, n in counts.items():
            unit = d if cat == "交通管理" else a
            rows += [case_row(f"{month}-{cat}-{i}", unit, f"2025-{month}-05 08:00:00", cat_l1=cat,
                              street="安定门街道" if i == 0 else "和平里街道") for i in range(n)]
    write(engine, rows)
    return engine, a, d


def test_category_mix_with_change_against_the_previous_period(mix_data):
    engine, a, _ = mix_data
    frame = category_mix(engine, MARCH)
    assert list(frame["cat_l1"]) == ["物业管理", "交通管理", "市容环卫", "教育"]
    assert list(frame["volume"]) == [3, 2, 1, 0] and list(frame["prev_volume"]) == [1, 0, 2, 1]
    assert frame["change"].tolist()[0] == 2 and math.isnan(frame["change"][1])   # 交通管理 is new
    assert frame["change"].tolist()[2:] == [-1, -1]
    assert frame["share"].tolist() == pytest.approx([3 / 6, 2 / 6, 1 / 6, 0])
    unit = category_mix(engine, MARCH, CaseFilter(unit_ids=[a]))
    assert list(zip(unit["cat_l1"], unit["volume"], unit["prev_volume"])) == \
        [("物业管理", 3, 1), ("市容环卫", 1, 2), ("教育", 0, 1)]
    street = category_mix(engine, MARCH, CaseFilter(unit_ids=None, street="安定门街道"))
    assert list(zip(street["cat_l1"], street["volume"])) == [("交通管理", 1), ("市容环卫", 1), ("物业管理", 1),
                                                             ("教育", 0)]


def test_tag_trend_counts_whole_tags_per_period(engine):
    a = units(engine, ("北新桥街道", "街道"))["北新桥街道"]
    write(engine, [
        case_row("T1", a, "2025-02-03 08:00:00", tags=";每月一题;供暖;"),
        case_row("T2", a, "2025-02-28 23:59:59", tags=";每月一题;"),
        case_row("T3", a, "2025-03-01 00:00:00", tags=";供暖;每月一题;"),
        case_row("T4", a, "2025-03-04 08:00:00", tags=";每月一题X;"),
        case_row("T5", a, "2025-03-04 08:00:00"),
    ])
    frame = tag_trend(engine, trailing(MARCH, 3))
    assert frame.to_dict("records") == [
        {"period": "2025-01", "period_label": "2025年1月", "tag": "每月一题", "volume": 0},
        {"period": "2025-02", "period_label": "2025年2月", "tag": "每月一题", "volume": 2},
        {"period": "2025-03", "period_label": "2025年3月", "tag": "每月一题", "volume": 1}]
    assert list(tag_trend(engine, trailing(MARCH, 2), tag="供暖")["volume"]) == [1, 1]
    assert tag_trend(engine, trailing(MARCH, 3), tag="挂账").empty
