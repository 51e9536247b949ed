"""Admin views: applications."""


def register(admin) -> None:
    """Register this area's views."""
