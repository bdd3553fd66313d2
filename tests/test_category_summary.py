"""The category summary (stat_category_day / _month) behind category mixes, 每月一题 and volumes by street: kept
exact by every write, update and undo, built by its migration, and counting what the case table counts."""
from datetime import date

import pytest
from alembic import command
from sqlalchemy import select

from data_access.queries.case_queries import CaseFilter
from data_access.ingest.case_store import undo_batch
from demo.seed import seed_demo
from data_access.queries.drill_queries import period_volumes, volumes_by
from data_access.storage.migrate import _config, upgrade
from data_access.storage.schema import stat_category_day, stat_category_month
from metrics.indicators import tag_trend
from metrics.periods import parse_period, range_period, trailing
from tests.factories import case_row, units, write

FEB, MAR = date(2025, 2, 1), date(2025, 3, 1)
TOPIC, HARD = ";每月一题;", ";疑难;挂账;"


def _rows(u1, u2, k2_l2="物业服务"):
    east = {"cat_l1": "物业管理", "street": "和平里街道", "tags": TOPIC}
    return [
        case_row("K1", u1, "2025-02-27 08:00:00", cat_l2="物业服务", **east),
        case_row("K2", u1, "2025-02-28 08:00:00", cat_l2=k2_l2, **east),
        case_row("K3", u2, "2025-03-01 08:00:00", cat_l1="市容环卫", cat_l2="垃圾清运"),
        case_row("K4", u2, "2025-03-10 08:00:00", cat_l1="市容环卫", cat_l2="垃圾清运", tags=HARD,
                 callback_at="2025-04-02 09:00:00"),
    ]


@pytest.fixture
def two_units(engine):
    u = units(engine, ("和平里街道", "街道"), ("区城管委", "区级部门"))
    return engine, u["和平里街道"], u["区城管委"]


def _table(engine, table, basis="r"):
    t = table.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.day, t.unit_id, t.cat_l1, t.cat_l2, t.street, t.tags, t.n).where(t.basis == basis))
        return sorted((tuple(r) for r in rows), key=repr)


def _months(u1, u2, k2_l2="物业服务"):
    east = ("物业管理", "物业服务", "和平里街道", TOPIC)
    feb = [(FEB, u1, *east, 2)] if k2_l2 == "物业服务" else [
        (FEB, u1, *east, 1), (FEB, u1, "物业管理", k2_l2, "和平里街道", TOPIC, 1)]
    return sorted(feb + [(MAR, u2, "市容环卫", "垃圾清运", None, None, 1), (MAR, u2, "市容环卫", "垃圾清运", None, HARD, 1)],
                  key=repr)


def test_days_and_months_follow_writes_updates_and_undo(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "k.csv")
    assert _table(engine, stat_category_day) == sorted([
        (date(2025, 2, 27), u1, "物业管理", "物业服务", "和平里街道", TOPIC, 1),
        (date(2025, 2, 28), u1, "物业管理", "物业服务", "和平里街道", TOPIC, 1),
        (date(2025, 3, 1), u2, "市容环卫", "垃圾清运", None, None, 1),
        (date(2025, 3, 10), u2, "市容环卫", "垃圾清运", None, HARD, 1)], key=repr)
    assert _table(engine, stat_category_month) == _months(u1, u2)
    # By callback day K4 belongs to April.
    assert (date(2025, 4, 1), u2, "市容环卫", "垃圾清运", None, HARD, 1) in _table(engine, stat_category_month, "c")
    batch = write(engine, _rows(u1, u2, k2_l2="电梯故障")[1:2], "k-fix.csv")
    assert _table(engine, stat_category_month) == _months(u1, u2, k2_l2="电梯故障")
    with engine.begin() as conn:
        undo_batch(conn, batch)
    assert _table(engine, stat_category_month) == _months(u1, u2)


def test_migration_builds_days_and_months_of_an_existing_database(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "k.csv")
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0006")
    upgrade(engine)
    assert _table(engine, stat_category_month) == _months(u1, u2)
    assert len(_table(engine, stat_category_day)) == 4


PERIODS = [parse_period("2025-02"), parse_period("2025-03"), parse_period("2025-W09"),
           range_period(date(2025, 2, 15), date(2025, 3, 5))]


def _assert_same_counts(engine, filters: list[dict], periods=PERIODS):
    with engine.connect() as conn:
        for p in periods:
            for fields in filters:
                f = CaseFilter(start=p.start, end=p.end, **{"unit_ids": None, **fields})
                for column in ("cat_l1", "cat_l2", "street"):
                    summary = sorted(volumes_by(conn, f, column), key=repr)
                    assert summary == sorted(volumes_by(conn, f, column, source="cases"), key=repr), (p, fields)
        ranges = [(p.start, p.end) for p in periods]
        for fields in filters:
            f = CaseFilter(**{"unit_ids": None, **fields})
            assert period_volumes(conn, f, ranges) == period_volumes(conn, f, ranges, source="cases")


def test_both_sources_count_alike_on_hand_made_data(two_units):
    engine, u1, u2 = two_units
    write(engine, _rows(u1, u2), "k.csv")
    _assert_same_counts(engine, [{}, {"unit_ids": (u2,)}, {"street": "和平里街道"}, {"cat_l1": "物业管理"},
                                 {"tag": "每月一题"}, {"tag": "挂账", "cat_l2": "垃圾清运"}])
    with engine.connect() as conn:
        # Half of February (by day) and March 1–5 (by day): K1, K2 and K3.
        f = CaseFilter(unit_ids=None, start=date(2025, 2, 15), end=date(2025, 3, 6))
        assert sorted(volumes_by(conn, f, "cat_l1")) == [("市容环卫", 1), ("物业管理", 2)]
        # February and March whole (by month), W09 (24 Feb – 2 Mar, by day): K1 K2 | K3 K4 | K1 K2 K3.
        assert period_volumes(conn, CaseFilter(unit_ids=None), [(p.start, p.end) for p in PERIODS[:3]]) == [2, 2, 3]
    trend = tag_trend(engine, trailing(parse_period("2025-03"), 2), tag="每月一题")
    assert trend["volume"].tolist() == [2, 0]


@pytest.mark.slow  # a demo district
def test_both_sources_count_alike_on_demo_data(engine):
    seed_demo(engine, months=2, end="2025-06", scale=0.04)
    june = parse_period("2025-06")
    periods = [june, june.previous(), parse_period("2025-W22"), range_period(date(2025, 5, 20), date(2025, 6, 10))]
    _assert_same_counts(engine, [{}, {"tag": "每月一题"}, {"cat_l1": "物业管理"}, {"street": "东四街道"}], periods)
