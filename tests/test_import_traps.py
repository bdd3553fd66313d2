"""Crafted files that once crashed the importer, swallowed rows or cost unbounded time or memory (issue 12 item 6,
issue 11 items 2, 7, 8): each is refused with a Chinese + English reason, or imported with the bad row rejected and
every leniency counted — and rows in = accepted + rejected."""
import json
import re
import threading
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from data_access.ingest.batches import get_batch
from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.file_reader import RowProblem, read_table
from data_access.ingest.import_limits import Limits, limits_from_env
from data_access.ingest.importer import import_bytes, import_paths, import_uploads
from data_access.ingest.rejects import list_rejects
from data_access.storage.schema import cases, import_batches
from tests import crafted
from tests.crafted import HEADER, csv_bytes, row


def rows_of(data: bytes, name: str = "t.csv", limits: Limits | None = None):
    table = read_table(data, name, limits)
    return [(n, c.reason if isinstance(c, RowProblem) else c) for n, c in table.rows], table


def accounted(result) -> bool:
    return result.rows == result.new + result.updated + result.unchanged + result.rejected


def case_values(engine, *columns):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(cases.c.case_no, *columns).order_by(cases.c.case_no))]


# --- CSV traps: the bad row goes, the file stays ---

def test_an_unbalanced_quote_that_swallows_rows_is_rejected_not_imported_as_content():
    text = ",".join(HEADER) + "\n" + "\n".join([
        'Q1,2025-03-01 08:00,东四街道,街道,住房,"引号没有关上',
        "Q2,2025-03-01 09:00,东四街道,街道,住房,第二件",
        "Q3,2025-03-01 10:00,东四街道,街道,住房,第三件", ""])
    got, _ = rows_of(text.encode())
    assert len(got) == 1 and got[0][0] == 2
    assert got[0][1].startswith("引号未配对：单元格中含有 2 行像是本文件的数据行")


def test_a_row_spanning_too_many_lines_is_rejected_and_the_next_row_reads():
    text = ",".join(HEADER) + '\nQ1,2025-03-01 08:00,东四街道,街道,住房,"' + "一行\n" * 150 + '"\n' + \
        ",".join(row("Q2")) + "\n"
    got, _ = rows_of(text.encode())
    assert got[0] == (2, "这一行占 151 个物理行，超过上限 100，可能有引号未配对 "
                         "(the row spans 151 lines, over the limit of 100: probably an unbalanced quote)")
    assert got[1] == (3, row("Q2"))


@pytest.mark.parametrize("quoted", [True, False])
def test_a_huge_field_rejects_its_row_only(quoted):
    huge = "长" * 200_000
    data = csv_bytes([row("H1", content=huge), row("H2")])
    if not quoted:  # a field without quotes, on one line longer than the line limit
        data = data.replace(huge.encode(), ("长" * 1_100_000).encode())
    got, table = rows_of(data)
    assert [n for n, _ in got] == [2, 3] and got[1][1] == row("H2")
    assert got[0][1] == ("有单元格超过 32768 个字符，未导入 (a cell longer than 32768 characters)" if quoted else
                         "这一行超过 1048576 个字符，未导入 (a line longer than 1048576 characters)")
    assert table.fraction_read() == 1.0


def test_a_huge_quoted_field_over_several_lines_resumes_after_its_closing_quote():
    data = csv_bytes([row("H1", content=("长" * 20_000 + "\n") * 3), row("H2")])
    got, _ = rows_of(data)
    # three lines of text, the closing quote on a fourth
    assert got[0][1].startswith("有单元格超过 32768 个字符") and "该行占 4 个物理行" in got[0][1]
    assert got[1] == (3, row("H2"))


def test_a_nul_byte_is_named_not_the_encoding():
    data = csv_bytes([row("N1"), row("N2", unit="东四\x00街道")])
    with pytest.raises(ImportRefused, match=r"t.csv 第 3 行含有 NUL 字节.*\(t.csv has a NUL byte on line 3"):
        read_table(data, "t.csv")
    with pytest.raises(ImportRefused, match="第 2 行含有 NUL 字节"):
        read_table(csv_bytes([row("N1", unit="东四\x00")], encoding="gbk"), "t.csv")


