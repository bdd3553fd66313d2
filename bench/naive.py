"""The naive way, timed beside ours: load the month's cases into pandas (every column, as `SELECT *` would) and
compute each page's main numbers there. It loads one month only, so for pages that also show 13-month trends
or earlier periods it is a lower bound on what the naive way would cost."""
import h3
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from data_access.storage.schema import cases
from metrics.periods import Period
from metrics.rules import Rules

TOP = 50


def load_month(engine: Engine, period: Period, basis: str) -> pd.DataFrame:
    day = cases.c.received_day if basis == "r" else cases.c.basis_cb_day
    with engine.connect() as conn:
        return pd.read_sql(select(cases).where(day >= period.start, day < period.end), conn)


def _hour_limit(values: pd.Series, limits: dict) -> pd.Series:
    return values.map(limits).fillna(limits["一般"])


def unit_table(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Per unit: volume, the three rates, raw score and rank within its group (METRICS.md §2–4)."""
    a = frame[~frame["excluded"].astype(bool)]
    solved, sat = a["solved"].map(rules["solved_credit"]), a["satisfaction"].map(rules["satisfaction_credit"])
    parts = pd.DataFrame({
        "unit_id": a["unit_id"],
        "on_time": a["response_hours"].notna() & (a["response_hours"] <= _hour_limit(a["urgency"],
                                                                                   rules["response_limit_hours"])),
        "solved_rated": solved.notna(), "solved_credit": solved.fillna(0),
        "sat_rated": sat.notna(), "sat_credit": sat.fillna(0),
    })
    t = parts.groupby("unit_id").agg(assessed=("on_time", "size"), on_time=("on_time", "sum"),
                                     solved_rated=("solved_rated", "sum"), solved_credit=("solved_credit", "sum"),
                                     sat_rated=("sat_rated", "sum"), sat_credit=("sat_credit", "sum"))
    t["volume"] = frame.groupby("unit_id").size()
    w = rules.weights
    t["raw_score"] = 100 * (w["response"] * t["on_time"] / t["assessed"]
                            + w["resolution"] * t["solved_credit"] / t["solved_rated"]
                            + w["satisfaction"] * t["sat_credit"] / t["sat_rated"])
    t["rank"] = t["raw_score"].round(2).rank(method="min", ascending=False)
    return t


def district(frame: pd.DataFrame, rules: Rules) -> dict:
    totals = unit_table(frame.assign(unit_id=0), rules).iloc[0]
    return totals.to_dict()


def categories(frame: pd.DataFrame) -> pd.Series:
    return frame["cat_l1"].value_counts()


def lost(frame: pd.DataFrame, rules: Rules, unit_id: int) -> pd.DataFrame:
    """失分工单 of one unit: Δ per case, largest first, and its sums by category and community."""
    mine = frame[(frame["unit_id"] == unit_id) & ~frame["excluded"].astype(bool)]
    t = unit_table(mine, rules).iloc[0]
    w = rules.weights
    late = ~(mine["response_hours"] <= _hour_limit(mine["urgency"], rules["response_limit_hours"]))
    solved, sat = mine["solved"].map(rules["solved_credit"]), mine["satisfaction"].map(rules["satisfaction_credit"])
    cost = 100 * (w["response"] * late / t["assessed"]
                  + (w["resolution"] * (1 - solved) / t["solved_rated"]).fillna(0)
                  + (w["satisfaction"] * (1 - sat) / t["sat_rated"]).fillna(0))
    costed = mine.assign(cost=cost)[lambda f: f["cost"] > 0].sort_values(["cost", "case_no"],
                                                                         ascending=[False, True])
    costed.groupby("cat_l1")["cost"].sum()
    costed.groupby("community")["cost"].sum()
    return costed.head(TOP)


def places(frame: pd.DataFrame) -> pd.DataFrame:
    volume = frame.groupby("address_key").size().nlargest(TOP)
    top = frame[frame["address_key"].isin(volume.index)]
    return top.groupby("address_key")["address"].agg(lambda s: s.mode().iloc[0]).to_frame().assign(volume=volume)


def cells(frame: pd.DataFrame, resolution: int) -> pd.Series:
    points = frame.dropna(subset=["lat"]).groupby(["lat", "lon"]).size().reset_index(name="n")
    points["cell"] = [h3.latlng_to_cell(lat, lon, resolution) for lat, lon in zip(points["lat"], points["lon"])]
    return points.groupby("cell")["n"].sum().nlargest(TOP)


def compute(page: str, frame: pd.DataFrame, rules: Rules, unit_id: int) -> None:
    """The page's main numbers from the month's cases."""
    if page == "overview":
        district(frame, rules)
        categories(frame)
        frame["tags"].fillna("").str.contains(";每月一题;", regex=False).sum()
    elif page in ("scores", "rankings", "awards"):
        unit_table(frame, rules)
    elif page == "lagging":
        unit_table(frame, rules)
        lost(frame, rules, unit_id)
    elif page == "hotspots":
        places(frame)
    elif page == "hotspots_h3":
        cells(frame, rules.get("hotspots.h3_resolution"))
    elif page in ("meeting", "briefing"):
        district(frame, rules)
        unit_table(frame, rules)
        places(frame)
        categories(frame)
    else:
        raise ValueError(f"no naive version of page {page!r}")
