"""AppTest of the 调度会 page and the "加入调度会议程" button, on the fixture district of tests/meeting_fixture.py
(figures worked out in its docstring; the follow-up verdicts are those of tests/test_agenda.py)."""
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.records import meetings as store
from data_access.storage.schema import audit_log, import_batches
from metrics import agenda
from metrics.periods import parse_period
from tests import meeting_fixture as fx
from tests.dbs import migrated_engine
from ui.agenda import REMOVE, agenda_table, saved_rows
from ui.auth import User

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LEADER = User("区领导", "leader")


@pytest.fixture
def db(tmp_path, monkeypatch):
    """The fixture district (February, March) as the demo database; returns (engine, unit ids)."""
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    engine = migrated_engine(url)
    ids = fx.build(engine)
    with engine.begin() as conn:  # marked as the demo district's, so the app opens without a login
        conn.execute(import_batches.update().values(source="demo"))
    (tmp_path / "rules.toml").write_text(fx.RULES_TEXT, encoding="utf-8")
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("SCORING_RULES", str(tmp_path / "rules.toml"))
    monkeypatch.delenv("AUTH_MODE", raising=False)
    # ui.auth reruns a page's first run through app.py by resetting a process-wide flag that AppTest sets again
    # on every run, so each AppTest run would run twice and lose a clicked button: leave it out here.
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    yield engine, ids
    engine.dispose()


def open_meeting_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/meeting.py")
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame(at: AppTest, key: str) -> pd.DataFrame:
    return next(d for d in at.dataframe if key in d.proto.id).value


def test_staff_create_a_meeting_and_accept_the_proposed_agenda(db):
    engine, ids = db
    at = open_meeting_page()
    assert_clean(at)
    assert "还没有安排会议。请在上方“新建会议”中创建本周的调度会。" in [i.value for i in at.info]
    at.selectbox(key="new_kind").set_value("月度点评会")
    at.date_input(key="new_day").set_value(date(2025, 4, 7)).run()
    # the month before, but the data end on 20 March: the last complete month; staff may type another
    assert at.text_input(key="new_period_月度点评会_2025-04-07").value == "2025-02"
    at.text_input(key="new_period_月度点评会_2025-04-07").set_value("2025-03")
    at.button(key="new_create").click().run()
    assert_clean(at)
    assert r"已创建 2025\-04\-07 月度点评会（2025年3月）。" in [s.value for s in at.success]  # markdown-escaped
    proposals = frame(at, "proposals_")
    assert list(proposals["item"]) == ["东华门街道", "东城区北新桥三条8号", "东城区景山前街4号", "交道口街道 超期工单",
                                       "交道口街道 重复诉求", "每月一题：供暖"]
    assert proposals["accept"].all()
    at.button(key="proposals_accept").click().run()
    assert_clean(at)
    assert "已将 6 项建议加入议程。" in [s.value for s in at.success]
    shown = frame(at, "agenda_")
    assert list(shown["position"]) == [1, 2, 3, 4, 5, 6]
    assert list(shown["item_kind"]) == ["后进单位", "高频点位", "高频点位", "超期工单", "重复诉求", "每月一题"]
    assert list(shown["owner_unit"])[:3] == [ids["东华门街道"], ids["东华门街道"], ids["景山街道"]]
    assert "没有新的建议议题：数据提出的事项都已在议程中。" in [i.value for i in at.info]
    with engine.connect() as conn:
        meeting = store.list_meetings(conn)[0]
        assert {i["source"] for i in store.list_items(conn, meeting["id"])} == {"auto"}
    at.text_input(key="agenda_note_2").set_value("汛期积水点排查部署")
    at.button(key="agenda_add_note").click().run()
    assert frame(at, "agenda_")["item"].iloc[-1] == "汛期积水点排查部署"


def test_two_edits_in_the_agenda_table_are_saved(db):
    """AppTest cannot type into st.data_editor: the edited table is made here as the editor returns it."""
    engine, ids = db
    meeting = agenda.new_meeting(engine, "周调度会", date(2025, 3, 24), fx.rules())
    agenda.accept(engine, meeting, agenda.propose(engine, parse_period("2025-W12"), fx.rules(), as_of=fx.AS_OF))
    with engine.connect() as conn:
        items = store.list_items(conn, meeting)
    edited = agenda_table(items)
    first, last = edited.index[0], edited.index[-1]
    edited.loc[first, ["decision", "due_date"]] = ["东华门街道本周内约谈整改", "2025-03-28"]  # edit 1: a decision
    edited.loc[last, "position"] = 1                                                          # edit 2: to the top
    with engine.begin() as conn:
        store.save_agenda(conn, meeting, saved_rows(edited))
        saved = store.list_items(conn, meeting)
    assert [i["id"] for i in saved] == [last, *[i for i in edited.index if i != last]]
    assert [i["position"] for i in saved] == list(range(1, len(items) + 1))
    top = next(i for i in saved if i["id"] == first)
    assert (top["decision"], top["due_date"]) == ("东华门街道本周内约谈整改", date(2025, 3, 28))
    edited[REMOVE] = edited.index == first  # ticking 移除
    assert first not in [row["id"] for row in saved_rows(edited)]


