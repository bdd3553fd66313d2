"""诉求分析: what are people complaining about, in their own words? Emerging clusters of similar complaints, hot
words per street, unit and category, and suggested categories with the classifier's measured accuracy."""
import pandas as pd
import streamlit as st

import charts
from data_access.queries.case_queries import CaseFilter
from metrics.text import classifier
from metrics.text.hotwords import BY_LABELS
from ui import chart_view, filters, text_analysis
from ui import format as fmt
from ui.agenda import add_to_agenda_button, can_edit
from ui.auth import current_user
from ui.cases import masked, show_cases
from ui.panel import guarded
from ui.plain import plain

RANK_LABELS = {"growth": "按增长", "size": "按件数"}
TOPIC_COLUMNS = ["topic", "topic_size", "prev_size", "increase", "change_text", "top_terms", "units", "places"]
WORD_COLUMNS = ["word", "word_count", "prev_size", "word_change"]
CLASS_COLUMNS = ["class", "precision", "recall", "f1", "support"]
SUGGEST_COLUMNS = ["case_no", "content", "recorded", "suggested", "parent", "confidence"]
SUGGEST_SHOWN = 500

user = current_user()
if user.role not in ("leader", "staff"):  # the menu shows it to these roles only; a direct link gets no further
    st.info("诉求分析仅对区领导和中心工作人员开放。")
    st.stop()
f = filters.sidebar(user)

st.title("诉求分析")
st.caption(f"{f.period.label}，与上期（{f.period.previous().label}）相比。主题、热词和分类建议只读诉求内容；"
           "电话、身份证号和姓名在分析前已去除，不进入模型、热词或主题名称。")


def growth_text(row) -> str:
    return "新出现" if row["prev_size"] == 0 else f"{row['growth']:+.0%}"


# --- 诉求主题: clusters of complaints that say the same thing ---
st.header("诉求主题")
left, right = st.columns([2, 1])
rank = left.segmented_control("排序", list(RANK_LABELS), format_func=RANK_LABELS.get, default="growth",
                              required=True, key="tp_rank")
top = right.selectbox("显示前", (10, 20, 50), index=1, format_func=lambda n: f"{n} 个主题", key="tp_top")
found = pd.DataFrame()
with guarded("诉求主题"):
    found = text_analysis.topics(f.period, top=top, rank=rank)
if found.empty:
    st.info("本期没有三件以上说法相近的诉求。")
else:
    found = found.assign(topic=found["label"], topic_size=found["size"],
                         change_text=found.apply(growth_text, axis=1))
    event = st.dataframe(fmt.table(found, TOPIC_COLUMNS), on_select="rerun", selection_mode="single-row",
                         key="tp_table", hide_index=True)
    st.caption("点击一行查看该主题的工单。按增长排序即按本期比上期多出的件数排序。")
    if event.selection.rows and event.selection.rows[0] < len(found):
        chosen = found.iloc[event.selection.rows[0]]
        st.subheader(f"主题：{plain(chosen['topic'])}")  # the callers' own words, markdown escaped
        figures = f"{f.period.label}诉求 {chosen['topic_size']} 件，上期 {chosen['prev_size']} 件"
        agenda, monthly = st.columns(2)
        with agenda:
            add_to_agenda_button("note", "", f"诉求主题：{chosen['topic']}", key=f"tp_agenda_{chosen['key']}",
                                 reason=figures)
        if chosen["cat_l2"]:
            with monthly:
                add_to_agenda_button("topic", chosen["cat_l2"], f"每月一题：{chosen['cat_l2']}（{chosen['topic']}）",
                                     key=f"tp_monthly_{chosen['key']}", reason=figures, text="提议为每月一题")
        cases = CaseFilter(unit_ids=None, start=f.period.start, end=f.period.end,
                           case_nos=tuple(chosen["case_nos"]))
        show_cases(cases, key="tp_cases")

# --- 热词: per street, unit and category ---
st.header("热词")
left, middle, right = st.columns([2, 2, 1])
by = left.segmented_control("范围", list(BY_LABELS), format_func=BY_LABELS.get, default="district", required=True,
                            key="tp_by")
