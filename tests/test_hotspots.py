"""高频点位: by address and by H3 cell, surge against the previous period, placeholder points, filters."""
import h3
import pytest
from sqlalchemy import select

from data_access.queries.case_queries import case_page
from data_access.storage.schema import cases, stat_cell_month, stat_place_day, stat_point_month
from metrics.hotspots import hotspot_case_filter, hotspots, placeholder_points
from metrics.periods import parse_period
from metrics.rules import load_rules, load_rules_text
from tests.factories import case_row, units, write

RULES = load_rules()  # min_cases 5, surge_ratio 2, placeholder_share 0.05, h3_resolution 9
MARCH = parse_period("2025-03")
A1, A2, B, C, P = (39.95, 116.42), (39.9501, 116.4201), (39.93, 116.44), (39.97, 116.39), (39.9042, 116.4074)


def _cell(point):
    return h3.latlng_to_cell(*point, 9)


def _case(no, unit, day, address, point, cat="物业管理", street="和平里街道", **fields):
    lat, lon = point if point else (None, None)
    return case_row(no, unit, f"2025-{day} 08:00:00", address=address, lat=lat, lon=lon, cat_l1=cat,
                    street=street, **fields)


@pytest.fixture
def place_data(engine):
    u = units(engine, ("和平里街道", "街道"), ("区城管委", "区级部门"))
    a, d = u["和平里街道"], u["区城管委"]
    rows = []
    # 和平里东街1号: 6 cases in March (two spelled with spaces), 3 in February → hotspot and 突增 (6 ≥ 2 × 3).
    for i, (cat, point, address) in enumerate([
            ("物业管理", A1, "和平里东街1号"), ("物业管理", A1, "和平里东街1号"), ("物业管理", A1, "和平里东街1号"),
            ("市容环卫", A1, "和平里东街1号"), ("市容环卫", A2, "和平里东街 1 号"), ("交通管理", A2, "和平里东街 1 号")]):
        rows.append(_case(f"H1-{i}", a, f"03-0{i + 1}", address, point, cat))
    rows += [_case(f"H1-p{i}", a, f"02-0{i + 1}", "和平里东街1号", A1) for i in range(3)]
    # 安定门外大街2号: 5 in March (one geocoded to the placeholder point), 3 in February → hotspot, no surge.
    rows += [_case(f"H2-{i}", d, f"03-1{i}", "安定门外大街2号", B if i < 4 else P, street="安定门街道",
                   closed_at=f"2025-03-1{i} 09:00:00") for i in range(5)]
    rows += [_case(f"H2-p{i}", d, f"02-1{i}", "安定门外大街2号", B, street="安定门街道") for i in range(3)]
    # 小街3号: 2 in March, none before.
    rows += [_case(f"H3-{i}", a, f"03-2{i}", "小街3号", C) for i in range(2)]
    # Ten different addresses all geocoded to one default point P: a placeholder, never a hotspot.
    rows += [_case(f"PH-{i}", a, "03-15", f"占位路{i}号", P) for i in range(10)]
    rows.append(_case("NOGEO", a, "03-16", None, None))
    write(engine, rows)
    return engine, a, d


def test_placeholder_point_is_detected_across_ten_addresses(place_data):
    engine, _, _ = place_data
    found = placeholder_points(engine, MARCH, RULES)
    # March geocoded cases: 6 + 5 + 2 + 10 = 23; P carries 1 + 10 = 11 of them from 11 addresses.
    assert found.to_dict("records") == [
        {"lat": P[0], "lon": P[1], "volume": 11, "share": pytest.approx(11 / 23), "addresses": 11}]
    assert placeholder_points(engine, parse_period("2025-02"), RULES).empty


def test_hotspots_by_address(place_data):
    engine, _, _ = place_data
    top = hotspots(engine, MARCH, RULES, by="address", top=3)
    assert list(top["key"]) == ["和平里东街1号", "安定门外大街2号", "小街3号"]
    first, second, third = top.to_dict("records")
    assert (first["label"], first["street"], first["volume"], first["prev_volume"], first["change"]) == \
        ("和平里东街1号", "和平里街道", 6, 3, 3)
    assert (first["hotspot"], first["surge"], first["placeholder"]) == (True, True, False)
    assert first["top_categories"] == "物业管理、市容环卫、交通管理"
    assert first["lat"] == pytest.approx((4 * 39.95 + 2 * 39.9501) / 6)
    # The placeholder coordinate of one case is left out of the mean: B exactly.
    assert (second["lat"], second["lon"], second["volume"], second["prev_volume"]) == (B[0], B[1], 5, 3)
    assert (second["hotspot"], second["surge"], second["street"]) == (True, False, "安定门街道")
    assert (third["hotspot"], third["surge"], third["prev_volume"]) == (False, False, 0)
    everything = hotspots(engine, MARCH, RULES, by="address", top=50)
    fake = everything[everything["key"].str.startswith("占位路")]
    assert len(fake) == 10 and fake["placeholder"].all() and fake["lat"].isna().all()


