"""Admin views: school."""


def register(admin) -> None:
    """Register this area's views."""