def _march_then_april(engine, ids) -> tuple[int, int]:
    march = agenda.new_meeting(engine, "月度点评会", date(2025, 4, 7), fx.rules(), period=parse_period("2025-03"))
    agenda.accept(engine, march, agenda.propose(engine, parse_period("2025-03"), fx.rules(), as_of=fx.AS_OF))
    fx.add_april(engine, ids)
    return march, agenda.new_meeting(engine, "月度点评会", date(2025, 5, 6), fx.rules(), period=parse_period("2025-04"))


def test_the_next_meeting_follows_up_every_item_and_carries_over_what_did_not_improve(db):
    engine, ids = db
    march, april = _march_then_april(engine, ids)
    at = open_meeting_page()
    assert_clean(at)
    assert at.selectbox(key="meeting").value == april  # no meeting ahead of today: the latest one
    follow = next(d.value for d in at.dataframe if "进展" in d.value.columns)
    assert list(zip(follow["议程事项"], follow["进展"])) == [
        ("东华门街道", "好转"), ("东城区北新桥三条8号", "好转"), ("东城区景山前街4号", "未好转"),
        ("交道口街道 超期工单", "好转"), ("交道口街道 重复诉求", "好转"), ("每月一题：供暖", "好转")]
    assert follow["变化情况"].iloc[0] == "综合成绩 77.50 → 100.00；排名 3 → 1"
    at.button(key="follow_carry").click().run()
    assert_clean(at)
    assert "已转入 1 项。" in [s.value for s in at.success]
    agenda_now = frame(at, f"agenda_{april}_")
    assert list(zip(agenda_now["item"], agenda_now["item_source"])) == [("东城区景山前街4号", "上次转入")]


@pytest.mark.slow  # renders the briefing
def test_the_briefing_is_generated_for_download_and_audited(db):
    engine, ids = db
    _march_then_april(engine, ids)
    at = open_meeting_page()
    at.button(key="briefing_make").click().run()
    assert_clean(at)
    docx, xlsx = at.session_state["briefing_2"]["docx"], at.session_state["briefing_2"]["xlsx"]
    assert docx[1] == "月度点评会材料_20250506_2025-04.docx" and docx[0][:2] == b"PK"
    assert xlsx[1] == "月度点评会材料_20250506_2025-04.xlsx" and xlsx[0][:2] == b"PK"
    assert [b.label for b in at.get("download_button")] == ["下载 Word 简报", "下载 Excel 表格"]
    with engine.connect() as conn:
        details = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "export")).scalars().all()
    assert any("2025-04" in d and ".docx" in d for d in details)


def test_a_leader_reads_the_agenda_but_does_not_edit(db, monkeypatch):
    engine, ids = db
    _march_then_april(engine, ids)
    monkeypatch.setattr("ui.auth.current_user", lambda: LEADER)
    at = open_meeting_page()
    assert_clean(at)
    assert [b.key for b in at.button] == ["briefing_make"]
    assert not [e for e in at.expander if e.label == "新建会议"]
    proposals = next(d.value for d in at.dataframe if "提出缘由" in d.value.columns)
    assert list(proposals["议程事项"]) == ["交道口街道", "东城区景山前街4号"]  # April: 交道口 lags, P2 persists


def _button_page(kind: str, ref: str, label: str) -> None:
    from ui.agenda import add_to_agenda_button
    add_to_agenda_button(kind, ref, label, key="to_agenda")


def test_the_add_to_agenda_button_creates_a_meeting_only_when_the_user_picks_new(db):
    engine, ids = db
    ref = agenda.propose(engine, parse_period("2025-03"), fx.rules(), as_of=fx.AS_OF).iloc[1]["ref"]  # P1
    at = AppTest.from_function(_button_page, args=("hotspot", ref, "东城区北新桥三条8号"), default_timeout=60)
    at.run()
    monday = agenda.next_monday(date.today())
    chooser = at.selectbox(key="to_agenda_meeting")
    assert chooser.options == [f"新建 {monday:%Y-%m-%d} 周调度会"] and chooser.value == 0
    with engine.connect() as conn:
        assert store.list_meetings(conn) == []  # drawing the button creates nothing
    at.button(key="to_agenda").click().run()
    assert_clean(at)
    with engine.connect() as conn:
        meeting = store.list_meetings(conn)[0]
        items = store.list_items(conn, meeting["id"])
    assert (meeting["kind"], meeting["meeting_date"]) == ("周调度会", monday)
    # the data end on Thursday 20 March 2025, so the meeting reviews the last complete week (W11): no case there
    assert meeting["period"] == "2025-W11"
    assert [(i["label"], i["baseline"]) for i in items] == [
        ("东城区北新桥三条8号", {"period": "2025-W11", "volume": 0})]
    assert any("已将“东城区北新桥三条8号”加入" in s.value for s in at.success)


