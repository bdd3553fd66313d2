"""The app on 127.0.0.1 for a browser: Debian Chromium and its flags, a free port, waiting until the server is up.

Shared by the end-to-end tests (tests/browser) and the page and load benchmarks (bench/).
"""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

# TEST_CHROMIUM: another browser binary (a missing path shows what a machine without Chromium does).
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
# No network of its own (this machine has none) and software WebGL for the pydeck map.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """The process's children, theirs and so on, from /proc (the app processes and nginx under scripts/serve.sh)."""
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [g for c in found for g in descendants(c)]


def wait_healthy(base: str, server: subprocess.Popen, seconds: float, log_hint: str = "") -> None:
    """Wait for Streamlit's health check to answer; fail if the server exits or takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}{log_hint}")
        try:
            with urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {seconds} s{log_hint}")


@contextmanager
def serve(db_url: str, rules_path: Path, work: Path):
    """`streamlit run app.py` on a free port of 127.0.0.1 against `db_url`, demo mode (no login); yields the URL."""
    env = {**os.environ, "CASES_DB_URL": db_url, "SCORING_RULES": str(rules_path)}
    env.pop("AUTH_MODE", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (work / "streamlit.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],  # no "file changed" prompt while others edit the code
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, server, START_SECONDS)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def full_shot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall as that block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate('() => document.querySelector(\'[data-testid="stMain"]\').scrollHeight')
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 8000))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
