"""A time limit on every statement of an engine, so that a slow query fails alone (its panel shows a message)
instead of holding a page and a connection.

The dashboard's engine gets QUERY_TIMEOUT_S seconds (default 10; 0 switches the limit off); the command line has
none (imports and the demo build of a whole city may run long). Each database has its own means:
- PostgreSQL: `SET statement_timeout` on each new connection;
- MariaDB: `SET SESSION max_statement_time` (MySQL: `max_execution_time`, which limits SELECTs only);
- SQLite: a progress handler that interrupts a statement running longer than the limit.
A statement over its limit raises sqlalchemy.exc.OperationalError; `is_timeout(exc)` tells it from other errors.
"""
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

import settings

DEFAULT_SECONDS = float(settings.QUERY_TIMEOUT_S.default)
SQLITE_STEPS = 20_000  # SQLite calls the handler every this many VM steps: well under a millisecond apart
_CLOCK = "statement_started"
# What each database says when it cancels a statement for its time limit.
_TIMEOUT_SIGNS = ("statement timeout", "max_statement_time", "maximum statement execution time", "interrupted",
                  "max_execution_time", "query execution was interrupted")


def query_timeout_s() -> float | None:
    """QUERY_TIMEOUT_S from the environment: seconds, default 10; 0 or less means no limit; unreadable → default."""
    try:
        seconds = float(settings.QUERY_TIMEOUT_S.get())
    except ValueError:
        seconds = DEFAULT_SECONDS
    return seconds if seconds > 0 else None


def is_timeout(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return any(sign in text for sign in _TIMEOUT_SIGNS)


def limit_statements(engine: Engine, seconds: float) -> None:
    """Give every statement of `engine` at most `seconds`."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        event.listen(engine, "connect", _sqlite_handler(seconds))
        event.listen(engine, "before_cursor_execute", _start_clock)
    elif dialect == "postgresql":
        event.listen(engine, "connect", _session_setting(f"SET statement_timeout = {int(seconds * 1000)}"))
    elif dialect in ("mysql", "mariadb"):
        event.listen(engine, "connect", _mysql_setting(seconds))


def _session_setting(statement: str):
    def on_connect(dbapi_conn, _record):
        cursor = dbapi_conn.cursor()
        cursor.execute(statement)
        cursor.close()
        if not getattr(dbapi_conn, "autocommit", True):
            dbapi_conn.commit()  # psycopg opens a transaction for the SET; end it so the setting holds
    return on_connect


def _mysql_setting(seconds: float):
    def on_connect(dbapi_conn, record):
        is_mariadb = "mariadb" in dbapi_conn.get_server_info().lower()
        statement = (f"SET SESSION max_statement_time = {seconds:g}" if is_mariadb
                     else f"SET SESSION max_execution_time = {int(seconds * 1000)}")
        _session_setting(statement)(dbapi_conn, record)
    return on_connect


def _sqlite_handler(seconds: float):
    def on_connect(dbapi_conn, record):
        clock = record.info[_CLOCK] = [None]
        # A non-zero return interrupts the running statement ("interrupted").
        dbapi_conn.set_progress_handler(
            lambda: int(clock[0] is not None and time.monotonic() - clock[0] > seconds), SQLITE_STEPS)
    return on_connect


def _start_clock(conn, _cursor, _statement, _parameters, _context, _executemany):
    clock = conn.info.get(_CLOCK)
    if clock is not None:
        clock[0] = time.monotonic()
