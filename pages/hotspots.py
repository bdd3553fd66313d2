"""高频点位: where do complaints cluster? A map and a table of places, and the cases behind the one chosen."""
import pandas as pd
import streamlit as st

from metrics.hotspots import NO_PREVIOUS, hotspot_case_filter
from ui import cache, filters
from ui import format as fmt
from ui.agenda import add_to_agenda_button
from ui.auth import current_user
from ui.cases import show_cases
from ui.map import drawable, show_map, statuses, street_labels
from ui.panel import guarded
from ui.plain import plain

BY_LABELS = {"address": "按地址", "h3": "按网格（H3）"}
TOP_CHOICES = (20, 50, 100)
TABLE_COLUMNS = ["label", "street", "volume", "prev_volume", "volume_change", "hotspot_status", "top_categories"]

user = current_user()
f = filters.sidebar(user, "unit", "cat", "street")

st.title("高频点位")
st.caption(f"{f.period.label} · 点位诉求量达 {f.rules.get('hotspots.min_cases')} 件为高频点位，"
           f"且达到上期 {f.rules.get('hotspots.surge_ratio'):g} 倍为突增（红色），上期没有工单的为新增。"
           "点击地图上的点位或表格中的一行查看工单。")

# --- view options ---
left, middle, right = st.columns([2, 1, 1])
by = left.segmented_control("点位划分", list(BY_LABELS), format_func=BY_LABELS.get, default="address",
                            required=True, key="hs_by")
top = middle.selectbox("显示前", TOP_CHOICES, index=1, format_func=lambda n: f"{n} 个点位", key="hs_top")
overdue = right.toggle("只看超期工单", key="hs_overdue", help="只统计超过办结时限（或未办结已超时）的工单。")
place_filters = dict(category=f.category, street=f.street, unit_id=f.unit_id, overdue_only=overdue)

# --- data ---
spots = pd.DataFrame()
with guarded("高频点位"):
    spots = cache.hotspots(f.period, f.rules, by=by, top=top, **place_filters)
    spots = spots.assign(volume_change=spots["change"], hotspot_status=statuses(spots))

if spots.attrs.get("previous_data") is False:
    st.info(f"{NO_PREVIOUS}：本期之前数据库中没有工单，不判断突增或新增。")
if by == "h3" and spots.attrs.get("placeholder_cases"):
    st.caption(f"占位坐标（如默认中心点）上的 {spots.attrs['placeholder_cases']} 件工单未计入网格点位。")
if spots.empty:
    st.info("本期没有符合条件的点位。")
    st.stop()

# --- map ---
picked = None
with guarded("点位地图"):
    on_map, note = drawable(spots)
    areas = cache.street_areas(f.rules.basis)  # street areas and the district outline, under the spots
    labels = street_labels(pd.DataFrame(cache.list_units()), on_map, areas[0])
    picked = show_map(on_map, labels, by, key="hs_map", areas=areas)
    if note:
        st.caption(note)

# --- table ---
st.subheader("点位排行")
event = st.dataframe(fmt.table(spots, TABLE_COLUMNS), on_select="rerun", selection_mode="single-row",
                     key="hs_table", hide_index=True)
if event.selection.rows and event.selection.rows[0] < len(spots):
    picked = spots.iloc[event.selection.rows[0]]["key"]

# --- the chosen place: onto the next meeting's agenda, and its cases ---
if picked is not None and (spots["key"] == picked).any():  # a choice kept from other filters may be gone
    place = spots[spots["key"] == picked].iloc[0]
    name = place["label"] if isinstance(place["label"], str) else picked
    st.subheader(f"点位工单：{plain(name)}")  # an address as written in the complaint, markdown escaped
    streets = {u["name"]: u["id"] for u in cache.list_units()}
    add_to_agenda_button("hotspot", f"{by}:{picked}", name, key=f"hs_agenda_{picked}",
                         owner_unit_id=streets.get(place["street"]),
                         reason=f"{f.period.label}诉求 {place['volume']} 件，" + (
                             NO_PREVIOUS if pd.isna(place["prev_volume"]) else f"上期 {place['prev_volume']} 件"))
    with guarded("点位工单"):
        show_cases(hotspot_case_filter(cache.engine(), f.period, f.rules, picked, by, **place_filters), key="hs_cases")
