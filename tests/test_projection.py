"""Month-end projection (metrics.projection) on a hand-made unit, on SQLite, PostgreSQL and MariaDB, and
`cli.py project`.

October 2025: 10 cases, all answered on time, 8 解决 + 2 未解决 (解决率 0.8), all 满意.
November up to the 15th (pace 30 / 15 = 2, so 10 assessed cases expected): 5 cases answered on time, 4 rated
解决 and 满意, one still awaiting its callback. Default weights 0.10 / 0.45 / 0.45, target 95:
- 响应率: 5 of 5 so far, 5 more expected at October's 1.0 → 1.0
- 解决率: 4 of 4 so far, 10 − 4 = 6 more rated expected at 0.8 → (4 + 4.8) / 10 = 0.88, variance 6 × 0.8 × 0.2 / 10²
- 满意率: (4 + 6) / 10 = 1.0
projected = 10 + 45 × 0.88 + 45 = 94.6; ± 1.2816 × 45 × √0.0096 = ± 5.650; so far 100;
差几件 = ⌈(95 − 94.6) / (45/10 + 45/10)⌉ = 1. Projected 解决率 0.88 is below the rules' target 0.9; 满意率 1.0 is not.
"""
import csv
import io
from datetime import date, datetime, timedelta
from statistics import NormalDist

import pytest

import cli
from metrics.projection import projections
from metrics.rules import load_rules
from tests.factories import case_row, units, write


def _case(no, unit, day: date, solved=None):
    received = datetime(day.year, day.month, day.day, 9)
    rated = dict(solved=solved, satisfaction="满意", callback_at=received + timedelta(days=2)) if solved else {}
    return case_row(no, unit, received, responded_at=received + timedelta(hours=1), **rated)


@pytest.fixture
def db(engine):
    u = units(engine, ("东华门街道", "街道"))["东华门街道"]
    october = [_case(f"O{i}", u, date(2025, 10, i + 1), "解决" if i < 8 else "未解决") for i in range(10)]
    november = [_case(f"N{i}", u, date(2025, 11, i + 1), "解决" if i < 4 else None) for i in range(5)]
    write(engine, october + november)
    return engine


def test_projection_by_hand(db):
    row = projections(db, load_rules(), date(2025, 11, 15)).iloc[0]
    half = NormalDist().inv_cdf(0.9) * 45 * (6 * 0.8 * 0.2 / 100) ** 0.5
    assert row["unit_name"] == "东华门街道" and row["score_so_far"] == pytest.approx(100)
    assert row["projected_score"] == pytest.approx(94.6)
    assert row["low"] == pytest.approx(94.6 - half) and row["high"] == 100  # clipped at 100
    assert (row["target"], row["gap_cases"], bool(row["off_target"])) == (95, 1, True)
    assert row["projected_resolution"] == pytest.approx(0.88) and row["target_resolution"] == 0.9
    assert row["projected_satisfaction"] == pytest.approx(1.0) and row["target_satisfaction"] == 0.9


def test_a_units_own_target_for_the_month_is_audited_and_used(db):
    from sqlalchemy import select

    from data_access.storage.schema import audit_log, units as units_table
    from data_access.records.targets import TargetError, month_targets, set_target
    with db.begin() as conn:
        unit = conn.execute(select(units_table.c.id)).scalar_one()
        set_target(conn, unit, "2025-11", {"score": 90.0}, "staff1")
    row = projections(db, load_rules(), date(2025, 11, 15)).iloc[0]
    assert (row["target"], row["gap_cases"]) == (90, 0)  # 94.6 ≥ 90
    assert bool(row["off_target"])  # but 解决率 0.88 is still below the rules' 0.9
    with db.begin() as conn:
        set_target(conn, unit, "2025-11", {"resolution": 0.85}, "staff1")  # the score target stays
        assert month_targets(conn, "2025-11") == {unit: {"score": 90.0, "resolution": 0.85}}
    row = projections(db, load_rules(), date(2025, 11, 15)).iloc[0]
    assert (row["target"], row["target_resolution"], bool(row["off_target"])) == (90, 0.85, False)
    with db.begin() as conn:
        set_target(conn, unit, "2025-11", {"score": None, "resolution": None}, "staff1")  # back to the rules
        for bad in ({"score": 101}, {"satisfaction": 1.5}, {"volume": 3}):
            with pytest.raises(TargetError):
                set_target(conn, unit, "2025-11", bad, "staff1")
        assert month_targets(conn, "2025-11") == {}
        logged = conn.execute(select(audit_log.c.user_name, audit_log.c.action, audit_log.c.detail)
                              .order_by(audit_log.c.id)).all()
    assert [(u, a) for u, a, _ in logged] == [("staff1", "target")] * 3
    assert '"score": 90.0' in logged[0][2] and '"resolution": 0.85' in logged[1][2]
    assert '"score": null' in logged[2][2] and '"resolution": null' in logged[2][2]
    row = projections(db, load_rules(), date(2025, 11, 15)).iloc[0]
    assert (row["target"], row["target_resolution"]) == (95, 0.9)


def test_cli_project_csv(db, capsys):
    url = db.url.render_as_string(hide_password=False)
    assert cli.main(["project", "--db", url, "--date", "2025-11-15", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["unit_name", "score_so_far", "projected_score", "low", "high", "target", "gap_cases"]
    assert (rows[0]["unit_name"], round(float(rows[0]["projected_score"]), 4), rows[0]["gap_cases"]) == \
        ("东华门街道", 94.6, "1")
    assert cli.main(["project", "--db", url, "--date", "2025-12-01"]) == 2  # no cases this month yet
    assert cli.main(["project", "--db", url, "--date", "15/11/2025"]) == 2


def test_daily_progress_line_against_the_target(db):
    from metrics.projection import progress
    line = progress(db, load_rules(), date(2025, 11, 6))
    # Nov 1–4: 解决 and 满意, answered on time (100); Nov 5 is still awaiting its callback, so nothing changes
    assert line["day"].tolist() == [date(2025, 11, d) for d in range(1, 7)]
    assert line["score_so_far"].tolist() == pytest.approx([100] * 6)
    assert line["target"].tolist() == [95] * 6 and not line["behind"].any()
    assert line["resolution_so_far"].tolist() == [1.0] * 6 and line["satisfaction_so_far"].tolist() == [1.0] * 6
    assert line["target_resolution"].tolist() == [0.9] * 6


def test_a_unit_behind_its_own_rate_target_is_flagged_on_the_progress_line(db):
    from sqlalchemy import select

    from data_access.storage.schema import units as units_table
    from data_access.records.targets import set_target
    from metrics.projection import progress
    with db.begin() as conn:
        unit = conn.execute(select(units_table.c.id)).scalar_one()
        set_target(conn, unit, "2025-10", {"score": 80.0, "resolution": 0.85}, "staff1")
    line = progress(db, load_rules(), date(2025, 10, 10)).set_index("day")
    # October: 解决 on days 1–8, 未解决 on 9 and 10 → 解决率 8/9 on the 9th (≥ 0.85), 8/10 on the 10th (< 0.85),
    # while the score (10 + 45 × 0.8 + 45 = 91 on the 10th) and 满意率 (1.0) stay above their targets
    assert line.loc[date(2025, 10, 9), "resolution_so_far"] == pytest.approx(8 / 9)
    assert line.loc[date(2025, 10, 10), "score_so_far"] == pytest.approx(91)
    assert line["behind"].tolist() == [False] * 9 + [True]
