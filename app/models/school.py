"""The school, its years, terms, holidays, classes, subjects and enrollments."""

import datetime as dt

from peewee import (
    BooleanField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    TimeField,
)

from app import memo
from app.db import BaseModel
from app.models.changes import ExportedModel
from app.models.people import Staff, Student


class SchoolSettings(BaseModel):
    """The school's own settings; exactly one row."""

    name = CharField(max_length=300, default="Школа")
    school_code = CharField(max_length=32, default="")
    # Changing or deleting a mark older than this many days asks for a reason.
    mark_edit_days = IntegerField(default=7)
    upload_max_mb = IntegerField(default=10)
    # The grades attested by half-years (the others by quarters or trimesters), as "10, 11".
    half_year_grades = CharField(max_length=40, default="10, 11")
    # An average rounds up from this fraction, in hundredths: 60 makes 2,60 a 3 and 2,59 a 2.
    round_from = IntegerField(default=60)
    # The completeness rules: an absence «н» still without a reason this many days after the
    # lesson is a finding; so is a student with fewer marks in a period than this (pro rata).
    absence_reason_days = IntegerField(default=3)
    min_marks = IntegerField(default=3)
    # Retention of personal data (152-ФЗ): the login log, and the personal values kept in the
    # audit trail (names, phones, e-mails, notes …), are kept this many days.
    login_log_keep_days = IntegerField(default=90)
    audit_personal_keep_days = IntegerField(default=1095)
    # Backups older than this many days are deleted (file and row) by the nightly job.
    backup_keep_days = IntegerField(default=30)

    class Meta:
        table_name = "school_settings"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        memo.touched(self._meta.table_name)
        return super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "SchoolSettings":
        """Return the settings row (made by `flask db upgrade`), or unsaved defaults: reading never writes.

        Read once per request (`app/memo.py`): the journal's saves and the layout ask for it several times.
        """
        return memo.remember("school_settings", ("school_settings",), cls._read)

    @classmethod
    def _read(cls) -> "SchoolSettings":
        row = cls.select().order_by(cls.id).first()
        return row if row is not None else cls()


class SchoolYear(ExportedModel):
    """A school year such as 2026/2027; exactly one is current."""

    record_type = "school_year"

    name = CharField(max_length=20, unique=True)
    start_date = DateField()
    end_date = DateField()
    is_current = BooleanField(default=False)

    class Meta:
        table_name = "school_year"

    def __str__(self):
        return self.name

    @classmethod
    def current(cls) -> "SchoolYear | None":
        """Return the year marked current (None while none is), read once per request (`app/memo.py`)."""
        return memo.remember("current_year", ("school_year",), cls._read_current)

    @classmethod
    def _read_current(cls) -> "SchoolYear | None":
        return cls.get_or_none(cls.is_current == True)  # noqa: E712

    def contains(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


TERM_KINDS = (("quarter", "четверть"), ("trimester", "триместр"), ("half", "полугодие"))


class Term(ExportedModel):
    """A quarter or trimester inside a school year; a closed term is read-only."""

    record_type = "term"

    year = ForeignKeyField(SchoolYear, backref="terms")
    kind = CharField(max_length=10, choices=TERM_KINDS, default="quarter")
    number = IntegerField()
    start_date = DateField()
    end_date = DateField()
    closed = BooleanField(default=False)

    class Meta:
        table_name = "term"
        indexes = ((("year", "kind", "number"), True),)

    def __str__(self):
        label = dict(TERM_KINDS).get(self.kind, self.kind)
        return f"{self.number} {label}"

    @classmethod
    def containing(cls, day: dt.date):
        return cls.select().where((cls.start_date <= day) & (cls.end_date >= day))


class Holiday(BaseModel):
    """Days without lessons (vacations, public holidays) inside a school year."""

    year = ForeignKeyField(SchoolYear, backref="holidays")
    name = CharField(max_length=200)
    start_date = DateField()
    end_date = DateField()

    class Meta:
        table_name = "holiday"

    def __str__(self):
        return f"{self.name} ({self.start_date:%d.%m}–{self.end_date:%d.%m.%Y})"


class ClassGroup(ExportedModel):
    """A class (form) such as 5А in a school year; its class teacher sees all its subjects."""

    record_type = "class_group"

    year = ForeignKeyField(SchoolYear, backref="classes")
    grade = IntegerField()
    letter = CharField(max_length=4)
    class_teacher = ForeignKeyField(Staff, backref="led_classes", null=True)

    class Meta:
        table_name = "class_group"
        indexes = ((("year", "grade", "letter"), True),)

    def __str__(self):
        return f"{self.grade}{self.letter}"

    @property
    def name(self) -> str:
        return str(self)


class Subject(ExportedModel):
    """A school subject."""

    record_type = "subject"

    name = CharField(max_length=200, unique=True)
    short_name = CharField(max_length=40, null=True)

    class Meta:
        table_name = "subject"

    def __str__(self):
        return self.name


class Enrollment(ExportedModel):
    """A student's membership of a class over a span of dates (open-ended while it lasts)."""

    record_type = "enrollment"

    student = ForeignKeyField(Student, backref="enrollments")
    class_group = ForeignKeyField(ClassGroup, backref="enrollments")
    start_date = DateField()
    end_date = DateField(null=True)

    class Meta:
        table_name = "enrollment"
        indexes = ((("class_group", "start_date"), False),)

    def __str__(self):
        until = f"{self.end_date:%d.%m.%Y}" if self.end_date else "…"
        return f"{self.student} — {self.class_group} ({self.start_date:%d.%m.%Y}–{until})"

    @classmethod
    def active_on(cls, day: dt.date):
        return cls.select().where((cls.start_date <= day) & ((cls.end_date.is_null()) | (cls.end_date >= day)))


class HomeworkExpectation(BaseModel):
    """A subject whose held lessons are expected to set homework in the listed grades ("5–11", "2, 3, 4").

    The completeness rules report a held lesson of such a subject and grade with neither
    homework text nor a file.
    """

    subject = ForeignKeyField(Subject, backref="homework_expectations", unique=True)
    grades = CharField(max_length=60)

    class Meta:
        table_name = "homework_expectation"

    def __str__(self):
        return f"{self.subject}: {self.grades}"


class Room(BaseModel):
    """A room (кабинет) lessons are given in: a number or a name such as «Спортзал», unique."""

    name = CharField(max_length=60, unique=True)
    note = CharField(max_length=200, null=True)

    class Meta:
        table_name = "room"

    def __str__(self):
        return self.name


BELL_SCHEDULES = (("normal", "обычный день"), ("short", "сокращённый день"))


class BellTime(BaseModel):
    """When a lesson of a number starts and ends, on a normal or on a shortened day (the bell schedule)."""

    schedule = CharField(max_length=10, choices=BELL_SCHEDULES, default="normal")
    lesson_number = IntegerField()
    starts_at = TimeField()
    ends_at = TimeField()

    class Meta:
        table_name = "bell_time"
        indexes = ((("schedule", "lesson_number"), True),)

    def __str__(self):
        kind = dict(BELL_SCHEDULES).get(self.schedule, self.schedule)
        return f"{self.lesson_number} урок ({kind}): {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class ShortDay(BaseModel):
    """A shortened day (сокращённый день): its lessons follow the shortened bell schedule."""

    date = DateField(unique=True)
    note = CharField(max_length=200, null=True)

    class Meta:
        table_name = "short_day"

    def __str__(self):
        return f"{self.date:%d.%m.%Y}" + (f" — {self.note}" if self.note else "")
