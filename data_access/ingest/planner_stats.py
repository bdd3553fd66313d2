"""Fresh planner statistics after a bulk insert on PostgreSQL.

PostgreSQL plans from table statistics, and rows inserted inside the import's own transaction are invisible to
autovacuum: after a large load the statistics still describe the table before it, so a lookup such as the repeat
gaps' `caller_key IN (…)` scans the whole table, once per thousand callers (31 s of a 37 s import of 100,000 new
cases). ANALYZE is transactional there and samples the transaction's own rows. MariaDB's ANALYZE TABLE would commit
the import half-way, and SQLite plans by its indexes without statistics, so both are left alone.
"""
from sqlalchemy import text
from sqlalchemy.engine import Connection

# Re-analyze once this transaction's new rows exceed FACTOR × the rows the statistics count (so a load analyzes at
# geometrically spaced sizes: 5,000, 15,000, 35,000 … rows into an empty table; never for a small batch on a big one).
FACTOR = 2
MIN_ROWS = 5000   # below this, a stale plan costs less than an ANALYZE
# The columns the write path looks up or groups by: statistics on the other forty cost time and change no plan here.
COLUMNS = "case_no, caller_key, unit_id, received_day, basis_cb_day, batch_id"
_STATE = text("SELECT reltuples, pg_stat_get_xact_tuples_inserted(oid) FROM pg_class WHERE oid = 'cases'::regclass")


def analyze_if_outgrown(conn: Connection) -> None:
    """ANALYZE cases when the rows this transaction inserted outgrow its statistics (PostgreSQL only)."""
    if conn.dialect.name != "postgresql":
        return
    counted, inserted = conn.execute(_STATE).one()
    if inserted >= MIN_ROWS and inserted > FACTOR * max(counted, 0):
        conn.execute(text(f"ANALYZE cases ({COLUMNS})"))
