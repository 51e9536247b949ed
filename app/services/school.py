"""Rules of the school's structure: settings, years, terms, holidays, classes, subjects; closing a term.

Each `validate_*` function checks one record before it is saved and raises DomainError with a
Russian message (and the offending field) to refuse it; it writes nothing. Every write goes
through the `create_*`, `update_*` and `delete_*` functions of each section, which the panel,
the CLI and imports share (app/services/records.py): one transaction, the section's rules, an
audit entry, no cascading delete. Marking a year as current takes the mark off the previous
current year in the same transaction; a class comes and goes with its whole-class study group.
Study groups, journals, the teaching load and the timetable are app/services/groups.py.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from peewee import Case, fn

from app.db import db
from app.formats import format_date, format_span
from app.ids import parse_id
from app.models import (
    Absence,
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Holiday,
    HomeworkExpectation,
    Journal,
    Lesson,
    SchoolSettings,
    SchoolYear,
    Staff,
    StudyGroup,
    Subject,
    Term,
    TimetableSlot,
)
from app.models.school import TERM_KINDS
from app.permissions import Perm
from app.services import access, audit, groups, records
from app.services.errors import AccessDenied, DomainError, NotFound

YEAR_NAME_RE = re.compile(r"^(\d{4})/(\d{4})$")
CLASS_LETTER_RE = re.compile(r"^[А-ЯЁ]$")
SCHOOL_CODE_RE = re.compile(r"^[0-9A-Za-zА-Яа-яЁё_-]{0,32}$")
GRADES = (1, 11)
MARK_EDIT_DAYS = (0, 365)
ABSENCE_REASON_DAYS = (1, 60)
MIN_MARKS = (0, 20)
ROUND_FROM = (1, 99)
BACKUP_KEEP_DAYS = (1, 3650)
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
    settings.half_year_grades = grade_list(
        settings.half_year_grades,
        "Параллели, аттестуемые по полугодиям: номера от 1 до 11 через запятую, например «10, 11».",
        "half_year_grades",
    )
    check_range(
        settings.absence_reason_days,
        ABSENCE_REASON_DAYS,
        "Срок указания причины пропуска — от 1 до 60 дней.",
        "absence_reason_days",
    )
    check_range(
        settings.min_marks,
        MIN_MARKS,
        "Наименьшее число отметок за период — от 0 (не проверять) до 20.",
        "min_marks",
    )
    check_range(
        settings.round_from,
        ROUND_FROM,
        "Правило округления — с какой доли балла (в сотых) округлять вверх: от 1 до 99, например 60.",
        "round_from",
    )
    check_range(
        settings.backup_keep_days,
        BACKUP_KEEP_DAYS,
        "Срок хранения резервных копий — от 1 до 3650 дней.",
        "backup_keep_days",
    )


_GRADE_PART = re.compile(r"^(\d{1,2})(?:\s*[-–—]\s*(\d{1,2}))?$", re.ASCII)


def grades_in(text) -> set[int]:
    """Return the grades a stored list names: "10, 11" or "5–9, 11" (a range includes both ends)."""
    found = set()
    for part in str(text or "").replace(";", ",").split(","):
        match = _GRADE_PART.match(part.strip())
        if match:
            first = int(match[1])
            found.update(range(first, int(match[2] or first) + 1))
    return found


def grade_list(value, message: str, field: str) -> str:
    """Normalise a list of grades such as "5-9,11" to "5–9, 11", refusing anything but grades 1–11 with `message`."""
    grades = set()
    for part in str(value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        match = _GRADE_PART.match(part)
        first, last = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
        if not (GRADES[0] <= first <= last <= GRADES[1]):
            raise DomainError(message, field)
        grades.update(range(first, last + 1))
    runs: list[list[int]] = []
    for grade in sorted(grades):
        if runs and grade == runs[-1][1] + 1:
            runs[-1][1] = grade
        else:
            runs.append([grade, grade])
    # Three grades or more in a row read as a range; two as a pair ("10, 11").
    parts = []
    for first, last in runs:
        if last - first >= 2:
            parts.append(f"{first}–{last}")
        else:
            parts.extend(str(grade) for grade in range(first, last + 1))
    return ", ".join(parts)


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
    """Refuse new dates of a year that would leave its terms, holidays, timetable, members or lessons outside."""
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
    outside = _first_outside_year(year)
    if outside is not None:
        raise DomainError(f"{outside} вне дат года {span}.", "start_date")


def _first_outside_year(year: SchoolYear) -> str | None:
    """Say which timetable slot, enrollment, group membership or lesson of the year would fall outside its new dates."""
    start, end = year.start_date, year.end_date
    journals = Journal.select(Journal.id).where(Journal.year == year.id)
    slot = (
        TimetableSlot.select()
        .where(
            TimetableSlot.journal.in_(journals) & ((TimetableSlot.valid_from < start) | (TimetableSlot.valid_to > end))
        )
        .first()
    )
    if slot is not None:
        return f"Урок расписания «{groups.slot_label(slot)}» оказался бы"
    classes = ClassGroup.select(ClassGroup.id).where(ClassGroup.year == year.id)
    enrollment = (
        Enrollment.select()
        .where(Enrollment.class_group.in_(classes) & ((Enrollment.start_date < start) | (Enrollment.end_date > end)))
        .first()
    )
    if enrollment is not None:
        return f"Зачисление «{enrollment}» оказалось бы"
    year_groups = StudyGroup.select(StudyGroup.id).where(StudyGroup.year == year.id)
    membership = (
        GroupMembership.select()
        .where(
            GroupMembership.group.in_(year_groups)
            & ((GroupMembership.start_date < start) | (GroupMembership.end_date > end))
        )
        .first()
    )
    if membership is not None:
        return f"Членство в группе «{membership}» оказалось бы"
    lesson = Lesson.select().where(Lesson.journal.in_(journals) & ((Lesson.date < start) | (Lesson.date > end))).first()
    if lesson is not None:
        return f"Урок «{lesson}» оказался бы"
    return None


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
    if term.get_id() is not None:
        old = Term.get_by_id(term.id)
        used = (
            Lesson.select().where(Lesson.term == term.id).exists()
            or FinalMark.select().where(FinalMark.term == term.id).exists()
        )
        if (old.year_id, old.kind) != (term.year_id, term.kind) and used:
            raise DomainError(
                f"Нельзя сменить учебный год или вид периода «{old}»: к нему уже относятся уроки или итоговые отметки.",
                "kind",
            )
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
    """What one class, or one group outside every class, still lacks in a term.

    `class_group` is what the term-close page names in its «Класс» column: the class, for the
    lessons of its whole-class and subgroup journals; the study group itself, for a cross-class
    or individual group's lessons (listed under the group's name).
    """

    class_group: ClassGroup | StudyGroup
    not_held: int = 0
    no_topic: int = 0
    no_reason: int = 0

    @property
    def total(self) -> int:
        return self.not_held + self.no_topic + self.no_reason

    @property
    def name(self) -> str:
        return str(self.class_group)

    @property
    def is_class(self) -> bool:
        return isinstance(self.class_group, ClassGroup)

    def sort_key(self) -> tuple:
        """Classes by grade and letter; a group outside classes after the classes of its grade (multi-grade last)."""
        row = self.class_group
        if self.is_class:
            return (row.grade, 0, row.letter)
        return (row.grade or 99, 1, row.name)


@dataclass
class TermSummary:
    """What is still unfilled in a term's journal, computed with a few grouped queries."""

    term: Term
    today: dt.date
    lessons: int = 0
    not_held: int = 0
    upcoming: int = 0
    no_topic: int = 0
    no_reason: int = 0
    orphaned: int = 0
    classes: list[ClassGap] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.term.end_date < self.today

    @property
    def complete(self) -> bool:
        return not (self.not_held or self.upcoming or self.no_topic or self.no_reason or self.orphaned)

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
        if self.no_reason:
            found.append(f"пропусков «н», причина которых не указана: {self.no_reason}")
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
    """Count what the term's journal still lacks, overall and by class, in a fixed number of queries.

    A lesson counts for the class of its journal's group (a whole class or its subgroup); the
    lessons of a cross-class or individual group count under that group's name.
    """
    summary = TermSummary(term=term, today=today)
    in_term = Lesson.term == term.id
    past = Lesson.date <= today
    blank_topic = Lesson.topic.is_null() | (fn.TRIM(Lesson.topic) == "")
    counts = list(
        Lesson.select(
            Journal.group,
            fn.COUNT(Lesson.id),
            fn.SUM(_one_if((Lesson.held == False) & (Lesson.cancelled == False) & past)),  # noqa: E712
            fn.SUM(_one_if((Lesson.held == True) & blank_topic)),  # noqa: E712
            fn.SUM(_one_if(Lesson.date > today)),
            fn.SUM(_one_if(Lesson.orphaned == True)),  # noqa: E712
        )
        .join(Journal)
        .where(in_term)
        .group_by(Journal.group)
        .tuples()
    )
    absences = list(
        Absence.select(Journal.group, fn.COUNT(Absence.id))
        .join(Lesson)
        .join(Journal)
        .where(in_term & (Absence.reason == "unknown"))
        .group_by(Journal.group)
        .tuples()
    )
    gap = _Gaps({row[0] for row in counts} | {row[0] for row in absences})
    for group_id, total, not_held, no_topic, upcoming, orphaned in counts:
        summary.lessons += total
        summary.not_held += not_held or 0
        summary.no_topic += no_topic or 0
        summary.upcoming += upcoming or 0
        summary.orphaned += orphaned or 0
        item = gap(group_id)
        item.not_held += not_held or 0
        item.no_topic += no_topic or 0
    for group_id, count in absences:
        summary.no_reason += count
        gap(group_id).no_reason += count
    summary.classes = sorted((g for g in gap.found.values() if g.total), key=ClassGap.sort_key)
    return summary


