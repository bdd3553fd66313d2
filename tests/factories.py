"""Building blocks for hand-made test data: units and clean case rows written through the real write path."""
from datetime import datetime

from data_access.ingest.batches import finish_batch, start_batch
from data_access.ingest.case_store import INPUT_COLUMNS, write_cases
from data_access.records.units import add_unit


def case_row(case_no: str, unit_id: int, received_at: str, **fields) -> dict:
    """A clean case row; datetimes may be given as 'YYYY-MM-DD HH:MM:SS' strings."""
    row = {k: None for k in INPUT_COLUMNS}
    row.update(case_no=case_no, unit_id=unit_id, received_at=received_at, cat_l1="市容环卫", dispatch_count=1,
               excluded=False)
    row.update(fields)
    for k in ("received_at", "dispatched_at", "responded_at", "closed_at", "callback_at"):
        if isinstance(row[k], str):
            row[k] = datetime.fromisoformat(row[k])
    return row


def write(engine, rows: list[dict], name: str = "test.csv") -> int:
    """Write rows as one batch; returns the batch id."""
    with engine.begin() as conn:
        batch = start_batch(conn, name, f"checksum-{name}-{len(rows)}")
        res = write_cases(conn, rows, batch)
        finish_batch(conn, batch, n_rows=len(rows), n_new=res.new, n_updated=res.updated,
                     n_unchanged=res.unchanged, n_rejected=0)
    return batch


def units(engine, *specs: tuple[str, str]) -> dict[str, int]:
    """Create units from (name, unit_type) pairs; returns name → id."""
    with engine.begin() as conn:
        return {name: add_unit(conn, name, utype) for name, utype in specs}
