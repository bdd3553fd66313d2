"""`python cli.py import` and `rejects`: summaries, the rejects CSV, exit status 2 with a one-line reason."""
import csv
import io

from cli import main
from tests.factories import units

GOOD_AND_BAD = ("工单编号,受理时间,承办单位,一级分类,满意度\n"
                "H1,2025-03-01 08:00,东华门街道,住房,满意\n"
                "H2,2025-03-01 08:00,东华门街道,住房,很满意\n")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_then_rejects_to_screen_and_to_a_csv(sqlite_engine, tmp_path, capsys):
    db = str(sqlite_engine.url)
    units(sqlite_engine, ("东华门街道", "街道"))
    src = tmp_path / "h.csv"
    src.write_text(GOOD_AND_BAD, encoding="gbk")
    code, out, _ = run(capsys, "import", str(src), "--db", db)
    assert code == 0
    assert out.splitlines()[0] == ("批次 1（h.csv）: 共 2 行，新增 1，更新 0，未变 0，拒收 1 "
                                   "(batch 1: 2 rows, 1 new, 0 updated, 0 unchanged, 1 rejected)")
    code, out, _ = run(capsys, "import", str(src), "--db", db)
    assert (code, out) == (0, "h.csv 已由批次 1 导入，本次未做任何更改 (already imported as batch 1: nothing changed)\n")

    code, out, _ = run(capsys, "rejects", "--db", db)
    assert code == 0 and out.splitlines()[0] == "批次 1: 拒收 1 行 (batch 1: 1 rejected rows)"
    assert out.splitlines()[2].startswith("3           满意度「很满意」")
    target = tmp_path / "rejects.csv"
    code, _, _ = run(capsys, "rejects", "--batch", "1", "--out", str(target), "--db", db)
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert code == 0 and rows[1][0] == "3" and rows[1][2:] == ["H2", "2025-03-01 08:00", "东华门街道", "住房", "很满意"]


def test_bad_input_exits_2_with_a_one_line_reason(sqlite_engine, tmp_path, capsys):
    db = str(sqlite_engine.url)
    code, _, err = run(capsys, "rejects", "--db", db)
    assert (code, err) == (2, "error: 还没有导入过文件 (no file has been imported yet)\n")
    code, _, err = run(capsys, "import", str(tmp_path / "none.csv"), "--db", db)
    assert code == 2 and err.startswith("error: 找不到文件")
    src = tmp_path / "cols.csv"
    src.write_text("工单编号,受理时间\nH1,2025-03-01 08:00\n", encoding="utf-8")
    code, _, err = run(capsys, "import", str(src), "--db", db)
    assert code == 2 and err.startswith("error: 缺少必需的列: 承办单位、一级分类 (missing required columns: unit, cat_l1)。")
    # The refusal shows what the file has and where to go next.
    assert "读到的表头为: 工单编号、受理时间" in err and "mapping suggest" in err
    code, _, err = run(capsys, "import", str(src), "--mapping", "nosuch", "--db", db)
    assert code == 2 and err.startswith("error: 找不到列映射「nosuch」")
    code, _, err = run(capsys, "rejects", "--batch", "7", "--db", db)
    assert (code, err) == (2, "error: 批次 7 不存在 (batch 7 does not exist)\n")


def test_import_a_folder_a_zip_and_files_as_one_batch_with_counted_leniencies(sqlite_engine, tmp_path, capsys):
    from tests.crafted import HEADER, csv_bytes, row, zip_of
    db = str(sqlite_engine.url)
    folder = tmp_path / "feb"
    folder.mkdir()
    (folder / "a.csv").write_bytes(csv_bytes([row("K1", "2025/2/3")]))
    (folder / "b.csv").write_bytes(csv_bytes([row("K2", "2025-02-04 08:00")]))
    (tmp_path / "m.zip").write_bytes(zip_of({"c.csv": csv_bytes([row("K3", "bad")]),
                                             "d.csv": csv_bytes([row("K4") + ["街" * 40]], HEADER + ["所属街道"])}))
    code, out, err = run(capsys, "import", str(folder), str(tmp_path / "m.zip"), "--db", db)
    assert (code, err) == (0, "")
    assert out.splitlines()[:5] == [
        "批次 1（a.csv 等 4 个文件）: 共 4 行，新增 3，更新 0，未变 0，拒收 1 "
        "(batch 1: 4 rows, 3 new, 0 updated, 0 unchanged, 1 rejected)",
        "新建承办单位 (new units): 东四街道",
        "文件 (files): a.csv、b.csv、m.zip/c.csv、m.zip/d.csv",
        "注意 (note): 1 件工单的日期没有时刻，按当日 00:00 计 (1 cases had a date without a time of day: read as 00:00)",
        "注意 (note): 1 件工单有可选文本超过列长度，已截断保存 (1 cases had optional text longer than its column: "
        "cut to fit)"]


def test_a_crafted_file_exits_2_with_one_line_and_no_traceback(sqlite_engine, tmp_path, capsys):
    from tests.crafted import csv_bytes, row, xlsx_with_dtd
    db = str(sqlite_engine.url)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(csv_bytes([row("N1", unit="东\x00")]))
    code, out, err = run(capsys, "import", str(nul), "--db", db)
    assert (code, out) == (2, "") and err == (
        "error: nul.csv 第 2 行含有 NUL 字节（\\x00），文件已损坏或不是文本 "
        "(nul.csv has a NUL byte on line 2: the file is damaged or not text)\n")
    xxe = tmp_path / "x.xlsx"
    xxe.write_bytes(xlsx_with_dtd(entity=True))
    code, _, err = run(capsys, "import", str(xxe), "--db", db)
    assert code == 2 and err.startswith("error: x.xlsx 含有 DTD 或实体声明") and err.count("\n") == 1
