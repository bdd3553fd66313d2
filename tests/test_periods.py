"""Periods (METRICS.md §1): parsing, half-open bounds, labels, previous / year-ago periods, trailing windows."""
from datetime import date

import pytest

from metrics.periods import (PeriodError, last_complete, parse_period, period_of, range_period, shift, to_date,
                             trailing)


@pytest.mark.parametrize("text, kind, start, end, label", [
    ("2025-03", "month", date(2025, 3, 1), date(2025, 4, 1), "2025年3月"),
    ("2025-12", "month", date(2025, 12, 1), date(2026, 1, 1), "2025年12月"),
    ("2025-B2", "bimonth", date(2025, 3, 1), date(2025, 5, 1), "2025年第2双月（3-4月）"),
    ("2025-B6", "bimonth", date(2025, 11, 1), date(2026, 1, 1), "2025年第6双月（11-12月）"),
    ("2025-Q1", "quarter", date(2025, 1, 1), date(2025, 4, 1), "2025年第1季度"),
    ("2025", "year", date(2025, 1, 1), date(2026, 1, 1), "2025年"),
    ("2025-W10", "week", date(2025, 3, 3), date(2025, 3, 10), "2025年第10周（03.03-03.09）"),
    ("2020-W53", "week", date(2020, 12, 28), date(2021, 1, 4), "2020年第53周（12.28-01.03）"),
    ("2025-03-01..2025-03-15", "range", date(2025, 3, 1), date(2025, 3, 16), "2025-03-01至2025-03-15"),
    (" 2025-03 ", "month", date(2025, 3, 1), date(2025, 4, 1), "2025年3月"),
])
def test_parse(text, kind, start, end, label):
    p = parse_period(text)
    assert (p.kind, p.start, p.end, p.label) == (kind, start, end, label)


@pytest.mark.parametrize("text", ["", "2025-3", "2025-00", "2025-13", "2025-B0", "2025-B7", "2025-Q5", "1899",
                                  "2021-W53", "2025-W00", "2025-03-15..2025-03-01", "2025-02-30..2025-03-01",
                                  "March"])
def test_bad_periods_are_refused(text):
    with pytest.raises(PeriodError, match="时间段"):
        parse_period(text)


@pytest.mark.parametrize("text, previous, year_ago", [
    ("2025-01", "2024-12", "2024-01"),
    ("2025-B1", "2024-B6", "2024-B1"),
    ("2025-Q1", "2024-Q4", "2024-Q1"),
    ("2025", "2024", "2024"),
    ("2025-W01", "2024-W52", "2024-W01"),
    ("2021-W01", "2020-W53", "2020-W01"),
    ("2020-W53", "2020-W52", "2019-W52"),  # 2019 has no 53rd week: its last week
    ("2025-03-01..2025-03-15", "2025-02-14..2025-02-28", "2024-03-01..2024-03-15"),
    ("2024-02-01..2024-02-29", "2024-01-03..2024-01-31", "2023-02-01..2023-02-28"),
])
def test_previous_and_year_ago(text, previous, year_ago):
    p = parse_period(text)
    assert (p.previous().key, p.year_ago().key) == (previous, year_ago)


def test_trailing_shift_and_period_of():
    months = trailing(parse_period("2025-03"), 13)
    assert [m.key for m in months][:2] == ["2024-03", "2024-04"] and months[-1].key == "2025-03"
    assert len(months) == 13
    assert all(a.end == b.start for a, b in zip(months, months[1:]))  # consecutive, no gap, no overlap
    assert shift(parse_period("2025-B6"), 1).key == "2026-B1"
    assert shift(parse_period("2025-W52"), 1).key == "2026-W01"
    assert period_of(date(2025, 12, 31), "week").key == "2026-W01"
    assert [period_of(date(2025, 4, 30), k).key for k in ("month", "bimonth", "quarter", "year")] == \
        ["2025-04", "2025-B2", "2025-Q2", "2025"]
    with pytest.raises(PeriodError):
        shift(parse_period("2025-03-01..2025-03-15"), 1)


def test_months_for_monthly_averages():
    assert [parse_period(k).months() for k in ("2025-03", "2025-B2", "2025-Q1", "2025")] == [1, 2, 3, 12]
    assert parse_period("2025-03-01..2025-03-31").months() == pytest.approx(31 / (365.25 / 12))


def test_a_period_cut_at_the_data_compares_with_as_many_days_before():
    cut = to_date(parse_period("2025-12"), date(2025, 12, 2))
    assert (cut.start, cut.end, cut.label) == (date(2025, 12, 1), date(2025, 12, 3), "2025年12月（截至12月2日）")
    assert cut.previous() == range_period(date(2025, 11, 29), date(2025, 11, 30))
    assert to_date(parse_period("2025-11"), date(2025, 12, 2)) == parse_period("2025-11")  # covered: whole
    assert to_date(parse_period("2025-11"), date(2025, 11, 30)) == parse_period("2025-11")  # its last day
    assert to_date(parse_period("2025-W49"), None) == parse_period("2025-W49")


def test_the_last_complete_period():
    assert last_complete("week", date(2025, 12, 2)) == parse_period("2025-W48")   # a Tuesday
    assert last_complete("week", date(2025, 11, 30)) == parse_period("2025-W48")  # a Sunday
    assert last_complete("month", date(2025, 12, 2)) == parse_period("2025-11")
    assert last_complete("month", date(2025, 12, 31)) == parse_period("2025-12")
