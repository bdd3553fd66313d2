"""The unit summaries per calendar month (stat_unit_month, _resp, _close): every write, update and undo keeps
them the sums of their days, by received day and by callback day, their migration builds them for an existing
database, and counts over any period (whole months by month, the other days by day) equal the cases' own."""
from datetime import date

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import select

from data_access.ingest.case_store import undo_batch
from data_access.storage.migrate import _config, upgrade
from data_access.storage.schema import (
    stat_district_month, stat_district_month_resp, stat_unit_month, stat_unit_month_close, stat_unit_month_resp,
)
from metrics.counts import base_counts, counts_by_period
from metrics.periods import parse_period, range_period
from metrics.rules import load_rules
from tests.factories import case_row, units, write

RULES = load_rules()
FEB, MAR = date(2025, 2, 1), date(2025, 3, 1)
COUNTS = ("volume", "assessed", "solved_full", "solved_part", "solved_none", "sat_full", "sat_basic", "sat_none",
          "fdy_den", "fdy_num")


def _rows(unit, m2_solved="部分解决"):
    return [
        # M1: answered in 1 h, closed after 30 h, 解决 + 满意 at a callback in March.
        case_row("M1", unit, "2025-02-27 08:00:00", responded_at="2025-02-27 09:00:00",
                 closed_at="2025-02-28 14:00:00", callback_at="2025-03-02 10:00:00", solved="解决", satisfaction="满意"),
        # M2: answered after 2 h 10 min (3 whole hours), never closed.
        case_row("M2", unit, "2025-02-28 08:00:00", responded_at="2025-02-28 10:10:00", solved=m2_solved,
                 satisfaction="不满意"),
        # M3: 特例剔除, counted in volume only.
        case_row("M3", unit, "2025-03-01 08:00:00", responded_at="2025-03-01 09:00:00", excluded=True),
    ]


def _months(engine, table, basis):
    t = table.c
    keys = [c for c in table.columns if c.name not in ("basis",)]
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*keys).where(t.basis == basis)))


def _unit_months(engine, basis):
    t = stat_unit_month.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.day, t.unit_id, *(t[c] for c in COUNTS)).where(t.basis == basis))
        return {(r[0], r[1]): dict(zip(COUNTS, r[2:])) for r in rows}


def _counts(**given):
    return {c: given.get(c, 0) for c in COUNTS}


@pytest.fixture
def one_unit(engine):
    return engine, units(engine, ("和平里街道", "街道"))["和平里街道"]


def _expected_by_received(u, solved_full=1, solved_part=1):
    return {(FEB, u): _counts(volume=2, assessed=2, solved_full=solved_full, solved_part=solved_part, sat_full=1,
                              sat_none=1, fdy_den=2, fdy_num=1),
            (MAR, u): _counts(volume=1)}


def test_months_are_the_sums_of_their_days(one_unit):
    engine, u = one_unit
    write(engine, _rows(u), "feb.csv")
    assert _unit_months(engine, "r") == _expected_by_received(u)
    # By callback day M1 belongs to March (its callback), M2 and M3 to their received days.
    assert _unit_months(engine, "c") == {
        (FEB, u): _counts(volume=1, assessed=1, solved_part=1, sat_none=1, fdy_den=1),
        (MAR, u): _counts(volume=2, assessed=1, solved_full=1, sat_full=1, fdy_den=1, fdy_num=1)}
    # Responses of assessed cases by urgency (empty = 一般) and whole hours; closings likewise by deadline class.
    assert _months(engine, stat_unit_month_resp, "r") == [(FEB, u, "一般", 1, 1), (FEB, u, "一般", 3, 1)]
    assert _months(engine, stat_unit_month_close, "r") == [(FEB, u, "一般", 30, 1)]


def test_months_follow_an_update_and_its_undo(one_unit):
    engine, u = one_unit
    write(engine, _rows(u), "feb.csv")
    batch = write(engine, _rows(u, m2_solved="解决")[1:2], "feb-fix.csv")
    assert _unit_months(engine, "r") == _expected_by_received(u, solved_full=2, solved_part=0)
    with engine.begin() as conn:
        undo_batch(conn, batch)
    assert _unit_months(engine, "r") == _expected_by_received(u)


def test_migration_builds_the_months_of_an_existing_database(one_unit):
    engine, u = one_unit
    write(engine, _rows(u), "feb.csv")
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0005")
    upgrade(engine)
    assert _unit_months(engine, "r") == _expected_by_received(u)
    assert _months(engine, stat_unit_month_close, "r") == [(FEB, u, "一般", 30, 1)]


@pytest.mark.parametrize("key", ["2025-02-15~2025-03-31", "2025-W09", "2025-B1", "2025"])
def test_counts_read_whole_months_by_month_and_the_rest_by_day(one_unit, key):
    """Half of February (by day) with all of March (by month), a week across the month's end (by day), whole
    months: the counts are those of the cases themselves, and add up by hand."""
    engine, u = one_unit
    write(engine, _rows(u), "feb.csv")
    period = range_period(date(2025, 2, 15), date(2025, 3, 31)) if "~" in key else parse_period(key)
    summary = base_counts(engine, period, RULES, source="summary")
    pd.testing.assert_frame_equal(summary, base_counts(engine, period, RULES, source="cases"))
    # M1 and M2 (February, assessed, answered within 24 h, 解决 + 部分解决 = 1.5 credits); M3 (1 March) excluded.
    assert summary["volume"].tolist() == [3 if period.end > MAR else 2]
    assert summary[["assessed", "on_time_response", "solved_rated", "solved_credit_sum"]].values.tolist() == \
        [[2, 2, 2, 1.5]]


def test_district_months_add_up_all_units(one_unit):
    """stat_district_month* hold the month counts of all units together; district=True counts whole months
    there and the other days by unit, and the totals per period are the units' own."""
    engine, u = one_unit
    other = units(engine, ("区城管委", "区级部门"))["区城管委"]
    write(engine, _rows(u) + [case_row("N1", other, "2025-02-10 08:00:00", responded_at="2025-02-10 20:00:00",
                                       solved="未解决", satisfaction="基本满意")], "two.csv")
    with engine.connect() as conn:
        t = stat_district_month.c
        feb = conn.execute(select(t.volume, t.assessed, t.solved_full, t.solved_part, t.solved_none, t.sat_basic)
                           .where(t.basis == "r", t.day == FEB)).one()
        resp = sorted(tuple(r) for r in conn.execute(select(stat_district_month_resp.c.hours,
                                                            stat_district_month_resp.c.n)
                                                     .where(stat_district_month_resp.c.day == FEB,
                                                            stat_district_month_resp.c.basis == "r")))
    # February: M1, M2 (和平里) and N1 (区城管委, answered after 12 h, 未解决, 基本满意).
    assert tuple(feb) == (3, 3, 1, 1, 1, 1)
    assert resp == [(1, 1), (3, 1), (12, 1)]
    columns = ["volume", "assessed", "on_time_response", "solved_rated", "solved_credit_sum", "on_time_close"]
    for key in ("2025-02", "2025-W09", "2025", "2025-02-15~2025-03-31"):
        period = range_period(date(2025, 2, 15), date(2025, 3, 31)) if "~" in key else parse_period(key)
        whole = counts_by_period(engine, [period], RULES, district=True)[columns].sum()
        by_unit = counts_by_period(engine, [period], RULES)[columns].sum()
        pd.testing.assert_series_equal(whole, by_unit, check_names=False)
