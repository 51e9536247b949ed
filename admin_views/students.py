"""Admin views: students."""


def register(admin) -> None:
    """Register this area's views."""
