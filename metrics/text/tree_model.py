"""A second-level category (二级分类) decided in two steps along the taxonomy: first its parent (一级分类) among all
parents, then the category among its siblings, trained only on that parent's cases.

Why: a linear one-vs-rest model costs classes × cases per pass. Eighty second-level classes over every case was
the slowest training (85 s for 100,000 demo cases, budget 60 s); parents over every case plus each parent's few
children over its own cases is about a third of that, whatever the texts. Probabilities multiply down the tree:
P(二级) = P(一级) · P(二级 | 一级), so a suggestion still says how sure it is, and its parent comes with it.
"""
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import SGDClassifier

SEED = 1


def linear_model():
    """SGD logistic regression: probabilities, seconds on 100,000 short texts. Five passes are enough on texts
    this short (measured: bench/text.py); one class per core."""
    return SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=5, tol=None, random_state=SEED, n_jobs=-1)


def _fit(X, y: np.ndarray):
    """A fitted linear model, or the one label itself when there is nothing to choose between."""
    labels = np.unique(y)
    return labels[0] if len(labels) == 1 else linear_model().fit(X, y)


def _proba(model, X) -> tuple[np.ndarray, np.ndarray]:
    """(classes, probabilities) of a model from _fit."""
    if isinstance(model, str):
        return np.asarray([model], dtype=object), np.ones((X.shape[0], 1))
    return model.classes_, model.predict_proba(X)


class TreeClassifier(ClassifierMixin, BaseEstimator):
    """Classes with a parent each (`parents`: class → parent); a class missing from it is its own parent."""

    def __init__(self, parents: dict | None = None):
        self.parents = parents

    def fit(self, X, y):
        y = np.asarray(y, dtype=object)
        top = self._parent_of(y)
        self.classes_ = np.unique(y)
        self.top_ = _fit(X, top)
        self.within_ = {parent: _fit(X[top == parent], y[top == parent]) for parent in np.unique(top)}
        return self

    def _parent_of(self, y: np.ndarray) -> np.ndarray:
        parents = self.parents or {}
        return np.asarray([parents.get(v, v) for v in y], dtype=object)

    def predict_proba(self, X) -> np.ndarray:
        column = {c: i for i, c in enumerate(self.classes_)}
        out = np.zeros((X.shape[0], len(self.classes_)))
        top_classes, top = _proba(self.top_, X)
        for j, parent in enumerate(top_classes):
            classes, within = _proba(self.within_[parent], X)
            out[:, [column[c] for c in classes]] += top[:, [j]] * within
        return out

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
