"""AppTest: a source without a response-time column shows 响应率 无数据 — no 0.00 %, no arrow between nulls — and,
with the 311 preset (按时办结率 alone), its units are ranked.

Two streets, ten cases each in February (from a file with every column) and March (from a file without 响应时间):
February: all responded in 2 h, 解决, 满意, closed in 48 h. March: the same but no response column, and case 0 of
each unit 未解决 and closed after 200 h (一般 limit 168 h).
"""
from datetime import datetime, timedelta

import pytest

from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import write_cases
from tests.app_fixture import open_app
from tests.dbs import migrated_engine
from tests.factories import case_row, units

STREETS = ("东华门街道", "景山街道")


def _month(unit_id: int, month: str, with_response: bool) -> list[dict]:
    rows = []
    for i in range(10):
        received = datetime.fromisoformat(f"{month}-{i + 1:02d} 09:00:00")
        worse = not with_response and i == 0
        rows.append(case_row(
            f"{month}-{unit_id}-{i}", unit_id, received, responded_at=received + timedelta(hours=2) if with_response
            else None, has_responded_at=with_response, closed_at=received + timedelta(hours=200 if worse else 48),
            solved="未解决" if worse else "解决", satisfaction="满意", street=None))
    return rows


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('nodata') / 'cases.db'}"
    engine = migrated_engine(url)
    ids = units(engine, *((s, "街道") for s in STREETS))
    for month, with_response in (("2025-02", True), ("2025-03", False)):
        rows = [r for s in STREETS for r in _month(ids[s], month, with_response)]
        with engine.begin() as conn:
            batch = start_batch(conn, f"{month}.csv", month, source="demo")
            written = write_cases(conn, rows, batch)
            finish_batch(conn, batch, n_rows=len(rows), n_new=written.new, n_updated=0, n_unchanged=0,
                         n_rejected=0)
    engine.dispose()
    return url


def test_overview_shows_no_data_and_no_arrow_for_a_missing_rate(url, monkeypatch):
    at = open_app(monkeypatch, url)
    cards = {m.label: (m.value, m.delta) for m in at.metric}
    assert cards["响应率"] == ("无数据", "")          # not 0.00 %, and no change against February's 100 %
    assert cards["综合成绩"] == ("无数据", "")        # the default rules weigh 响应率
    assert cards["解决率"] == ("90.00%", "-10.00 个百分点")  # 18/20 against 20/20: the other rates still change
    assert cards["诉求量"] == ("20", "持平")         # no change reads 持平, grey and without an arrow
    flat = next(m for m in at.metric if m.label == "诉求量").proto
    assert (flat.color, flat.direction) == (flat.MetricColor.GRAY, flat.MetricDirection.NONE)


def test_scores_page_lists_the_units_as_not_ranked_for_the_missing_rate(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/scores.py")
    frame = at.dataframe[-1].value  # 不参与排名: null rates are shown by the table's 无数据 format, never 0
    assert list(frame["不参与排名原因"]) == ["无响应数据", "无响应数据"]
    assert frame["响应率"].isna().all() and frame["原始成绩"].isna().all()
    assert list(frame["解决率"]) == [0.9, 0.9]


def test_the_311_preset_ranks_the_units_on_on_time_close(url, monkeypatch):
    at = open_app(monkeypatch, url, page="pages/scores.py", rules="open311")
    ranked = at.dataframe[0].value
    # 东华门 and 景山 alike: 9 of 10 closed in time → 90.00 each, rank 1 shared.
    got = sorted(zip(ranked["承办单位"], ranked["综合成绩"].round(2), ranked["排名"]))
    assert got == [("东华门街道", 90.0, 1), ("景山街道", 90.0, 1)]
