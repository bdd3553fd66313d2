"""AppTest of 数据管理's mapping editor and unit directory on the fixture district: a message-board export is
proposed a mapping, a field is changed and the preview follows, nothing is written before 开始导入, the unit is
taken out of the subject, a mapping is saved by name; units are renamed and merged."""
import pandas as pd
from sqlalchemy import func, select

from data_access.storage.engine import make_engine
from data_access.storage.schema import audit_log, import_batches, saved_mappings
from tests.test_app_drill_pages import app, assert_clean, button  # noqa: F401 — `app` is a fixture

BOARD = ("留言编号,留言主题,留言时间,留言详情,答复时间,备注\n"
         "901,A7县某小区停水三天,2019/3/7 18:32:24,停水三天了,2019/3/9 10:00:00,B市\n"
         "902,请加快修路,2019/3/8 09:10:00,路面坑洼,2019/3/10,A市\n"
         "903,B市公交线路调整建议,2019/3/9 11:00:00,线路太绕,,\n").encode()


def preview_rows(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "行号" in d.value.columns)


def batches(tmp_path) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(import_batches)).scalar()
    engine.dispose()
    return n


def test_proposal_change_preview_then_import(app, tmp_path):
    at = app("pages/data.py")
    before = batches(tmp_path)
    at.file_uploader(key="imp_file").set_value(("board.csv", BOARD, "text/csv")).run()
    assert_clean(at)
    proposal = next(d.value for d in at.dataframe if "把握" in d.value.columns)
    assert dict(zip(proposal["字段"], proposal["文件中的列"])) == {
        "工单编号": "留言编号", "受理时间": "留言时间", "诉求内容": "留言详情", "办结时间": "答复时间"}
    assert any("承办单位、一级分类" in w.value for w in at.warning)
    assert list(preview_rows(at)["承办单位"]) == ["未指定单位"] * 3
    assert any("拒收 0 行。尚未写入任何数据" in m.value for m in at.markdown)
    # Change one field: the unit from the 备注 column; the preview follows, the empty cell takes the default.
    tag = next(s.key for s in at.selectbox if s.key and s.key.endswith("_unit") and s.key.startswith("map_"))
    at.selectbox(key=tag).set_value("备注").run()
    assert list(preview_rows(at)["承办单位"]) == ["B市", "A市", "未指定单位"]
    assert batches(tmp_path) == before   # nothing written by the preview
    at.button(key="imp_go").click().run()
    assert_clean(at)
    assert any("共 3 行，新增 3 件" in s.value and "拒收 0 行" in s.value for s in at.success)
    assert batches(tmp_path) == before + 1


def test_unit_from_the_subject_and_a_saved_mapping(app, tmp_path):
    at = app("pages/data.py")
    at.file_uploader(key="imp_file").set_value(("board.csv", BOARD, "text/csv")).run()
    prefix = next(t.key for t in at.text_input if t.key and t.key.endswith("_expat"))[:-len("_expat")]
    at.selectbox(key=f"{prefix}_exfrom").set_value("留言主题")
    at.text_input(key=f"{prefix}_expat").set_value(r"^([A-Z]\d*[市区县])").run()
    assert list(preview_rows(at)["承办单位"]) == ["A7县", "未指定单位", "B市"]
    name_key = next(t.key for t in at.text_input if t.key and t.key.startswith("map_save_name_"))
    at.text_input(key=name_key).set_value("留言板").run()
    button(at, "保存列映射").click().run()
    assert_clean(at)
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    with engine.connect() as conn:
        content = conn.execute(select(saved_mappings.c.content).where(saved_mappings.c.name == "留言板")).scalar()
        assert conn.execute(select(audit_log.c.action).where(audit_log.c.action == "mapping_save")).scalar()
    engine.dispose()
    assert '[extract.unit]\nfrom = "留言主题"' in content and "unit =" not in content.split("[columns]")[1].split(
        "[")[0]
    # The saved mapping is offered for the next file.
    at.run()
    assert "留言板" in at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("map_base_"))).options


def test_rename_and_merge_units_and_bad_input_shown_plainly(app):
    at = app("pages/data.py")
    at.selectbox(key="rename_unit").set_value(1)                       # 东华门街道
    at.text_input(key="rename_name").set_value("东华门街道办事处")
    button(at, "改名").click().run()
    assert_clean(at)
    assert at.success[0].value.startswith("已将「东华门街道」改名为「东华门街道办事处」")
    at.selectbox(key="merge_source").set_value(2)                      # 景山街道, 8 cases
    at.selectbox(key="merge_target").set_value(3)                      # 交道口街道
    at.checkbox(key="merge_sure").check()
    button(at, "合并").click().run()
    assert_clean(at)
    assert at.success[0].value == "已将「景山街道」并入「交道口街道」，移入工单 8 件。"
    assert at.selectbox(key="adj_unit").options == ["东华门街道办事处", "交道口街道"]
    at.selectbox(key="merge_source").set_value(3)
    at.selectbox(key="merge_target").set_value(3)
    at.checkbox(key="merge_sure").check()
    button(at, "合并").click().run()
    assert [e.value for e in at.error] == ["不能把单位合并到它自己"]  # the English tail is for the command line
