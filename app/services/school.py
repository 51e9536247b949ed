"""Rules of the school's structure: settings, years, terms, holidays, classes, subjects, teaching load, timetable.

Each `validate_*` function checks one record before it is saved and raises DomainError with a
Russian message (and the offending field) to refuse it; it writes nothing. Every write goes
through the `create_*`, `update_*` and `delete_*` functions of each section, which the panel,
the CLI and imports share (app/services/records.py): one transaction, the section's rules, an
audit entry, no cascading delete. Marking a year as current takes the mark off the previous
current year in the same transaction.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from peewee import Case, fn

from app.db import db
from app.formats import format_date, format_span
from app.ids import parse_id
from app.models import (
    WEEKDAYS,
    Absence,
    ClassGroup,
    Enrollment,
    Holiday,
    Lesson,
    SchoolSettings,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
)
from app.models.school import TERM_KINDS
from app.permissions import Perm
from app.services import access, audit, records
from app.services.errors import AccessDenied, DomainError, NotFound

YEAR_NAME_RE = re.compile(r"^(\d{4})/(\d{4})$")
CLASS_LETTER_RE = re.compile(r"^[А-ЯЁ]$")
SCHOOL_CODE_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё_-]{0,32}$")
GRADES = (1, 11)
LESSON_NUMBERS = (1, 10)
MARK_EDIT_DAYS = (0, 365)
# The web server refuses requests above MAX_CONTENT_LENGTH (32 MB); a file must fit with the form around it.
UPLOAD_MAX_MB = (1, 30)
TERM_COUNTS = {"quarter": 4, "trimester": 3, "half": 2}


# --- small helpers shared with app.services.students ----------------------------------------


def not_self(model, obj):
    """Return a condition excluding the row itself (a new row has no id and excludes nothing)."""
    pk = model._meta.primary_key
    return pk.is_null(False) if obj.get_id() is None else pk != obj.get_id()


def require(value, message: str, field: str):
    """Refuse a missing value with a message about the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, field)
    return value


def check_range(value, bounds: tuple[int, int], message: str, field: str) -> None:
    """Refuse a number outside the inclusive bounds."""
    low, high = bounds
    if value is None or not low <= value <= high:
        raise DomainError(message, field)


def _require_span(start, end, *, allow_same_day: bool, what: str, end_message: str) -> None:
    require(start, f"Укажите дату начала {what}.", "start_date")
    require(end, f"Укажите дату окончания {what}.", "end_date")
    if end < start or (end == start and not allow_same_day):
        raise DomainError(end_message, "end_date")


def _inside_year(year: SchoolYear, start: dt.date, end: dt.date, what: str, field: str = "start_date") -> None:
    if not (year.contains(start) and year.contains(end)):
        raise DomainError(
            f"{what} должен лежать внутри учебного года {year} ({format_span(year.start_date, year.end_date)}).",
            field,
        )


def staff_label(staff: Staff) -> str:
    """Return a staff member as schedules name them: surname and initials."""
    return staff.short_name


def slot_label(slot: TimetableSlot) -> str:
    """Describe a timetable slot for a message: class, weekday, lesson, subject, teacher, dates."""
    day = dict(WEEKDAYS).get(slot.weekday, slot.weekday)
    return (
        f"{slot.class_group}, {day}, {slot.lesson_number} урок — {slot.subject} "
        f"({staff_label(slot.teacher)}), {format_span(slot.valid_from, slot.valid_to)}"
    )


# --- school settings --------------------------------------------------------------------------


