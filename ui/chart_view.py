"""Charts on screen: the Vega-Lite spec of each charts builder, cached per data and options.

Building an Altair chart and validating its spec against the Vega-Lite schema is most of a repeated page view
(about 0.1 s of 总览's 0.15 s on the district); the same aggregates give the same spec, so a repeated view draws
the stored spec instead.
"""
import streamlit as st

from ui.db import MAX_ENTRIES, TTL_SECONDS


@st.cache_data(ttl=TTL_SECONDS, max_entries=MAX_ENTRIES, show_spinner=False)
def _spec(_builder, builder_name: str, args: tuple, kwargs: tuple) -> dict:
    # `_builder` is not hashed (leading underscore); `builder_name` stands for it in the cache key.
    return _builder(*args, **dict(kwargs)).to_dict()


def show(builder, *args, where=None, **kwargs) -> None:
    """Draw builder(*args, **kwargs) — a charts function — in `where` (a column or container; the page by
    default)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    (where or st).vega_lite_chart(spec=_spec(builder, name, args, tuple(sorted(kwargs.items()))))
