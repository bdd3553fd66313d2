"""诉求分析 figures (issue 16): classifier training on 100,000 demo cases, suggestions per second, the topics page's
data for a district month (cold: a fresh corpus; warm: the same data version again), macro-F1 on the demo's
categories. Each figure is printed as wall and CPU seconds (this 2-core machine is shared: wall time follows the
load, CPU time much less) and as a ratio to an anchor timed in the same run: scikit-learn's character 2–3-gram
TF-IDF fitted on the same 100,000 training texts (one step every text model here takes).

    python bench/text.py --db sqlite:///data/cases.db [--period 2026-11] [--train 100000]

Needs a demo database with at least two months (`cli.py seed-demo --months 5 --scale 1` gives ~118,000 cases). Models go to
a temporary folder, never data/models/. Prints one JSON object.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.storage.engine import make_engine  # noqa: E402
from data_access.queries.text_queries import labelled_texts  # noqa: E402
from metrics.periods import parse_period  # noqa: E402
from metrics.text import classifier, corpus  # noqa: E402
from metrics.text.hotwords import hot_words  # noqa: E402
from metrics.text.topics import topics  # noqa: E402

SUGGEST_CASES = 20_000


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, round(time.perf_counter() - start, 3)


def clocked(func, *args, **kwargs) -> tuple:
    """(result, wall s, CPU s of this process)."""
    cpu = time.process_time()
    result, wall = timed(func, *args, **kwargs)
    return result, wall, round(time.process_time() - cpu, 3)


def anchor(engine, n: int) -> float:
    """CPU seconds of a character 2–3-gram TF-IDF fitted on the n newest labelled texts as stored (not cleaned:
    the cold figure below must find no cleaned text kept)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    with engine.connect() as conn:
        frame = labelled_texts(conn, n)
    return clocked(TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit_transform, list(frame["content"]))[2]


def page_data(engine, period) -> None:
    """What the 诉求分析 page reads: the clusters ranked by growth, and the hot words per street."""
    topics(engine, period, top=20, rank="growth")
    hot_words(engine, period, by="street", top=10)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--train", type=int, default=100_000)
    args = parser.parse_args(argv)
    os.environ["TEXT_MODEL_DIR"] = tempfile.mkdtemp(prefix="text-models-")
    engine = make_engine(args.db)
    period = parse_period(args.period)
    out = {"period": period.key, "load_average_before": os.getloadavg()[0]}
    out["anchor_cpu_s"] = base = anchor(engine, args.train)
    # Cold: a fresh process, jieba's dictionary not yet loaded, nothing kept for this data version.
    _, out["topics_page_cold_s"], out["topics_page_cold_cpu_s"] = clocked(page_data, engine, period)
    warm = [timed(page_data, engine, period)[1] for _ in range(5)]
    out["topics_page_warm_s"] = sorted(warm)[2]
    out["texts_in_corpus"] = len(corpus.corpus(engine, period))
    for field in ("cat_l1", "cat_l2"):
        meta, seconds, cpu = clocked(classifier.train, engine, field, args.train)
        out[field] = {"train_s": seconds, "train_cpu_s": cpu, "train_cpu_to_anchor": round(cpu / base, 1),
                      "n_train": meta["n_train"], "n_test": meta["n_test"],
                      "macro_f1": round(meta["macro_f1"], 4), "accuracy": round(meta["accuracy"], 4),
                      "worst_classes": meta["per_class"].nsmallest(3, "f1")[["class", "f1"]].round(3)
                      .values.tolist()}
    out["topics_page_cold_cpu_to_anchor"] = round(out["topics_page_cold_cpu_s"] / base, 1)
    with engine.connect() as conn:
        cases = labelled_texts(conn, SUGGEST_CASES)
    stored = classifier.load(engine, "cat_l1")
    classifier.suggest(stored, cases.head(100))  # the first call loads jieba's dictionary
    _, seconds, cpu = clocked(classifier.suggest, stored, cases)
    out["suggest_cases_per_s"] = round(len(cases) / seconds)
    out["suggest_cases_per_cpu_s"] = round(len(cases) / cpu)
    out["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return out


if __name__ == "__main__":
    main()
