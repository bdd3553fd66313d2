"""Provided or not (METRICS.md §2) and scores over any weighted rate (§3, §4, §6), with hand-computed figures.

A file without a rate's input column gives that rate no cases (null, 无数据), never 0 %; a batch that had the
column counts as before. Default limits: 一般 response 24 h, close 168 h.
"""
import csv
import io
from dataclasses import replace
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import literal, select

from cli_commands.common import table_text
from data_access.queries.case_queries import CaseFilter, case_page
from data_access.ingest.summaries import _insert
from data_access.ingest.importer import import_bytes
from data_access.storage.schema import cases, import_batches, stat_unit_day
from metrics.counts import base_counts
from metrics.lost import gap_cases, lost_cases, lost_costs, lost_summary, points_lost
from metrics.periods import parse_period
from metrics.registry import no_data_notices
from metrics.rules import RulesError, load_rules, load_rules_text
from metrics.scores import district_summary, unit_scores
from reports.briefing_data import _summary_sentences, lagging_columns
from tests.factories import case_row, units, write
from ui import rules_choice, rules_text

MARCH = parse_period("2025-03")
DEFAULT = load_rules("default")
CLOSE_ONLY = load_rules("open311")


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


NO_RESPONSE = ["工单编号", "受理时间", "承办单位", "单位类型", "一级分类", "办结时间", "解决情况", "满意度"]
WITH_RESPONSE = ["工单编号", "受理时间", "承办单位", "单位类型", "一级分类", "响应时间", "解决情况", "满意度"]


def _import_without_response(engine):
    # 解决, 解决, 未解决 → 解决率 2/3; 满意, 不满意 (and one unrated) → 满意率 1/2; no 响应时间 column at all.
    return import_bytes(engine, csv_bytes(NO_RESPONSE, [
        ["P1", "2025-03-03 08:00", "东华门街道", "街道", "市容环卫", "2025-03-04 08:00", "解决", "满意"],
        ["P2", "2025-03-04 08:00", "东华门街道", "街道", "市容环卫", "2025-03-05 08:00", "解决", "不满意"],
        ["P3", "2025-03-05 08:00", "东华门街道", "街道", "市容环卫", "", "未解决", ""],
    ]), "no_response.csv")


def test_a_file_without_a_response_column_gives_no_response_rate_but_the_other_rates(engine):
    result = _import_without_response(engine)
    assert result.rejected == 0 and result.not_provided == ("responded_at",)
    assert no_data_notices(result.not_provided) == ["此文件没有响应时间列，响应率将显示为无数据"]
    with engine.connect() as conn:
        assert conn.execute(select(import_batches.c.not_provided)).scalar() == "responded_at"
        flags = conn.execute(select(cases.c.has_responded_at, cases.c.has_solved, cases.c.has_closed_at)).all()
        assert {tuple(f) for f in flags} == {(False, True, True)}
    row = unit_scores(engine, MARCH, DEFAULT).iloc[0]
    assert row["resp_base"] == 0 and row["assessed"] == 3
    assert pd_null(row["response_rate"]) and pd_null(row["raw_score"])
    assert row["resolution_rate"] == pytest.approx(2 / 3) and row["satisfaction_rate"] == pytest.approx(1 / 2)
    assert row["on_time_close_rate"] == pytest.approx(2 / 3)  # P3 has the column but no close yet: not on time
    assert not row["ranked"] and row["not_ranked_reason"] == "无响应数据"
    summary = district_summary(engine, MARCH, DEFAULT)
    assert summary["response_rate"] is None and summary["resolution_rate"] == pytest.approx(2 / 3)


def pd_null(value) -> bool:
    return value is None or bool(pd.isna(value))


def test_mixed_batches_count_only_the_cases_whose_batch_provided_the_field(engine):
    _import_without_response(engine)
    # With the column: Q1 responded within 1 h (on time), Q2 not yet (late) → 响应率 1/2, not 1/5.
    second = import_bytes(engine, csv_bytes(WITH_RESPONSE, [
        ["Q1", "2025-03-10 08:00", "东华门街道", "街道", "市容环卫", "2025-03-10 09:00", "解决", "满意"],
        ["Q2", "2025-03-11 08:00", "东华门街道", "街道", "市容环卫", "", "解决", "满意"],
    ]), "with_response.csv")
    assert second.not_provided == ("closed_at",)
    assert no_data_notices(second.not_provided) == ["此文件没有办结时间列，按时办结率将显示为无数据"]
    for source in ("summary", "cases"):
        counts = base_counts(engine, MARCH, DEFAULT, source=source).iloc[0]
        assert (counts["assessed"], counts["resp_base"], counts["on_time_response"]) == (5, 2, 1), source
        assert (counts["close_base"], counts["on_time_close"]) == (3, 2), source
    row = unit_scores(engine, MARCH, DEFAULT).iloc[0]
    assert row["response_rate"] == pytest.approx(0.5)
    assert row["on_time_close_rate"] == pytest.approx(2 / 3)
    # 0.1 × 1/2 + 0.45 × 4/5 + 0.45 × 3/4 = 0.7475
    assert row["raw_score"] == pytest.approx(74.75)
    assert district_summary(engine, MARCH, DEFAULT)["response_rate"] == pytest.approx(0.5)


