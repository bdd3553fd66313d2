"""Storage of meetings and agenda items (data_access.records.meetings) on SQLite, PostgreSQL and MariaDB."""
from datetime import date

import pytest
from sqlalchemy import select

from data_access.records import meetings as m
from data_access.storage.schema import audit_log, units as units_table
from tests.factories import units


def _meeting(engine, day: str, kind: str = "周调度会", period: str = "2025-W10") -> int:
    with engine.begin() as conn:
        return m.create_meeting(conn, date.fromisoformat(day), kind, period, user="张三")


def test_meetings_are_found_by_date_and_kind(engine):
    week1 = _meeting(engine, "2025-03-03", period="2025-W09")
    clinic = _meeting(engine, "2025-03-05", kind="会诊会", period="2025-02")
    week2 = _meeting(engine, "2025-03-10")
    with engine.connect() as conn:
        assert [x["id"] for x in m.list_meetings(conn)] == [week2, clinic, week1]
        # follow-up goes to the last meeting of the same kind, not the 会诊会 in between
        assert m.previous_meeting(conn, m.get_meeting(conn, week2))["id"] == week1
        assert m.previous_meeting(conn, m.get_meeting(conn, week1)) is None
        assert m.meeting_for_period(conn, "2025-W10")["id"] == week2
        assert m.meeting_for_period(conn, "2025-W11") is None
        got = m.get_meeting(conn, week2)
    assert (got["meeting_date"], got["kind"], got["period"], got["created_by"]) == (
        date(2025, 3, 10), "周调度会", "2025-W10", "张三")


def test_meetings_of_the_same_day_and_kind_are_numbered(engine):
    first = _meeting(engine, "2025-03-10")
    clinic = _meeting(engine, "2025-03-10", kind="会诊会", period="2025-02")
    second = _meeting(engine, "2025-03-10")
    other_day = _meeting(engine, "2025-03-17")
    with engine.connect() as conn:
        numbers = {x["id"]: x["number"] for x in m.list_meetings(conn)}
        assert numbers == {first: 1, clinic: 1, second: 2, other_day: 1}
        assert m.get_meeting(conn, second)["number"] == 2
        assert m.previous_meeting(conn, m.get_meeting(conn, second))["id"] == first
        assert m.meeting_for_period(conn, "2025-W10")["number"] == 1  # the latest: 17 March


def test_bad_meeting_input_names_the_field(engine):
    with engine.begin() as conn, pytest.raises(m.MeetingError, match="kind"):
        m.create_meeting(conn, date(2025, 3, 3), "茶话会", "2025-W10")
    with engine.begin() as conn, pytest.raises(m.MeetingError, match="meeting_date"):
        m.create_meeting(conn, "2025-03-03", "周调度会", "2025-W10")


def test_items_keep_order_baseline_and_are_not_doubled(engine):
    ids = units(engine, ("东华门街道", "街道"))
    meeting = _meeting(engine, "2025-03-10")
    with engine.begin() as conn:
        first = m.add_item(conn, meeting, "unit", "7", "东华门街道", reason="连续后进 2 期",
                           baseline={"adjusted_score": 88.125, "rank": 15, "group": "街乡镇"},
                           owner_unit_id=ids["东华门街道"], source="auto")
        second = m.add_item(conn, meeting, "hotspot", "address:东城区北新桥三条8号", "北新桥三条8号",
                            baseline={"volume": 12})
        again = m.add_item(conn, meeting, "unit", "7", "东华门街道（重复）")
        note1 = m.add_item(conn, meeting, "note", "", "供暖季准备")
        note2 = m.add_item(conn, meeting, "note", "", "防汛检查")
        items = m.list_items(conn, meeting)
    assert again == first
    assert [(i["id"], i["position"]) for i in items] == [(first, 1), (second, 2), (note1, 3), (note2, 4)]
    assert items[0]["baseline"] == {"adjusted_score": 88.125, "rank": 15, "group": "街乡镇"}
    assert (items[0]["owner_unit_id"], items[0]["source"], items[0]["reason"]) == (ids["东华门街道"], "auto", "连续后进 2 期")
    assert items[2]["baseline"] == {} and items[2]["decision"] == "" and items[2]["due_date"] is None


