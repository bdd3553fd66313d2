"""数据管理 — is the data current and clean? Import with progress, batch history, rejected rows with reasons and
download, undo a batch (with confirmation), 加减分 entry, units and populations. Center staff only. No sidebar
filters: the page must work on an empty database, where the first import is made."""
from datetime import date

import pandas as pd
import streamlit as st

from data_access.ingest.case_store import UndoRefused
from data_access.ingest.case_fields import ImportRefused
from data_access.ingest.coords import CRS_NAMES
from data_access.records.unit_directory import UnitError
from data_access.records.units import UNIT_TYPES
from metrics.adjustments import AdjustmentError, add_adjustment
from metrics.periods import PeriodError, parse_period, period_of
from metrics.registry import no_data_notices
from ui import cache, data_admin, mapping_editor, rules_choice
from ui import format as fmt
from ui.auth import current_user
from ui.panel import guarded
from ui.plain import chinese, plain

BATCH_TEXTS = {"id": "批次", "file_name": "文件名", "source": "来源", "imported_by": "导入人", "started_at": "导入时间",
               "status": "状态", "n_rows": "行数", "n_new": "新增", "n_updated": "更新", "n_unchanged": "未变",
               "n_rejected": "拒收", "warnings": "注意"}
STATUS_TEXT = {"done": "有效", "undone": "已撤销"}
SOURCE_TEXT = {"import": "文件导入", "demo": "演示数据"}
ADJUSTMENT_COLUMNS = ["unit_name", "points", "reason", "created_by", "created_at"]
ADJUSTMENT_TEXTS = {"points": "分值", "reason": "原因", "created_by": "录入人", "created_at": "录入时间"}
FLASH = "data_flash"


def done(message: str) -> None:
    """Show the message after a rerun, so that every table on the page already shows the change."""
    st.session_state[FLASH] = message
    st.rerun()


def directory_change(change, message) -> None:
    """A unit directory change: its reason on screen when refused (names from files shown plainly), else done."""
    try:
        result = change()
    except (UnitError, ImportRefused) as exc:
        st.error(plain(chinese(str(exc))))
    else:
        done(message(result))


user = current_user()
if user.role != "staff":
    st.warning("数据管理（导入、撤销、加减分、单位维护）仅限中心工作人员使用。")
    st.stop()
st.title("数据管理")
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))
imports, batches, adjustments, units, targets = st.tabs(["导入工单", "导入批次与拒收行", "加减分", "单位目录与人口",
                                                          "单位目标"])

# --- import a file, with a progress bar ---
with imports:
    st.caption("12345 平台或其他系统导出的工单文件（CSV 或 Excel，可多选，或一个 zip 压缩包），一次导入为一个批次。"
               "上传后先看建议的列映射和预览，确认无误再导入。"
               "同样的文件按同样的列映射再次导入不会重复；同一工单编号再次导入会更新该工单。")
    # The drop zone's own words ("Drag and drop", "Upload", "… per file") are Streamlit's and cannot be set in
    # 1.64 without injecting HTML: the label and this help say the same in Chinese.
    uploads = st.file_uploader("工单文件（点击按钮选择文件，或把文件拖入下方框内）", type=["csv", "xlsx", "zip"],
                               accept_multiple_files=True, key="imp_file",
                               help=f"支持 CSV、Excel（.xlsx）及其 zip 压缩包，可多选；"
                                    f"单个文件不超过 {st.get_option('server.maxUploadSize')} MB。")
    crs = st.selectbox("坐标系", CRS_NAMES, format_func=data_admin.CRS_LABELS.get, key="imp_crs", width=320)
    files = [(u.name, u.getvalue()) for u in uploads or []]
    try:   # the mapping is made on the batch's first file
        sample = data_admin.first_data_file(files) if files else None
    except ImportRefused as exc:
        sample = None
        st.error(f"文件无法读取：{plain(chinese(str(exc)))}")
    mapping = mapping_editor.render(*sample, crs, user.name) if sample else None
    if st.button("开始导入", type="primary", disabled=mapping is None, key="imp_go"):
        bar = st.progress(0.0, text="正在导入…")

        def progress(rows: int, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=data_admin.progress_text(rows, fraction))

        try:
            result = data_admin.run_import(files, mapping, crs, user.name, progress)
            mapping_editor.forget_preview()
            st.session_state["imp_message"] = data_admin.import_message(result)
        except ImportRefused as exc:
            st.session_state["imp_message"] = None
            st.error(f"文件无法导入，未做任何改动：{plain(chinese(str(exc)))}")
        bar.empty()
    if st.session_state.get("imp_message"):
        st.success(plain(st.session_state["imp_message"]))   # holds unit names and headers from the file

