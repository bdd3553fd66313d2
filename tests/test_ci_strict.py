"""CI strictness (tests/ci_strict.py) and the test databases' names (tests/dbs.py), checked for real."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dbs import stale_names

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = '''
import pytest

def test_needs_a_server():
    pytest.skip("server unreachable")

@pytest.mark.ci_may_skip
def test_may_skip():
    pytest.skip("not for this machine")

def test_runs():
    assert True
'''


def _run(tmp_path, ci: str, *options: str):
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "conftest.py").write_text(
        "from tests.ci_strict import *  # noqa: F401,F403\n")
    (tmp_path / "tests" / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "tests" / "test_module_skip.py").write_text(
        "import pytest\npytest.skip('no browser', allow_module_level=True)\n")
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "", "-ra", *options,
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "tests")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # a pytest run in a subprocess
def test_a_skip_stays_a_skip_outside_ci(tmp_path):
    outside = _run(tmp_path, "")
    assert outside.returncode == 0, outside.stdout
    assert "1 passed, 3 skipped" in outside.stdout


@pytest.mark.slow
@pytest.mark.parametrize("options", [(), ("-n", "2")], ids=["one-process", "xdist"])  # scripts/test.sh uses xdist
def test_a_skip_fails_under_ci(tmp_path, options):
    inside = _run(tmp_path, "true", *options)
    assert inside.returncode == 1, inside.stdout
    assert "1 failed, 1 passed, 2 skipped" in inside.stdout  # the module's skip is listed, and fails the run
    assert "CI=true, so a skip fails the run" in inside.stdout and "server unreachable" in inside.stdout
    assert "FAILED (skipped module) tests/test_module_skip.py: CI=true" in inside.stdout
    assert "no browser" in inside.stdout


def test_only_stamped_test_databases_older_than_a_day_are_stale():
    now = 1_800_000_000
    names = [f"jsjb_test_{now - 90_000}_12", f"jsjb_test_{now - 3_600}_13", "jsjb_test_4711", "jsjb_prod", "test"]
    assert stale_names(names, now) == [f"jsjb_test_{now - 90_000}_12"]
