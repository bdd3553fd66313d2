"""Provided or not (METRICS.md §2): which rate inputs an imported file carries at all.

A field is provided when the mapping finds its column among the file's headers or gives it a default; an empty
cell in a column that is there is still provided (a case not yet responded to). The importer marks each clean
row of the batch (`has_<field>` on cases, handed over as columns) and records on the batch what the file lacked,
so that the rates that read a missing field count none of its cases (null, shown as 无数据, rather than 0 %).
"""
from sqlalchemy.engine import Connection

from data_access.ingest.column_mappings import Mapping
from data_access.storage.schema import PROVIDED_FIELDS, import_batches


def missing_inputs(mapping: Mapping, headers: list[str]) -> tuple[str, ...]:
    """The rate inputs (PROVIDED_FIELDS) that this file, read with this mapping, does not carry."""
    located = mapping.locate(headers)
    return tuple(f for f in PROVIDED_FIELDS if f not in located and f not in mapping.defaults)


def provided_columns(missing: tuple[str, ...], n: int) -> dict[str, list[bool]]:
    """The has_<field> columns of n clean rows of one file: False for the fields the file lacks."""
    return {f"has_{f}": [f not in missing] * n for f in PROVIDED_FIELDS}


def record_missing(conn: Connection, batch_id: int, missing: tuple[str, ...]) -> None:
    conn.execute(import_batches.update().where(import_batches.c.id == batch_id)
                 .values(not_provided=",".join(missing)))
