"""The package format (docs/export-format.en.md): record types, their fields and scope, line encoding.

A package is gzip'd NDJSON: a header line, one line per record, a trailer line. Every record
type below says which table it comes from, which fields it carries, and which rows belong to a
school year's package ("in scope"). The same definitions drive daily and full packages. A
homework file's bytes are not in the package: its record names them by sha256, and they are
delivered beside it, before it (`content`, contents.py).
"""

from dataclasses import dataclass, field

import orjson
from peewee import JOIN

from app.models import (
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    FinalMark,
    GroupMembership,
    Guardian,
    HomeworkFile,
    Journal,
    Lesson,
    LessonPlanRow,
    Mark,
    PlanRow,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    ThematicPlan,
    WorkType,
)

FORMAT_NAME = "ejournal-portal-export"
FORMAT_VERSION = 2
MEDIA_TYPE = "application/x-ndjson"
FILE_SUFFIX = ".ndjson.gz"
GZIP_LEVEL = 6


@dataclass(frozen=True)
class RecordType:
    """One record type of the package: its source table, fields and year scope."""

    name: str
    model: type
    # (key in the package, column); FKs are sent as the referenced id.
    fields: tuple
    # Keys whose values are booleans (SQLite hands them back as 0/1).
    booleans: tuple = ()
    # Keys whose values are decimals (PostgreSQL hands them back as Decimal, SQLite as int or
    # float): sent as JSON numbers, an integer when whole (1), else with their decimals (1.25).
    decimals: tuple = ()
    # The column naming the stored file whose bytes the record's `sha256` and `size` describe
    # (a homework file's stored name): read with the fields, never sent, recorded by the builder
    # so the transports deliver the content before the package (contents.py).
    content: object = None
    # Tables joined for the scope and the fields: (model, join condition).
    joins: tuple = ()
    # year_id -> condition that puts a row in the year's package; None: every row is in scope.
    scope: object = None
    # Types whose change (or deletion) changes a field of every row of this type, so a daily
    # package resends the whole type (the staff's access scope is derived from them). A row's
    # `change` is then the latest change of its own row or of any of those types' rows.
    derived_from: tuple = field(default=())
    # Rows whose fields a record copies, as (foreign key, referenced model): a change of the
    # referenced row is a change of the record (a mark carries its work type's name). A row's
    # `change` is the latest of its own and of those rows'; a daily package sends the record
    # again when either changed. The referenced models must be among `joins`.
    references: tuple = field(default=())
    # Parents the year's scope goes through that may move to another year while the row stays
    # as it is, as (foreign key, parent model): a teaching assignment is in a year through its
    # journal, and a journal given a group of another year takes its teachers along. A change of
    # the parent is a change of the record (as with `references`) and may take it into or out
    # of the year's package. The parents must be among `joins`.
    scoped_through: tuple = field(default=())

    @property
    def tombstone_type(self) -> str:
        """Return the record_type its deletions leave in the tombstone table."""
        return self.model.record_type

    @property
    def keys(self) -> tuple:
        return tuple(key for key, _ in self.fields)

    @property
    def followed(self) -> tuple:
        """Return (foreign key, model) of the rows whose change is a change of this type's record."""
        return self.references + self.scoped_through

    @property
    def change_columns(self) -> tuple:
        """Return the change number columns that make up a row's `change`: its own first."""
        return (self.model.change_no, *(model.change_no for _, model in self.followed))

    @property
    def scope_change_columns(self) -> tuple:
        """Return the change number columns of the changes that may take a row out of the year: its own first."""
        return (self.model.change_no, *(model.change_no for _, model in self.scoped_through))

    @property
    def columns(self) -> tuple:
        """Return the columns read for each record after its id and change numbers: the fields', then the content's."""
        fields = tuple(column for _, column in self.fields)
        return fields if self.content is None else (*fields, self.content)

    def base_query(self, *columns):
        """Return a select of the given columns with this type's joins, in this order.

        The joins are written as CROSS JOIN with their conditions in WHERE: the same rows as
        inner joins, but SQLite keeps this type's table as the outer loop (its documented way
        to fix a join order) and looks parents up by primary key, instead of starting from
        the school year's classes and walking every row of the year.
        """
        query = self.model.select(*columns)
        conditions = []
        for model, on in self.joins:
            query = query.join_from(on[0], model, JOIN.CROSS)
            conditions.append(on[1])
        return query.where(*conditions) if conditions else query

    def in_scope(self, year_id):
        """Return the condition for rows in the year's package, or None for every row."""
        return None if self.scope is None else self.scope(year_id)


def _lesson_journal(model):
    """Joins from a lesson's child (mark, absence, file) to its lesson and the lesson's journal."""
    return (
        (Lesson, (model, model.lesson == Lesson.id)),
        (Journal, (Lesson, Lesson.journal == Journal.id)),
    )


