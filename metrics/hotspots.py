"""高频点位 (METRICS.md §7): where complaints cluster, by normalised address or by H3 cell, with 突增.

- by address: cases grouped by address_key; the label is the address text used most, the coordinates the mean
  of the cases' coordinates, leaving placeholder points out (a place whose only coordinates are placeholders is
  flagged `placeholder` and has none, so the map leaves it off while the table keeps it);
- by H3 cell (rules.hotspots.h3_resolution): at the stored resolution (data_access.ingest.h3_cells, 9 as in the
  default rules) SQL groups by the cell stored with each point; at another, SQL groups cases by coordinate and
  Python maps the distinct points to cells. Cases at placeholder points are left out and reported by
  `placeholder_points` instead.
- A placeholder point carries more than rules.hotspots.placeholder_share of all geocoded cases of the period
  across ≥ 10 distinct addresses; it is detected over the whole district (the data's defect, not a filter's)
  in the period shown, and left out of the previous period's volumes too, so both sides compare alike.
- hotspot: volume ≥ min_cases; surge (突增): also volume ≥ surge_ratio × the previous period's volume, which is
  > 0; new (新增): a hotspot with no case in the previous period. When the database holds no case before the
  period (the first month of data), neither is claimed and the previous volumes are null (无上期数据).
- The frame's attrs say so for pages and exports: `previous_data` (bool) and `placeholder_cases` (the cases at
  placeholder points, which no place or cell counts).
- Filters: category (cat_l1), street, unit, overdue only (see data_access.queries.case_queries for "overdue").
- source "summary" (the default) counts on the place summary (stat_place_day), "cases" on the case table; both
  give the same table. Overdue only needs the case table (the summary does not know closing times) and uses it.
"""
from dataclasses import replace

import h3
import pandas as pd
from sqlalchemy.engine import Engine

from data_access.queries.case_queries import CaseFilter, cell_bbox
from data_access.queries.drill_queries import (
    address_totals, address_volumes, cell_volumes, crowded_points, most_used, point_details, point_volumes,
)
from data_access.queries.filter_options import data_days
from data_access.ingest.h3_cells import STORED_RESOLUTION, to_key
from metrics.periods import Period
from metrics.rules import Rules

# METRICS.md §7 fixes this number ("across ≥ 10 addresses"); it is not a rules setting.
PLACEHOLDER_MIN_ADDRESSES = 10
TOP_CATEGORIES = 3
BY = ("address", "h3")
COLUMNS = ["key", "label", "street", "lat", "lon", "volume", "prev_volume", "change", "surge", "new", "hotspot",
           "placeholder", "top_categories"]
NO_PREVIOUS = "无上期数据"
PLACEHOLDER_COLUMNS = ["lat", "lon", "volume", "share", "addresses"]
# What describes a place: its most used address text (the label), street, and top categories.
MOST_USED = {"address": 1, "street": 1, "cat_l1": TOP_CATEGORIES}
TOP_COLUMNS = ["key", "column", "value", "n"]


def hotspot_filter(period: Period, rules: Rules, category: str | None = None, street: str | None = None,
                   unit_id: int | None = None, overdue_only: bool = False, as_of=None) -> CaseFilter:
    """The cases a hotspot view counts (before choosing a place)."""
    return CaseFilter.of(period, rules, unit_ids=None if unit_id is None else (unit_id,), cat_l1=category,
                         street=street, overdue=overdue_only, as_of=as_of)


def placeholder_points(engine: Engine, period: Period, rules: Rules, source: str = "summary") -> pd.DataFrame:
    """Points that are a geocoder's placeholder in this period: lat, lon, volume, share, addresses."""
    whole = CaseFilter.of(period, rules, unit_ids=None)
    with engine.connect() as conn:
        rows = crowded_points(conn, whole, rules.get("hotspots.placeholder_share"), PLACEHOLDER_MIN_ADDRESSES,
                              source)
    frame = pd.DataFrame(rows, columns=["lat", "lon", "volume", "total", "addresses"])
    frame["share"] = frame["volume"] / frame["total"]
    return frame[PLACEHOLDER_COLUMNS]


