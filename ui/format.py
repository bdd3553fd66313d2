"""How numbers look on screen: rates "98.25%", scores "96.41", null "无数据", 环比 deltas, rank arrows, tier colours.

Labels and formats come from `metrics.registry`; nothing here knows a metric by heart.
"""
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from metrics.registry import NO_DATA, entry, format_value, is_missing, label

NEW = "新"
# Tier colours, best to worst (tier names come from the rules file; unknown ones stay plain).
TIER_COLOURS = {"优秀": "#d7f0dc", "良好": "#dbe8f7", "一般": "#fcefd2", "较差": "#f8d7d7"}


def value(key: str, v) -> str:
    return format_value(key, v)


FLAT = "持平"


def delta(key: str, current, previous) -> str | None:
    """The 环比 text for st.metric: rates in percentage points, scores in points, counts with their percent;
    持平 where the change shown would be zero (a green "↑ +0.00" reads as a rise)."""
    if is_missing(current) or is_missing(previous):
        return None
    diff = float(current) - float(previous)
    fmt = entry(key).fmt
    if round(diff * 100 if fmt == "pct" else diff, 0 if fmt == "int" else 2) == 0:
        return FLAT
    if fmt == "pct":
        return f"{diff * 100:+.2f} 个百分点"
    if fmt == "int":
        share = f"（{diff / float(previous) * 100:+.1f}%）" if previous else ""
        return f"{int(round(diff)):+d}{share}"
    return f"{diff:+.2f}"


def delta_color(key: str) -> str:
    """st.metric delta_color from the metric's direction of good: up → normal, down → inverse, neither → off."""
    return {"up": "normal", "down": "inverse"}.get(entry(key).better, "off")


def rank_move(change) -> str:
    """Rank change as an arrow: ↑3 moved up three places, ↓2 down two, — unchanged, 新 no previous rank."""
    if is_missing(change):
        return NEW
    change = int(change)
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "—"


def signed(change) -> str:
    """A score change against the previous period: "+2.25", "-8.00", or 新 when there was no previous score."""
    return NEW if is_missing(change) else f"{float(change):+.2f}"


def tier_style(tier) -> str:
    colour = TIER_COLOURS.get(tier) if isinstance(tier, str) else None
    return f"background-color: {colour}" if colour else ""


def _formatter(key: str):
    return lambda v: format_value(key, v)


def table(frame: pd.DataFrame, columns: list[str], texts: dict[str, str] | None = None) -> Styler:
    """A frame for st.dataframe: the given columns under their registry labels, formatted, tiers coloured.

    `texts` gives headers for display-only columns that are not metrics (e.g. a rank arrow column).
    Numbers stay numbers underneath, so sorting by a column still sorts by value.
    """
    texts = texts or {}
    headers = {c: texts.get(c) or label(c) for c in columns}
    shown = frame[columns].rename(columns=headers)
    styler = shown.style.format({headers[c]: _formatter(c) for c in columns if c not in texts}, na_rep=NO_DATA)
    if "tier" in columns:
        styler = styler.map(tier_style, subset=[headers["tier"]])
    return styler.hide(axis="index")


def show(frame: pd.DataFrame, columns: list[str], texts: dict[str, str] | None = None, **kwargs):
    """st.dataframe of `table(...)`, with 无数据 for missing values; returns what st.dataframe returns."""
    return st.dataframe(table(frame, columns, texts), hide_index=True, placeholder=NO_DATA, **kwargs)
