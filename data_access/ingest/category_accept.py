"""Accepting suggested categories: the chosen cases rewritten with their new category through the one write path,
as a batch of their own (so the summaries follow, the audit log records who accepted what, and the batch can be
undone on the 数据管理 page like an import)."""
import uuid

from sqlalchemy.engine import Connection, Engine

from data_access.records import audit
from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import write_cases
from data_access.queries.text_queries import case_rows

SOURCE = "suggest"


def accept_categories(conn: Connection, choices: dict[str, tuple[str, str | None]], user: str) -> int:
    """Set (cat_l1, cat_l2) of each case_no in `choices` (cat_l2 None keeps the recorded one); returns the batch id."""
    rows = case_rows(conn, list(choices))
    for row in rows:
        cat_l1, cat_l2 = choices[row["case_no"]]
        row["cat_l1"] = cat_l1
        if cat_l2 is not None:
            row["cat_l2"], row["cat_l3"] = cat_l2, None
    batch = start_batch(conn, "分类建议采纳", uuid.uuid4().hex, mapping=SOURCE, source=SOURCE, user=user)
    result = write_cases(conn, rows, batch)
    finish_batch(conn, batch, n_rows=len(rows), n_new=result.new, n_updated=result.updated,
                 n_unchanged=result.unchanged, n_rejected=0)
    audit.record(conn, user, "category_accept", {"batch": batch, "cases": {k: list(v) for k, v in choices.items()}},
                 n_rows=len(rows))
    return batch


def accept_categories_recorded(engine: Engine, choices: dict[str, tuple[str, str | None]], user: str) -> int:
    """accept_categories in a transaction of its own (its batch and audit record with it)."""
    with engine.begin() as conn:
        return accept_categories(conn, choices, user)
