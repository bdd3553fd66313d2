"""Case lists behind a number: scope, paging, order, every filter flag, repeats, H3 cells, one case in full."""
from datetime import datetime

import h3
import pytest

from data_access.queries.case_queries import CaseFilter, Limits, case_detail, case_page
from metrics.periods import parse_period
from metrics.rules import load_rules
from tests.factories import case_row, units, write

RULES = load_rules()
MARCH = parse_period("2025-03")


def _nos(engine, limit=100, offset=0, **fields):
    fields.setdefault("unit_ids", None)
    frame, total = case_page(engine, CaseFilter.of(MARCH, RULES, **fields), limit=limit, offset=offset)
    return list(frame["case_no"]), total


def test_paging_newest_day_first_within_the_period_and_scope(engine):
    u = units(engine, ("东华门街道", "街道"), ("景山街道", "街道"))
    a, b = u["东华门街道"], u["景山街道"]
    write(engine, [
        case_row("A1", a, "2025-03-01 00:00:00"),
        case_row("A2", a, "2025-03-05 08:00:00"),
        case_row("A3", a, "2025-03-09 08:00:00"),
        case_row("A4", a, "2025-03-31 23:59:59"),
        case_row("A5", a, "2025-04-01 00:00:00"),   # next period
        case_row("A0", a, "2025-02-28 23:59:59"),   # previous period
        case_row("B1", b, "2025-03-07 08:00:00"),
    ])
    assert _nos(engine, unit_ids=[a], limit=2) == (["A4", "A3"], 4)
    assert _nos(engine, unit_ids=[a], limit=2, offset=2) == (["A2", "A1"], 4)
    assert _nos(engine, unit_ids=[a], limit=2, offset=4) == ([], 4)
    assert _nos(engine) == (["A4", "A3", "B1", "A2", "A1"], 5)
    assert _nos(engine, unit_ids=[]) == ([], 0)
    frame, _ = case_page(engine, CaseFilter.of(MARCH, RULES, unit_ids=[b]))
    assert frame.iloc[0]["unit_name"] == "景山街道"


def test_flags_for_the_cases_behind_a_rate(engine):
    u = units(engine, ("交道口街道", "街道"))["交道口街道"]
    write(engine, [
        # responded 24 h after dispatch: exactly the 一般 limit, on time
        case_row("R1", u, "2025-03-02 08:00:00", dispatched_at="2025-03-02 09:00:00",
                 responded_at="2025-03-03 09:00:00", solved="解决", satisfaction="满意"),
        # 紧急 responded after 2 h 0 min 1 s: late; 部分解决 and 不满意
        case_row("R2", u, "2025-03-02 08:00:00", urgency="紧急", responded_at="2025-03-02 10:00:01",
                 solved="部分解决", satisfaction="不满意"),
        # never responded: late; 未解决, 基本满意 (full credit)
        case_row("R3", u, "2025-03-02 08:00:00", solved="未解决", satisfaction="基本满意"),
        # excluded: in no rate, so in none of those lists
        case_row("R4", u, "2025-03-02 08:00:00", solved="未解决", satisfaction="不满意", excluded=True),
    ])
    assert _nos(engine, late_response=True) == (["R3", "R2"], 2)
    assert _nos(engine, unsolved=True) == (["R3", "R2"], 2)
    assert _nos(engine, unsatisfied=True) == (["R2"], 1)
    assert _nos(engine, excluded=True) == (["R4"], 1)
    assert _nos(engine, excluded=False)[1] == 3


def test_overdue_closed_late_or_open_past_its_limit(engine):
    u = units(engine, ("安定门街道", "街道"))["安定门街道"]
    write(engine, [
        # 一般 = 168 h: closed at exactly 168 h is on time, one second more is late
        case_row("O1", u, "2025-03-01 08:00:00", closed_at="2025-03-08 08:00:00"),
        case_row("O2", u, "2025-03-01 08:00:00", closed_at="2025-03-08 08:00:01"),
        # 水电气热 = 24 h, still open: overdue once 24 h have passed since dispatch
        case_row("O3", u, "2025-03-10 08:00:00", deadline_class="水电气热", dispatched_at="2025-03-10 10:00:00"),
        # 疑难 = 360 h (15 days), still open, not yet due
        case_row("O4", u, "2025-03-10 08:00:00", deadline_class="疑难"),
    ])
    as_of = datetime(2025, 3, 11, 10, 0, 1)
    assert _nos(engine, overdue=True, as_of=as_of) == (["O3", "O2"], 2)
    assert _nos(engine, overdue=True, as_of=datetime(2025, 3, 11, 10, 0, 0)) == (["O2"], 1)
    assert _nos(engine, overdue=True, as_of=datetime(2025, 3, 25, 8, 0, 1)) == (["O4", "O3", "O2"], 3)