# --- batch history, rejected rows of a batch, undo ---
with batches, guarded("导入批次"):
    history = pd.DataFrame(cache.list_batches(), columns=[*BATCH_TEXTS, "not_provided"])
    shown = history.assign(status=history["status"].map(STATUS_TEXT), source=history["source"].map(SOURCE_TEXT),
                           warnings=history["warnings"].map(data_admin.warnings_text)).drop(columns="not_provided")
    st.caption("点选一个批次，查看它的拒收行或撤销它。")
    event = st.dataframe(shown.rename(columns=BATCH_TEXTS), hide_index=True, on_select="rerun",
                         selection_mode="single-row", key="batch_table")
    if event.selection.rows:
        batch = history.iloc[event.selection.rows[0]]
        batch_id = int(batch["id"])
        st.subheader(f"批次 {batch_id}：{plain(batch['file_name'])}")
        for notice in no_data_notices(filter(None, (batch["not_provided"] or "").split(","))):
            st.caption(notice + "。")
        if batch["n_rejected"]:
            rejects = data_admin.rejects_table(batch_id)
            st.markdown(f"**拒收行**（共 {batch['n_rejected']} 行，以下最多显示 {data_admin.REJECTS_SHOWN} 行）")
            st.dataframe(rejects, hide_index=True)
            st.download_button("下载拒收行（改正后可重新导入）", lambda: data_admin.rejects_file(batch_id, user.name),
                               file_name=f"拒收行_批次{batch_id}.csv", mime="text/csv", key=f"rej_csv_{batch_id}",
                               on_click="ignore")
        if batch["status"] == "done":
            sure = st.checkbox(f"我确认撤销批次 {batch_id}：删除它新增的工单，把它更新过的工单恢复原样",
                               key=f"undo_sure_{batch_id}")
            if st.button("撤销此批次", disabled=not sure, key=f"undo_{batch_id}"):
                try:
                    n = data_admin.undo(batch_id, user.name)
                except UndoRefused as exc:
                    st.error(f"无法撤销：{plain(chinese(str(exc)))}")
                else:
                    done(f"批次 {batch_id} 已撤销，恢复了 {n} 件工单。")

# --- 加减分: points with a reason, per unit and period ---
with adjustments, guarded("加减分"):
    latest = cache.data_days("r")  # the month of the latest case is where adjustments usually go
    period_key = st.text_input("考核期", value=period_of(latest[1], "month").key if latest else "", key="adj_period",
                               width=240, help="如 2025-03（月）、2025-B2（双月）；加减分只计入这一期。")
    unit_names = {u["id"]: u["name"] for u in cache.list_units()}
    with st.form("adjust_form", clear_on_submit=True):
        left, right = st.columns([2, 1])
        unit_id = left.selectbox("单位", list(unit_names), format_func=unit_names.get, key="adj_unit")
        points = right.number_input("分值（减分填负数）", value=0.0, step=0.5, format="%.2f", key="adj_points")
        reason = st.text_input("原因", key="adj_reason", placeholder="如：主动治理老旧小区漏雨问题")
        if st.form_submit_button("保存加减分", type="primary"):
            try:
                add_adjustment(cache.engine(), unit_id, period_key, points, reason, user.name)
            except (AdjustmentError, PeriodError) as exc:
                st.error(plain(chinese(str(exc))))
            else:
                cache.clear()
                done(f"已为{plain(unit_names[unit_id])}记录 {points:+.2f} 分（{period_key}）。")
    try:
        period = parse_period(period_key)
    except PeriodError as exc:
        st.error(plain(chinese(str(exc))))
    else:
        listed = cache.list_adjustments(period.key)
        st.markdown(f"**{period.label} 的加减分**")
        if listed.empty:
            st.caption("本期没有加减分。")
        else:
            st.dataframe(fmt.table(listed, ADJUSTMENT_COLUMNS, ADJUSTMENT_TEXTS), hide_index=True)