def test_the_add_to_agenda_button_writes_to_the_meeting_chosen(db):
    engine, ids = db
    day = date.today() + timedelta(days=3)
    first = agenda.new_meeting(engine, "周调度会", day, fx.rules(), period=parse_period("2025-W12"))
    second = agenda.new_meeting(engine, "周调度会", day, fx.rules(), period=parse_period("2025-W12"))
    at = AppTest.from_function(_button_page, args=("unit", str(ids["景山街道"]), "景山街道"), default_timeout=60)
    at.run()
    chooser = at.selectbox(key="to_agenda_meeting")
    assert chooser.value == first  # the nearest upcoming meeting first
    assert chooser.options[:2] == [f"{day:%Y-%m-%d} 周调度会（2025年第12周（03.17-03.23））",
                                   f"{day:%Y-%m-%d} 周调度会 第2场（2025年第12周（03.17-03.23））"]
    chooser.set_value(second)
    at.button(key="to_agenda").click().run()
    assert_clean(at)
    with engine.connect() as conn:
        assert [i["label"] for i in store.list_items(conn, second)] == ["景山街道"]
        assert store.list_items(conn, first) == []
        assert len(store.list_meetings(conn)) == 2


def test_two_meetings_of_one_day_stay_apart_and_every_write_goes_to_the_one_shown(db):
    """The sequence of issue 13: a second 周调度会 on the same day, shown; proposals accepted and a note added
    there. Before, both had the same label, the choice fell back to the first and every item was written there."""
    engine, ids = db
    day = date.today() + timedelta(days=3)
    first = agenda.new_meeting(engine, "周调度会", day, fx.rules(), period=parse_period("2025-03"))
    second = agenda.new_meeting(engine, "周调度会", day, fx.rules(), period=parse_period("2025-03"))
    at = open_meeting_page()
    assert at.selectbox(key="meeting").options == [f"{day:%Y-%m-%d} 周调度会 第2场（2025年3月）",
                                                   f"{day:%Y-%m-%d} 周调度会（2025年3月）"]
    at.selectbox(key="meeting").set_value(second).run()
    assert at.selectbox(key="meeting").value == second
    assert len(frame(at, f"proposals_{second}_")) == 6
    at.button(key="proposals_accept").click().run()
    assert_clean(at)
    assert at.selectbox(key="meeting").value == second
    at.text_input(key="agenda_note_1").set_value("汛期积水点排查部署")
    at.button(key="agenda_add_note").click().run()
    assert_clean(at)
    with engine.connect() as conn:
        assert store.list_items(conn, first) == []
        shown = [i["label"] for i in store.list_items(conn, second)]
    assert shown == ["东华门街道", "东城区北新桥三条8号", "东城区景山前街4号", "交道口街道 超期工单",
                     "交道口街道 重复诉求", "每月一题：供暖", "汛期积水点排查部署"]
    assert list(frame(at, f"agenda_{second}_")["item"]) == shown
    at.selectbox(key="meeting").set_value(first).run()  # the first stays selectable
    assert at.selectbox(key="meeting").value == first
    assert "议程还没有事项。可采纳下方的建议议题，或添加其他事项。" in [i.value for i in at.info]


def test_a_leader_does_not_see_the_add_button(db, monkeypatch):
    monkeypatch.setattr("ui.auth.current_user", lambda: LEADER)
    at = AppTest.from_function(_button_page, args=("unit", "1", "东华门街道"), default_timeout=60)
    at.run()
    assert_clean(at)
    assert not at.button


def test_missing_owner_decision_and_date_read_as_a_dash(db, monkeypatch):
    engine, ids = db
    march, _ = _march_then_april(engine, ids)
    monkeypatch.setattr("ui.auth.current_user", lambda: LEADER)
    at = open_meeting_page()
    at.selectbox(key="meeting").set_value(march).run()
    assert_clean(at)
    shown = next(d.value for d in at.dataframe if "会议决定" in d.value.columns)
    assert list(shown["议程事项"])[-1] == "每月一题：供暖"
    assert list(shown["责任单位"])[-1] == "—"  # a topic has no owner
    assert set(shown["会议决定"]) == {"—"} and set(shown["完成时限"]) == {"—"}
    assert "None" not in shown.to_string()
