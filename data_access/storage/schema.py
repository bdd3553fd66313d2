"""The database schema (SQLAlchemy Core). Migrations in data_access/storage/migrations mirror it
(tests/test_schema_migrations.py compares them on every database).

The cases and the timed histograms are in data_access/storage/case_tables.py (the base counts are declared on them); the
unit summaries' count columns come from data_access/storage/measures.py.
"""
from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Double, ForeignKey, Index, Integer, String, Table, Text,
)

from data_access.storage.case_tables import (  # noqa: F401 (re-exported: the schema is one namespace for its readers)
    PROVIDED_FIELDS, BigId, app_settings, cases, categories, import_batches, metadata, stat_unit_day_close,
    stat_unit_day_resp, unit_day_counts, units,
)
from data_access.storage.measures import COUNTS

# What a batch did to each case, so that the batch can be undone exactly.
batch_changes = Table(
    "batch_changes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("action", String(8), nullable=False),  # insert | update
    Column("previous", Text),  # JSON of the row before an update
)
Index("ix_batch_changes_batch", batch_changes.c.batch_id)
Index("ix_batch_changes_case", batch_changes.c.case_no)

rejected_rows = Table(
    "rejected_rows", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # JSON object of the row's raw values, header -> text
)
Index("ix_rejected_batch", rejected_rows.c.batch_id)

score_adjustments = Table(
    "score_adjustments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
    Column("period", String(24), nullable=False),
    Column("points", Double, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_adjustments_period", score_adjustments.c.period, score_adjustments.c.unit_id)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user_name", String(64), nullable=False, default=""),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("n_rows", Integer),
)