def validate_settings(settings: SchoolSettings, is_created: bool = False) -> None:
    """Check the school's settings row: one row only, a name, a plain code and sane limits."""
    if is_created and SchoolSettings.select().exists():
        raise DomainError("Настройки школы уже заведены: измените существующую запись.")
    settings.name = require(settings.name, "Укажите название школы.", "name").strip()
    settings.school_code = (settings.school_code or "").strip()
    if not SCHOOL_CODE_RE.match(settings.school_code):
        raise DomainError("Код школы: до 32 букв или цифр, без пробелов.", "school_code")
    check_range(
        settings.mark_edit_days,
        MARK_EDIT_DAYS,
        "Срок правки отметок без указания причины — от 0 до 365 дней.",
        "mark_edit_days",
    )
    check_range(
        settings.upload_max_mb,
        UPLOAD_MAX_MB,
        "Предельный размер файла домашнего задания — от 1 до 30 МБ.",
        "upload_max_mb",
    )


def create_settings(actor, *, source="panel", **fields) -> SchoolSettings:
    """Create the school's settings row (there is only one), checked and audited."""
    return records.create_row(
        actor, SchoolSettings, fields, validate=lambda row: validate_settings(row, True), source=source
    )


def update_settings(actor, settings: SchoolSettings, *, source="panel", **fields) -> SchoolSettings:
    """Change the school's settings, checked and audited."""
    return records.update_row(actor, settings, fields, validate=validate_settings, source=source)


# --- school years -----------------------------------------------------------------------------


def validate_school_year(year: SchoolYear) -> None:
    """Check a school year: a name like 2026/2027, dates in order, no overlap, its contents still inside."""
    name = (year.name or "").strip()
    match = YEAR_NAME_RE.match(name)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise DomainError("Название учебного года — два года подряд через косую черту, например 2026/2027.", "name")
    year.name = name
    _require_span(
        year.start_date,
        year.end_date,
        allow_same_day=False,
        what="учебного года",
        end_message="Конец учебного года должен быть позже его начала.",
    )
    if year.start_date.year != int(match[1]):
        raise DomainError(f"Учебный год {name} должен начинаться в {match[1]} году.", "start_date")
    if (year.end_date - year.start_date).days > 366:
        raise DomainError("Учебный год не может длиться больше года.", "end_date")
    if SchoolYear.select().where((SchoolYear.name == name) & not_self(SchoolYear, year)).exists():
        raise DomainError(f"Учебный год {name} уже есть.", "name")
    other = (
        SchoolYear.select()
        .where(
            not_self(SchoolYear, year)
            & (SchoolYear.start_date <= year.end_date)
            & (SchoolYear.end_date >= year.start_date)
        )
        .first()
    )
    if other is not None:
        raise DomainError(
            f"Даты пересекаются с учебным годом {other} ({format_span(other.start_date, other.end_date)}).",
            "start_date",
        )
    if year.get_id() is not None:
        _check_year_contents(year)


def _check_year_contents(year: SchoolYear) -> None:
    """Refuse new dates of an existing year that would leave its terms, holidays, timetable or lessons outside."""
    start, end = year.start_date, year.end_date
    span = format_span(start, end)
    term = Term.select().where((Term.year == year.id) & ((Term.start_date < start) | (Term.end_date > end))).first()
    if term is not None:
        raise DomainError(
            f"Учебный период «{term}» ({format_span(term.start_date, term.end_date)}) оказался бы вне дат года {span}. "
            "Сначала измените даты периода.",
            "start_date",
        )
    holiday = (
        Holiday.select()
        .where((Holiday.year == year.id) & ((Holiday.start_date < start) | (Holiday.end_date > end)))
        .first()
    )
    if holiday is not None:
        raise DomainError(
            f"Каникулы «{holiday}» оказались бы вне дат года {span}. Сначала измените их даты.", "start_date"
        )
    classes = ClassGroup.select(ClassGroup.id).where(ClassGroup.year == year.id)
    slot = (
        TimetableSlot.select()
        .where(
            TimetableSlot.class_group.in_(classes)
            & ((TimetableSlot.valid_from < start) | (TimetableSlot.valid_to > end))
        )
        .first()
    )
    if slot is not None:
        raise DomainError(f"Урок расписания «{slot_label(slot)}» оказался бы вне дат года {span}.", "start_date")
    enrollment = (
        Enrollment.select()
        .where(Enrollment.class_group.in_(classes) & ((Enrollment.start_date < start) | (Enrollment.end_date > end)))
        .first()
    )
    if enrollment is not None:
        raise DomainError(f"Зачисление «{enrollment}» оказалось бы вне дат года {span}.", "start_date")
    lesson = (
        Lesson.select().where(Lesson.class_group.in_(classes) & ((Lesson.date < start) | (Lesson.date > end))).first()
    )
    if lesson is not None:
        raise DomainError(f"Урок «{lesson}» оказался бы вне дат года {span}.", "start_date")