def test_hotspots_by_h3_cell_leave_the_placeholder_out(place_data):
    engine, _, _ = place_data
    assert _cell(A1) == _cell(A2) and len({_cell(A1), _cell(B), _cell(C), _cell(P)}) == 4
    top = hotspots(engine, MARCH, RULES, by="h3")
    assert list(top["key"]) == [_cell(A1), _cell(B), _cell(C)]
    a, b, c = top.to_dict("records")
    assert (a["volume"], a["prev_volume"], a["hotspot"], a["surge"], a["label"]) == (6, 3, True, True, "和平里东街1号")
    assert (a["lat"], a["lon"]) == (pytest.approx((4 * 39.95 + 2 * 39.9501) / 6),
                                    pytest.approx((4 * 116.42 + 2 * 116.4201) / 6))
    # Only four of 安定门外大街2号's cases are at B: not a hotspot by cell.
    assert (b["volume"], b["prev_volume"], b["hotspot"], b["surge"]) == (4, 3, False, False)
    assert (c["volume"], c["street"], c["placeholder"]) == (2, "和平里街道", False)


def test_each_point_keeps_its_cell_at_the_stored_resolution(place_data):
    engine, _, _ = place_data
    with engine.connect() as conn:
        stored = dict(conn.execute(select(cases.c.case_no, cases.c.h3_cell)).all())
        points = set(conn.execute(select(stat_point_month.c.lat, stat_point_month.c.lon, stat_point_month.c.h3_cell)
                                  .where(stat_point_month.c.basis == "r")).tuples())
        places = set(conn.execute(select(stat_place_day.c.lat, stat_place_day.c.h3_cell)).tuples())
        march = dict(conn.execute(select(stat_cell_month.c.h3_cell, stat_cell_month.c.n).where(
            stat_cell_month.c.basis == "r", stat_cell_month.c.day == MARCH.start)).all())
    # H3's hex string read as a 64-bit integer.
    assert (stored["H1-0"], stored["H2-4"], stored["NOGEO"]) == (int(_cell(A1), 16), int(_cell(P), 16), None)
    assert (*B, int(_cell(B), 16)) in points and (C[0], int(_cell(C), 16)) in places
    # March's cell totals: A1 × 4 and A2 × 2 share a cell; B × 4, C × 2; the placeholder P 1 + 10 (left out later).
    assert march == {int(_cell(A1), 16): 6, int(_cell(B), 16): 4, int(_cell(C), 16): 2, int(_cell(P), 16): 11}


def test_another_resolution_maps_the_points_in_python(place_data):
    engine, _, _ = place_data
    coarse = load_rules_text("[hotspots]\nh3_resolution = 7\n")
    # March's geocoded cases, the placeholder P aside: A1 × 4, A2 × 2, B × 4, C × 2.
    expected = {}
    for point, n in ((A1, 4), (A2, 2), (B, 4), (C, 2)):
        key = h3.latlng_to_cell(*point, 7)
        expected[key] = expected.get(key, 0) + n
    top = hotspots(engine, MARCH, coarse, by="h3")
    assert dict(zip(top["key"], top["volume"])) == expected and len(expected) < 4
    for row in top.itertuples():
        _, total = case_page(engine, hotspot_case_filter(engine, MARCH, coarse, row.key, by="h3"))
        assert total == row.volume


def test_hotspot_filters_category_unit_and_overdue(place_data):
    engine, a, d = place_data
    by_cat = hotspots(engine, MARCH, RULES, category="物业管理", top=2)
    assert list(zip(by_cat["key"], by_cat["volume"], by_cat["prev_volume"])) == \
        [("安定门外大街2号", 5, 3), ("和平里东街1号", 3, 3)]
    by_unit = hotspots(engine, MARCH, RULES, unit_id=d)
    assert list(by_unit["key"]) == ["安定门外大街2号"]
    by_street = hotspots(engine, MARCH, RULES, street="安定门街道", by="h3")
    assert list(by_street["key"]) == [_cell(B)]
    # Only 安定门外大街2号's March cases are closed; the others are open and long past 一般's 168 hours.
    overdue = hotspots(engine, MARCH, RULES, overdue_only=True, top=1, as_of=parse_period("2025-06").start)
    assert list(zip(overdue["key"], overdue["volume"], overdue["prev_volume"])) == [("和平里东街1号", 6, 3)]


def test_cases_behind_a_hotspot_match_its_volume(place_data):
    engine, _, _ = place_data
    for by in ("address", "h3"):
        for row in hotspots(engine, MARCH, RULES, by=by, top=3).itertuples():
            _, total = case_page(engine, hotspot_case_filter(engine, MARCH, RULES, row.key, by=by))
            assert total == row.volume, (by, row.key)


def test_bad_grouping_is_refused(place_data):
    engine, _, _ = place_data
    with pytest.raises(ValueError, match="address 或 h3"):
        hotspots(engine, MARCH, RULES, by="street")
