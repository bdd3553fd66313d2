"""data_access/schema.py (what the code queries) equals what the Alembic migrations build, on every database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from data_access.schema import metadata


def test_the_models_equal_the_migrated_schema(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, metadata)
    assert differences == [], "schema.py and the migrations differ (write a migration, or fix schema.py):\n" + \
        "\n".join(map(str, differences))
