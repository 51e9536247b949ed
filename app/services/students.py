"""Students, guardians and enrollments: the rules that keep them consistent, and who is in which class when.

An enrollment without an end date lasts until the end of its class's school year: a student
moves to next year's class with a new enrollment, and the old one never overlaps it.

Every write goes through the `create_*`, `update_*` and `delete_*` functions below, shared by
the panel, the CLI and imports (app/services/records.py): one transaction, the rules checked
inside it, an audit entry, no cascading delete. A student's guardians can be written together
with the student (`guardians=`, as the student's form does) or one link at a time.
"""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import JOIN, fn

from app.db import db
from app.formats import format_date, format_span
from app.models import (
    RELATIONS,
    Absence,
    ClassGroup,
    Enrollment,
    Guardian,
    Journal,
    Lesson,
    Mark,
    SchoolYear,
    Student,
    StudentGuardian,
    StudyGroup,
)
from app.services import records
from app.services.errors import DomainError
from app.services.school import not_self, require

PHONE_RE = re.compile(r"^\+?[0-9()\-\s]{5,40}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OLDEST_BIRTH_YEAR = 1940


def _effective_end(enrollment_model=Enrollment, year_model=SchoolYear):
    """Return the SQL expression of an enrollment's last day: its end date, else its class's year end."""
    return fn.COALESCE(enrollment_model.end_date, year_model.end_date)


def _active_on(day: dt.date, enrollment_model=Enrollment, year_model=SchoolYear):
    """Return the condition "enrolled on `day`" (the query must join the class and its year)."""
    return (enrollment_model.start_date <= day) & (_effective_end(enrollment_model, year_model) >= day)


# --- who is where -----------------------------------------------------------------------------


def current_class(student: Student, day: dt.date) -> ClassGroup | None:
    """Return the class the student is enrolled in on `day`, or None."""
    row = (
        Enrollment.select(Enrollment, ClassGroup, SchoolYear)
        .join(ClassGroup)
        .join(SchoolYear)
        .where((Enrollment.student == student.id) & _active_on(day))
        .order_by(Enrollment.start_date.desc())
        .first()
    )
    return row.class_group if row is not None else None


def class_students(class_group: ClassGroup, day: dt.date):
    """Return a query of the students enrolled in the class on `day`, ordered by surname and name."""
    return (
        Student.select()
        .join(Enrollment)
        .join(ClassGroup)
        .join(SchoolYear)
        .where((Enrollment.class_group == class_group.id) & _active_on(day))
        .order_by(Student.last_name, Student.first_name, Student.middle_name)
    )


def with_current_class(query, day: dt.date):
    """Join each student of a Student query with their class on `day` (as `student.current_class`, or None).

    One LEFT JOIN on a correlated subquery: a list of students costs one query, not one per row.
    Filters and sorting may use ClassGroup's fields: they refer to that current class.
    """
    inner_enrollment, inner_class, inner_year = Enrollment.alias(), ClassGroup.alias(), SchoolYear.alias()
    current = (
        inner_enrollment.select(inner_enrollment.class_group)
        .join(inner_class, on=(inner_enrollment.class_group == inner_class.id))
        .join(inner_year, on=(inner_class.year == inner_year.id))
        .where((inner_enrollment.student == Student.id) & _active_on(day, inner_enrollment, inner_year))
        .order_by(inner_enrollment.start_date.desc())
        .limit(1)
    )
    return (
        query.select_extend(ClassGroup)
        .join(ClassGroup, JOIN.LEFT_OUTER, on=(ClassGroup.id == current), attr="current_class")
        .switch(Student)
    )


def with_enrolled_count(query, day: dt.date):
    """Add to a ClassGroup query the number of students enrolled on `day` (as `class_group.enrolled_count`)."""
    inner_enrollment, inner_class, inner_year = Enrollment.alias(), ClassGroup.alias(), SchoolYear.alias()
    count = (
        inner_enrollment.select(fn.COUNT(inner_enrollment.id))
        .join(inner_class, on=(inner_enrollment.class_group == inner_class.id))
        .join(inner_year, on=(inner_class.year == inner_year.id))
        .where((inner_enrollment.class_group == ClassGroup.id) & _active_on(day, inner_enrollment, inner_year))
    )
    return query.select_extend(count.alias("enrolled_count"))


# --- students and guardians ---------------------------------------------------------------------


def _clean_names(person) -> None:
    person.last_name = require(person.last_name, "Укажите фамилию.", "last_name").strip()
    person.first_name = require(person.first_name, "Укажите имя.", "first_name").strip()
    person.middle_name = (person.middle_name or "").strip() or None


def validate_student(student: Student, day: dt.date) -> None:
    """Check a student: surname and name given, a birth date believable on the school's `day`."""
    _clean_names(student)
    if student.birth_date is not None:
        if student.birth_date > day:
            raise DomainError("Дата рождения не может быть в будущем.", "birth_date")
        if student.birth_date.year < OLDEST_BIRTH_YEAR:
            raise DomainError("Проверьте дату рождения: год слишком ранний.", "birth_date")


@dataclass(frozen=True)
class GuardianLink:
    """One of a student's guardians as a form or an import gives it.

    `link_id` names an existing link of that student (None, or the id of someone else's link,
    adds a new one); `remove` deletes the link it names.
    """

    link_id: int | None
    guardian: Guardian | int | None
    relation: str | None
    remove: bool = False


def create_student(
    actor, *, today: dt.date, guardians: Iterable[GuardianLink] = (), source="panel", **fields
) -> Student:
    """Create a student (and their guardian links) in one transaction, checked on the school's `today`, audited."""
    with db.atomic():
        student = records.create_row(
            actor, Student, fields, validate=lambda row: validate_student(row, today), source=source
        )
        save_guardian_links(actor, student, guardians, source=source)
    return student


def update_student(
    actor, student: Student, *, today: dt.date, guardians: Iterable[GuardianLink] = (), source="panel", **fields
) -> Student:
    """Change a student (and their guardian links) in one transaction, checked on the school's `today`, audited."""
    with db.atomic():
        records.update_row(actor, student, fields, validate=lambda row: validate_student(row, today), source=source)
        save_guardian_links(actor, student, guardians, source=source)
    return student


def delete_student(actor, student: Student, *, source="panel") -> None:
    """Delete a student nothing refers to (no guardians, enrollments, marks…), audited."""
    records.delete_row(actor, student, source=source)


def save_guardian_links(actor, student: Student, guardians: Iterable[GuardianLink], *, source="panel") -> None:
    """Add, change and remove a student's guardian links in one transaction; an unchanged link is not saved again."""
    with db.atomic():
        existing = {row.id: row for row in StudentGuardian.select().where(StudentGuardian.student == student.id)}
        for change in guardians:
            row = existing.get(change.link_id)
            if change.remove:
                if row is not None:
                    delete_link(actor, row, source=source)
                continue
            fields = {"student": student.id, "guardian": change.guardian, "relation": change.relation}
            if row is None:
                create_link(actor, source=source, **fields)
                continue
            draft = StudentGuardian(**row.__data__)
            for name, value in fields.items():
                setattr(draft, name, value)
            if draft.snapshot() != row.snapshot():
                update_link(actor, row, source=source, **fields)


def validate_guardian(guardian: Guardian) -> None:
    """Check a guardian: surname and name given, a phone and e-mail that look like ones."""
    _clean_names(guardian)
    guardian.phone = (guardian.phone or "").strip() or None
    guardian.email = (guardian.email or "").strip() or None
    if guardian.phone and (not PHONE_RE.match(guardian.phone) or sum(c.isdigit() for c in guardian.phone) < 5):
        raise DomainError(
            "Телефон: цифры, пробелы, скобки, дефисы и «+» в начале, например +7 (812) 123-45-67.", "phone"
        )
    if guardian.email and not EMAIL_RE.match(guardian.email):
        raise DomainError("Адрес электронной почты выглядит неверно, пример: ivanova@example.ru.", "email")


def create_guardian(actor, *, source="panel", **fields) -> Guardian:
    """Create a guardian, checked and audited."""
    return records.create_row(actor, Guardian, fields, validate=validate_guardian, source=source)


def update_guardian(actor, guardian: Guardian, *, source="panel", **fields) -> Guardian:
    """Change a guardian, checked and audited."""
    return records.update_row(actor, guardian, fields, validate=validate_guardian, source=source)


def delete_guardian(actor, guardian: Guardian, *, source="panel") -> None:
    """Delete a guardian linked to no student and named in no application, audited."""
    records.delete_row(actor, guardian, source=source)


def validate_link(link: StudentGuardian) -> None:
    """Check a student–guardian link: both chosen, a known relation, not linked twice."""
    require(link.student_id, "Выберите ученика.", "student")
    require(link.guardian_id, "Выберите родителя.", "guardian")
    if link.relation not in dict(RELATIONS):
        raise DomainError("Выберите, кем родитель приходится ученику.", "relation")
    twin = StudentGuardian.select().where(
        (StudentGuardian.student == link.student_id)
        & (StudentGuardian.guardian == link.guardian_id)
        & not_self(StudentGuardian, link)
    )
    if twin.exists():
        raise DomainError(f"{link.guardian} уже указан(а) как родитель ученика {link.student}.", "guardian")


def create_link(actor, *, source="panel", **fields) -> StudentGuardian:
    """Link a guardian to a student, checked and audited."""
    return records.create_row(actor, StudentGuardian, fields, validate=validate_link, source=source)


def update_link(actor, link: StudentGuardian, *, source="panel", **fields) -> StudentGuardian:
    """Change a student–guardian link, checked and audited."""
    return records.update_row(actor, link, fields, validate=validate_link, source=source)


def delete_link(actor, link: StudentGuardian, *, source="panel") -> None:
    """Remove a student–guardian link, audited."""
    records.delete_row(actor, link, source=source)


# --- enrollments ----------------------------------------------------------------------------------


def validate_enrollment(enrollment: Enrollment) -> None:
    """Check an enrollment: dates in order and inside the class's year, one class a day, the journal kept whole."""
    require(enrollment.student_id, "Выберите ученика.", "student")
    require(enrollment.class_group_id, "Выберите класс.", "class_group")
    require(enrollment.start_date, "Укажите дату зачисления.", "start_date")
    start, end = enrollment.start_date, enrollment.end_date
    if end is not None and end < start:
        raise DomainError("Дата выбытия не может быть раньше даты зачисления.", "end_date")
    group = enrollment.class_group
    year = group.year
    if not year.contains(start) or (end is not None and not year.contains(end)):
        raise DomainError(
            f"Даты зачисления должны лежать внутри учебного года {year} класса {group} "
            f"({format_span(year.start_date, year.end_date)}).",
            "start_date",
        )
    last_day = end or year.end_date
    other = (
        Enrollment.select(Enrollment, ClassGroup, SchoolYear)
        .join(ClassGroup)
        .join(SchoolYear)
        .where(
            (Enrollment.student == enrollment.student_id)
            & not_self(Enrollment, enrollment)
            & (Enrollment.start_date <= last_day)
            & (_effective_end() >= start)
        )
        .order_by(Enrollment.start_date)
        .first()
    )
    if other is not None:
        raise DomainError(
            f"Ученик {enrollment.student} уже зачислен в класс {other.class_group} ({other.class_group.year}) "
            f"на {format_span(other.start_date, other.end_date)}: в один день ученик может быть только в одном классе.",
            "start_date",
        )
    if enrollment.get_id() is not None:
        old = Enrollment.get_by_id(enrollment.get_id())
        same_pair = (old.student_id, old.class_group_id) == (enrollment.student_id, enrollment.class_group_id)
        day = _uncovered_journal_day(old, keep=(start, last_day) if same_pair else None)
        if day is not None:
            raise DomainError(
                f"У ученика {old.student} есть отметки или пропуски в классе {old.class_group} "
                f"за {format_date(day)}: они остались бы вне дат зачисления. Сначала исправьте журнал.",
                "start_date",
            )


def create_enrollment(actor, *, source="panel", **fields) -> Enrollment:
    """Enroll a student in a class, checked and audited."""
    return records.create_row(actor, Enrollment, fields, validate=validate_enrollment, source=source)


def update_enrollment(actor, enrollment: Enrollment, *, source="panel", **fields) -> Enrollment:
    """Change an enrollment, checked (the journal kept whole) and audited."""
    return records.update_row(actor, enrollment, fields, validate=validate_enrollment, source=source)


def delete_enrollment(actor, enrollment: Enrollment, *, source="panel") -> None:
    """Delete an enrollment the student's marks and absences do not rely on, audited."""
    records.delete_row(actor, enrollment, check=check_enrollment_deletable, source=source)


def check_enrollment_deletable(enrollment: Enrollment) -> None:
    """Refuse to delete an enrollment that the student's marks or absences in that class rely on."""
    day = _uncovered_journal_day(enrollment, keep=None)
    if day is not None:
        raise DomainError(
            f"Нельзя удалить зачисление «{enrollment}»: у ученика есть отметки или пропуски в этом классе "
            f"(например, за {format_date(day)}). Сначала исправьте журнал или укажите дату выбытия."
        )


def _uncovered_journal_day(enrollment: Enrollment, keep: tuple[dt.date, dt.date] | None) -> dt.date | None:
    """Return the first day the student has a mark or absence in the enrollment's class that no enrollment would cover.

    `keep` is the enrollment's span after the change (None when it goes away); the student's
    other enrollments in the same class still cover their own days.
    """
    others = (
        Enrollment.select(Enrollment.id)
        .join(ClassGroup)
        .join(SchoolYear)
        .where(
            (Enrollment.student == enrollment.student_id)
            & (Enrollment.class_group == enrollment.class_group_id)
            & (Enrollment.id != enrollment.id)
            & _active_on(Lesson.date)
        )
    )
    uncovered = ~fn.EXISTS(others)
    if keep is not None:
        uncovered &= (Lesson.date < keep[0]) | (Lesson.date > keep[1])
    # The class's journals: its whole class's and its subgroups'.
    of_class = Journal.select(Journal.id).join(StudyGroup).where(StudyGroup.class_group == enrollment.class_group_id)
    days = []
    for model in (Mark, Absence):
        day = (
            Lesson.select(fn.MIN(Lesson.date))
            .join(model, on=(model.lesson == Lesson.id))
            .where((model.student == enrollment.student_id) & Lesson.journal.in_(of_class) & uncovered)
            .scalar()
        )
        if day is not None:
            days.append(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
    return min(days) if days else None