RECORD_TYPES = (
    RecordType(
        "school_year",
        SchoolYear,
        (("name", SchoolYear.name), ("start_date", SchoolYear.start_date), ("end_date", SchoolYear.end_date)),
        scope=lambda year: SchoolYear.id == year,
    ),
    RecordType(
        "term",
        Term,
        (
            ("year", Term.year),
            ("kind", Term.kind),
            ("number", Term.number),
            ("start_date", Term.start_date),
            ("end_date", Term.end_date),
            ("closed", Term.closed),
        ),
        booleans=("closed",),
        scope=lambda year: Term.year == year,
    ),
    RecordType("subject", Subject, (("name", Subject.name), ("short_name", Subject.short_name))),
    RecordType(
        "staff",
        Staff,
        (
            ("last_name", Staff.last_name),
            ("first_name", Staff.first_name),
            ("middle_name", Staff.middle_name),
            ("active", Staff.active),
            ("portal_uid", Staff.portal_uid),
        ),
        booleans=("active",),
        # The scope lists the journals taught (teaching assignments of the year's journals) and
        # the classes led (class_group.class_teacher); the journals a class teacher checks are
        # derived by the receiver from the groups, memberships and enrollments it holds.
        derived_from=("school_year", "class_group", "journal", "teaching_assignment"),
    ),
    RecordType(
        "class_group",
        ClassGroup,
        (
            ("year", ClassGroup.year),
            ("grade", ClassGroup.grade),
            ("letter", ClassGroup.letter),
            ("class_teacher", ClassGroup.class_teacher),
        ),
        scope=lambda year: ClassGroup.year == year,
    ),
    RecordType(
        "student",
        Student,
        (
            ("last_name", Student.last_name),
            ("first_name", Student.first_name),
            ("middle_name", Student.middle_name),
            ("birth_date", Student.birth_date),
        ),
    ),
    RecordType(
        "guardian",
        Guardian,
        (("last_name", Guardian.last_name), ("first_name", Guardian.first_name), ("middle_name", Guardian.middle_name)),
    ),
    RecordType(
        "student_guardian",
        StudentGuardian,
        (
            ("student", StudentGuardian.student),
            ("guardian", StudentGuardian.guardian),
            ("relation", StudentGuardian.relation),
        ),
    ),
    RecordType(
        # Diary access granted to a guardian: an application whose status is "granted".
        "diary_access",
        DiaryApplication,
        (
            ("student", DiaryApplication.student),
            ("guardian", DiaryApplication.guardian),
            ("relation", DiaryApplication.relation),
            ("application_number", DiaryApplication.portal_number),
            ("submitted_on", DiaryApplication.submitted_on),
        ),
        scope=lambda year: DiaryApplication.status == "granted",
    ),
    RecordType(
        "enrollment",
        Enrollment,
        (
            ("student", Enrollment.student),
            ("class_group", Enrollment.class_group),
            ("start_date", Enrollment.start_date),
            ("end_date", Enrollment.end_date),
        ),
        joins=((ClassGroup, (Enrollment, Enrollment.class_group == ClassGroup.id)),),
        scope=lambda year: ClassGroup.year == year,
    ),
    RecordType(
        "study_group",
        StudyGroup,
        (
            ("year", StudyGroup.year),
            ("kind", StudyGroup.kind),
            ("class_group", StudyGroup.class_group),
            ("split", StudyGroup.split),
            ("name", StudyGroup.name),
            ("grade", StudyGroup.grade),
        ),
        scope=lambda year: StudyGroup.year == year,
    ),
    RecordType(
        # A whole-class group has no memberships: its members are its class's enrollments.
        "group_membership",
        GroupMembership,
        (
            ("group", GroupMembership.group),
            ("student", GroupMembership.student),
            ("start_date", GroupMembership.start_date),
            ("end_date", GroupMembership.end_date),
        ),
        joins=((StudyGroup, (GroupMembership, GroupMembership.group == StudyGroup.id)),),
        scope=lambda year: StudyGroup.year == year,
    ),
    RecordType(
        "journal",
        Journal,
        (
            ("year", Journal.year),
            ("group", Journal.group),
            ("subject", Journal.subject),
            ("kind", Journal.kind),
        ),
        scope=lambda year: Journal.year == year,
    ),
    RecordType(
        "teaching_assignment",
        TeachingAssignment,
        (("journal", TeachingAssignment.journal), ("teacher", TeachingAssignment.teacher)),
        joins=((Journal, (TeachingAssignment, TeachingAssignment.journal == Journal.id)),),
        scope=lambda year: Journal.year == year,
        scoped_through=((TeachingAssignment.journal, Journal),),
    ),
    RecordType(
        "lesson",
        Lesson,
        (
            ("date", Lesson.date),
            ("number", Lesson.number),
            ("journal", Lesson.journal),
            ("term", Lesson.term),
            ("planned_teacher", Lesson.planned_teacher),
            ("teacher", Lesson.teacher),
            ("replacement_subject", Lesson.replacement_subject),
            ("topic", Lesson.topic),
            ("homework", Lesson.homework),
            ("held", Lesson.held),
            ("cancelled", Lesson.cancelled),
            ("cancel_reason", Lesson.cancel_reason),
        ),
        booleans=("held", "cancelled"),
        joins=((Journal, (Lesson, Lesson.journal == Journal.id)),),
        scope=lambda year: Journal.year == year,
    ),
    RecordType(
        "homework_file",
        HomeworkFile,
        (
            ("lesson", HomeworkFile.lesson),
            ("name", HomeworkFile.original_name),
            ("size", HomeworkFile.size),
            ("sha256", HomeworkFile.sha256),
            ("content_type", HomeworkFile.content_type),
        ),
        # The file's bytes go beside the package (the directory's files/, the portal's files URL).
        content=HomeworkFile.stored_name,
        joins=_lesson_journal(HomeworkFile),
        scope=lambda year: Journal.year == year,
    ),
    RecordType(
        "mark",
        Mark,
        (
            ("lesson", Mark.lesson),
            ("student", Mark.student),
            ("value", Mark.value),
            ("work_type", WorkType.name),
            ("weight", Mark.weight),
            ("comment", Mark.comment),
            ("change_reason", Mark.change_reason),
        ),
        decimals=("weight",),
        joins=_lesson_journal(Mark) + ((WorkType, (Mark, Mark.work_type == WorkType.id)),),
        scope=lambda year: Journal.year == year,
        references=((Mark.work_type, WorkType),),
    ),
    RecordType(
        "absence",
        Absence,
        (("lesson", Absence.lesson), ("student", Absence.student), ("reason", Absence.reason)),
        joins=_lesson_journal(Absence),
        scope=lambda year: Journal.year == year,
    ),
    RecordType(
        # A student's final mark for a subject: a term's, the year's, the exam's or the итоговая.
        # It belongs to its own year (a student moved between groups has one per subject and
        # period, naming the journal it was last set in), and copies no other row's fields.
        "final_mark",
        FinalMark,
        (
            ("year", FinalMark.year),
            ("student", FinalMark.student),
            ("subject", FinalMark.subject),
            ("kind", FinalMark.kind),
            ("term", FinalMark.term),
            ("journal", FinalMark.journal),
            ("value", FinalMark.value),
            ("change_reason", FinalMark.change_reason),
        ),
        scope=lambda year: FinalMark.year == year,
    ),
    RecordType(
        # A row of a journal's thematic plan (КТП), in the plan's order. It carries its plan's journal
        # and follows the plan (a plan is not a record type: approving it resends its rows).
        "plan_row",
        PlanRow,
        (
            ("journal", ThematicPlan.journal),
            ("position", PlanRow.position),
            ("number", PlanRow.number),
            ("section", PlanRow.section),
            ("topic", PlanRow.topic),
            ("hours", PlanRow.hours),
            ("planned_date", PlanRow.planned_date),
            ("homework", PlanRow.homework),
            ("skipped", PlanRow.skipped),
        ),
        booleans=("skipped",),
        joins=(
            (ThematicPlan, (PlanRow, PlanRow.plan == ThematicPlan.id)),
            (Journal, (ThematicPlan, ThematicPlan.journal == Journal.id)),
        ),
        scope=lambda year: Journal.year == year,
        references=((PlanRow.plan, ThematicPlan),),
    ),
    RecordType(
        # A lesson gives a plan row: a lesson may give two rows, a row of two hours two lessons.
        "lesson_plan_row",
        LessonPlanRow,
        (("lesson", LessonPlanRow.lesson), ("plan_row", LessonPlanRow.plan_row)),
        joins=_lesson_journal(LessonPlanRow),
        scope=lambda year: Journal.year == year,
    ),
)

