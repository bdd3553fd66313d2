"""Agenda proposals and the follow-up of the last meeting's items (metrics.agenda), on the fixture district of
tests/meeting_fixture.py, whose figures are worked out by hand in its docstring."""
from datetime import date, datetime

import pytest

from data_access.records import meetings as store
from metrics import agenda
from metrics.periods import parse_period
from tests import meeting_fixture as fx


@pytest.mark.parametrize("week, expected", [
    ("2025-W10", "2025-03-01..2025-03-09"),   # month to date
    ("2025-W14", "2025-04-01..2025-04-06"),   # the week's last day decides the month
    ("2025-W35", "2025-08"),                  # ends on 31 August: the whole month
])
def test_a_week_is_scored_by_its_month_to_date(week, expected):
    assert agenda.score_period(parse_period(week)).key == expected
    assert agenda.score_period(parse_period("2025-B2")).key == "2025-B2"


def test_meeting_period_is_the_week_or_month_before_but_only_a_complete_one():
    assert agenda.meeting_period("周调度会", date(2025, 3, 10)).key == "2025-W10"
    assert agenda.meeting_period("周调度会", date(2025, 3, 10), date(2025, 3, 9)).key == "2025-W10"  # to Sunday
    # data to Wednesday 5 March: W10 (3–9 March) is not complete, W09 is
    assert agenda.meeting_period("周调度会", date(2025, 3, 12), date(2025, 3, 5)).key == "2025-W09"
    assert agenda.meeting_period("周调度会", date(2025, 3, 10), date(2025, 2, 20)).key == "2025-W07"
    assert agenda.meeting_period("月度点评会", date(2025, 4, 7)).key == "2025-03"
    assert agenda.meeting_period("会诊会", date(2025, 1, 6)).key == "2024-12"
    assert agenda.next_monday(date(2025, 3, 12)) == date(2025, 3, 17)
    assert agenda.next_monday(date(2025, 3, 10)) == date(2025, 3, 10)


def test_proposals_for_the_fixture_month(engine):
    ids = fx.build(engine)
    rules = fx.rules()
    got = agenda.propose(engine, parse_period("2025-03"), rules, as_of=fx.AS_OF)
    rows = got.to_dict("records")
    assert [(r["kind"], r["label"], r["owner_unit_id"]) for r in rows] == [
        ("unit", "东华门街道", ids["东华门街道"]),
        ("hotspot", "东城区北新桥三条8号", ids["东华门街道"]),
        ("hotspot", "东城区景山前街4号", ids["景山街道"]),
        ("overdue", "交道口街道 超期工单", ids["交道口街道"]),  # 景山's late case is closed: nothing left to act on
        ("repeat", "交道口街道 重复诉求", ids["交道口街道"]),
        ("topic", "每月一题：供暖", None),
    ]
    unit, surge, persistent, overdue, repeat, topic = rows
    assert unit["ref"] == str(ids["东华门街道"])
    assert unit["reason"] == "连续后进 2 期，列入会诊名单；综合成绩 77.50，街乡镇第 3 名"
    assert unit["baseline"] == {"period": "2025-03", "adjusted_score": pytest.approx(77.5), "rank": 3,
                                "group": "街乡镇"}
    assert surge["reason"] == "突增：本期 3 件，上期 1 件（东华门街道）；主要问题：市容环卫"
    assert surge["baseline"] == {"period": "2025-03", "volume": 3}
    assert persistent["reason"].startswith("持续高频：本期 2 件，上期 2 件（景山街道）")
    assert overdue["reason"] == "超期工单 1 件，其中 1 件尚未办结"
    assert (overdue["baseline"]["overdue"], overdue["baseline"]["still_open"]) == (1, 1)
    assert repeat["reason"] == "重复诉求 1 件，重复诉求率 25.00%（全区 12.50%）"
    assert (topic["ref"], topic["reason"]) == ("供暖", "每月一题诉求量上升：本期 2 件，上期 1 件")
    assert topic["baseline"] == {"period": "2025-03", "volume": 2}
    # a proposal's baseline is exactly what the follow-up will measure again
    figures = agenda.Figures(engine, parse_period("2025-03"), rules, fx.AS_OF)
    for row in rows:
        assert figures.measure(row["kind"], row["ref"]) == row["baseline"]


