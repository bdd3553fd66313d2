"""One period's case texts and the period before, cleaned, read once per data version and kept in memory.

The topics and hot words of a period compare it with the period before, so both are read together. The cleaned
texts of the last few (database, data version, period, unit) are kept: the second view of a page, or the hot
words after the clusters, do not read or clean again, and an import or undo changes the key.
"""
from collections import OrderedDict
from threading import Lock

import pandas as pd
from sqlalchemy.engine import Engine

from data_access.ingest.batches import data_version
from data_access.queries.text_queries import period_texts
from metrics.periods import Period
from metrics.text.clean import analysed

KEEP = 6  # corpora kept (a district month pair is ~10 MB)
_kept: OrderedDict = OrderedDict()
_lock = Lock()


def corpus(engine: Engine, period: Period, unit_id: int | None = None) -> pd.DataFrame:
    """The cases of the period and of the one before, with `current` (bool) and `clean` (cleaned text)."""
    with engine.connect() as conn:
        key = (str(engine.url), data_version(conn), period.key, period.start, period.end, unit_id)
        with _lock:
            if key in _kept:
                _kept.move_to_end(key)
                return _kept[key]
        before = period.previous()
        frames = [period_texts(conn, period.start, period.end, unit_id).assign(current=True),
                  period_texts(conn, before.start, before.end, unit_id).assign(current=False)]
    frame = pd.concat(frames, ignore_index=True)
    frame["clean"] = [analysed(text, address) for text, address in zip(frame["content"], frame["address"])]
    with _lock:
        _kept[key] = frame
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return frame
