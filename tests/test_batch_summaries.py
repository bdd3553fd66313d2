"""Summaries added from a batch of new cases (summaries.refresh_batch) equal a fresh build from the cases: after
a first load, a batch on days and places that already have rows, a new month, a batch with updates and undos,
every summary table holds row for row what rebuild_stats builds from the case table."""
import csv
import io
import math
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access.ingest import summaries
from data_access.ingest.case_store import undo_batch
from data_access.ingest.importer import import_bytes
from data_access.storage.schema import STAT_TABLES, cases, stat_district_month, stat_unit_day

HEADER = ["工单编号", "受理时间", "承办单位", "单位类型", "问题分类", "所属街道", "诉求地址", "经度", "纬度", "紧急程度",
          "办理时限类别", "派单时间", "响应时间", "办结时间", "回访时间", "解决情况", "满意度", "是否特例", "标签"]
UNITS = ["东华门街道", "景山街道", "区城管委"]
ADDRESSES = ["东华门大街1号", "景山前街2号", "东华门大街 1 号", None]   # the third is the first's address key
POINTS = [(116.40, 39.91), (116.41, 39.92), (None, None)]


def _case(no: str, received: datetime, r: random.Random, unit: str | None = None, solved: str | None = None):
    """A case of varied shape: with and without address, point, response, close, callback (often next month)."""
    dispatched = received + timedelta(minutes=r.randrange(5, 90))
    responded = dispatched + timedelta(minutes=r.randrange(10, 40 * 60)) if r.random() < 0.8 else None
    closed = (responded or dispatched) + timedelta(hours=r.randrange(1, 300)) if r.random() < 0.7 else None
    callback = (closed + timedelta(days=r.randrange(0, 12))) if closed and r.random() < 0.8 else None
    lon, lat = r.choice(POINTS)
    show = lambda t: t.strftime("%Y-%m-%d %H:%M:%S") if t else ""  # noqa: E731
    return [no, show(received), unit or r.choice(UNITS), "街道", r.choice(["物业管理->维修", "市容环卫->垃圾", "交通管理"]),
            r.choice(["东华门", "景山", ""]), r.choice(ADDRESSES) or "", "" if lon is None else f"{lon:.6f}",
            "" if lat is None else f"{lat:.6f}", r.choice(["一般", "紧急", ""]), r.choice(["一般", "疑难", ""]),
            show(dispatched), show(responded), show(closed), show(callback),
            solved or r.choice(["解决", "部分解决", "未解决", ""]), r.choice(["满意", "基本满意", "不满意", ""]),
            r.choice(["否"] * 5 + ["是"]), r.choice(["", "每月一题", "疑难;挂账"])]


def _file(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _month_of(prefix: str, start: datetime, days: int, n: int, seed: int, **fields):
    r = random.Random(seed)
    return [_case(f"{prefix}{i:03d}", start + timedelta(minutes=r.randrange(days * 24 * 60)), r, **fields)
            for i in range(n)]


def _rows(conn, table) -> list[tuple]:
    return sorted((tuple(r) for r in conn.execute(select(table))), key=repr)


def _same(a: tuple, b: tuple) -> bool:
    """Equal, floats up to rounding (a cell's coordinate sums are added in another order than a rebuild's)."""
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-12) if isinstance(x, float) and
                                    isinstance(y, float) else x == y for x, y in zip(a, b))


def _assert_as_rebuilt(engine) -> None:
    """Every summary table equals a from-scratch rebuild of all days, done in a transaction then rolled back."""
    with engine.connect() as conn:
        kept = {t.name: _rows(conn, t) for t in STAT_TABLES}
        days = conn.execute(select(func.min(cases.c.received_day), func.max(cases.c.received_day),
                                   func.max(cases.c.basis_cb_day))).one()
        for table in STAT_TABLES:
            conn.execute(table.delete())
        if days[0] is not None:
            summaries.rebuild_stats(conn, days[0], max(days[1:]) + timedelta(days=1))
        rebuilt = {t.name: _rows(conn, t) for t in STAT_TABLES}
        conn.rollback()
    for name, rows in rebuilt.items():
        assert len(kept[name]) == len(rows), name
        wrong = [(a, b) for a, b in zip(kept[name], rows) if not _same(a, b)]
        assert not wrong, (name, wrong[:3])


def _import(engine, rows, name: str, new: int, updated: int = 0) -> int:
    result = import_bytes(engine, _file(rows), name)
    assert (result.new, result.updated, result.rejected) == (new, updated, 0)
    return result.batch_id


def _volumes(engine) -> dict:
    t = stat_district_month.c
    with engine.connect() as conn:
        return dict(conn.execute(select(t.day, t.volume).where(t.basis == "r")).all())


@pytest.fixture
def rectangles(monkeypatch):
    """The calls of refresh_stats' rectangle recompute (an all-new batch must not need it)."""
    calls = []
    original = summaries.refresh_stats
    monkeypatch.setattr(summaries, "refresh_stats",
                        lambda conn, *touched: calls.append(1) or original(conn, *touched))
    return calls


