"""Read queries: the aggregates and case lists the metrics and pages read, and export cells."""
