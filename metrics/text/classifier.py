"""Suggested categories: a linear classifier trained on the center's own categorised cases (诉求分析).

Features are TF-IDF of words (jieba) and of character 2–3-grams of the cleaned text (personal data and the
recorded address removed first, so neither reaches the model). The model is an SGD logistic regression: trains in
seconds on 100,000 cases and gives probabilities, so a suggestion says how sure it is; 二级分类 is decided along
the taxonomy, parent first (metrics.text.tree_model). It is measured on a
held-out fifth of the data it is trained from (macro-F1, per-class figures, confusions), and that measured model
is the one stored and used: the page and the command line show its figures beside every suggestion.

Stored on disk (TEXT_MODEL_DIR, default data/models/), one file per database and field, with its measurements.
What a file holds is vocabularies of cleaned words and n-grams and coefficients, never a case text.
"""
import hashlib
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, make_pipeline
from sqlalchemy.engine import Engine

import settings

from data_access.queries.text_queries import UNCATEGORISED, labelled_texts
from metrics.text.clean import analysed
from metrics.text.corpus import corpus
from metrics.text.tree_model import SEED, TreeClassifier, linear_model
from metrics.text.words import words

FIELDS = {"cat_l1": "一级分类", "cat_l2": "二级分类", "unit_name": "承办单位"}
MIN_CLASS = 5            # classes with fewer labelled cases are left out (no honest test split)
TEST_SHARE = 0.2
CONFIDENT = 0.8          # a prediction this sure that disagrees with the record is flagged (派单 check)
TRAIN_LIMIT = 200_000    # newest labelled cases used


class NoModel(LookupError):
    """No trained model for this database and field yet."""


def model_dir() -> Path:
    return Path(settings.TEXT_MODEL_DIR.get() or Path(__file__).resolve().parents[2] / "data" / "models")


def model_path(engine: Engine, field: str) -> Path:
    # One file per database (its URL without the password) and field.
    url = engine.url.render_as_string(hide_password=True)
    return model_dir() / f"classifier-{hashlib.sha256(url.encode()).hexdigest()[:12]}-{field}.joblib"


def pipeline(parents: dict):
    """Features, then one linear model, or for 二级分类 (`parents` given) the two-step one along the taxonomy."""
    features = FeatureUnion([
        ("words", TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=2, dtype=np.float32)),
        ("chars", TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, min_df=2,
                                  max_features=50_000, dtype=np.float32)),
    ])
    return make_pipeline(features, TreeClassifier(parents) if parents else linear_model())


def _forget_pruned(fitted) -> None:
    # TfidfVectorizer keeps the terms it pruned (stop_words_): not needed to predict, and never to be stored.
    for _, vectorizer in fitted.steps[0][1].transformer_list:
        vectorizer.stop_words_ = None


def train(engine: Engine, field: str = "cat_l1", limit: int = TRAIN_LIMIT) -> dict:
    """Train on the newest labelled cases, measure on a held-out fifth, store; returns the measurements."""
    _check_field(field)
    with engine.connect() as conn:
        frame = labelled_texts(conn, limit)
    frame = frame.assign(text=[analysed(t, a) for t, a in zip(frame["content"], frame["address"])],
                         label=frame[field].fillna(""))
    frame = frame[(frame["text"] != "") & (frame["label"] != "")]
    counts = frame["label"].value_counts()
    frame = frame[frame["label"].isin(counts[counts >= MIN_CLASS].index)]
    if frame["label"].nunique() < 2:
        raise ValueError(f"可用于训练的已分类工单不足（{len(frame)} 件）(not enough categorised cases to train on)")
    train_part, test_part = train_test_split(frame, test_size=TEST_SHARE, random_state=SEED,
                                             stratify=frame["label"])
    parents = _parents(frame, field)
    fitted = pipeline(parents).fit(list(train_part["text"]), list(train_part["label"]))
    _forget_pruned(fitted)
    predicted = fitted.predict(list(test_part["text"]))
    meta = measure(list(test_part["label"]), predicted, field)
    meta.update(n_train=len(train_part), n_test=len(test_part), trained_at=datetime.now().replace(microsecond=0),
                parents=parents)
    path = model_path(engine, field)
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"model": fitted, "meta": meta}, path)
    return meta


