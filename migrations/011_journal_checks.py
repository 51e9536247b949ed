"""The deputy's monthly journal check (R4.1) and its remarks (R4.2).

New tables: `journal_check` (a month and a scope), `finding_dismissal` (a finding judged no
problem, with why), `paper_comparison` (a journal compared with the paper one), `remark` and
`remark_event` (what a staff member is to fix, and its history). Nothing existing changes; the
rollback drops the five tables.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the checks, the dismissed findings, the paper comparisons and the remarks with their history."""
    orm = migrator.orm

    @migrator.create_model
    class JournalCheck(pw.Model):
        id = pw.AutoField()
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=orm["school_year"])
        month = pw.DateField()
        scope_kind = pw.CharField(max_length=10)
        scope_value = pw.IntegerField(null=True)
        opened_by = pw.ForeignKeyField(column_name="opened_by_id", field="id", model=orm["staff"])
        opened_at = pw.DateTimeField()
        published_at = pw.DateTimeField(null=True)
        published_by = pw.ForeignKeyField(column_name="published_by_id", field="id", model=orm["staff"], null=True)

        class Meta:
            table_name = "journal_check"
            indexes = [(("year", "month", "scope_kind", "scope_value"), True)]

    @migrator.create_model
    class FindingDismissal(pw.Model):
        id = pw.AutoField()
        key = pw.CharField(max_length=200, unique=True)
        code = pw.CharField(max_length=30)
        journal = pw.ForeignKeyField(column_name="journal_id", field="id", model=orm["journal"])
        text = pw.CharField(max_length=500)
        reason = pw.CharField(max_length=300)
        check = pw.ForeignKeyField(column_name="check_id", field="id", model=orm["journal_check"], null=True)
        dismissed_by = pw.ForeignKeyField(column_name="dismissed_by_id", field="id", model=orm["staff"])
        dismissed_at = pw.DateTimeField()

        class Meta:
            table_name = "finding_dismissal"

    @migrator.create_model
    class PaperComparison(pw.Model):
        id = pw.AutoField()
        check = pw.ForeignKeyField(column_name="check_id", field="id", model=orm["journal_check"])
        journal = pw.ForeignKeyField(column_name="journal_id", field="id", model=orm["journal"])
        done = pw.BooleanField(default=False)
        note = pw.CharField(max_length=300, null=True)
        recorded_by = pw.ForeignKeyField(column_name="recorded_by_id", field="id", model=orm["staff"])
        recorded_at = pw.DateTimeField()

        class Meta:
            table_name = "paper_comparison"
            indexes = [(("check", "journal"), True)]

    @migrator.create_model
    class Remark(pw.Model):
        id = pw.AutoField()
        check = pw.ForeignKeyField(column_name="check_id", field="id", model=orm["journal_check"], null=True)
        assignee = pw.ForeignKeyField(column_name="assignee_id", field="id", model=orm["staff"])
        journal = pw.ForeignKeyField(column_name="journal_id", field="id", model=orm["journal"], null=True)
        lesson = pw.ForeignKeyField(column_name="lesson_id", field="id", model=orm["lesson"], null=True)
        rule_code = pw.CharField(max_length=30, null=True)
        finding_key = pw.CharField(max_length=200, null=True)
        text = pw.TextField()
        due_date = pw.DateField()
        status = pw.CharField(max_length=10)
        created_by = pw.ForeignKeyField(column_name="created_by_id", field="id", model=orm["staff"])
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "remark"
            indexes = [(("assignee", "status"), False), (("check", "finding_key"), False)]

    @migrator.create_model
    class RemarkEvent(pw.Model):
        id = pw.AutoField()
        remark = pw.ForeignKeyField(column_name="remark_id", field="id", model=orm["remark"])
        status = pw.CharField(max_length=10)
        comment = pw.TextField(null=True)
        actor = pw.ForeignKeyField(column_name="actor_id", field="id", model=orm["staff"])
        at = pw.DateTimeField()

        class Meta:
            table_name = "remark_event"
            indexes = [(("remark", "at"), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the remarks' history, the remarks, the paper comparisons, the dismissed findings and the checks."""
    for table in ("remark_event", "remark", "paper_comparison", "finding_dismissal", "journal_check"):
        migrator.remove_model(table)
