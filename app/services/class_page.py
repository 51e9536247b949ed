"""The class teacher's page of their class (and the deputy's and head's of any class): the period at a glance.

For one attestation period: a summary sheet of students × subjects (the weighted average of the
period's marks and the period's final where given), the attendance of each student by reason,
the students with a 2 or «н/а», and each student's card (their marks and absences across
subjects, their guardians and whether each has been given access to the e-diary). Every part
is a fixed number of queries whatever the size of the class.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from peewee import fn

from app.ids import parse_id
from app.models import (
    ABSENCE_REASONS,
    APPLICATION_STATUSES,
    RELATIONS,
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    FinalMark,
    Guardian,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    Student,
    StudentGuardian,
    Subject,
    Term,
    WorkType,
)
from app.services import access, finals
from app.services.errors import AccessDenied, NotFound
from app.services.journal_marks import NUMERIC_MARKS, WEIGHT_PLACES

REASON_LABELS = dict(ABSENCE_REASONS)
RELATION_LABELS = dict(RELATIONS)
# A final, or the average's recommendation when there is none, that puts a student on the list.
WEAK = ("2", "н/а")


def get_class(staff, class_id) -> ClassGroup:
    """The class, if the staff member may open its page: its class teacher, the deputy, the head."""
    found = ClassGroup.get_or_none(ClassGroup.id == parse_id(class_id)) if parse_id(class_id) else None
    if found is None:
        raise NotFound("Такого класса нет.")
    if not access.can_view_class_finals(staff, found):
        raise AccessDenied("Страницу класса видят его классный руководитель, заместитель директора и директор.")
    return found


def periods(class_group: ClassGroup, settings: SchoolSettings) -> list[Term]:
    return finals.attestation_terms(class_group.year_id, class_group.grade, settings)


def choose_period(terms: list[Term], raw, today: dt.date) -> Term | None:
    """The period asked for (?term=), else the one containing today, else the last one begun."""
    wanted = parse_id(raw)
    for term in terms:
        if term.id == wanted:
            return term
    begun = [t for t in terms if t.start_date <= today]
    return next((t for t in begun if t.end_date >= today), begun[-1] if begun else (terms[0] if terms else None))


def _students(class_group: ClassGroup, term: Term) -> list[Student]:
    """The class's students enrolled at some day of the period, by name."""
    enrolled = Enrollment.select(Enrollment.student).where(
        (Enrollment.class_group == class_group.id)
        & (Enrollment.start_date <= term.end_date)
        & (Enrollment.end_date.is_null() | (Enrollment.end_date >= term.start_date))
    )
    return list(
        Student.select()
        .where(Student.id.in_(enrolled))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
    )


def _mean(total, weights) -> float | None:
    if not weights:
        return None
    return float((Decimal(str(total)) / Decimal(str(weights))).quantize(WEIGHT_PLACES, ROUND_HALF_UP))


@dataclass
class Cell:
    average: float | None = None
    count: int = 0
    final: str | None = None
    recommended: str | None = None

    @property
    def weak(self) -> bool:
        return (self.final or self.recommended) in WEAK


@dataclass
class StudentRow:
    student: Student
    number: int
    cells: dict[int, Cell] = field(default_factory=dict)
    absences: dict[str, int] = field(default_factory=dict)

    @property
    def missed(self) -> int:
        return sum(self.absences.values())

    @property
    def weak_subjects(self) -> list[int]:
        return [sid for sid, cell in self.cells.items() if cell.weak]


@dataclass
class ClassSheet:
    class_group: ClassGroup
    terms: list[Term]
    term: Term | None
    subjects: list[Subject]
    rows: list[StudentRow]
    reasons: list[tuple[str, str]]

    @property
    def weak(self) -> list[StudentRow]:
        return [row for row in self.rows if row.weak_subjects]


def _subject():
    return fn.COALESCE(Lesson.replacement_subject, Journal.subject)


