"""Database access: engine, schema, migrations, queries, importer, demo district. Imports nothing of ours above it."""