def _skip_points(engine: Engine, period: Period, rules: Rules, source: str = "summary") -> tuple:
    found = placeholder_points(engine, period, rules, source)
    return tuple((float(r.lat), float(r.lon)) for r in found.itertuples())


def hotspots(engine: Engine, period: Period, rules: Rules, by: str = "address", category: str | None = None,
             street: str | None = None, unit_id: int | None = None, overdue_only: bool = False, top: int = 50,
             as_of=None, source: str = "summary") -> pd.DataFrame:
    """The top places by volume (then key), with COLUMNS; placeholder points never make a place."""
    if by not in BY:
        raise ValueError(f"热点分组方式应为 address 或 h3，而不是 {by!r} (by must be 'address' or 'h3')")
    f = hotspot_filter(period, rules, category, street, unit_id, overdue_only, as_of)
    previous = period.previous()
    before = replace(f, start=previous.start, end=previous.end)
    found = placeholder_points(engine, period, rules, source)
    skip = tuple((float(r.lat), float(r.lon)) for r in found.itertuples())
    with engine.connect() as conn:
        if by == "address":
            table = _by_address(conn, f, before, skip, top, source)
        else:
            table = _by_cell(conn, f, before, skip, top, rules.get("hotspots.h3_resolution"), source)
        days = data_days(conn, rules.basis)
    earlier = days is not None and days[0] < period.start
    out = _flagged(table, rules, earlier)[COLUMNS]
    out.attrs.update(previous_data=earlier, placeholder_cases=int(found["volume"].sum()))
    return out


def hotspot_case_filter(engine: Engine, period: Period, rules: Rules, key: str, by: str = "address",
                        **filters) -> CaseFilter:
    """The filter for the cases behind one hotspot row (same filters as the `hotspots` call that made it)."""
    f = hotspot_filter(period, rules, **filters)
    if by == "address":
        return replace(f, address_key=key)
    return replace(f, h3_cell=key, skip_points=_skip_points(engine, period, rules))


def _by_address(conn, f: CaseFilter, before: CaseFilter, skip: tuple, top: int, source: str) -> pd.DataFrame:
    rows = address_volumes(conn, f, skip, top=top, source=source)
    table = pd.DataFrame(rows, columns=["key", "volume", "lat", "lon", "geocoded", "usable"])
    keys = list(table["key"])
    if not keys:
        return _describe(table, _no_tops(), {})
    previous = address_totals(conn, before, keys, source)
    table["placeholder"] = (table["geocoded"] > 0) & (table["usable"] == 0)
    tops = pd.DataFrame(most_used(conn, f, "address_key", keys, MOST_USED, source), columns=TOP_COLUMNS)
    return _describe(table, tops, previous)


def _by_cell(conn, f: CaseFilter, before: CaseFilter, skip: tuple, top: int, resolution: int,
             source: str) -> pd.DataFrame:
    f, before = replace(f, skip_points=skip), replace(before, skip_points=skip)
    if resolution != STORED_RESOLUTION:
        return _by_mapped_cell(conn, f, before, top, resolution, source)
    table = pd.DataFrame(cell_volumes(conn, f, top=top, source=source), columns=["cell", "volume", "lat", "lon"])
    cells = list(table["cell"])
    if not cells:
        return _describe(table.assign(key=[], placeholder=False), _no_tops(), {})
    previous = {to_key(r.cell): r.volume for r in cell_volumes(conn, before, cells=cells, source=source)}
    tops = pd.DataFrame(most_used(conn, f, "h3_cell", cells, MOST_USED, source), columns=TOP_COLUMNS)
    table["key"], tops["key"] = table["cell"].map(to_key), tops["key"].map(to_key)
    return _describe(table.assign(placeholder=False), tops, previous)


