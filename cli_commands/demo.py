"""seed-demo: build the embedded demo district (added by the demo generator)."""


def register(sub, shared) -> None:
    return None
