"""Final marks: a student's mark for a subject over a term, the year, the exam and the итоговая.

- New table `final_mark` (one per student, subject, year, kind and term).
- `school_settings.half_year_grades` (the grades attested by halves; "10, 11" to start with) and
  `school_settings.round_from` (an average rounds up from this fraction in hundredths; 60).
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the final marks' table and the two settings."""

    @migrator.create_model
    class FinalMark(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=migrator.orm["school_year"])
        student = pw.ForeignKeyField(column_name="student_id", field="id", model=migrator.orm["student"])
        subject = pw.ForeignKeyField(column_name="subject_id", field="id", model=migrator.orm["subject"])
        kind = pw.CharField(max_length=8)
        term = pw.ForeignKeyField(column_name="term_id", field="id", model=migrator.orm["term"], null=True)
        journal = pw.ForeignKeyField(column_name="journal_id", field="id", model=migrator.orm["journal"])
        value = pw.CharField(max_length=8)
        change_reason = pw.CharField(max_length=20, null=True)
        set_by = pw.ForeignKeyField(column_name="set_by_id", field="id", model=migrator.orm["staff"], null=True)
        set_at = pw.DateTimeField()

        class Meta:
            table_name = "final_mark"
            indexes = [(("student", "subject", "year", "kind", "term"), True), (("journal", "kind"), False)]

    # In place on both engines (a constant default): nothing points at school_settings, but a
    # rebuild is not needed either.
    migrator.sql("ALTER TABLE school_settings ADD COLUMN half_year_grades VARCHAR(40) NOT NULL DEFAULT '10, 11'")
    migrator.sql("ALTER TABLE school_settings ADD COLUMN round_from INTEGER NOT NULL DEFAULT 60")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the two settings and the final marks."""
    migrator.sql("ALTER TABLE school_settings DROP COLUMN round_from")
    migrator.sql("ALTER TABLE school_settings DROP COLUMN half_year_grades")
    migrator.remove_model("final_mark")
