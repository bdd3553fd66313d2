"""The hotspot map builder: what it draws, what it leaves off, and that nothing in it points outside the intranet."""
import json

import h3
import pandas as pd
import pytest

from ui.map import HOTSPOT, MAX_ZOOM, OTHER, SURGE, drawable, hotspot_deck, street_labels, styled, view_of


def spot(key, street, lat, lon, volume, prev=None, surge=False, hotspot=True, placeholder=False):
    return dict(key=key, label=f"点位{key}", street=street, lat=lat, lon=lon, volume=volume, prev_volume=prev,
                change=None, surge=surge, hotspot=hotspot, placeholder=placeholder)


@pytest.fixture
def spots():
    return pd.DataFrame([
        spot(h3.latlng_to_cell(39.90, 116.40, 9), "东华门街道", 39.90, 116.40, 1, prev=1, hotspot=False),
        spot(h3.latlng_to_cell(39.94, 116.44, 9), "东华门街道", 39.94, 116.44, 3, prev=1, surge=True),
        spot("p", "景山街道", 39.91, 116.39, 80, placeholder=True),
        spot("n", "景山街道", None, None, 7),
    ])


def test_placeholder_and_unlocated_points_are_left_off_with_a_note(spots):
    keep, note = drawable(spots)
    assert list(keep["volume"]) == [1, 3]
    assert note == "1 个点位的坐标为占位坐标（如默认中心点），未画在图上；1 个点位没有坐标，只列在表中。"


def test_nothing_left_off_means_no_note(spots):
    assert drawable(spots.iloc[:2])[1] is None


def test_surges_red_hotspots_blue_others_grey_and_area_follows_volume(spots):
    out = styled(spots.iloc[[0, 1, 3]])
    assert list(out["color"]) == [OTHER, SURGE, HOTSPOT]
    assert list(out["status"]) == ["", "突增", "高频"]
    assert out["radius"].iloc[1] / out["radius"].iloc[0] == pytest.approx(3 ** 0.5)


def test_street_label_from_the_unit_else_the_weighted_centre_of_its_spots(spots):
    units = pd.DataFrame(dict(name=["景山街道", "东华门街道", "区城管委"], unit_type=["街道", "街道", "区级部门"],
                              lat=[39.92, None, 39.0], lon=[116.38, None, 116.0]))
    labels = street_labels(units, drawable(spots)[0]).set_index("name")
    assert sorted(labels.index) == ["东华门街道", "景山街道"]
    assert labels.loc["景山街道", "lat"] == pytest.approx(39.92)
    # (39.90 × 1 + 39.94 × 3) / 4 and (116.40 × 1 + 116.44 × 3) / 4
    assert labels.loc["东华门街道", "lat"] == pytest.approx(39.93)
    assert labels.loc["东华门街道", "lon"] == pytest.approx(116.43)


@pytest.mark.parametrize("by, layer_type", [("h3", "H3HexagonLayer"), ("address", "ScatterplotLayer")])
def test_deck_is_offline_with_cjk_labels(spots, by, layer_type):
    keep = drawable(spots)[0]
    deck = hotspot_deck(keep, street_labels(pd.DataFrame(columns=["name", "unit_type", "lat", "lon"]), keep), by)
    spec = json.loads(deck.to_json())
    hexes, text = spec["layers"]
    assert hexes["@@type"] == layer_type and hexes["pickable"] is True
    assert text["@@type"] == "TextLayer" and text["characterSet"] == "auto"
    assert text["data"] == [{"name": "东华门街道", "lat": pytest.approx(39.93), "lon": pytest.approx(116.43),
                             "short": "东华门"}]
    assert text["getText"] == "@@=short"
    # no provider and pydeck's "no style" marker: Streamlit then draws no basemap (with no style at all, it would
    # fetch a Carto basemap from the internet)
    assert "mapProvider" not in spec and spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in json.dumps(spec)
    assert "所属街道" in deck._tooltip["html"]


def test_intranet_style_url_is_passed_through(spots):
    deck = hotspot_deck(drawable(spots)[0], pd.DataFrame(columns=["name", "lat", "lon"]), "h3",
                        "http://10.0.0.5/style.json")
    assert json.loads(deck.to_json())["mapStyle"] == "http://10.0.0.5/style.json"


def test_view_fits_the_district_into_the_map():
    # 东城区's extent, 39.86-39.96 N x 116.39-116.43 E: the latitude span decides. With the 30 % margin it is
    # 0.13 / cos(39.91 deg) = 0.16948 degree-equivalents; zoom = log2(560 * 360 / (512 * 0.16948)) = 11.182.
    spots = pd.DataFrame(dict(lat=[39.86, 39.96, 39.91], lon=[116.39, 116.43, 116.41]))
    view = view_of(spots)
    assert (view.latitude, view.longitude) == (pytest.approx(39.91), pytest.approx(116.41))
    assert view.zoom == pytest.approx(11.18, abs=0.01)
    one = view_of(pd.DataFrame(dict(lat=[39.9], lon=[116.4])))
    assert one.zoom == MAX_ZOOM
