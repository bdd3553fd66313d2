"""KPI cards: a value formatted from the registry, with its 环比 delta coloured by the metric's direction of good.

A row of cards is a wrapping row of fixed-width cards, not equal columns: five columns of a 1366-pixel laptop
screen are too narrow for "98.76%" in the metric's large type and cut it to "98.7…"; fixed cards wrap onto a
second line instead (1920 × 1080 keeps all five on one line)."""
import streamlit as st

from metrics.registry import entry, label
from ui import format as fmt


CARD_WIDTH = 236  # px: "100.00%" in the value's type and "-10.25 个百分点 环比" below it, with the border's padding


def card(container, key: str, value, previous, title: str | None = None, help_text: str | None = None,
         width: int | str = "stretch") -> None:
    """One st.metric: e.g. 响应率 98.25% with "+0.35 个百分点 环比" in green when up is good."""
    change = fmt.delta(key, value, previous)
    flat = change == fmt.FLAT
    container.metric(title or label(key), fmt.value(key, value), delta=change,
                     delta_color="off" if flat else fmt.delta_color(key), delta_arrow="off" if flat else "auto",
                     delta_description="环比" if change else None, help=help_text or entry(key).description,
                     border=True, width=width)


def cards(summary: dict, keys: list[str], titles: dict[str, str] | None = None,
          helps: dict[str, str] | None = None, with_change: bool = True) -> list:
    """A row of cards from a summary dict holding `key` and `prev_key` for each key; returns the row.
    with_change=False leaves the 环比 out (e.g. the previous period holds no data at all)."""
    titles, helps = titles or {}, helps or {}
    row = st.container(horizontal=True, wrap=True, gap="small")
    for key in keys:
        previous = summary.get(f"prev_{key}") if with_change else None
        card(row, key, summary.get(key), previous, titles.get(key), helps.get(key), width=CARD_WIDTH)
    return row
