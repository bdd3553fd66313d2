"""A bulk write inside one transaction refreshes PostgreSQL's statistics of the case table before the repeat gaps
look callers up (data_access/ingest/planner_stats.py); on SQLite and MariaDB it issues nothing (and the import's
transaction stays open)."""
import pytest
from sqlalchemy import text

from data_access.ingest.batches import start_batch
from data_access.ingest.case_store import write_cases
from data_access.ingest.planner_stats import MIN_ROWS
from tests.dbs import empty_all_tables, shared_server_engine
from tests.factories import case_row, units


def _rows(unit: int, n: int) -> list[dict]:
    return [case_row(f"S{i:06d}", unit, f"2025-03-{1 + i % 28:02d} 09:00:00", caller_key=f"k{i}", cat_l2="噪音")
            for i in range(n)]


def _counted(conn) -> float:
    return conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'cases'::regclass")).scalar()


def _inserted(conn) -> int:
    return conn.execute(text("SELECT pg_stat_get_xact_tuples_inserted('cases'::regclass)")).scalar()


@pytest.fixture
def postgresql(_server_engines):
    """PostgreSQL alone: only it has statistics to refresh (the next test covers every database)."""
    engine = shared_server_engine(_server_engines, "postgresql")
    empty_all_tables(engine)
    return engine


@pytest.mark.slow  # a server test, as the engine fixture's PostgreSQL variants are
def test_statistics_count_the_transactions_own_rows(postgresql):
    engine = postgresql
    unit = units(engine, ("和平里街道", "街道"))["和平里街道"]
    with engine.begin() as conn:
        batch = start_batch(conn, "big.csv", "checksum-big")
        conn.execute(text("ANALYZE cases"))            # statistics of the empty table: 0 rows
        # PostgreSQL 15 keeps a backend's unflushed counts of earlier transactions in the "xact" counter too
        # (an earlier test's inserts on this pooled connection): the first write stops just short of MIN_ROWS.
        first = MIN_ROWS - 1 - _inserted(conn)
        write_cases(conn, _rows(unit, first), batch, refresh=False)
        assert _counted(conn) == 0                     # too few new rows to be worth an ANALYZE
        write_cases(conn, _rows(unit, MIN_ROWS + 10)[first:], batch, refresh=False)
        assert _counted(conn) == MIN_ROWS + 10         # the sample saw every row written in this transaction
        conn.rollback()
    with engine.begin() as conn:
        # ANALYZE writes pg_class in place, outside the transaction: the rolled-back rows stay counted until the
        # next ANALYZE (harmless to a plan: too high a count only favours the indexes).
        assert _counted(conn) == MIN_ROWS + 10
        conn.execute(text("ANALYZE cases"))


def test_a_big_write_elsewhere_commits_nothing_half_way(engine):
    """MariaDB's ANALYZE TABLE would commit the import: a rolled-back big write leaves no case behind."""
    unit = units(engine, ("和平里街道", "街道"))["和平里街道"]
    with engine.begin() as conn:
        write_cases(conn, _rows(unit, MIN_ROWS + 10), start_batch(conn, "big.csv", "checksum-big"))
        conn.rollback()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cases")).scalar() == 0