def test_a_row_with_more_cells_than_the_limit_is_rejected():
    got, _ = rows_of(csv_bytes([row("W1") + ["x"] * 300, row("W2")]))
    assert got[0][1].startswith("这一行有 306 列，超过上限 256 列") and got[1] == (3, row("W2"))


# --- XLSX traps: refused with a reason, or read in bounded time ---

@pytest.mark.parametrize("data, message", [
    (crafted.xlsx_without_sheet(), "x.xlsx 中没有工作表 (x.xlsx has no worksheet)"),
    (crafted.xlsx_with_dtd(entity=True), "x.xlsx 含有 DTD 或实体声明（可能是 XXE 攻击），已拒绝"),
    (crafted.xlsx_with_dtd(entity=False), "x.xlsx 含有 DTD 或实体声明"),
    (crafted.xlsx_wide(20), "x.xlsx 第 1 行有超过 256 个非空单元格，超过列数上限"),
    (crafted.rewrite(crafted.xlsx_bytes([row("B1", content="x")]), crafted.SHEET,
                     lambda b: b.replace(b"<t>x</t>", b"<t>" + b"y" * 300_000 + b"</t>")),
     "x.xlsx 中有单元格或文本超过 32768 个字符"),
], ids=["no-sheet", "external-entity", "dtd", "wide", "huge-cell"])
def test_hostile_xlsx_is_refused_with_a_reason(data, message):
    with pytest.raises(ImportRefused, match="^" + re.escape(message)):
        list(read_table(data, "x.xlsx").rows)


