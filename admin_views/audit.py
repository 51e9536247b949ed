"""Admin views: audit."""


def register(admin) -> None:
    """Register this area's views."""
