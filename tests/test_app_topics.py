"""AppTest of the 诉求分析 page on the hand-written month of tests/test_topics.py (as the demo database, so the open
demo user, role staff, sees it): the clusters table with the new 停水 problem first, its cases, hot words, and the
classifier's measured accuracy once trained; a unit user gets no further than a notice."""
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access.storage.schema import import_batches
from metrics.text import classifier
from metrics.text import corpus as corpus_module
from tests import test_topics
from tests.dbs import migrated_engine
from ui.auth import User

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    engine = migrated_engine(url)
    test_topics.write_march(engine)
    with engine.begin() as conn:
        conn.execute(import_batches.update().values(source="demo"))
    monkeypatch.setenv("CASES_DB_URL", url)
    monkeypatch.setenv("TEXT_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("SCORING_RULES", raising=False)
    monkeypatch.delenv("AUTH_MODE", raising=False)
    monkeypatch.setattr("ui.auth._through_app_entry", lambda: None)
    corpus_module._kept.clear()
    yield engine
    engine.dispose()


def open_topics(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"period": "2025-03", **params})
    at.switch_page("pages/topics.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def frame(at: AppTest, key: str):
    return next(d for d in at.dataframe if key in d.proto.id).value


def frame_with(at: AppTest, header: str):
    """The table with this column (a table without selection carries no key in its id)."""
    return next(d.value for d in at.dataframe if header in d.value.columns)


def select_row(at: AppTest, key: str, row: int) -> AppTest:
    """AppTest cannot click a table: its selection lives in session state."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_clusters_first_the_new_problem_and_drill_to_its_cases(db):
    at = open_topics()
    table = frame(at, "tp_table")
    assert list(table["本期件数"][:2]) == [5, 6] and list(table["上期件数"][:2]) == [0, 8]
    assert list(table["环比"][:2]) == ["新出现", "-25%"]
    assert list(table["地点（件数）"][:1]) == ["和平里北街12号（5）"]
    assert not any("139" in label for label in table["诉求主题"])
    select_row(at, "tp_table", 0)
    cases = frame(at, "tp_cases_table")
    assert list(cases["工单编号"]) == ["W4", "W3", "W2", "W1", "W0"]
    # The demo user is staff (case access): the text as written; a leader sees the phone number masked.
    assert "13912345678" in " ".join(cases["诉求内容"])


def as_user(monkeypatch, user: User) -> None:
    for where in ("ui.auth", "ui.cases"):  # ui.cases holds its own reference
        monkeypatch.setattr(f"{where}.current_user", lambda: user)


def test_a_leader_sees_case_text_masked(db, monkeypatch):
    as_user(monkeypatch, User("区领导", "leader"))
    at = select_row(open_topics(), "tp_table", 0)
    text = " ".join(frame(at, "tp_cases_table")["诉求内容"])
    assert "13912345678" not in text and "1*********8" in text


def test_hot_words_and_the_classifier_figures_after_training(db):
    at = open_topics()
    words = frame_with(at, "热词")
    assert words.set_index("热词").loc["垃圾桶", ["提及件数", "上期件数", "增减"]].tolist() == [6, 8, -2]
    assert any("尚未训练分类模型" in i.value for i in at.info)
    meta = classifier.train(db, "cat_l1")
    # Every case has a text: 5 停水 (供水) and 6 + 8 + 2 + the background (市容环卫); a fifth (rounded up) held out.
    n = 5 + 6 + 8 + 2 + len(test_topics.BACKGROUND)
    assert (meta["n_train"], meta["n_test"]) == (n - math.ceil(n / 5), math.ceil(n / 5))
    at = open_topics()
    shown = " ".join(m.value for m in at.markdown)
    assert f"宏平均 F1 **{meta['macro_f1']:.2%}**" in shown
    assert sorted(frame_with(at, "类别")["类别"]) == ["供水", "市容环卫"]


def test_a_unit_user_gets_a_notice_only(db, monkeypatch):
    as_user(monkeypatch, User("和平里街道", "unit", unit_id=1))
    at = open_topics()
    assert [i.value for i in at.info] == ["诉求分析仅对区领导和中心工作人员开放。"]
    assert not at.dataframe
