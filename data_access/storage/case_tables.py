"""The tables the base counts are declared on (data_access.storage.measures): the cases, what they reference, and the
timed histograms. data_access/storage/schema.py adds every other table, the unit summaries' count columns generated from
the measures' declarations.

Derived columns on `cases` (received_day, basis_cb_day, response_hours, close_hours, address_key, h3_cell) are
computed once at write time in Python so that every aggregate is a plain GROUP BY that runs the same on SQLite,
PostgreSQL and MariaDB, without dialect date arithmetic.
"""
from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Double, ForeignKey, Index, Integer, MetaData, String, Table, Text,
    UniqueConstraint, true,
)

metadata = MetaData()

# The fields a rate reads: each case records whether its batch's file carried them (`has_<field>`, METRICS.md §2).
PROVIDED_FIELDS = ("responded_at", "solved", "satisfaction", "closed_at")

# SQLite only auto-increments INTEGER PRIMARY KEY; the servers get a 64-bit key for city scale.
BigId = BigInteger().with_variant(Integer, "sqlite")

app_settings = Table(
    "app_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("unit_type", String(16), nullable=False),
    Column("population", Integer),
    Column("lat", Double),
    Column("lon", Double),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_batch_id", Integer),  # the import batch that created it (undoing that batch removes it)
    Column("street", String(32)),         # the street (街乡镇) it belongs to, from the unit directory's CSV
)

categories = Table(
    "categories", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cat_l1", String(64), nullable=False),
    Column("cat_l2", String(64), nullable=False, default=""),
    Column("cat_l3", String(64), nullable=False, default=""),
    UniqueConstraint("cat_l1", "cat_l2", "cat_l3", name="uq_categories_path"),
)

import_batches = Table(
    "import_batches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", String(255), nullable=False),
    Column("checksum", String(64), nullable=False, index=True),
    Column("mapping", String(64), nullable=False, default="canonical"),
    Column("crs", String(8), nullable=False, default="wgs84"),
    Column("source", String(16), nullable=False, default="import"),  # import | demo
    Column("imported_by", String(64), nullable=False, default=""),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(12), nullable=False, default="done"),  # done | undone
    Column("n_rows", Integer, nullable=False, default=0),
    Column("n_new", Integer, nullable=False, default=0),
    Column("n_updated", Integer, nullable=False, default=0),
    Column("n_unchanged", Integer, nullable=False, default=0),
    Column("n_rejected", Integer, nullable=False, default=0),
    Column("warnings", Text),  # JSON {kind: count} of the leniencies the import counted (DATA_FORMAT.md §1)
    # The rate inputs the file did not carry (data_access.storage.measures.PROVIDED keys, comma-separated;
    # migration 0014).
    Column("not_provided", String(64), nullable=False, default="", server_default=""),
)

cases = Table(
    "cases", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_no", String(64), nullable=False, unique=True),
    Column("received_at", DateTime, nullable=False),
    Column("received_day", Date, nullable=False),
    Column("basis_cb_day", Date, nullable=False),  # callback day, else received day (rules.period_basis = callback)
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("dispatch_mode", String(8)),
    Column("request_type", String(8)),
    Column("cat_l1", String(64), nullable=False),
    Column("cat_l2", String(64)),
    Column("cat_l3", String(64)),
    Column("content", Text),
    Column("address", String(255)),
    Column("address_key", String(255)),
    Column("street", String(32)),
    Column("community", String(64)),
    Column("lon", Double),
    Column("lat", Double),
    Column("urgency", String(8)),
    Column("deadline_class", String(8)),
    Column("dispatched_at", DateTime),
    Column("responded_at", DateTime),
    Column("closed_at", DateTime),
    Column("callback_at", DateTime),
    # Whole hours, rounded up, from response start (dispatched_at or received_at) to responded_at / closed_at:
    # `elapsed <= L hours` is exactly `hours <= L` for whole-hour limits L, so summaries can bucket by it.
    Column("response_hours", Integer),
    Column("close_hours", Integer),
    Column("solved", String(8)),
    Column("satisfaction", String(8)),
    Column("dispatch_count", Integer, nullable=False, default=1),
    Column("excluded", Boolean, nullable=False, default=False),
    Column("exclusion_reason", String(255)),
    Column("caller_key", String(64)),
    Column("caller_masked", String(20)),
    Column("tags", String(255)),  # stored as ";a;b;" so one tag matches LIKE '%;a;%'
    Column("batch_id", Integer, ForeignKey("import_batches.id")),
    Column("h3_cell", BigInteger),  # the point's H3 cell (data_access.ingest.h3_cells)
    # days since the caller's previous case of its cat_l2 (data_access.ingest.repeat_gaps)
    Column("repeat_gap_days", Integer),
    # Whether the case's batch provided each field a rate reads (METRICS.md §2, data_access.storage.measures; 0014).
    *(Column(f"has_{name}", Boolean, nullable=False, default=True, server_default=true())
      for name in PROVIDED_FIELDS),
)
Index("ix_cases_unit_day", cases.c.unit_id, cases.c.received_day)
Index("ix_cases_day_cat", cases.c.received_day, cases.c.cat_l1)
Index("ix_cases_cbday_unit", cases.c.basis_cb_day, cases.c.unit_id)
Index("ix_cases_street_day", cases.c.street, cases.c.received_day)
Index("ix_cases_caller", cases.c.caller_key, cases.c.received_at)
Index("ix_cases_address", cases.c.address_key, cases.c.received_day)
Index("ix_cases_batch", cases.c.batch_id)


def unit_day_counts(name: str, *keys: Column) -> Table:
    """A summary of case counts n per basis, day and unit and the further `keys`, all of them the primary key."""
    return Table(name, metadata, Column("basis", String(1), primary_key=True), Column("day", Date, primary_key=True),
                 Column("unit_id", Integer, primary_key=True), *keys, Column("n", Integer, nullable=False))


# Assessed cases with a response, by urgency (empty = 一般) and whole response hours.
stat_unit_day_resp = unit_day_counts("stat_unit_day_resp", Column("urgency", String(8), primary_key=True),
                                     Column("hours", Integer, primary_key=True))

# Assessed closed cases, by deadline class (empty = 一般) and whole hours to close.
stat_unit_day_close = unit_day_counts("stat_unit_day_close", Column("deadline_class", String(8), primary_key=True),
                                      Column("hours", Integer, primary_key=True))
