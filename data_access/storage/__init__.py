"""Storage: the engine, the schema and its migrations, and the base counts declared on its tables (measures,
vocabulary). Imports nothing of data_access's other rooms."""