def _by_mapped_cell(conn, f: CaseFilter, before: CaseFilter, top: int, resolution: int,
                    source: str) -> pd.DataFrame:
    """Cells of a resolution other than the stored one: the distinct points mapped to cells here."""
    cells: dict[tuple, str] = {}

    def cell(lat, lon):
        if (lat, lon) not in cells:
            cells[(lat, lon)] = h3.latlng_to_cell(lat, lon, resolution)
        return cells[(lat, lon)]

    points = pd.DataFrame(point_volumes(conn, f, source=source), columns=["lat", "lon", "n"])
    points["key"] = [cell(lat, lon) for lat, lon in zip(points["lat"], points["lon"])]
    points["lat_n"], points["lon_n"] = points["lat"] * points["n"], points["lon"] * points["n"]
    sums = points.groupby("key", as_index=False)[["n", "lat_n", "lon_n"]].sum()
    table = pd.DataFrame({"key": sums["key"], "volume": sums["n"], "lat": sums["lat_n"] / sums["n"],
                          "lon": sums["lon_n"] / sums["n"], "placeholder": False})
    table = table.sort_values(["volume", "key"], ascending=[False, True]).head(top)
    if table.empty:
        return _describe(table, _no_tops(), {})
    # The previous volumes, labels, streets and categories only for the chosen cells: their bounding boxes in
    # SQL, then each point exactly.
    boxes = [cell_bbox(k) for k in table["key"]]
    previous: dict[str, int] = {}
    for r in point_volumes(conn, before, boxes, source):
        previous[cell(r.lat, r.lon)] = previous.get(cell(r.lat, r.lon), 0) + r.n
    details = pd.DataFrame(point_details(conn, f, boxes, source),
                           columns=["lat", "lon", "address", "street", "cat_l1", "n"])
    details["key"] = [cell(lat, lon) for lat, lon in zip(details["lat"], details["lon"])]
    return _describe(table, _tops_of(details[details["key"].isin(table["key"])]), previous)


def _no_tops() -> pd.DataFrame:
    return pd.DataFrame(columns=TOP_COLUMNS)


def _tops_of(details: pd.DataFrame) -> pd.DataFrame:
    """TOP_COLUMNS from rows (key, address, street, cat_l1, n), as most_used gives them (here: every value)."""
    parts = [details.dropna(subset=[column]).groupby(["key", column], as_index=False)["n"].sum()
             .rename(columns={column: "value"}).assign(column=column) for column in MOST_USED]
    return pd.concat(parts, ignore_index=True)[TOP_COLUMNS]


def _first(tops: pd.DataFrame, column: str, n: int) -> pd.Series:
    """Per key, the first n values of a column by number of cases (ties alphabetical), joined by 、."""
    used = tops[tops["column"] == column].sort_values(["key", "n", "value"], ascending=[True, False, True])
    return used.groupby("key").head(n).groupby("key")["value"].agg("、".join)


def _describe(table: pd.DataFrame, tops: pd.DataFrame, previous: dict) -> pd.DataFrame:
    """Adds label (address text most used), street (most used), top categories and the previous volume."""
    table = table.reset_index(drop=True)
    for name, column in (("label", "address"), ("street", "street"), ("top_categories", "cat_l1")):
        table[name] = table["key"].map(_first(tops, column, MOST_USED[column]))
    table["prev_volume"] = [int(previous.get(k, 0)) for k in table["key"]]
    table["volume"] = table["volume"].astype(int)
    table[["lat", "lon"]] = table[["lat", "lon"]].astype(float)
    table["placeholder"] = table["placeholder"].astype(bool) if "placeholder" in table else False
    return table


def _flagged(table: pd.DataFrame, rules: Rules, earlier: bool) -> pd.DataFrame:
    """hotspot, surge (突增) and new (新增); without earlier data no previous volume, change, surge or new."""
    min_cases, ratio = rules.get("hotspots.min_cases"), rules.get("hotspots.surge_ratio")
    if not earlier:
        table["prev_volume"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["change"] = table["volume"] - table["prev_volume"]
    table["hotspot"] = table["volume"] >= min_cases
    before = table["prev_volume"].fillna(0)
    table["surge"] = earlier & table["hotspot"] & (before > 0) & (table["volume"] >= ratio * before)
    table["new"] = earlier & table["hotspot"] & (before == 0)
    return table
