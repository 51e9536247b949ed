"""Admin views: exports."""


def register(admin) -> None:
    """Register this area's views."""