def test_follow_up_shows_what_became_of_each_item(engine):
    ids = fx.build(engine)
    rules = fx.rules()
    march = agenda.new_meeting(engine, "月度点评会", date(2025, 4, 7), rules, period=parse_period("2025-03"), user="张三")
    with engine.connect() as conn:
        assert store.get_meeting(conn, march)["period"] == "2025-03"
    agenda.accept(engine, march, agenda.propose(engine, parse_period("2025-03"), rules, as_of=fx.AS_OF), "张三")
    with engine.begin() as conn:
        store.add_item(conn, march, "note", "", "防汛准备")
    fx.add_april(engine, ids)
    april = agenda.new_meeting(engine, "月度点评会", date(2025, 5, 6), rules, period=parse_period("2025-04"))
    with engine.connect() as conn:
        meeting = store.get_meeting(conn, april)
        previous = store.previous_meeting(conn, meeting)
        items = store.list_items(conn, previous["id"])
    assert meeting["period"] == "2025-04"
    followed = agenda.follow_up(engine, items, parse_period(meeting["period"]), rules,
                                as_of=datetime(2025, 5, 6, 9, 0))
    got = {r["label"]: (r["before"], r["after"], r["verdict"], r["detail"]) for r in followed.to_dict("records")}
    assert got == {
        # 东华门: two good cases in April → 100, rank 1 (tied with 景山)
        "东华门街道": (pytest.approx(77.5), pytest.approx(100.0), "好转", "综合成绩 77.50 → 100.00；排名 3 → 1"),
        "东城区北新桥三条8号": (3, 1, "好转", "诉求量 3 件 → 1 件"),
        "东城区景山前街4号": (2, 3, "未好转", "诉求量 2 件 → 3 件"),
        # the March case of 交道口 that was still open has been closed
        "交道口街道 超期工单": (1, 0, "好转", "未办结超期工单 1 件 → 0 件"),
        "交道口街道 重复诉求": (1, 0, "好转", "重复诉求量 1 件 → 0 件"),
        "每月一题：供暖": (2, 0, "好转", "诉求量 2 件 → 0 件"),
        "防汛准备": (None, None, "—", ""),
    }
    carried = agenda.carry_over(engine, april, followed, "张三")
    with engine.connect() as conn:
        now = store.list_items(conn, april)
    assert [(i["id"], i["label"], i["source"], i["baseline"]) for i in now] == [
        (carried[0], "东城区景山前街4号", "carry", {"period": "2025-04", "volume": 3})]
    assert now[0]["reason"] == "上次会议事项，未好转：诉求量 2 件 → 3 件"


def test_pending_leaves_out_what_is_on_the_agenda(engine):
    fx.build(engine)
    rules = fx.rules()
    proposals = agenda.propose(engine, parse_period("2025-03"), rules, as_of=fx.AS_OF)
    meeting = agenda.new_meeting(engine, "月度点评会", date(2025, 4, 7), rules, period=parse_period("2025-03"))
    agenda.accept(engine, meeting, proposals.iloc[[1]])
    with engine.connect() as conn:
        items = store.list_items(conn, meeting)
    left = agenda.pending(proposals, items)
    assert list(left["label"]) == ["东华门街道", "东城区景山前街4号", "交道口街道 超期工单", "交道口街道 重复诉求",
                                   "每月一题：供暖"]


def test_add_to_meeting_creates_one_only_when_asked_and_writes_to_the_chosen_one(engine):
    ids = fx.build(engine)
    rules = fx.rules()
    p1 = agenda.propose(engine, parse_period("2025-03"), rules, as_of=fx.AS_OF).iloc[1]
    # Wednesday 2 April, "new meeting" chosen: a 周调度会 on Monday 7 April; its week (W14) has no data yet and the
    # data end on Thursday 20 March, inside W12, so it reviews the last complete week, W11 (10–16 March): P1 had none.
    meeting, item = agenda.add_to_meeting(engine, None, "hotspot", p1["ref"], p1["label"], rules, date(2025, 4, 2),
                                          user="李四")
    again, same = agenda.add_to_meeting(engine, meeting["id"], "hotspot", p1["ref"], p1["label"], rules,
                                        date(2025, 4, 3))
    second = agenda.new_meeting(engine, "周调度会", date(2025, 4, 7), rules, period=parse_period("2025-W12"))
    unit_meeting, unit_item = agenda.add_to_meeting(engine, second, "unit", str(ids["东华门街道"]), "东华门街道",
                                                    rules, date(2025, 4, 3), owner_unit_id=ids["东华门街道"])
    assert (meeting["meeting_date"], meeting["kind"], meeting["period"], meeting["number"]) == (
        date(2025, 4, 7), "周调度会", "2025-W11", 1)
    assert (again["id"], same) == (meeting["id"], item)
    assert (unit_meeting["id"], unit_meeting["number"]) == (second, 2)
    with engine.connect() as conn:
        first_items, second_items = store.list_items(conn, meeting["id"]), store.list_items(conn, second)
    assert [(i["kind"], i["baseline"]) for i in first_items] == [("hotspot", {"period": "2025-W11", "volume": 0})]
    # a week's unit score is its month to date: 1–23 March, which holds all of 东华门's March cases
    assert [(i["id"], i["kind"], i["baseline"]) for i in second_items] == [
        (unit_item, "unit", {"period": "2025-03-01..2025-03-23", "adjusted_score": pytest.approx(77.5), "rank": 3,
                             "group": "街乡镇"})]
    with pytest.raises(store.MeetingError, match="不存在"):
        agenda.add_to_meeting(engine, second + 99, "unit", str(ids["东华门街道"]), "东华门街道", rules,
                              date(2025, 4, 3))
