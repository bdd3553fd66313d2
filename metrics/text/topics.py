"""Emerging complaint clusters (诉求分析): what many callers write about this period, and what is rising.

The period's texts and the period before are clustered together (metrics.text.clusters), so a cluster's size in
each period is counted over the same group of texts. Clusters are ranked by size or by growth (the increase in
cases over the period before: a new problem of 30 cases ranks above an old one going from 100 to 110). Each comes
with a label in its own words (its most frequent wording, the shortest of equals), its top terms, places, units
and case numbers.
"""
import math
from collections import Counter

import pandas as pd
from sqlalchemy.engine import Engine

from metrics.periods import Period
from metrics.text.clusters import THRESHOLD, cluster_ids
from metrics.text.corpus import corpus
from metrics.text.words import words

MIN_SIZE = 3          # fewer cases in the period are no cluster
LABEL_CHARS = 24
TERMS, PLACES, UNITS = 6, 3, 3
CASES = 2_000        # case numbers kept per cluster, newest first (its drill-down list)
LIFT = 2              # a top term is used at least twice as often in its cluster as in all texts,
MIN_SHARE = 0.1       # and by at least a tenth of the cluster
RANKS = ("growth", "size")
COLUMNS = ["label", "size", "prev_size", "growth", "increase", "top_terms", "case_nos", "units", "places"]


def clustered(frame: pd.DataFrame, threshold: float = THRESHOLD) -> pd.Series:
    """Cluster numbers of a corpus's texts, computed once per corpus (kept in the frame's attrs)."""
    key = ("clusters", threshold)
    if key not in frame.attrs:
        frame.attrs[key] = pd.Series(cluster_ids(list(frame["clean"]), threshold), index=frame.index)
    return frame.attrs[key]


def topics(engine: Engine, period: Period, top: int = 20, rank: str = "growth", unit_id: int | None = None,
           threshold: float = THRESHOLD) -> pd.DataFrame:
    """The top clusters of the period with COLUMNS, plus `key` (the cluster number within this computation) and
    `cat_l2` (its most frequent 二级分类: what a 每月一题 proposal follows)."""
    if rank not in RANKS:
        raise ValueError(f"排序方式应为 {'/'.join(RANKS)} (rank must be one of {RANKS})")
    frame = corpus(engine, period, unit_id)
    key = ("topics", threshold, top, rank)  # kept with the corpus: the same data version gives the same answer
    if key not in frame.attrs:
        frame.attrs[key] = rank_clusters(frame, clustered(frame, threshold), top, rank)
    return frame.attrs[key].copy()


def rank_clusters(frame: pd.DataFrame, ids: pd.Series, top: int, rank: str) -> pd.DataFrame:
    """Sizes per period, ranking, then the descriptions of the top clusters only."""
    sized = (pd.DataFrame({"key": ids, "current": frame["current"]}).query("key >= 0")
             .groupby("key")["current"].agg(size="sum", total="count"))
    sized["prev_size"] = sized["total"] - sized["size"]
    sized = sized[sized["size"] >= MIN_SIZE].drop(columns="total")
    sized["increase"] = sized["size"] - sized["prev_size"]
    # growth: a fraction of the previous size; a cluster absent before has none (shown as 新出现, never ∞).
    sized["growth"] = (sized["increase"] / sized["prev_size"]).where(sized["prev_size"] > 0)
    order = ["increase", "size"] if rank == "growth" else ["size", "increase"]
    chosen = sized.sort_values(order, ascending=False, kind="stable").head(top)
    if chosen.empty:
        return pd.DataFrame(columns=["key"] + COLUMNS + ["cat_l2"])
    shares = word_shares(frame)
    described = [describe(frame[(ids == key) & frame["current"]], shares) for key in chosen.index]
    result = chosen.reset_index().join(pd.DataFrame(described))
    result["size"] = result["size"].astype(int)
    result["prev_size"] = result["prev_size"].astype(int)
    result["increase"] = result["increase"].astype(int)
    return result[["key"] + COLUMNS + ["cat_l2"]]


def word_shares(frame: pd.DataFrame) -> dict[str, float]:
    """The share of all texts (both periods) that use each word."""
    df: Counter = Counter()
    for text, count in frame["clean"].value_counts().items():
        for word in set(words(text)):
            df[word] += count
    return {word: d / len(frame) for word, d in df.items()}


def describe(members: pd.DataFrame, shares: dict[str, float]) -> dict:
    """A cluster's label, top terms, units, places and newest case numbers, from its cases of this period.
    A term is weighed by p · log(p / q), p its share in the cluster and q in all texts: a word the cluster uses
    not clearly more often than everyone else ("上个月", "物业" in a district full of 物业) weighs nothing."""
    wordings = members["clean"].value_counts()
    used: Counter = Counter()
    for text, count in wordings.head(500).items():
        used.update(dict.fromkeys(set(words(text)), count))
    total = wordings.head(500).sum()
    terms = {w: c / total * math.log(c / total / shares[w]) for w, c in used.items()
             if c / total >= max(MIN_SHARE, LIFT * shares[w])}
    newest = members.sort_values("received_day", ascending=False)
    return {"label": short(label(wordings)), "top_terms": " ".join(sorted(terms, key=lambda w: (-terms[w], w))[:TERMS]),
            "case_nos": list(newest["case_no"].head(CASES)),
            "units": _most(members["unit_name"], UNITS), "places": _most(members["address"], PLACES),
            "cat_l2": _first(members["cat_l2"])}


def label(wordings: pd.Series) -> str:
    """The most frequent wording; among equally frequent ones the shortest (it says it most concisely: letters
    that each appear once are labelled by their briefest member, not by whichever sorts first)."""
    top = wordings[wordings == wordings.iloc[0]].index
    return min(top, key=lambda text: (len(text), text))


def _first(values: pd.Series) -> str | None:
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


def short(text: str) -> str:
    """The first clause(s) of a text up to LABEL_CHARS characters."""
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS] + "…"


def _most(values: pd.Series, n: int) -> str:
    counts = values.dropna()
    counts = counts[counts != ""].value_counts().head(n)
    return "；".join(f"{name}（{count}）" for name, count in counts.items())
