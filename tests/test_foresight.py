"""预警 on a database (SQLite, PostgreSQL, MariaDB): weekly series from the category summary (complete weeks only,
a new key starting where it first appears), forecasts with status, the places and units of last year, surge
flags, and `cli.py forecast`."""
import csv
import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest

import cli
from metrics.foresight import carriers, forecasts, history, is_surge
from metrics.periods import parse_period
from metrics.rules import load_rules, load_rules_text
from tests.factories import case_row, units, write

FIRST_MONDAY = date(2025, 1, 6)
WEEKS = 20  # 2025-W02 .. 2025-W21; two days of 2025-W22 follow, an incomplete week


def _at(day: date, hour: int = 9) -> str:
    return f"{day:%Y-%m-%d} {hour:02d}:00:00"


def _rows(heat: int, east: int) -> list[dict]:
    rows, n = [], 0

    def add(day, cat_l2, street, unit, address=None):
        nonlocal n
        n += 1
        cat_l1 = "供暖" if cat_l2 == "室温不达标" else "市政设施"
        rows.append(case_row(f"F{n}", unit, _at(day), cat_l1=cat_l1, cat_l2=cat_l2, street=street, address=address))

    for w in range(WEEKS):
        monday = FIRST_MONDAY + timedelta(weeks=w)
        for d in range(3):  # 3 heating cases every week, Monday to Wednesday: a constant series
            add(monday + timedelta(days=d), "室温不达标", "和平里街道", heat)
        add(monday + timedelta(days=4), "路面积水", "东华门街道", east)
        if w >= WEEKS - 5:  # a street first seen in the last 5 weeks: too short to forecast
            add(monday + timedelta(days=5), "路面积水", "景山街道", east)
    for d in (0, 1):  # the incomplete week 2025-W22 is left out of every series
        add(FIRST_MONDAY + timedelta(weeks=WEEKS, days=d), "室温不达标", "和平里街道", heat)
    last_year = date(2024, 5, 27)  # 2024-W22, the same week a year before 2025-W22
    for i, address in enumerate(["东华门大街1号"] * 3 + ["王府井大街2号"]):
        add(last_year + timedelta(days=i), "路面积水", "东华门街道", east, address)
    return rows


@pytest.fixture
def db(engine):
    u = units(engine, ("和平里街道", "街道"), ("区水务局", "区级部门"))
    write(engine, _rows(u["和平里街道"], u["区水务局"]))
    return engine


def test_weekly_history_holds_complete_weeks_only(db):
    found = history(db, "street", "W")
    assert found.next.key == "2025-W22"
    assert found.periods[-1].key == "2025-W21"
    assert found.periods[0].key == "2024-W22"  # the first complete week with data
    table = found.table
    assert list(table["和平里街道"].iloc[-WEEKS:]) == [3] * WEEKS
    assert table["景山街道"].sum() == 5 and table["东华门街道"].iloc[0] == 4


def test_forecasts_with_status_and_measured_error(db):
    frame = forecasts(db, load_rules(), by="street", freq="W", horizon=2)
    assert list(frame["period"].drop_duplicates()) == ["2025-W22", "2025-W23"]
    heat = frame[frame["key"] == "和平里街道"]
    assert list(heat["forecast"]) == [3, 3] and list(heat["low"]) == [3, 3] and list(heat["high"]) == [3, 3]
    assert heat["backtest_wape"].iloc[0] == 0 and heat["naive_wape"].iloc[0] == 0
    assert heat["baseline"].isna().all()  # 2024-W22/W23 have no heating cases in 2025's series (it starts in Jan)
    new = frame[frame["key"] == "景山街道"]
    assert (new["status"] == "数据不足").all() and new["forecast"].isna().all() and new["backtest_wape"].isna().all()
    assert not frame["surge"].any()  # min_cases 20: nothing this small is flagged


def test_months_too_few_give_no_numbers(db):
    # complete months 2024-06 .. 2025-04; every street's cases start in 2025 (May 2024 is not a complete month)
    frame = forecasts(db, load_rules(), by="street", freq="M", horizon=2)
    assert list(frame["period"].drop_duplicates()) == ["2025-05", "2025-06"]
    assert (frame["status"] == "数据不足").all() and frame[["forecast", "low", "high"]].isna().all().all()
    assert not frame["surge"].any()


