"""A tiny district for the app's page tests, small enough to score by hand.

Four streets (街乡镇) and one department, February and March 2025, default rules (weights 0.10 / 0.45 / 0.45):

| unit      | month | assessed | late | 部分解决 | 未解决 | 不满意 | excluded | score                                  |
|-----------|-------|----------|------|----------|--------|--------|----------|----------------------------------------|
| 东华门街道 | 03    | 10       | 0    | 0        | 0      | 0      | 0        | 100.00                                  |
| 景山街道   | 03    | 10       | 1    | 2        | 0      | 1      | 0        | 10×0.9 + 45×0.9 + 45×0.9 = 90.00        |
| 交道口街道 | 03    | 10       | 0    | 0        | 1      | 1      | 0        | 10 + 45×0.9 + 45×0.9 = 91.00            |
| 安定门街道 | 03    | 10       | 0    | 1        | 0      | 0      | 2        | 10 + 45×0.95 + 45 = 97.75               |
| 区城管委   | 03    | 5        | 0    | 0        | 0      | 0      | 0        | 100 raw, not ranked (参评量不足 < 10)     |
| 东华门街道 | 02    | 10       | 0    | 0        | 0      | 2      | 0        | 10 + 45 + 45×0.8 = 91.00                |
| 景山街道   | 02    | 10       | 0    | 0        | 0      | 0      | 0        | 100.00                                  |
| 交道口街道 | 02    | 10       | 1    | 0        | 0      | 0      | 0        | 9 + 45 + 45 = 99.00                     |
| 安定门街道 | 02    | 10       | 0    | 0        | 0      | 1      | 0        | 10 + 45 + 45×0.9 = 95.50                |

March ranks: 东华门 1, 安定门 2, 交道口 3, 景山 4 (February: 景山 1, 交道口 2, 安定门 3, 东华门 4).
Every third case of a unit (i = 2, 5, 8, 11) is 物业管理, the rest 市容环卫; cases 0 and 1 of each unit carry the
tag 每月一题 with cat_l2 物业服务. The batch is marked as the demo district's, so the app opens without a login.
"""
from datetime import datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import write_cases
from tests.dbs import migrated_engine
from tests.factories import case_row, units

APP = str(Path(__file__).resolve().parent.parent / "app.py")
STREETS = ("东华门街道", "景山街道", "交道口街道", "安定门街道")
DEPARTMENT = "区城管委"
# unit → month → (assessed, late, partial, unsolved, unsatisfied, excluded)
PLAN = {
    "东华门街道": {"2025-03": (10, 0, 0, 0, 0, 0), "2025-02": (10, 0, 0, 0, 2, 0)},
    "景山街道": {"2025-03": (10, 1, 2, 0, 1, 0), "2025-02": (10, 0, 0, 0, 0, 0)},
    "交道口街道": {"2025-03": (10, 0, 0, 1, 1, 0), "2025-02": (10, 1, 0, 0, 0, 0)},
    "安定门街道": {"2025-03": (10, 0, 1, 0, 0, 2), "2025-02": (10, 0, 0, 0, 1, 0)},
    DEPARTMENT: {"2025-03": (5, 0, 0, 0, 0, 0)},
}


def _cases(unit_name: str, unit_id: int, month: str, plan: tuple) -> list[dict]:
    assessed, late, partial, unsolved, unsatisfied, excluded = plan
    rows = []
    for i in range(assessed + excluded):
        received = datetime.fromisoformat(f"{month}-{i + 1:02d} 09:00:00")
        solved = "部分解决" if i < partial else "未解决" if i < partial + unsolved else "解决"
        topic = i < 2
        rows.append(case_row(
            f"{month}-{unit_id}-{i:02d}", unit_id, received,
            responded_at=received + timedelta(hours=30 if i < late else 2),
            closed_at=received + timedelta(hours=48), callback_at=received + timedelta(hours=60),
            solved=solved, satisfaction="不满意" if i < unsatisfied else "满意", excluded=i >= assessed,
            cat_l1="物业管理" if i % 3 == 2 else "市容环卫", cat_l2="物业服务" if topic else None,
            street=unit_name if unit_name in STREETS else None, tags=";每月一题;" if topic else None))
    return rows


def build(url: str) -> dict[str, int]:
    """Create the database at `url`, write the fixture as one demo batch; returns unit name → id."""
    engine = migrated_engine(url)
    ids = units(engine, *((s, "街道") for s in STREETS), (DEPARTMENT, "区级部门"))
    rows = [row for name, months in PLAN.items() for month, plan in months.items()
            for row in _cases(name, ids[name], month, plan)]
    with engine.begin() as conn:
        batch = start_batch(conn, "演示区", "fixture", source="demo")
        result = write_cases(conn, rows, batch)
        finish_batch(conn, batch, n_rows=len(rows), n_new=result.new, n_updated=0, n_unchanged=0, n_rejected=0)
    engine.dispose()
    return ids


def open_app(monkeypatch, url: str, page: str | None = None, auth_mode: str | None = None, **params) -> AppTest:
    """Run the app on the database at `url`, as a browser opening `page` with URL parameters `params`."""
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.delenv("SCORING_RULES", raising=False)
    if auth_mode:
        monkeypatch.setenv("AUTH_MODE", auth_mode)
    else:
        monkeypatch.delenv("AUTH_MODE", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at