def class_sheet(staff, class_id, *, today: dt.date, term_id=None, settings: SchoolSettings | None = None) -> ClassSheet:
    """The class's period: students × subjects averages and finals, attendance by reason (six queries)."""
    class_group = get_class(staff, class_id)
    settings = settings or SchoolSettings.load()
    terms = periods(class_group, settings)
    term = choose_period(terms, term_id, today)
    reasons = [(code, label) for code, label in ABSENCE_REASONS]
    if term is None:
        return ClassSheet(class_group, terms, None, [], [], reasons)
    students = _students(class_group, term)
    ids = [s.id for s in students]
    subject_ids = (
        Journal.select(Journal.subject)
        .where(Journal.id.in_(access.journals_of_classes([class_group.id])) & (Journal.kind == "lesson"))
        .distinct()
    )
    subjects = list(Subject.select().where(Subject.id.in_(subject_ids)).order_by(Subject.name))
    rows = {s.id: StudentRow(s, n) for n, s in enumerate(students, 1)}
    if ids:
        in_term = Lesson.date.between(term.start_date, term.end_date) & (Journal.year == class_group.year_id)
        numeric = Mark.value.in_(list(NUMERIC_MARKS))
        marks = (
            Mark.select(
                Mark.student,
                _subject(),
                fn.SUM(Mark.value.cast("INTEGER") * Mark.weight),
                fn.SUM(Mark.weight),
                fn.COUNT(Mark.id),
            )
            .join(Lesson, on=(Lesson.id == Mark.lesson))
            .join(Journal, on=(Journal.id == Lesson.journal))
            .where(Mark.student.in_(ids) & in_term & numeric)
            .group_by(Mark.student, _subject())
            .tuples()
        )
        for student_id, subject_id, total, weights, count in marks:
            average = _mean(total, weights)
            rows[student_id].cells[subject_id] = Cell(
                average, count, recommended=finals.recommend(average, settings.round_from)
            )
        given = FinalMark.select(FinalMark.student, FinalMark.subject, FinalMark.value).where(
            FinalMark.student.in_(ids) & (FinalMark.kind == "term") & (FinalMark.term == term.id)
        )
        for student_id, subject_id, value in given.tuples():
            rows[student_id].cells.setdefault(subject_id, Cell()).final = value
        absences = (
            Absence.select(Absence.student, Absence.reason, fn.COUNT(Absence.id))
            .join(Lesson, on=(Lesson.id == Absence.lesson))
            .join(Journal, on=(Journal.id == Lesson.journal))
            .where(Absence.student.in_(ids) & in_term)
            .group_by(Absence.student, Absence.reason)
            .tuples()
        )
        for student_id, reason, count in absences:
            rows[student_id].absences[reason] = count
    return ClassSheet(class_group, terms, term, subjects, list(rows.values()), reasons)


# --- a student's card ------------------------------------------------------------------------------


@dataclass
class GuardianLine:
    guardian: Guardian
    relation: str
    access: str  # the latest application's status label, or «заявления нет»


@dataclass
class StudentCard:
    class_group: ClassGroup
    student: Student
    term: Term | None
    terms: list[Term]
    marks: dict[str, list[tuple]]  # subject name → [(date, value, work type, weight)]
    absences: list[tuple]  # (date, lesson number, subject, reason label)
    guardians: list[GuardianLine]


def student_card(staff, class_id, student_id, *, today: dt.date, term_id=None, settings=None) -> StudentCard:
    """A student of the class: the period's marks by subject and absences, the guardians and their e-diary access."""
    class_group = get_class(staff, class_id)
    settings = settings or SchoolSettings.load()
    terms = periods(class_group, settings)
    term = choose_period(terms, term_id, today)
    student_id = parse_id(student_id)
    in_class = (
        Enrollment.select()
        .where((Enrollment.class_group == class_group.id) & (Enrollment.student == student_id))
        .exists()
        if student_id
        else False
    )
    if not in_class:
        raise NotFound("Такого ученика в классе нет.")
    student = Student.get_by_id(student_id)
    marks: dict[str, list[tuple]] = defaultdict(list)
    absences: list[tuple] = []
    if term is not None:
        in_term = Lesson.date.between(term.start_date, term.end_date) & (Journal.year == class_group.year_id)
        rows = (
            Mark.select(Subject.name, Lesson.date, Mark.value, WorkType.name, Mark.weight)
            .join(Lesson, on=(Lesson.id == Mark.lesson))
            .join(Journal, on=(Journal.id == Lesson.journal))
            .join(Subject, on=(Subject.id == _subject()))
            .join_from(Mark, WorkType, on=(WorkType.id == Mark.work_type))
            .where((Mark.student == student.id) & in_term)
            .order_by(Subject.name, Lesson.date, Lesson.number, Mark.id)
            .tuples()
        )
        for subject, day, value, work_type, weight in rows:
            marks[subject].append((day, value, work_type, weight))
        missed = (
            Absence.select(Lesson.date, Lesson.number, Subject.name, Absence.reason)
            .join(Lesson, on=(Lesson.id == Absence.lesson))
            .join(Journal, on=(Journal.id == Lesson.journal))
            .join(Subject, on=(Subject.id == _subject()))
            .where((Absence.student == student.id) & in_term)
            .order_by(Lesson.date, Lesson.number)
            .tuples()
        )
        absences = [
            (day, number, subject, REASON_LABELS.get(reason, reason)) for day, number, subject, reason in missed
        ]
    links = (
        StudentGuardian.select(StudentGuardian, Guardian)
        .join(Guardian)
        .where(StudentGuardian.student == student.id)
        .order_by(Guardian.last_name, Guardian.first_name)
    )
    statuses = dict(
        DiaryApplication.select(DiaryApplication.guardian, DiaryApplication.status)
        .where(DiaryApplication.student == student.id)
        .order_by(DiaryApplication.id)
        .tuples()
    )  # the latest application per guardian, written last
    labels = dict(APPLICATION_STATUSES)
    guardians = [
        GuardianLine(
            link.guardian,
            RELATION_LABELS.get(link.relation, link.relation),
            labels.get(statuses.get(link.guardian_id), "заявления нет"),
        )
        for link in links
    ]
    return StudentCard(class_group, student, term, terms, dict(marks), absences, guardians)
