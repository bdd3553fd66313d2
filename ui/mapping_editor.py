"""The column mapping of an uploaded file, proposed and adjusted on 数据管理 (DATA_FORMAT.md §1b).

The user starts from the proposal made from the file (or a named mapping), changes any field's column with a
dropdown, may take the unit out of another column's text, and sees at once the first rows as they would be
stored and how many rows would be rejected and why (a dry run: nothing is written until 开始导入). The
adjusted mapping can be saved by name. Everything read from the file is shown in tables or as plain text,
never as markdown.
"""
import zlib

import pandas as pd
import streamlit as st

from data_access.ingest.case_fields import FIELD_BY_KEY, FIELDS, ImportRefused
from data_access.ingest.case_rows import RowParser
from data_access.ingest.column_mappings import CANONICAL, Mapping, canonical, mapping_from_toml
from data_access.ingest.import_preview import Preview
from data_access.ingest.mapping_suggest import Suggestion, spec_to_toml
from ui import data_admin
from ui.plain import chinese, plain

SUGGESTED = "__suggest__"
SUGGESTED_LABEL = "按文件自动建议"
EDITED_NAME = "页面调整的列映射"
NONE = "（不导入）"
REQUIRED = ("case_no", "received_at", "unit", "cat_l1")
LAST_PREVIEW = "map_last_preview"
EXAMPLE_PATTERN = r"([A-Z]\d*[市区县])"


def render(data: bytes, file_name: str, crs: str, user: str) -> Mapping | None:
    """Draw the editor for an uploaded file; the mapping to import with, or None when it cannot be used yet."""
    tag = f"{zlib.crc32(data):08x}"
    try:
        proposal = _proposal(data, file_name, tag)
    except ImportRefused as exc:
        _error(f"文件无法读取：{exc}")
        return None
    names = dict(data_admin.mapping_choices())
    options = [SUGGESTED, *names]
    start = CANONICAL if _fits(canonical(), proposal.headers) else SUGGESTED
    base_name = st.selectbox("列映射（从哪里开始）", options, index=options.index(start), key=f"map_base_{tag}",
                             format_func=lambda n: SUGGESTED_LABEL if n == SUGGESTED else names[n])
    base = proposal if base_name == SUGGESTED else data_admin.named_mapping(base_name)
    start_columns = _start_columns(base, proposal.headers)
    _proposal_table(proposal, start_columns, base_name == SUGGESTED)
    chosen = _field_choices(proposal.headers, start_columns, f"{tag}_{base_name}")
    extract = _extract_choice(proposal.headers, f"{tag}_{base_name}")
    spec = _spec(base, chosen, extract)
    unchanged = isinstance(base, Mapping) and chosen == start_columns and not extract
    try:
        mapping = base if unchanged else _edited(spec)
    except ImportRefused as exc:
        _error(str(exc))
        return None
    if not _show_preview(data, file_name, mapping, crs):
        return None
    _save_form(spec, tag, user)
    return mapping


def _edited(spec: dict) -> Mapping:
    """The adjusted mapping, named by its content: a batch records the mapping's name, so the same file read
    again with other choices is not taken for one already imported."""
    text = spec_to_toml(spec)
    return mapping_from_toml(f"{EDITED_NAME}-{zlib.crc32(text.encode()):08x}", text)


def _proposal(data: bytes, file_name: str, tag: str) -> Suggestion:
    """Made once per file in a session: widgets rerun the page on every change."""
    key = f"map_proposal_{tag}"
    if key not in st.session_state:
        st.session_state[key] = data_admin.suggest_mapping(data, file_name)
    return st.session_state[key]


def _fits(mapping: Mapping, headers: list[str]) -> bool:
    try:
        RowParser(mapping, headers, "wgs84", b"")
        return True
    except ImportRefused:
        return False


def _start_columns(base: Suggestion | Mapping, headers: list[str]) -> dict[str, str]:
    """field key -> header the base mapping takes it from, in this file."""
    if isinstance(base, Suggestion):
        return {k: g.header for k, g in base.guesses.items() if g.header}
    try:
        located = base.locate(headers)
    except ImportRefused as exc:
        _error(str(exc))
        return {}
    return {k: headers[i] for k, i in located.items() if k not in base.extract}


def _proposal_table(proposal: Suggestion, start: dict[str, str], suggested: bool) -> None:
    rows = [{"字段": f.header, "文件中的列": start.get(f.key, "—"),
             "把握": f"{proposal.guesses[f.key].confidence:.0%}" if suggested and f.key in start else "",
             "示例": _sample(proposal, start.get(f.key))} for f in FIELDS if f.key in start]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="map_table")
    missing = [k for k in REQUIRED if k not in start and not (k == "cat_l1" and "category" in start)]
    if missing:
        st.warning("文件中没有找到这些必需字段的列：" + "、".join(FIELD_BY_KEY[k].header for k in missing)
                   + "。请在下面选择，或使用默认值（承办单位、一级分类可有默认值）。")
    if suggested:
        if proposal.defaults:
            st.caption("默认值：" + plain("，".join(f"{FIELD_BY_KEY[k].header} = {v}"
                                                   for k, v in proposal.defaults.items())))
        for note in proposal.notes:
            st.caption(plain(note))


def _sample(proposal: Suggestion, header: str | None) -> str:
    for g in proposal.guesses.values():
        if g.header == header and g.sample:
            return g.sample
    return ""