# --- Summary tables, kept current inside every write's transaction (data_access.ingest.case_store). ---
# basis: 'r' = by received day, 'c' = by callback day (falling back to received), for rules.period_basis.
# One count column per base count declared in data_access.storage.measures (a count added there needs only its
# migration).
stat_unit_day = Table(
    "stat_unit_day", metadata,
    Column("basis", String(1), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("unit_id", Integer, primary_key=True),
    *(Column(count.name, Integer, nullable=False, server_default="0") for count in COUNTS),
)
Index("ix_stat_unit_day_unit", stat_unit_day.c.unit_id, stat_unit_day.c.basis, stat_unit_day.c.day)

STAT_TABLES = (stat_unit_day, stat_unit_day_resp, stat_unit_day_close)

# --- Meetings (调度会 / 点评会 / 会诊会) and their agenda items; owned by the meeting feature (migration 0002). ---
meetings = Table(
    "meetings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_date", Date, nullable=False),
    Column("kind", String(16), nullable=False),      # 周调度会 | 月度点评会 | 会诊会
    Column("period", String(24), nullable=False),    # key of the period the meeting reviews, e.g. 2025-W10
    Column("title", String(128), nullable=False, default=""),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_meetings_date", meetings.c.meeting_date)

meeting_items = Table(
    "meeting_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),      # unit | hotspot | overdue | repeat | topic | note
    Column("ref", String(320), nullable=False, default=""),  # unit id, "address:<key>" / "h3:<cell>", topic …
    Column("label", String(255), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("baseline", Text),                        # JSON: the item's figures when it was put on the agenda
    Column("source", String(8), nullable=False, default="manual"),  # auto | manual | carry
    Column("owner_unit_id", Integer, ForeignKey("units.id")),
    Column("decision", Text, nullable=False, default=""),
    Column("due_date", Date),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_meeting_items_meeting", meeting_items.c.meeting_id, meeting_items.c.position)

# --- Added for speed at city scale (owned by PERF; migrations 0003, 0004, 0006–0009), kept by the write path. ---

# Place summary for 高频点位, refreshed with the unit summaries above.
# Cases per (basis, day, unit, category, location street, address, point): every hotspot figure — volume by
# address or by point, the mean point, the most used label, street and categories, placeholder detection — is a
# SUM(n) over these rows, equal to the same COUNT on the case table. Cases with neither address nor point are
# left out (no hotspot can hold them).
stat_place_day = Table(
    "stat_place_day", metadata,
    Column("basis", String(1), nullable=False),
    Column("day", Date, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("cat_l1", String(64), nullable=False),
    Column("street", String(32)),
    Column("address_key", String(255)),
    Column("address", String(255)),
    Column("lat", Double),
    Column("lon", Double),
    Column("n", Integer, nullable=False),
    Column("h3_cell", BigInteger),
)
Index("ix_stat_place_day", stat_place_day.c.basis, stat_place_day.c.day, stat_place_day.c.unit_id)
Index("ix_stat_place_address", stat_place_day.c.basis, stat_place_day.c.address_key, stat_place_day.c.day)
Index("ix_stat_place_cell", stat_place_day.c.basis, stat_place_day.c.h3_cell, stat_place_day.c.day)

# Location streets (所属街道) met so far, for the street filter: listing them from the case table reads a whole
# index at city scale. Kept as `categories` is (a street whose cases were all undone stays listed).
case_streets = Table(
    "case_streets", metadata,
    Column("name", String(32), primary_key=True),
)

# Cases per (basis, day, unit, category path, location street, tags): category mixes, 每月一题 trends and topics,
# volumes by street are SUM(n) over it. tags as stored on the case (";a;b;"), so one tag matches LIKE '%;a;%'.
stat_category_day = Table(
    "stat_category_day", metadata,
    Column("basis", String(1), nullable=False),
    Column("day", Date, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("cat_l1", String(64), nullable=False),
    Column("cat_l2", String(64)),
    Column("street", String(32)),
    Column("tags", String(255)),
    Column("n", Integer, nullable=False),
)
Index("ix_stat_category_day", stat_category_day.c.basis, stat_category_day.c.day, stat_category_day.c.unit_id)

# Whole-month totals of every address and every point (all units, all categories), summed from stat_place_day:
# the default 高频点位 view (a month, no filter) takes its top addresses and its heavy points (placeholder
# candidates) from the index on n instead of grouping the month's place rows (~700,000 at city scale).
stat_address_month = Table(
    "stat_address_month", metadata,
    Column("basis", String(1), primary_key=True),
    Column("day", Date, primary_key=True),           # the month's first day
    Column("address_key", String(255), primary_key=True),
    Column("n", Integer, nullable=False),
)
Index("ix_stat_address_month_n", stat_address_month.c.basis, stat_address_month.c.day, stat_address_month.c.n)
stat_point_month = Table(
    "stat_point_month", metadata,
    Column("basis", String(1), primary_key=True),
    Column("day", Date, primary_key=True),           # the month's first day
    Column("lat", Double, primary_key=True),
    Column("lon", Double, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("h3_cell", BigInteger),                   # the point's (one point, one cell)
)
Index("ix_stat_point_month_n", stat_point_month.c.basis, stat_point_month.c.day, stat_point_month.c.n)
Index("ix_stat_point_month_cell", stat_point_month.c.basis, stat_point_month.c.day, stat_point_month.c.h3_cell)
# The month's totals per stored H3 cell, summed from its points (with the sums of the points' coordinates × n for
# the cell's mean point): the default H3 map reads a few thousand rows here instead of half a million points.
stat_cell_month = Table(
    "stat_cell_month", metadata,
    Column("basis", String(1), primary_key=True),
    Column("day", Date, primary_key=True),           # the month's first day
    Column("h3_cell", BigInteger, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("lat_n", Double, nullable=False),
    Column("lon_n", Double, nullable=False),
)


def _by_month(day_table: Table) -> Table:
    """The same counts per calendar month: `day` holds the month's first day (so a range of whole months selects
    them as it selects days). Periods of whole months (months, bi-months, quarters, years and the 13-month
    trends) read these, a thirtieth of the rows; the days of a week or a date range still come by day."""
    return Table(day_table.name.replace("_day", "_month"), metadata, *map(_copy, day_table.columns))


def _copy(column: Column) -> Column:
    default = column.server_default.arg if column.server_default is not None else None
    return Column(column.name, column.type, primary_key=column.primary_key, nullable=column.nullable,
                  server_default=default)


# 超期 (overdue, data_access.queries.case_queries.overdue) counts every case closed past its class's limit, or still
# open with the limit passed at a given moment. The close histogram (stat_unit_day_close) holds the assessed closed
# cases of files with a close time; this table the rest overdue needs (migration 0023): the other closed cases
# (特例剔除, or no close time provided) by deadline class as stored and whole hours, and the still-open cases by
# class and response start (open_start; null on a closed row), so that a limit passed is decided when read.
stat_unit_day_overdue = Table(
    "stat_unit_day_overdue", metadata,
    Column("basis", String(1), nullable=False),
    Column("day", Date, nullable=False),
    Column("unit_id", Integer, nullable=False),
    Column("deadline_class", String(8)),
    Column("close_hours", Integer),
    Column("open_start", DateTime),
    Column("n", Integer, nullable=False),
)
Index("ix_stat_unit_day_overdue", stat_unit_day_overdue.c.basis, stat_unit_day_overdue.c.day,
      stat_unit_day_overdue.c.unit_id)

# 重复诉求: the cases with a repeat gap (cases.repeat_gap_days) by the gap's whole days, so that the repeats under any
# window of the rules are SUM(n) WHERE repeat_gap_days <= window (migration 0023).
stat_unit_day_repeat = unit_day_counts("stat_unit_day_repeat", Column("repeat_gap_days", Integer, primary_key=True))

# Geocoded cases (a coordinate) per unit and day: the total a placeholder point's share is taken of, for days that
# are not whole months (a week), without reading the days' place rows (migration 0024).
stat_unit_day_geocoded = unit_day_counts("stat_unit_day_geocoded")

stat_unit_month = _by_month(stat_unit_day)
stat_unit_month_resp = _by_month(stat_unit_day_resp)
stat_unit_month_close = _by_month(stat_unit_day_close)
stat_category_month = _by_month(stat_category_day)
stat_unit_month_repeat = _by_month(stat_unit_day_repeat)
Index("ix_stat_category_month", stat_category_month.c.basis, stat_category_month.c.day, stat_category_month.c.unit_id)
MONTH_TABLES = {stat_unit_day: stat_unit_month, stat_unit_day_resp: stat_unit_month_resp,
                stat_unit_day_close: stat_unit_month_close, stat_category_day: stat_category_month,
                stat_unit_day_repeat: stat_unit_month_repeat}


def _whole_district(month_table: Table) -> Table:
    """The month counts of all units together: district totals (总览's cards and trend) read a few rows per month
    instead of one per unit (960 units at city scale)."""
    columns = [_copy(c) for c in month_table.columns if c.name != "unit_id"]
    return Table(month_table.name.replace("stat_unit_", "stat_district_"), metadata, *columns)


stat_district_month = _whole_district(stat_unit_month)
stat_district_month_resp = _whole_district(stat_unit_month_resp)
stat_district_month_close = _whole_district(stat_unit_month_close)
DISTRICT_TABLES = {stat_unit_month: stat_district_month, stat_unit_month_resp: stat_district_month_resp,
                   stat_unit_month_close: stat_district_month_close}

STAT_TABLES = (*STAT_TABLES, stat_place_day, stat_category_day, *MONTH_TABLES.values(), stat_address_month,
               stat_point_month, stat_cell_month, *DISTRICT_TABLES.values(), stat_unit_day_overdue,
               stat_unit_day_repeat, stat_unit_day_geocoded)

# --- access (ACCESS engineer): the app's users, their role and own unit ---
# Every mode maps a signed-in name to a row here (header: the proxy's user name, oidc: the e-mail or subject,
# local: the account name). password_hash only for local accounts (argon2); failed_logins / locked_until implement
# the lockout after repeated failures.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False, default=""),
    Column("role", String(16), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("password_hash", String(255)),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

# --- mappings and the unit directory (MAPPING engineer, migration 0013) ---
# Column mappings saved by name from the browser or `cli.py mapping import`: the TOML text the loader reads.
saved_mappings = Table(
    "saved_mappings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("content", Text, nullable=False),
    Column("created_by", String(64), nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)
# The former names and codes of units merged into another: a later import naming them finds the merged unit.
unit_aliases = Table(
    "unit_aliases", metadata,
    Column("alias", String(64), primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id"), nullable=False),
)

# --- 预警 (FORESIGHT, migrations 0018, 0022): a unit's targets for a month, over the rules' targets.* (an empty
# column takes the rules' default) ---
unit_targets = Table(
    "unit_targets", metadata,
    Column("unit_id", Integer, ForeignKey("units.id"), primary_key=True),
    Column("period", String(7), primary_key=True),   # the month's key, e.g. 2025-12
    Column("score", Double),
    Column("resolution", Double),                    # 解决率, a fraction
    Column("satisfaction", Double),                  # 满意率, a fraction
    Column("set_by", String(64), nullable=False),
    Column("set_at", DateTime, nullable=False),
)
