"""The year archive's builds (issue 11): a row per build of a school year's archive of PDFs and its manifest.

New table `archive_build`; nothing existing changes; the rollback drops it (the files under
instance/archive/ stay where they are).
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the archive builds."""
    orm = migrator.orm

    @migrator.create_model
    class ArchiveBuild(pw.Model):
        id = pw.AutoField()
        year = pw.ForeignKeyField(
            column_name="year_id", field="id", model=orm["school_year"], null=True, on_delete="SET NULL"
        )
        year_name = pw.CharField(max_length=20)
        status = pw.CharField(max_length=10, index=True)
        requested_by = pw.ForeignKeyField(
            column_name="requested_by_id", field="id", model=orm["staff"], null=True, on_delete="SET NULL"
        )
        requested_by_name = pw.CharField(max_length=300)
        created_at = pw.DateTimeField(index=True)
        started_at = pw.DateTimeField(null=True)
        finished_at = pw.DateTimeField(null=True)
        progress = pw.IntegerField()
        total = pw.IntegerField()
        directory = pw.CharField(max_length=1000)
        files = pw.TextField(null=True)
        manifest_sha256 = pw.CharField(max_length=64, null=True)
        error = pw.TextField(null=True)
        job_id = pw.CharField(max_length=100, null=True)
        checked_at = pw.DateTimeField(null=True)
        check_problems = pw.TextField(null=True)

        class Meta:
            table_name = "archive_build"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the archive builds."""
    migrator.remove_model("archive_build")
