"""Thematic plans (КТП): a journal's lesson-by-lesson plan, its rows, the lessons that give them; the curriculum."""

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.changes import ExportedModel
from app.models.journal import Journal, Lesson
from app.models.people import Staff
from app.models.school import SchoolYear, Subject

PLAN_STATUSES = (
    ("draft", "черновик"),
    ("approved", "утверждён"),
)

PLAN_NUMBER_MAX = 20
PLAN_SECTION_MAX = 300
PLAN_TOPIC_MAX = 500
PLAN_HOMEWORK_MAX = 4000
PLAN_NOTES_MAX = 1000
PLAN_COMMENT_MAX = 1000


class ThematicPlan(ExportedModel):
    """A journal's thematic plan: its status (a draft, or approved by the deputy) and the deputy's comment.

    Not a record type of the package: a plan row carries its plan's journal, so a save takes a change
    number and the next daily package sends the plan's rows again (`references` in exports/format.py).
    """

    record_type = "thematic_plan"

    journal = ForeignKeyField(Journal, backref="plans", unique=True)
    status = CharField(max_length=10, choices=PLAN_STATUSES, default="draft")
    approved_by = ForeignKeyField(Staff, null=True, backref="+")
    approved_at = DateTimeField(null=True)
    comment = TextField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "thematic_plan"

    def __str__(self):
        return f"КТП: {self.journal}"

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"


class PlanRow(ExportedModel):
    """One row of a plan, in order: the «№» shown, the section, the topic, its hours and homework.

    A row of two hours is given by two lessons. A skipped row is one the teacher chose not to give
    now: the next lessons pass it by until a lesson takes it again.
    """

    record_type = "plan_row"

    plan = ForeignKeyField(ThematicPlan, backref="rows")
    position = IntegerField()
    number = CharField(max_length=PLAN_NUMBER_MAX, null=True)
    section = CharField(max_length=PLAN_SECTION_MAX, null=True)
    topic = CharField(max_length=PLAN_TOPIC_MAX)
    hours = IntegerField(default=1)
    # The date the plan gives the row, when the plan has a «Дата» column: the plan's own pace.
    planned_date = DateField(null=True)
    homework = TextField(null=True)
    notes = TextField(null=True)
    skipped = BooleanField(default=False)

    class Meta:
        table_name = "plan_row"
        indexes = ((("plan", "position"), True),)

    def __str__(self):
        return f"№ {self.number or self.position}. {self.topic}"


class LessonPlanRow(ExportedModel):
    """A lesson gives a plan row: a lesson may cover two rows (merged), a row of two hours two lessons."""

    record_type = "lesson_plan_row"

    lesson = ForeignKeyField(Lesson, backref="plan_links")
    plan_row = ForeignKeyField(PlanRow, backref="lesson_links")

    class Meta:
        table_name = "lesson_plan_row"
        indexes = ((("lesson", "plan_row"), True), (("plan_row",), False))

    def __str__(self):
        return f"{self.lesson_id} → {self.plan_row_id}"


class CurriculumHours(BaseModel):
    """The curriculum («учебный план»): a subject's hours per year in a grade, kept by the timetable's keeper."""

    year = ForeignKeyField(SchoolYear, backref="curriculum")
    subject = ForeignKeyField(Subject, backref="curriculum")
    grade = IntegerField()
    hours = IntegerField()

    class Meta:
        table_name = "curriculum_hours"
        indexes = ((("year", "subject", "grade"), True),)

    def __str__(self):
        return f"{self.subject}, {self.grade} класс: {self.hours} ч"
