"""The agenda's 超期 and 重复诉求 counts from the summaries (stat_unit_day_overdue beside the close histogram, and
stat_unit_day_repeat / _month_repeat): the hand-checked figures of a small district, the same as the case table's
for every period, moment and basis, kept so by writes, a backfill that changes later cases' repeat gaps, an update
and undo, and built by the migration of an existing database.

Default rules: close limits 紧急 2 h, 水电气热 24 h, 一般 (and empty) 168 h, 疑难 360 h; repeat window 30 days.
Cases are received at 08:00; "+N h" is the close time after the response start (dispatch, else receipt).

  东四 (u1)   L1 03-03 紧急 +3 h: late          L2 03-04 no class +200 h: late     L3 03-04 疑难 +200 h: on time
              L4 03-05 水电气热 +30 h, 特例剔除: late (outside the close histogram)
              L5 03-06 from a file without close times: never overdue
              O1 03-10 open, dispatched 03-12 08:00: late once 168 h have passed, i.e. after 03-19 08:00
              O2 02-27 紧急 open, 特例剔除: late
  朝阳门 (u2) M1 03-31 +170 h: late (called back 04-08: April by callback day)
              M2 03-20 疑难 open: late after 04-04 08:00

  repeats     k1 噪音 (u1) R1 03-01, R2 03-05 (gap 4), R3 03-20 (gap 15); k2 供暖 (u2) R4 02-25, R5 03-02 (gap 5);
              k3 噪音 R6 01-10 (u1), R7 03-01 09:00 (u2, gap 51: not a repeat) — until a backfill brings k3's 02-20
              case (u1): R7's gap becomes 10 and 朝阳门 has two repeats in March.
"""
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from data_access.ingest.case_store import undo_batch
from data_access.queries.agenda_queries import overdue_by_unit
from data_access.queries.case_queries import CaseFilter, Limits
from data_access.queries.drill_queries import period_volumes, volumes_by
from data_access.storage.migrate import _config, upgrade
from data_access.storage.schema import stat_unit_day_overdue, stat_unit_day_repeat, stat_unit_month_repeat
from metrics.periods import parse_period, range_period
from metrics.rules import load_rules
from tests.factories import case_row, units, write

LIMITS = Limits.of(load_rules())
LATE = datetime(2025, 4, 10, 9, 0)
MARCH, W09, W10 = parse_period("2025-03"), parse_period("2025-W09"), parse_period("2025-W10")
SPAN = range_period(date(2025, 2, 20), date(2025, 3, 31))  # 20 Feb … 31 Mar: February's days, March whole
PERIODS = (MARCH, W09, W10, SPAN, parse_period("2025-02"), parse_period("2025-04"))
MOMENTS = (datetime(2025, 3, 19, 8, 0), datetime(2025, 3, 19, 9, 0), LATE)


def _case(no, unit, day, hours=None, dispatched=None, **fields):
    received = datetime.fromisoformat(f"{day} 08:00:00")
    start = dispatched or received
    closed = None if hours is None else start + timedelta(hours=hours)
    return case_row(no, unit, received, dispatched_at=dispatched, closed_at=closed, **fields)


def _repeat(no, unit, at, caller, cat_l2):
    return case_row(no, unit, at, caller_key=caller, cat_l2=cat_l2, closed_at=datetime.fromisoformat(at))


@pytest.fixture
def district(engine):
    u = units(engine, ("东四街道", "街道"), ("朝阳门街道", "街道"))
    u1, u2 = u["东四街道"], u["朝阳门街道"]
    write(engine, [
        _case("L1", u1, "2025-03-03", 3, deadline_class="紧急"),
        _case("L2", u1, "2025-03-04", 200),
        _case("L3", u1, "2025-03-04", 200, deadline_class="疑难"),
        _case("L4", u1, "2025-03-05", 30, deadline_class="水电气热", excluded=True, exclusion_reason="重复派单"),
        _case("O1", u1, "2025-03-10", dispatched=datetime(2025, 3, 12, 8), deadline_class="一般"),
        _case("O2", u1, "2025-02-27", deadline_class="紧急", excluded=True, exclusion_reason="重复派单"),
        _case("M1", u2, "2025-03-31", 170, callback_at=datetime(2025, 4, 8, 10)),
        _case("M2", u2, "2025-03-20", deadline_class="疑难"),
        _repeat("R1", u1, "2025-03-01 08:00:00", "k1", "噪音"), _repeat("R2", u1, "2025-03-05 08:00:00", "k1", "噪音"),
        _repeat("R3", u1, "2025-03-20 08:00:00", "k1", "噪音"), _repeat("R4", u2, "2025-02-25 08:00:00", "k2", "供暖"),
        _repeat("R5", u2, "2025-03-02 08:00:00", "k2", "供暖"), _repeat("R6", u1, "2025-01-10 08:00:00", "k3", "噪音"),
        _repeat("R7", u2, "2025-03-01 09:00:00", "k3", "噪音"),
    ], "march.csv")
    write(engine, [_case("L5", u1, "2025-03-06", has_closed_at=False)], "no-close-times.csv")
    return engine, u1, u2


