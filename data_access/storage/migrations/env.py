"""Alembic environment: migrations run on the connection data_access.storage.migrate hands over."""
from alembic import context

from data_access.storage.schema import metadata

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
