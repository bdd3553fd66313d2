"""Case texts for the text features (诉求分析): one period's cases with only the columns they need.

The topics page reads two periods (this one and the one before) of at most a district month each, so these are
plain indexed range reads on received_day; the classifier reads categorised cases up to a limit, newest first.
"""
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from data_access.ingest.case_store import INPUT_COLUMNS
from data_access.storage.schema import cases, units

UNCATEGORISED = "未分类"  # cat_l1 a mapping gives an export that carries no category (e.g. a message board)
TEXT_COLUMNS = ("case_no", "received_day", "content", "address", "street", "unit_name", "cat_l1", "cat_l2")


def _text_query():
    return (select(cases.c.case_no, cases.c.received_day, cases.c.content, cases.c.address, cases.c.street,
                   units.c.name.label("unit_name"), cases.c.cat_l1, cases.c.cat_l2)
            .join(units, units.c.id == cases.c.unit_id))


def period_texts(conn: Connection, start: date, end: date, unit_id: int | None = None) -> pd.DataFrame:
    """The cases received in [start, end) that carry a text (one unit's only when unit_id is given)."""
    query = _text_query().where(cases.c.received_day >= start, cases.c.received_day < end,
                                cases.c.content.is_not(None))
    if unit_id is not None:
        query = query.where(cases.c.unit_id == unit_id)
    return pd.DataFrame(conn.execute(query).all(), columns=list(TEXT_COLUMNS))


def labelled_texts(conn: Connection, limit: int = 200_000) -> pd.DataFrame:
    """Categorised cases with a text, newest first, for training the category classifier."""
    query = (_text_query().where(cases.c.content.is_not(None), cases.c.cat_l1 != UNCATEGORISED)
             .order_by(cases.c.received_day.desc(), cases.c.id.desc()).limit(limit))
    return pd.DataFrame(conn.execute(query).all(), columns=list(TEXT_COLUMNS))


def batch_texts(conn: Connection, batch_id: int | None = None, uncategorised_only: bool = True,
                limit: int = 50_000) -> pd.DataFrame:
    """The texts of one import batch (or of every batch), only its uncategorised cases unless told otherwise."""
    query = _text_query().where(cases.c.content.is_not(None))
    if batch_id is not None:
        query = query.where(cases.c.batch_id == batch_id)
    if uncategorised_only:
        query = query.where(cases.c.cat_l1 == UNCATEGORISED)
    query = query.order_by(cases.c.id.desc()).limit(limit)
    return pd.DataFrame(conn.execute(query).all(), columns=list(TEXT_COLUMNS))


def case_rows(conn: Connection, case_nos: list[str]) -> list[dict]:
    """Whole clean rows (the write path's input columns) of the given cases, to write them back changed."""
    query = select(*(cases.c[k] for k in INPUT_COLUMNS)).where(cases.c.case_no.in_(case_nos))
    return [dict(r) for r in conn.execute(query).mappings()]
