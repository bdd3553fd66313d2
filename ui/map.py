"""The hotspot map (pydeck, offline): street areas and the district outline under H3 hexagons or address points
sized by volume, surges in red, street labels.

No basemap by default (map_provider=None and no map_style: nothing is fetched from the internet; an explicit
map_style=None would make Streamlit fall back to a Carto basemap); an intranet style.json can be set with
MAP_STYLE_URL. Only aggregates reach the map: one row per hotspot, one label per street.
"""
import math

import pandas as pd
import pydeck as pdk
import streamlit as st

import settings
from metrics.hotspots import NO_PREVIOUS

SURGE = [214, 39, 40, 210]
HOTSPOT = [31, 119, 180, 190]
OTHER = [150, 150, 150, 150]
COLOURS = {"突增": SURGE, "新增": HOTSPOT, "高频": HOTSPOT, "": OTHER}
LABEL = [40, 40, 40, 255]
# Pale fills taking turns street by street, so that neighbours read apart; outlines in grey, the district darker.
AREA_FILLS = [[237, 233, 220, 150], [222, 232, 240, 150], [232, 240, 224, 150], [244, 230, 230, 150]]
AREA_LINE = [120, 120, 120, 200]
OUTLINE = [60, 60, 60, 255]
PIXELS_PER_ROOT_CASE = 3.5
MAX_ZOOM = 15
MIN_SPAN = 0.005  # degrees (~500 m): one lone spot still opens at street level
MAP_HEIGHT = 560
MAP_PIXELS = (860, MAP_HEIGHT)  # a typical main column's width, and the map's height on the page
# Quoted so that pydeck passes them as strings, not as expressions (STREAMLIT_NOTES.md).
CJK_CHARACTERS = '"auto"'
CJK_FONT = '"Noto Sans CJK SC, Noto Sans SC, sans-serif"'
TOOLTIP_HTML = "<b>{label}</b><br/>所属街道：{street}<br/>本期 {volume} 件，{prev_text}<br/>{status}"
TOOLTIP_STYLE = {"backgroundColor": "#ffffff", "color": "#222222", "fontSize": "15px",
                 "border": "1px solid #999999"}