def test_category_place_and_tag_filters(engine):
    u = units(engine, ("北新桥街道", "街道"))["北新桥街道"]
    write(engine, [
        case_row("P1", u, "2025-03-03 08:00:00", cat_l1="物业管理", cat_l2="供暖", street="北新桥街道",
                 community="民安社区", address="东四北大街 1 号", tags=";每月一题;供暖;"),
        case_row("P2", u, "2025-03-04 08:00:00", cat_l1="物业管理", cat_l2="电梯", street="东四街道",
                 community="民安社区", address="东四北大街1号"),
        case_row("P3", u, "2025-03-05 08:00:00", cat_l1="市容环卫", street="北新桥街道", tags=";挂账;"),
    ])
    assert _nos(engine, cat_l1="物业管理") == (["P2", "P1"], 2)
    assert _nos(engine, cat_l2="供暖") == (["P1"], 1)
    assert _nos(engine, street="北新桥街道") == (["P3", "P1"], 2)
    assert _nos(engine, community="民安社区")[1] == 2
    assert _nos(engine, address_key="东四北大街1号") == (["P2", "P1"], 2)
    assert _nos(engine, tag="每月一题") == (["P1"], 1)
    assert _nos(engine, tag="每月") == ([], 0)  # whole tags only


def test_repeat_within_the_window_of_exactly_thirty_days(engine):
    u = units(engine, ("建国门街道", "街道"))["建国门街道"]
    write(engine, [
        case_row("E0", u, "2025-02-01 08:00:00", caller_key="k1", cat_l2="噪音"),
        case_row("E1", u, "2025-03-03 08:00:00", caller_key="k1", cat_l2="噪音"),   # exactly 30 days after E0
        case_row("F0", u, "2025-02-01 08:00:00", caller_key="k2", cat_l2="噪音"),
        case_row("F1", u, "2025-03-03 08:00:01", caller_key="k2", cat_l2="噪音"),   # 30 days and 1 second
        case_row("G1", u, "2025-03-10 08:00:00", caller_key="k2", cat_l2="供暖"),   # another cat_l2
        case_row("G2", u, "2025-03-20 08:00:00", caller_key="k2", cat_l2="供暖"),   # 10 days after G1
        case_row("H1", u, "2025-03-21 08:00:00", caller_key="", cat_l2="供暖"),     # no caller: never a repeat
        case_row("H2", u, "2025-03-22 08:00:00", caller_key="", cat_l2="供暖"),
    ])
    assert _nos(engine, repeat=True) == (["G2", "E1"], 2)
    assert _nos(engine, repeat=True, limit=1, offset=1) == (["E1"], 2)
    assert _nos(engine, repeat=True, cat_l2="供暖") == (["G2"], 1)


def test_h3_cell_bbox_and_skipped_points(engine):
    u = units(engine, ("朝阳门街道", "街道"))["朝阳门街道"]
    here, near, far = (39.92, 116.43), (39.9201, 116.4301), (39.95, 116.40)
    cell = h3.latlng_to_cell(*here, 9)
    assert h3.latlng_to_cell(*near, 9) == cell and h3.latlng_to_cell(*far, 9) != cell
    write(engine, [
        case_row("Q1", u, "2025-03-03 08:00:00", lat=here[0], lon=here[1]),
        case_row("Q2", u, "2025-03-04 08:00:00", lat=near[0], lon=near[1]),
        case_row("Q3", u, "2025-03-05 08:00:00", lat=far[0], lon=far[1]),
        case_row("Q4", u, "2025-03-06 08:00:00"),
    ])
    assert _nos(engine, h3_cell=cell) == (["Q2", "Q1"], 2)
    assert _nos(engine, h3_cell=cell, skip_points=[list(near)]) == (["Q1"], 1)
    assert _nos(engine, skip_points=[here]) == (["Q4", "Q3", "Q2"], 3)
    assert _nos(engine, bbox=(39.94, 116.39, 39.96, 116.41)) == (["Q3"], 1)


def test_case_detail_shows_the_masked_phone_and_the_timeline_only(engine):
    u = units(engine, ("和平里街道", "街道"))["和平里街道"]
    write(engine, [case_row("D1", u, "2025-03-03 08:00:00", dispatched_at="2025-03-03 08:30:00",
                            responded_at="2025-03-03 09:00:00", closed_at="2025-03-04 09:00:00",
                            solved="解决", satisfaction="满意", caller_key="secret", caller_masked="138****5678",
                            content="楼道灯坏了", tags=";每月一题;")])
    detail = case_detail(engine, "D1")
    assert detail["unit_name"] == "和平里街道" and detail["caller_masked"] == "138****5678"
    assert "caller_key" not in detail and "secret" not in str(detail)
    assert [step for step, _ in detail["timeline"]] == ["received_at", "dispatched_at", "responded_at", "closed_at"]
    assert detail["timeline"][2][1] == datetime(2025, 3, 3, 9, 0, 0)
    assert (detail["solved"], detail["satisfaction"], detail["tags"], detail["excluded"]) == \
        ("解决", "满意", ["每月一题"], False)
    assert case_detail(engine, "D1", unit_ids=[u + 1]) is None
    assert case_detail(engine, "nope") is None


def test_filter_refuses_flags_without_rules_and_bad_cells():
    with pytest.raises(ValueError, match="limits"):
        CaseFilter(unit_ids=None, late_response=True)
    with pytest.raises(ValueError, match="h3_cell"):
        CaseFilter(unit_ids=None, h3_cell="not-a-cell")
    with pytest.raises(TypeError):
        CaseFilter()  # the scope is mandatory
    f = CaseFilter(unit_ids=[3, 4], limits=Limits.of(RULES), repeat=True)
    assert f.unit_ids == (3, 4) and hash(f) == hash(CaseFilter(unit_ids=(3, 4), limits=Limits.of(RULES), repeat=True))
