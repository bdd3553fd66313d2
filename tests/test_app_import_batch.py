"""数据管理's uploader: several files and a zip as one batch, the counted leniencies in the summary and in the
batch history, and a crafted file refused with a Chinese message (AppTest on the drill fixture district)."""
import re

from tests.crafted import zip_of
from tests.test_app_drill_pages import app, assert_clean, table  # noqa: F401 — the fixture and its helpers

HEADER = "工单编号,受理时间,承办单位,一级分类\n"


def test_a_zip_and_a_file_import_as_one_batch_with_the_leniencies_counted(app):  # noqa: F811
    at = app("pages/data.py")
    archive = zip_of({"a.csv": (HEADER + "Z1,2025/3/20,交道口街道,市容环卫\n").encode(),
                      "b.csv": (HEADER + "Z2,2025-03-20 09:00,交道口街道,市容环卫\n").encode()})
    at.file_uploader(key="imp_file").set_value([("m.zip", archive, "application/zip"),
                                                ("c.csv", (HEADER + "Z3,,交道口街道,市容环卫\n").encode(), "text/csv")])
    at.run()
    at.button(key="imp_go").click().run()
    assert_clean(at)
    message = re.sub(r"\\(.)", r"\1", [s.value for s in at.success][0])   # shown as markdown, signs escaped
    assert "共 3 行，新增 2 件，更新 0 件，未变 0 件，拒收 1 行。" in message
    assert "注意：1 件工单的日期没有时刻，按当日 00:00 计。" in message
    batches = table(at, "batch_table")
    assert batches["文件名"].iloc[0] == "m.zip/a.csv 等 3 个文件"
    assert batches["注意"].iloc[0] == "1 件工单的日期没有时刻，按当日 00:00 计"


def test_a_crafted_file_is_refused_with_a_chinese_message(app):  # noqa: F811
    at = app("pages/data.py")
    at.file_uploader(key="imp_file").set_value(("n.csv", (HEADER + "N1,2025-03-20 09:00,交道\x00口,x\n").encode(),
                                                "text/csv"))
    at.run()
    assert not at.exception
    assert at.button(key="imp_go").disabled   # nothing can be imported from it
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert len(errors) == 1 and "n.csv 第 2 行含有 NUL 字节" in errors[0]
