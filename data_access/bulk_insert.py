"""Many rows into one table as plain tuples, in one executemany: each column's bind processor (SQLite's datetime
text, its 0/1 booleans) applied a column at a time, so that the rows skip SQLAlchemy's per-row parameter handling,
which cost an import as much as the inserts themselves (issue 17's profile)."""
from sqlalchemy import Table
from sqlalchemy.engine import Connection


def insert_tuples(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` on the caller's transaction."""
    if not rows:
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
