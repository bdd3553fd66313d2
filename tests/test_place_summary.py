"""The place summary (stat_place_day, and its whole-month totals per address and point) behind 高频点位: kept
exact by every write, update and undo, built for an existing database by its migrations, and giving the same
hotspots as counting the case table itself."""
from datetime import date

import h3
import pandas as pd
import pytest
from alembic import command
from sqlalchemy import select

from data_access.ingest.case_store import undo_batch
from data_access.queries import drill_queries
from demo.seed import seed_demo
from data_access.storage.migrate import _config, upgrade
from data_access.storage.schema import (
    case_streets, stat_address_month, stat_place_day, stat_point_month, stat_unit_day_geocoded,
)
from metrics.hotspots import hotspots, placeholder_points
from metrics.periods import parse_period
from metrics.rules import load_rules
from tests.factories import case_row, units, write

RULES = load_rules()
MARCH = parse_period("2025-03")
A, B = (39.95, 116.42), (39.93, 116.44)


def _case(no, unit, received, address=None, point=(None, None), cat="物业管理", street=None, **fields):
    return case_row(no, unit, received, address=address, lat=point[0], lon=point[1], cat_l1=cat, street=street,
                    **fields)


def _rows(u1, u2):
    return [
        _case("P1", u1, "2025-03-01 08:00:00", "和平里东街1号", A, street="和平里街道", callback_at="2025-03-05 10:00:00"),
        _case("P2", u1, "2025-03-01 09:00:00", "和平里东街1号", A, street="和平里街道"),
        _case("P3", u1, "2025-03-01 10:00:00", "和平里东街 1 号", A, street="和平里街道"),
        _case("P4", u2, "2025-03-02 08:00:00", "安定门外大街2号", cat="市容环卫", street="安定门街道"),
        _case("P5", u1, "2025-03-02 09:00:00", point=B),
        _case("P6", u1, "2025-03-02 10:00:00", street="和平里街道"),  # no address, no point: no place
    ]


def _summary(engine, basis: str) -> list[tuple]:
    t = stat_place_day.c
    query = select(t.day, t.unit_id, t.cat_l1, t.street, t.address_key, t.address, t.lat, t.lon, t.n).where(
        t.basis == basis)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _month_totals(engine, basis="r") -> tuple[dict, dict]:
    """The whole-month totals: {(month, address_key): n} and {(month, lat, lon): n}."""
    a, p = stat_address_month.c, stat_point_month.c
    with engine.connect() as conn:
        addresses = {(r.day, r.address_key): r.n for r in conn.execute(select(a.day, a.address_key, a.n)
                                                                           .where(a.basis == basis))}
        points = {(r.day, r.lat, r.lon): r.n for r in conn.execute(select(p.day, p.lat, p.lon, p.n)
                                                                     .where(p.basis == basis))}
    return addresses, points


# March by received day: P1–P3 at 和平里东街1号 (one key, two spellings) and A, P4 at 安定门外大街2号 without a
# point, P5 at B without an address.
MARCH_TOTALS = ({(date(2025, 3, 1), "和平里东街1号"): 3, (date(2025, 3, 1), "安定门外大街2号"): 1},
                {(date(2025, 3, 1), *A): 3, (date(2025, 3, 1), *B): 1})


def _streets(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(case_streets.c.name)).scalars())


def _expected(u1, u2, p2_cat="物业管理"):
    """By received day: P1 and P2 share every key (n = 2) unless P2's category changed; P3 is another spelling
    of the same address key; P4 has no point, P5 no address; P6 has neither and is left out."""
    d1, d2 = date(2025, 3, 1), date(2025, 3, 2)
    east = ("和平里街道", "和平里东街1号")
    rows = [(d1, u1, "物业管理", *east, "和平里东街1号", *A, 1), (d1, u1, p2_cat, *east, "和平里东街1号", *A, 1),
            (d1, u1, "物业管理", *east, "和平里东街 1 号", *A, 1),
            (d2, u2, "市容环卫", "安定门街道", "安定门外大街2号", "安定门外大街2号", None, None, 1),
            (d2, u1, "物业管理", None, None, None, *B, 1)]
    if p2_cat == "物业管理":
        rows = [(d1, u1, "物业管理", *east, "和平里东街1号", *A, 2)] + rows[2:]
    return sorted(rows, key=repr)