class _Gaps:
    """The ClassGap each lesson counts in, by its journal's group: its class's, or the group's own."""

    def __init__(self, group_ids: set):
        self.groups = {g.id: g for g in StudyGroup.select().where(StudyGroup.id.in_(list(group_ids) or [0]))}
        class_ids = {g.class_group_id for g in self.groups.values() if g.class_group_id}
        self.classes = {c.id: c for c in ClassGroup.select().where(ClassGroup.id.in_(list(class_ids) or [0]))}
        self.found: dict[tuple, ClassGap] = {}

    def __call__(self, group_id) -> ClassGap:
        group = self.groups[group_id]
        if group.class_group_id:
            key, row = ("class", group.class_group_id), self.classes[group.class_group_id]
        else:
            key, row = ("group", group.id), group
        return self.found.setdefault(key, ClassGap(row))


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
    taken_name = groups.class_group_name_taken(group)
    if taken_name is not None:
        raise DomainError(
            f"Группа «{taken_name}» в этом учебном году уже есть: переименуйте её в разделе «Группы», "
            f"прежде чем заводить класс {group}.",
            "letter",
        )
    if group.get_id() is not None:
        old_year = ClassGroup.select(ClassGroup.year).where(ClassGroup.id == group.id).scalar()
        if old_year != group.year_id and _class_has_contents(group):
            raise DomainError(
                f"Нельзя перенести класс {group} в другой учебный год: у него уже есть ученики, "
                "группы с составом, журналы или уроки. Заведите новый класс в нужном году.",
                "year",
            )