def test_bad_items_are_refused(engine):
    meeting = _meeting(engine, "2025-03-10")
    with engine.begin() as conn:
        with pytest.raises(m.MeetingError, match="kind"):
            m.add_item(conn, meeting, "weather", "", "晴")
        with pytest.raises(m.MeetingError, match="label"):
            m.add_item(conn, meeting, "note", "", "  ")
        with pytest.raises(m.MeetingError, match="999"):
            m.add_item(conn, 999, "note", "", "无此会议")
        with pytest.raises(m.MeetingError, match="label"):  # 256 characters do not fit the column
            m.add_item(conn, meeting, "note", "", "长" * 256)
        assert m.add_item(conn, meeting, "note", "", "长" * 255)
    with engine.begin() as conn, pytest.raises(m.MeetingError, match="title"):
        m.create_meeting(conn, date(2025, 3, 3), "周调度会", "2025-W10", title="题" * 129)


def test_save_agenda_reorders_edits_and_removes(engine):
    ids = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"))
    meeting = _meeting(engine, "2025-03-10")
    other = _meeting(engine, "2025-03-17")
    with engine.begin() as conn:
        a = m.add_item(conn, meeting, "note", "", "甲")
        b = m.add_item(conn, meeting, "note", "", "乙")
        c = m.add_item(conn, meeting, "note", "", "丙")
        foreign = m.add_item(conn, other, "note", "", "别的会")
        m.save_agenda(conn, meeting, [
            {"id": c, "decision": "城管执法队本周内清理", "due_date": date(2025, 3, 14),
             "owner_unit_id": ids["景山街道"]},
            {"id": a, "label": "甲（改）", "decision": None},
        ], user="张三")
        items = m.list_items(conn, meeting)
        with pytest.raises(m.MeetingError, match=str(foreign)):
            m.save_agenda(conn, meeting, [{"id": foreign}])
        with pytest.raises(m.MeetingError, match="kind"):
            m.save_agenda(conn, meeting, [{"id": a, "kind": "unit"}])
        with pytest.raises(m.MeetingError, match="due_date"):
            m.save_agenda(conn, meeting, [{"id": a, "due_date": "下周"}])
        actions = conn.execute(select(audit_log.c.action, audit_log.c.user_name, audit_log.c.n_rows)
                               .where(audit_log.c.action == "agenda_save")).all()
    assert [(i["id"], i["position"], i["label"]) for i in items] == [(c, 1, "丙"), (a, 2, "甲（改）")]
    assert (items[0]["decision"], items[0]["due_date"], items[0]["owner_unit_id"]) == (
        "城管执法队本周内清理", date(2025, 3, 14), ids["景山街道"])
    assert items[1]["decision"] == ""
    assert b not in [i["id"] for i in items]
    assert actions == [("agenda_save", "张三", 2)]


def test_delete_meeting_takes_its_items(engine):
    meeting = _meeting(engine, "2025-03-10")
    kept = _meeting(engine, "2025-03-17")
    with engine.begin() as conn:
        m.add_item(conn, meeting, "note", "", "甲")
        m.add_item(conn, kept, "note", "", "乙")
        m.delete_meeting(conn, meeting)
        assert m.get_meeting(conn, meeting) is None
        assert m.list_items(conn, meeting) == []
        assert [i["label"] for i in m.list_items(conn, kept)] == ["乙"]



def test_migration_0002_upgrades_a_database_in_place(tmp_path):
    """A database at 0001 keeps its data and gains the two tables; downgrading to 0001 drops only them.
    (Every test's database reaches head through 0002 on all three backends; this one steps 0001 → 0002 alone.)"""
    from alembic import command
    from sqlalchemy import inspect

    from data_access.storage.engine import make_engine
    from data_access.storage.migrate import _config, current_revision

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0001")
    ids = units(engine, ("东华门街道", "街道"))
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0002")
    assert current_revision(engine) == "0002"
    assert {"meetings", "meeting_items"} <= set(inspect(engine).get_table_names())
    meeting = _meeting(engine, "2025-03-10")
    with engine.begin() as conn:
        m.add_item(conn, meeting, "unit", str(ids["东华门街道"]), "东华门街道", owner_unit_id=ids["东华门街道"])
        assert [i["owner_unit_id"] for i in m.list_items(conn, meeting)] == [ids["东华门街道"]]
        command.downgrade(_config(conn), "0001")
    assert not {"meetings", "meeting_items"} & set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        # the name column alone: the units table of 0001 lacks the columns later migrations add
        assert conn.execute(select(units_table.c.name)).scalars().all() == ["东华门街道"]
    engine.dispose()
