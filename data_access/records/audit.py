"""The audit log: every import, undo, export and adjustment, with who, what, when and how many rows.

A change is recorded in the transaction that makes it (`record`); an entry with nothing else to write — an export,
a sign-in, a retraining — is one transaction of its own (`log`).
"""
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from data_access.storage.schema import audit_log


def record(conn: Connection, user: str, action: str, detail: dict | str = "", n_rows: int | None = None) -> None:
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    conn.execute(audit_log.insert().values(at=datetime.now().replace(microsecond=0), user_name=user or "",
                                           action=action, detail=text, n_rows=n_rows))


def log(engine: Engine, user: str, action: str, detail: dict | str = "", n_rows: int | None = None) -> None:
    with engine.begin() as conn:
        record(conn, user, action, detail, n_rows)


def with_record(engine: Engine, user: str, action: str, detail: dict | str, change):
    """`change(conn)` and its audit entry in one transaction; returns what `change` returned."""
    with engine.begin() as conn:
        result = change(conn)
        record(conn, user, action, detail)
    return result


def recent(conn: Connection, limit: int = 200, action: str | None = None, offset: int = 0) -> list[dict]:
    """The newest entries first, optionally of one action only."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    if action:
        query = query.where(audit_log.c.action == action)
    return [dict(r) for r in conn.execute(query).mappings()]


def actions(conn: Connection) -> list[str]:
    """The kinds of entry the log holds (for a filter)."""
    return sorted(conn.execute(select(audit_log.c.action).distinct()).scalars())
