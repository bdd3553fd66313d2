"""Imported text never draws an image or a link: unit names, case numbers, file names and unknown headers reach
markdown escaped (ui.plain), on every page the hostile-input probe saw a beacon on. The fixture is
tests/drill_fixture.py with its red-flag unit, its lagging unit and one lost case renamed to markdown images."""
import re

import pytest
from sqlalchemy import update

from data_access.storage.engine import make_engine
from data_access.storage.schema import cases, units
from tests.drill_fixture import build
from tests.test_app_drill_pages import assert_clean, select_rows
from ui.cases import callback_summary

WINNER = "![x](http://127.0.0.2/x.png)"     # was 东华门街道: rank 1, 红旗
LAGGING = "![y](http://127.0.0.2/y.png)"    # was 交道口街道: rank 3, 后进
CASE_NO = "[a](http://127.0.0.2/a)"         # was MC1, the lagging unit's first lost case
HEADER = "![h](http://127.0.0.2/h.png)"
_LIVE = re.compile(r"(?<!\\)\]\s*\(")         # "](" not escaped: markdown would make a link or an image


@pytest.fixture
def app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    build(url, tmp_path / "rules.toml")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(update(units).where(units.c.name == "东华门街道").values(name=WINNER))
        conn.execute(update(units).where(units.c.name == "交道口街道").values(name=LAGGING))
        conn.execute(update(cases).where(cases.c.case_no == "MC1").values(case_no=CASE_NO))
    engine.dispose()
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("SCORING_RULES", str(tmp_path / "rules.toml"))
    monkeypatch.delenv("AUTH_MODE", raising=False)
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    from streamlit.testing.v1 import AppTest
    from tests.test_app_drill_pages import APP

    def open_page(page: str):
        at = AppTest.from_file(APP, default_timeout=60)
        at.switch_page(page)
        at.run()
        assert_clean(at)
        return at
    return open_page


def _texts(at) -> list[str]:
    kinds = ("markdown", "header", "subheader", "title", "caption", "success", "info", "warning", "error", "toast")
    return [e.value for kind in kinds for e in getattr(at, kind)]


def assert_literal(at, *texts: str) -> None:
    shown = _texts(at)
    assert not [v for v in shown if _LIVE.search(v)], "markdown link or image produced"
    for text in texts:
        assert any(text in v.replace("\\", "") for v in shown), text


def test_awards_list_the_winner_as_literal_text(app):
    at = app("pages/awards.py")
    assert_literal(at, WINNER)


def test_scores_row_selection_shows_the_unit_as_literal_text(app):
    at = app("pages/scores.py")
    key = next(d.proto.id.split("-", 2)[-1] for d in at.dataframe if "scores_" in d.proto.id)
    select_rows(at, **{key: 0})
    assert_literal(at, WINNER)


def test_lagging_header_and_case_detail_are_literal_text(app):
    at = app("pages/lagging.py")
    assert_literal(at, f"{LAGGING} · 失分分析")
    select_rows(at, lag_lost_table=0)
    assert_literal(at, f"工单 {CASE_NO}")


def test_an_exclusion_reason_is_escaped():
    summary = callback_summary({"excluded": True, "exclusion_reason": WINNER})
    assert not _LIVE.search(summary) and WINNER in summary.replace("\\", "")


def test_the_import_message_shows_names_and_headers_as_literal_text(app):
    at = app("pages/data.py")
    data = (f"工单编号,受理时间,承办单位,单位类型,一级分类,{HEADER}\n"
            f"N1,2025-03-20 09:00,{WINNER}新,街道,市容环卫,x\n").encode()
    at.file_uploader(key="imp_file").set_value((f"{CASE_NO}.csv", data, "text/csv")).run()
    at.button(key="imp_go").click().run()
    assert_clean(at)
    assert_literal(at, HEADER, f"{WINNER}新")
