"""Thematic plans (КТП) and the curriculum's hours.

- New table `thematic_plan`: one per journal, a draft or approved by the deputy, with a comment.
- New table `plan_row`: the plan's ordered rows (№, section, topic, hours, date, homework, notes).
- New table `lesson_plan_row`: which plan rows a lesson gives (a lesson may give two rows, a row of
  two hours is given by two lessons), so the lesson table itself is not changed.
- New table `curriculum_hours`: a subject's hours per year in a grade («учебный план»).

The rollback drops the four tables; nothing else points at them.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the plans, their rows, the lessons' links to them and the curriculum's hours."""

    @migrator.create_model
    class ThematicPlan(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        journal = pw.ForeignKeyField(column_name="journal_id", field="id", model=migrator.orm["journal"], unique=True)
        status = pw.CharField(max_length=10, default="draft")
        approved_by = pw.ForeignKeyField(
            column_name="approved_by_id", field="id", model=migrator.orm["staff"], null=True
        )
        approved_at = pw.DateTimeField(null=True)
        comment = pw.TextField(null=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "thematic_plan"

    @migrator.create_model
    class PlanRow(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        plan = pw.ForeignKeyField(column_name="plan_id", field="id", model=migrator.orm["thematic_plan"])
        position = pw.IntegerField()
        number = pw.CharField(max_length=20, null=True)
        section = pw.CharField(max_length=300, null=True)
        topic = pw.CharField(max_length=500)
        hours = pw.IntegerField(default=1)
        planned_date = pw.DateField(null=True)
        homework = pw.TextField(null=True)
        notes = pw.TextField(null=True)
        skipped = pw.BooleanField(default=False)

        class Meta:
            table_name = "plan_row"
            indexes = [(("plan", "position"), True)]

    @migrator.create_model
    class LessonPlanRow(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        lesson = pw.ForeignKeyField(column_name="lesson_id", field="id", model=migrator.orm["lesson"])
        plan_row = pw.ForeignKeyField(column_name="plan_row_id", field="id", model=migrator.orm["plan_row"])

        class Meta:
            table_name = "lesson_plan_row"
            indexes = [(("lesson", "plan_row"), True), (("plan_row",), False)]

    @migrator.create_model
    class CurriculumHours(pw.Model):
        id = pw.AutoField()
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=migrator.orm["school_year"])
        subject = pw.ForeignKeyField(column_name="subject_id", field="id", model=migrator.orm["subject"])
        grade = pw.IntegerField()
        hours = pw.IntegerField()

        class Meta:
            table_name = "curriculum_hours"
            indexes = [(("year", "subject", "grade"), True)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the curriculum's hours, the lessons' links, the plan rows and the plans."""
    migrator.remove_model("curriculum_hours")
    migrator.remove_model("lesson_plan_row")
    migrator.remove_model("plan_row")
    migrator.remove_model("thematic_plan")
