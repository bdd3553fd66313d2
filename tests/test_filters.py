"""The period filter's note for a period still running (its counts are not comparable with a whole period)."""
from datetime import date

from metrics.periods import parse_period
from ui.filters import data_through, progress_note

TODAY = date(2026, 11, 22)


def test_the_current_month_is_under_way_through_its_last_day_with_data():
    assert data_through(parse_period("2026-11"), date(2026, 11, 21), TODAY) == date(2026, 11, 21)
    assert progress_note(parse_period("2026-11"), date(2026, 11, 21), TODAY) == "（截至11月21日，未满期）"


def test_a_month_that_has_ended_is_whole_even_if_its_data_stops_early():
    assert progress_note(parse_period("2025-03"), date(2025, 3, 20), TODAY) == ""
    assert data_through(parse_period("2026-10"), date(2026, 11, 21), TODAY) is None


def test_a_month_ending_today_is_still_under_way_and_one_without_data_has_no_note():
    assert data_through(parse_period("2026-11"), date(2026, 11, 30), date(2026, 11, 30)) == date(2026, 11, 30)
    assert data_through(parse_period("2026-12"), date(2026, 11, 21), TODAY) is None


def test_a_week_under_way():
    assert progress_note(parse_period("2026-W47"), date(2026, 11, 21), TODAY) == "（截至11月21日，未满期）"
