"""Every Altair chart of the dashboard, as pure functions (DataFrame) -> alt.Chart.

No streamlit here: the briefing generator renders the same specs to PNG. Charts receive aggregates only (one row
per period, unit or category), never case rows. Titles and axis names come from the metric registry; few
colours, large type for a projector.
"""
import altair as alt
import pandas as pd

from metrics.registry import entry, label

RED, BLUE, GREY, AMBER, GREEN = "#b71c1c", "#1f4e79", "#6b7280", "#c27c0e", "#2e7d32"
FONT_SIZE = 15
WIDTH = "container"


def _axis_format(key: str) -> str:
    return {"pct": ".1%", "int": ",d"}.get(entry(key).fmt, ".1f")


def _tip_format(key: str) -> str:
    return {"pct": ".2%", "int": ",d"}.get(entry(key).fmt, ".2f")


def _tip(field: str, key: str | None = None) -> alt.Tooltip:
    key = key or field
    return alt.Tooltip(f"{field}:Q", title=label(key), format=_tip_format(key))


def _styled(chart, height: int = 320):
    return (chart.properties(width=WIDTH, height=height)
            .configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelLimit=240)
            .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom")
            .configure_title(fontSize=FONT_SIZE + 3, anchor="start")
            .configure_view(strokeWidth=0))


