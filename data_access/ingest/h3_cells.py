"""H3 cells stored with the points: every geocoded case keeps its cell at STORED_RESOLUTION as a 64-bit integer
(cases.h3_cell, carried into stat_place_day and stat_point_month), so a map of a month at city scale groups the
place summaries by cell in the database — a few thousand rows come back — instead of mapping half a million
distinct points to cells in Python.

Only the stored resolution can be read this way: H3 cells do not nest exactly (about 6 % of points lie in a
resolution-9 cell other than their resolution-15 cell's parent), so a point's cell at another resolution cannot be
derived from a stored finer one. Rules with another hotspots.h3_resolution are answered by mapping the distinct
points in Python (metrics.hotspots), exactly, but slower at city scale.
"""
import h3

STORED_RESOLUTION = 9  # METRICS.md §7's default hotspots.h3_resolution


def stored_cell(lat: float | None, lon: float | None) -> int | None:
    """The stored cell of a point (None without coordinates)."""
    if lat is None or lon is None:
        return None
    return h3.str_to_int(h3.latlng_to_cell(lat, lon, STORED_RESOLUTION))


def is_stored(key: str) -> bool:
    """Whether a cell (H3's hex string) is of the stored resolution, so that h3_cell can find its points."""
    return h3.get_resolution(key) == STORED_RESOLUTION


def to_key(cell: int) -> str:
    """The cell as H3's usual hex string (what the map, the URL and the agenda carry)."""
    return h3.int_to_str(int(cell))


def from_key(key: str) -> int:
    return h3.str_to_int(key)
