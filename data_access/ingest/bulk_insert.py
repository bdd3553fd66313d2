"""Many rows into one table, skipping SQLAlchemy's per-row parameter handling, which cost an import as much as the
inserts themselves (issue 17): binary COPY on PostgreSQL; elsewhere one executemany, each column's values turned
into what the driver takes a column at a time (SQLite's datetime text, its 0/1 booleans)."""
from datetime import date, datetime

from sqlalchemy import Table
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE, DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def insert_tuples(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` on the caller's transaction."""
    if rows:
        insert_columns(conn, table, columns, list(zip(*rows)))


def insert_columns(conn: Connection, table: Table, columns: tuple[str, ...], values: list) -> None:
    """Insert rows given a column at a time: values[i] holds every row's value of columns[i]."""
    if not values or not len(values[0]):
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, zip(*values))
        return
    dialect = conn.dialect
    values = [_driver_values(table.c[name].type.dialect_impl(dialect), dialect, column)
              for name, column in zip(columns, values)]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                         f"VALUES ({', '.join([mark] * len(columns))})", list(zip(*values)))


def _driver_values(impl, dialect, column):
    """A column's values as the driver takes them: SQLAlchemy's bind processor, or for SQLite's datetime and date
    text in their default format the same strings made by isoformat at C speed (tests check they are equal)."""
    kind = next((k for k in _SQLITE_TEXT if isinstance(impl, k)), None)
    if kind is not None and impl._storage_format == kind._storage_format:
        fast = _SQLITE_TEXT[kind]
        return [None if v is None else fast(v) for v in column]
    process = impl.bind_processor(dialect)
    return column if process is None else [None if v is None else process(v) for v in column]


def _sqlite_datetime(value: datetime | date) -> str:
    if type(value) is date:   # SQLAlchemy stores a date in a datetime column at midnight
        return f"{value.isoformat()} 00:00:00.000000"
    return value.isoformat(" ", "microseconds")


_SQLITE_TEXT = {SQLITE_DATETIME: _sqlite_datetime, SQLITE_DATE: date.isoformat}


def _copy(conn: Connection, table: Table, columns: tuple[str, ...], rows) -> None:
    """Binary COPY … FROM STDIN on the transaction's own connection (each column's type told to psycopg, so no
    value goes through text); its errors raised as SQLAlchemy's, so that the importer still tells a concurrent
    import's duplicate key (IntegrityError: retried) from anything else."""
    import psycopg
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    types = [_pg_type(table.c[name].type, conn.dialect) for name in columns]
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from None


def _pg_type(sql_type, dialect) -> str:
    """PostgreSQL's name of a column's type without its length (VARCHAR(32) -> varchar), as psycopg knows it."""
    return sql_type.compile(dialect=dialect).split("(")[0].lower()