words = pd.DataFrame()
with guarded("热词"):
    words = text_analysis.hot_words(f.period, by=by, top=right.selectbox("每组前", (10, 20), key="tp_words_top"))
if words.empty:
    st.info("本期没有诉求内容。")
else:
    group = middle.selectbox("分组", sorted(words["group"].unique()), key="tp_group")
    shown = words[words["group"] == group].rename(columns={"count": "word_count", "prev_count": "prev_size",
                                                           "change": "word_change"})
    table, chart = st.columns([1, 2])
    table.dataframe(fmt.table(shown, WORD_COLUMNS), hide_index=True)
    chart_view.show(charts.hot_words, shown.reset_index(drop=True), where=chart)

# --- 分类建议: the classifier, its measured accuracy, suggestions and the 派单 check ---
st.header("分类建议")
field = st.segmented_control("分类字段", list(classifier.FIELDS), format_func=classifier.FIELDS.get,
                             default="cat_l1", required=True, key="tp_field")
if can_edit(user) and st.button("用本中心已分类工单重新训练", key="tp_train"):
    with guarded("模型训练"), st.spinner("训练中……"):
        meta = text_analysis.retrain(field, user.name)
        st.success(f"已重新训练：留出测试宏平均 F1 {meta['macro_f1']:.2%}。")
stored = None
try:
    stored = text_analysis.text_model(field)
except classifier.NoModel:
    st.info("尚未训练分类模型。工作人员可点击上方按钮训练，或运行 python cli.py classify train。")
if stored is not None:
    meta = stored["meta"]
    st.markdown(f"**模型准确度**（留出 {meta['n_test']} 件未参与训练的工单评估，{meta['trained_at']:%Y-%m-%d %H:%M} 训练）："
                f"宏平均 F1 **{meta['macro_f1']:.2%}**，准确率 {meta['accuracy']:.2%}。")
    per_class, confusions = st.columns([3, 2])
    per_class.dataframe(fmt.table(meta["per_class"], CLASS_COLUMNS), hide_index=True, height=300)
    confusions.dataframe(fmt.table(meta["confusions"].rename(columns={"true": "true_class"}),
                                   ["true_class", "predicted", "count"]), hide_index=True, height=300)

    with guarded("未分类工单的建议"):
        pending = pd.DataFrame() if field == "unit_name" else text_analysis.uncategorised(SUGGEST_SHOWN)
        if not pending.empty:
            st.subheader("未分类工单的建议")
            suggestions = classifier.suggest(stored, pending).merge(pending[["case_no", "content"]], on="case_no")
            picked = st.dataframe(fmt.table(masked(suggestions, user), SUGGEST_COLUMNS), hide_index=True,
                                  on_select="rerun", selection_mode="multi-row", key="tp_suggest")
            rows = [r for r in picked.selection.rows if r < len(suggestions)]
            if can_edit(user) and rows and st.button(f"采纳所选 {len(rows)} 条建议", key="tp_accept"):
                choice = suggestions.iloc[rows]
                values = {r.case_no: ((r.parent, r.suggested) if field == "cat_l2" else (r.suggested, None))
                          for r in choice.itertuples()}
                batch = text_analysis.accept(values, user.name)
                st.success(f"已采纳 {len(values)} 条建议（批次 {batch}，可在数据管理页撤销）。")

    with guarded("派单核对"):
        check = text_analysis.dispatch_check(f.period, field)
        st.subheader("派单核对")
        st.caption(f"本期登记的{classifier.FIELDS[field]}与模型把握达 {classifier.CONFIDENT:.0%} 的建议不一致的工单"
                   "（最多 200 件，把握高的在前）。仅供核对，不自动修改。")
        if check.empty:
            st.info("本期没有与模型建议明显不一致的工单。")
        else:
            st.dataframe(fmt.table(masked(check, user), SUGGEST_COLUMNS), hide_index=True)
