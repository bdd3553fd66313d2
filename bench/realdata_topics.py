"""Clusters and hot words on the real message board export (../shared/realdata/message-board-with-replies.xlsx),
imported the way a center would: `cli.py mapping suggest FILE`, plus only an `[extract.unit]` rule (the area named
in the subject), then `cli.py import` into a scratch SQLite file, then the same topics and hot words as the page.
The file is never copied into the repository; without it this prints why and exits 0. When the suggested mapping
found a category column, the classifier is trained on it and its held-out macro-F1 on top-level classes printed.

    python bench/realdata_topics.py [--top 10] [--file PATH]
"""
import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cli import main as cli_main  # noqa: E402
from data_access.storage.engine import make_engine  # noqa: E402
from metrics.periods import parse_period  # noqa: E402
from metrics.text import classifier  # noqa: E402
from metrics.text.hotwords import hot_words  # noqa: E402
from metrics.text.topics import topics  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "message-board-with-replies.xlsx"
EXTRACT_UNIT = '\n[extract.unit]\nfrom = "留言主题"\npattern = "([A-Z]\\\\d*[市区县])"\n'
EVERYTHING = "2000-01-01..2030-12-31"  # the board spans years: one period holding every message


def cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if cli_main(list(args)) != 0:
            raise SystemExit(f"cli.py {' '.join(args)} failed:\n{out.getvalue()}")
    return out.getvalue()


def import_as_a_center(source: Path, folder: Path) -> tuple[str, dict]:
    """The suggested mapping plus the extract rule, imported into a scratch database; its URL and mapping."""
    mapping = folder / "board.toml"
    print(cli("mapping", "suggest", str(source), "--out", str(mapping)).split("\n\n")[0])
    mapping.write_text(mapping.read_text(encoding="utf-8") + EXTRACT_UNIT, encoding="utf-8")
    url = f"sqlite:///{folder / 'text-board.db'}"
    cli("init-db", "--db", url)
    print(cli("import", str(source), "--mapping", str(mapping), "--db", url).splitlines()[0])
    return url, tomllib.loads(mapping.read_text(encoding="utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"skipped: {args.file} is not here (the real exports live beside the repository, never in it)")
        return 0
    with tempfile.TemporaryDirectory(prefix="text-board-") as folder:
        # A scratch database of one's own: its caller hash key is a throwaway.
        os.environ.setdefault("CALLER_HASH_KEY", "scratch-key-for-bench-only-0123456789")
        os.environ["TEXT_MODEL_DIR"] = folder
        url, mapping = import_as_a_center(args.file, Path(folder))
        engine = make_engine(url)
        period = parse_period(EVERYTHING)
        start = time.perf_counter()
        found = topics(engine, period, top=args.top, rank="size")
        seconds = time.perf_counter() - start
        words = hot_words(engine, period, top=20)
        labelled = classifier.train(engine, "cat_l1") if "cat_l1" in mapping["columns"] else None
        engine.dispose()
    pd.set_option("display.width", 220)
    pd.set_option("display.max_colwidth", 40)
    print(f"\ntop {args.top} clusters by size (all messages, clustered in {seconds:.1f} s):")
    print(found[["label", "size", "top_terms", "units"]].to_string())
    print("\nhot words (all messages):")
    print(words[["word", "count"]].to_string(index=False))
    if labelled is None:
        print("\nmacro-F1: no category column in this file (the suggested mapping left 一级分类 to its default)")
    else:
        print(f"\nmacro-F1 on 一级分类 (held out {labelled['n_test']}): {labelled['macro_f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