def test_a_forecast_from_a_past_week_uses_the_weeks_before_it_only(db):
    frame = forecasts(db, load_rules(), by="street", freq="W", horizon=1, start=parse_period("2025-W20"))
    heat = frame[frame["key"] == "和平里街道"].iloc[0]
    assert heat["period"] == "2025-W20" and heat["forecast"] == 3


def test_places_and_units_that_carried_a_key_a_year_before(db):
    for by, key in (("cat_l2", "路面积水"), ("street", "东华门街道")):
        found = carriers(db, by, key, "2025-W22")
        assert found["places"].values.tolist() == [["东华门大街1号", "东华门街道", 3], ["王府井大街2号", "东华门街道", 1]]
        assert found["units"].values.tolist() == [["区水务局", 4]]
    assert carriers(db, "cat_l2", "室温不达标", "2025-W22")["places"].empty


def test_surge_is_a_ratio_over_the_recent_level_above_the_threshold_from_a_trusted_model():
    rules = load_rules_text("[warning]\nsurge_ratio = 2.0\nmin_cases = 10")
    nan = float("nan")
    frame = pd.DataFrame({"forecast": [20.0, 19.9, 9.0, 30.0, 30.0, 30.0],
                          "recent": [10.0, 10.0, 2.0, 10.0, 10.0, 10.0],
                          "status": ["ok", "ok", "ok", "数据不足", "ok", "ok"],
                          "backtest_wape": [0.1, 0.1, 0.1, nan, 0.2, 0.1],
                          "baseline_wape": [0.2, 0.2, 0.2, nan, 0.15, nan],   # row 5: worse than seasonal-naive
                          "naive_wape": [0.3, 0.3, 0.3, nan, 0.3, 0.1]})      # row 6: as good as naive
    assert is_surge(frame, rules).tolist() == [True, False, False, False, False, True]


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_forecast_csv_json_and_refusals(db, capsys):
    url = db.url.render_as_string(hide_password=False)
    code, out, _ = _run(capsys, "forecast", "--db", url, "--period", "2025-W22", "--by", "street", "--horizon", "1",
                        "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["key", "period", "forecast", "low", "high", "baseline", "backtest_wape", "baseline_wape"]
    heat = next(r for r in rows if r["key"] == "和平里街道")
    assert (heat["period"], float(heat["forecast"]), float(heat["backtest_wape"])) == ("2025-W22", 3.0, 0.0)
    assert next(r for r in rows if r["key"] == "景山街道")["forecast"] == ""  # 数据不足: no number
    code, out, _ = _run(capsys, "forecast", "--db", url, "--period", "2025-W22", "--by", "street", "--format", "json")
    assert code == 0 and {r["period"] for r in json.loads(out)} == {"2025-W22", "2025-W23", "2025-W24", "2025-W25"}
    for bad in (["--period", "2025-Q1"], ["--period", "2025-W22", "--horizon", "0"], ["--period", "2025-13"]):
        code, _, err = _run(capsys, "forecast", "--db", url, *bad)
        assert code == 2 and err.startswith("error:") and "Traceback" not in err


def test_cli_forecast_without_a_complete_week_says_data_insufficient(engine, capsys):
    u = units(engine, ("和平里街道", "街道"))["和平里街道"]
    write(engine, [case_row("S1", u, "2025-03-04 09:00:00", cat_l2="路面积水")])  # a Tuesday: no whole week
    url = engine.url.render_as_string(hide_password=False)
    code, _, err = _run(capsys, "forecast", "--db", url, "--period", "2025-W11")
    assert code == 2 and "数据不足" in err and "no complete week" in err


def test_daily_report_of_a_day(db, tmp_path, capsys):
    from docx import Document

    from reports.daily import build_daily_docx, gather_daily
    # Tuesday 2025-05-27: one heating case; the 8 Tuesdays before it had one each (Monday to Wednesday, 3 a week)
    daily = gather_daily(db, load_rules(), date(2025, 5, 27))
    assert (daily.volume, daily.usual) == (1, 1.0)
    assert daily.tables["top"].frame.values.tolist() == [["室温不达标", 1, 1.0, 0.0]]
    text = [p.text for p in Document(io.BytesIO(build_daily_docx(daily))).paragraphs]
    assert "当日受理诉求 1 件；前 8 周同一星期几平均 1 件。" in text
    out = tmp_path / "daily.docx"
    url = db.url.render_as_string(hide_password=False)
    code, _, _ = _run(capsys, "daily", "--db", url, "--date", "2025-05-27", "--out", str(out))
    assert code == 0 and out.stat().st_size > 0
    code, _, err = _run(capsys, "daily", "--db", url, "--date", "27.05.2025", "--out", str(out))
    assert code == 2 and "--date" in err


def test_daily_report_lists_places_new_or_surging_this_week(db):
    from reports.daily import gather_daily
    rules, day = load_rules_text("[hotspots]\nmin_cases = 3"), date(2024, 5, 30)
    # The data begin in this week: no earlier case, so neither 新增 nor 突增 is claimed (METRICS.md §7).
    assert gather_daily(db, rules, day).tables["places"].frame.empty
    # With one case elsewhere a month before, 东华门大街1号 (3 cases this week, none the week before) is 新增.
    unit = units(db, ("景山街道", "街道"))["景山街道"]
    write(db, [case_row("EARLY1", unit, "2024-04-30 08:00:00", address="景山前街9号")], name="early.csv")
    places = gather_daily(db, rules, day).tables["places"]
    assert places.frame[["label", "street", "volume", "prev_volume"]].values.tolist() == [
        ["东华门大街1号", "东华门街道", 3, 0]]


def test_daily_report_counts_urgent_and_overdue_cases(engine):
    from docx import Document

    from reports.daily import build_daily_docx, gather_daily
    u = units(engine, ("交道口街道", "街道"), ("区城管委", "区级部门"))
    street, dept = u["交道口街道"], u["区城管委"]
    write(engine, [
        # 紧急, answered in 1 h and closed in 1.5 h (limits 2 h): on time, not overdue
        case_row("U1", street, "2025-05-27 09:00:00", urgency="紧急", deadline_class="紧急",
                 responded_at="2025-05-27 10:00:00", closed_at="2025-05-27 10:30:00"),
        # 紧急, answered after 4 h and still open at the day's end (13 h past a 2 h limit): late, overdue, open
        case_row("U2", street, "2025-05-27 11:00:00", urgency="紧急", deadline_class="紧急",
                 responded_at="2025-05-27 15:00:00"),
        # 一般, closed after 9 days (216 h > 168 h): overdue, but no longer open
        case_row("G1", dept, "2025-05-20 09:00:00", responded_at="2025-05-20 10:00:00",
                 closed_at="2025-05-29 09:00:00"),
        # received 31 days before the day: outside the 30 days the report looks at
        case_row("OLD", dept, "2025-04-27 09:00:00"),
    ])
    daily = gather_daily(engine, load_rules(), date(2025, 5, 27))
    assert daily.urgent == {"received": 2, "late": 1, "open": 1} and daily.overdue_known
    assert daily.tables["overdue"].frame[["unit_name", "still_open", "overdue"]].values.tolist() == [
        ["交道口街道", 1, 1], ["区城管委", 0, 1]]
    text = [p.text for p in Document(io.BytesIO(build_daily_docx(daily))).paragraphs]
    assert "当日受理紧急工单 2 件，其中未按时响应 1 件、至今未办结 1 件。" in text


def test_daily_report_says_when_overdue_cannot_be_told(engine):
    from docx import Document

    from reports.daily import build_daily_docx, gather_daily
    u = units(engine, ("交道口街道", "街道"))["交道口街道"]
    write(engine, [case_row("N1", u, "2025-05-27 09:00:00", has_closed_at=False)])  # a file without 办结时间
    daily = gather_daily(engine, load_rules(), date(2025, 5, 27))
    assert daily.urgent == {"received": 0, "late": 0, "open": 0} and not daily.overdue_known
    text = [p.text for p in Document(io.BytesIO(build_daily_docx(daily))).paragraphs]
    assert "近 30 天的工单数据未提供办结时间，无法判断超期。" in text
    assert any(t.startswith("当日没有标为紧急的工单") for t in text)