def _overdue(engine, period, as_of=LATE, basis="r", source="summary", unit_ids=None):
    f = CaseFilter(unit_ids=unit_ids, start=period.start, end=period.end, basis=basis, overdue=True, limits=LIMITS,
                   as_of=as_of)
    with engine.connect() as conn:
        return overdue_by_unit(conn, f, source=source)


def _repeats(engine, period, source="summary"):
    f = CaseFilter(unit_ids=None, start=period.start, end=period.end, repeat=True, limits=LIMITS)
    with engine.connect() as conn:
        return dict(volumes_by(conn, f, "unit_id", source=source))


def _assert_sources_agree(engine):
    for period in PERIODS:
        for basis in ("r", "c"):
            for as_of in MOMENTS:
                assert _overdue(engine, period, as_of, basis) == _overdue(engine, period, as_of, basis, "cases"), \
                    (period.key, basis, as_of)
        assert _repeats(engine, period) == _repeats(engine, period, "cases"), period.key
    f = CaseFilter(unit_ids=None, repeat=True, limits=LIMITS)
    ranges = [(p.start, p.end) for p in PERIODS]
    with engine.connect() as conn:
        assert period_volumes(conn, f, ranges) == period_volumes(conn, f, ranges, source="cases")


def test_overdue_counts_by_hand(district):
    engine, u1, u2 = district
    assert _overdue(engine, MARCH) == [(u1, 4, 1), (u2, 2, 1)]          # L1 L2 L4 O1 | M1 M2
    assert _overdue(engine, W10) == [(u1, 3, 0)]                        # L1 L2 L4
    assert _overdue(engine, W09) == [(u1, 1, 1)]                        # O2
    assert _overdue(engine, SPAN) == [(u1, 5, 2), (u2, 2, 1)]
    assert _overdue(engine, MARCH, datetime(2025, 3, 19, 8, 0)) == [(u1, 3, 0), (u2, 1, 0)]  # O1 not yet, M2 not
    assert _overdue(engine, MARCH, datetime(2025, 3, 19, 9, 0)) == [(u1, 4, 1), (u2, 1, 0)]
    assert _overdue(engine, MARCH, basis="c") == [(u1, 4, 1), (u2, 1, 1)]  # M1 called back in April
    assert _overdue(engine, MARCH, unit_ids=(u2,)) == [(u2, 2, 1)]
    assert _overdue(engine, parse_period("2025-04")) == []
    _assert_sources_agree(engine)


def test_repeat_counts_by_hand(district):
    engine, u1, u2 = district
    assert _repeats(engine, MARCH) == {u1: 2, u2: 1}                    # R2 R3 | R5 (R7's gap is 51 days)
    assert _repeats(engine, W09) == {u2: 1}                             # R5
    assert _repeats(engine, W10) == {u1: 1}                             # R2
    assert _repeats(engine, SPAN) == {u1: 2, u2: 1}
    _assert_sources_agree(engine)


def test_summaries_follow_a_backfill_an_update_and_their_undo(district):
    engine, u1, u2 = district
    # k3's case of 20 February brings R7 (朝阳门, 1 March) within the window: a day the batch itself did not touch.
    backfill = write(engine, [_repeat("R8", u1, "2025-02-20 08:00:00", "k3", "噪音")], "backfill.csv")
    assert _repeats(engine, MARCH) == {u1: 2, u2: 2}
    closed = write(engine, [_case("O1", u1, "2025-03-10", 100, dispatched=datetime(2025, 3, 12, 8),
                                  deadline_class="一般")], "o1-closed.csv")
    assert _overdue(engine, MARCH) == [(u2, 2, 1), (u1, 3, 0)]
    _assert_sources_agree(engine)
    for batch in (closed, backfill):
        with engine.begin() as conn:
            undo_batch(conn, batch)
    assert (_overdue(engine, MARCH), _repeats(engine, MARCH)) == ([(u1, 4, 1), (u2, 2, 1)], {u1: 2, u2: 1})
    _assert_sources_agree(engine)


def _rows(engine, table):
    with engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(select(table))), key=repr)


def test_migration_builds_the_summaries_of_an_existing_database(district):
    engine, u1, u2 = district
    tables = (stat_unit_day_overdue, stat_unit_day_repeat, stat_unit_month_repeat)
    written = [_rows(engine, t) for t in tables]
    assert all(written)
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0022")
    upgrade(engine)
    assert [_rows(engine, t) for t in tables] == written
    assert _overdue(engine, MARCH) == [(u1, 4, 1), (u2, 2, 1)]