def measure(truth: list[str], predicted, field: str) -> dict:
    """Macro-F1, per-class precision / recall / F1 / support, and the most frequent confusions."""
    classes = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=classes,
                                                                     zero_division=0)
    per_class = pd.DataFrame({"class": classes, "precision": precision, "recall": recall, "f1": f1,
                              "support": support})
    pairs = pd.DataFrame({"true": truth, "predicted": predicted})
    confusions = (pairs[pairs["true"] != pairs["predicted"]].value_counts().rename("count").reset_index()
                  .head(30))
    return {"field": field, "macro_f1": float(f1_score(truth, predicted, labels=classes, average="macro",
                                                       zero_division=0)),
            "accuracy": float(np.mean(np.asarray(truth) == np.asarray(predicted))),
            "per_class": per_class, "confusions": confusions}


def _parents(frame: pd.DataFrame, field: str) -> dict:
    """For cat_l2: the cat_l1 each cat_l2 is most often filed under (a suggestion sets both)."""
    if field != "cat_l2":
        return {}
    return frame.groupby("cat_l2")["cat_l1"].agg(lambda s: s.value_counts().index[0]).to_dict()


def load(engine: Engine, field: str = "cat_l1") -> dict:
    """The stored model and its measurements ({"model", "meta"}); NoModel when none was trained."""
    _check_field(field)
    path = model_path(engine, field)
    if not path.exists():
        raise NoModel(f"尚未训练{FIELDS[field]}模型，请先训练 (no {field} model yet: run `cli.py classify train`)")
    return joblib.load(path)


def suggest(stored: dict, cases: pd.DataFrame) -> pd.DataFrame:
    """Each case's suggested value and how sure the model is (probability of its top class), with the recorded
    value beside it; `disagrees` marks a confident suggestion that differs from a recorded one (派单 check)."""
    field = stored["meta"]["field"]
    texts = [analysed(t, a) for t, a in zip(cases["content"], cases["address"])]
    proba = stored["model"].predict_proba(texts)
    classes = stored["model"].classes_
    best = proba.argmax(axis=1)
    out = cases[["case_no", field]].rename(columns={field: "recorded"}).reset_index(drop=True)
    out["suggested"] = classes[best]
    out["confidence"] = proba[np.arange(len(best)), best]
    out["parent"] = out["suggested"].map(stored["meta"]["parents"]) if stored["meta"]["parents"] else None
    recorded = out["recorded"].fillna("")
    out["disagrees"] = ((out["confidence"] >= CONFIDENT) & ~recorded.isin(["", UNCATEGORISED])
                        & (recorded != out["suggested"]))
    empty = np.asarray([not t for t in texts])
    out.loc[empty, ["suggested", "confidence"]] = [None, np.nan]  # nothing left to read: no suggestion
    out.loc[empty, "disagrees"] = False
    return out


def dispatch_check(engine: Engine, period, field: str, model_stamp: float, limit: int = 200) -> pd.DataFrame:
    """派单 check: the period's cases whose recorded value disagrees with a confident suggestion, surest first.
    `model_stamp` (the model file's time) is part of a cache key: a retrained model gives new answers."""
    stored = load(engine, field)
    current = corpus(engine, period)
    current = current[current["current"]]
    if current.empty:
        return pd.DataFrame(columns=["case_no", "recorded", "suggested", "parent", "confidence", "disagrees"])
    found = suggest(stored, current)
    found = found[found["disagrees"]].sort_values("confidence", ascending=False).head(limit)
    return found.merge(current[["case_no", "content"]], on="case_no")


def _check_field(field: str) -> None:
    if field not in FIELDS:
        raise ValueError(f"字段应为 {'/'.join(FIELDS)} (field must be one of {tuple(FIELDS)})")
