"""The active scoring rules: a preset chosen in the sidebar (URL parameter `rules`).

The default is SCORING_RULES (a preset name or a file path) or the shipped default.toml; the options are the
presets in metrics/rules/ plus that file. Preset names stay ASCII, so a URL like `?rules=beijing-2019` works.
"""
from pathlib import Path

import streamlit as st

import settings
from metrics.rules import Rules, RulesError, list_presets, load_rules
from ui import bound, cache

KEY = "rules"
# One Chinese line per shipped preset; a preset without one is shown by its weights.
PRESET_NOTES = {
    "default": "默认规则（METRICS.md）",
    "beijing-2019": "2019 年口径",
}


def default_source() -> str:
    return settings.SCORING_RULES.get()


def options() -> list[str]:
    """The default first (Streamlit warns when a widget set through session state has another default index)."""
    default = default_source()
    return [default, *(p for p in list_presets() if p != default)]


@st.cache_resource(ttl=cache.TTL_SECONDS, max_entries=20, show_spinner=False)
def rules_for(source: str) -> Rules:
    """Parsed rules per preset or path (frozen; shared across sessions)."""
    return load_rules(source)


def describe(rules: Rules) -> str:
    w = rules.weights
    weights = f"响应 {w['response']:.0%} · 解决 {w['resolution']:.0%} · 满意 {w['satisfaction']:.0%}"
    note = PRESET_NOTES.get(rules.source) or Path(rules.source).stem
    return f"{note}：{weights}"


def choose() -> Rules:
    """Draw the preset choice in the sidebar and return the rules it selects."""
    source = bound.select(st.sidebar, "评分规则方案", options(), KEY, help="换一套规则，全部成绩、排名和红旗随之重算。")
    try:
        rules = rules_for(source)
    except RulesError as exc:
        st.error(f"评分规则无法使用：{exc}")
        st.stop()
    st.sidebar.caption(describe(rules))
    return rules
