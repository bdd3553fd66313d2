"""A whole page as a browser sees it: `streamlit run app.py` on the benchmark database and headless Chromium
(as tests/browser does), timing until the page's script has finished and the page is drawn.

- "cold": the first visit of each page after the server starts (its cache empty), opened by its URL;
- "warm": the same URL opened again (a new browser session: the app's start-up again, the data cached);
- "switch": a click on the page in the sidebar menu of the running app, as a leader moves between pages in the
  meeting (no reload; the data cached by the visits before).
"""
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
URLS = {"overview": "", "scores": "scores", "rankings": "rankings", "awards": "awards", "lagging": "lagging",
        "hotspots": "hotspots"}
TITLES = {"overview": "总览", "scores": "月度成绩", "rankings": "排名", "awards": "流动红旗", "lagging": "后进会诊",
          "hotspots": "高频点位"}
START_SECONDS = 90


def available() -> bool:
    return Path(CHROMIUM).exists()


def _drawn(page, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("h1", timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    return time.perf_counter() - started


def _switched(page, name: str) -> float:
    """From a click on the page's menu entry until its title shows and its script has finished."""
    started = time.perf_counter()
    page.click(f'[data-testid="stSidebarNav"] a:has-text("{TITLES[name]}")')
    page.wait_for_selector(f'h1:has-text("{TITLES[name]}")', timeout=120_000)
    page.wait_for_selector(RUNNING, state="detached", timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    return time.perf_counter() - started


def measure(db_url: str, period: str, log_path: Path) -> dict:
    """page → {"cold": s, "warm": s, "switch": s} for the pages of URLS, on a fresh server."""
    from playwright.sync_api import sync_playwright
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CASES_DB_URL": db_url}
    env.pop("AUTH_MODE", None)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, server, START_SECONDS)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN").new_page()
            _drawn(page, f"{base}/")  # the session and the app's own start-up, not any page's data
            timings = {}
            for name, path in URLS.items():
                url = f"{base}/{path}?period={period}"
                timings[name] = {"cold": _drawn(page, url), "warm": _drawn(page, url)}
            for name in URLS:  # from 高频点位, the last page opened, to 总览 and down the menu
                timings[name]["switch"] = _switched(page, name)
            browser.close()
        return timings
    finally:
        server.terminate()
        server.wait(timeout=30)
