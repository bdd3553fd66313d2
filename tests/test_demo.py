"""The demo district: units, the build on every database, determinism, refusal, re-seeding, realism, the CLI."""
import argparse
import random
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cli import main
from data_access.ingest.case_store import INPUT_COLUMNS
from demo.seed import DemoRefused, demo_months, is_demo, seed_demo
from demo.catalog import (
    CATEGORIES, FREQUENT_CALLER_TOPICS, HOTSPOT_TOPICS, MONTHLY_THEMES, SEASONS, STREET, SURGE_TOPICS,
    VOLUME_BY_MONTH, VOLUME_BY_WEEKDAY,
)
from demo.cases import CaseMaker, timeline
from demo.places import PLACEHOLDER_POINT, STREETS, build_places, community_centers, unit_specs
from demo.world import build_world, miss_rates
from data_access.storage.schema import cases, import_batches, stat_unit_day, units
from tests.factories import case_row, write
from tests.factories import units as make_units

pytestmark = pytest.mark.slow  # seeds districts of thousands of cases

STREET_ORDER = ("东华门", "景山", "交道口", "安定门", "北新桥", "东四", "朝阳门", "建国门", "东直门", "和平里", "前门",
                "崇文门外", "东花市", "龙潭", "体育馆路", "天坛", "永定门外")


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


# --- the district's units and catalog ---

def test_units_codes_names_and_populations():
    specs = unit_specs()
    streets = [s for s in specs if s.unit_type == "街道"]
    assert [s.name for s in streets] == [f"{n}街道" for n in STREET_ORDER]
    assert [s.code for s in streets] == [f"110101{i:03d}" for i in range(1, 18)]
    departments = [s for s in specs if s.unit_type == "区级部门"]
    assert len(departments) == 35 and departments[0].code == "110101D01" and departments[-1].code == "110101D35"
    enterprises = [s for s in specs if s.unit_type in ("国有企业", "公共服务企业")]
    assert len(enterprises) == 8 and enterprises[0].code == "110101E01" and enterprises[-1].code == "110101E08"
    assert len({s.name for s in specs}) == len({s.code for s in specs}) == 60
    # Relative populations sum to 967,022; each is scaled by 708,000 / 967,022.
    population = {s.name: s.population for s in streets}
    assert population["和平里街道"] == 91_955 and population["前门街道"] == 14_652
    assert abs(sum(population.values()) - 708_000) <= 17
    assert (streets[9].lat, streets[9].lon) == (39.958, 116.410)


def test_about_300_places_near_their_streets():
    rng = random.Random(1)
    places = build_places(rng, community_centers(rng))
    assert 290 <= len(places) == len({p.address for p in places}) <= 310
    centers = {s.name: (s.lat, s.lon) for s in STREETS}
    # Community centers lie within 0.005° / 0.006° of the street's, places within 0.0015° / 0.0018° of those.
    assert all(abs(p.lat - centers[p.street][0]) <= 0.0065 and abs(p.lon - centers[p.street][1]) <= 0.0078
               for p in places)
    communities = {(s.name, f"{c}社区") for s in STREETS for c, _ in s.communities}
    assert all((p.street, p.community) in communities for p in places)
    assert sum(p.street == "和平里街道" for p in places) == round(300 * 125_597 / 967_022)  # 39, the largest
    assert sum(p.street == "前门街道" for p in places) == 8  # 6 by population, raised to the minimum of 8


def test_catalog_routes_reach_every_unit_and_themes_exist():
    names = {s.name for s in unit_specs() if s.unit_type != "街道"}
    handlers = {h for c in CATEGORIES for h, _ in c.routes}
    assert handlers - {STREET} == names  # every department and enterprise gets cases, and no unknown unit does
    for c in CATEGORIES:
        assert abs(sum(share for _, share in c.routes) - 1) < 1e-9, c.l2
    l2 = {c.l2 for c in CATEGORIES}
    assert len(l2) == len(CATEGORIES)
    for topics in (*MONTHLY_THEMES.values(), HOTSPOT_TOPICS, SURGE_TOPICS, FREQUENT_CALLER_TOPICS):
        assert set(topics) <= l2
    assert all(len(f) == 12 for f in SEASONS.values())
    assert abs(sum(VOLUME_BY_MONTH) - 12) < 1e-9 and abs(sum(VOLUME_BY_WEEKDAY) - 7) < 1e-9


