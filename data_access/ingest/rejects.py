"""Rejected rows: kept with their row number, reasons and raw values; listed; written back as a CSV to correct.

The CSV has the original file's headers, so once corrected it imports again with the same column mapping; the
two leading note columns (原行号, 拒收原因) are not fields and are ignored on import.
"""
import json

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from data_access.ingest.case_fields import MARIADB_TEXT_BYTES, ImportRefused
from data_access.queries.export_cells import csv_bytes
from data_access.ingest.privacy import mask_row
from data_access.records import audit
from data_access.storage.schema import import_batches, rejected_rows

ROW_HEADER = "原行号"
REASON_HEADER = "拒收原因"


def store_rejects(conn: Connection, batch_id: int, rejects: list[tuple[int, str, dict]]) -> None:
    """rejects: (row number, reason, raw values header -> text); every phone-like value is masked first."""
    if rejects:
        conn.execute(rejected_rows.insert(), [
            {"batch_id": batch_id, "row_number": n, "reason": reason, "raw": _raw_text(n, mask_row(raw))}
            for n, reason, raw in rejects])


def _raw_text(row_number: int, raw: dict) -> str:
    text = json.dumps(raw, ensure_ascii=False)
    # Too long to keep whole on MariaDB; such a row is nearly always a broken quote that swallowed the next rows.
    if len(text.encode()) > MARIADB_TEXT_BYTES:
        raise ImportRefused(f"第 {row_number} 行超过 {MARIADB_TEXT_BYTES} 字节，无法保存为拒收行，"
                            f"请检查该行的引号是否配对 (row {row_number} is too long to keep: check its quotes)")
    return text


def latest_import_batch(conn: Connection) -> int | None:
    """The most recent batch made from a file (demo builds have no rejects to show)."""
    return conn.execute(select(func.max(import_batches.c.id)).where(import_batches.c.source == "import")).scalar()


def list_rejects(conn: Connection, batch_id: int, limit: int | None = None) -> list[dict]:
    """row_number, reason and raw values (a dict) of a batch's rejected rows, in file order."""
    query = (select(rejected_rows.c.row_number, rejected_rows.c.reason, rejected_rows.c.raw)
             .where(rejected_rows.c.batch_id == batch_id).order_by(rejected_rows.c.row_number).limit(limit))
    return [{"row_number": r.row_number, "reason": r.reason, "raw": json.loads(r.raw)} for r in conn.execute(query)]


def rejects_csv(rows: list[dict]) -> bytes:
    """Rows from list_rejects as CSV: 原行号, 拒收原因, then the file's own columns; UTF-8 with a BOM so that
    Excel shows the Chinese correctly."""
    headers = list(dict.fromkeys(h for r in rows for h in r["raw"]))
    return csv_bytes([ROW_HEADER, REASON_HEADER, *headers],
                     ([r["row_number"], r["reason"], *(r["raw"].get(h, "") for h in headers)] for r in rows))


def export_rejects_recorded(engine: Engine, batch_id: int, file_name: str, user: str = "") -> list[dict]:
    """All rejected rows of a batch, read with the audit record of their export (raw rows leave the database)."""
    with engine.begin() as conn:
        rows = list_rejects(conn, batch_id)
        audit.record(conn, user, "export", {"file": file_name, "batch": batch_id}, len(rows))
    return rows
