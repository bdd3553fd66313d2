"""Where the case database is, and one SQLAlchemy engine for it.

Order (DATA_FORMAT.md §2): an explicit URL, then CASES_DB_URL, then [connections.cases] url in
.streamlit/secrets.toml, then the embedded SQLite file data/cases.db.
"""
import tomllib
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

import settings
from data_access.storage.query_timeout import limit_statements

ROOT = Path(__file__).resolve().parents[2]  # the repository (this file is data_access/storage/engine.py)
DEFAULT_SQLITE = ROOT / "data" / "cases.db"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
CONNECT_TIMEOUT_S = 10


def resolve_url(url: str | None = None) -> str:
    if url:
        return url
    if settings.CASES_DB_URL.get():
        return settings.CASES_DB_URL.get()
    if SECRETS.exists():
        with SECRETS.open("rb") as f:
            conn = tomllib.load(f).get("connections", {}).get("cases", {})
        if conn.get("url"):
            return conn["url"]
    return f"sqlite:///{DEFAULT_SQLITE}"


def is_default_sqlite(url: str) -> bool:
    return url == f"sqlite:///{DEFAULT_SQLITE}"


def make_engine(url: str | None = None, query_timeout: float | None = None, **kwargs) -> Engine:
    """The engine for `url`; `query_timeout` seconds limit each statement (data_access.storage.query_timeout)."""
    engine = _create(resolve_url(url), **kwargs)
    if query_timeout:
        limit_statements(engine, query_timeout)
    return engine


def _create(url: str, **kwargs) -> Engine:
    # A failing statement's message must not carry its parameters: an import's would print case text to the log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("mysql") or url.startswith("mariadb"):
        kwargs.setdefault("pool_recycle", 3600)
    # A server that does not answer: fail within seconds with a message rather than hang the page.
    kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_S})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_conn, _record):
    # WAL lets the dashboard read while an import writes; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # A page cache of up to 64 MB (default 2 MB): an import's eight indexes on `cases` and its summary GROUP BYs
    # otherwise re-read the same pages from the OS (the summaries of a 100,000-case month took 21 % more CPU).
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()