def test_demo_months_default_end_is_yesterday():
    starts, last = demo_months(None, 13, date(2026, 11, 22))
    assert (starts[0], starts[-1], len(starts), last) == (date(2025, 11, 1), date(2026, 11, 1), 13, date(2026, 11, 21))
    assert demo_months(None, 2, date(2026, 12, 1)) == ([date(2026, 10, 1), date(2026, 11, 1)], date(2026, 11, 30))
    assert demo_months("2026-11", 1, date(2026, 11, 22)) == ([date(2026, 11, 1)], date(2026, 11, 21))
    assert demo_months("2025-02", 3, date(2026, 11, 22)) == (
        [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)], date(2025, 2, 28))
    for end, months in (("2026-12", 1), ("2026-1", 1), ("2026-13", 1), ("2026-10", 0)):
        with pytest.raises(DemoRefused):
            demo_months(end, months, date(2026, 11, 22))


def test_a_scale_one_month_has_about_28000_cases():
    # Ordinary cases in March 2025: 335,000 / 365 × 0.95 (March) × 30.82 (its weekday factors) ≈ 26,873,
    # plus 12 frequent callers' 5–14 cases each. The rows are made as seed_demo makes them, without the database.
    rng = random.Random(1)
    world = build_world(rng, [date(2025, 3, 1)], date(2025, 3, 31), 1.0)
    assert 26_873 * 0.97 <= sum(n for _, n in world.months[0].days) <= 26_873 * 1.03
    ids = {s.name: s.code for s in unit_specs()}
    maker = CaseMaker(rng, world, ids, lambda phone: ("key", "masked"), as_of=datetime(2025, 4, 1))
    rows = maker.month_rows(0, world.months[0])
    assert len(rows) == world.total and 28_000 * 0.85 <= len(rows) <= 28_000 * 1.15
    per_unit = Counter(r["unit_id"] for r in rows)
    assert all(per_unit[f"110101{i:03d}"] >= 200 for i in range(1, 18))
    # The smallest departments (weight 0.3 of ~936 → ~9 a month) fall under ranking's minimum of 10 cases.
    assert 1 <= sum(1 for code in ids.values() if 0 < per_unit[code] < 10) <= 5


def test_weak_and_improving_units():
    miss = miss_rates(random.Random(1), 13)
    street_names = {s.name for s in unit_specs() if s.unit_type == "街道"}
    # A bad spell draws miss rates of 0.09–0.13 (×0.75–1.3 noise): ≥ 0.0675 for 3+ months in a row.
    weak = [u for u, m in miss.items() if any(all(x >= 0.0675 for x in m[k:k + 3]) for k in range(11))]
    assert 5 <= len(weak) <= 9
    assert any(u in street_names and miss[u][-1] >= 0.0675 for u in weak)  # one street is weak right now
    improving = [u for u, m in miss.items() if m[0] > 3 * m[-1] and m[6] > m[-1]]
    assert len(improving) >= 3


def test_timeline_leaves_the_future_empty_and_respects_order():
    rng = random.Random(5)
    received = datetime(2025, 3, 31, 22, 0, 0)
    row = timeline(rng, received, 0.0, "一般", "一般", as_of=datetime(2025, 4, 1))
    assert row["callback_at"] is None and row["solved"] is None and row["satisfaction"] is None
    for _ in range(200):
        row = timeline(rng, received, 0.0, "紧急", "紧急", as_of=datetime(2026, 1, 1))
        assert received < row["dispatched_at"] < row["responded_at"] < row["closed_at"] < row["callback_at"]
        assert row["responded_at"] - row["dispatched_at"] <= timedelta(hours=2)  # miss 0: never late


# --- the build, on every database ---

def test_seed_builds_the_district_and_reseeding_replaces_it(engine):
    assert not is_demo(engine)
    kept = make_units(engine, ("东华门街道", "街道"))["东华门街道"]  # a unit made earlier gets the district's code
    first = seed_demo(engine, months=2, end="2025-03", seed=1, scale=0.02)
    assert is_demo(engine)
    assert first["months"] == ["2025-02", "2025-03"]
    assert (first["first_day"], first["last_day"], first["units"]) == (date(2025, 2, 1), date(2025, 3, 31), 60)
    # 335,000 / 365 × 0.02 × (0.85 × 28 + 0.95 × 30.82) ≈ 974 ordinary cases, plus 3 frequent callers' 5–14
    # each month and one surge of 8.
    assert 974 * 0.95 + 38 <= first["cases"] <= 974 * 1.05 + 92
    assert _count(engine, cases) == first["cases"]
    assert _count(engine, units) == 60
    with engine.connect() as conn:
        assert conn.execute(select(units.c.code).where(units.c.id == kept)).scalar() == "110101001"
        batches = conn.execute(select(import_batches.c.file_name, import_batches.c.source, import_batches.c.n_new)
                               .order_by(import_batches.c.id)).all()
        per_month = dict(conn.execute(select(func.min(cases.c.received_day), func.count()).group_by(
            cases.c.batch_id)).all())
        summary_volume = conn.execute(select(func.sum(stat_unit_day.c.volume))
                                      .where(stat_unit_day.c.basis == "r")).scalar()
        outside = conn.execute(select(func.count()).select_from(cases).where(
            (cases.c.received_day < date(2025, 2, 1)) | (cases.c.received_day > date(2025, 3, 31)))).scalar()
    assert [(b.file_name, b.source) for b in batches] == [("演示数据 2025-02", "demo"), ("演示数据 2025-03", "demo")]
    assert [b.n_new for b in batches] == [per_month[date(2025, 2, 1)], per_month[date(2025, 3, 1)]]
    assert summary_volume == first["cases"] and outside == 0

    second = seed_demo(engine, months=1, end="2025-01", seed=2, scale=0.02)
    assert second["replaced_cases"] == first["cases"]
    assert _count(engine, cases) == second["cases"]
    assert _count(engine, import_batches) == 1 and _count(engine, units) == 60
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(stat_unit_day.c.volume))).scalar() == 2 * second["cases"]  # 'r' + 'c'


