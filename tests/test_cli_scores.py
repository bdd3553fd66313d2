"""python cli.py scores / awards / lagging / adjust (DATA_FORMAT.md §3): exact columns, full precision, exit 2."""
import csv
import io
import json

import pytest

from cli import main
from tests.factories import units, write
from tests.scoring_cases import month_cases

SCORES_HEADER = ("unit_code,unit_name,unit_type,group,volume,assessed,response_rate,resolution_rate,"
                 "satisfaction_rate,raw_score,adjusted_score,rank,tier,ranked,not_ranked_reason,prev_score,prev_rank")


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _db(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _district(engine) -> dict[str, int]:
    u = units(engine, ("甲街道", "街道"), ("乙街道", "街道"), ("丙局", "区级部门"))
    # 甲: 12 cases, 1 late → 响应率 11/12, score 100 × (0.1 × 11/12 + 0.9) = 99.1666…; 乙: 10 perfect → 100;
    # 丙: 5 cases → 参评量不足.
    write(engine, [*month_cases(u["甲街道"], "2025-03", n=12, late=1), *month_cases(u["乙街道"], "2025-03"),
                   *month_cases(u["丙局"], "2025-03", n=5)])
    return u


def test_scores_csv_has_the_exact_columns_and_full_precision(engine, capsys):
    _district(engine)
    code, out, _ = _run(capsys, "scores", "--db", _db(engine), "--period", "2025-03", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == SCORES_HEADER
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["unit_name"], r["group"], r["rank"], r["ranked"]) for r in rows] == [
        ("乙街道", "街乡镇", "1", "True"), ("甲街道", "街乡镇", "2", "True"), ("丙局", "部门", "", "False")]
    jia = rows[1]
    assert float(jia["response_rate"]) == pytest.approx(11 / 12, abs=1e-15)
    assert len(jia["response_rate"]) >= 17  # 0.9166666666666666: full precision, not 0.9167
    assert float(jia["raw_score"]) == pytest.approx(99 + 1 / 6, abs=1e-12)
    assert (jia["tier"], jia["not_ranked_reason"], jia["prev_score"], jia["prev_rank"]) == ("优秀", "", "", "")
    assert (rows[2]["not_ranked_reason"], rows[2]["volume"], rows[2]["assessed"]) == ("参评量不足", "5", "5")


def test_scores_json_group_filter_and_nulls(engine, capsys):
    _district(engine)
    code, out, _ = _run(capsys, "scores", "--db", _db(engine), "--period", "2025-03", "--group", "部门",
                        "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert [list(r) for r in records] == [SCORES_HEADER.split(",")]
    assert (records[0]["unit_name"], records[0]["rank"], records[0]["ranked"], records[0]["raw_score"]) == \
        ("丙局", None, False, 100.0)


def test_awards_and_lagging_columns(engine, capsys):
    _district(engine)
    code, out, _ = _run(capsys, "awards", "--db", _db(engine), "--period", "2025-03", "--format", "csv")
    assert code == 0
    assert out.splitlines() == ["group,award,unit_name,rank,adjusted_score,rank_gain",
                                "街乡镇,红旗,乙街道,1,100.0,", f"街乡镇,红旗,甲街道,2,{out.splitlines()[2].split(',')[4]},"]
    assert float(out.splitlines()[2].split(",")[4]) == pytest.approx(99 + 1 / 6, abs=1e-12)
    code, out, _ = _run(capsys, "lagging", "--db", _db(engine), "--period", "2025-03", "--format", "csv")
    assert (code, out) == (0, "group,unit_name,rank,adjusted_score,lagging_periods,watchlist\n")


def test_rules_file_and_scoring_rules_environment_are_honoured(engine, capsys, tmp_path, monkeypatch):
    _district(engine)
    strict = tmp_path / "strict.toml"
    strict.write_text("[ranking]\nmin_assessed = 11\n", encoding="utf-8")
    args = ("scores", "--db", _db(engine), "--period", "2025-03", "--format", "json")
    by_flag = json.loads(_run(capsys, *args, "--rules", str(strict))[1])
    assert [(r["unit_name"], r["rank"], r["not_ranked_reason"]) for r in by_flag] == [
        ("甲街道", 1, None), ("乙街道", None, "参评量不足"), ("丙局", None, "参评量不足")]
    monkeypatch.setenv("SCORING_RULES", str(strict))
    assert json.loads(_run(capsys, *args)[1]) == by_flag
    # beijing-2019 weights 0.2 / 0.4 / 0.4: 甲 = 100 × (0.2 × 11/12 + 0.8) = 98.333…
    preset = json.loads(_run(capsys, *args, "--rules", "beijing-2019")[1])
    assert preset[1]["raw_score"] == pytest.approx(98 + 1 / 3, abs=1e-12)


def test_adjust_adds_points_that_scores_show(engine, capsys):
    _district(engine)
    code, out, _ = _run(capsys, "adjust", "--db", _db(engine), "--period", "2025-03", "--unit", "甲街道",
                        "--points", "1.5", "--reason", "主动治理")
    assert code == 0 and "甲街道" in out
    records = json.loads(_run(capsys, "scores", "--db", _db(engine), "--period", "2025-03", "--format", "json")[1])
    jia = next(r for r in records if r["unit_name"] == "甲街道")
    assert (jia["adjusted_score"] - jia["raw_score"], jia["rank"]) == (pytest.approx(1.5), 1)


@pytest.mark.parametrize("argv, fragment", [
    (["scores", "--period", "2025-13"], "无法识别的时间段"),
    (["awards", "--period", "last month"], "无法识别的时间段"),
    (["lagging", "--period", "2025-03", "--rules", "/no/such/rules.toml"], "找不到评分规则文件"),
    (["scores", "--period", "2025-03", "--group", "学校"], "未知的排名分组"),
])
def test_bad_period_rules_or_group_exit_2_with_one_line(sqlite_engine, capsys, argv, fragment):
    code, out, err = _run(capsys, *argv, "--db", _db(sqlite_engine))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err


def test_bad_rules_content_and_unknown_unit_exit_2(sqlite_engine, capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[weights]\nresponse = 0.5\n", encoding="utf-8")  # 0.5 + 0.45 + 0.45 ≠ 1
    code, _, err = _run(capsys, "scores", "--db", _db(sqlite_engine), "--period", "2025-03", "--rules", str(bad))
    assert code == 2 and "weights" in err
    code, _, err = _run(capsys, "adjust", "--db", _db(sqlite_engine), "--period", "2025-03", "--unit", "无此单位",
                        "--points", "1", "--reason", "x")
    assert code == 2 and "无此单位" in err
    units(sqlite_engine, ("甲街道", "街道"))
    code, _, err = _run(capsys, "adjust", "--db", _db(sqlite_engine), "--period", "2025-03", "--unit", "甲街道",
                        "--points", "0", "--reason", "x")
    assert code == 2 and "非零" in err
