"""Admin views: staff."""


def register(admin) -> None:
    """Register this area's views."""