def test_refuses_a_database_with_other_cases(engine):
    u = make_units(engine, ("东华门街道", "街道"))["东华门街道"]
    write(engine, [case_row("REAL-1", u, "2025-03-01 08:00:00")], "real.csv")
    with pytest.raises(DemoRefused, match="1 件非演示工单"):
        seed_demo(engine, months=1, end="2025-01", scale=0.01)
    assert _count(engine, cases) == 1 and not is_demo(engine)
    assert _count(engine, units) == 1


# --- determinism and realism (SQLite) ---

def _snapshot(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(select(*[cases.c[k] for k in INPUT_COLUMNS if k != "unit_id"], units.c.code)
                            .join(units, units.c.id == cases.c.unit_id).order_by(cases.c.case_no)).all()


def test_same_seed_same_cases_other_seed_other_cases(sqlite_engine):
    seed_demo(sqlite_engine, months=1, end="2025-01", seed=7, scale=0.02)
    one = _snapshot(sqlite_engine)
    seed_demo(sqlite_engine, months=1, end="2025-01", seed=8, scale=0.02)
    other = _snapshot(sqlite_engine)
    seed_demo(sqlite_engine, months=1, end="2025-01", seed=7, scale=0.02)
    assert _snapshot(sqlite_engine) == one
    assert len(set(other) & set(one)) < len(one) / 10


@pytest.fixture(scope="module")
def half_year(tmp_path_factory):
    """January to July 2025 at scale 0.03 (about 6,000 cases), read back as plain rows."""
    from tests.dbs import migrated_engine
    engine = migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    seed_demo(engine, months=7, end="2025-07", seed=1, scale=0.03)
    with engine.connect() as conn:
        rows = [r._asdict() for r in conn.execute(select(cases, units.c.unit_type)
                                                  .join(units, units.c.id == cases.c.unit_id))]
    engine.dispose()
    return rows


def _month(row) -> int:
    return row["received_at"].month


def _share(rows, test) -> float:
    return sum(1 for r in rows if test(r)) / len(rows)


def test_seasons(half_year):
    jan = [r for r in half_year if _month(r) == 1]
    jul = [r for r in half_year if _month(r) == 7]
    assert _share(jan, lambda r: r["cat_l1"] == "供暖") > 0.08
    assert _share(jul, lambda r: r["cat_l1"] == "供暖") < 0.01
    leaks = ("房屋漏雨", "路面积水")
    assert _share(jul, lambda r: r["cat_l2"] in leaks) > 3 * _share(jan, lambda r: r["cat_l2"] in leaks)
    assert _share(jul, lambda r: "每月一题" in (r["tags"] or "") and r["cat_l2"] in leaks) > 0.02


def test_placeholder_point_carries_more_than_5_percent_across_many_addresses(half_year):
    for month in (1, 7):
        geocoded = [r for r in half_year if _month(r) == month and r["lat"] is not None]
        on_point = [r for r in geocoded if (r["lat"], r["lon"]) == PLACEHOLDER_POINT]
        # 7.5 % of addressed cases land there, 5 % have no coordinates: 0.075 / 0.95 ≈ 7.9 % of geocoded ones.
        assert 0.05 < len(on_point) / len(geocoded) < 0.12
        assert len({r["address"] for r in on_point}) >= 10
        points = Counter((r["lat"], r["lon"]) for r in geocoded)
        assert points.most_common(1)[0][0] == PLACEHOLDER_POINT


def test_repeat_and_frequent_callers(half_year):
    seen = defaultdict(list)
    repeats = 0
    for r in sorted(half_year, key=lambda r: r["received_at"]):
        if not r["caller_key"]:
            continue
        earlier = seen[(r["caller_key"], r["cat_l2"])]
        repeats += any(r["received_at"] - t <= timedelta(days=30) for t in earlier)
        earlier.append(r["received_at"])
    # 6 % come back on purpose; frequent callers add about 3 % (3 callers × ~9.5 a month in ~870 cases).
    assert 0.06 < repeats / len(half_year) < 0.14
    per_month = Counter((r["caller_key"], _month(r)) for r in half_year if r["caller_key"])
    for month in range(1, 8):
        assert sum(1 for (_, m), n in per_month.items() if m == month and n >= 5) >= 3
    assert all(re.fullmatch(r"[01]\*{9}\d", r["caller_masked"]) for r in half_year if r["caller_key"])
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["caller_key"]) for r in half_year if r["caller_key"])


