"""Meetings (周调度会 / 月度点评会 / 会诊会) and their agenda items: storage only.

An item is one thing the meeting takes up: a unit, a hotspot, a unit's overdue or repeat cases, a 每月一题 topic,
or a free note. `ref` says which (a unit id, "address:<key>" or "h3:<cell>", a topic), `baseline` keeps the
item's figures as they were when it was put on the agenda, so that the next meeting can show what became of it
(metrics.agenda). Items keep their order in `position`; every change is written to the audit log.
"""
import json
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.storage.schema import meeting_items, meetings

MEETING_KINDS = ("周调度会", "月度点评会", "会诊会")
ITEM_KINDS = {"unit": "后进单位", "hotspot": "高频点位", "overdue": "超期工单", "repeat": "重复诉求",
              "topic": "每月一题", "note": "其他事项"}
SOURCES = {"auto": "系统建议", "manual": "人工添加", "carry": "上次转入"}
# What staff may change on an item from the agenda table.
EDITABLE = ("label", "reason", "owner_unit_id", "decision", "due_date")


class MeetingError(ValueError):
    """Bad input for a meeting or an item; the message names the field (Chinese, then English)."""


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _check_length(value: str, field: str, limit: int) -> None:
    if len(value or "") > limit:
        raise MeetingError(f"{field} 过长：最多 {limit} 个字，现在 {len(value)} 个字 ({field} longer than {limit})")


def _check_choice(value, choices, field: str) -> None:
    if value not in choices:
        raise MeetingError(f"{field} 只能是 {' / '.join(choices)}，而不是 {value!r} ({field}: invalid value)")


# --- meetings ---

def create_meeting(conn: Connection, meeting_date: date, kind: str, period: str, title: str = "",
                   user: str = "") -> int:
    _check_choice(kind, MEETING_KINDS, "kind")
    if not isinstance(meeting_date, date):
        raise MeetingError(f"meeting_date 应为日期，而不是 {meeting_date!r} (meeting_date must be a date)")
    _check_length(title, "title", meetings.c.title.type.length)
    result = conn.execute(meetings.insert().values(meeting_date=meeting_date, kind=kind, period=period,
                                                   title=title or "", created_by=user or "", created_at=_now()))
    meeting_id = result.inserted_primary_key[0]
    audit.record(conn, user, "meeting_create", {"meeting": meeting_id, "kind": kind, "date": meeting_date,
                                                "period": period})
    return meeting_id


def _numbered():
    """Meetings with `number`: 1, 2 … among the meetings of the same date and kind, by creation (id), so that
    date + kind + number names one meeting (two 周调度会 on one day stay apart wherever a label is shown)."""
    same = meetings.alias("same")
    number = (select(func.count()).select_from(same)
              .where(same.c.meeting_date == meetings.c.meeting_date, same.c.kind == meetings.c.kind,
                     same.c.id <= meetings.c.id)
              .scalar_subquery().label("number"))
    return select(meetings, number)


def _one(conn: Connection, query) -> dict | None:
    row = conn.execute(query.limit(1)).mappings().first()
    return dict(row) if row else None


def get_meeting(conn: Connection, meeting_id: int) -> dict | None:
    return _one(conn, _numbered().where(meetings.c.id == meeting_id))


