"""Under CI a skip is a failure: CI installs every database server, Chromium, LibreOffice and poppler, and has the
real-data folder, so a test that skips there skipped what it was meant to check (and pytest would pass).

Outside CI a skip stays a skip, with its reason in the summary (`-ra`). A test whose skip is legitimate even in CI
says so with `@pytest.mark.ci_may_skip`.
"""
import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


def _reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # (path, line, "Skipped: why")
        return str(longrepr[2])
    return str(longrepr)


_skipped_modules: list[str] = []


def _must_not_skip(report, item=None) -> bool:
    if not (under_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return False
    return item is None or not item.get_closest_marker("ci_may_skip")


def _why(report) -> str:
    return f"CI=true, so a skip fails the run (everything a test needs is installed in CI): {_reason(report)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _must_not_skip(report, item):
        report.outcome, report.longrepr = "failed", _why(report)


def pytest_collectreport(report):
    """A module that skips itself (no browser): noted here, failed at the end — a collection error would stop the
    whole run, and the other tests' results are worth having. With pytest-xdist this runs in the controlling
    process too (the workers send it every skipped collection), which is the one whose exit status counts."""
    if _must_not_skip(report):
        _skipped_modules.append(f"{report.nodeid}: {_why(report)}")


def pytest_terminal_summary(terminalreporter):
    for line in _skipped_modules:
        terminalreporter.write_line(f"FAILED (skipped module) {line}", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    if _skipped_modules and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
