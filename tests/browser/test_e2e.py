"""End to end in headless Debian Chromium, against `streamlit run app.py` on the hand-checked fixture district.

Every page of the menu loads without an exception box; a filter given in the URL changes a figure; a drill-down
opens the cases behind a hotspot; and every request the browser makes goes to 127.0.0.1 (nothing leaves the
intranet). A full-page screenshot of every page is saved to test-artifacts/screenshots/ for a human to look at.
"""
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, full_shot, serve
from tests.drill_fixture import build

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
EXCEPTION = '[data-testid="stException"]'

if not Path(CHROMIUM).exists():
    reason = f"{CHROMIUM} not installed (apt-get install chromium fonts-noto-cjk): browser tests skipped"
    print(reason)
    pytest.skip(reason, allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402 — only where the browser exists


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The app on a free port of 127.0.0.1, on a fresh fixture database."""
    work = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{work / 'cases.db'}"
    build(url, work / "rules.toml")
    with serve(url, work / "rules.toml", work) as base:
        yield base


@pytest.fixture(scope="module")
def browser_page(base_url):
    """One browser page; every URL it requests (pages, scripts, websockets, workers) is recorded."""
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        page.on("websocket", lambda ws: requested.append(ws.url))
        page.requested = requested
        yield page
        context.close()
        browser.close()


def settle(page) -> None:
    """Wait until the script has run and the page is drawn (charts and the map draw after the script ends)."""
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_selector("h1", timeout=60_000)
    page.wait_for_timeout(800)
    page.wait_for_selector(IDLE, timeout=60_000)


def open_page(page, url: str) -> None:
    page.goto(url)
    settle(page)


def shot(page, name: str) -> None:
    full_shot(page, SHOTS / f"{name}.png")


def nav_links(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    return [urlparse(links.nth(i).get_attribute("href")).path for i in range(links.count())]


def assert_only_local_requests(page) -> None:
    """Every request so far went to 127.0.0.1 (data: and blob: URLs are made in the page, not fetched)."""
    hosts = {urlparse(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert page.requested and hosts == {"127.0.0.1"}, hosts


def metric_values(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_every_page_loads_without_an_exception(base_url, browser_page):
    page = browser_page
    open_page(page, base_url + "/")
    paths = nav_links(page)
    assert {"/", "/lagging", "/hotspots", "/data"} <= set(paths)
    for path in paths:
        # through the menu, as a user goes from page to page (one session, no reload)
        page.locator(f'[data-testid="stSidebarNav"] a[href$="{path}"]').first.click()
        page.wait_for_url(base_url + path)
        settle(page)
        name = path.strip("/") or "overview"
        shot(page, name)
        assert page.locator(EXCEPTION).count() == 0, f"exception box on {path}"
        assert "加载失败" not in page.inner_text("body"), f"a panel failed on {path}"
    assert_only_local_requests(page)


def test_the_period_in_the_url_changes_a_figure(base_url, browser_page):
    page = browser_page
    open_page(page, base_url + "/lagging")
    assert metric_values(page)[:2] == ["52.50", "47.50"]  # March: 交道口街道's score and points lost
    open_page(page, base_url + "/lagging?period=2025-02")
    assert metric_values(page)[:2] == ["77.50", "22.50"]  # February
    shot(page, "lagging_2025-02")
    assert_only_local_requests(page)


def test_a_hotspot_opens_its_cases(base_url, browser_page):
    page = browser_page
    open_page(page, base_url + "/hotspots")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The table is drawn on a canvas: click the selection box of the first data row (below the header row).
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)
    page.wait_for_selector("text=点位工单：东华门大街1号", timeout=20_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    assert page.get_by_text("共 3 件").count() == 1
    shot(page, "hotspots_drill")
    assert_only_local_requests(page)

