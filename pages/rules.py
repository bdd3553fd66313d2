"""评分规则 — how are scores computed? The active rules file's every setting in plain Chinese, the presets side by
side with a switch, and the glossary of every metric from the registry."""
import pandas as pd
import streamlit as st

from metrics.registry import FIELDS, METRICS
from metrics.rules import list_presets
from ui import rules_choice, rules_text
from ui.auth import current_user

BETTER = {"up": "越高越好", "down": "越低越好"}
SETTING_HEADERS = {"setting": "设置项", "value": "取值", "meaning": "含义"}


def use_preset(name: str) -> None:
    st.session_state[rules_choice.KEY] = rules_choice.preset_name(name)  # a callback: before the sidebar choice


current_user()
rules = rules_choice.choose()
st.title("评分规则")
st.caption(f"当前方案：{rules_choice.describe(rules)}。成绩、排名、红旗和后进都按此方案计算；可在左侧栏或下方切换。")

# --- presets side by side ---
st.subheader("规则方案")
presets = rules_choice.options()
for column, name in zip(st.columns(len(presets)), presets):
    preset = rules_choice.rules_for(name)
    with column.container(border=True):
        st.markdown(f"**{rules_choice.preset_name(name)}**" + ("（当前）" if name == rules.source else ""))
        st.caption(rules_choice.describe(preset))
        st.button("使用此方案", key=f"use_{name}", on_click=use_preset, args=(name,), disabled=name == rules.source)

# --- every setting of the active rules, by section ---
st.subheader("全部设置")
settings = pd.DataFrame(rules_text.describe(rules))
for section, rows in settings.groupby("section", sort=False):
    st.markdown(f"**{section}**")
    st.table(rows[list(SETTING_HEADERS)].rename(columns=SETTING_HEADERS).set_index("设置项"))
st.caption(rules_text.lowest_tier_note(rules))

source = list_presets().get(rules.source)
if source is not None:
    with st.expander("规则文件原文"):
        st.code(source.read_text(encoding="utf-8"), language="toml")

# --- glossary: every metric and field the dashboard shows ---
st.subheader("指标说明")
glossary = pd.DataFrame([{"指标": m.label, "说明": m.description, "单位": m.unit, "方向": BETTER.get(m.better, "")}
                         for m in [*METRICS.values(), *FIELDS.values()]])
st.dataframe(glossary, hide_index=True, column_config={"说明": st.column_config.TextColumn(width="large")})
