"""The briefing: figures gathered on every database, the .docx and .xlsx opened and checked, a page rendered.

Fixture: tests/meeting_fixture.py (figures worked out there). A 月度点评会 on 7 April reviews March and accepts the
proposed agenda; the one on 6 May reviews April. April by hand: 东华门 a5, a6 good → 100; 景山 b5–b7 good → 100;
交道口 c8 good, c9 不满意 → 100 × (0.10 + 0.45 + 0.45 × 0.5) = 77.50, third and lagging (first time), satisfaction
lost 100 × 0.45 × 0.5 = 22.50 in one case; the lowest red flag of the group is 100, so 差 1 件.
District: April 7 cases (March 8); resolution 7/7 (March 7.5/8 = 93.75 %), satisfaction 6/7 = 85.71 % (March 7/8),
response 100 % both; raw score 10 + 45 + 45 × 6/7 = 93.57 (March 10 + 42.1875 + 39.375 = 91.5625).
"""
import io
import json
import shutil
import subprocess
from contextlib import redirect_stdout
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

import cli
from data_access.records import meetings as store
from data_access.storage.schema import audit_log
from metrics import agenda
from metrics.periods import parse_period
from reports.briefing_data import gather
from reports.briefing_docx import build_docx
from reports.briefing_xlsx import build_xlsx
from tests import meeting_fixture as fx
from tests.dbs import migrated_engine

pytestmark = pytest.mark.slow  # builds the Word and Excel briefing; one test renders it with LibreOffice

MAY_6 = datetime(2025, 5, 6, 9, 0)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _two_meetings(engine) -> dict:
    """The fixture through April, a March meeting with the proposed agenda and decisions, an April meeting."""
    ids = fx.build(engine)
    rules = fx.rules()
    march = agenda.new_meeting(engine, "月度点评会", date(2025, 4, 7), rules, period=parse_period("2025-03"))
    agenda.accept(engine, march, agenda.propose(engine, parse_period("2025-03"), rules, as_of=fx.AS_OF))
    with engine.begin() as conn:
        first = store.list_items(conn, march)[0]
        store.save_agenda(conn, march, [{"id": first["id"], "decision": "区城指中心约谈，两周内整改",
                                         "due_date": date(2025, 4, 21)}]
                          + [{"id": i["id"]} for i in store.list_items(conn, march)[1:]])
    fx.add_april(engine, ids)
    april = agenda.new_meeting(engine, "月度点评会", date(2025, 5, 6), rules, period=parse_period("2025-04"))
    agenda.accept(engine, april, agenda.propose(engine, parse_period("2025-04"), rules, as_of=MAY_6))
    return {"ids": ids, "rules": rules, "march": march, "april": april}


