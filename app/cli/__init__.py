"""Command-line tools, one module per group: `flask db`, `staff`, `seed-demo`, `export`, `archive`, `import`,
`backup`."""

from app.cli import archive, backup, core, demo, export, imports


def init_app(app):
    """Register every area's commands."""
    for module in (core, demo, export, archive, imports, backup):
        module.register(app)
