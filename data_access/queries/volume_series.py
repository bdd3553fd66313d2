"""Case volumes per category (cat_l2) or location street, by day or by month, for forecasting (未诉先办).

Read from the category summaries (stat_category_day / stat_category_month, by received day: a forecast is about
calls arriving, whatever the scoring basis); a few thousand rows for a district year, never the case table.
Also the places and units that carried a category or street in a past stretch of days (the list to 提前排查).
"""
from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from data_access.storage.schema import cases, categories, stat_category_day, stat_category_month, stat_place_day, units

BY = ("cat_l2", "street")
RECEIVED = "r"


def _key_column(table, by: str):
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}: one of {BY}")
    return table.c[by]


def volumes(conn: Connection, by: str, start: date, end: date, monthly: bool) -> pd.DataFrame:
    """Columns key, day, n: cases received per key and day (or per month, `day` its first day), start..end
    inclusive. Cases without the key (no cat_l2, no street) are left out."""
    t = stat_category_month if monthly else stat_category_day
    key = _key_column(t, by)
    rows = conn.execute(
        select(key.label("key"), t.c.day, func.sum(t.c.n).label("n"))
        .where(t.c.basis == RECEIVED, t.c.day >= start, t.c.day <= end, key.is_not(None), key != "")
        .group_by(key, t.c.day)).all()
    frame = pd.DataFrame(rows, columns=["key", "day", "n"])
    return frame.astype({"n": "int64"})


def units_carrying(conn: Connection, by: str, key: str, start: date, end: date, top: int) -> pd.DataFrame:
    """Columns unit_name, n: the units that handled most of the key's cases in start..end."""
    t = stat_category_day
    n = func.sum(t.c.n).label("n")
    rows = conn.execute(
        select(units.c.name.label("unit_name"), n).select_from(t.join(units, units.c.id == t.c.unit_id))
        .where(t.c.basis == RECEIVED, t.c.day >= start, t.c.day <= end, _key_column(t, by) == key)
        .group_by(units.c.name).order_by(n.desc(), units.c.name).limit(top)).all()
    return pd.DataFrame(rows, columns=["unit_name", "n"])


def places_carrying(conn: Connection, by: str, key: str, start: date, end: date, top: int) -> pd.DataFrame:
    """Columns address, street, n: the addresses with most of the key's cases in start..end. A street reads the
    place summary; a category (the place summary keeps only cat_l1) counts its cases on the (received_day,
    cat_l1) index, grouped in SQL."""
    if by == "street":
        t = stat_place_day
        n = func.sum(t.c.n).label("n")
        query = (select(func.max(t.c.address).label("address"), func.max(t.c.street).label("street"), n)
                 .where(t.c.basis == RECEIVED, t.c.day >= start, t.c.day <= end, t.c.street == key,
                        t.c.address_key.is_not(None)).group_by(t.c.address_key))
    else:
        level1 = select(categories.c.cat_l1).where(categories.c.cat_l2 == key).distinct()
        n = func.count().label("n")
        query = (select(func.max(cases.c.address).label("address"), func.max(cases.c.street).label("street"), n)
                 .where(cases.c.received_day >= start, cases.c.received_day <= end, cases.c.cat_l1.in_(level1),
                        cases.c.cat_l2 == key, cases.c.address_key.is_not(None)).group_by(cases.c.address_key))
    rows = conn.execute(query.order_by(n.desc(), "address").limit(top)).all()
    return pd.DataFrame(rows, columns=["address", "street", "n"])


def day_totals(conn: Connection, start: date, end: date) -> pd.DataFrame:
    """Columns day, n: all cases received per day, start..end inclusive (days without cases absent)."""
    t = stat_category_day
    rows = conn.execute(select(t.c.day, func.sum(t.c.n).label("n"))
                        .where(t.c.basis == RECEIVED, t.c.day >= start, t.c.day <= end).group_by(t.c.day)).all()
    return pd.DataFrame(rows, columns=["day", "n"]).astype({"n": "int64"})
