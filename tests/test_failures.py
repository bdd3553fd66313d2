"""Failure: a query over its time limit fails alone, a dead database shows a message, a broken panel leaves the page
standing, and an import stopped halfway (an error, or the process killed) leaves nothing half-written."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from data_access.storage.engine import make_engine
from data_access.ingest.importer import import_bytes
from data_access.storage.migrate import upgrade
from data_access.storage.query_timeout import DEFAULT_SECONDS, is_timeout, query_timeout_s
from data_access.storage.schema import audit_log, batch_changes, cases, import_batches, rejected_rows, stat_unit_day
from tests import app_fixture

ROOT = Path(__file__).resolve().parent.parent
# A thousand rows (within MariaDB's default recursion limit of 1000) joined thrice: 10⁹ rows to count, many seconds
# on every database, and the same SQL on all three.
SLOW = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) "
            "SELECT COUNT(*) FROM c a, c b, c d")


def test_the_time_limit_setting(monkeypatch):
    monkeypatch.delenv("QUERY_TIMEOUT_S", raising=False)
    assert query_timeout_s() == DEFAULT_SECONDS == 10
    for value, seconds in (("2.5", 2.5), ("0", None), ("-1", None), ("ten", 10.0)):
        monkeypatch.setenv("QUERY_TIMEOUT_S", value)
        assert query_timeout_s() == seconds


def test_a_slow_query_is_stopped_at_its_limit_and_the_connection_lives_on(engine):
    limited = make_engine(engine.url.render_as_string(hide_password=False), query_timeout=0.5)
    try:
        started = time.monotonic()
        with limited.connect() as conn:
            with pytest.raises(OperationalError) as caught:
                conn.execute(SLOW).scalar()
            elapsed = time.monotonic() - started
            if conn.in_transaction():
                conn.rollback()
            assert conn.execute(select(func.count()).select_from(cases)).scalar() == 0  # the next query runs
        assert is_timeout(caught.value) and elapsed < 5
    finally:
        limited.dispose()


def test_without_a_limit_a_query_is_not_stopped(sqlite_engine):
    unlimited = make_engine(str(sqlite_engine.url))
    quick = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
                 "SELECT COUNT(*) FROM c")
    with unlimited.connect() as conn:
        assert conn.execute(quick).scalar() == 300000
    unlimited.dispose()


def test_other_errors_are_not_timeouts(sqlite_engine):
    with sqlite_engine.connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert not is_timeout(caught.value)


# --- the app ---

def test_an_unreachable_database_shows_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setenv("CASES_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    monkeypatch.setenv("AUTH_MODE", "header")
    at = AppTest.from_file(app_fixture.APP, default_timeout=60).run()
    assert not at.exception
    assert any("无法连接数据库" in e.value for e in at.error) and not at.title and not at.metric


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fail') / 'app.db'}"
    app_fixture.build(url)
    return url


def test_a_failing_query_degrades_its_panel_not_the_page(app_url, monkeypatch):
    def timed_out(*args, **kwargs):
        raise OperationalError("SELECT …", {}, Exception("canceling statement due to statement timeout"))
    monkeypatch.setattr("ui.cache.loss_by", timed_out)  # the cached read the page calls
    at = app_fixture.AppTest.from_file(app_fixture.APP, default_timeout=60)
    monkeypatch.setenv("CASES_DB_URL", app_url)
    monkeypatch.delenv("AUTH_MODE", raising=False)
    at.switch_page("pages/lagging.py")
    at.query_params.update(period="2025-03", unit="交道口街道")
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 2 and all("查询超时" in e for e in errors)   # by category and by community
    assert [h.value for h in at.header] == ["交道口街道 · 失分分析"] and at.metric   # the rest of the page stands


# --- an import stopped halfway ---

def _file(n: int, bad_every: int = 0) -> bytes:
    lines = ["工单编号,受理时间,承办单位,单位类型,一级分类"]
    for i in range(n):
        when = "bad-date" if bad_every and i % bad_every == 0 else f"2025-03-{i % 28 + 1:02d} 08:00"
        lines.append(f"K-{i:06d},{when},东华门街道,街道,市容环卫")
    return ("\n".join(lines) + "\n").encode()


def nothing_written(engine) -> bool:
    with engine.connect() as conn:
        counts = [conn.execute(select(func.count()).select_from(t)).scalar()
                  for t in (cases, import_batches, batch_changes, rejected_rows, stat_unit_day, audit_log)]
    return counts == [0] * 6


@pytest.mark.slow  # a large import, stopped
def test_an_import_that_fails_midway_writes_nothing(engine):
    calls = []

    def progress(rows, fraction):
        calls.append(rows)
        if len(calls) == 2:  # the first chunk is written by now
            raise RuntimeError("stopped midway")

    from data_access.ingest.importer import CHUNK_ROWS
    with pytest.raises(RuntimeError):
        import_bytes(engine, _file(3 * CHUNK_ROWS, bad_every=7), "中断.csv", user="zhang", progress=progress)
    assert calls[0] == CHUNK_ROWS and nothing_written(engine)
    # and the same file imports in full afterwards (it was not recorded as done)
    result = import_bytes(engine, _file(3 * CHUNK_ROWS, bad_every=7), "中断.csv", user="zhang")
    assert result.rows == 3 * CHUNK_ROWS and result.rejected == len(range(0, 3 * CHUNK_ROWS, 7))


@pytest.mark.slow
def test_an_import_killed_midway_leaves_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    engine = make_engine(url)
    upgrade(engine)
    big = tmp_path / "big.csv"
    big.write_bytes(_file(300_000))
    marker = tmp_path / "started"
    # The child imports with a progress callback that marks the file once rows are being written, then is killed.
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r});"
            "from pathlib import Path; from data_access.storage.engine import make_engine;"
            "from data_access.ingest.importer import import_file;"
            f"import_file(make_engine({url!r}), {str(big)!r}, user='x',"
            f" progress=lambda rows, f: rows > 20000 and Path({str(marker)!r}).touch())")
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists() and child.poll() is None, "the import finished before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    assert nothing_written(engine)
    engine.dispose()