TYPE_NAMES = tuple(rt.name for rt in RECORD_TYPES)
BY_NAME = {rt.name: rt for rt in RECORD_TYPES}


def dumps(obj) -> bytes:
    """Encode one line of the package (JSON without spaces, a newline at the end)."""
    return orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE)


def header_line(*, package_id, kind, school_code, school_name, year, change_from, change_to, generated_at) -> bytes:
    """Encode the header: what the package is, for which school and year, which changes it covers."""
    return dumps(
        {
            "type": "header",
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "package_id": package_id,
            "kind": kind,
            "school": {"code": school_code, "name": school_name},
            "school_year": {
                "id": year.id,
                "name": year.name,
                "start_date": year.start_date.isoformat() if hasattr(year.start_date, "isoformat") else year.start_date,
                "end_date": year.end_date.isoformat() if hasattr(year.end_date, "isoformat") else year.end_date,
            },
            "changes": {"from": change_from, "to": change_to},
            "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def trailer_line(*, counts: dict, records: int, body_sha256: str) -> bytes:
    """Encode the trailer: how many records of each type and operation, and the body's checksum."""
    return dumps({"type": "trailer", "records": records, "counts": counts, "sha256": body_sha256})


def empty_counts() -> dict:
    """Return a zero count for every type and operation, in the package's type order."""
    return {name: {"delete": 0, "upsert": 0} for name in TYPE_NAMES}
