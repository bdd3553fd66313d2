"""The write path: upsert, unchanged re-writes, summaries kept equal to the case table, undo."""
from datetime import date

import pytest
from sqlalchemy import func, select

from data_access.ingest.case_store import UndoRefused, undo_batch, whole_hours
from data_access.storage.schema import batch_changes, cases, stat_unit_day, stat_unit_day_resp
from tests.factories import case_row, units, write


def test_whole_hours_rounds_up_and_keeps_the_exact_limit():
    from datetime import datetime as dt
    start = dt(2025, 3, 1, 8, 0, 0)
    assert whole_hours(start, dt(2025, 3, 1, 10, 0, 0)) == 2
    assert whole_hours(start, dt(2025, 3, 1, 10, 0, 1)) == 3
    assert whole_hours(start, None) is None


def _stat(engine, unit_id, day):
    with engine.connect() as conn:
        return conn.execute(select(stat_unit_day).where(stat_unit_day.c.basis == "r",
                                                        stat_unit_day.c.unit_id == unit_id,
                                                        stat_unit_day.c.day == day)).mappings().first()


def test_insert_update_unchanged_and_summaries(engine):
    u = units(engine, ("东华门街道", "街道"))["东华门街道"]
    rows = [
        case_row("A1", u, "2025-03-01 08:00:00", solved="解决", satisfaction="满意",
                 responded_at="2025-03-01 09:00:00"),
        case_row("A2", u, "2025-03-01 09:00:00", solved="未解决", satisfaction="不满意", excluded=True),
    ]
    write(engine, rows, "one.csv")
    s = _stat(engine, u, date(2025, 3, 1))
    assert (s["volume"], s["assessed"], s["solved_full"], s["solved_none"], s["sat_full"], s["sat_none"]) == \
        (2, 1, 1, 0, 1, 0)
    # Same rows again: nothing changes; one changed row: one update, summary follows.
    rows[1] = case_row("A2", u, "2025-03-01 09:00:00", solved="未解决", satisfaction="不满意", excluded=False)
    with engine.begin() as conn:
        from data_access.ingest.batches import start_batch
        from data_access.ingest.case_store import write_cases
        res = write_cases(conn, rows, start_batch(conn, "two.csv", "x"))
    assert (res.new, res.updated, res.unchanged) == (0, 1, 1)
    s = _stat(engine, u, date(2025, 3, 1))
    assert (s["assessed"], s["solved_none"], s["sat_none"]) == (2, 1, 1)


def test_undo_restores_previous_version_and_refuses_when_overtaken(engine):
    u = units(engine, ("景山街道", "街道"))["景山街道"]
    b1 = write(engine, [case_row("B1", u, "2025-03-02 08:00:00", solved="解决")], "b1.csv")
    b2 = write(engine, [case_row("B1", u, "2025-03-02 08:00:00", solved="未解决"),
                        case_row("B2", u, "2025-04-01 08:00:00")], "b2.csv")
    with engine.begin() as conn, pytest.raises(UndoRefused):
        undo_batch(conn, b1)
    with engine.begin() as conn:
        assert undo_batch(conn, b2) == 2
    with engine.connect() as conn:
        assert conn.execute(select(cases.c.case_no, cases.c.solved)).all() == [("B1", "解决")]
    assert _stat(engine, u, date(2025, 4, 1)) is None
    assert _stat(engine, u, date(2025, 3, 2))["solved_full"] == 1


def test_new_cases_record_no_undo_row_and_undo_still_removes_them(engine):
    """cases.batch_id says which batch inserted a case; an insert row recorded by an earlier version still counts."""
    u = units(engine, ("和平里街道", "街道"))["和平里街道"]
    b1 = write(engine, [case_row("N1", u, "2025-03-05 08:00:00"), case_row("N2", u, "2025-03-05 09:00:00")])
    b2 = write(engine, [case_row("N3", u, "2025-03-06 08:00:00")], "b2.csv")
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(batch_changes)).scalar() == 0
        conn.execute(batch_changes.insert().values(batch_id=b2, case_no="N3", action="insert"))  # as 0018 wrote it
    with engine.begin() as conn:
        assert undo_batch(conn, b2) == 1
    with engine.begin() as conn:
        assert undo_batch(conn, b1) == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 0
    assert _stat(engine, u, date(2025, 3, 5)) is None


def test_response_histogram_counts_assessed_cases_with_default_urgency(engine):
    u = units(engine, ("交道口街道", "街道"))["交道口街道"]
    write(engine, [
        case_row("C1", u, "2025-03-03 08:00:00", responded_at="2025-03-03 10:00:00"),
        case_row("C2", u, "2025-03-03 08:00:00", urgency="紧急", responded_at="2025-03-03 10:00:01"),
        case_row("C3", u, "2025-03-03 08:00:00", responded_at="2025-03-03 09:00:00", excluded=True),
    ])
    with engine.connect() as conn:
        got = sorted(conn.execute(select(stat_unit_day_resp.c.urgency, stat_unit_day_resp.c.hours,
                                         stat_unit_day_resp.c.n).where(stat_unit_day_resp.c.basis == "r")).tuples())
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 3
    assert got == [("一般", 2, 1), ("紧急", 3, 1)]