def _closing_unit(engine, unit_id, prefix, late: int, n: int = 10, **fields):
    """n cases received on March 2nd–11th, the first `late` closed after 200 h (一般 limit 168 h), the rest in 2 h;
    no response and no callback columns (a 311 export)."""
    rows = []
    for i in range(n):
        received = f"2025-03-{i + 2:02d} 08:00:00"
        hours = 200 if i < late else 2
        closed = f"2025-03-{i + 2 + hours // 24:02d} {8 + hours % 24:02d}:00:00"
        rows.append(case_row(f"{prefix}{i}", unit_id, received, closed_at=closed, has_responded_at=False,
                             has_solved=False, has_satisfaction=False, **fields))
    return rows


def test_weights_on_on_time_close_alone_rank_units(engine):
    u = units(engine, ("甲街道", "街道"), ("乙街道", "街道"), ("丙街道", "街道"))
    write(engine, _closing_unit(engine, u["甲街道"], "A", late=1) + _closing_unit(engine, u["乙街道"], "B", late=0)
          + _closing_unit(engine, u["丙街道"], "C", late=3, n=5))
    table = unit_scores(engine, MARCH, CLOSE_ONLY).set_index("unit_name")
    assert table.loc["乙街道", "raw_score"] == pytest.approx(100.0) and table.loc["乙街道", "rank"] == 1
    assert table.loc["甲街道", "raw_score"] == pytest.approx(90.0) and table.loc["甲街道", "rank"] == 2
    assert table.loc["丙街道", "raw_score"] == pytest.approx(40.0)
    assert table.loc["丙街道", "not_ranked_reason"] == "参评量不足"
    assert table.loc["甲街道", "tier"] == "一般"  # 90 ≥ 90
    # The default rules weigh rates these cases cannot have: nobody is ranked, and the reason says what is missing.
    default = unit_scores(engine, MARCH, DEFAULT).set_index("unit_name")
    assert set(default["not_ranked_reason"]) == {"无响应数据、无回访评价"}


def test_no_close_column_is_named_when_the_score_weighs_it(engine):
    u = units(engine, ("甲街道", "街道"))
    write(engine, _closing_unit(engine, u["甲街道"], "A", late=0, has_closed_at=False))
    row = unit_scores(engine, MARCH, CLOSE_ONLY).iloc[0]
    assert pd_null(row["on_time_close_rate"]) and row["not_ranked_reason"] == "无办结数据"


def test_costs_sum_to_the_lost_points_with_on_time_close_weighted(engine):
    rules = load_rules_text("[weights]\non_time_close = 0.5\nresolution = 0.5\n", "close+resolution")
    u = units(engine, ("甲街道", "街道"))["甲街道"]
    rows = _closing_unit(engine, u, "A", late=1)
    for row in rows:
        row.update(has_solved=True, solved="解决")
    rows[0]["solved"] = "未解决"     # A0: closed late and 未解决: Δ = 100 × (0.5/10 + 0.5/10) = 10
    rows[1]["closed_at"] = None      # A1: not closed yet (the column was there): Δ = 100 × 0.5/10 = 5
    write(engine, rows)
    row = unit_scores(engine, MARCH, rules).iloc[0]
    # close 8/10, resolution 9/10 → 100 × (0.5 × 0.8 + 0.5 × 0.9) = 85
    assert row["raw_score"] == pytest.approx(85.0)
    assert points_lost(row, rules) == pytest.approx({"resolution_rate": 5.0, "on_time_close_rate": 10.0})
    costs = lost_costs(engine, MARCH, rules, u)
    assert costs == pytest.approx([10.0, 5.0], abs=1e-12)
    assert sum(costs) == pytest.approx(100 - row["raw_score"], abs=1e-9)
    assert gap_cases(row["adjusted_score"], costs, 95.0) == 1 and gap_cases(row["adjusted_score"], costs, 100.5) is None
    summary = lost_summary(engine, MARCH, rules, u, target=100.0)
    assert (summary["lost_cases"], summary["gap_cases"]) == (2, 2)


def test_first_double_yes_weighted(engine):
    rules = load_rules_text("[weights]\nresolution = 0.5\nfirst_double_yes = 0.5\n", "fdy")
    u = units(engine, ("甲街道", "街道"))["甲街道"]
    rows = [case_row(f"F{i}", u, f"2025-03-{i + 2:02d} 08:00:00", solved="解决", satisfaction="满意")
            for i in range(10)]
    rows[0]["dispatch_count"] = 2      # 解决 + 满意 but dispatched twice: not 首办双肯, Δ = 100 × 0.5/10 = 5
    rows[1]["solved"] = "部分解决"      # Δ = 100 × (0.5 × 0.5/10 + 0.5/10) = 7.5
    write(engine, rows)
    row = unit_scores(engine, MARCH, rules).iloc[0]
    # resolution 9.5/10, first double yes 8/10 → 100 × (0.5 × 0.95 + 0.5 × 0.8) = 87.5
    assert row["first_double_yes_rate"] == pytest.approx(0.8) and row["raw_score"] == pytest.approx(87.5)
    assert row["ranked"] and row["rank"] == 1
    assert lost_costs(engine, MARCH, rules, u) == pytest.approx([7.5, 5.0], abs=1e-12)