def release_other_current_years(year: SchoolYear, actor, *, source: str = "panel") -> list[SchoolYear]:
    """Take the "current" mark off every other year when `year` is marked current; audited.

    Runs inside the caller's transaction, so the switch and the year's own save succeed or fail together.
    """
    if not year.is_current:
        return []
    others = (SchoolYear.is_current == True) & not_self(SchoolYear, year)  # noqa: E712
    released = list(SchoolYear.select().where(others))
    with db.atomic():
        for other in released:
            records.update_row(actor, other, {"is_current": False}, source=source)
    return released


def _releasing_others(actor, source: str):
    def before_save(year: SchoolYear) -> None:
        year.released_years = release_other_current_years(year, actor, source=source)

    return before_save


def create_school_year(actor, *, source="panel", **fields) -> SchoolYear:
    """Create a school year, checked and audited; marked current, it takes the mark from the other years.

    The years that lost the mark are left on the returned year as `released_years`.
    """
    return records.create_row(
        actor,
        SchoolYear,
        fields,
        validate=validate_school_year,
        before_save=_releasing_others(actor, source),
        source=source,
    )


def update_school_year(actor, year: SchoolYear, *, source="panel", **fields) -> SchoolYear:
    """Change a school year, checked and audited; marked current, it takes the mark from the other years.

    The years that lost the mark are left on the year as `released_years`.
    """
    return records.update_row(
        actor, year, fields, validate=validate_school_year, before_save=_releasing_others(actor, source), source=source
    )


def delete_school_year(actor, year: SchoolYear, *, source="panel") -> None:
    """Delete a school year that nothing refers to, audited."""
    records.delete_row(actor, year, source=source)


def year_containing(day: dt.date) -> SchoolYear | None:
    """Return the school year whose dates contain the day, if any."""
    return SchoolYear.get_or_none((SchoolYear.start_date <= day) & (SchoolYear.end_date >= day))


# --- terms and holidays -----------------------------------------------------------------------


def validate_term(term: Term) -> None:
    """Check a term: a known kind and number, dates in order, inside its year, not overlapping its kind."""
    kinds = dict(TERM_KINDS)
    if term.kind not in kinds:
        raise DomainError("Выберите вид учебного периода: четверть, триместр или полугодие.", "kind")
    limit = TERM_COUNTS[term.kind]
    check_range(term.number, (1, limit), f"Номер периода вида «{kinds[term.kind]}» — от 1 до {limit}.", "number")
    require(term.year_id, "Выберите учебный год.", "year")
    _require_span(
        term.start_date,
        term.end_date,
        allow_same_day=False,
        what="учебного периода",
        end_message="Конец учебного периода должен быть позже его начала.",
    )
    year = term.year
    _inside_year(year, term.start_date, term.end_date, "Учебный период")
    same_kind = (Term.year == year.id) & (Term.kind == term.kind) & not_self(Term, term)
    if Term.select().where(same_kind & (Term.number == term.number)).exists():
        raise DomainError(f"В учебном году {year} уже есть {term}.", "number")
    other = (
        Term.select().where(same_kind & (Term.start_date <= term.end_date) & (Term.end_date >= term.start_date)).first()
    )
    if other is not None:
        raise DomainError(
            f"Даты пересекаются с периодом «{other}» ({format_span(other.start_date, other.end_date)}) "
            f"того же учебного года.",
            "start_date",
        )