def drawable(spots: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The rows the map can draw, and a note about those it leaves off (placeholder or missing coordinates)."""
    placeholder = spots["placeholder"].fillna(False).astype(bool)
    located = spots["lat"].notna() & spots["lon"].notna()
    keep = spots[located & ~placeholder]
    notes = []
    if placeholder.any():
        notes.append(f"{int(placeholder.sum())} 个点位的坐标为占位坐标（如默认中心点），未画在图上")
    if (~located & ~placeholder).any():
        notes.append(f"{int((~located & ~placeholder).sum())} 个点位没有坐标，只列在表中")
    return keep, ("；".join(notes) + "。") if notes else None


def styled(spots: pd.DataFrame) -> pd.DataFrame:
    """Adds what the layers and the Chinese tooltip read: colour, radius, status text."""
    out = spots.copy()
    out["status"] = statuses(out)
    out["color"] = [COLOURS[s] for s in out["status"]]
    # Area, not radius, follows volume; in screen pixels, so points stay readable at any zoom.
    out["radius"] = [PIXELS_PER_ROOT_CASE * math.sqrt(max(float(v), 1.0)) for v in out["volume"]]
    out["street"] = out["street"].fillna("—")
    out["prev_text"] = [NO_PREVIOUS if pd.isna(v) else f"上期 {int(v)} 件" for v in out["prev_volume"]]
    out["prev_volume"] = out["prev_volume"].fillna(0).astype(int)  # not shown (prev_text is); JSON has no NA
    return out


def statuses(spots: pd.DataFrame) -> list[str]:
    """突增 / 新增 / 高频 / "" for each spot, for the map's tooltip and the hotspot table alike (METRICS.md §7)."""
    surge, new, hot = (spots[c].fillna(False).astype(bool) if c in spots else [False] * len(spots)
                       for c in ("surge", "new", "hotspot"))
    return ["突增" if s else "新增" if n else "高频" if h else "" for s, n, h in zip(surge, new, hot)]


def street_labels(units: pd.DataFrame, spots: pd.DataFrame, areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """One label per street: the unit's own coordinates, else a point inside its area (metrics.street_areas), else
    the volume-weighted centre of its hotspots."""
    own = units[units["unit_type"].isin(("街道", "乡镇")) & units["lat"].notna() & units["lon"].notna()]
    labels = own[["name", "lat", "lon"]]
    if areas is not None and not areas.empty:
        labels = pd.concat([labels, areas.loc[~areas["name"].isin(labels["name"]), ["name", "lat", "lon"]]],
                           ignore_index=True)
    rest = spots[~spots["street"].isin(labels["name"]) & spots["street"].notna()]
    if rest.empty:
        return labels.reset_index(drop=True)
    weights = rest["volume"].astype(float)
    centre = (rest[["lat", "lon"]].mul(weights, axis=0).groupby(rest["street"]).sum()
              .div(weights.groupby(rest["street"]).sum(), axis=0).reset_index().rename(columns={"street": "name"}))
    return pd.concat([labels, centre], ignore_index=True) if not labels.empty else centre


def area_layers(areas: pd.DataFrame, outline: list) -> list[pdk.Layer]:
    """Street areas (pale fills, grey edges, one row per ring) and the district's outline, drawn under the spots."""
    rings = [{"name": name, "ring": ring, "fill": AREA_FILLS[i % len(AREA_FILLS)]}
             for i, (name, street_rings) in enumerate(zip(areas["name"], areas["rings"])) for ring in street_rings]
    return [pdk.Layer("PolygonLayer", rings, id="streets_area", get_polygon="ring", get_fill_color="fill",
                      get_line_color=AREA_LINE, line_width_min_pixels=1, stroked=True, filled=True, pickable=False),
            pdk.Layer("PathLayer", [{"path": ring} for ring in outline], id="district", get_path="path",
                      get_color=OUTLINE, width_min_pixels=3, pickable=False)]


def extent(spots: pd.DataFrame, outline: list) -> pd.DataFrame:
    """lat, lon of what the view must hold: the spots and the district outline."""
    points = pd.DataFrame([(lat, lon) for ring in outline for lon, lat in ring], columns=["lat", "lon"])
    return pd.concat([spots[["lat", "lon"]], points], ignore_index=True)


def view_of(spots: pd.DataFrame) -> pdk.ViewState:
    """A view whose zoom fits the points' extent into the map's size (Web Mercator), not closer than street level."""
    if spots.empty:  # Beijing's centre, so an empty map still opens somewhere sensible
        return pdk.ViewState(latitude=39.9042, longitude=116.4074, zoom=11)
    lat, lon = spots["lat"].astype(float), spots["lon"].astype(float)
    centre_lat = (lat.min() + lat.max()) / 2
    # A 30 % margin keeps edge points (up to 28 px) and their labels whole; a degree of latitude is 1/cos(lat)
    # times as tall on screen as a degree of longitude is wide.
    lon_span = max(lon.max() - lon.min(), MIN_SPAN) * 1.3
    lat_span = max(lat.max() - lat.min(), MIN_SPAN) * 1.3 / math.cos(math.radians(centre_lat))
    width, height = MAP_PIXELS
    # deck.gl's world is 512 px wide at zoom 0 (the Mapbox convention), doubling at each level.
    zoom = min(math.log2(width * 360 / (512 * lon_span)), math.log2(height * 360 / (512 * lat_span)), MAX_ZOOM)
    return pdk.ViewState(latitude=centre_lat, longitude=(lon.min() + lon.max()) / 2, zoom=round(zoom, 2))


def hotspot_deck(spots: pd.DataFrame, labels: pd.DataFrame, by: str, style_url: str | None = None,
                 areas: tuple[pd.DataFrame, list] | None = None) -> pdk.Deck:
    """The deck for drawable spots (see `drawable`); `by` is 'h3' (hexagons) or 'address' (points); `areas` the
    street areas and district outline of metrics.street_areas."""
    data = styled(spots)
    if by == "h3":
        spots_layer = pdk.Layer("H3HexagonLayer", data, id="hotspots", get_hexagon="key", get_fill_color="color",
                                get_line_color=[255, 255, 255], line_width_min_pixels=1, extruded=False,
                                pickable=True, auto_highlight=True)
    else:
        spots_layer = pdk.Layer("ScatterplotLayer", data, id="hotspots", get_position=["lon", "lat"],
                                get_radius="radius", radius_units='"pixels"', get_fill_color="color",
                                radius_min_pixels=6, radius_max_pixels=28, stroked=True,
                                get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=True,
                                auto_highlight=True)
    # Short names (东华门, not 东华门街道): street centres lie about a kilometre apart, too close for full names.
    labels = labels.assign(short=[str(n).removesuffix("街道") for n in labels["name"]])
    text_layer = pdk.Layer("TextLayer", labels, id="streets", get_position=["lon", "lat"], get_text="short",
                           get_size=15, get_color=LABEL, get_pixel_offset=[0, -18], character_set=CJK_CHARACTERS,
                           font_family=CJK_FONT, background=True, get_background_color=[255, 255, 255, 200],
                           pickable=False)
    # map_style=None would make Streamlit pick an internet (Carto) basemap; left unset, pydeck sends its
    # "no style" marker and nothing is fetched.
    basemap = {"map_style": style_url} if style_url else {}
    street_areas, outline = areas if areas is not None else (pd.DataFrame(columns=["name", "rings"]), [])
    under = area_layers(street_areas, outline) if len(street_areas) else []
    return pdk.Deck(layers=[*under, spots_layer, text_layer], initial_view_state=view_of(extent(spots, outline)),
                    map_provider=None, tooltip={"html": TOOLTIP_HTML, "style": TOOLTIP_STYLE}, **basemap)


def show_map(spots: pd.DataFrame, labels: pd.DataFrame, by: str, key: str,
             areas: tuple[pd.DataFrame, list] | None = None) -> str | None:
    """Draws the map; returns the key of a hotspot clicked on it, if any."""
    deck = hotspot_deck(spots, labels, by, settings.MAP_STYLE_URL.get(), areas)
    event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key=key, height=MAP_HEIGHT)
    picked = event.selection.objects.get("hotspots") or []
    return picked[0].get("key") if picked else None
