"""Teaching assignments, the timetable and the journal itself: lessons, marks, absences, files."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.clock import utcnow
from app.db import BaseModel
from app.models.changes import ExportedModel
from app.models.people import Staff, Student
from app.models.school import ClassGroup, Room, SchoolYear, Subject, Term

WEEKDAYS = (
    (1, "понедельник"),
    (2, "вторник"),
    (3, "среда"),
    (4, "четверг"),
    (5, "пятница"),
    (6, "суббота"),
)


GROUP_KINDS = (
    ("class", "весь класс"),
    ("subgroup", "группа класса"),
    ("cross", "сводная группа"),
    ("individual", "индивидуальное обучение"),
)

JOURNAL_KINDS = (
    ("lesson", "урочная деятельность"),
    ("extracurricular", "внеурочная деятельность"),
)


class StudyGroup(ExportedModel):
    """A set of students taught together: a whole class, a subgroup of one class, a cross-class group, one student.

    A whole-class group (kind "class") is made for every class and has no membership rows: its
    members are the class's enrollments. The other kinds list their members in GroupMembership.
    Subgroups of one class with the same `split` («англ.») are one split: a student is in at
    most one of them on any date.
    """

    record_type = "study_group"

    year = ForeignKeyField(SchoolYear, backref="study_groups")
    kind = CharField(max_length=12, choices=GROUP_KINDS, default="subgroup")
    # The class of a whole-class group or of a subgroup; empty for cross-class and individual groups.
    class_group = ForeignKeyField(ClassGroup, backref="study_groups", null=True)
    split = CharField(max_length=60, null=True)
    name = CharField(max_length=120)
    # The grade the group is taught in; empty for a multi-grade group.
    grade = IntegerField(null=True)

    class Meta:
        table_name = "study_group"
        indexes = ((("year", "name"), True), (("class_group", "split"), False))

    def __str__(self):
        return self.name

    @property
    def is_whole_class(self) -> bool:
        return self.kind == "class"


class GroupMembership(ExportedModel):
    """A student's membership of a study group over a span of dates (open-ended: to the end of the year)."""

    record_type = "group_membership"

    group = ForeignKeyField(StudyGroup, backref="memberships")
    student = ForeignKeyField(Student, backref="group_memberships")
    start_date = DateField()
    end_date = DateField(null=True)

    class Meta:
        table_name = "group_membership"
        indexes = ((("group", "start_date"), False), (("student", "group"), False))

    def __str__(self):
        until = f"{self.end_date:%d.%m.%Y}" if self.end_date else "…"
        return f"{self.student} — {self.group} ({self.start_date:%d.%m.%Y}–{until})"


class Journal(ExportedModel):
    """A subject (or an extracurricular course) taught to a study group in a school year: one journal of the school."""

    record_type = "journal"

    year = ForeignKeyField(SchoolYear, backref="journals")
    group = ForeignKeyField(StudyGroup, backref="journals")
    subject = ForeignKeyField(Subject, backref="journals")
    kind = CharField(max_length=16, choices=JOURNAL_KINDS, default="lesson")

    class Meta:
        table_name = "journal"
        indexes = ((("group", "subject"), True),)

    def __str__(self):
        return f"{self.group} · {self.subject}"

    @property
    def is_extracurricular(self) -> bool:
        return self.kind == "extracurricular"


class TeachingAssignment(ExportedModel):
    """A teacher of a journal (a journal may have several: a teacher and an assistant, a shared course)."""

    record_type = "teaching_assignment"

    journal = ForeignKeyField(Journal, backref="assignments")
    teacher = ForeignKeyField(Staff, backref="assignments")

    class Meta:
        table_name = "teaching_assignment"
        indexes = ((("journal", "teacher"), True),)

    def __str__(self):
        return f"{self.journal} · {self.teacher.short_name}"


class TimetableSlot(BaseModel):
    """A weekly lesson of a journal: weekday, lesson number, teacher and room, between two dates.

    Not exported: the package carries lessons, not the timetable, so the room stays in the school.
    """

    journal = ForeignKeyField(Journal, backref="timetable")
    weekday = IntegerField(choices=WEEKDAYS)
    lesson_number = IntegerField()
    teacher = ForeignKeyField(Staff, backref="timetable")
    valid_from = DateField()
    valid_to = DateField()
    room = ForeignKeyField(Room, backref="timetable", null=True)

    class Meta:
        table_name = "timetable_slot"
        indexes = ((("weekday", "lesson_number"), False),)

    def __str__(self):
        day = dict(WEEKDAYS).get(self.weekday, self.weekday)
        return f"{self.journal.group}, {day}, {self.lesson_number} урок: {self.journal.subject}"


class WorkType(ExportedModel):
    """A kind of work a mark is given for (answer in class, test, credit…); a list the administrator keeps.

    Not a record type of the package: a mark carries its work type's name, so a save takes a
    change number and the next daily package sends every mark of the renamed type again
    (app/services/exports/format.py, `references`).
    """

    record_type = "work_type"

    name = CharField(max_length=100, unique=True)
    # A decimal weight (1.0, 1.2, 1.5…) within journal_marks.WEIGHT_MIN…WEIGHT_MAX.
    default_weight = DecimalField(max_digits=5, decimal_places=2, default=1, auto_round=True)
    active = BooleanField(default=True)

    class Meta:
        table_name = "work_type"

    def __str__(self):
        return self.name


class Lesson(ExportedModel):
    """One lesson of a journal: planned from the timetable, filled by its teacher."""

    record_type = "lesson"

    journal = ForeignKeyField(Journal, backref="lessons")
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
    # When the lesson was marked held (naive UTC): how the completeness rules tell a lesson filled
    # late (R3.2 asks for the same day). Empty while not held, and for lessons marked held before
    # it was recorded.
    held_at = DateTimeField(null=True)
    # A lesson that did not take place and will not (quarantine, a cold day, a holiday moved):
    # distinct from one not yet held; it holds no marks or absences and always has a reason.
    cancelled = BooleanField(default=False)
    cancel_reason = CharField(max_length=200, null=True)
    # Set when re-planning found no timetable slot for a lesson that holds data.
    orphaned = BooleanField(default=False)
    version = IntegerField(default=1)
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(Staff, null=True, backref="+")

    class Meta:
        table_name = "lesson"
        indexes = (
            (("journal", "date", "number"), True),
            (("teacher", "date"), False),
            (("date", "number"), False),
        )

    def __str__(self):
        return f"{self.journal.group} · {self.subject} · {self.date:%d.%m.%Y}, {self.number} урок"

    @property
    def subject(self):
        """The journal's subject (join Journal and Subject to read it without a query)."""
        return self.journal.subject

    @property
    def subject_id(self) -> int:
        return self.journal.subject_id

    @property
    def group(self):
        """The study group the lesson is given to."""
        return self.journal.group

    @property
    def is_substitution(self) -> bool:
        return self.teacher_id != self.planned_teacher_id


MARK_VALUES = ("5", "4", "3", "2", "1", "зч", "нз")
MARK_COMMENT_MAX = 500

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
    weight = DecimalField(max_digits=5, decimal_places=2, default=1, auto_round=True)
    # What the teacher wrote about the mark (shown to parents on the portal).
    comment = CharField(max_length=MARK_COMMENT_MAX, null=True)
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
    # «н» typed in the journal: the student was away, why is filled in later.
    ("unknown", "причина не указана"),
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
