"""Test databases: a fresh SQLite file, and a private database on each local server (skipped only if unreachable).

Each pytest process makes its own database on the servers (name carries the pid), so parallel runs never meet.
"""
import os

import pytest
from sqlalchemy import create_engine, text

from data_access.engine import make_engine
from data_access.migrate import upgrade
from data_access.schema import metadata

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{db}", "test"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4", "test"),
}
BACKENDS = ("sqlite", "postgresql", "mariadb")
_unreachable: dict[str, str] = {}


def _admin_url(backend: str) -> str:
    template, admin_db = SERVERS[backend]
    return os.environ.get(f"TEST_{backend.upper()}_ADMIN_URL", template.format(db=admin_db))


def server_database(backend: str) -> str:
    """Create this process's database on a server; return its URL, or skip saying why it cannot."""
    if backend in _unreachable:
        pytest.skip(_unreachable[backend])
    name = f"jsjb_test_{os.getpid()}"
    admin = create_engine(_admin_url(backend), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 15})
    try:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if backend == "mariadb" else ""
            conn.execute(text(f"CREATE DATABASE {name}{extra}"))
    except Exception as exc:  # noqa: BLE001 — any failure to reach the server means: skip, and say so
        _unreachable[backend] = f"{backend} at 127.0.0.1 unreachable, its tests skipped: {exc.__class__.__name__}: {exc}"
        print("\n" + _unreachable[backend])
        pytest.skip(_unreachable[backend])
    finally:
        admin.dispose()
    return SERVERS[backend][0].format(db=name)


def drop_server_database(backend: str) -> None:
    admin = create_engine(_admin_url(backend), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS jsjb_test_{os.getpid()}"))
    admin.dispose()


def empty_all_tables(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def migrated_engine(url: str):
    engine = make_engine(url)
    upgrade(engine)
    return engine