def _no_closing(fields: dict) -> dict:
    # A term is closed and reopened by close_term/reopen_term (with their checks and audit), never by a field.
    if "closed" in fields:
        raise TypeError("close and reopen a term with close_term and reopen_term")
    return fields


def create_term(actor, *, source="panel", **fields) -> Term:
    """Create a term (open), checked and audited."""
    return records.create_row(actor, Term, _no_closing(fields), validate=validate_term, source=source)


def update_term(actor, term: Term, *, source="panel", **fields) -> Term:
    """Change a term's kind, number, year or dates, checked and audited."""
    return records.update_row(actor, term, _no_closing(fields), validate=validate_term, source=source)


def delete_term(actor, term: Term, *, source="panel") -> None:
    """Delete a term that no lesson refers to, audited."""
    records.delete_row(actor, term, source=source)


# --- closing a term ---------------------------------------------------------------------------

# Who closes and reopens a term: the deputy who checks the journal, or the school's administrator.
TERM_CLOSE_PERMISSIONS = (Perm.JOURNAL_CHECK, Perm.SCHOOL_MANAGE)
REOPEN_REASON_MAX = 500


@dataclass
class ClassGap:
    """What one class still lacks in a term."""

    class_group: ClassGroup
    not_held: int = 0
    no_topic: int = 0
    unexcused: int = 0

    @property
    def total(self) -> int:
        return self.not_held + self.no_topic + self.unexcused


@dataclass
class TermSummary:
    """What is still unfilled in a term's journal, computed with a few grouped queries."""

    term: Term
    today: dt.date
    lessons: int = 0
    not_held: int = 0
    upcoming: int = 0
    no_topic: int = 0
    unexcused: int = 0
    orphaned: int = 0
    classes: list[ClassGap] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.term.end_date < self.today

    @property
    def complete(self) -> bool:
        return not (self.not_held or self.upcoming or self.no_topic or self.unexcused or self.orphaned)

    def lines(self) -> list[str]:
        """Return the summary as the sentences shown before the confirmation and kept in the audit."""
        found = []
        if not self.ended:
            found.append(f"период ещё не закончился (последний день — {format_date(self.term.end_date)})")
        if self.upcoming:
            found.append(f"уроков ещё впереди: {self.upcoming}")
        if self.not_held:
            found.append(f"прошедших уроков не отмечено проведёнными: {self.not_held}")
        if self.no_topic:
            found.append(f"проведённых уроков без темы: {self.no_topic}")
        if self.unexcused:
            found.append(f"пропусков без уважительной причины: {self.unexcused}")
        if self.orphaned:
            found.append(f"уроков вне расписания с данными: {self.orphaned}")
        return found


def may_close_terms(staff) -> bool:
    """Answer whether the staff member closes and reopens terms."""
    return access.can_any(staff, TERM_CLOSE_PERMISSIONS)


def get_term(term_id) -> Term:
    """Return a term by id, or refuse with NotFound."""
    number = parse_id(term_id)
    term = Term.get_or_none(Term.id == number) if number is not None else None
    if term is None:
        raise NotFound("Учебный период не найден.")
    return term


def _one_if(condition):
    return Case(None, [(condition, 1)], 0)


