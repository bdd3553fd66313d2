"""Database access, in four rooms: storage (engine, schema, migrations, base counts), ingest (the import pipeline
and the one write path for cases), queries (what metrics and pages read) and records (what people enter besides
cases, each write with its audit record). Imports nothing of ours above it (tests/test_layering.py)."""
