"""Command-line tools, one module per group: `flask db`, `flask staff`, `flask seed-demo`, `flask export`."""

from app.cli import core, demo, export


def init_app(app):
    """Register every area's commands."""
    for module in (core, demo, export):
        module.register(app)