def test_a_sheet_whose_dimension_is_wrong_is_read_whole():
    data = crafted.rewrite(crafted.xlsx_bytes([row("G1"), row("G2")]), crafted.SHEET,
                           lambda b: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', b))
    got, _ = rows_of(data, "g.xlsx")
    assert got == [(2, row("G1")), (3, row("G2"))]


def test_a_sheet_broken_half_way_is_refused_and_nothing_is_written(sqlite_engine):
    data = crafted.rewrite(crafted.xlsx_bytes([row(f"T{i}") for i in range(20)]), crafted.SHEET,
                           lambda b: b[:b.index(b'<row r="15"')] + b'<row r="15"><c r="A15" t="inlineStr"><is><t>')
    with pytest.raises(ImportRefused, match=r"^t.xlsx 不是可读取的 xlsx 文件 \(t.xlsx is not a readable xlsx file: "):
        import_bytes(sqlite_engine, data, "t.xlsx")
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 0


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True  # the second guard: entity declarations are refused by the parser too


def test_an_endless_run_of_empty_rows_ends_the_sheet_and_is_counted():
    data = crafted.xlsx_many_empty_rows(1_048_573, then=row("E2"))
    got, table = rows_of(data, "e.xlsx")
    assert got == [(2, row("E1"))] and table.notes == {"empty_tail": 1}
    got, table = rows_of(crafted.xlsx_many_empty_rows(50, then=row("E2")), "e.xlsx")
    assert got == [(2, row("E1")), (53, row("E2"))] and not table.notes


def test_a_formula_without_a_cached_value_is_counted(sqlite_engine):
    got, table = rows_of(crafted.xlsx_formula_without_value(), "f.xlsx")
    assert got == [(2, row("F1", content="")), (3, row("F2", content="y"))]
    assert table.notes == {"formula_no_value": 1}
    result = import_bytes(sqlite_engine, crafted.xlsx_formula_without_value(), "f.xlsx")
    assert (result.new, dict(result.notes)) == (2, {"formula_no_value": 1})


# --- dates, skew, lengths: rejected with a reason, or kept and counted (every backend) ---

def test_dates_outside_the_window_date_only_values_skew_and_long_text(engine):
    header = HEADER + ["办结时间", "响应时间", "回访时间", "所属街道", "二级分类"]
    data = csv_bytes([
        row("D1", "9999-12-31 23:59") + ["", "", "", "", ""],                              # 2: out of the window
        row("D2", "2299-01-01 08:00") + ["", "", "", "", ""],                              # 3: out of the window
        row("D3", "2018/4/24") + ["2018/4/25", "", "", "", ""],                            # 4: date only (counted)
        row("D4", "2025-03-01 08:00:00") + ["2025-03-01 07:58:00", "2025-03-01 07:59:59",  # 5: skew, set
                                            "2025-03-01 07:00:00", "", ""],                #    (callback kept)
        row("D5", "2025-03-01 08:00:00") + ["2025-03-01 07:50:00", "", "", "", ""],        # 6: skew too big
        row("D6", "2025-03-01 08:00") + ["", "", "", "街" * 40, "类" * 70],               # 7: cut to fit
        row("长" * 65, "2025-03-01 08:00") + ["", "", "", "", ""],                         # 8: required: rejected
    ], header)
    result = import_bytes(engine, data, "d.csv")
    assert (result.rows, result.new, result.rejected) == (7, 3, 4) and accounted(result)
    assert dict(result.notes) == {"date_only": 1, "clock_skew": 1, "cut_to_fit": 1}
    first, last = limits_from_env().date_window()
    window = f"不在允许的日期范围 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 内"
    with engine.connect() as conn:
        rejects = list_rejects(conn, result.batch_id)
        batch = get_batch(conn, result.batch_id)
    assert [r["row_number"] for r in rejects] == [2, 3, 6, 8]
    assert rejects[0]["reason"] == f"受理时间「9999-12-31 23:59」{window} (received_at: outside the accepted dates " \
                                   f"{first:%Y-%m-%d} to {last:%Y-%m-%d})"
    assert window in rejects[1]["reason"]
    assert rejects[2]["reason"] == "办结时间早于受理时间 (closed_at is before received_at)"
    assert rejects[3]["reason"].startswith("工单编号「") and "超过 64 个字符" in rejects[3]["reason"]
    assert json.loads(batch["warnings"]) == {"clock_skew": 1, "cut_to_fit": 1, "date_only": 1}
    got = case_values(engine, cases.c.received_at, cases.c.closed_at, cases.c.responded_at, cases.c.callback_at,
                      cases.c.street, cases.c.cat_l2)
    assert got == [
        ("D3", datetime(2018, 4, 24), datetime(2018, 4, 25), None, None, None, None),
        ("D4", datetime(2025, 3, 1, 8), datetime(2025, 3, 1, 8), datetime(2025, 3, 1, 8),
         datetime(2025, 3, 1, 7), None, None),
        ("D6", datetime(2025, 3, 1, 8), None, None, None, "街" * 32, "类" * 64)]


def test_the_clock_skew_allowed_is_the_mappings(tmp_path, sqlite_engine):
    strict = tmp_path / "strict.toml"
    strict.write_text('label = "无偏差"\nclock_skew_seconds = 0\n', encoding="utf-8")
    data = csv_bytes([row("S1", "2025-03-01 08:00:00") + ["2025-03-01 07:59:00"]], HEADER + ["办结时间"])
    result = import_bytes(sqlite_engine, data, "s.csv", mapping=str(strict))
    assert (result.rejected, dict(result.notes)) == (1, {})


# --- several files in one batch ---

def three_files():
    return {f"m{i}.csv": csv_bytes([row(f"Z{i}"), row(f"Z{i}b", "bad")]) for i in (1, 2, 3)}


def test_a_zip_of_three_csv_files_is_one_batch(engine):
    files = three_files()
    data = crafted.zip_of({**files, "readme.txt": b"skip me", "__MACOSX/._m1.csv": b"junk"})
    result = import_uploads(engine, [("march.zip", data)])
    assert (result.rows, result.new, result.rejected) == (6, 3, 3) and accounted(result)
    assert result.files == ["march.zip/m1.csv", "march.zip/m2.csv", "march.zip/m3.csv"]
    with engine.connect() as conn:
        rejects = list_rejects(conn, result.batch_id)
        assert conn.execute(select(import_batches.c.file_name)).scalar() == "march.zip/m1.csv 等 3 个文件"
    assert [(r["row_number"], r["raw"]["原文件"]) for r in rejects] == \
        [(3, "march.zip/m1.csv"), (3, "march.zip/m2.csv"), (3, "march.zip/m3.csv")]
    # the same files again, in another order and as separate uploads: already imported
    again = import_uploads(engine, list(reversed(files.items())))
    assert again.duplicate_of == result.batch_id


def test_a_folder_and_files_on_the_command_line_path(tmp_path, sqlite_engine):
    folder = tmp_path / "year"
    folder.mkdir()
    for name, data in three_files().items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not data")
    extra = tmp_path / "extra.xlsx"
    extra.write_bytes(crafted.xlsx_bytes([row("X1")]))
    result = import_paths(sqlite_engine, [folder, extra])
    assert (result.rows, result.new, result.rejected, len(result.files)) == (7, 4, 3, 4) and accounted(result)


@pytest.mark.parametrize("members, message", [
    ({"../evil.csv": b"x"}, "中的路径「../evil.csv」不安全"),
    ({"/etc/evil.csv": b"x"}, "不安全"),
    ({"inner.zip": b"PK"}, "中含有压缩包 inner.zip"),
    ({"a.txt": b"x"}, "中没有 CSV 或 XLSX 文件"),
    ({f"f{i}.csv": b"x" for i in range(1_001)}, "含有 1001 个文件，超过上限 1000"),
])
def test_unsafe_or_empty_zips_are_refused(sqlite_engine, members, message):
    with pytest.raises(ImportRefused, match=message):
        import_uploads(sqlite_engine, [("b.zip", crafted.zip_of(members))])


def test_byte_and_row_limits_are_settings(sqlite_engine, monkeypatch):
    data = csv_bytes([row(f"L{i}") for i in range(30)])
    monkeypatch.setenv("IMPORT_MAX_ROWS", "20")
    with pytest.raises(ImportRefused, match="超过 20 行上限"):
        import_bytes(sqlite_engine, data, "l.csv")
    monkeypatch.setenv("IMPORT_MAX_BATCH_MB", "1")
    with pytest.raises(ImportRefused, match="这批文件共 1.3 MB，超过上限 1 MB"):
        import_uploads(sqlite_engine, [("a.csv", data + b"#" * 700_000), ("b.csv", data + b"#" * 700_000)])
    monkeypatch.setenv("IMPORT_MAX_FILE_MB", "1")
    with pytest.raises(ImportRefused, match="a.csv 有 1.4 MB，超过单个文件上限 1 MB"):
        import_uploads(sqlite_engine, [("a.csv", data + b"#" * 1_500_000)])
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batches)).scalar() == 0


