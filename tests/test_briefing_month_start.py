"""The briefing in the first days of a week and a month: data ending on Tuesday 2 December 2025.

Default rules (min_assessed 10). Two streets, one case a day each from 1 November to 2 December, received 09:00,
responded 2 h and closed 48 h later, 解决, 满意 — except 景山's cases of 1, 6, 11, 16, 21 and 26 November, 不满意.
November by hand: 东华门 30 assessed → 100.00; 景山 satisfaction 24/30 → 10 + 45 + 45 × 0.8 = 91.00; district
satisfaction 54/60 = 90 %, raw score 10 + 45 + 40.5 = 95.50. December to date: 2 cases a unit (< 10): no unit
ranked, so scores fall back to November. W48 = 24–30 November (14 cases), W49 = 1–7 December (4 cases so far);
the two days before 1 December (29–30 November) also hold 4 cases.
"""
import io
from datetime import date, datetime, timedelta

from docx import Document

from metrics import agenda
from metrics.periods import parse_period
from metrics.rules import load_rules
from reports.briefing_data import gather
from reports.briefing_docx import build_docx
from tests.factories import case_row, units, write

AS_OF = datetime(2025, 12, 3, 9, 0)  # Wednesday 3 December: the data end the day before
EMPTY = ("（）", "无数据（", "分，。", "，。")


def _build(engine) -> dict:
    ids = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"))
    rows, day = [], date(2025, 11, 1)
    while day <= date(2025, 12, 2):
        for name, uid in ids.items():
            received = datetime.combine(day, datetime.min.time()).replace(hour=9)
            unhappy = name == "景山街道" and day.month == 11 and day.day % 5 == 1
            rows.append(case_row(f"{uid}-{day:%m%d}", uid, received, responded_at=received + timedelta(hours=2),
                                 closed_at=received + timedelta(hours=48), solved="解决",
                                 satisfaction="不满意" if unhappy else "满意"))
        day += timedelta(days=1)
    write(engine, rows)
    return ids


def _text(briefing) -> str:
    return "\n".join([briefing.scope, *briefing.sentences])


def test_meetings_default_to_the_last_complete_week_and_month():
    tuesday = date(2025, 12, 2)
    assert agenda.meeting_period("周调度会", date(2025, 12, 8), tuesday) == parse_period("2025-W48")
    assert agenda.meeting_period("周调度会", date(2025, 12, 3), tuesday) == parse_period("2025-W48")
    assert agenda.meeting_period("月度点评会", date(2025, 12, 8), tuesday) == parse_period("2025-11")
    assert agenda.meeting_period("周调度会", date(2025, 12, 1), date(2025, 11, 30)) == parse_period("2025-W48")


def test_the_default_week_is_complete_and_its_scores_are_those_of_november(engine):
    _build(engine)
    rules = load_rules(None)
    b = gather(engine, parse_period("2025-W48"), rules, as_of=AS_OF, with_charts=False)
    assert b.score_period == parse_period("2025-11")  # W48 ends on 30 November: the whole month
    assert b.sentences[:2] == [
        "2025年第48周（11.24-11.30）全区共受理诉求 14 件，较上期持平。",  # W47 also 14
        "按2025年11月统计，响应率 100.00%，解决率 100.00%，满意率 90.00%；全区综合成绩 95.50 分。"]
    ranked = b.tables["scores"].frame
    assert list(zip(ranked["unit_name"], ranked["adjusted_score"].round(2))) == [("东华门街道", 100.0),
                                                                               ("景山街道", 91.0)]
    assert b.tables["not_ranked"].frame.empty
    assert not any(bad in _text(b) for bad in EMPTY)


def test_a_week_asked_for_while_running_is_cut_and_compared_like_with_like(engine):
    _build(engine)
    b = gather(engine, parse_period("2025-W49"), load_rules(None), as_of=AS_OF, with_charts=False)
    assert b.period.label == "2025年第49周（12.01-12.07）（截至12月2日）"
    assert (b.period.start, b.period.end) == (date(2025, 12, 1), date(2025, 12, 3))
    # 4 cases on 1–2 December against 4 on 29–30 November, not against the 14 of a whole week
    assert b.sentences[0] == "2025年第49周（12.01-12.07）（截至12月2日）全区共受理诉求 4 件，较上期持平。"
    # December to date has no ranked unit: scores are November's, and the briefing says so
    assert b.score_period == parse_period("2025-11")
    assert "本月截至2025年12月2日尚无参与排名的单位" in b.scope and "上一个完整月份2025年11月" in b.scope
    assert "环比与上期同样天数（2025-11-29至2025-11-30）相比" in b.scope
    assert b.tables["not_ranked"].frame.empty and len(b.tables["scores"].frame) == 2
    assert not any(bad in _text(b) for bad in EMPTY)
    doc = Document(io.BytesIO(build_docx(b)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert not any(bad in text for bad in ("（）", "无数据（", "分，。"))


def test_month_to_date_on_the_2nd_falls_back_to_the_last_complete_month(engine):
    _build(engine)
    b = gather(engine, parse_period("2025-12"), load_rules(None), as_of=AS_OF, with_charts=False)
    assert b.period.label == "2025年12月（截至12月2日）"
    assert b.score_period == parse_period("2025-11")
    assert b.sentences[0] == "2025年12月（截至12月2日）全区共受理诉求 4 件，较上期持平。"
    assert not any(bad in _text(b) for bad in EMPTY)


def test_a_month_without_any_assessed_case_says_what_is_missing(engine):
    _build(engine)
    b = gather(engine, parse_period("2025-10"), load_rules(None), as_of=AS_OF, with_charts=False)
    assert b.sentences[:2] == ["2025年10月全区共受理诉求 0 件，较上期持平。",
                               "尚无参评工单，响应率、解决率、满意率和综合成绩均无数据。"]
    assert not any(bad in _text(b) for bad in EMPTY)
