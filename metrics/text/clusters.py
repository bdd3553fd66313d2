"""Group texts that say the same thing: near-duplicates and paraphrases of one problem.

Texts (already cleaned) are compared as TF-IDF vectors of character 2–3-grams and of words, half and half
(cosine similarity): the n-grams are robust to segmentation errors on addresses and local names, the words carry
paraphrases that share few characters ("停水了，一直没有来水" / "从昨天早上开始停水，到现在还没来水"). A cluster is
a leader and the texts whose similarity to it reaches the threshold: the most frequent wording leads, and each
text not yet taken starts its own cluster in turn (leader clustering). Unlike connected components this cannot
chain "停水" to "暖气不热" through texts that mention both. Then each text moves to the cluster whose centroid
(mean vector) is nearest, if that reaches the threshold, and clusters whose centroids are that similar merge:
paraphrases are each closer to their common centre than to any one of them. Identical texts are compared once.
Character n-grams that occur in a large share of the texts (的, 小区, 问题…) are left out of the comparison: they
link everything to everything and make the similarity product expensive. The threshold depends on length
(`thresholds`): a short text needs 0.45, a long letter less, as the chance similarity of unrelated texts falls.
"""
import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, hstack
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from metrics.text.words import words

THRESHOLD = 0.45       # cosine similarity that links two short texts (measured: bench/text.py, tests/test_topics.py)
SHORT = 40             # characters: up to here a text counts as short (one or two clauses, a typical 12345 summary)
COMMON_SHARE = 0.05    # n-grams in more than this share of texts are not compared
CHUNK = 2_000          # rows of the similarity product at a time (memory stays ~ CHUNK × links)


def vectors(unique_texts: list[str]):
    """Unit-length vectors of distinct texts: char n-gram and word TF-IDF, each half the weight."""
    max_df = COMMON_SHARE if len(unique_texts) >= 200 else 1.0  # a handful of texts: every n-gram counts
    parts = [_tfidf(unique_texts, analyzer="char", ngram_range=(2, 3), max_df=max_df),
             _tfidf(unique_texts, analyzer=words, max_df=max_df)]
    parts = [p for p in parts if p is not None]
    return normalize(hstack(parts).tocsr()) if parts else None


def _tfidf(texts: list[str], **options):
    vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **options)
    try:
        return vectorizer.fit_transform(texts) * np.float32(np.sqrt(0.5))
    except ValueError:  # no term at all (every text empty, or only stop words)
        return None


def thresholds(texts: list[str], threshold: float) -> np.ndarray:
    """Each text's own threshold: `threshold` for a short text, lower for a longer one, as 1/sqrt(length).
    Why: the cosine of two unrelated texts is a sum over the terms they happen to share, and its spread falls as
    1/sqrt(terms): two short texts sharing one word are already 0.3 alike, two letters of 160 characters hardly
    ever reach 0.15 by chance — while two letters about one problem share its core in a sea of their own details
    and rarely reach 0.45. Scaling the threshold with the chance spread keeps the rate of chance links the same at
    every length. A pair uses the geometric mean of its two thresholds."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.float64, count=len(texts))
    return threshold * np.sqrt(SHORT / np.maximum(lengths, SHORT))


def neighbours(matrix, limits: np.ndarray):
    """The similarity graph (CSR, n × n): an entry wherever two texts' similarity reaches their pair threshold
    (sqrt of the product of their own `limits`)."""
    n = matrix.shape[0]
    rows, cols = [], []
    for first in range(0, n, CHUNK):
        sims = (matrix[first:first + CHUNK] @ matrix.T).tocoo()
        keep = sims.data >= np.sqrt(limits[sims.row + first] * limits[sims.col])
        rows.append(sims.row[keep] + first)
        cols.append(sims.col[keep])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()


def leaders(graph, order: np.ndarray) -> np.ndarray:
    """Leader clustering over the graph: in the given order, each text not yet taken leads a group of its
    neighbours not yet taken."""
    group = np.full(graph.shape[0], -1)
    indptr, indices = graph.indptr, graph.indices
    for i in order:
        if group[i] >= 0:
            continue
        near = indices[indptr[i]:indptr[i + 1]]
        group[near[group[near] < 0]] = i
        group[i] = i
    return group


def link_groups(unique_texts: list[str], counts: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """A group number for each distinct text (most frequent wordings lead)."""
    matrix = vectors(unique_texts)
    if matrix is None:
        return np.arange(len(unique_texts))
    limits = thresholds(unique_texts, threshold)
    first = leaders(neighbours(matrix, limits), np.argsort(-counts, kind="stable"))
    return recentre(matrix, counts, first, limits)


def recentre(matrix, counts: np.ndarray, group: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Texts moved to their nearest centroid (if similar enough), then clusters with similar centroids merged.
    A cluster's threshold is its members' mean (weighted by count)."""
    labels, group = np.unique(group, return_inverse=True)
    membership = csr_matrix((counts.astype(np.float32), (group, np.arange(len(group)))),
                            shape=(len(labels), len(group)))
    centroids = normalize(membership @ matrix)
    own = (membership @ limits) / np.asarray(membership.sum(axis=1)).ravel()
    sims = (matrix @ centroids.T).tocsr()
    best = np.asarray(sims.argmax(axis=1)).ravel()
    near = np.asarray(sims.max(axis=1).todense()).ravel() >= np.sqrt(limits * own[best])
    group = np.where(near, best, group)
    merged = (centroids @ centroids.T).tocoo()
    keep = merged.data >= np.sqrt(own[merged.row] * own[merged.col])
    graph = coo_matrix((np.ones(keep.sum(), dtype=np.int8), (merged.row[keep], merged.col[keep])),
                       shape=(len(labels), len(labels)))
    return connected_components(graph, directed=False)[1][group]


def cluster_ids(texts: list[str], threshold: float = THRESHOLD) -> np.ndarray:
    """A cluster number per text (texts empty after cleaning get -1)."""
    unique, inverse, counts = np.unique(np.asarray(texts, dtype=object), return_inverse=True, return_counts=True)
    groups = link_groups(list(unique), counts, threshold)
    ids = groups[inverse]
    empty = np.asarray([not t for t in texts], dtype=bool)
    ids[empty] = -1
    return ids
