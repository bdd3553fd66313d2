"""The active scoring rules: a preset chosen in the sidebar (URL parameter `rules`).

The default is SCORING_RULES (a preset name or a file path) or the shipped default.toml; the options are the
presets in metrics/rules/ plus that file, shown (and kept in the URL and session) by their Chinese names; a link
with a preset's ASCII key (`?rules=beijing-2019`) still opens that preset.
"""
from pathlib import Path

import streamlit as st

import settings
from metrics.registry import RATES, label
from metrics.rules import Rules, RulesError, list_presets, load_rules
from ui import bound, cache
from ui.plain import chinese, plain

KEY = "rules"
# A Chinese name per shipped preset (the key stays ASCII for the URL); a rules file is shown by its file name.
PRESET_NOTES = {
    "default": "默认规则",
    "beijing-2019": "北京 2019 年口径",
    "open311": "311 类数据（无回访评价）",
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


def preset_name(source: str) -> str:
    """默认规则 / 北京 2019 年口径 / a rules file's name."""
    return PRESET_NOTES.get(source) or Path(source).stem


def describe(rules: Rules) -> str:
    weights = " · ".join(f"{label(RATES[k].key)} {w:.0%}" for k, w in rules.weights.items())
    return f"{preset_name(rules.source)}：{weights}"


def names() -> dict[str, str]:
    """Chinese name (what the choice shows and holds) → preset name or rules file."""
    return {preset_name(source): source for source in options()}


def source_of(choice: str | None) -> str:
    """The preset or file of a choice held in the session (a Chinese name; a preset key is taken as it is)."""
    return names().get(choice, choice) if choice else default_source()


def choose() -> Rules:
    """Draw the preset choice in the sidebar and return the rules it selects."""
    named = names()
    by_source = {source: name for name, source in named.items()}
    asked = st.query_params.get(KEY)
    if asked in by_source:  # an ASCII preset key from a link: held in the session, it wins over the URL
        st.session_state[KEY] = by_source[asked]
    elif st.session_state.get(KEY) in by_source:
        st.session_state[KEY] = by_source[st.session_state[KEY]]
    choice = bound.select(st.sidebar, "评分规则方案", list(named), KEY,
                          help="换一套规则，全部成绩、排名和红旗随之重算。")
    source = named[choice]
    try:
        rules = rules_for(source)
    except RulesError as exc:
        st.error(f"评分规则无法使用：{plain(chinese(str(exc)))}")
        st.stop()
    st.sidebar.caption(describe(rules))
    return rules
