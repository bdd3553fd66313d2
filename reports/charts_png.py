"""Charts for print: the app's Altair charts (charts) rendered to PNG with a CJK font, and a hotspot map.

The app's map is pydeck, drawn by the browser; for a document the hotspots are drawn here as an Altair chart in a
Mercator projection (no basemap, as in the app): street areas and the district outline (metrics.street_areas)
under circles sized by volume, surges red, and the names of the busiest streets — only as many as fit without
two labels overlapping. vl-convert renders offline; the Noto CJK fonts make Chinese show.
"""
from functools import cache

import altair as alt
import pandas as pd
import vl_convert as vlc

import settings
from charts import AMBER, BLUE, FONT_SIZE, GREY, RED

FONT_DIR = settings.BRIEFING_FONT_DIR.get()
FONT = "Noto Sans CJK SC"
WIDTH = 640   # CSS pixels of a chart in the document (the app's charts fill their container instead)
SCALE = 1.5   # pixel density of the PNG: 960 px across 16 cm, about 150 dpi on paper
SURGE_TEXT, HOTSPOT_TEXT = "突增", "高频点位"
TOP_LABELS = 10
# A label's box as a share of the map's extent (about 4 characters of 12 px across a 640 × 460 map): two labels
# closer than this in both directions would overlap, and the less busy street goes unlabelled.
LABEL_BOX = (0.06, 0.14)  # (latitude, longitude)


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
    """street, lat, lon, volume: the volume-weighted centre of each street's places."""
    named = spots.dropna(subset=["street"])
    weights = named["volume"].astype(float)
    sums = named.assign(w=weights, wlat=named["lat"] * weights, wlon=named["lon"] * weights).groupby("street")[
        ["w", "wlat", "wlon"]].sum()
    return pd.DataFrame({"street": sums.index, "lat": sums["wlat"] / sums["w"], "lon": sums["wlon"] / sums["w"],
                         "volume": sums["w"]})


def placed_labels(labels: pd.DataFrame, extent: pd.DataFrame, top: int = TOP_LABELS) -> pd.DataFrame:
    """The busiest streets' labels (street, lat, lon, volume), at most `top`, leaving out any that would overlap a
    busier one on a map of `extent` (lat, lon of everything drawn); names shortened (东华门, not 东华门街道)."""
    lat_box = LABEL_BOX[0] * max(extent["lat"].max() - extent["lat"].min(), 1e-3)
    lon_box = LABEL_BOX[1] * max(extent["lon"].max() - extent["lon"].min(), 1e-3)
    kept = []
    for row in labels.sort_values(["volume", "street"], ascending=[False, True]).itertuples():
        if len(kept) == top:
            break
        if all(abs(row.lat - k.lat) >= lat_box or abs(row.lon - k.lon) >= lon_box for k in kept):
            kept.append(row)
    placed = pd.DataFrame(kept, columns=["Index", "street", "lat", "lon", "volume"]).drop(columns="Index")
    return placed.assign(street=[str(name).removesuffix("街道") for name in placed["street"]])


def _area_shapes(areas: pd.DataFrame, outline: list) -> list[alt.Chart]:
    """Street areas (pale, grey edges) and the district outline as GeoJSON shapes. Rings reversed: Vega's d3-geo
    reads a counter-clockwise ring (GeoJSON's and H3's order) as the whole globe outside it."""
    features = [{"type": "Feature", "properties": {"name": name},
                 "geometry": {"type": "Polygon", "coordinates": [ring[::-1]]}}
                for name, rings in zip(areas["name"], areas["rings"]) for ring in rings]
    border = [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": ring}}
              for ring in outline]
    return [alt.Chart(alt.Data(values=features)).mark_geoshape(fill="#efece3", stroke=GREY, strokeWidth=0.6)
            .project(type="mercator"),
            alt.Chart(alt.Data(values=border)).mark_geoshape(filled=False, stroke="#3c3c3c", strokeWidth=1.8)
            .project(type="mercator")]


def hotspot_map(spots: pd.DataFrame, height: int = 460,
                areas: tuple[pd.DataFrame, list] | None = None) -> alt.LayerChart:
    """Places with coordinates (metrics.hotspots rows without placeholders): size by volume, colour by status, over
    the street areas and district outline of metrics.street_areas when given."""
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
    street_areas, outline = areas if areas is not None else (pd.DataFrame(columns=["name", "rings"]), [])
    labels = (street_areas.rename(columns={"name": "street"})[["street", "lat", "lon", "volume"]]
              if len(street_areas) else street_labels(frame))
    extent = pd.concat([frame[["lat", "lon"]],
                        pd.DataFrame([(lat, lon) for ring in outline for lon, lat in ring], columns=["lat", "lon"])])
    names = alt.Chart(placed_labels(labels, extent)).mark_text(
        fontSize=FONT_SIZE - 2, color=AMBER, fontWeight="bold").encode(
        longitude="lon:Q", latitude="lat:Q", text="street:N").project(type="mercator")
    under = _area_shapes(street_areas, outline) if len(street_areas) else []
    return (alt.layer(*under, points, names).properties(height=height)
            .configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="bottom")
            .configure_view(stroke=GREY, strokeWidth=0.5))
