"""In Chromium, on 数据管理: upload an export with no unit column, change the proposed mapping's 承办单位 to another
column and see the preview follow, import, then see the batch and its warnings (rejected rows, new units)."""
import pytest

from tests.browser.harness import IDLE
from tests.browser.test_e2e import (  # noqa: F401 — base_url and browser_page are fixtures
    EXCEPTION, assert_only_local_requests, base_url, browser_page, open_page, shot,
)

pytestmark = pytest.mark.browser

EXPORT = ("留言编号,留言主题,留言时间,留言详情,备注\n"
          "901,停水三天,2019/3/7 18:32:24,停水三天了,B市\n"
          "902,请加快修路,2019/3/8 09:10:00,路面坑洼,A市\n"
          "903,公交线路调整,2019/3/9 11:00:00,线路太绕,\n"
          "904,路灯不亮,不是日期,路灯坏了,A市\n").encode()


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.get_by_role("button", name="Open").click()
    page.get_by_role("option", name=option, exact=True).click()
    idle(page)


def test_upload_adjust_preview_import_and_see_the_batch(base_url, browser_page):
    page = browser_page
    open_page(page, base_url + "/data")
    page.locator('input[type="file"]').first.set_input_files(
        files=[{"name": "board.csv", "mimeType": "text/csv", "buffer": EXPORT}])
    page.wait_for_selector("text=尚未写入任何数据", timeout=60_000)
    idle(page)
    body = page.inner_text("body")
    assert "检查了全部 4 行，将导入 3 行，拒收 1 行" in body
    assert "将新建 1 个单位" in body and "未指定单位" in body
    choose(page, "承办单位（unit）", "备注")
    page.wait_for_selector("text=将新建 3 个单位", timeout=30_000)
    assert "B市、A市、未指定单位" in page.inner_text("body")
    shot(page, "data_mapping_preview")
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_selector("text=共 4 行，新增 3 件", timeout=60_000)
    idle(page)
    message = page.inner_text('[data-testid="stAlertContentSuccess"]')
    assert "拒收 1 行" in message and "新建单位：B市、A市、未指定单位" in message
    page.get_by_role("tab", name="导入批次与拒收行").click()
    idle(page)
    batches = page.locator('[data-testid="stDataFrame"]:visible').first
    batches.scroll_into_view_if_needed()
    box = batches.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)     # the newest batch: first row of the canvas table
    page.wait_for_selector("h3:has-text('board.csv')", timeout=30_000)
    idle(page)
    assert "拒收行（共 1 行" in page.inner_text("body")
    shot(page, "data_mapping_batch")
    assert page.locator(EXCEPTION).count() == 0
    assert_only_local_requests(page)
