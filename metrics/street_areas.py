"""Street (街道/乡镇) areas for the maps, drawn from where each street's cases lie, so that a leader can orient
without internet tiles or a GIS file.

The district is cut into H3 cells of AREA_RESOLUTION (about 0.7 km² each); each cell goes to the street with the
most cases in it over the last WINDOW_DAYS days with data, and a street's area is the union of its cells. The areas
tile the district without overlapping (unlike hulls of each street's points) and follow its real shape where
there are cases; a cell with no geocoded case belongs to no street. The district outline is the union of all.
"""
from collections import Counter, defaultdict
from datetime import timedelta

import h3
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries.filter_options import data_days
from data_access.queries.street_cells import street_cells

AREA_RESOLUTION = 8
WINDOW_DAYS = 91
COLUMNS = ["name", "volume", "lat", "lon", "rings"]


def _rings(cells: list[str]) -> list[list[list[float]]]:
    """The outer and inner rings ([lon, lat] pairs) of the union of cells."""
    shape = h3.cells_to_geo(cells)
    polygons = [shape["coordinates"]] if shape["type"] == "Polygon" else shape["coordinates"]
    return [[list(point) for point in ring] for polygon in polygons for ring in polygon]


def assign_cells(rows: list[tuple[str, int, int]]) -> dict[str, Counter]:
    """Street → {area cell: cases}, each area cell given to the street with most cases in it (ties: by name)."""
    per_cell: dict[str, Counter] = defaultdict(Counter)
    for street, cell, n in rows:
        per_cell[h3.cell_to_parent(h3.int_to_str(cell), AREA_RESOLUTION)][street] += n
    owned: dict[str, Counter] = defaultdict(Counter)
    for cell, streets in per_cell.items():
        owner = min(streets, key=lambda s: (-streets[s], s))
        owned[owner][cell] = sum(streets.values())
    return owned


def _label_point(cells: Counter) -> tuple[float, float]:
    """The centre of the street's cell nearest to the cells' case-weighted centre (inside the area, even for a
    street shaped like a C)."""
    centres = {cell: h3.cell_to_latlng(cell) for cell in cells}
    total = sum(cells.values())
    lat = sum(centres[c][0] * n for c, n in cells.items()) / total
    lon = sum(centres[c][1] * n for c, n in cells.items()) / total
    return min(centres.values(), key=lambda p: (p[0] - lat) ** 2 + (p[1] - lon) ** 2)


def areas_from_cells(rows: list[tuple[str, int, int]]) -> tuple[pd.DataFrame, list]:
    """COLUMNS per street, most cases first, and the district's outline rings."""
    owned = assign_cells(rows)
    streets = []
    for name, cells in owned.items():
        lat, lon = _label_point(cells)
        streets.append({"name": name, "volume": sum(cells.values()), "lat": lat, "lon": lon,
                        "rings": _rings(list(cells))})
    frame = pd.DataFrame(streets, columns=COLUMNS).sort_values(["volume", "name"], ascending=[False, True])
    every = [cell for cells in owned.values() for cell in cells]
    return frame.reset_index(drop=True), (_rings(every) if every else [])


def street_areas(engine: Engine, basis: str) -> tuple[pd.DataFrame, list]:
    """The street areas and district outline from the last WINDOW_DAYS days with data (empty without data);
    `basis` is the rules' period basis (Rules.basis)."""
    with engine.connect() as conn:
        days = data_days(conn, basis)
        if not days:
            return pd.DataFrame(columns=COLUMNS), []
        rows = street_cells(conn, basis, max(days[0], days[1] - timedelta(days=WINDOW_DAYS - 1)), days[1])
    return areas_from_cells(rows)
