"""Group texts that say the same thing: near-duplicates and paraphrases of one problem.

Texts (already cleaned) are compared as TF-IDF vectors of character 2–3-grams and of words, half and half
(cosine similarity): the n-grams are robust to segmentation errors on addresses and local names, the words carry
paraphrases that share few characters ("停水了，一直没有来水" / "从昨天早上开始停水，到现在还没来水"). Two texts are
linked when their similarity reaches the threshold; a cluster is a connected group of linked texts. Identical
texts are compared once. Character n-grams that occur in a large share of the texts (的, 小区, 问题…) are left
out of the comparison: they link everything to everything and make the similarity product expensive.
"""
import numpy as np
from scipy.sparse import coo_matrix, hstack, vstack
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from metrics.text.words import words

THRESHOLD = 0.45       # cosine similarity that links two texts (measured: bench/text.py, tests/test_topics.py)
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


def link_groups(unique_texts: list[str], threshold: float = THRESHOLD) -> np.ndarray:
    """A group number for each distinct text; texts linked through similarities ≥ threshold share it."""
    n = len(unique_texts)
    matrix = vectors(unique_texts)
    if matrix is None or n == 0:
        return np.arange(n)
    pairs = []
    for first in range(0, n, CHUNK):
        sims = (matrix[first:first + CHUNK] @ matrix.T).tocoo()
        keep = sims.data >= threshold
        pairs.append(coo_matrix((np.ones(keep.sum(), dtype=np.int8), (sims.row[keep] + first, sims.col[keep])),
                                shape=(n, n)))
    graph = vstack(pairs).tocsr() if len(pairs) > 1 else pairs[0].tocsr()
    return connected_components(graph, directed=False)[1]


def cluster_ids(texts: list[str], threshold: float = THRESHOLD) -> np.ndarray:
    """A cluster number per text (texts empty after cleaning get -1)."""
    unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    groups = link_groups(list(unique), threshold)
    ids = groups[inverse]
    empty = np.asarray([not t for t in texts], dtype=bool)
    ids[empty] = -1
    return ids
