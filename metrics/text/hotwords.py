"""Hot words (热词): the words most cases of a street, unit or category use this period, with the change against
the period before. A word counts once per case (how many cases say it), so one long letter cannot top the table.
Stop words (12345 boilerplate, function words) are left out in metrics.text.words."""
import pandas as pd
from sqlalchemy.engine import Engine

from metrics.periods import Period
from metrics.text.corpus import corpus
from metrics.text.words import words

BY = {"district": None, "street": "street", "unit": "unit_name", "category": "cat_l1"}
BY_LABELS = {"district": "全区", "street": "按街道", "unit": "按承办单位", "category": "按一级分类"}
DISTRICT = "全区"
COLUMNS = ["group", "word", "count", "prev_count", "change"]


def hot_words(engine: Engine, period: Period, by: str = "district", top: int = 10,
              unit_id: int | None = None) -> pd.DataFrame:
    """The `top` words of each group (street, unit, category, or the whole district) with COLUMNS, most used first."""
    if by not in BY:
        raise ValueError(f"分组应为 {'/'.join(BY)} (by must be one of {tuple(BY)})")
    frame = corpus(engine, period, unit_id)
    key = ("hot_words", by, top)  # kept with the corpus: the same data version gives the same answer
    if key not in frame.attrs:
        frame.attrs[key] = word_counts(frame, BY[by], top)
    return frame.attrs[key].copy()


def word_counts(frame: pd.DataFrame, column: str | None, top: int) -> pd.DataFrame:
    groups = frame[column].fillna("（未填）") if column else pd.Series(DISTRICT, index=frame.index)
    rows = [(group, word, current) for group, text, current in zip(groups, frame["clean"], frame["current"])
            for word in set(words(text))]
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    pairs = pd.DataFrame(rows, columns=["group", "word", "current"])
    counts = pairs.groupby(["group", "word"])["current"].agg(count="sum", total="count").reset_index()
    counts["prev_count"] = counts["total"] - counts["count"]
    counts["change"] = counts["count"] - counts["prev_count"]
    counts = counts[counts["count"] > 0].sort_values(["group", "count", "change", "word"],
                                                      ascending=[True, False, False, True])
    return counts.groupby("group").head(top)[COLUMNS].reset_index(drop=True)
