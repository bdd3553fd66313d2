"""Every leader page complete and untruncated on a laptop (1366 × 768) and on the projector (1920 × 1080).

A district of 26 streets and 4 departments (more units in a group than a grid shows without scrolling, about 10),
February and March 2025, default rules except min_assessed = 1: unit k has 40 cases in March, k % 4 answered late,
k % 5 不满意, k % 3 部分解决, so rates read like 96.25 % and scores have decimals. The test fails when a KPI value
or delta is cut (its text wider than its box: scrollWidth > clientWidth), when a score or rank table scrolls
inside itself (its last rows hidden), or when the last-ranked unit of the group is not drawn; every page at
1366 × 768 shows no "None" and no "Page not found" (a page the role may not see answers in Chinese).
Screenshots of every page at 1366 × 768 go to test-artifacts/screenshots-1366/.
"""
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from data_access.storage.schema import import_batches
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, ROOT, full_shot, serve
from tests.dbs import migrated_engine
from tests.factories import case_row, units, write

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "screenshots-1366"
SIZES = {"laptop": (1366, 768), "projector": (1920, 1080)}
STREETS = [f"测试{i:02d}街道" for i in range(1, 27)]
DEPARTMENTS = ["区城管委", "区住建委", "区交通委", "区水务局"]
RULES = "[ranking]\nmin_assessed = 1\n"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed: browser tests skipped", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402 — only where the browser exists


def _cases(uid: int, k: int, month: str) -> list[dict]:
    rows = []
    for i in range(40):
        received = datetime.fromisoformat(f"{month}-{i % 28 + 1:02d} 09:00:00")
        rows.append(case_row(f"{month}-{uid}-{i}", uid, received,
                             responded_at=received + timedelta(hours=30 if i < k % 4 else 1),
                             closed_at=received + timedelta(hours=48),
                             solved="部分解决" if i < k % 3 else "解决",
                             satisfaction="不满意" if i < k % 5 else "满意"))
    return rows


def _build(work: Path) -> str:
    url = f"sqlite:///{work / 'cases.db'}"
    engine = migrated_engine(url)
    ids = units(engine, *((s, "街道") for s in STREETS), *((d, "区级部门") for d in DEPARTMENTS))
    rows = [row for k, uid in enumerate(ids.values()) for month in ("2025-02", "2025-03")
            for row in _cases(uid, k + (month == "2025-02"), month)]
    write(engine, rows, "layout.csv")
    with engine.begin() as conn:  # the demo district's: the app opens without a login
        conn.execute(import_batches.update().values(source="demo"))
    engine.dispose()
    (work / "rules.toml").write_text(RULES, encoding="utf-8")
    return url


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("layout")
    url = _build(work)
    with serve(url, work / "rules.toml", work) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser, size: str, url: str):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    settle(page)
    return page


def settle(page) -> None:
    """Until the script has run, any rerun it asked for too, and no panel is still a placeholder."""
    page.wait_for_selector("h1", timeout=60_000)
    for _ in range(2):
        page.wait_for_selector(IDLE, timeout=60_000)
        page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=60_000)


CUT_TEXT = """() => [...document.querySelectorAll(
    '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *, [data-testid="stMetricDelta"] *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && e.innerText.trim())
  .map(e => e.innerText.trim())"""

GRIDS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(g => {
  const s = g.querySelector('.dvn-scroller');
  return {inner: s ? s.scrollHeight - s.clientHeight : -1, text: g.textContent};
})"""


@pytest.mark.parametrize("size", SIZES)
def test_overview_kpi_values_are_not_cut(base_url, browser, size):
    page = _open(browser, size, base_url + "/")
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert len(values) == 5 and "…" not in "".join(values)
    assert page.evaluate(CUT_TEXT) == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", ["/scores", "/rankings"])
def test_score_and_rank_tables_show_every_unit(base_url, browser, size, path):
    page = _open(browser, size, base_url + path)
    page.wait_for_function(f"() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"]')]"
                           f".some(g => g.textContent.includes('{STREETS[0]}'))", timeout=30_000)
    grids = page.evaluate(GRIDS)
    assert grids, "no table drawn"
    # no grid scrolls vertically inside itself: every row is drawn
    assert [g["inner"] for g in grids if g["inner"] > 1] == []
    # every street of the group is drawn, the last-ranked too (a grid puts only the rows it draws in the page)
    drawn = "".join(g["text"] for g in grids)
    assert [name for name in STREETS + DEPARTMENTS if name not in drawn] == []
    assert page.evaluate(CUT_TEXT) == []
    page.context.close()


def test_walk_every_page_at_laptop_size(base_url, browser):
    page = _open(browser, "laptop", base_url + "/")
    links = page.locator('[data-testid="stSidebarNav"] a')
    paths = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in paths:
        page.goto(href)
        settle(page)
        name = href.rstrip("/").rsplit("/", 1)[-1] if href.rstrip("/") != base_url else "overview"
        full_shot(page, SHOTS / f"{name}.png")
        assert page.locator('[data-testid="stException"]').count() == 0, href
        assert page.evaluate(CUT_TEXT) == [], href
        shown = page.inner_text("body")
        assert not re.search(r"\bNone\b|Page not found", shown), href
    page.context.close()


def test_a_page_the_role_may_not_see_answers_in_chinese(base_url, browser):
    page = _open(browser, "laptop", base_url + "/audit")  # the demo user is staff; 审计日志 is for admins
    shown = page.inner_text("body")
    assert "当前账号不能查看“审计日志”页" in shown and "Page not found" not in shown
    assert page.locator("h1").first.inner_text() == "无权访问此页"
    assert "审计日志" not in page.locator('[data-testid="stSidebarNav"]').inner_text()  # still not in the menu
    page.context.close()
