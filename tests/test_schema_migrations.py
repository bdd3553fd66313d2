"""data_access/storage/schema.py (what the code queries) equals what the Alembic migrations build, on every database."""
import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data_access.storage.schema import metadata

# How the databases read back a boolean or empty default: SQLite and MariaDB return the literal as text,
# PostgreSQL with its cast ('' ::character varying).
_SAME = {"true": "1", "false": "0", "": ""}


def _literal(text: str | None) -> str | None:
    if text is None:
        return None
    value = re.sub(r"::[\w ]+$", "", text.strip()).strip("()").strip("'\"").lower()
    return _SAME.get(value, value)


def _defaults_differ(context, inspected_column, metadata_column, inspected_default, metadata_default,
                     rendered_metadata_default):
    """True / False where the two defaults are comparable literals; None: Alembic's own comparison decides."""
    if inspected_default is None or rendered_metadata_default is None:
        return None
    return _literal(inspected_default) != _literal(rendered_metadata_default)


def test_the_models_equal_the_migrated_schema(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "compare_server_default": _defaults_differ})
        differences = compare_metadata(context, metadata)
    assert differences == [], "schema.py and the migrations differ (write a migration, or fix schema.py):\n" + \
        "\n".join(map(str, differences))
