"""Drill-down commands: lost, hotspots (added by the metrics drill-down layer)."""


def register(sub, shared) -> None:
    return None