# --- re-import with a changed mapping ---

def test_the_same_file_with_a_changed_mapping_is_read_again(tmp_path, engine):
    mapping = tmp_path / "center.toml"
    data = csv_bytes([["R1", "2025-03-01 08:00", "东四街道", "住房", "已办结"]],
                     ["单号", "受理时间", "承办单位", "一级分类", "解决情况"])
    mapping.write_text('[columns]\ncase_no = "单号"\n[defaults]\nunit_type = "街道"\n', encoding="utf-8")
    first = import_bytes(engine, data, "r.csv", mapping=str(mapping))
    assert (first.new, first.rejected) == (0, 1)  # 已办结 is not a value of 解决情况 yet
    mapping.write_text('[columns]\ncase_no = "单号"\n[defaults]\nunit_type = "街道"\n'
                       '[values.solved]\n"已办结" = "解决"\n', encoding="utf-8")
    second = import_bytes(engine, data, "r.csv", mapping=str(mapping))
    assert second.duplicate_of is None and (second.new, second.rejected) == (1, 0)
    renamed = tmp_path / "renamed.toml"
    renamed.write_text(mapping.read_text(encoding="utf-8"), encoding="utf-8")
    assert import_bytes(engine, data, "r.csv", mapping=str(renamed)).duplicate_of == second.batch_id
    assert case_values(engine, cases.c.solved) == [("R1", "解决")]


# --- two imports of the same cases at once ---

@pytest.mark.parametrize("engine", ["postgresql", "mariadb"], indirect=True)   # SQLite has one writer at a time
def test_concurrent_imports_of_the_same_cases_both_finish(engine):
    data = [csv_bytes([row(f"C{i:05d}", content=f"第 {k} 份") for i in range(3_000)]) for k in (1, 2)]
    results, errors = [None, None], []
    start = threading.Barrier(2)

    def run(k):
        start.wait()
        try:
            results[k] = import_bytes(engine, data[k], f"c{k}.csv")
        except Exception as exc:  # noqa: BLE001 — the test reports any failure
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.new for r in results) == [0, 3_000] and sorted(r.updated for r in results) == [0, 3_000]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 3_000
