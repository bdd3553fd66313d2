"""The app on 127.0.0.1 for a browser: Debian Chromium and its flags, a free port, waiting until the server is up.

Shared by the end-to-end tests (tests/browser) and the page and load benchmarks (bench/).
"""
import os
import socket
import subprocess
import time
from urllib.request import urlopen

# TEST_CHROMIUM: another browser binary (a missing path shows what a machine without Chromium does).
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
# No network of its own (this machine has none) and software WebGL for the pydeck map.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
