"""Command-line tools, one module per group: `flask db`, `staff`, `seed-demo`, `export`, `archive`, `import`,
`backup`, `year`."""

from app.cli import archive, backup, core, demo, export, imports, year


def init_app(app):
    """Register every area's commands."""
    for module in (core, demo, export, archive, imports, backup, year):
        module.register(app)