def _periods_axis(frame: pd.DataFrame) -> alt.X:
    """Periods in the order given (oldest first), labelled in Chinese."""
    order = list(dict.fromkeys(frame["period_label"]))
    return alt.X("period_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-40))


def score_trend(trend: pd.DataFrame, value: str = "adjusted_score", target: float | None = None,
                target_label: str = "目标") -> alt.Chart:
    """Score (or a rate) over periods, one line per unit_name, with a dashed target line.

    `trend` has period_label, unit_name and `value` (metrics.scores.score_trend rows).
    """
    trend = trend[["period_label", "unit_name", value]]  # the browser gets every column it is sent
    lines = alt.Chart(trend).mark_line(point=alt.OverlayMarkDef(size=70), strokeWidth=3).encode(
        x=_periods_axis(trend),
        y=alt.Y(f"{value}:Q", title=label(value), scale=alt.Scale(zero=False),
                axis=alt.Axis(format=_axis_format(value))),
        color=alt.Color("unit_name:N", title=None, scale=alt.Scale(range=[RED, BLUE, AMBER, GREEN, GREY])),
        tooltip=[alt.Tooltip("period_label:N", title="时间段"), alt.Tooltip("unit_name:N", title="单位"),
                 _tip(value)],
    )
    if target is None:
        return _styled(lines)
    rule = pd.DataFrame({"target": [target], "text": [f"{target_label} {target:g}"]})
    line = alt.Chart(rule).mark_rule(color=GREY, strokeDash=[6, 4], strokeWidth=2).encode(y="target:Q")
    text = alt.Chart(rule).mark_text(align="left", dx=4, dy=-8, color=GREY, fontSize=FONT_SIZE).encode(
        y="target:Q", x=alt.value(0), text="text:N")
    return _styled(alt.layer(lines, line, text))


def rank_over_time(trend: pd.DataFrame) -> alt.Chart:
    """Rank by period for chosen units: rank 1 at the top; periods without a rank leave a gap."""
    ranked = trend.dropna(subset=["rank"]).astype({"rank": int})[["period_label", "unit_name", "rank",
                                                                   "adjusted_score"]]
    top = int(ranked["rank"].max()) if len(ranked) else 1
    chart = alt.Chart(ranked).mark_line(point=alt.OverlayMarkDef(size=80), strokeWidth=3).encode(
        x=_periods_axis(trend),
        y=alt.Y("rank:Q", title=label("rank"), scale=alt.Scale(reverse=True, domain=[1, max(top, 2)], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("unit_name:N", title=None),
        tooltip=[alt.Tooltip("period_label:N", title="时间段"), alt.Tooltip("unit_name:N", title="单位"),
                 alt.Tooltip("rank:Q", title=label("rank")), _tip("adjusted_score")],
    )
    return _styled(chart)


def _longest_first(frame: pd.DataFrame, category: str, value: str) -> list:
    # An explicit order: Streamlit's Vega-Lite ignores sort="-x" in a layered chart.
    return list(frame.sort_values(value, ascending=False)[category])


def _bars(frame: pd.DataFrame, category: str, value: str, title: str, colour: str) -> alt.Chart:
    return alt.Chart(frame).mark_bar(color=colour).encode(
        y=alt.Y(f"{category}:N", sort=_longest_first(frame, category, value), title=None),
        x=alt.X(f"{value}:Q", title=label(value), axis=alt.Axis(format=_axis_format(value))),
        tooltip=[alt.Tooltip(f"{category}:N", title=title), _tip(value)],
    )


def loss_by_category(losses: pd.DataFrame, by: str = "cat_l1", value: str = "cost", top: int = 12) -> alt.Chart:
    """Points lost by category (or community): the categories that cost most, longest bar first."""
    frame = losses.nlargest(top, value)
    return _styled(_bars(frame, by, value, "类别", RED), height=max(160, 34 * len(frame)))


def category_mix(mix: pd.DataFrame, by: str = "cat_l1", value: str = "volume", change: str = "change",
                 top: int = 10) -> alt.Chart:
    """Top categories by volume, each bar labelled with its change against the previous period (red = more)."""
    frame = mix.nlargest(top, value).assign(
        _change_text=lambda d: d[change].map(lambda c: "新" if pd.isna(c) else f"{c:+,.0f}"),
        _colour=lambda d: d[change].map(lambda c: "增加" if c > 0 else "减少或持平"))
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y(f"{by}:N", sort=_longest_first(frame, by, value), title=None),
        x=alt.X(f"{value}:Q", title=label(value)),
        # Legend on the right: in Streamlit 1.64 a bottom legend collapses this layered bar chart to no height.
        color=alt.Color("_colour:N", title="环比", scale=alt.Scale(domain=["增加", "减少或持平"], range=[RED, BLUE]),
                        legend=alt.Legend(orient="right")),
        tooltip=[alt.Tooltip(f"{by}:N", title="类别"), _tip(value),
                 alt.Tooltip("_change_text:N", title="环比变化")],
    )
    text = bars.mark_text(align="left", dx=6, fontSize=FONT_SIZE, color=GREY).encode(
        text="_change_text:N", color=alt.value(GREY))
    return _styled(alt.layer(bars, text), height=max(160, 36 * len(frame)))


def volume_trend(trend: pd.DataFrame, series: str = "tag", value: str = "volume") -> alt.Chart:
    """Volume over periods, one line per series (每月一题 topics, categories)."""
    chart = alt.Chart(trend).mark_line(point=True, strokeWidth=3).encode(
        x=_periods_axis(trend),
        y=alt.Y(f"{value}:Q", title=label(value)),
        color=alt.Color(f"{series}:N", title=None),
        tooltip=[alt.Tooltip("period_label:N", title="时间段"), alt.Tooltip(f"{series}:N", title="主题"),
                 _tip(value)],
    )
    return _styled(chart, height=280)


def hot_words(frame: pd.DataFrame) -> alt.Chart:
    """Hot words of one group as horizontal bars (cases that use the word), rising words red.

    `frame` has word, word_count, prev_size and word_change (metrics.text.hotwords rows, renamed by the page).
    """
    frame = frame[["word", "word_count", "prev_size", "word_change"]].assign(
        rising=frame["word_change"] > 0)
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("word:N", sort="-x", title=None),
        x=alt.X("word_count:Q", title=label("word_count"), axis=alt.Axis(format=",d")),
        color=alt.Color("rising:N", scale=alt.Scale(domain=[True, False], range=[RED, BLUE]),
                        legend=alt.Legend(title="较上期", labelExpr="datum.value ? '增加' : '持平或减少'")),
        tooltip=[alt.Tooltip("word:N", title=label("word")), _tip("word_count"), _tip("prev_size"),
                 _tip("word_change")],
    )
    return _styled(bars, height=max(160, 26 * len(frame)))
