"""cli.py lost and hotspots (DATA_FORMAT.md §3): csv, json and table output, exit status 2 on bad input."""
import csv
import io
import json

import pytest

import cli
from tests.factories import case_row, units, write


@pytest.fixture
def db(engine):
    u = units(engine, ("东华门街道", "街道"))["东华门街道"]
    write(engine, [
        # |A| = 3, solved_rated = 2, satisfaction_rated = 1
        case_row("C1", u, "2025-03-02 08:00:00", solved="未解决", satisfaction="不满意", cat_l1="物业管理",
                 community="多福巷社区", address="东华门大街1号"),
        case_row("C2", u, "2025-03-02 08:00:00", responded_at="2025-03-02 09:00:00", solved="解决",
                 address="东华门大街1号"),
        case_row("C3", u, "2025-03-02 08:00:00", responded_at="2025-03-02 09:00:00", address="南池子大街2号"),
        *[case_row(f"H{i}", u, "2025-03-03 08:00:00", responded_at="2025-03-03 09:00:00", excluded=True,
                   address="东华门大街1号") for i in range(3)],
    ])
    return engine.url.render_as_string(hide_password=False)


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lost_csv_is_the_list_alone(db, capsys):
    code, out, _ = _run(capsys, "lost", "--db", db, "--period", "2025-03", "--unit", "东华门街道", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["case_no", "cost", "on_time", "solved", "satisfaction", "cat_l1", "cat_l2", "community"]
    assert [r["case_no"] for r in rows] == ["C1"]
    assert float(rows[0]["cost"]) == pytest.approx(100 * (0.1 / 3 + 0.45 / 2 + 0.45 / 1))
    assert (rows[0]["on_time"], rows[0]["solved"], rows[0]["cat_l2"]) == ("False", "未解决", "")


def test_lost_json_with_a_given_target(db, capsys):
    raw = 100 * (0.1 * 2 / 3 + 0.45 * 1 / 2 + 0.45 * 0 / 1)
    code, out, _ = _run(capsys, "lost", "--db", db, "--period", "2025-03", "--unit", "U0001", "--target", "90",
                        "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert (got["unit_name"], got["target"], got["gap_cases"]) == ("东华门街道", 90.0, 1)
    assert got["adjusted_score"] == pytest.approx(raw)
    assert [c["case_no"] for c in got["cases"]] == ["C1"] and got["cases"][0]["on_time"] is False
    # No red flag in the group (the unit is not ranked): no default target, so no gap.
    got = json.loads(_run(capsys, "lost", "--db", db, "--period", "2025-03", "--unit", "东华门街道",
                          "--format", "json")[1])
    assert (got["target"], got["gap_cases"]) == (None, None)


def test_lost_table_has_a_heading(db, capsys):
    code, out, _ = _run(capsys, "lost", "--db", db, "--period", "2025-03", "--unit", "东华门街道", "--target", "100.5")
    assert code == 0
    assert out.splitlines()[0].startswith("东华门街道 2025年3月: 综合成绩 ") and "差几件 —" in out.splitlines()[0]
    assert out.splitlines()[1].split()[:2] == ["case_no", "cost"]


def test_lost_refuses_unknown_unit_and_bad_period(db, capsys):
    code, _, err = _run(capsys, "lost", "--db", db, "--period", "2025-03", "--unit", "无此单位")
    assert code == 2 and "找不到承办单位" in err and "--unit" in err
    code, _, err = _run(capsys, "lost", "--db", db, "--period", "2025-13", "--unit", "东华门街道")
    assert code == 2 and "无法识别的时间段" in err


def test_hotspots_csv_and_json(db, capsys):
    code, out, err = _run(capsys, "hotspots", "--db", db, "--period", "2025-03", "--top", "1", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # March is the first month of data: no previous volume, neither 突增 nor 新增 (METRICS.md §7), and it says so.
    assert [(r["key"], r["volume"], r["prev_volume"], r["hotspot"], r["surge"], r["new"]) for r in rows] == \
        [("东华门大街1号", "5", "", "True", "False", "False")]
    assert "无上期数据" in err
    code, out, _ = _run(capsys, "hotspots", "--db", db, "--period", "2025-03", "--format", "json")
    assert [(r["key"], r["volume"], r["hotspot"]) for r in json.loads(out)] == \
        [("东华门大街1号", 5, True), ("南池子大街2号", 1, False)]
    code, out, _ = _run(capsys, "hotspots", "--db", db, "--period", "2025-03", "--by", "h3", "--format", "json")
    assert code == 0 and json.loads(out) == []  # no coordinates, no cells


def test_hotspots_refuses_a_bad_top(db, capsys):
    code, _, err = _run(capsys, "hotspots", "--db", db, "--period", "2025-03", "--top", "0")
    assert code == 2 and "--top" in err
