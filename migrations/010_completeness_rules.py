"""What the completeness rules need: when a lesson was marked held, a final's comment, the rules' settings.

- `lesson.held_at`: the instant a lesson was marked held (naive UTC). Existing held lessons get
  none: when they were marked is not known, and the rule of lessons filled late skips them.
- `final_mark.comment`: why a final differs from the recommended mark; empty for every existing one.
- `school_settings.absence_reason_days` (3) and `school_settings.min_marks` (3).
- New table `homework_expectation`: the subjects and grades whose lessons are expected to set homework.

The rollback drops them all; nothing else depends on them.
"""

import peewee as pw
from peewee_migrate import Migrator


def _add_columns(database) -> None:
    stamp = "DATETIME" if isinstance(database, pw.SqliteDatabase) else "TIMESTAMP"
    database.execute_sql(f"ALTER TABLE lesson ADD COLUMN held_at {stamp}")
    database.execute_sql("ALTER TABLE final_mark ADD COLUMN comment VARCHAR(300)")
    database.execute_sql("ALTER TABLE school_settings ADD COLUMN absence_reason_days INTEGER NOT NULL DEFAULT 3")
    database.execute_sql("ALTER TABLE school_settings ADD COLUMN min_marks INTEGER NOT NULL DEFAULT 3")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the held instant, the final's comment, the rules' settings and the homework expectations."""

    @migrator.create_model
    class HomeworkExpectation(pw.Model):
        id = pw.AutoField()
        subject = pw.ForeignKeyField(column_name="subject_id", field="id", model=migrator.orm["subject"], unique=True)
        grades = pw.CharField(max_length=60)

        class Meta:
            table_name = "homework_expectation"

    migrator.run(_add_columns, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the settings, the comment, the held instant and the homework expectations."""
    migrator.sql("ALTER TABLE school_settings DROP COLUMN min_marks")
    migrator.sql("ALTER TABLE school_settings DROP COLUMN absence_reason_days")
    migrator.sql("ALTER TABLE final_mark DROP COLUMN comment")
    migrator.sql("ALTER TABLE lesson DROP COLUMN held_at")
    migrator.remove_model("homework_expectation")