def test_gathered_figures(engine):
    made = _two_meetings(engine)
    b = gather(engine, parse_period("2025-04"), made["rules"], as_of=MAY_6, with_charts=False)
    assert b.meeting["id"] == made["april"] and b.previous_meeting["id"] == made["march"]
    assert b.sentences[:2] == [
        "2025年4月全区共受理诉求 7 件，较上期减少 1 件（-12.5%）。",
        "响应率 100.00%（持平），解决率 100.00%（上升 6.25 个百分点），满意率 85.71%（下降 1.79 个百分点）；"
        "全区综合成绩 93.57 分，较上期上升 2.01 分。",
    ]
    assert b.sentences[2] == ("街乡镇组 3 个单位参与排名，第一名 东华门街道（100.00 分）；获流动红旗：东华门街道、景山街道；"
                              "后进单位：交道口街道。")
    assert b.sentences[3] == ("诉求量居前的 2 个点位中，高频点位 1 个，其中突增 0 个；"
                              "诉求最多的是东城区景山前街4号（3 件，上期 2 件）。")  # P2: 3 cases (≥ 2), not ≥ 2 × 2
    scores = b.tables["scores"].frame.set_index("unit_name")
    assert scores.loc["交道口街道", "adjusted_score"] == pytest.approx(77.5)
    assert list(scores["rank"]) == [1, 1, 3]
    lag = b.tables["lagging"].frame.to_dict("records")
    assert [(r["unit_name"], r["lagging_periods"], r["watchlist"], r["lost_cases"], r["target"], r["gap_cases"])
            for r in lag] == [("交道口街道", 1, False, 1, 100.0, 1)]
    assert (lag[0]["response_lost"], lag[0]["resolution_lost"], lag[0]["satisfaction_lost"]) == (
        pytest.approx(0), pytest.approx(0), pytest.approx(22.5))
    assert b.lagging_notes == ["交道口街道：街乡镇第 3 名，综合成绩 77.50 分；失分 响应率 0.00、解决率 0.00、满意率 22.50 分，"
                               "满意率失分最多；失分工单 1 件；办好失分最多的 1 件即可达到 100.00 分。"]
    follow = b.tables["follow_up"].frame
    assert list(zip(follow["item"], follow["verdict"])) == [
        ("东华门街道", "好转"), ("东城区北新桥三条8号", "好转"), ("东城区景山前街4号", "未好转"),
        ("交道口街道 超期工单", "好转"), ("交道口街道 重复诉求", "好转"), ("每月一题：供暖", "好转")]
    assert follow.iloc[0]["decision"] == "区城指中心约谈，两周内整改"
    assert b.tables["agenda"].title == "本次会议议程"
    assert list(b.tables["agenda"].frame["item"]) == ["交道口街道", "东城区景山前街4号"]  # lagging; P2: 3 vs 2, persistent


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One SQLite database, the April briefing built once with its charts (rendering takes a few seconds)."""
    engine = migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('briefing') / 'cases.db'}")
    made = _two_meetings(engine)
    b = gather(engine, parse_period("2025-04"), made["rules"], as_of=MAY_6)
    yield {"engine": engine, "briefing": b, "docx": build_docx(b), "xlsx": build_xlsx(b)}
    engine.dispose()


def _cli_scores(engine, period: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["scores", "--db", str(engine.url), "--period", period, "--format", "json",
                         "--rules", str(_rules_file(engine))]) == 0
    return {r["unit_name"]: r for r in json.loads(out.getvalue())}


def _rules_file(engine) -> Path:
    path = Path(engine.url.database).with_name("rules.toml")
    path.write_text(fx.RULES_TEXT, encoding="utf-8")
    return path


def test_docx_has_every_section_table_image_and_the_scores_the_cli_prints(files):
    doc = Document(io.BytesIO(files["docx"]))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == ["一、总体情况", "二、各单位成绩与排名", "三、流动红旗与进步奖", "四、后进单位会诊", "五、高频点位",
                        "六、诉求类别与每月一题", "七、本次会议议程", "八、上次会议事项督办"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "接诉即办月度点评会材料：2025年4月"
    assert "2025年4月全区共受理诉求 7 件，较上期减少 1 件（-12.5%）。" in text
    assert "上次会议：2025年4月7日月度点评会。" in text
    assert len(doc.inline_shapes) == 4  # trend, map, categories, 每月一题
    tables = {t.rows[0].cells[0].text + "|" + t.rows[0].cells[1].text: t for t in doc.tables}
    scores = tables["排名|承办单位"]
    shown = {row.cells[1].text: row.cells[7].text for row in scores.rows[1:]}
    assert shown == {"东华门街道": "100.00", "景山街道": "100.00", "交道口街道": "77.50"}
    printed = _cli_scores(files["engine"], "2025-04")
    assert shown == {name: f"{r['adjusted_score']:.2f}" for name, r in printed.items()}
    follow_rows = [[c.text for c in row.cells] for row in doc.tables[-1].rows]
    assert follow_rows[0] == ["事项类型", "议程事项", "责任单位", "会议决定", "完成时限", "变化情况", "进展"]
    assert follow_rows[1] == ["后进单位", "东华门街道", "东华门街道", "区城指中心约谈，两周内整改", "2025-04-21",
                              "综合成绩 77.50 → 100.00；排名 3 → 1", "好转"]


def test_xlsx_has_a_sheet_per_table_with_registry_headers_and_formats(files):
    wb = load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames == ["概要", "成绩排名", "不参与排名", "流动红旗", "后进单位", "高频点位", "诉求类别", "每月一题",
                             "议程", "督办"]
    scores = wb["成绩排名"]
    headers = [c.value for c in scores[1]]
    assert headers[:4] == ["排名分组", "排名", "单位编码", "承办单位"]
    row = next(r for r in scores.iter_rows(min_row=2) if r[3].value == "交道口街道")
    score, rate = row[headers.index("综合成绩")], row[headers.index("满意率")]
    assert (score.value, score.number_format) == (pytest.approx(77.5), "0.00")
    assert (rate.value, rate.number_format) == (pytest.approx(0.5), "0.00%")
    lagging = wb["后进单位"]
    lag_headers = [c.value for c in lagging[1]]
    assert lagging.cell(2, lag_headers.index("差几件") + 1).value == 1
    assert lagging.cell(2, lag_headers.index("满意率失分") + 1).value == pytest.approx(22.5)
    summary = [r for r in wb["概要"].iter_rows(values_only=True) if r[0] == "原始成绩"]
    assert summary[0][1:3] == (pytest.approx(93.5714, abs=1e-4), pytest.approx(91.5625))
    verdicts = [r[-1] for r in wb["督办"].iter_rows(min_row=2, values_only=True)]
    assert verdicts == ["好转", "好转", "未好转", "好转", "好转", "好转"]


def test_cli_writes_both_files_and_refuses_a_wrong_suffix(files, tmp_path, capsys):
    url = str(files["engine"].url)
    out, book = tmp_path / "周调度会.docx", tmp_path / "周调度会.xlsx"
    assert cli.main(["briefing", "--db", url, "--period", "2025-W15", "--out", str(out), "--xlsx", str(book),
                     "--rules", str(_rules_file(files["engine"]))]) == 0
    said = capsys.readouterr().out
    assert "单位成绩、排名、流动红旗和后进单位按2025-04-01至2025-04-13" in said
    doc = Document(out)
    assert doc.paragraphs[0].text == "接诉即办工作材料：2025年第15周（04.07-04.13）"
    assert load_workbook(book).sheetnames[0] == "概要"
    with files["engine"].connect() as conn:
        exports = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "export")).scalars().all()
    assert any("2025-W15" in d for d in exports)
    assert cli.main(["briefing", "--db", url, "--period", "2025-W15", "--out", str(tmp_path / "x.doc")]) == 2
    assert "--out" in capsys.readouterr().err
    assert cli.main(["briefing", "--db", url, "--period", "2025-W15", "--out", str(out), "--meeting", "999"]) == 2


def test_rendered_page_shows_chinese(files, tmp_path):
    """LibreOffice renders the Word file; the PDF must carry the Chinese text in a CJK font (not boxes)."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.skip("LibreOffice (soffice) or poppler (pdftoppm) not installed: "
                    "apt-get install -y libreoffice-writer-nogui poppler-utils")
    source = tmp_path / "briefing.docx"
    source.write_bytes(files["docx"])
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "briefing.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts  # the Chinese glyphs come from an embedded CJK font
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "二、各单位成绩与排名" in text and "交道口街道" in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run([pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "briefing-page")],
                   check=True, timeout=60)
    assert list(ARTIFACTS.glob("briefing-page*.png"))