def list_meetings(conn: Connection, limit: int = 100) -> list[dict]:
    """Newest meeting first."""
    query = _numbered().order_by(meetings.c.meeting_date.desc(), meetings.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def meeting_for_period(conn: Connection, period: str) -> dict | None:
    """The latest meeting that reviews this period (the one a briefing for the period belongs to)."""
    return _one(conn, _numbered().where(meetings.c.period == period)
                .order_by(meetings.c.meeting_date.desc(), meetings.c.id.desc()))


def previous_meeting(conn: Connection, meeting: dict) -> dict | None:
    """The meeting of the same kind held last before this one: whose items this one follows up (督办)."""
    earlier = or_(meetings.c.meeting_date < meeting["meeting_date"],
                  and_(meetings.c.meeting_date == meeting["meeting_date"], meetings.c.id < meeting["id"]))
    return _one(conn, _numbered().where(meetings.c.kind == meeting["kind"], earlier)
                .order_by(meetings.c.meeting_date.desc(), meetings.c.id.desc()))


def delete_meeting(conn: Connection, meeting_id: int, user: str = "") -> None:
    conn.execute(meeting_items.delete().where(meeting_items.c.meeting_id == meeting_id))
    conn.execute(meetings.delete().where(meetings.c.id == meeting_id))
    audit.record(conn, user, "meeting_delete", {"meeting": meeting_id})


# --- items ---

def _decoded(row) -> dict:
    item = dict(row)
    item["baseline"] = json.loads(item["baseline"]) if item["baseline"] else {}
    return item


def list_items(conn: Connection, meeting_id: int) -> list[dict]:
    """The agenda in order; `baseline` decoded to a dict."""
    query = (select(meeting_items).where(meeting_items.c.meeting_id == meeting_id)
             .order_by(meeting_items.c.position, meeting_items.c.id))
    return [_decoded(r) for r in conn.execute(query).mappings()]


def find_item(conn: Connection, meeting_id: int, kind: str, ref: str) -> int | None:
    query = select(meeting_items.c.id).where(meeting_items.c.meeting_id == meeting_id,
                                             meeting_items.c.kind == kind, meeting_items.c.ref == ref)
    return conn.execute(query.limit(1)).scalar()


def add_item(conn: Connection, meeting_id: int, kind: str, ref: str, label: str, *, reason: str = "",
             baseline: dict | None = None, owner_unit_id: int | None = None, source: str = "manual",
             user: str = "") -> int:
    """Append an item; a unit, place or topic already on this agenda is not added twice (its id is returned)."""
    _check_choice(kind, ITEM_KINDS, "kind")
    _check_choice(source, SOURCES, "source")
    if not (label or "").strip():
        raise MeetingError("议程事项的名称 label 不能为空 (label is required)")
    _check_length(label.strip(), "label", meeting_items.c.label.type.length)
    _check_length(str(ref or ""), "ref", meeting_items.c.ref.type.length)
    if get_meeting(conn, meeting_id) is None:
        raise MeetingError(f"会议 {meeting_id} 不存在 (meeting {meeting_id} not found)")
    if kind != "note":
        existing = find_item(conn, meeting_id, kind, ref)
        if existing is not None:
            return existing
    last = conn.execute(select(func.max(meeting_items.c.position))
                        .where(meeting_items.c.meeting_id == meeting_id)).scalar()
    result = conn.execute(meeting_items.insert().values(
        meeting_id=meeting_id, position=(last or 0) + 1, kind=kind, ref=str(ref or ""), label=label.strip(),
        reason=reason or "", baseline=json.dumps(baseline, ensure_ascii=False, default=str) if baseline else None,
        source=source, owner_unit_id=owner_unit_id, decision="", due_date=None, created_by=user or "",
        created_at=_now()))
    item_id = result.inserted_primary_key[0]
    audit.record(conn, user, "agenda_add", {"meeting": meeting_id, "item": item_id, "kind": kind, "ref": ref})
    return item_id


def _edits(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise MeetingError(f"议程事项不能修改这些字段: {sorted(unknown)} (fields not editable)")
    if "label" in fields:
        if not (fields["label"] or "").strip():
            raise MeetingError("议程事项的名称 label 不能为空 (label is required)")
        _check_length(fields["label"], "label", meeting_items.c.label.type.length)
    due = fields.get("due_date")
    if due is not None and not isinstance(due, date):
        raise MeetingError(f"完成时限 due_date 应为日期，而不是 {due!r} (due_date must be a date)")
    return {k: ("" if v is None and k in ("reason", "decision") else v) for k, v in fields.items()}


def save_agenda(conn: Connection, meeting_id: int, rows: list[dict], user: str = "") -> None:
    """Store the agenda as edited: `rows` in their new order, each with `id` and any EDITABLE fields.

    Items of the meeting missing from `rows` are removed; positions become 1, 2, 3 … in the order given.
    """
    current = {item["id"] for item in list_items(conn, meeting_id)}
    kept = [int(row["id"]) for row in rows]
    strangers = set(kept) - current
    if strangers:
        raise MeetingError(f"议程事项 {sorted(strangers)} 不属于会议 {meeting_id} (items not on this agenda)")
    for position, row in enumerate(rows, start=1):
        values = _edits({k: v for k, v in row.items() if k != "id"})
        conn.execute(meeting_items.update().where(meeting_items.c.id == int(row["id"]))
                     .values(position=position, **values))
    removed = sorted(current - set(kept))
    if removed:
        conn.execute(meeting_items.delete().where(meeting_items.c.id.in_(removed)))
    audit.record(conn, user, "agenda_save", {"meeting": meeting_id, "removed": removed}, len(rows))


# --- the meeting feature's writes, each one transaction with its audit records (callers never open one) ---

def new_meeting(engine: Engine, meeting_date: date, kind: str, period: str, title: str = "", user: str = "") -> int:
    with engine.begin() as conn:
        return create_meeting(conn, meeting_date, kind, period, title, user)


def add_items(engine: Engine, meeting_id: int, items: list[dict], source: str, user: str = "") -> list[int]:
    """Items (add_item's keyword arguments: kind, ref, label, reason, baseline, owner_unit_id) appended at once."""
    with engine.begin() as conn:
        return [add_item(conn, meeting_id, source=source, user=user, **item) for item in items]


def add_item_to(engine: Engine, meeting_id: int | None, item: dict, new: tuple[date, str, str] | None = None,
                user: str = "") -> tuple[dict, int]:
    """One manual item; `meeting_id` None creates the meeting `new` = (date, kind, period) in the same
    transaction. Returns (meeting, item id)."""
    with engine.begin() as conn:
        if meeting_id is None:
            meeting_id = create_meeting(conn, *new, user=user)
        item_id = add_item(conn, meeting_id, source="manual", user=user, **item)
        return get_meeting(conn, meeting_id), item_id


def store_agenda(engine: Engine, meeting_id: int, rows: list[dict], user: str = "") -> None:
    with engine.begin() as conn:
        save_agenda(conn, meeting_id, rows, user)
