"""Many rows into one table as plain tuples: COPY on PostgreSQL; elsewhere one executemany, each column's bind
processor (SQLite's datetime text, its 0/1 booleans) applied a column at a time. Either way the rows skip
SQLAlchemy's per-row parameter handling, which cost an import as much as the inserts themselves (issue 17)."""
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def insert_tuples(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` on the caller's transaction."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
        return
    dialect = conn.dialect
    values = list(zip(*rows))
    for i, name in enumerate(columns):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[i] = [None if v is None else process(v) for v in values[i]]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                         f"VALUES ({', '.join([mark] * len(columns))})", list(zip(*values)))


def _copy(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY … FROM STDIN on the transaction's own connection; its errors raised as SQLAlchemy's, so that the
    importer still tells a concurrent import's duplicate key (IntegrityError: retried) from anything else."""
    import psycopg
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from None
