"""The demo district (东城区): a believable made-up world and its cases, written through the import pipeline
(`python cli.py seed-demo`). Imports data_access only; nothing of the app imports it but the CLI and the
first-run screen."""