def test_a_place_surges_in_the_last_month(half_year):
    # At scale 0.03 a surge is 8 cases about one surge topic at one place, on top of its usual few.
    june = Counter(r["address_key"] for r in half_year if _month(r) == 6 and r["address_key"])
    july = Counter(r["address_key"] for r in half_year if _month(r) == 7 and r["address_key"])
    topics = Counter((r["address_key"], r["cat_l2"]) for r in half_year
                     if _month(r) == 7 and r["address_key"] and r["cat_l2"] in SURGE_TOPICS)
    surging = [key for (key, _), n in topics.items() if n >= 8]
    assert surging and all(july[key] >= max(5, 2 * june.get(key, 0)) for key in surging)


def test_rates_routing_and_case_fields_look_real(half_year):
    assessed = [r for r in half_year if not r["excluded"]]
    solved = [r for r in assessed if r["solved"]]
    resolution = sum({"解决": 1, "部分解决": 0.5, "未解决": 0}[r["solved"]] for r in solved) / len(solved)
    rated = [r for r in assessed if r["satisfaction"] in ("满意", "基本满意", "不满意")]
    satisfaction = _share(rated, lambda r: r["satisfaction"] != "不满意")
    assert 0.93 <= resolution <= 0.995 and 0.93 <= satisfaction <= 0.995
    assert 0.005 <= _share(half_year, lambda r: r["excluded"]) <= 0.02
    assert all(r["exclusion_reason"] for r in half_year if r["excluded"])
    assert 0.01 <= _share(half_year, lambda r: r["urgency"] == "紧急") <= 0.05
    assert 0.01 <= _share(half_year, lambda r: r["dispatch_count"] > 1) <= 0.08
    assert 0.5 <= _share(half_year, lambda r: r["unit_type"] == "街道") <= 0.7
    assert _share(half_year, lambda r: r["dispatch_mode"] == "直派") > 0.4
    assert any(re.search(r"1[3-9]\d{9}", r["content"]) for r in half_year)  # phone numbers to mask on screen
    assert any("挂账" in (r["tags"] or "") for r in half_year) and any("疑难" in (r["tags"] or "") for r in half_year)
    assert {r["request_type"] for r in half_year} == {"投诉", "求助", "咨询", "举报", "建议"}
    closed = [r for r in half_year if r["closed_at"]]
    assert all(r["received_at"] < r["dispatched_at"] < r["responded_at"] < r["closed_at"] for r in closed)


# --- the command line ---

def test_cli_seeds_and_refuses_a_real_database(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["seed-demo", "--db", url, "--months", "1", "--end", "2025-01", "--scale", "0.01"]) == 0
    out = capsys.readouterr()
    assert "演示数据已生成: 60 个承办单位" in out.out and "(100%)" in out.err

    from tests.dbs import migrated_engine
    real = f"sqlite:///{tmp_path / 'real.db'}"
    engine = migrated_engine(real)
    u = make_units(engine, ("景山街道", "街道"))["景山街道"]
    write(engine, [case_row("REAL-1", u, "2025-03-01 08:00:00")], "real.csv")
    engine.dispose()
    assert main(["seed-demo", "--db", real, "--months", "1", "--end", "2025-01", "--scale", "0.01"]) == 2
    assert "非演示工单" in capsys.readouterr().err
    assert main(["seed-demo", "--db", url, "--end", "2025/01"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_the_cli_and_the_first_run_build_the_same_default_demo():
    from cli_commands import demo as demo_command
    from demo.seed import DEFAULT_MONTHS, DEFAULT_SCALE
    from ui import first_run
    parser = argparse.ArgumentParser()
    demo_command.register(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["seed-demo"])
    assert (args.months, args.scale) == (DEFAULT_MONTHS, DEFAULT_SCALE) == (first_run.DEMO_MONTHS,
                                                                            first_run.DEMO_SCALE)
