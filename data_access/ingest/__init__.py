"""The import pipeline: files read and bounded, rows checked, the one write path for cases with its summaries,
batches and their undo, mappings, rejected rows."""
