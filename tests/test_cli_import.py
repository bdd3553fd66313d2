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
