"""新增 vs 突增 and the first month of data (METRICS.md §7), and the placeholder cases the H3 view leaves off."""
import pytest

from metrics.hotspots import NO_PREVIOUS, hotspots
from metrics.periods import parse_period
from metrics.rules import load_rules
from tests.factories import case_row, units, write
from ui.map import statuses, styled

RULES = load_rules()  # min_cases 5, surge_ratio 2
FEBRUARY, MARCH = parse_period("2025-02"), parse_period("2025-03")
A, B, C, P = (39.95, 116.42), (39.93, 116.44), (39.97, 116.39), (39.9042, 116.4074)


def _cases(prefix, unit, month, address, point, n):
    return [case_row(f"{prefix}{i}", unit, f"2025-{month}-{i + 1:02d} 08:00:00", address=address, lat=point[0],
                     lon=point[1], street="和平里街道") for i in range(n)]


@pytest.fixture
def two_months(engine):
    u = units(engine, ("和平里街道", "街道"))["和平里街道"]
    write(engine, [
        # February, the first month of data: 甲路1号 6 cases; 乙路2号 1 case.
        *_cases("A-f", u, "02", "甲路1号", A, 6), *_cases("B-f", u, "02", "乙路2号", B, 1),
        # March: 甲路1号 7 (< 2 × 6: hotspot, no surge); 乙路2号 5 (≥ 2 × 1: 突增); 丙路3号 5, none before: 新增.
        *_cases("A-m", u, "03", "甲路1号", A, 7), *_cases("B-m", u, "03", "乙路2号", B, 5),
        *_cases("C-m", u, "03", "丙路3号", C, 5),
        # Ten addresses at one default point in March: a placeholder carrying 10 of the month's 27 geocoded cases.
        *[case_row(f"P{i}", u, "2025-03-20 08:00:00", address=f"占位路{i}号", lat=P[0], lon=P[1]) for i in range(10)],
    ])
    return engine


def test_new_and_surge_apart_against_a_previous_month(two_months):
    table = hotspots(two_months, MARCH, RULES, by="address", top=3).set_index("key")
    assert table.attrs["previous_data"] is True
    got = {k: (r["volume"], r["prev_volume"], r["hotspot"], r["surge"], r["new"]) for k, r in table.iterrows()}
    assert got == {"甲路1号": (7, 6, True, False, False), "乙路2号": (5, 1, True, True, False),
                   "丙路3号": (5, 0, True, False, True)}
    assert statuses(table.loc[["甲路1号", "乙路2号", "丙路3号"]].reset_index()) == ["高频", "突增", "新增"]


def test_the_first_month_of_data_claims_neither_and_says_so(two_months):
    table = hotspots(two_months, FEBRUARY, RULES, by="address")
    assert table.attrs["previous_data"] is False
    first = table.iloc[0]
    assert (first["key"], first["volume"], first["hotspot"]) == ("甲路1号", 6, True)
    assert not table["surge"].any() and not table["new"].any()
    assert table["prev_volume"].isna().all() and table["change"].isna().all()
    assert statuses(table)[0] == "高频"
    assert styled(table)["prev_text"].iloc[0] == NO_PREVIOUS


def test_the_h3_view_counts_the_placeholder_cases_it_leaves_off(two_months):
    table = hotspots(two_months, MARCH, RULES, by="h3")
    assert table.attrs["placeholder_cases"] == 10
    assert table["volume"].sum() == 17  # 7 + 5 + 5: the placeholder point's cases are in no cell
    assert hotspots(two_months, FEBRUARY, RULES, by="h3").attrs["placeholder_cases"] == 0
