"""A lookup of many keys at once (`column IN (…)`), written the cheapest way for each database.

On PostgreSQL a list of thousands of bound values cost the import more client CPU than the lookups themselves
(SQLAlchemy renders and casts each one, psycopg re-parses each new statement text), so there it is one array
parameter, `column = ANY(:keys)`, and the statement text never changes.
"""
from sqlalchemy import any_, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.types import ARRAY


def one_of(conn: Connection, column, values):
    """The condition `column` is one of `values`."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)