@pytest.mark.parametrize("text, names", [
    ("[weights]\nspeed = 1.0\n", "weights.speed"),
    ("[weights]\non_time_close = 0.5\n", "weights"),
    ("[weights]\non_time_close = 0.5\nresponse = 0.6\n", "1.1"),
    ('[weights]\non_time_close = "all"\n', "weights.on_time_close"),
])
def test_bad_weights_are_refused_naming_the_key(text, names):
    with pytest.raises(RulesError, match=names):
        load_rules_text(text)


def test_a_weights_table_replaces_the_default_weights_whole():
    assert CLOSE_ONLY.weights == {"on_time_close": 1.0}
    assert load_rules_text("[weights]\nresponse = 0.5\nfirst_double_yes = 0.5\n").weights == {
        "response": 0.5, "first_double_yes": 0.5}


def test_case_lists_do_not_call_a_case_late_or_overdue_for_a_column_its_file_lacked(engine):
    u = units(engine, ("甲街道", "街道"))["甲街道"]
    write(engine, [
        # From a file without 响应时间 / 办结时间: neither late nor overdue (nobody knows).
        case_row("N1", u, "2025-03-02 08:00:00", has_responded_at=False, has_closed_at=False),
        # With both columns, never responded nor closed: late, and overdue a month later (一般 168 h).
        case_row("Y1", u, "2025-03-02 08:00:00"),
    ])
    base = CaseFilter.of(MARCH, DEFAULT, unit_ids=(u,), as_of=datetime(2025, 4, 2))
    late, n_late = case_page(engine, replace(base, late_response=True))
    overdue, n_overdue = case_page(engine, replace(base, overdue=True))
    assert (list(late["case_no"]), n_late) == (["Y1"], 1)
    assert (list(overdue["case_no"]), n_overdue) == (["Y1"], 1)


def test_briefing_text_gives_no_change_between_a_null_and_a_number():
    scores = {"response_rate": None, "prev_response_rate": 0.98, "resolution_rate": 0.9, "prev_resolution_rate": 1.0,
              "satisfaction_rate": 1.0, "prev_satisfaction_rate": None, "raw_score": None, "prev_raw_score": 97.5}
    volumes = {"volume": 20, "prev_volume": 20}
    text = _summary_sentences(volumes, scores, MARCH, MARCH)[1]
    assert text == "响应率 无数据，解决率 90.00%（下降 10 个百分点），满意率 100.00%；全区综合成绩 无数据。"
    assert "on_time_close_lost" in lagging_columns(CLOSE_ONLY) and "response_lost" not in lagging_columns(CLOSE_ONLY)


def test_the_311_preset_is_explained_key_by_key():
    rows = rules_text.describe(CLOSE_ONLY)
    weights = [r for r in rows if r["key"].startswith("weights.")]
    assert [(r["key"], r["setting"], r["value"]) for r in weights] == [("weights.on_time_close", "按时办结率权重", "100%")]
    assert "未列出的率不计入成绩" in weights[0]["meaning"]
    assert len(rows) == 41  # the default's 43 settings with one weight instead of three
    assert rules_choice.describe(CLOSE_ONLY) == "311 类数据（无回访评价）：按时办结率 100%"


def test_a_lost_case_from_a_file_without_response_times_is_neither_on_time_nor_late(engine):
    u = units(engine, ("甲街道", "街道"))["甲街道"]
    write(engine, [case_row("N1", u, "2025-03-02 08:00:00", has_responded_at=False, solved="未解决",
                            satisfaction="满意")])
    frame = lost_cases(engine, MARCH, load_rules_text("[weights]\nresolution = 1.0\n"), u)
    assert list(frame["case_no"]) == ["N1"] and frame["cost"].iloc[0] == pytest.approx(100.0)
    assert pd_null(frame["on_time"].iloc[0])


def test_cli_tables_read_no_data_for_a_null_rate_and_keep_a_zero_score():
    text = table_text([{"unit_name": "甲", "response_rate": None, "resolution_rate": 0.5, "raw_score": 0.0,
                        "not_ranked_reason": None}],
                      ["unit_name", "response_rate", "resolution_rate", "raw_score", "not_ranked_reason"])
    assert text.splitlines()[1].split() == ["甲", "无数据", "0.5000", "0.00", "-"]


def test_the_summary_refresh_inserts_by_column_name_and_refuses_an_unknown_one():
    query = select(literal(3).label("assessed"), literal(5).label("volume"))  # not the table's column order
    assert "INSERT INTO stat_unit_day (assessed, volume) SELECT" in str(_insert(stat_unit_day, query))
    with pytest.raises(ValueError, match="no_such"):
        _insert(stat_unit_day, select(literal(1).label("no_such")))
