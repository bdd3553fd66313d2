"""Clusters and hot words on the real message board export (../shared/realdata/message-board-with-replies.xlsx),
read directly with openpyxl (the text features need only its subject, text, time and the area named in the
subject). The file is never copied into the repository; without it this prints why and exits 0.

    python bench/realdata_topics.py [--top 10] [--file PATH]
"""
import argparse
import re
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metrics.text.clean import analysed  # noqa: E402
from metrics.text.hotwords import word_counts  # noqa: E402
from metrics.text.clusters import THRESHOLD  # noqa: E402
from metrics.text.topics import clustered, rank_clusters  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "message-board-with-replies.xlsx"
AREA = re.compile(r"^([A-Z]\d*[市区县])")


def read_board(path: Path) -> pd.DataFrame:
    """One row per message: the subject and text as one case text, the area (A市, A7县 …) as its unit."""
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    frame = pd.DataFrame(list(rows), columns=header)
    subject, detail = frame["留言主题"].fillna("").astype(str), frame["留言详情"].fillna("").astype(str)
    area = subject.str.extract(AREA)[0]
    return pd.DataFrame({
        "case_no": frame["留言编号"].astype(str), "received_day": frame["留言时间"].astype(str),
        "content": subject + "。" + detail, "address": None, "unit_name": area, "cat_l2": None, "current": True,
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    if not args.file.exists():
        print(f"skipped: {args.file} is not here (the real exports live beside the repository, never in it)")
        return 0
    frame = read_board(args.file)
    start = time.perf_counter()
    frame["clean"] = [analysed(t) for t in frame["content"]]
    found = rank_clusters(frame, clustered(frame, args.threshold), args.top, "size")
    seconds = time.perf_counter() - start
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 40)
    print(f"{len(frame)} messages, clustered in {seconds:.1f} s")
    print(found[["label", "size", "top_terms", "units"]].to_string())
    print("\nhot words (all messages):")
    print(word_counts(frame, None, 20)[["word", "count"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