def term_summary(term: Term, today: dt.date) -> TermSummary:
    """Count what the term's journal still lacks, overall and by class, in a fixed number of queries."""
    summary = TermSummary(term=term, today=today)
    in_term = Lesson.term == term.id
    past = Lesson.date <= today
    blank_topic = Lesson.topic.is_null() | (fn.TRIM(Lesson.topic) == "")
    by_class: dict[int, ClassGap] = {}
    groups = {g.id: g for g in ClassGroup.select().where(ClassGroup.year == term.year_id)}

    def gap(class_id) -> ClassGap:
        return by_class.setdefault(class_id, ClassGap(groups.get(class_id) or ClassGroup.get_by_id(class_id)))

    counts = (
        Lesson.select(
            Lesson.class_group,
            fn.COUNT(Lesson.id),
            fn.SUM(_one_if((Lesson.held == False) & past)),  # noqa: E712
            fn.SUM(_one_if((Lesson.held == True) & blank_topic)),  # noqa: E712
            fn.SUM(_one_if(Lesson.date > today)),
            fn.SUM(_one_if(Lesson.orphaned == True)),  # noqa: E712
        )
        .where(in_term)
        .group_by(Lesson.class_group)
        .tuples()
    )
    for class_id, total, not_held, no_topic, upcoming, orphaned in counts:
        summary.lessons += total
        summary.not_held += not_held or 0
        summary.no_topic += no_topic or 0
        summary.upcoming += upcoming or 0
        summary.orphaned += orphaned or 0
        if not_held or no_topic:
            item = gap(class_id)
            item.not_held, item.no_topic = not_held or 0, no_topic or 0
    absences = (
        Absence.select(Lesson.class_group, fn.COUNT(Absence.id))
        .join(Lesson)
        .where(in_term & (Absence.reason == "unexcused"))
        .group_by(Lesson.class_group)
        .tuples()
    )
    for class_id, count in absences:
        summary.unexcused += count
        gap(class_id).unexcused = count
    summary.classes = sorted(
        (g for g in by_class.values() if g.total), key=lambda g: (g.class_group.grade, g.class_group.letter)
    )
    return summary


def close_term(actor, term_id, *, today: dt.date, confirmed: bool) -> Term:
    """Close a term after the person has seen what is unfilled and confirmed it; audited with that summary."""
    if not may_close_terms(actor):
        raise AccessDenied("Закрывать учебные периоды может заместитель директора или администратор.")
    term = get_term(term_id)
    if term.closed:
        raise DomainError(f"Период «{term}» уже закрыт.")
    if not confirmed:
        raise DomainError("Отметьте, что вы ознакомились с тем, что не заполнено, и подтверждаете закрытие.", "confirm")
    summary = term_summary(term, today)
    before = term.snapshot()
    with db.atomic():
        term.closed = True
        term.save()
        left = "; ".join(summary.lines()) or "всё заполнено"
        audit.record(
            actor,
            "update",
            term,
            before=before,
            after=term.snapshot(),
            object_repr=f"Закрытие периода «{term}» {term.year}: {left}",
        )
    return term


def reopen_term(actor, term_id, *, reason) -> Term:
    """Reopen a closed term for corrections, with the reason kept in the audit."""
    if not may_close_terms(actor):
        raise AccessDenied("Открывать учебные периоды может заместитель директора или администратор.")
    term = get_term(term_id)
    if not term.closed:
        raise DomainError(f"Период «{term}» не закрыт.")
    text = (reason if isinstance(reason, str) else "").strip()
    if not text:
        raise DomainError("Укажите, зачем период открывается снова: это попадёт в журнал изменений.", "reason")
    if len(text) > REOPEN_REASON_MAX:
        raise DomainError(f"Причина: не больше {REOPEN_REASON_MAX} символов.", "reason")
    before = term.snapshot()
    with db.atomic():
        term.closed = False
        term.save()
        audit.record(
            actor,
            "update",
            term,
            before=before,
            after=term.snapshot(),
            object_repr=f"Период «{term}» {term.year} открыт снова: {text}",
        )
    return term


