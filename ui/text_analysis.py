"""诉求分析's reads (cached) and writes (each in its own transaction, audited), apart from ui.cache: they load jieba
and scikit-learn (about 1.3 s), which only the 诉求分析 page needs, so other pages' processes do not pay for them at
start-up."""
import streamlit as st

from data_access.records import audit
from data_access.ingest.category_accept import accept_categories_recorded
from data_access.storage.engine import resolve_url
from data_access.queries.text_queries import batch_texts
from metrics.text import classifier, hotwords as text_hotwords, topics as text_topics
from ui.db import cached, clear, engine

# The period's clusters and hot words (the corpus behind them is also kept in-process).
topics = cached(text_topics.topics)
hot_words = cached(text_hotwords.hot_words)


@st.cache_resource(show_spinner=False, max_entries=6)
def _text_model(url: str, field: str, stamp: float):
    return classifier.load(engine(), field)


def text_model(field: str):
    """The stored classifier of this database and field (NoModel when none), reloaded when retrained."""
    path = classifier.model_path(engine(), field)
    return _text_model(resolve_url(), field, path.stat().st_mtime if path.exists() else 0.0)


_dispatch_check = cached(classifier.dispatch_check)


def dispatch_check(period, field: str):
    """Cases whose recorded category or unit disagrees with a confident suggestion (raises NoModel untrained);
    keyed by the model file's time too, so a retrained model checks again."""
    stamp = classifier.model_path(engine(), field).stat().st_mtime
    return _dispatch_check(period, field, stamp)


def retrain(field: str, user: str) -> dict:
    meta = classifier.train(engine(), field)
    audit.log(engine(), user, "classifier_train", {"field": field, "macro_f1": meta["macro_f1"]})
    return meta


def uncategorised(limit: int):
    """The newest uncategorised cases' texts (not cached: they change as suggestions are accepted)."""
    with engine().connect() as conn:
        return batch_texts(conn, limit=limit)


def accept(values: dict, user: str) -> int:
    """Write accepted suggestions as one batch (audited, undoable on 数据管理); returns its id."""
    batch = accept_categories_recorded(engine(), values, user)
    clear()
    return batch