@pytest.fixture
def two_units(engine):
    u = units(engine, ("和平里街道", "街道"), ("区城管委", "区级部门"))
    return engine, u["和平里街道"], u["区城管委"]


def test_summary_follows_writes_updates_and_undo(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "march.csv")
    assert _summary(engine, "r") == _expected(u1, u2)
    assert _streets(engine) == ["和平里街道", "安定门街道"]
    assert _month_totals(engine) == MARCH_TOTALS
    # By callback day P1 moves to 5 March; the others have no callback and stay on their received day.
    by_callback = _summary(engine, "c")
    assert (date(2025, 3, 5), u1, "物业管理", "和平里街道", "和平里东街1号", "和平里东街1号", *A, 1) in by_callback
    assert sum(r[-1] for r in by_callback) == 5
    changed = _case("P2", u1, "2025-03-01 09:00:00", "和平里东街1号", A, cat="市容环卫", street="和平里街道")
    moved = _case("P5", u1, "2025-03-02 09:00:00", point=A)
    batch = write(engine, [changed, moved], "march-fix.csv")
    assert _summary(engine, "r") == sorted([r for r in _expected(u1, u2, p2_cat="市容环卫") if r[6:8] != B]
                                           + [(date(2025, 3, 2), u1, "物业管理", None, None, None, *A, 1)], key=repr)
    assert _month_totals(engine)[1] == {(date(2025, 3, 1), *A): 4}
    with engine.begin() as conn:
        undo_batch(conn, batch)
    assert _summary(engine, "r") == _expected(u1, u2)
    assert _month_totals(engine) == MARCH_TOTALS


def test_migration_builds_the_summary_of_an_existing_database(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "march.csv")
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0002")  # as a database made before the place summary existed
    upgrade(engine)
    assert _summary(engine, "r") == _expected(u1, u2)
    assert _streets(engine) == ["和平里街道", "安定门街道"]
    assert _month_totals(engine) == MARCH_TOTALS


def _geocoded(engine) -> dict:
    t = stat_unit_day_geocoded.c
    with engine.connect() as conn:
        return {(r.basis, r.day, r.unit_id): r.n for r in conn.execute(select(t.basis, t.day, t.unit_id, t.n))}


def test_geocoded_day_counts_are_written_and_built_for_an_existing_database(two_units):
    """The cases with a point per unit and day (P1–P3 at A on 1 March, P5 at B on 2 March; P4 and P6 have none),
    kept by the write path and built by migration 0024 from the place summary alike."""
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "march.csv")
    written = _geocoded(engine)
    assert {k[1:]: n for k, n in written.items() if k[0] == "r"} == {(date(2025, 3, 1), u1): 3,
                                                                      (date(2025, 3, 2), u1): 1}
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0023")
    upgrade(engine)
    assert _geocoded(engine) == written


def test_migration_gives_the_points_of_an_existing_database_their_cells(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "march.csv")
    before = hotspots(engine, MARCH, RULES, by="h3")
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0009")  # as a database made before cells were stored
    upgrade(engine)
    with engine.connect() as conn:
        cells = set(conn.execute(select(stat_point_month.c.lat, stat_point_month.c.lon, stat_point_month.c.h3_cell)
                                 .where(stat_point_month.c.basis == "r")).tuples())
    assert (*A, int(h3.latlng_to_cell(*A, 9), 16)) in cells and (*B, int(h3.latlng_to_cell(*B, 9), 16)) in cells
    pd.testing.assert_frame_equal(hotspots(engine, MARCH, RULES, by="h3"), before)
    _assert_same(engine, MARCH, by="h3")