def validate_holiday(holiday: Holiday) -> None:
    """Check a holiday: a name, dates in order, inside its school year."""
    holiday.name = require(holiday.name, "Укажите название каникул или праздника.", "name").strip()
    require(holiday.year_id, "Выберите учебный год.", "year")
    _require_span(
        holiday.start_date,
        holiday.end_date,
        allow_same_day=True,
        what="каникул",
        end_message="Конец каникул не может быть раньше их начала.",
    )
    _inside_year(holiday.year, holiday.start_date, holiday.end_date, "Период каникул")


def create_holiday(actor, *, source="panel", **fields) -> Holiday:
    """Create a holiday, checked and audited."""
    return records.create_row(actor, Holiday, fields, validate=validate_holiday, source=source)


def update_holiday(actor, holiday: Holiday, *, source="panel", **fields) -> Holiday:
    """Change a holiday, checked and audited."""
    return records.update_row(actor, holiday, fields, validate=validate_holiday, source=source)


def delete_holiday(actor, holiday: Holiday, *, source="panel") -> None:
    """Delete a holiday, audited."""
    records.delete_row(actor, holiday, source=source)


# --- classes and subjects ----------------------------------------------------------


def validate_class_group(group: ClassGroup) -> None:
    """Check a class: grade 1–11, one Cyrillic capital letter, unique in its year, an active class teacher."""
    check_range(group.grade, GRADES, "Параллель — число от 1 до 11.", "grade")
    group.letter = (group.letter or "").strip().upper()
    if not CLASS_LETTER_RE.match(group.letter):
        raise DomainError("Буква класса — одна заглавная русская буква, например А.", "letter")
    require(group.year_id, "Выберите учебный год.", "year")
    taken = ClassGroup.select().where(
        (ClassGroup.year == group.year_id)
        & (ClassGroup.grade == group.grade)
        & (ClassGroup.letter == group.letter)
        & not_self(ClassGroup, group)
    )
    if taken.exists():
        raise DomainError(f"Класс {group} в учебном году {group.year} уже есть.", "letter")
    if group.class_teacher_id is not None:
        teacher = Staff.get_by_id(group.class_teacher_id)
        if not teacher.active:
            raise DomainError(
                f"Классным руководителем может быть только действующий сотрудник, а «{teacher}» заблокирован(а).",
                "class_teacher",
            )
    if group.get_id() is not None:
        old_year = ClassGroup.select(ClassGroup.year).where(ClassGroup.id == group.id).scalar()
        if old_year != group.year_id and _class_has_contents(group):
            raise DomainError(
                f"Нельзя перенести класс {group} в другой учебный год: у него уже есть ученики, "
                "учебная нагрузка, расписание или уроки. Заведите новый класс в нужном году.",
                "year",
            )


def _class_has_contents(group: ClassGroup) -> bool:
    return any(
        model.select().where(model.class_group == group.id).exists()
        for model in (Enrollment, TeachingAssignment, TimetableSlot, Lesson)
    )


def create_class_group(actor, *, source="panel", **fields) -> ClassGroup:
    """Create a class, checked and audited."""
    return records.create_row(actor, ClassGroup, fields, validate=validate_class_group, source=source)


def update_class_group(actor, group: ClassGroup, *, source="panel", **fields) -> ClassGroup:
    """Change a class, checked and audited."""
    return records.update_row(actor, group, fields, validate=validate_class_group, source=source)


def delete_class_group(actor, group: ClassGroup, *, source="panel") -> None:
    """Delete a class that has no students, load, timetable or lessons, audited."""
    records.delete_row(actor, group, source=source)


def validate_subject(subject: Subject) -> None:
    """Check a subject: a name not used by another subject (ignoring case)."""
    subject.name = require(subject.name, "Укажите название предмета.", "name").strip()
    subject.short_name = (subject.short_name or "").strip() or None
    # Compared in Python: SQLite's lower() folds only Latin letters, and a school has few subjects.
    wanted = subject.name.casefold()
    for other in Subject.select(Subject.id, Subject.name).where(not_self(Subject, subject)):
        if other.name.casefold() == wanted:
            raise DomainError(f"Предмет «{other.name}» уже есть.", "name")


