"""Teaching assignments, the timetable and the journal itself: lessons, marks, absences, files."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clock import utcnow
from app.db import BaseModel
from app.models.changes import ExportedModel
from app.models.people import Staff, Student
from app.models.school import ClassGroup, SchoolYear, Subject, Term

WEEKDAYS = (
    (1, "понедельник"),
    (2, "вторник"),
    (3, "среда"),
    (4, "четверг"),
    (5, "пятница"),
    (6, "суббота"),
)


class TeachingAssignment(ExportedModel):
    """Who teaches which subject to which class in a school year."""

    record_type = "teaching_assignment"

    year = ForeignKeyField(SchoolYear, backref="assignments")
    teacher = ForeignKeyField(Staff, backref="assignments")
    class_group = ForeignKeyField(ClassGroup, backref="assignments")
    subject = ForeignKeyField(Subject, backref="assignments")

    class Meta:
        table_name = "teaching_assignment"
        indexes = ((("class_group", "subject", "teacher"), True),)

    def __str__(self):
        return f"{self.class_group} · {self.subject} · {self.teacher.short_name}"


class TimetableSlot(BaseModel):
    """A weekly lesson of a class: weekday, lesson number, subject and teacher, between two dates."""

    class_group = ForeignKeyField(ClassGroup, backref="timetable")
    weekday = IntegerField(choices=WEEKDAYS)
    lesson_number = IntegerField()
    subject = ForeignKeyField(Subject, backref="timetable")
    teacher = ForeignKeyField(Staff, backref="timetable")
    valid_from = DateField()
    valid_to = DateField()

    class Meta:
        table_name = "timetable_slot"
        indexes = ((("class_group", "weekday", "lesson_number"), False),)

    def __str__(self):
        day = dict(WEEKDAYS).get(self.weekday, self.weekday)
        return f"{self.class_group}, {day}, {self.lesson_number} урок: {self.subject}"


class WorkType(ExportedModel):
    """A kind of work a mark is given for (answer in class, test, credit…); a list the administrator keeps.

    Not a record type of the package: a mark carries its work type's name, so a save takes a
    change number and the next daily package sends every mark of the renamed type again
    (app/services/exports/format.py, `references`).
    """

    record_type = "work_type"

    name = CharField(max_length=100, unique=True)
    default_weight = IntegerField(default=1)
    active = BooleanField(default=True)

    class Meta:
        table_name = "work_type"

    def __str__(self):
        return self.name


class Lesson(ExportedModel):
    """One lesson of a class in the journal: planned from the timetable, filled by its teacher."""

    record_type = "lesson"

    class_group = ForeignKeyField(ClassGroup, backref="lessons")
    subject = ForeignKeyField(Subject, backref="lessons")
    term = ForeignKeyField(Term, backref="lessons", null=True)
    date = DateField()
    number = IntegerField()
    planned_teacher = ForeignKeyField(Staff, backref="planned_lessons")
    # The teacher who gave it; differs from planned_teacher for a substitution.
    teacher = ForeignKeyField(Staff, backref="lessons")
    replacement_subject = ForeignKeyField(Subject, null=True, backref="replacement_lessons")
    topic = TextField(null=True)
    homework = TextField(null=True)
    held = BooleanField(default=False)
    # Set when re-planning found no timetable slot for a lesson that holds data.
    orphaned = BooleanField(default=False)
    version = IntegerField(default=1)
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(Staff, null=True, backref="+")

    class Meta:
        table_name = "lesson"
        indexes = (
            (("class_group", "date", "number", "subject"), True),
            (("teacher", "date"), False),
            (("class_group", "subject", "date"), False),
        )

    def __str__(self):
        return f"{self.class_group} · {self.subject} · {self.date:%d.%m.%Y}, {self.number} урок"

    @property
    def is_substitution(self) -> bool:
        return self.teacher_id != self.planned_teacher_id


MARK_VALUES = ("5", "4", "3", "2", "1", "зч", "нз")

# Why a mark older than SchoolSettings.mark_edit_days was changed or deleted (a closed list).
MARK_CHANGE_REASONS = (
    ("typo", "ошибка при вводе"),
    ("paper", "исправление по бумажному журналу"),
    ("retake", "пересдача работы"),
    ("appeal", "решение по обращению родителей (ученика)"),
    ("check", "по замечанию проверки журнала"),
)


class Mark(ExportedModel):
    """A student's mark for a lesson, with the kind of work and its weight."""

    record_type = "mark"

    lesson = ForeignKeyField(Lesson, backref="marks")
    student = ForeignKeyField(Student, backref="marks")
    value = CharField(max_length=4)
    work_type = ForeignKeyField(WorkType, backref="marks")
    weight = IntegerField(default=1)
    # A code of MARK_CHANGE_REASONS, set when a mark older than the edit window is changed.
    change_reason = CharField(max_length=200, null=True)
    created_by = ForeignKeyField(Staff, null=True, backref="+")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "mark"
        indexes = ((("lesson", "student"), False), (("student", "lesson"), False))

    def __str__(self):
        return f"{self.value} ({self.work_type})"


ABSENCE_REASONS = (
    ("illness", "болезнь"),
    ("excused", "уважительная причина"),
    ("unexcused", "неуважительная причина"),
    ("late", "опоздание"),
)


class Absence(ExportedModel):
    """A student's absence from a lesson, with its reason."""

    record_type = "absence"

    lesson = ForeignKeyField(Lesson, backref="absences")
    student = ForeignKeyField(Student, backref="absences")
    reason = CharField(max_length=20, choices=ABSENCE_REASONS)

    class Meta:
        table_name = "absence"
        indexes = ((("lesson", "student"), True),)

    def __str__(self):
        return dict(ABSENCE_REASONS).get(self.reason, self.reason)


class HomeworkFile(ExportedModel):
    """A file of homework materials attached to a lesson, stored outside static/ under a random name."""

    record_type = "homework_file"

    lesson = ForeignKeyField(Lesson, backref="files")
    original_name = CharField(max_length=255)
    stored_name = CharField(max_length=64, unique=True)
    content_type = CharField(max_length=100)
    size = BigIntegerField()
    sha256 = CharField(max_length=64)
    uploaded_by = ForeignKeyField(Staff, null=True, backref="+")
    uploaded_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "homework_file"

    def __str__(self):
        return self.original_name
