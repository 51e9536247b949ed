"""Exports: work types take change numbers, the schedule knows since when it stands, runs say why they changed kind.

- `work_type.change_no`: a mark carries its work type's name, so a rename must reach the portal
  (the next daily sends the marks of that type again). Existing rows start at 0; the defaults
  step of `flask db upgrade` (app/services/setup.py) then numbers each, so the next daily re-sends
  their marks once, as plain upserts.
- `export_settings.schedule_since`: a daily due before it never had a chance to run and is not
  reported overdue (a fresh install shows no false alarm). Existing rows: the upgrade's moment.
- `export_run.note`: e.g. "sent as a full: the school code changed".
- The HTTP answer timeout's default becomes 300 s; a row still at the old default of 30 s moves
  with it (the rollback moves it back).
"""

import peewee as pw
from peewee_migrate import Migrator

from app.clock import utcnow


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the three columns and move the default HTTP timeout."""
    if isinstance(database, pw.SqliteDatabase):
        # peewee rebuilds a SQLite table to add a NOT NULL column, and dropping work_type for the
        # rebuild breaks the marks' foreign keys; SQLite adds one with a constant default in place.
        migrator.sql("ALTER TABLE work_type ADD COLUMN change_no INTEGER NOT NULL DEFAULT 0")
        migrator.sql("CREATE INDEX work_type_change_no ON work_type (change_no)")
    else:
        migrator.add_fields("work_type", change_no=pw.BigIntegerField(default=0, index=True))
    migrator.add_fields("export_settings", schedule_since=pw.DateTimeField(default=utcnow))
    migrator.add_fields("export_run", note=pw.CharField(max_length=500, default=""))
    migrator.sql("UPDATE export_settings SET http_timeout = 300 WHERE http_timeout = 30")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the three columns and put the old default HTTP timeout back."""
    migrator.sql("UPDATE export_settings SET http_timeout = 30 WHERE http_timeout = 300")
    migrator.remove_fields("export_run", "note")
    migrator.remove_fields("export_settings", "schedule_since")
    # SQLite cannot drop a column an index still names.
    migrator.sql("DROP INDEX work_type_change_no")
    if isinstance(database, pw.SqliteDatabase):
        # In place, as above: a rebuild of work_type would break the marks' foreign keys.
        migrator.sql("ALTER TABLE work_type DROP COLUMN change_no")
    else:
        migrator.remove_fields("work_type", "change_no")
