"""Ranks computed in SQL (data_access.queries.scored_units) round as round2 does, even next to a rounding boundary, and
the whole score table comes from one statement."""
from sqlalchemy import event

from metrics.adjustments import add_adjustment
from metrics.periods import parse_period
from metrics.rules import load_rules
from data_access.records.units import add_unit
from metrics.scores import score_frame, unit_scores
from tests.factories import units, write
from tests.scoring_cases import perfect

RULES = load_rules("default")
MARCH, APRIL = parse_period("2025-03"), parse_period("2025-04")
# 100 + this is the double just below 90.0249999995: round2 gives 90.02 (its 9-decimal value is 90.024999999),
# while |score| × 10⁹ computed in floating point lands on the half above and would round to 90.03.
BELOW_BOUNDARY = -9.975000000500003


def _three_units(engine) -> dict[str, int]:
    """Three 街道 units, ten perfect cases each in March and in April (score 100 before adjustments)."""
    u = units(engine, ("甲街道", "街道"), ("乙街道", "街道"), ("丙街道", "街道"))
    rows = [perfect(f"{name}{month}-{i}", unit, f"2025-{month:02d}-{i + 2:02d} 08:00:00")
            for name, unit in u.items() for month in (3, 4) for i in range(10)]
    write(engine, rows)
    return u


def test_a_score_next_to_a_rounding_boundary_ranks_by_round2(engine):
    u = _three_units(engine)
    for name, points in (("甲街道", BELOW_BOUNDARY), ("乙街道", -9.98), ("丙街道", -9.97)):
        add_adjustment(engine, u[name], "2025-03", points, "测试", "tester")
    march = unit_scores(engine, MARCH, RULES).set_index("unit_name")
    assert march.loc["甲街道", "adjusted_score"] == 100.0 + BELOW_BOUNDARY == 90.0249999995
    # round2: 丙 90.03 first, 甲 and 乙 both 90.02, sharing second place.
    assert march["rank"].to_dict() == {"丙街道": 1, "甲街道": 2, "乙街道": 2}
    assert set(march["tier"]) == {"一般"}
    april = unit_scores(engine, APRIL, RULES).set_index("unit_name")
    assert april["prev_rank"].to_dict() == {"丙街道": 1, "甲街道": 2, "乙街道": 2}
    assert april["rank_change"].to_dict() == {"丙街道": 0, "甲街道": 1, "乙街道": 1}
    assert april["prev_score"].to_dict() == {"丙街道": 90.03, "甲街道": 90.0249999995, "乙街道": 90.02}


def test_ties_at_two_decimals_share_a_rank_computed_in_sql(engine):
    u = _three_units(engine)
    for name, points in (("甲街道", -4.874), ("乙街道", -4.8749), ("丙街道", -4.876)):  # 95.13, 95.13, 95.12
        add_adjustment(engine, u[name], "2025-04", points, "测试", "tester")
    april = unit_scores(engine, APRIL, RULES).set_index("unit_name")
    assert april["rank"].to_dict() == {"甲街道": 1, "乙街道": 1, "丙街道": 3}
    assert april["prev_rank"].to_dict() == {"甲街道": 1, "乙街道": 1, "丙街道": 1}
    assert april["rank_change"].to_dict() == {"甲街道": 0, "乙街道": 0, "丙街道": -2}


def test_a_score_table_is_one_statement(engine):
    _three_units(engine)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, …)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        scores = unit_scores(engine, APRIL, RULES)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(scores) == 3 and scores["ranked"].all()
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 1


def test_a_frame_of_several_periods_comes_by_period_then_unit_code(engine):
    with engine.begin() as conn:  # codes against the order of creation: the rows must follow the codes
        u = {name: add_unit(conn, name, "街道", code=code) for name, code in (("甲街道", "C3"), ("乙街道", "B2"),
                                                                             ("丙街道", "A1"))}
    write(engine, [perfect(f"{name}{month}-{i}", unit, f"2025-{month:02d}-{i + 2:02d} 08:00:00")
                   for name, unit in u.items() for month in (3, 4) for i in range(10 if name != "乙街道" else 11)])
    frame = score_frame(engine, [APRIL, MARCH], RULES, changes=[APRIL])
    assert list(frame["period"]) == ["2025-04"] * 3 + ["2025-03"] * 3
    assert list(frame["unit_name"]) == ["丙街道", "乙街道", "甲街道"] * 2
    assert list(frame["volume"]) == [10, 11, 10] * 2 and frame["volume"].dtype == "int64"
    # 环比 only on the rows of the period asked for: April's compared with March, March's with nothing read.
    assert frame["prev_rank"].tolist()[:3] == [1, 1, 1] and frame["prev_rank"][3:].isna().all()
    assert str(frame["rank"].dtype) == "Int64" and frame["yoy_score"].isna().all()
