"""The engine and cached wrappers around metrics and data_access for the pages.

Every cached result is keyed by the database URL and its data version (`data_access.batches.data_version`), so an
import or an undo shows at once; app.py fetches the version once per run (`refresh_version`). Results are small
aggregates only (st.cache_data copies them on every hit), always with a ttl and max_entries.
"""
import importlib
import inspect

import streamlit as st
from sqlalchemy.engine import Engine

from data_access.batches import data_version
from data_access.engine import make_engine, resolve_url
from data_access.query_timeout import query_timeout_s

TTL_SECONDS = 600
MAX_ENTRIES = 300
_VERSION_KEY = "_data_version"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Every dashboard statement under QUERY_TIMEOUT_S: a slow query fails its panel, not the page.
    return make_engine(url, query_timeout=query_timeout_s())


def engine() -> Engine:
    """One engine (connection pool) per database URL and process, shared by all sessions."""
    return _engine_for(resolve_url())


def refresh_version() -> tuple:
    """Read the data version once for this run; the cached wrappers below key on it."""
    with engine().connect() as conn:
        version = (resolve_url(), data_version(conn))
    st.session_state[_VERSION_KEY] = version
    return version


def version() -> tuple:
    return st.session_state.get(_VERSION_KEY) or refresh_version()


def clear() -> None:
    """After this session changed data (import, undo, adjustment, demo build): drop cached results at once."""
    _call.clear()
    refresh_version()


@st.cache_data(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, show_spinner=False)
def _call(_engine: Engine, data_version_key: tuple, func_path: str, with_conn: bool, args: tuple, kwargs: tuple):
    func = _function(func_path)
    if with_conn:
        with _engine.connect() as conn:
            return func(conn, *args, **dict(kwargs))
    return func(_engine, *args, **dict(kwargs))


def _function(func_path: str):
    module, name = func_path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _cached(func_path: str, with_conn: bool = False):
    """A cached version of func(engine_or_connection, *args, **kwargs), imported only when first called."""
    def call(*args, **kwargs):
        return _call(engine(), version(), func_path, with_conn, args, tuple(sorted(kwargs.items())))
    call.__name__ = func_path.rsplit(".", 1)[1]
    call.__doc__ = f"Cached {func_path} (engine given by this module)."
    return call


def _own_unit_only(func_path: str):
    """A cached case-level read (taking `unit_id` after the engine) that a unit user can only point at its own unit:
    whatever a page or the URL passes, `unit_id` becomes the user's. A second lock behind the filters, so that no
    page can reach another unit's cases, callers or places."""
    cached = _cached(func_path)

    def call(*args, **kwargs):
        user = importlib.import_module("ui.auth").current_user()  # imported here: ui.auth uses this module
        if user.role != "unit":
            return cached(*args, **kwargs)
        names = list(inspect.signature(_function(func_path)).parameters)[1:]  # after the engine
        return cached(**{**dict(zip(names, args)), **kwargs, "unit_id": user.unit_id})
    call.__name__ = cached.__name__
    call.__doc__ = cached.__doc__ + " A unit user gets its own unit only."
    return call


# Filter options and reference data (take a connection).
data_days = _cached("data_access.filter_options.data_days", with_conn=True)
category_names = _cached("data_access.filter_options.category_names", with_conn=True)
street_names = _cached("data_access.filter_options.street_names", with_conn=True)
list_units = _cached("data_access.units.list_units", with_conn=True)
list_batches = _cached("data_access.batches.list_batches", with_conn=True)
is_demo = _cached("data_access.demo.is_demo")

# Scores, awards, lagging (metrics; take the engine). A page whose tables score overlapping periods reads them
# through one wrapper that computes them together (排名, 流动红旗, 后进会诊), not through one wrapper per table.
unit_scores = _cached("metrics.scores.unit_scores")
score_trend = _cached("metrics.scores.score_trend")
scores_and_trend = _cached("metrics.scores.scores_and_trend")
district_summary = _cached("metrics.scores.district_summary")
awards_and_history = _cached("metrics.awards.awards_and_history")
lagging_review = _cached("metrics.lagging.lagging_review")
list_adjustments = _cached("metrics.adjustments.list_adjustments")

# Drill-down and indicators.
lost_cases = _own_unit_only("metrics.lost.lost_cases")
lost_summary = _own_unit_only("metrics.lost.lost_summary")
loss_by = _own_unit_only("metrics.lost.loss_by")
frequent_callers = _own_unit_only("metrics.indicators.frequent_callers")
category_mix = _cached("metrics.indicators.category_mix")
tag_trend = _cached("metrics.indicators.tag_trend")
hotspots = _own_unit_only("metrics.hotspots.hotspots")
street_areas = _cached("metrics.street_areas.street_areas")

# Meeting agenda (additive, by MEETING): proposals for a period, follow-up of the last meeting's items.
propose = _cached("metrics.agenda.propose")
scores_period = _cached("metrics.agenda.scores_period")
follow_up = _cached("metrics.agenda.follow_up")

# 诉求分析 (metrics.text): the period's clusters and hot words (the corpus behind them is also kept in-process).
topics = _cached("metrics.text.topics.topics")
hot_words = _cached("metrics.text.hotwords.hot_words")


@st.cache_resource(show_spinner=False, max_entries=6)
def _text_model(url: str, field: str, stamp: float):
    return importlib.import_module("metrics.text.classifier").load(engine(), field)


def text_model(field: str):
    """The stored classifier of this database and field (NoModel when none), reloaded when retrained."""
    classifier = importlib.import_module("metrics.text.classifier")
    path = classifier.model_path(engine(), field)
    return _text_model(resolve_url(), field, path.stat().st_mtime if path.exists() else 0.0)


dispatch_check = _cached("metrics.text.classifier.dispatch_check")

# 预警 (未诉先办): forecasts with their backtest, seasonal topics, last year's places and units.
forecasts = _cached("metrics.foresight.forecasts")
seasonal_topics = _cached("metrics.foresight.seasonal_topics")
carriers = _cached("metrics.foresight.carriers")
projections = _cached("metrics.projection.projections")
projection_backtest = _cached("metrics.projection.backtest")
progress = _cached("metrics.projection.progress")