def create_subject(actor, *, source="panel", **fields) -> Subject:
    """Create a subject, checked and audited."""
    return records.create_row(actor, Subject, fields, validate=validate_subject, source=source)


def update_subject(actor, subject: Subject, *, source="panel", **fields) -> Subject:
    """Change a subject, checked and audited."""
    return records.update_row(actor, subject, fields, validate=validate_subject, source=source)


def delete_subject(actor, subject: Subject, *, source="panel") -> None:
    """Delete a subject that nothing refers to, audited."""
    records.delete_row(actor, subject, source=source)


# --- teaching assignments ---------------------------------------------------------------------


def _slots_of_assignment(teacher_id, class_id, subject_id):
    return TimetableSlot.select().where(
        (TimetableSlot.teacher == teacher_id)
        & (TimetableSlot.class_group == class_id)
        & (TimetableSlot.subject == subject_id)
    )


def validate_assignment(assignment: TeachingAssignment) -> None:
    """Check a teaching assignment: the class is of the assignment's year, an active teacher, no duplicate."""
    require(assignment.year_id, "Выберите учебный год.", "year")
    require(assignment.class_group_id, "Выберите класс.", "class_group")
    require(assignment.subject_id, "Выберите предмет.", "subject")
    require(assignment.teacher_id, "Выберите учителя.", "teacher")
    group = assignment.class_group
    if group.year_id != assignment.year_id:
        raise DomainError(
            f"Класс {group} относится к учебному году {group.year}, а нагрузка — к {assignment.year}. "
            "Выберите класс этого учебного года.",
            "class_group",
        )
    old = TeachingAssignment.get_or_none(TeachingAssignment.id == assignment.get_id()) if assignment.get_id() else None
    teacher = assignment.teacher
    if not teacher.active and (old is None or old.teacher_id != teacher.id):
        raise DomainError(
            f"Учебную нагрузку можно дать только действующему сотруднику, а «{teacher}» заблокирован(а).", "teacher"
        )
    duplicate = TeachingAssignment.select().where(
        (TeachingAssignment.teacher == assignment.teacher_id)
        & (TeachingAssignment.class_group == assignment.class_group_id)
        & (TeachingAssignment.subject == assignment.subject_id)
        & not_self(TeachingAssignment, assignment)
    )
    if duplicate.exists():
        raise DomainError(
            f"Такая нагрузка уже есть: {staff_label(teacher)} ведёт «{assignment.subject}» в классе {group}.",
            "subject",
        )
    if old is not None:
        triple = (assignment.teacher_id, assignment.class_group_id, assignment.subject_id)
        if (old.teacher_id, old.class_group_id, old.subject_id) != triple:
            _refuse_if_scheduled(old, "Нельзя изменить учителя, класс или предмет нагрузки")


def _refuse_if_scheduled(assignment: TeachingAssignment, opening: str) -> None:
    slots = _slots_of_assignment(assignment.teacher_id, assignment.class_group_id, assignment.subject_id)
    count = slots.count()
    if count:
        raise DomainError(
            f"{opening} «{assignment}»: по ней составлено расписание — уроков в неделю: {count}. "
            "Сначала измените или удалите эти уроки в разделе «Расписание»."
        )


def check_assignment_deletable(assignment: TeachingAssignment) -> None:
    """Refuse to delete a teaching assignment that the timetable still uses."""
    _refuse_if_scheduled(assignment, "Нельзя удалить нагрузку")


def create_assignment(actor, *, source="panel", **fields) -> TeachingAssignment:
    """Create a teaching assignment, checked and audited."""
    return records.create_row(actor, TeachingAssignment, fields, validate=validate_assignment, source=source)


def update_assignment(actor, assignment: TeachingAssignment, *, source="panel", **fields) -> TeachingAssignment:
    """Change a teaching assignment, checked and audited."""
    return records.update_row(actor, assignment, fields, validate=validate_assignment, source=source)


