"""KPI cards: a value formatted from the registry, with its 环比 delta coloured by the metric's direction of good."""
import streamlit as st

from metrics.registry import entry, label
from ui import format as fmt


def card(container, key: str, value, previous, title: str | None = None, help_text: str | None = None) -> None:
    """One st.metric: e.g. 响应率 98.25% with "+0.35 个百分点 环比" in green when up is good."""
    change = fmt.delta(key, value, previous)
    container.metric(title or label(key), fmt.value(key, value), delta=change, delta_color=fmt.delta_color(key),
                     delta_description="环比" if change else None, help=help_text or entry(key).description,
                     border=True)


def cards(summary: dict, keys: list[str], titles: dict[str, str] | None = None,
          helps: dict[str, str] | None = None, with_change: bool = True) -> list:
    """A row of cards from a summary dict holding `key` and `prev_key` for each key; returns the columns.
    with_change=False leaves the 环比 out (e.g. the previous period holds no data at all)."""
    titles, helps = titles or {}, helps or {}
    columns = st.columns(len(keys))
    for column, key in zip(columns, keys):
        previous = summary.get(f"prev_{key}") if with_change else None
        card(column, key, summary.get(key), previous, titles.get(key), helps.get(key))
    return columns
