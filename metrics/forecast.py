"""Forecasts of a volume series with their measured error (未诉先办): statsmodels' ETS, seasonal-naive, or their
mean, whichever forecast better on the series' own earlier backtest origins.

The model: exponential smoothing (statsmodels' ETSModel, additive errors) on log(1 + volume), so seasons act as
factors and intervals stay above zero: with two full years of history, a damped trend and the season
(ETS(A,Ad,A)); with less, the level alone (ETS(A,N,N)) — a trend fitted on months without seasons mistakes the
season's rise for a trend (measured on the demo: weekly WAPE 19.6 % with it, 13.7 % without). Its
parameters are estimated once, on the history before the first backtest origin; the backtest then rolls that model
forward origin by origin (a filter pass, no refit), and the live forecast is the same model rolled to the end.

The choice, where the ETS has no season (less than two years): at every backtest origin the forecast is the one of
ETS, seasonal-naive, their mean and naive with the smallest absolute error on the points already known there
(earlier origins' forecasts of earlier periods; ETS while there are none), so the backtest error is that of the
whole procedure, measured on periods it never saw; the live forecast takes the choice over every backtest point,
and the ETS interval is carried over in proportion (its low and high as ratios to its mean). With two years the
seasonal ETS stands alone: choosing among the four on a dozen origins then added more noise than it removed
(measured on the 37-month demo: weekly categories 17.9 % with the choice, 16.8 % without; README).

Baselines on the same points: seasonal-naive (the same week/month a year before) and naive (the last value).
WAPE = Σ|actual − forecast| / Σ actual over every origin and step. Too short a history gives no numbers.
"""
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

SEASON = {"W": 52, "M": 12}
# Fewest past periods before the first backtest origin (below: 数据不足) and how many origins the backtest rolls.
MIN_HISTORY = {"W": 16, "M": 10}
ORIGINS = {"W": 12, "M": 6}
SHORT = "数据不足"
CHOICES = ("model", "seasonal", "blend", "naive")
CHOICE_NAMES = {"seasonal": "去年同期", "blend": "与去年同期平均", "naive": "上期值"}


@dataclass(frozen=True)
class Outlook:
    """One series' forecast for steps 1..h after its last value; arrays are NaN when status is 数据不足."""
    status: str                 # "ok" or 数据不足
    forecast: np.ndarray
    low: np.ndarray
    high: np.ndarray
    baseline: np.ndarray        # seasonal-naive (NaN without a year of history)
    model_wape: float | None
    baseline_wape: float | None
    naive_wape: float | None
    backtest_points: int
    actual_total: float         # Σ actual over the backtest points (to pool WAPEs over many series)
    model: str


def outlook(y, freq: str, horizon: int, level: float = 0.8) -> Outlook:
    """Forecast `horizon` steps after the series y (volumes per week 'W' or month 'M', oldest first, no gaps)."""
    y = np.asarray(y, dtype=float)
    season, n = SEASON[freq], len(y)
    first = max(MIN_HISTORY[freq], n - ORIGINS[freq])
    baseline = seasonal_naive(y, n, horizon, season)
    if n <= first:
        nan = np.full(horizon, np.nan)
        return Outlook(SHORT, nan, nan, nan, baseline, None, None, None, 0, 0.0, "")
    # One thread for BLAS: the optimiser's tiny vectors ran 4–10× slower with a thread pool (measured).
    with threadpool_limits(limits=1):
        fitted = _Fitted(y[:first], seasonal=first >= 2 * season, season=season)
        run = fitted.run(y)
        mean, low, high = run.ahead(horizon, level)
    choice = _Choice(enabled=not fitted.seasonal)
    actual, chosen, snaive, naive = [], [], [], []
    for origin in range(first, n):
        steps = min(horizon, n - origin)
        year_back = seasonal_naive(y, origin, steps, season)
        candidates = _candidates(run.point(origin, steps), year_back, y[origin - 1])
        chosen.append(candidates[choice.best(origin)])
        choice.learn(origin, y[origin:origin + steps], candidates, ~np.isnan(year_back))
        actual.append(y[origin:origin + steps])
        snaive.append(year_back)
        naive.append(np.full(steps, y[origin - 1]))
    actual, chosen, snaive, naive = (np.concatenate(a) for a in (actual, chosen, snaive, naive))
    same = ~np.isnan(snaive)
    points = same if same.any() else np.ones_like(same)
    live = choice.best(n)
    forecast = _candidates(mean, baseline, y[-1])[live]
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = (np.where(mean > 0, forecast * bound / mean, bound) for bound in (low, high))
    low, high = np.minimum(low, forecast), np.maximum(high, forecast)  # an ETS mean of 0 scales nothing
    name = {**CHOICE_NAMES, "model": fitted.name, "blend": f"{fitted.name} {CHOICE_NAMES['blend']}"}[live]
    return Outlook("ok", forecast, low, high, baseline, wape(actual[points], chosen[points]),
                   wape(actual[points], snaive[points]) if same.any() else None,
                   wape(actual[points], naive[points]), int(points.sum()), float(actual[points].sum()), name)


