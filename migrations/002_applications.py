"""Applications: a portal application number, when given, is unique."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add a unique index on diary_application.portal_number (NULLs never collide)."""
    migrator.add_index("diary_application", "portal_number", unique=True)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the unique index on diary_application.portal_number."""
    migrator.drop_index("diary_application", "portal_number")