def delete_assignment(actor, assignment: TeachingAssignment, *, source="panel") -> None:
    """Delete a teaching assignment the timetable does not use, audited."""
    records.delete_row(actor, assignment, check=check_assignment_deletable, source=source)


# --- timetable ----------------------------------------------------------------------------------


def validate_slot(slot: TimetableSlot) -> None:
    """Check a timetable slot: ranges, dates inside the class's year, a teaching assignment, no clashes."""
    require(slot.class_group_id, "Выберите класс.", "class_group")
    require(slot.subject_id, "Выберите предмет.", "subject")
    require(slot.teacher_id, "Выберите учителя.", "teacher")
    if slot.weekday not in dict(WEEKDAYS):
        raise DomainError("День недели — от понедельника до субботы.", "weekday")
    check_range(slot.lesson_number, LESSON_NUMBERS, "Номер урока — от 1 до 10.", "lesson_number")
    require(slot.valid_from, "Укажите, с какого дня действует урок расписания.", "valid_from")
    require(slot.valid_to, "Укажите, по какой день действует урок расписания.", "valid_to")
    if slot.valid_to < slot.valid_from:
        raise DomainError("Дата окончания действия не может быть раньше даты начала.", "valid_to")
    group = slot.class_group
    year = group.year
    if not (year.contains(slot.valid_from) and year.contains(slot.valid_to)):
        raise DomainError(
            f"Даты действия урока должны лежать внутри учебного года {year} класса {group} "
            f"({format_span(year.start_date, year.end_date)}).",
            "valid_from",
        )
    teacher = slot.teacher
    if not teacher.active:
        raise DomainError(f"Сотрудник «{teacher}» заблокирован(а): выберите действующего учителя.", "teacher")
    assigned = TeachingAssignment.select().where(
        (TeachingAssignment.teacher == slot.teacher_id)
        & (TeachingAssignment.class_group == slot.class_group_id)
        & (TeachingAssignment.subject == slot.subject_id)
    )
    if not assigned.exists():
        raise DomainError(
            f"У учителя {staff_label(teacher)} нет учебной нагрузки по предмету «{slot.subject}» в классе {group}. "
            "Сначала добавьте её в разделе «Учебная нагрузка».",
            "teacher",
        )
    same_time = (
        (TimetableSlot.weekday == slot.weekday)
        & (TimetableSlot.lesson_number == slot.lesson_number)
        & (TimetableSlot.valid_from <= slot.valid_to)
        & (TimetableSlot.valid_to >= slot.valid_from)
        & not_self(TimetableSlot, slot)
    )
    clash = TimetableSlot.select().where(same_time & (TimetableSlot.class_group == slot.class_group_id)).first()
    if clash is not None:
        raise DomainError(f"У класса {group} в это время уже есть урок: {slot_label(clash)}.", "lesson_number")
    busy = TimetableSlot.select().where(same_time & (TimetableSlot.teacher == slot.teacher_id)).first()
    if busy is not None:
        raise DomainError(
            f"Учитель {staff_label(teacher)} в это время уже ведёт урок в классе {busy.class_group}: "
            f"{slot_label(busy)}.",
            "teacher",
        )


def create_slot(actor, *, source="panel", **fields) -> TimetableSlot:
    """Create a timetable slot, checked and audited."""
    return records.create_row(actor, TimetableSlot, fields, validate=validate_slot, source=source)


def update_slot(actor, slot: TimetableSlot, *, source="panel", **fields) -> TimetableSlot:
    """Change a timetable slot, checked and audited."""
    return records.update_row(actor, slot, fields, validate=validate_slot, source=source)


def delete_slot(actor, slot: TimetableSlot, *, source="panel") -> None:
    """Delete a timetable slot, audited."""
    records.delete_row(actor, slot, source=source)
