"""Admin views: journal."""


def register(admin) -> None:
    """Register this area's views."""