def _candidates(model: np.ndarray, snaive: np.ndarray, last: float) -> dict[str, np.ndarray]:
    """The forecasts to choose from; where there is no value a year back, the model's stands for the seasonal
    ones."""
    snaive_or_model = np.where(np.isnan(snaive), model, snaive)
    return {"model": model, "seasonal": snaive_or_model, "blend": (model + snaive_or_model) / 2,
            "naive": np.full(len(model), last)}


class _Choice:
    """The absolute errors of each candidate on the points forecast so far, to pick the best at a later origin
    from what was known there only (points before it where a value a year back existed)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.index: list[np.ndarray] = []
        self.errors: list[np.ndarray] = []   # rows: points, columns: CHOICES

    def learn(self, origin: int, actual: np.ndarray, candidates: dict, comparable: np.ndarray) -> None:
        self.index.append(np.arange(origin, origin + len(actual))[comparable])
        self.errors.append(np.abs(np.column_stack([candidates[c] for c in CHOICES]) - actual[:, None])[comparable])

    def best(self, origin: int) -> str:
        if not self.enabled or not self.index:
            return "model"
        index, errors = np.concatenate(self.index), np.concatenate(self.errors)
        known = errors[index < origin]
        return CHOICES[int(np.argmin(known.sum(axis=0)))] if len(known) else "model"


def seasonal_naive(y: np.ndarray, origin: int, steps: int, season: int) -> np.ndarray:
    """The value one season before each of the steps after `origin` (NaN where the series does not reach back)."""
    back = np.arange(origin, origin + steps) - season
    return np.array([y[i] if 0 <= i < origin else np.nan for i in back], dtype=float)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    total = float(np.sum(np.abs(actual)))
    return float(np.sum(np.abs(actual - predicted)) / total) if total > 0 else None


class _Fitted:
    """ETS parameters and initial states estimated on a history, to run over that history or a longer one."""

    def __init__(self, history: np.ndarray, seasonal: bool, season: int):
        self.seasonal, self.season = seasonal, season
        self.name = "ETS(A,Ad,A) 对数" if seasonal else "ETS(A,N,N) 对数"
        self.constant = bool(np.ptp(history) == 0)  # nothing to estimate: the run repeats the last value
        if self.constant:
            return
        with warnings.catch_warnings():  # convergence chatter of the optimiser, not a user's concern
            warnings.simplefilter("ignore")
            fit = self._model(history, initialization_method="heuristic").fit(disp=False)
        self.params = np.asarray(fit.params)
        self.initial = dict(initial_level=fit.initial_level, initial_trend=fit.initial_trend if seasonal else None,
                            initial_seasonal=fit.initial_seasonal if seasonal else None)

    def _model(self, y: np.ndarray, **init) -> ETSModel:
        return ETSModel(pd.Series(np.log1p(y)), error="add", trend="add" if self.seasonal else None,
                        damped_trend=self.seasonal,
                        seasonal="add" if self.seasonal else None,
                        seasonal_periods=self.season if self.seasonal else None, **init)

    def run(self, y: np.ndarray) -> "_Run":
        if self.constant:
            return _Run(y, None, self.season)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smoothed = self._model(y, initialization_method="known", **self.initial).smooth(self.params)
        return _Run(y, smoothed, self.season)


class _Run:
    """The model filtered once over the whole series: the state after each value gives the point forecasts from
    that origin (the filter is causal, so they equal a run stopped there), the end gives the live forecast."""

    def __init__(self, y: np.ndarray, smoothed, season: int):
        self.y, self.smoothed, self.season = y, smoothed, season

    def point(self, origin: int, steps: int) -> np.ndarray:
        """Forecasts for y[origin:origin + steps] from the values before origin (volume scale)."""
        if self.smoothed is None:
            return np.full(steps, self.y[origin - 1])
        r, t = self.smoothed, origin - 1
        log = np.full(steps, np.asarray(r.level)[t])
        if r.has_trend:
            log = log + np.cumsum(r.damping_trend ** np.arange(1, steps + 1)) * np.asarray(r.slope)[t]
        if r.has_seasonal:
            log = log + np.asarray(r.season)[t + np.arange(1, steps + 1) - self.season]
        return np.clip(np.expm1(log), 0, None)

    def ahead(self, steps: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Forecast, low and high (the model's prediction interval) for the steps after the series."""
        n = len(self.y)
        if self.smoothed is None:
            flat = np.full(steps, self.y[-1])
            return flat, flat, flat
        frame = self.smoothed.get_prediction(start=n, end=n + steps - 1).summary_frame(alpha=1 - level)
        return tuple(np.clip(np.expm1(frame[c].to_numpy()), 0, None) for c in ("mean", "pi_lower", "pi_upper"))