def _field_choices(headers: list[str], start: dict[str, str], prefix: str) -> dict[str, str]:
    """A dropdown per field (required and found ones in view, the rest folded away); field key -> header."""
    options = [NONE, *[h for h in headers if h.strip()]]
    shown = [f for f in FIELDS if f.key in REQUIRED or f.key in start]
    chosen = {}
    st.markdown("**逐项调整：每个字段取自文件的哪一列**")
    chosen |= _dropdowns(shown, options, start, prefix)
    with st.expander("更多字段"):
        chosen |= _dropdowns([f for f in FIELDS if f not in shown], options, start, prefix)
    return {k: h for k, h in chosen.items() if h != NONE}


def _dropdowns(fields, options: list[str], start: dict[str, str], prefix: str) -> dict[str, str]:
    columns = st.columns(3)
    chosen = {}
    for i, f in enumerate(fields):
        first = start.get(f.key, NONE)
        chosen[f.key] = columns[i % 3].selectbox(f"{f.header}（{f.key}）", options,
                                                 index=options.index(first) if first in options else 0,
                                                 key=f"map_{prefix}_{f.key}")
    return chosen


def _extract_choice(headers: list[str], prefix: str) -> dict:
    with st.expander("从其他列的文字中提取承办单位（如留言主题中的地区）"):
        left, right = st.columns(2)
        source = left.selectbox("取自哪一列", [NONE, *[h for h in headers if h.strip()]], key=f"map_{prefix}_exfrom")
        pattern = right.text_input("正则表达式（一个括号捕获组）", key=f"map_{prefix}_expat",
                                   placeholder=EXAMPLE_PATTERN)
        st.caption("未匹配的行使用默认单位。例：" + plain(EXAMPLE_PATTERN) + " 从「A7县某小区…」取出「A7县」。")
    if source == NONE or not pattern.strip():
        return {}
    return {"unit": {"from": source, "pattern": pattern.strip()}}


def _spec(base: Suggestion | Mapping, columns: dict[str, str], extract: dict) -> dict:
    spec = base.spec(SUGGESTED_LABEL) if isinstance(base, Suggestion) else dict(base.spec)
    spec["label"] = EDITED_NAME
    spec["columns"] = dict(columns)
    if extract:
        spec["extract"] = {**spec.get("extract", {}), **extract}
    for key in spec.get("extract", {}):
        spec["columns"].pop(key, None)
    return spec


def _show_preview(data: bytes, file_name: str, mapping: Mapping, crs: str) -> bool:
    try:
        preview = _preview(data, file_name, mapping, crs)
    except ImportRefused as exc:
        _error(f"按此映射无法导入：{exc}")
        return False
    scope = "全部" if preview.whole_file else "前"
    st.markdown(f"**预览**：检查了{scope} {preview.checked} 行，将导入 {preview.checked - preview.rejected} 行，"
                f"拒收 {preview.rejected} 行。尚未写入任何数据。")
    if preview.reasons:
        st.dataframe(pd.DataFrame(preview.reasons.most_common(), columns=["拒收原因", "行数"]), hide_index=True,
                     key="map_reasons")
    st.dataframe(_stored_rows(preview), hide_index=True, key="map_preview")
    if preview.new_units:
        st.caption(f"将新建 {len(preview.new_units)} 个单位：")
        st.text("、".join(preview.new_units[:50]) + (" …" if len(preview.new_units) > 50 else ""))
    return True


def _preview(data: bytes, file_name: str, mapping: Mapping, crs: str) -> Preview:
    """The last dry run is kept for the session: typing a name to save, or any widget that does not change the
    mapping, reruns the page without reading the file again."""
    key = (zlib.crc32(data), file_name, mapping.name, spec_to_toml(mapping.spec), crs)
    last = st.session_state.get(LAST_PREVIEW)
    if last is None or last[0] != key:
        last = st.session_state[LAST_PREVIEW] = (key, data_admin.preview(data, file_name, mapping, crs))
    return last[1]


def forget_preview() -> None:
    """After an import the database holds the file's units and cases: the next preview must read it again."""
    st.session_state.pop(LAST_PREVIEW, None)


def _stored_rows(preview: Preview) -> pd.DataFrame:
    frame = pd.DataFrame(preview.rows)
    names = {f.key: f.header for f in FIELDS}
    return frame.rename(columns=names).astype(str).replace({"None": "", "nan": ""})


def _save_form(spec: dict, tag: str, user: str) -> None:
    with st.expander("保存此列映射（以后导入同类文件时直接选用）"):
        name = st.text_input("名称", key=f"map_save_name_{tag}", max_chars=64)
        if st.button("保存列映射", key=f"map_save_{tag}", disabled=not name.strip()):
            try:
                data_admin.save_mapping(name.strip(), spec_to_toml({**spec, "label": name.strip()}), user)
            except ImportRefused as exc:
                _error(str(exc))
            else:
                st.success("已保存列映射：" + plain(name.strip()))
        st.download_button("下载为 TOML 文件（可在其他服务器用 cli.py mapping save 导入）",
                           spec_to_toml({**spec, "label": name.strip() or EDITED_NAME}),
                           file_name=f"{name.strip() or 'mapping'}.toml", mime="text/plain",
                           key=f"map_toml_{tag}", on_click="ignore")


def _error(text: str) -> None:
    st.error(plain(chinese(text)))
