"""Street areas for the maps (metrics.street_areas): cells given to the street with most cases, outlines from their
union, read from the place summary on every database; the map layers and the briefing map's labels."""
from datetime import datetime

import h3
import pandas as pd
import pytest

from data_access.ingest.h3_cells import stored_cell
from metrics.street_areas import AREA_RESOLUTION, areas_from_cells, assign_cells, street_areas
from reports.charts_png import placed_labels
from tests.factories import case_row, units, write
from ui.map import hotspot_deck

# Two points 2 km apart (different resolution-8 cells) and one next to the first (same cell).
WEST, EAST, NEAR_WEST = (39.915, 116.390), (39.915, 116.414), (39.9152, 116.3902)


def _cell(point) -> int:
    return stored_cell(*point)


def _area_cell(point) -> str:
    return h3.latlng_to_cell(*point, AREA_RESOLUTION)


def test_a_cell_goes_to_the_street_with_most_cases_there():
    rows = [("东华门街道", _cell(WEST), 3), ("景山街道", _cell(NEAR_WEST), 2), ("景山街道", _cell(EAST), 1)]
    owned = assign_cells(rows)
    assert dict(owned["东华门街道"]) == {_area_cell(WEST): 5}  # 3 + 2 cases in the cell, 东华门 has more
    assert dict(owned["景山街道"]) == {_area_cell(EAST): 1}


def test_areas_tile_without_overlap_and_the_outline_holds_them():
    rows = [("东华门街道", _cell(WEST), 3), ("景山街道", _cell(EAST), 1)]
    areas, outline = areas_from_cells(rows)
    assert list(areas["name"]) == ["东华门街道", "景山街道"]  # most cases first
    assert list(areas["volume"]) == [3, 1]
    west_ring = areas["rings"][0][0]
    assert len(west_ring) == 7 and west_ring[0] == west_ring[-1]  # one hexagon, closed, [lon, lat] pairs
    assert (areas["lat"][0], areas["lon"][0]) == pytest.approx(h3.cell_to_latlng(_area_cell(WEST)))
    # two cells 2 km apart do not touch: the district outline has one ring around each
    assert len(outline) == 2 and sorted(len(r) for r in outline) == [7, 7]


def test_street_areas_read_the_place_summary(engine):
    ids = units(engine, ("东华门街道", "街道"))
    uid = ids["东华门街道"]
    rows = [case_row(f"s{i}", uid, datetime(2025, 3, 1 + i, 9), street="东华门街道", lat=WEST[0], lon=WEST[1],
                     address="东华门大街1号") for i in range(3)]
    rows.append(case_row("s9", uid, datetime(2025, 3, 5, 9), street="景山街道", lat=EAST[0], lon=EAST[1],
                         address="景山前街5号"))
    write(engine, rows)
    areas, outline = street_areas(engine, "r")
    assert list(zip(areas["name"], areas["volume"])) == [("东华门街道", 3), ("景山街道", 1)]
    assert len(outline) == 2


def test_the_map_draws_areas_and_outline_under_the_spots():
    areas, outline = areas_from_cells([("东华门街道", _cell(WEST), 3), ("景山街道", _cell(EAST), 1)])
    spots = pd.DataFrame({"key": ["a"], "label": ["东华门大街1号"], "street": ["东华门街道"], "lat": [WEST[0]],
                          "lon": [WEST[1]], "volume": [3], "prev_volume": [1], "surge": [True], "hotspot": [True],
                          "placeholder": [False]})
    labels = pd.DataFrame({"name": ["东华门街道"], "lat": [WEST[0]], "lon": [WEST[1]]})
    deck = hotspot_deck(spots, labels, "address", areas=(areas, outline))
    assert [layer.id for layer in deck.layers] == ["streets_area", "district", "hotspots", "streets"]
    assert len(deck.layers[0].data) == 2 and len(deck.layers[1].data) == 2


def test_briefing_map_labels_the_busiest_streets_without_overlap():
    labels = pd.DataFrame({"street": ["甲街道", "乙街道", "丙街道", "丁街道"],
                           "lat": [39.90, 39.901, 39.95, 39.92], "lon": [116.40, 116.401, 116.45, 116.42],
                           "volume": [10, 20, 5, 1]})
    extent = labels[["lat", "lon"]]
    placed = placed_labels(labels, extent, top=3)
    # 甲 sits on 乙 (busier) and is left out; 丁 would be the fourth: only three allowed
    assert list(placed["street"]) == ["乙", "丙", "丁"][:3]
    assert list(placed_labels(labels, extent, top=2)["street"]) == ["乙", "丙"]