def _both(engine, period, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (hotspots(engine, period, RULES, source="summary", **options),
            hotspots(engine, period, RULES, source="cases", **options))


def _assert_same(engine, period, **options):
    summary, counted = _both(engine, period, **options)
    # Mean points are sums of floats added in another order: equal to far below a millimetre.
    pd.testing.assert_frame_equal(summary, counted, check_exact=False, rtol=1e-12, atol=1e-9)
    return summary


def test_both_sources_give_the_same_hotspots_on_hand_made_data(two_units):
    engine, u1, u2 = two_units
    feb = [_case(f"F{i}", u1, f"2025-02-0{i + 1} 08:00:00", "和平里东街1号", A, street="和平里街道") for i in range(2)]
    write(engine, _rows(u1, u2) + feb, "two-months.csv")
    top = _assert_same(engine, MARCH, by="address")
    # 和平里东街1号: P1–P3 in March (two spellings, one key), F0–F1 in February.
    assert list(zip(top["key"], top["volume"], top["prev_volume"])) == [
        ("和平里东街1号", 3, 2), ("安定门外大街2号", 1, 0)]
    assert top["label"].iloc[0] == "和平里东街1号"  # the spelling used most
    cells = _assert_same(engine, MARCH, by="h3")
    assert sorted(cells["volume"]) == [1, 3]  # A (P1–P3) and B (P5); P4 has no point
    for options in ({"unit_id": u2}, {"category": "市容环卫"}, {"street": "和平里街道", "by": "h3"}):
        _assert_same(engine, MARCH, **options)
    # The summary is what the default reads; overdue only (closing times) is counted on the cases whatever is asked.
    with engine.begin() as conn:
        for table in (stat_place_day, stat_address_month, stat_point_month):
            conn.execute(table.delete())
    assert hotspots(engine, MARCH, RULES).empty
    overdue = hotspots(engine, MARCH, RULES, overdue_only=True, as_of=parse_period("2025-06").start)
    assert list(zip(overdue["key"], overdue["volume"])) == [("和平里东街1号", 3), ("安定门外大街2号", 1)]


@pytest.mark.slow  # a demo district
def test_both_sources_give_the_same_hotspots_on_demo_data(engine):
    seed_demo(engine, months=2, end="2025-06", scale=0.04)
    june = parse_period("2025-06")
    whole = _assert_same(engine, june, top=500)
    assert whole["volume"].sum() > 500 and whole["hotspot"].any()
    street, category = whole["street"].dropna().iloc[0], "物业管理"
    for options in ({"by": "h3", "top": 500}, {"street": street}, {"category": category, "by": "h3"}):
        _assert_same(engine, june, **options)
    for p in (june, june.previous()):
        pd.testing.assert_frame_equal(placeholder_points(engine, p, RULES, source="summary"),
                                      placeholder_points(engine, p, RULES, source="cases"))


@pytest.mark.parametrize("max_candidates", [5000, 1])  # 1: too many candidates, every address and point counted
def test_a_week_across_a_month_end_reads_the_months_as_bounds(two_units, monkeypatch, max_candidates):
    """A week (2025-W09: 24 February – 2 March) without filters finds its top addresses and placeholder points
    through the months' totals it touches; the figures are the case table's own. 安定门外大街2号 has the most
    cases in the week (3), 和平里东街1号 more in February (2) but none in the week, 和平里西街3号 one in the week
    and more later in March; ten addresses share point C in the week (10 of the 14 geocoded cases: a placeholder)."""
    engine, u1, _ = two_units
    monkeypatch.setattr(drill_queries, "MAX_CANDIDATES", max_candidates)
    c = (39.90, 116.40)
    rows = ([_case(f"Y{d}", u1, f"2025-02-{d} 08:00:00", "安定门外大街2号", A) for d in (26, 27, 28)]
            + [_case(f"X{d}", u1, f"2025-02-0{d} 08:00:00", "和平里东街1号", A) for d in (3, 4)]
            + [_case(f"Z{d}", u1, f"2025-03-{d:02d} 08:00:00", "和平里西街3号", B) for d in (2, 10, 11)]
            + [_case(f"C{i}", u1, "2025-02-24 08:00:00", f"北三环{i}号", c) for i in range(10)])
    write(engine, rows, "week.csv")
    week = parse_period("2025-W09")
    for top in (1, 2, 50):
        found = _assert_same(engine, week, top=top)
        assert list(zip(found["key"], found["volume"]))[:1] == [("安定门外大街2号", 3)]
    assert len(found) == 12 and "和平里东街1号" not in set(found["key"])
    assert found.attrs["placeholder_cases"] == 10
    points = placeholder_points(engine, week, RULES)
    assert list(zip(points["lat"], points["lon"], points["volume"], points["addresses"])) == [(*c, 10, 10)]
    pd.testing.assert_frame_equal(points, placeholder_points(engine, week, RULES, source="cases"))
