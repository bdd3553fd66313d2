"""Cached wrappers around metrics and data_access for the pages, each named by its function (ui.db caches them).

A unit user's case-level reads are locked to its own unit here (`_own_unit_only`).
"""
import inspect

from data_access.ingest import batches
from data_access.queries import filter_options
from data_access.records import units
from metrics import adjustments, agenda, awards, foresight, hotspots as hotspot_metrics, indicators, lagging, lost, \
    projection, scores, street_areas as street_area_metrics
from ui import auth
from ui.db import MAX_ENTRIES, TTL_SECONDS, cached, clear, engine, is_demo, refresh_version, version  # noqa: F401


def _own_unit_only(func):
    """A cached case-level read (taking `unit_id` after the engine) that a unit user can only point at its own unit:
    whatever a page or the URL passes, `unit_id` becomes the user's. A second lock behind the filters, so that no
    page can reach another unit's cases, callers or places."""
    read = cached(func)
    names = list(inspect.signature(func).parameters)[1:]  # after the engine

    def call(*args, **kwargs):
        user = auth.current_user()
        if user.role != "unit":
            return read(*args, **kwargs)
        return read(**{**dict(zip(names, args)), **kwargs, "unit_id": user.unit_id})
    call.__name__ = read.__name__
    call.__doc__ = read.__doc__ + " A unit user gets its own unit only."
    return call


# Filter options and reference data (take a connection).
data_days = cached(filter_options.data_days, with_conn=True)
category_names = cached(filter_options.category_names, with_conn=True)
street_names = cached(filter_options.street_names, with_conn=True)
list_units = cached(units.list_units, with_conn=True)
list_batches = cached(batches.list_batches, with_conn=True)

# Scores, awards, lagging (metrics; take the engine). A page whose tables score overlapping periods reads them
# through one wrapper that computes them together (排名, 流动红旗, 后进会诊), not through one wrapper per table.
unit_scores = cached(scores.unit_scores)
score_trend = cached(scores.score_trend)
scores_and_trend = cached(scores.scores_and_trend)
district_summary = cached(scores.district_summary)
awards_and_history = cached(awards.awards_and_history)
lagging_review = cached(lagging.lagging_review)
list_adjustments = cached(adjustments.list_adjustments)

# Drill-down and indicators.
lost_cases = _own_unit_only(lost.lost_cases)
lost_summary = _own_unit_only(lost.lost_summary)
loss_by = _own_unit_only(lost.loss_by)
frequent_callers = _own_unit_only(indicators.frequent_callers)
category_mix = cached(indicators.category_mix)
tag_trend = cached(indicators.tag_trend)
hotspots = _own_unit_only(hotspot_metrics.hotspots)
street_areas = cached(street_area_metrics.street_areas)

# Meeting agenda (additive, by MEETING): proposals for a period, follow-up of the last meeting's items.
propose = cached(agenda.propose)
scores_period = cached(agenda.scores_period)
follow_up = cached(agenda.follow_up)

# 预警 (未诉先办): forecasts with their backtest, seasonal topics, last year's places and units.
forecasts = cached(foresight.forecasts)
seasonal_topics = cached(foresight.seasonal_topics)
carriers = cached(foresight.carriers)
projections = cached(projection.projections)
projection_backtest = cached(projection.backtest)
progress = cached(projection.progress)
