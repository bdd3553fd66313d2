"""Scoring: rules, periods, the metric registry, rates, ranks, awards, lagging, lost points, indicators, hotspots.

Reads aggregates from data_access; never imports streamlit.
"""
