"""The bulk insert writes what SQLAlchemy would have written, on every backend (binary COPY, executemany)."""
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from data_access.ingest.bulk_insert import _driver_values, insert_columns, insert_tuples
from data_access.ingest.batches import start_batch
from data_access.records.units import add_unit
from data_access.storage.schema import batch_changes, cases

TIMES = [datetime(2025, 3, 1, 8, 5, 3), datetime(2025, 3, 1, 8, 5, 3, 120), datetime(999, 1, 2, 3, 4, 5),
         date(2025, 3, 2), None]


def test_sqlite_datetime_text_is_sqlalchemys():
    dialect = sqlite.dialect()
    impl = cases.c.received_at.type.dialect_impl(dialect)
    assert _driver_values(impl, dialect, TIMES) == [
        "2025-03-01 08:05:03.000000", "2025-03-01 08:05:03.000120", "0999-01-02 03:04:05.000000",
        "2025-03-02 00:00:00.000000", None]
    process = impl.bind_processor(dialect)
    assert _driver_values(impl, dialect, TIMES[:4]) == [process(v) for v in TIMES[:4]]


def test_sqlite_date_text_is_sqlalchemys():
    dialect = sqlite.dialect()
    impl = cases.c.received_day.type.dialect_impl(dialect)
    days = [date(2025, 3, 2), date(999, 12, 31)]
    assert _driver_values(impl, dialect, days + [None]) == ["2025-03-02", "0999-12-31", None]
    assert _driver_values(impl, dialect, days) == [impl.bind_processor(dialect)(d) for d in days]


def test_columns_round_trip(engine):
    """Text with tabs, newlines and backslashes, times with and without microseconds, booleans, floats and nulls
    read back as written (binary COPY on PostgreSQL, executemany elsewhere)."""
    with engine.begin() as conn:
        batch = start_batch(conn, "bulk.csv", "bulk")
        unit = add_unit(conn, "东华门街道", "街道")
        received = [datetime(2025, 3, 1, 8, 5, 3), datetime(2025, 3, 1, 23, 59, 59)]  # MariaDB keeps whole seconds
        columns = {
            "case_no": ["A1", "A2"], "received_at": received, "received_day": [date(2025, 3, 1)] * 2,
            "basis_cb_day": [date(2025, 3, 4), date(2025, 3, 1)], "unit_id": [unit, unit], "cat_l1": ["市容", "市容"],
            "content": ["楼道\t堆物\n第二行 \\N 反斜杠", None], "lon": [116.397128, None], "lat": [39.916527, None],
            "excluded": [True, False], "dispatch_count": [1, 2], "batch_id": [batch, batch],
        }
        insert_columns(conn, cases, tuple(columns), list(columns.values()))
        insert_tuples(conn, batch_changes, ("batch_id", "case_no", "action", "previous"),
                      [(batch, "A1", "update", '{"a": "\\t"}')])
        got = conn.execute(select(*(cases.c[k] for k in columns)).order_by(cases.c.case_no)).all()
        previous = conn.execute(select(batch_changes.c.previous)).scalar_one()
    assert [tuple(r) for r in got] == [tuple(v[i] for v in columns.values()) for i in range(2)]
    assert previous == '{"a": "\\t"}'