def _class_has_contents(group: ClassGroup) -> bool:
    """Answer whether the class has students, or groups with members or journals (load, timetable, lessons)."""
    own_groups = StudyGroup.select(StudyGroup.id).where(StudyGroup.class_group == group.id)
    return (
        Enrollment.select().where(Enrollment.class_group == group.id).exists()
        or GroupMembership.select().where(GroupMembership.group.in_(own_groups)).exists()
        or Journal.select().where(Journal.group.in_(own_groups)).exists()
    )


def create_class_group(actor, *, source="panel", **fields) -> ClassGroup:
    """Create a class and its whole-class study group in one transaction, checked and audited."""
    with db.atomic():
        group = records.create_row(actor, ClassGroup, fields, validate=validate_class_group, source=source)
        groups.whole_class_group(group, actor, source=source)
    return group


def update_class_group(actor, group: ClassGroup, *, source="panel", **fields) -> ClassGroup:
    """Change a class, checked and audited; its groups follow its new name, grade and year in the same transaction."""
    old_name = str(group)

    def follow(row: ClassGroup) -> None:
        groups.rename_class_groups(actor, row, old_name, source=source)

    return records.update_row(actor, group, fields, validate=validate_class_group, before_save=follow, source=source)


def delete_class_group(actor, group: ClassGroup, *, source="panel") -> None:
    """Delete a class that has no students, groups or journals, with its empty whole-class group; audited."""
    with db.atomic():
        groups.drop_whole_class_group(actor, group, source=source)
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


def validate_homework_expectation(expectation: HomeworkExpectation) -> None:
    """Check an expectation of homework: a subject listed once, and grades 1–11 ("5–9, 11")."""
    if not expectation.subject_id:
        raise DomainError("Выберите предмет.", "subject")
    expectation.grades = grade_list(
        expectation.grades,
        "Параллели: номера от 1 до 11 через запятую или диапазоном, например «5–9, 11».",
        "grades",
    )
    if not expectation.grades:
        raise DomainError("Укажите параллели, где по предмету задают домашнее задание, например «5–11».", "grades")
    taken = HomeworkExpectation.select().where(
        (HomeworkExpectation.subject == expectation.subject_id) & not_self(HomeworkExpectation, expectation)
    )
    if taken.exists():
        raise DomainError("Для этого предмета параллели уже указаны: измените ту запись.", "subject")


def create_homework_expectation(actor, *, source="panel", **fields) -> HomeworkExpectation:
    """Say in which grades a subject's lessons set homework, checked and audited."""
    return records.create_row(actor, HomeworkExpectation, fields, validate=validate_homework_expectation, source=source)


def update_homework_expectation(actor, expectation, *, source="panel", **fields) -> HomeworkExpectation:
    """Change the grades of an expectation of homework, checked and audited."""
    return records.update_row(actor, expectation, fields, validate=validate_homework_expectation, source=source)


def delete_homework_expectation(actor, expectation, *, source="panel") -> None:
    """Stop expecting homework in a subject, audited."""
    records.delete_row(actor, expectation, source=source)


def may_manage_homework_expectations(staff) -> bool:
    """The administrator and the deputy who checks the journal keep the list of expected homework."""
    return access.can_any(staff, (Perm.SCHOOL_MANAGE, Perm.JOURNAL_CHECK))


def create_subject(actor, *, source="panel", **fields) -> Subject:
    """Create a subject, checked and audited."""
    return records.create_row(actor, Subject, fields, validate=validate_subject, source=source)


def update_subject(actor, subject: Subject, *, source="panel", **fields) -> Subject:
    """Change a subject, checked and audited."""
    return records.update_row(actor, subject, fields, validate=validate_subject, source=source)


def delete_subject(actor, subject: Subject, *, source="panel") -> None:
    """Delete a subject that nothing refers to, audited."""
    records.delete_row(actor, subject, source=source)
