"""诉求分析 commands: topics (emerging clusters), hotwords, and classify train|evaluate|suggest."""
import json
import sys

from metrics.periods import parse_period

from cli_commands.common import CliError, add_format, emit, open_engine, records, table_text

# The choices of metrics.text (topics.RANKS, hotwords.BY, classifier.FIELDS), not imported for --help (jieba,
# scikit-learn); a test keeps them equal.
RANKS = ("growth", "size")
HOT_BY = ("district", "street", "unit", "category")
CLASSIFIED = ("cat_l1", "cat_l2", "unit_name")

TOPIC_COLUMNS = ["label", "size", "prev_size", "growth", "top_terms", "case_nos", "units", "places"]
SUGGEST_COLUMNS = ["case_no", "recorded", "suggested", "parent", "confidence", "disagrees"]
CASES_SHOWN = 20  # newest case numbers of a cluster printed
CLASS_COLUMNS = ["class", "precision", "recall", "f1", "support"]


def register(sub, shared) -> None:
    p = sub.add_parser("topics", parents=[shared], help="emerging complaint clusters of a period (诉求分析)")
    p.add_argument("--period", required=True, help="2025-03, 2025-Q1, 2025, 2025-W10 or a date range")
    p.add_argument("--top", type=int, default=20, help="how many clusters (default 20)")
    p.add_argument("--rank", choices=RANKS, default="growth", help="growth (increase over the period before) or size")
    add_format(p)
    p.set_defaults(handler=topics_command)
    p = sub.add_parser("hotwords", parents=[shared], help="hot words per street, unit or category (热词)")
    p.add_argument("--period", required=True)
    p.add_argument("--by", choices=HOT_BY, default="district")
    p.add_argument("--top", type=int, default=10, help="words per group (default 10)")
    add_format(p)
    p.set_defaults(handler=hotwords_command)
    p = sub.add_parser("classify", parents=[shared], help="category classifier: train, evaluate, suggest")
    p.add_argument("action", choices=("train", "evaluate", "suggest"))
    p.add_argument("--field", choices=CLASSIFIED, default="cat_l1")
    p.add_argument("--batch", type=int, help="suggest for this import batch's uncategorised cases (default: all)")
    add_format(p)
    p.set_defaults(handler=classify_command)


def _top(value: int) -> int:
    if value < 1:
        raise CliError(f"--top 应为正整数 (--top must be at least 1, got {value})")
    return value


def topics_command(args) -> int:
    from metrics.text.topics import topics
    period = parse_period(args.period)
    with open_engine(args) as engine:
        found = topics(engine, period, top=_top(args.top), rank=args.rank)
    shown = found["case_nos"].map(lambda nos: nos[:CASES_SHOWN])
    # One cell per value in a table or csv.
    found = found.assign(case_nos=shown if args.format == "json" else shown.map(" ".join))
    emit(found, TOPIC_COLUMNS, args.format)
    return 0


def hotwords_command(args) -> int:
    from metrics.text.hotwords import COLUMNS as HOT_COLUMNS, hot_words
    with open_engine(args) as engine:
        emit(hot_words(engine, parse_period(args.period), by=args.by, top=_top(args.top)), HOT_COLUMNS, args.format)
    return 0


def classify_command(args) -> int:
    from metrics.text import classifier
    with open_engine(args) as engine:
        try:
            if args.action == "train":
                meta = classifier.train(engine, args.field)
            elif args.action == "evaluate":
                meta = classifier.load(engine, args.field)["meta"]
            else:
                return _suggest(engine, args)
        except (classifier.NoModel, ValueError) as exc:
            raise CliError(str(exc)) from None
    _print_measure(meta, args.format)
    return 0


def _suggest(engine, args) -> int:
    from data_access.queries.text_queries import batch_texts
    from metrics.text import classifier
    stored = classifier.load(engine, args.field)
    with engine.connect() as conn:
        cases = batch_texts(conn, args.batch, uncategorised_only=args.batch is None or args.field != "unit_name")
    emit(classifier.suggest(stored, cases), SUGGEST_COLUMNS, args.format)
    return 0


def _print_measure(meta: dict, fmt: str) -> None:
    from metrics.text import classifier
    per_class = meta["per_class"]
    if fmt == "csv":
        emit(per_class, CLASS_COLUMNS, "csv")
        return
    head = {k: meta[k] for k in ("field", "macro_f1", "accuracy", "n_train", "n_test")}
    if fmt == "json":
        json.dump({**head, "trained_at": str(meta["trained_at"]), "per_class": records(per_class, CLASS_COLUMNS),
                   "confusions": records(meta["confusions"], ["true", "predicted", "count"])},
                  sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    print(f"{classifier.FIELDS[meta['field']]} ({meta['field']}): macro-F1 {meta['macro_f1']:.4f}, "
          f"accuracy {meta['accuracy']:.4f} on {meta['n_test']} held-out cases (trained on {meta['n_train']}, "
          f"{meta['trained_at']})")
    sys.stdout.write(table_text(records(per_class, CLASS_COLUMNS), CLASS_COLUMNS))
