"""Shared fixtures. `engine` runs a test on SQLite, PostgreSQL and MariaDB; `sqlite_engine` on SQLite only."""
import os
import sys
from functools import lru_cache

import pytest

from tests.ci_strict import (  # noqa: F401 — pytest's hooks, from their module
    pytest_collectreport, pytest_runtest_makereport, pytest_sessionfinish, pytest_terminal_summary)
from tests.dbs import BACKENDS, drop_server_database, empty_all_tables, migrated_engine, shared_server_engine

# A deployment keeps the caller hash key outside the database (data_access.ingest.privacy); tests that need it missing
# remove it with monkeypatch.
os.environ.setdefault("CALLER_HASH_KEY", "test-caller-hash-key-outside-the-db")


def pytest_collection_modifyitems(items):
    """The fast lane (`-m "not slow"`) runs every database test on SQLite only, and no browser test: the PostgreSQL
    and MariaDB variants (server round trips, MariaDB's slow DDL) and the browser are the full suite's (and CI's)."""
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("engine")
        if item.get_closest_marker("browser") or backend in ("postgresql", "mariadb"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _components_scanned_once():
    """Every new AppTest scans all installed packages for Streamlit components (0.1 s of CPU, about 150 times a
    run); nothing is installed during a run, so the first answer is every later one's. Only where pages are tested."""
    if "streamlit.testing.v1" not in sys.modules:
        yield
        return
    from streamlit.components.v2 import manifest_scanner
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests",
                      lru_cache(maxsize=1)(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(scope="session")
def _server_engines():
    made = {}
    yield made
    for backend, engine in made.items():
        engine.dispose()
        drop_server_database(backend)


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path, _server_engines):
    """A migrated, empty database on each backend in turn."""
    backend = request.param
    if backend == "sqlite":
        eng = migrated_engine(f"sqlite:///{tmp_path / 'cases.db'}")
        yield eng
        eng.dispose()
        return
    eng = shared_server_engine(_server_engines, backend)
    empty_all_tables(eng)
    yield eng


@pytest.fixture
def sqlite_engine(tmp_path):
    eng = migrated_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    yield eng
    eng.dispose()
