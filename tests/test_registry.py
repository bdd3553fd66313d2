"""The metric registry: every metric and column documented once, and formatted the way the UI shows it."""
import math

import pandas as pd
import pytest

from cli_commands.scoring import COLUMNS as CLI_COLUMNS
from metrics.foresight import COLUMNS as FORECAST_COLUMNS
from metrics.awards import AWARD_COLUMNS, HISTORY_COLUMNS
from metrics.lagging import LAGGING_COLUMNS
from metrics.registry import FIELDS, METRICS, entry, export_headers, format_value, label, metric
from metrics.scores import DISTRICT_KEYS, SCORE_COLUMNS, TREND_COLUMNS

REQUIRED = ["volume", "assessed", "on_time_response", "solved_rated", "satisfaction_rated", "response_rate",
            "resolution_rate", "satisfaction_rate", "raw_score", "adjustment", "adjusted_score", "rank", "tier",
            "prev_score", "prev_rank", "score_change", "rank_change", "yoy_score", "first_double_yes_rate",
            "on_time_close_rate", "per_10k", "repeat_rate", "cost", "gap_cases", "lost_points"]


@pytest.mark.parametrize("key", list(METRICS) + list(FIELDS))
def test_every_entry_has_a_label_description_and_valid_settings(key):
    m = entry(key)
    assert m.key == key
    assert m.label.strip() and m.description.strip(), f"{key} needs a label and a description"
    assert m.fmt in ("pct", "score", "int", "float", "text")
    assert m.better in ("up", "down", None)
    assert m.kind in (("field",) if key in FIELDS else ("count", "ratio", "derived", "indicator"))


def test_metrics_and_fields_do_not_overlap_and_labels_are_unique():
    assert not set(METRICS) & set(FIELDS)
    labels = [label(k) for k in [*METRICS, *FIELDS]]
    assert len(labels) == len(set(labels)), [x for x in labels if labels.count(x) > 1]


def test_the_required_metrics_are_declared():
    assert [k for k in REQUIRED if k not in METRICS] == []
    assert metric("response_rate").label == "响应率"
    assert metric("adjusted_score").better == "up" and metric("rank").better == "down"
    with pytest.raises(KeyError, match="unknown metric"):
        metric("unit_name")  # a field, not a metric


@pytest.mark.parametrize("columns", [*CLI_COLUMNS.values(), SCORE_COLUMNS, TREND_COLUMNS, AWARD_COLUMNS,
                                     HISTORY_COLUMNS, LAGGING_COLUMNS, DISTRICT_KEYS, FORECAST_COLUMNS])
def test_every_printed_or_returned_column_has_a_registry_entry(columns):
    assert [c for c in columns if c not in METRICS and c not in FIELDS] == []


@pytest.mark.parametrize("key, value, text", [
    ("response_rate", 0.98254, "98.25%"), ("satisfaction_rate", 1.0, "100.00%"), ("resolution_rate", 0.0, "0.00%"),
    ("raw_score", 96.4149, "96.41"), ("adjusted_score", 100, "100.00"), ("volume", 1234, "1234"),
    ("rank", pd.array([3], dtype="Int64")[0], "3"), ("tier", "优秀", "优秀"), ("ranked", True, "是"),
    ("response_rate", None, "无数据"), ("raw_score", math.nan, "无数据"), ("rank", pd.NA, "无数据"),
])
def test_format_value(key, value, text):
    assert format_value(key, value) == text


def test_export_headers_follow_the_column_order():
    assert export_headers(["unit_name", "response_rate", "adjusted_score", "rank"]) == \
        ["承办单位", "响应率", "综合成绩", "排名"]
    with pytest.raises(KeyError):
        export_headers(["no_such_column"])