def test_batches_of_new_cases_add_what_a_rebuild_would_hold(engine, rectangles):
    feb = _month_of("A", datetime(2025, 2, 24), 10, 60, seed=1)        # 24 Feb – 5 Mar, callbacks into March
    _import(engine, feb, "a.csv", new=60)
    _assert_as_rebuilt(engine)
    assert sum(_volumes(engine).values()) == 60
    # Half of the same cases under other numbers: their days, units, places and months have rows already
    # (upserts, the nullable-key tables' rectangles; the months hold more cases than the batch, so they take its
    # own totals too), and a few cases on new days of a new unit around them.
    again = [["B" + row[0][1:], *row[1:]] for row in feb[::2]]
    later = _month_of("N", datetime(2025, 3, 10), 3, 8, seed=2, unit="和平里街道")
    _import(engine, again + later, "b.csv", new=38)
    _assert_as_rebuilt(engine)
    assert sum(_volumes(engine).values()) == 98
    # A new month: by callback day its first days already hold February's and March's cases.
    april = _import(engine, _month_of("C", datetime(2025, 4, 1), 30, 50, seed=3), "c.csv", new=50)
    _assert_as_rebuilt(engine)
    assert rectangles == []
    # Updates (ten February cases changed, one moved to April) with new cases: the exact rectangle.
    changed = [[*row[:15], "未解决" if row[15] == "解决" else "解决", *row[16:]] for row in feb[:10]]
    changed[0][1] = "2025-04-03 09:00:00"
    updates = _import(engine, changed + _month_of("D", datetime(2025, 3, 20), 5, 5, seed=4), "d.csv", new=5,
                      updated=10)
    _assert_as_rebuilt(engine)
    assert rectangles == [1]
    for batch in (updates, april):
        with engine.begin() as conn:
            undo_batch(conn, batch)
        _assert_as_rebuilt(engine)


def test_the_comparison_sees_a_batch_counted_twice(sqlite_engine):
    """The check above can fail: a batch's delta added a second time differs from the rebuild."""
    batch = _import(sqlite_engine, _month_of("A", datetime(2025, 2, 24), 10, 20, seed=1), "a.csv", new=20)
    _assert_as_rebuilt(sqlite_engine)
    with sqlite_engine.begin() as conn:
        keys = {basis: set(conn.execute(select(cases.c.unit_id, day).where(cases.c.batch_id == batch)).tuples())
                for basis, day in (("r", cases.c.received_day), ("c", cases.c.basis_cb_day))}
        summaries.refresh_batch(conn, batch, keys, all_new=True)
    with pytest.raises(AssertionError):
        _assert_as_rebuilt(sqlite_engine)


def test_a_batch_of_new_cases_that_regaps_stored_ones(engine):
    """New cases earlier than a caller's stored ones change the stored cases' repeat gaps, on days the batch does
    not touch: their repeat summary is recomputed, not left to the batch's own delta."""
    def calls(*rows):
        out = io.StringIO()
        csv.writer(out).writerows([["工单编号", "受理时间", "承办单位", "单位类型", "问题分类", "来电号码"], *rows])
        return out.getvalue().encode("utf-8")

    stored = import_bytes(engine, calls(["S1", "2025-03-20 09:00:00", "景山街道", "街道", "市容环卫->垃圾", "13800000001"]),
                          "stored.csv")
    new = import_bytes(engine, calls(["N1", "2025-03-05 09:00:00", "东华门街道", "街道", "市容环卫->垃圾", "13800000001"],
                                     ["N2", "2025-03-06 09:00:00", "东华门街道", "街道", "交通管理", "13800000002"]),
                       "earlier.csv")
    assert (stored.new, new.new, new.updated) == (1, 2, 0)
    with engine.connect() as conn:
        assert dict(conn.execute(select(cases.c.case_no, cases.c.repeat_gap_days)).all()) == {"S1": 15, "N1": None,
                                                                                         "N2": None}
    _assert_as_rebuilt(engine)


def test_a_refresh_recomputes_only_the_months_of_its_keys(engine):
    """Keys in January and April recompute those months' rows, and leave February and March, between them, as
    they are: a row made wrong on purpose there stays wrong, while one in a touched month is made right."""
    rows = [_case(f"M{m}{i}", datetime(2025, m, 10, 9 + i), random.Random(m * 10 + i), unit="景山街道")
            for m in (1, 2, 3, 4) for i in range(2)]
    _import(engine, rows, "months.csv", new=8)
    t = stat_unit_day
    with engine.begin() as conn:
        unit = conn.execute(select(cases.c.unit_id).limit(1)).scalar()
        conn.execute(t.update().where(t.c.basis == "r").values(volume=t.c.volume + 100))
        summaries.refresh_stats(conn, {"r": {(unit, date(2025, 1, 10)), (unit, date(2025, 4, 10))}})
    with engine.connect() as conn:
        volumes = {d.month: v for d, v in conn.execute(select(t.c.day, t.c.volume).where(t.c.basis == "r"))}
    assert volumes == {1: 2, 2: 102, 3: 102, 4: 2}
