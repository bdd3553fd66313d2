"""Charts for print: the app's Altair charts (ui.charts) rendered to PNG with a CJK font, and a hotspot map.

The app's map is pydeck, drawn by the browser; for a document the hotspots are drawn here as an Altair chart in a
Mercator projection (no basemap, as in the app): circles sized by volume, surges red, street names at the
volume-weighted centre of their hotspots. vl-convert renders offline; the Noto CJK fonts make Chinese show.
"""
from functools import cache

import altair as alt
import pandas as pd
import vl_convert as vlc

import settings
from ui.charts import AMBER, BLUE, FONT_SIZE, GREY, RED

FONT_DIR = settings.BRIEFING_FONT_DIR.get()
FONT = "Noto Sans CJK SC"
WIDTH = 640   # CSS pixels of a chart in the document (the app's charts fill their container instead)
SCALE = 1.5   # pixel density of the PNG: 960 px across 16 cm, about 150 dpi on paper
SURGE_TEXT, HOTSPOT_TEXT = "突增", "高频点位"


@cache
def _fonts() -> None:
    vlc.register_font_directory(FONT_DIR)


def png(chart: alt.TopLevelMixin, width: int = WIDTH) -> bytes:
    """The chart at a fixed width, every text in the CJK font, as PNG bytes."""
    _fonts()
    spec = chart.properties(width=width).to_dict()
    spec.setdefault("config", {})["font"] = FONT
    return vlc.vegalite_to_png(spec, scale=SCALE)


def street_labels(spots: pd.DataFrame) -> pd.DataFrame:
    """street, lat, lon: the volume-weighted centre of each street's places."""
    named = spots.dropna(subset=["street"])
    weights = named["volume"].astype(float)
    sums = named.assign(w=weights, wlat=named["lat"] * weights, wlon=named["lon"] * weights).groupby("street")[
        ["w", "wlat", "wlon"]].sum()
    return pd.DataFrame({"street": sums.index, "lat": sums["wlat"] / sums["w"], "lon": sums["wlon"] / sums["w"]})


def hotspot_map(spots: pd.DataFrame, height: int = 460) -> alt.LayerChart:
    """Places with coordinates (metrics.hotspots rows without placeholders): size by volume, colour by status."""
    frame = spots.assign(status=[SURGE_TEXT if s else HOTSPOT_TEXT if h else "其他"
                                 for s, h in zip(spots["surge"], spots["hotspot"])],
                         # drawn last, on top: surges, then the larger places
                         layer=spots["volume"] + spots["surge"].astype(int) * (spots["volume"].max() + 1))
    points = alt.Chart(frame).mark_circle(opacity=0.75, stroke="white", strokeWidth=0.5).encode(
        longitude="lon:Q", latitude="lat:Q",
        size=alt.Size("volume:Q", title="诉求量", scale=alt.Scale(range=[40, 900])),
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=[SURGE_TEXT, HOTSPOT_TEXT, "其他"], range=[RED, BLUE, GREY])),
        order=alt.Order("layer:Q"),
    ).project(type="mercator")
    names = alt.Chart(street_labels(frame)).mark_text(fontSize=FONT_SIZE - 2, color=AMBER, fontWeight="bold").encode(
        longitude="lon:Q", latitude="lat:Q", text="street:N").project(type="mercator")
    return (alt.layer(points, names).properties(height=height)
            .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom")
            .configure_view(stroke=GREY, strokeWidth=0.5))
