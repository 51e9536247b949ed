"""The monthly e-diary checks (R7.1–R7.3): a staff member's check of what the portal shows for their scope.

New table `diary_check`; nothing existing changes; the rollback drops it.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the e-diary checks."""
    orm = migrator.orm

    @migrator.create_model
    class DiaryCheck(pw.Model):
        id = pw.AutoField()
        staff = pw.ForeignKeyField(column_name="staff_id", field="id", model=orm["staff"])
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=orm["school_year"])
        month = pw.DateField()
        status = pw.CharField(max_length=10)
        opened_at = pw.DateTimeField()
        due_date = pw.DateField()
        answered_at = pw.DateTimeField(null=True)
        comment = pw.TextField(null=True)
        remark = pw.ForeignKeyField(column_name="remark_id", field="id", model=orm["remark"], null=True)

        class Meta:
            table_name = "diary_check"
            indexes = [(("staff", "month"), True), (("status", "due_date"), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the e-diary checks."""
    migrator.remove_model("diary_check")
