"""Scoring commands: scores, awards, lagging, lost, hotspots (added by the metrics layer)."""


def register(sub, shared) -> None:
    return None
