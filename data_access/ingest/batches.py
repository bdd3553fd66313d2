"""Import batches: one per imported file (or demo build), with its counts; history for the data page."""
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from data_access.storage.schema import import_batches


def start_batch(conn: Connection, file_name: str, checksum: str, *, mapping: str = "canonical", crs: str = "wgs84",
                source: str = "import", user: str = "") -> int:
    result = conn.execute(import_batches.insert().values(
        file_name=file_name, checksum=checksum, mapping=mapping, crs=crs, source=source, imported_by=user,
        started_at=datetime.now().replace(microsecond=0), status="done"))
    return result.inserted_primary_key[0]


def finish_batch(conn: Connection, batch_id: int, *, n_rows: int, n_new: int, n_updated: int, n_unchanged: int,
                 n_rejected: int, warnings: dict[str, int] | None = None) -> None:
    conn.execute(import_batches.update().where(import_batches.c.id == batch_id).values(
        finished_at=datetime.now().replace(microsecond=0), n_rows=n_rows, n_new=n_new, n_updated=n_updated,
        n_unchanged=n_unchanged, n_rejected=n_rejected,
        warnings=json.dumps(warnings, sort_keys=True) if warnings else None))


def batch_warnings(batch: dict) -> dict[str, int]:
    """The counted leniencies of a batch (get_batch / list_batches row), {} when there were none."""
    return json.loads(batch.get("warnings") or "{}")


def find_done_batch(conn: Connection, checksum: str, *, crs: str | None = None) -> int | None:
    """A batch still in force that imported files with this checksum (importing them again changes nothing).

    The importer's checksum covers the files and the mapping's content; with crs, only a batch that read the
    coordinates the same way counts (another reading gives other values).
    """
    query = select(import_batches.c.id).where(import_batches.c.checksum == checksum,
                                              import_batches.c.status == "done")
    if crs is not None:
        query = query.where(import_batches.c.crs == crs)
    return conn.execute(query.order_by(import_batches.c.id.desc())).scalar()


def get_batch(conn: Connection, batch_id: int) -> dict | None:
    row = conn.execute(select(import_batches).where(import_batches.c.id == batch_id)).mappings().first()
    return dict(row) if row else None


def list_batches(conn: Connection, limit: int = 100) -> list[dict]:
    rows = conn.execute(select(import_batches).order_by(import_batches.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def data_version(conn: Connection) -> tuple:
    """Changes whenever cases change (an import, an undo): the key for the app's caches."""
    row = conn.execute(select(import_batches.c.id, import_batches.c.status, import_batches.c.finished_at)
                       .order_by(import_batches.c.id.desc()).limit(1)).first()
    undone = conn.execute(select(import_batches.c.id).where(import_batches.c.status == "undone")).scalars().all()
    return (tuple(row) if row else (), len(undone))
