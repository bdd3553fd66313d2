"""重复诉求 kept on the cases (data_access.ingest.repeat_gaps): the gap in whole days rounded up, kept right when cases
arrive out of order, change caller or category, are undone, or were there before the column existed."""
from datetime import datetime

from alembic import command
from sqlalchemy import select

from data_access.ingest import case_store
from data_access.ingest.batches import start_batch
from data_access.ingest.case_store import undo_batch
from data_access.storage.migrate import _config, upgrade
from data_access.ingest.repeat_gaps import gaps
from data_access.storage.schema import cases
from tests.factories import case_row, units, write


def _at(*texts):
    return [datetime.fromisoformat(t) for t in texts]


def test_gaps_count_from_the_latest_strictly_earlier_case_in_days_rounded_up():
    assert gaps(_at("2025-03-01 08:00", "2025-03-01 09:00", "2025-03-31 09:00", "2025-03-31 09:00:01")) == \
        [None, 1, 30, 1]
    # Two cases at the same moment are not earlier than each other: both count from the one before.
    assert gaps(_at("2025-03-01 08:00", "2025-03-03 08:00", "2025-03-03 08:00")) == [None, 2, 2]
    assert gaps(_at("2025-03-01 08:00", "2025-03-01 08:00")) == [None, None]


def _gaps(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(cases.c.case_no, cases.c.repeat_gap_days)).all())


def _noise(no, unit, at, caller="k1", cat_l2="噪音"):
    return case_row(no, unit, at, caller_key=caller, cat_l2=cat_l2)


def test_gaps_follow_late_cases_changes_and_undo(engine):
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [_noise("A", u, "2025-03-01 08:00:00"), _noise("C", u, "2025-03-31 08:00:01"),
                   _noise("X", u, "2025-03-02 08:00:00", caller="")], "march.csv")
    assert _gaps(engine) == {"A": None, "C": 31, "X": None}
    # A case filed in between arrives later: C now counts from it.
    late = write(engine, [_noise("B", u, "2025-03-20 08:00:00")], "late.csv")
    assert _gaps(engine) == {"A": None, "B": 19, "C": 12, "X": None}
    # B turns out to be about heating: C counts from A again, and B has no earlier heating case.
    moved = write(engine, [_noise("B", u, "2025-03-20 08:00:00", cat_l2="供暖")], "fix.csv")
    assert _gaps(engine) == {"A": None, "B": None, "C": 31, "X": None}
    with engine.begin() as conn:
        undo_batch(conn, moved)
    assert _gaps(engine)["C"] == 12
    with engine.begin() as conn:
        undo_batch(conn, late)
    assert _gaps(engine) == {"A": None, "C": 31, "X": None}


def test_new_cases_get_their_gaps_across_chunks_and_from_stored_ones(engine, monkeypatch):
    """New cases are written with their gap, computed with the caller's stored cases and the batch's earlier
    chunks; a stored case that a new earlier one now precedes is updated (chunks of two rows here)."""
    monkeypatch.setattr(case_store, "CHUNK", 2)
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [_noise("S", u, "2025-03-10 08:00:00")], "stored.csv")
    # Newest first, so that each chunk holds cases earlier than the ones already written.
    write(engine, [_noise("N4", u, "2025-03-30 08:00:00"), _noise("N3", u, "2025-03-20 08:00:00"),
                   _noise("N2", u, "2025-03-07 20:00:00"), _noise("O", u, "2025-03-08 08:00:00", caller="k2"),
                   _noise("N1", u, "2025-03-01 08:00:00")], "new.csv")
    assert _gaps(engine) == {"S": 3, "N1": None, "N2": 7, "N3": 10, "N4": 10, "O": None}


def test_only_other_batches_regapped_cases_are_reported(sqlite_engine, monkeypatch):
    """A batch's later chunk regapping its own earlier case reports nothing (the batch's summaries are added from its
    cases at the end); regapping a case of an earlier batch reports that case's summary keys."""
    monkeypatch.setattr(case_store, "CHUNK", 1)
    u = units(sqlite_engine, ("建国门街道", "街道"))["建国门街道"]
    write(sqlite_engine, [_noise("S", u, "2025-03-10 08:00:00")], "stored.csv")
    rows = [_noise("N2", u, "2025-03-20 08:00:00", caller="k2"), _noise("N1", u, "2025-03-15 08:00:00", caller="k2")]
    with sqlite_engine.begin() as conn:
        own = case_store.write_cases(conn, rows, start_batch(conn, "own.csv", "own"), refresh=False)
        other = case_store.write_cases(conn, [_noise("E", u, "2025-03-02 08:00:00")], start_batch(conn, "e.csv", "e"),
                                       refresh=False)
    assert own.regapped == {"r": set(), "c": set()}
    day = datetime(2025, 3, 10).date()
    assert other.regapped == {"r": {(u, day)}, "c": {(u, day)}}
    assert _gaps(sqlite_engine) == {"S": 8, "N1": None, "N2": 5, "E": None}


def test_migration_fills_the_gaps_of_an_existing_database(engine):
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [_noise("A", u, "2025-03-01 08:00:00"), _noise("B", u, "2025-03-04 07:00:00"),
                   _noise("C", u, "2025-03-05 08:00:00", caller="k2"), _noise("D", u, "2025-03-06 08:00:00",
                                                                             caller="k2", cat_l2=None)])
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0010")  # as a database made before the gaps were kept
    upgrade(engine)
    assert _gaps(engine) == {"A": None, "B": 3, "C": None, "D": None}
