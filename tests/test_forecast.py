"""The forecaster (metrics.forecast) on hand-made series: seasons, flat, a step, too short; and its backtest."""
import numpy as np
import pytest

from metrics.forecast import SHORT, outlook, seasonal_naive, wape

PATTERN = np.array([100, 80, 90, 95, 100, 110, 150, 140, 100, 90, 120, 130], dtype=float)


def test_a_purely_seasonal_series_is_forecast_to_its_seasonal_values():
    o = outlook(np.tile(PATTERN, 3), "M", horizon=12)
    assert o.status == "ok" and o.model.startswith("ETS(A,Ad,A)")
    np.testing.assert_allclose(o.forecast, PATTERN, rtol=0.01)
    assert o.model_wape == pytest.approx(0, abs=0.01)
    assert o.baseline_wape == pytest.approx(0, abs=1e-9)  # same month a year before: exact here
    np.testing.assert_allclose(o.baseline, PATTERN)


def test_a_seasonal_series_with_noise_keeps_its_seasons_and_beats_the_naive_forecast():
    rng = np.random.default_rng(7)
    o = outlook(np.tile(PATTERN, 3) * rng.uniform(0.97, 1.03, 36), "M", horizon=12)
    np.testing.assert_allclose(o.forecast, PATTERN, rtol=0.06)
    assert o.forecast[6] > 1.3 * o.forecast[1]  # July's peak over February's trough
    assert o.model_wape < 0.05 < o.naive_wape
    assert (o.low < o.forecast).all() and (o.forecast < o.high).all()


def test_the_seasonal_ets_alone_learns_the_seasons():
    from metrics.forecast import _Fitted
    y = np.tile(PATTERN, 3)
    fitted = _Fitted(y[:30], seasonal=True, season=12)
    assert fitted.name.startswith("ETS(A,Ad,A)")
    np.testing.assert_allclose(fitted.run(y).ahead(12, 0.8)[0], PATTERN, rtol=0.01)


def test_without_two_years_the_choice_is_made_from_earlier_origins_only():
    # 26 months of a clean season: the level-only ETS (no two years yet) cannot follow it, last year's month can.
    # The first backtest origin (month 20) knows no error yet and takes the ETS; from month 21 on, seasonal-naive
    # has erred least on what was known (0 against the ETS's miss of month 20), and the live forecast takes it.
    from metrics.forecast import _Fitted
    y = np.tile(PATTERN, 3)[:26]
    o = outlook(y, "M", horizon=1)
    assert o.model == "去年同期"
    np.testing.assert_allclose(o.forecast, PATTERN[26 % 12])
    first_miss = abs(y[20] - _Fitted(y[:20], seasonal=False, season=12).run(y).point(20, 1)[0])
    assert o.model_wape == pytest.approx(first_miss / y[20:].sum())
    assert o.baseline_wape == 0 and 0 < o.model_wape < o.naive_wape


def test_a_flat_series_stays_flat_with_a_narrow_interval():
    rng = np.random.default_rng(3)
    o = outlook(100 + rng.normal(0, 3, 60), "W", horizon=4)
    np.testing.assert_allclose(o.forecast, 100, rtol=0.03)
    assert ((o.high - o.low) / o.forecast < 0.15).all()
    assert o.model.startswith("ETS(A,N,N)")  # 60 weeks are not two years: level only, no season or trend


def test_a_constant_series_is_forecast_as_itself():
    o = outlook(np.full(30, 12.0), "W", horizon=3)
    assert list(o.forecast) == [12, 12, 12] and list(o.low) == [12, 12, 12] and list(o.high) == [12, 12, 12]
    assert o.model_wape == 0 and o.naive_wape == 0


def test_a_step_change_widens_the_interval():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 3, 60)
    flat = outlook(100 + noise, "W", horizon=4)
    step = outlook(100 + noise + np.r_[np.zeros(45), np.full(15, 50)], "W", horizon=4)
    np.testing.assert_allclose(step.forecast, 150, rtol=0.05)  # it follows the new level
    width = lambda o: (o.high - o.low) / o.forecast  # noqa: E731 — relative, so the level does not count
    assert (width(step) > 2 * width(flat)).all()


@pytest.mark.parametrize("freq, n", [("W", 16), ("M", 10), ("W", 3), ("M", 1)])
def test_too_short_a_history_gives_no_numbers(freq, n):
    o = outlook(np.full(n, 50.0), freq, horizon=2)
    assert o.status == SHORT
    assert np.isnan(o.forecast).all() and np.isnan(o.low).all() and np.isnan(o.high).all()
    assert o.model_wape is None and o.baseline_wape is None and o.naive_wape is None


def test_the_backtest_compares_on_the_same_points_by_hand():
    # 17 weeks: origins 16 only (the 16 weeks before the first origin are the minimum), one step back-testable.
    y = np.r_[np.full(16, 10.0), 20.0]
    o = outlook(y, "W", horizon=1)
    assert o.backtest_points == 1
    assert o.naive_wape == pytest.approx(0.5)  # |20 − 10| / 20
    assert o.baseline_wape is None  # no value a year (52 weeks) before


def test_seasonal_naive_and_wape_by_hand():
    y = np.array([1, 2, 3, 4, 5, 6], dtype=float)
    np.testing.assert_array_equal(seasonal_naive(y, 4, 3, season=3), [2, 3, 4])
    np.testing.assert_array_equal(seasonal_naive(y, 2, 2, season=3), [np.nan, 1])  # 2 − 3 < 0; 3 − 3 = 0
    assert wape(np.array([10.0, 30.0]), np.array([12.0, 27.0])) == pytest.approx(5 / 40)
    assert wape(np.array([0.0]), np.array([1.0])) is None


def test_seasonal_topics_are_learned_from_past_years():
    import pandas as pd
    from datetime import date
    from metrics.foresight import season_topics
    from metrics.periods import parse_period
    months = [date(2024 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 24)]  # 2024-01 .. 2025-11
    heat = [40, 30, 10, 2, 1, 1, 1, 1, 1, 5, 36, 40] * 2
    table = pd.DataFrame({"室温不达标": heat[:23], "物业服务": [20] * 23, "飞絮": [1] * 23}, index=months)
    found = season_topics(table, parse_period("2025-12"), ratio=1.5, least=10)
    # 2024-12: 40 ÷ (2024's mean month 168 / 12 = 14) = 2.857; it rose 40 / 36 < 1.5 from November: not arriving
    assert found[["key", "month", "arriving", "last_year", "years"]].values.tolist() == [
        ["室温不达标", "2025-12", False, 40, 1]]
    assert found["season_index"].iloc[0] == pytest.approx(40 / 14)
    november = season_topics(table.iloc[:22], parse_period("2025-11"), ratio=1.5, least=10)
    # 2024-11: 36 ÷ 14 (the year up to it is not all there: the twelve months from it, mean 168 / 12 = 14),
    # and 36 / 5 from October: arriving. 2025-11 is not in the table yet, so 2024-11 is the only past year.
    assert november[["key", "arriving", "last_year"]].values.tolist() == [["室温不达标", True, 36]]
    assert november["season_index"].iloc[0] == pytest.approx(36 / 14)
