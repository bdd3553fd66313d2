"""Test databases: a fresh SQLite file, and a private database on each local server (skipped only if unreachable).

SQLite databases are copies of one file migrated once per process (a copy takes a millisecond, the migrations
about half a second). On the servers each process migrates its database once and every test starts by emptying
its tables: measured, that takes 0.02–0.1 s, where `CREATE DATABASE … TEMPLATE` takes 0.35 s on PostgreSQL (plus
0.2–2.6 s to drop), and MariaDB has no template databases.

Each pytest process makes its own database on the servers, named `jsjb_test_<unix time>_<pid>`, so parallel runs
never meet; the first time a process reaches a server it drops that server's test databases older than a day
(left behind by killed runs).
"""
import atexit
import os
import re
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from data_access.storage.engine import make_engine
from data_access.storage.migrate import upgrade
from data_access.storage.schema import metadata

SERVERS = {
    "postgresql": ("postgresql+psycopg://postgres@127.0.0.1:5432/{db}", "test"),
    "mariadb": ("mysql+pymysql://root@127.0.0.1:3306/{db}?charset=utf8mb4", "test"),
}
BACKENDS = ("sqlite", "postgresql", "mariadb")
PREFIX = "jsjb_test_"
STALE_SECONDS = 24 * 3600
DB_NAME = f"{PREFIX}{int(time.time())}_{os.getpid()}"
_STAMPED = re.compile(rf"{PREFIX}(\d+)_\d+$")
_unreachable: dict[str, str] = {}
_LIST = {
    "postgresql": "SELECT datname FROM pg_database WHERE datname LIKE 'jsjb\\_test\\_%'",
    "mariadb": "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'jsjb\\_test\\_%'",
}


def _admin_url(backend: str) -> str:
    template, admin_db = SERVERS[backend]
    return os.environ.get(f"TEST_{backend.upper()}_ADMIN_URL", template.format(db=admin_db))


def stale_names(names, now: float) -> list[str]:
    """The test databases made more than a day ago; names without the time stamp are another version's, left alone."""
    return [n for n in names if (m := _STAMPED.match(n)) and now - int(m.group(1)) > STALE_SECONDS]


def _drop(conn, backend: str, name: str) -> None:
    force = " WITH (FORCE)" if backend == "postgresql" else ""  # a killed run's connection may linger
    conn.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))


def server_database(backend: str) -> str:
    """Create this process's database on a server; return its URL, or skip saying why it cannot."""
    if backend in _unreachable:
        pytest.skip(_unreachable[backend])
    admin = create_engine(_admin_url(backend), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 15})
    try:
        with admin.connect() as conn:
            for old in stale_names(conn.execute(text(_LIST[backend])).scalars(), time.time()):
                _drop(conn, backend, old)
            _drop(conn, backend, DB_NAME)
            extra = " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if backend == "mariadb" else ""
            conn.execute(text(f"CREATE DATABASE {DB_NAME}{extra}"))
    except Exception as exc:  # noqa: BLE001 — any failure to reach the server means: skip, and say so
        _unreachable[backend] = f"{backend} at 127.0.0.1 unreachable, its tests skipped: {exc.__class__.__name__}: {exc}"
        print("\n" + _unreachable[backend])
        pytest.skip(_unreachable[backend])
    finally:
        admin.dispose()
    return SERVERS[backend][0].format(db=DB_NAME)


def shared_server_engine(engines: dict, backend: str):
    """This process's one migrated database on a server, made on first use and kept in `engines` (the session's):
    every fixture that needs a server shares it, so none drops it under another."""
    if backend not in engines:
        engines[backend] = migrated_engine(server_database(backend))
    return engines[backend]


def drop_server_database(backend: str) -> None:
    admin = create_engine(_admin_url(backend), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        _drop(conn, backend, DB_NAME)
    admin.dispose()


def empty_all_tables(engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@lru_cache(maxsize=1)
def _sqlite_template() -> Path:
    """A SQLite file with every migration applied, made once per process."""
    folder = Path(tempfile.mkdtemp(prefix="jsjb-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists(), "the template's WAL was not checkpointed"
    return path


def migrated_engine(url: str):
    """An engine on a database at the newest schema: a new SQLite file is a copy of the template."""
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template(), path)
        return make_engine(url)
    engine = make_engine(url)
    upgrade(engine)
    return engine
