"""Fresh planner statistics after a bulk insert on PostgreSQL.

PostgreSQL plans from table statistics, and rows inserted inside the import's own transaction are invisible to
autovacuum: after a large load the statistics still describe the table before it, so a lookup such as the repeat
gaps' `caller_key IN (…)` scans the whole table, once per thousand callers (31 s of a 37 s import of 100,000 new
cases). ANALYZE is transactional there and samples the transaction's own rows. MariaDB's ANALYZE TABLE would commit
the import half-way, and SQLite plans by its indexes without statistics, so both are left alone.
"""
from sqlalchemy import text
from sqlalchemy.engine import Connection

GROWTH = 1.0      # re-analyze once the rows written since the statistics exceed this share of the rows they count
MIN_ROWS = 5000   # below this, a stale plan costs less than an ANALYZE
# The columns the write path looks up or groups by: statistics on the other forty cost time and change no plan here.
COLUMNS = "case_no, caller_key, unit_id, received_day, basis_cb_day, batch_id"
_PENDING = "rows_since_analyze"


def after_insert(conn: Connection, rows: int) -> None:
    """Count `rows` new cases on this connection; ANALYZE cases when they outgrow its statistics."""
    if conn.dialect.name != "postgresql" or rows <= 0:
        return
    pending = conn.info.get(_PENDING, 0) + rows
    counted = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'cases'::regclass")).scalar()
    if pending >= MIN_ROWS and (counted is None or counted < 0 or pending > GROWTH * counted):
        conn.execute(text(f"ANALYZE cases ({COLUMNS})"))
        pending = 0
    conn.info[_PENDING] = pending
