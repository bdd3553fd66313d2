"""The app's engine, the data version, and the cached call every wrapper in ui.cache goes through.

Every cached result is keyed by the database URL and its data version (`data_access.ingest.batches.data_version`), so an
import or an undo shows at once; app.py fetches the version once per run (`refresh_version`). Results are small
aggregates only (st.cache_data copies them on every hit), always with a ttl and max_entries.
Below ui.auth (which needs the engine and `is_demo`) and ui.cache (which needs the current user): no cycle.
"""
import streamlit as st
from sqlalchemy.engine import Engine

from demo import seed as demo
from data_access.ingest.batches import data_version
from data_access.storage.engine import make_engine, resolve_url
from data_access.storage.query_timeout import query_timeout_s

TTL_SECONDS = 600
MAX_ENTRIES = 300
_VERSION_KEY = "_data_version"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Every dashboard statement under QUERY_TIMEOUT_S: a slow query fails its panel, not the page.
    return make_engine(url, query_timeout=query_timeout_s())


def engine() -> Engine:
    """One engine (connection pool) per database URL and process, shared by all sessions."""
    return _engine_for(resolve_url())


def refresh_version() -> tuple:
    """Read the data version once for this run; the cached wrappers key on it."""
    with engine().connect() as conn:
        version = (resolve_url(), data_version(conn))
    st.session_state[_VERSION_KEY] = version
    return version


def version() -> tuple:
    return st.session_state.get(_VERSION_KEY) or refresh_version()


def clear() -> None:
    """After this session changed data (import, undo, adjustment, demo build): drop cached results at once."""
    _call.clear()
    refresh_version()


@st.cache_data(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, show_spinner=False)
def _call(_engine: Engine, data_version_key: tuple, _func, func_name: str, with_conn: bool, args: tuple,
          kwargs: tuple):
    # `_func` is not hashed (leading underscore); `func_name` stands for it in the cache key.
    if with_conn:
        with _engine.connect() as conn:
            return _func(conn, *args, **dict(kwargs))
    return _func(_engine, *args, **dict(kwargs))


def cached(func, with_conn: bool = False):
    """A cached version of func(engine_or_connection, *args, **kwargs), the engine (or a connection) given here."""
    name = f"{func.__module__}.{func.__qualname__}"

    def call(*args, **kwargs):
        return _call(engine(), version(), func, name, with_conn, args, tuple(sorted(kwargs.items())))
    call.__name__ = func.__name__
    call.__doc__ = f"Cached {name} (engine given by ui.db)."
    return call


is_demo = cached(demo.is_demo)