# --- units and their populations (万人诉求比) ---
with units, guarded("单位与人口"):
    table = pd.DataFrame(cache.list_units(), columns=["id", "code", "name", "unit_type", "population"])
    st.caption("常住人口用于万人诉求比；只有人口一列可以修改。")
    edited = st.data_editor(table, hide_index=True, disabled=["id", "code", "name", "unit_type"], key="units_editor",
                            column_config={"id": None, "code": "单位编码", "name": "单位名称", "unit_type": "单位类型",
                                           "population": st.column_config.NumberColumn("常住人口", min_value=0,
                                                                                       step=1, format="%d")})
    changes = data_admin.population_changes(table, edited)
    if st.button(f"保存人口（{len(changes)} 处修改）", disabled=not changes, key="save_population"):
        data_admin.save_populations(changes, user.name)
        done(f"已保存 {len(changes)} 个单位的人口。")
    unit_names = {u["id"]: u["name"] for u in cache.list_units()}
    rename_col, merge_col = st.columns(2)
    with rename_col.form("rename_form", clear_on_submit=True):
        st.markdown("**改名（如为编码起显示名称）**")
        renamed = st.selectbox("单位", list(unit_names), format_func=unit_names.get, key="rename_unit")
        new_name = st.text_input("新名称", key="rename_name")
        if st.form_submit_button("改名"):
            directory_change(lambda: data_admin.rename(renamed, new_name, user.name),
                             lambda old: f"已将「{plain(old)}」改名为「{plain(new_name.strip())}」；"
                                         f"文件中仍写「{plain(old)}」的工单会归入此单位。")
    with merge_col.form("merge_form"):
        st.markdown("**合并两个单位**（工单、加减分、议程事项随之移入）")
        source = st.selectbox("并入的单位（合并后删除）", list(unit_names), format_func=unit_names.get,
                              key="merge_source")
        target = st.selectbox("保留的单位", list(unit_names), format_func=unit_names.get, key="merge_target")
        sure = st.checkbox("我确认合并（不能撤销）", key="merge_sure")
        if st.form_submit_button("合并"):
            if not sure:
                st.error("请先勾选确认。")
            else:
                directory_change(lambda: data_admin.merge(source, target, user.name),
                                 lambda m: f"已将「{plain(m['source'])}」并入「{plain(m['target'])}」，"
                                           f"移入工单 {m['cases']} 件。")
    left, right = st.columns(2)
    units_upload = left.file_uploader("导入单位目录 CSV（code,name,unit_type,street,population）", type=["csv"],
                                      key="units_file")
    if left.button("导入单位目录", disabled=units_upload is None, key="units_go"):
        directory_change(lambda: data_admin.import_units(units_upload.getvalue(), units_upload.name, user.name),
                         lambda n: f"单位目录已导入：新建 {n['created']} 个，更新 {n['updated']} 个。")
    right.download_button("导出单位目录 CSV", lambda: data_admin.units_file(user.name), file_name="单位目录.csv",
                          mime="text/csv", key="units_csv", on_click="ignore")
    with st.form("unit_form", clear_on_submit=True):
        st.markdown("**新增单位**")
        left, middle, right, last = st.columns(4)
        name = left.text_input("单位名称", key="new_unit_name")
        unit_type = middle.selectbox("单位类型", UNIT_TYPES, key="new_unit_type")
        code = right.text_input("单位编码（可空）", key="new_unit_code")
        population = last.number_input("常住人口（可空）", min_value=0, value=None, step=1, key="new_unit_pop")
        if st.form_submit_button("新增单位"):
            try:
                data_admin.new_unit(name, unit_type, code, population, user.name)
            except ValueError as exc:
                st.error(plain(chinese(str(exc))))
            else:
                done(f"已新增单位：{plain(name.strip())}")

# --- units' monthly targets (预警's month-end projection and daily progress; empty = the rules' targets.*) ---
with targets, guarded("单位目标"):
    rules = rules_choice.rules_for(rules_choice.default_source())
    month = st.text_input("月份", value=period_of(date.today(), "month").key, key="target_month",
                          help="例如 2025-12。留空的按评分规则的默认目标"
                               f"（成绩 {rules.get('targets.score'):g} 分，解决率 {rules.get('targets.resolution'):.0%}，"
                               f"满意率 {rules.get('targets.satisfaction'):.0%}）。")
    try:
        month_key = parse_period(month).key if parse_period(month).kind == "month" else None
    except PeriodError:
        month_key = None
    if month_key is None:
        st.error("请填写月份，例如 2025-12。")
    else:
        table = data_admin.target_table(month_key)
        edited = st.data_editor(table, hide_index=True, disabled=["id", "name"], key=f"targets_editor_{month_key}",
                                column_config={"id": None, "name": "单位名称", **{
                                    name: st.column_config.NumberColumn(label, min_value=0, max_value=top, step=0.5)
                                    for name, (label, top) in data_admin.TARGET_COLUMNS.items()}})
        changes = data_admin.target_changes(table, edited)
        if st.button(f"保存目标（{len(changes)} 个单位有修改）", disabled=not changes, key="save_targets"):
            data_admin.save_targets(month_key, changes, user.name)
            done(f"已保存 {len(changes)} 个单位 {month_key} 的目标。")
