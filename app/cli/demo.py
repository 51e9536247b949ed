"""Commands: demo."""


def register(app) -> None:
    """Register this area's commands."""
