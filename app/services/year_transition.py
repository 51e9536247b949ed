"""The transfer to a new school year («перевод учебного года», R5.3): propose, preview, apply.

The administrator gives the new year's dates and periods (the proposal copies the current
year's, shifted by a year), then sees what every class becomes: 5А → 6А, the top grade (11)
graduates, a student marked to repeat stays in the grade, one marked as leaving (after the 9th
grade, say) leaves, those who left during the year are not carried, new first grades come empty
(as many letters as this year's first grade). Subgroups are carried with their members, re-split
empty or dropped; the teaching load (journals and their teachers), the class teachers and the
timetable are carried or left out. `preview` says exactly what `apply` will write; `apply` takes a
backup, writes everything in one transaction, makes the new year current and asks for the full
export the regulation wants after a transfer. A second run towards the same year changes nothing.

The old year stays whole: its classes, enrollments, journals, lessons and finals are not touched
(only the enrollments of those who leave are closed on the year's last day), and once a later
year is current, access treats it as read-only (`access.year_is_past`).
"""

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, fn

from app.clock import to_stored
from app.db import write_atomic
from app.formats import format_date, format_span
from app.models import (
    ClassGroup,
    Enrollment,
    ExportRun,
    FinalMark,
    GroupMembership,
    Holiday,
    Journal,
    Lesson,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    TeachingAssignment,
    Term,
    TimetableSlot,
    YearTransition,
)
from app.models.school import TERM_KINDS
from app.permissions import Perm
from app.services import access, audit, backups, groups, records, school
from app.services.errors import AccessDenied, DomainError
from app.services.exports import claim
from app.services.school import CLASS_LETTER_RE, GRADES, YEAR_NAME_RE

# The top grade: its classes finish school at the end of the year (a student may still repeat it).
TOP_GRADE = GRADES[1]
STUDENT_CHOICES = (
    ("promote", "переводится"),
    ("repeat", "остаётся на повторное обучение"),
    ("leave", "выбывает"),
)
GROUP_CHOICES = (
    ("carry", "перенести с составом"),
    ("resplit", "разделить заново (группы пустые)"),
    ("none", "не переносить"),
)
TERM_KIND_LABELS = dict(TERM_KINDS)


def may_transfer(staff) -> bool:
    """The administrator transfers the school to a new year (year.transition)."""
    return bool(staff) and access.can(staff, Perm.YEAR_TRANSITION)


def _ensure_may(actor) -> None:
    if actor is not None and not may_transfer(actor):
        raise AccessDenied("Перевод учебного года выполняет администратор.")


# --- step 1: the new year's dates and periods -------------------------------------------------


@dataclass
class TermPlan:
    kind: str
    number: int
    start_date: dt.date
    end_date: dt.date

    @property
    def label(self) -> str:
        return f"{self.number} {TERM_KIND_LABELS.get(self.kind, self.kind)}"


@dataclass
class HolidayPlan:
    name: str
    start_date: dt.date
    end_date: dt.date


@dataclass
class YearPlan:
    """The new year as the administrator sets it: name, dates, periods, holidays."""

    name: str
    start_date: dt.date
    end_date: dt.date
    terms: list[TermPlan] = field(default_factory=list)
    holidays: list[HolidayPlan] = field(default_factory=list)


@dataclass
class Choices:
    """The preview's choices: per class its new letter (empty: not continued), per student promote/repeat/leave."""

    letters: dict[int, str] = field(default_factory=dict)
    students: dict[int, str] = field(default_factory=dict)
    groups: str = "carry"
    load: bool = True
    class_teachers: bool = True
    timetable: bool = True
    # Apply despite the warnings (open periods, missing year marks).
    confirmed: bool = False


def _shift(day: dt.date) -> dt.date:
    """The same day of the month a year later (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def next_year_name(year: SchoolYear) -> str:
    """2026/2027 → 2027/2028."""
    match = YEAR_NAME_RE.match(year.name or "")
    first = int(match[1]) + 1 if match else year.start_date.year + 1
    return f"{first}/{first + 1}"


def current_year() -> SchoolYear:
    """Return the current year, refusing when none is marked current (nothing to transfer from)."""
    year = SchoolYear.current()
    if year is None:
        raise DomainError("Не задан текущий учебный год: переводить не из чего.")
    return year


def propose(year: SchoolYear | None = None, name: str | None = None) -> YearPlan:
    """Propose the next year: the current year's dates, periods and holidays shifted by a year."""
    year = year or current_year()
    terms = Term.select().where(Term.year == year.id).order_by(Term.kind, Term.number)
    holidays = Holiday.select().where(Holiday.year == year.id).order_by(Holiday.start_date)
    return YearPlan(
        name=name or next_year_name(year),
        start_date=_shift(year.start_date),
        end_date=_shift(year.end_date),
        terms=[TermPlan(t.kind, t.number, _shift(t.start_date), _shift(t.end_date)) for t in terms],
        holidays=[HolidayPlan(h.name, _shift(h.start_date), _shift(h.end_date)) for h in holidays],
    )


def check_plan(plan: YearPlan, old: SchoolYear) -> None:
    """Refuse dates that overlap the old year, a bad name, periods outside the new year or overlapping each other."""
    if not plan.start_date or not plan.end_date:
        raise DomainError("Укажите даты начала и окончания нового учебного года.", "start_date")
    if plan.start_date <= old.end_date:
        raise DomainError(
            f"Новый учебный год пересекается с учебным годом {old} ({format_span(old.start_date, old.end_date)}): "
            "он должен начинаться после его окончания.",
            "start_date",
        )
    _check_year_name_and_dates(plan)
    if not plan.terms:
        raise DomainError("Укажите учебные периоды нового года (четверти, триместры или полугодия).", "terms")
    seen = set()
    for term in plan.terms:
        if term.kind not in TERM_KIND_LABELS:
            raise DomainError("Вид периода: четверть, триместр или полугодие.", "terms")
        if (term.kind, term.number) in seen:
            raise DomainError(f"Период «{term.label}» указан дважды.", "terms")
        seen.add((term.kind, term.number))
        if not term.start_date or not term.end_date or term.end_date <= term.start_date:
            raise DomainError(f"Период «{term.label}»: окончание должно быть позже начала.", "terms")
        if term.start_date < plan.start_date or term.end_date > plan.end_date:
            raise DomainError(
                f"Период «{term.label}» ({format_span(term.start_date, term.end_date)}) должен лежать внутри "
                f"учебного года {plan.name} ({format_span(plan.start_date, plan.end_date)}).",
                "terms",
            )
    for kind in {t.kind for t in plan.terms}:
        same = sorted((t for t in plan.terms if t.kind == kind), key=lambda t: t.start_date)
        for first, second in zip(same, same[1:], strict=False):
            if second.start_date <= first.end_date:
                raise DomainError(f"Периоды «{first.label}» и «{second.label}» пересекаются.", "terms")
    for holiday in plan.holidays:
        if not holiday.name.strip():
            raise DomainError("Укажите название каникул.", "holidays")
        if holiday.end_date < holiday.start_date:
            raise DomainError(f"Каникулы «{holiday.name}»: окончание раньше начала.", "holidays")
        if holiday.start_date < plan.start_date or holiday.end_date > plan.end_date:
            raise DomainError(f"Каникулы «{holiday.name}» должны лежать внутри учебного года {plan.name}.", "holidays")


def _check_year_name_and_dates(plan: YearPlan) -> None:
    """The year rules of app.services.school (a name like 2027/2028, its dates), and no overlap with another year.

    A year of that name made ahead (empty) is the target itself, not a clash.
    """
    plan.name = (plan.name or "").strip()
    match = YEAR_NAME_RE.match(plan.name)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise DomainError("Название учебного года — два года подряд через косую черту, например 2027/2028.", "name")
    if plan.end_date <= plan.start_date:
        raise DomainError("Конец учебного года должен быть позже его начала.", "end_date")
    if plan.start_date.year != int(match[1]):
        raise DomainError(f"Учебный год {plan.name} должен начинаться в {match[1]} году.", "start_date")
    if (plan.end_date - plan.start_date).days > 366:
        raise DomainError("Учебный год не может длиться больше года.", "end_date")
    other = (
        SchoolYear.select()
        .where(
            (SchoolYear.name != plan.name)
            & (SchoolYear.start_date <= plan.end_date)
            & (SchoolYear.end_date >= plan.start_date)
        )
        .first()
    )
    if other is not None:
        raise DomainError(
            f"Даты пересекаются с учебным годом {other} ({format_span(other.start_date, other.end_date)}).",
            "start_date",
        )


# --- step 2: the preview ------------------------------------------------------------------------


@dataclass
class StudentMove:
    id: int
    name: str
    choice: str
    target: str | None

    @property
    def choice_label(self) -> str:
        if self.choice == "graduate":
            return "выпускается"
        return dict(STUDENT_CHOICES).get(self.choice, self.choice)


@dataclass
class GroupMove:
    name: str
    new_name: str | None
    kind: str
    members: int
    # A cross-class or individual group's own journals and timetable slots carried with it.
    journals: int = 0
    slots: int = 0


@dataclass
class ClassMove:
    """One class of the old year and what it becomes."""

    id: int
    name: str
    grade: int
    letter: str
    new_letter: str
    action: str  # promote, graduate, end (not continued)
    students: list[StudentMove] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    groups: list[GroupMove] = field(default_factory=list)
    journals: int = 0
    slots: int = 0
    class_teacher: str = ""

    @property
    def new_name(self) -> str | None:
        return f"{self.grade + 1}{self.new_letter}" if self.action == "promote" else None

    def count(self, choice: str) -> int:
        return sum(1 for s in self.students if s.choice == choice)


@dataclass
class NewClass:
    name: str
    grade: int
    letter: str
    # Where it comes from: the old class's id, or None for a new first grade / a repeaters' class.
    source_id: int | None
    note: str
    students: int = 0
    existing_id: int | None = None


@dataclass
class Preview:
    old: SchoolYear
    plan: YearPlan
    choices: Choices
    classes: list[ClassMove]
    new_classes: list[NewClass]
    cross_groups: list[GroupMove]
    errors: list[str]
    warnings: list[str]
    target: SchoolYear | None
    done: YearTransition | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict:
        moves = [s for c in self.classes for s in c.students]
        return {
            "classes": len(self.new_classes),
            "promoted": sum(1 for s in moves if s.choice == "promote"),
            "repeating": sum(1 for s in moves if s.choice == "repeat"),
            "graduates": sum(1 for s in moves if s.choice == "graduate"),
            "leaving": sum(1 for s in moves if s.choice == "leave"),
            "left_during_year": sum(len(c.left) for c in self.classes),
            "new_first_grades": sum(1 for n in self.new_classes if n.grade == 1 and n.source_id is None),
            "groups": sum(1 for c in self.classes for g in c.groups if g.new_name)
            + sum(1 for g in self.cross_groups if g.new_name),
            "journals": sum(c.journals for c in [*self.classes, *self.cross_groups]) if self.choices.load else 0,
            "slots": sum(c.slots for c in [*self.classes, *self.cross_groups])
            if self.choices.load and self.choices.timetable
            else 0,
            "terms": len(self.plan.terms),
            "holidays": len(self.plan.holidays),
        }


def _student_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    rows = Student.select(Student.id, Student.last_name, Student.first_name, Student.middle_name).where(
        Student.id.in_(list(ids))
    )
    return {s.id: s.full_name for s in rows}


def _roll(old: SchoolYear):
    """Return ({class id: [student ids on the roll at the year's end]}, {class id: [student ids who left]})."""
    ends = fn.COALESCE(Enrollment.end_date, old.end_date)
    rows = (
        Enrollment.select(Enrollment.class_group, Enrollment.student, ends.alias("ends"))
        .join(ClassGroup, on=(ClassGroup.id == Enrollment.class_group))
        .where(ClassGroup.year == old.id)
        .tuples()
    )
    on_roll: dict[int, set] = defaultdict(set)
    seen: dict[int, set] = defaultdict(set)
    staying = set()
    for class_id, student_id, last in rows:
        if isinstance(last, str):
            last = dt.date.fromisoformat(last[:10])
        seen[class_id].add(student_id)
        if last >= old.end_date:
            on_roll[class_id].add(student_id)
            staying.add(student_id)
    left = {cid: {sid for sid in sids if sid not in staying and sid not in on_roll[cid]} for cid, sids in seen.items()}
    return on_roll, left


def _target_contents(target: SchoolYear | None) -> str | None:
    """Name what a target year already holds that a transfer must not mix into (journal data)."""
    if target is None:
        return None
    journals = Journal.select(Journal.id).where(Journal.year == target.id)
    if Lesson.select().where(Lesson.journal.in_(journals)).exists():
        return "уроки"
    if FinalMark.select().where(FinalMark.year == target.id).exists():
        return "итоговые отметки"
    if journals.exists():
        return "журналы"
    return None


def _export_running(now: dt.datetime) -> bool:
    return claim.held_by_someone(to_stored(now)) or ExportRun.select().where(ExportRun.status == "running").exists()


def preview(actor, plan: YearPlan, choices: Choices | None = None, *, now: dt.datetime) -> Preview:
    """Say what the transfer to `plan` would do: per class, per student, the groups, load and timetable; write nothing.

    `errors` block the transfer; `warnings` (open periods, students without year marks) need
    `choices.confirmed`. A transfer already done towards the plan's year comes back as `done`.
    """
    _ensure_may(actor)
    choices = choices or Choices()
    old = current_year()
    done = (
        YearTransition.select(YearTransition, SchoolYear)
        .join(SchoolYear, on=(SchoolYear.id == YearTransition.to_year))
        .where(SchoolYear.name == (plan.name or "").strip())
        .first()
    )
    if done is not None:
        return Preview(old, plan, choices, [], [], [], [], [], done.to_year, done=done)
    check_plan(plan, old)
    if choices.groups not in dict(GROUP_CHOICES):
        raise DomainError("Группы: перенести, разделить заново или не переносить.", "groups")
    errors: list[str] = []
    warnings: list[str] = []
    target = SchoolYear.get_or_none(SchoolYear.name == plan.name)
    held = _target_contents(target)
    if held is not None:
        errors.append(f"Учебный год {plan.name} уже заведён, и в нём есть {held}: перевод в него невозможен.")
    if _export_running(now):
        errors.append("Идёт выгрузка на портал: дождитесь её окончания и повторите перевод.")

    leader = Staff.alias("leader")
    classes = list(
        ClassGroup.select(ClassGroup, leader)
        .join(leader, JOIN.LEFT_OUTER, on=(ClassGroup.class_teacher == leader.id), attr="class_teacher")
        .where(ClassGroup.year == old.id)
        .order_by(ClassGroup.grade, ClassGroup.letter)
    )
    class_ids = [c.id for c in classes]
    on_roll, left = _roll(old)
    names = _student_names({sid for ids in on_roll.values() for sid in ids} | {s for ids in left.values() for s in ids})
    teachers = {c.id: c.class_teacher.short_name for c in classes if c.class_teacher_id} if classes else {}
    old_groups = list(StudyGroup.select().where(StudyGroup.year == old.id).order_by(StudyGroup.name))
    members = _open_members(old, [g.id for g in old_groups if not g.is_whole_class])
    journals_by_group = dict(
        Journal.select(Journal.group, fn.COUNT(Journal.id))
        .where(Journal.year == old.id)
        .group_by(Journal.group)
        .tuples()
    )
    slots_by_group = dict(
        TimetableSlot.select(Journal.group, fn.COUNT(TimetableSlot.id))
        .join(Journal, on=(Journal.id == TimetableSlot.journal))
        .where((Journal.year == old.id) & (TimetableSlot.valid_to >= _slots_from(old)))
        .group_by(Journal.group)
        .tuples()
    )

    moves: list[ClassMove] = []
    for group in classes:
        raw_letter = choices.letters.get(group.id, group.letter)
        letter = (raw_letter or "").strip().upper()
        action = "graduate" if group.grade >= TOP_GRADE else ("promote" if letter else "end")
        if action == "promote" and not CLASS_LETTER_RE.match(letter):
            errors.append(f"Класс {group}: новая буква класса — одна заглавная русская буква.")
            letter = group.letter
        move = ClassMove(
            group.id, str(group), group.grade, group.letter, letter, action, class_teacher=teachers.get(group.id, "")
        )
        for sid in sorted(on_roll.get(group.id, ()), key=lambda s: names.get(s, "")):
            choice = choices.students.get(sid, "promote")
            if choice not in dict(STUDENT_CHOICES):
                raise DomainError("Выбор для ученика: переводится, остаётся на повторное обучение или выбывает.")
            if action == "graduate" and choice == "promote":
                choice = "graduate"
            move.students.append(StudentMove(sid, names.get(sid, ""), choice, None))
        move.left = sorted(names.get(s, "") for s in left.get(group.id, ()))
        moves.append(move)

    new_classes: dict[str, NewClass] = {}
    for move in moves:
        if move.action != "promote":
            continue
        name = move.new_name
        if name in new_classes:
            first = next(m.name for m in moves if m.id == new_classes[name].source_id)
            errors.append(f"Классы {first} и {move.name} оба переходят в {name}: измените букву одного из них.")
            continue
        new_classes[name] = NewClass(name, move.grade + 1, move.new_letter, move.id, f"из {move.name}")
    first_letters = [c.letter for c in classes if c.grade == GRADES[0]]
    for letter in first_letters:
        name = f"{GRADES[0]}{letter}"
        new_classes.setdefault(name, NewClass(name, GRADES[0], letter, None, "новый первый класс"))
    for move in moves:
        for student in move.students:
            if student.choice == "promote":
                if move.action == "promote":
                    student.target = move.new_name
                else:
                    errors.append(
                        f"{student.name} ({move.name}): после перевода у ученика не будет класса — класс не "
                        "продолжается. Отметьте ученика выбывающим или оставьте класс с буквой."
                    )
            elif student.choice == "repeat":
                name = f"{move.grade}{move.letter}"
                if name not in new_classes:
                    new_classes[name] = NewClass(name, move.grade, move.letter, None, "для повторного обучения")
                student.target = name
    for new in new_classes.values():
        new.students = sum(1 for m in moves for s in m.students if s.target == new.name)

    moving = {s.id for m in moves for s in m.students if s.target}
    if target is not None:
        _check_target_classes(target, new_classes, moving, errors)

    # Groups: a class's subgroups follow the class; cross-class and individual groups keep their names.
    class_of_group = {g.id: g.class_group_id for g in old_groups}
    move_of = {m.id: m for m in moves}
    cross: list[GroupMove] = []
    for group in old_groups:
        move = move_of.get(class_of_group[group.id]) if group.class_group_id else None
        if group.is_whole_class:
            if move is not None:
                move.journals += journals_by_group.get(group.id, 0)
                move.slots += slots_by_group.get(group.id, 0)
            continue
        kept = [sid for sid in members.get(group.id, ()) if sid in moving]
        if move is not None:
            carried = move.action == "promote" and choices.groups != "none"
            new_name = _follow_name(group.name, move.name, move.new_name) if carried else None
            count = len([s for s in kept if _target_of(move, s) == move.new_name]) if choices.groups == "carry" else 0
            move.groups.append(GroupMove(group.name, new_name, group.kind, count if carried else 0))
            if carried:
                move.journals += journals_by_group.get(group.id, 0)
                move.slots += slots_by_group.get(group.id, 0)
        else:
            carried = choices.groups == "carry" and bool(kept)
            cross.append(
                GroupMove(
                    group.name,
                    group.name if carried else None,
                    group.kind,
                    len(kept) if carried else 0,
                    journals_by_group.get(group.id, 0) if carried else 0,
                    slots_by_group.get(group.id, 0) if carried else 0,
                )
            )

    _warn_open_terms(old, warnings)
    _warn_missing_finals(old, moves, class_ids, warnings)
    return Preview(
        old, plan, choices, moves, sorted(new_classes.values(), key=_class_key), cross, errors, warnings, target
    )


def _class_key(new: NewClass):
    return (new.grade, new.letter)


def _target_of(move: ClassMove, student_id: int) -> str | None:
    for student in move.students:
        if student.id == student_id:
            return student.target
    return None


def _follow_name(name: str, old_class: str, new_class: str | None) -> str | None:
    if new_class is None:
        return None
    if name.startswith(f"{old_class}, "):
        return f"{new_class}, {name[len(old_class) + 2 :]}"
    return f"{new_class}, {name}"


def _slots_from(old: SchoolYear) -> dt.date:
    # The timetable carried over is the one of the year's last month: slots ended earlier were replaced.
    return old.end_date - dt.timedelta(days=31)


def _open_members(old: SchoolYear, group_ids: list[int]) -> dict[int, list[int]]:
    """The members of groups on the old year's last day."""
    if not group_ids:
        return {}
    day = old.end_date
    rows = (
        GroupMembership.select(GroupMembership.group, GroupMembership.student)
        .where(
            GroupMembership.group.in_(group_ids)
            & (GroupMembership.start_date <= day)
            & (GroupMembership.end_date.is_null() | (GroupMembership.end_date >= day))
        )
        .tuples()
    )
    found: dict[int, list[int]] = defaultdict(list)
    for group_id, student_id in rows:
        found[group_id].append(student_id)
    return found


def _check_target_classes(target: SchoolYear, new_classes: dict[str, NewClass], moving: set, errors: list) -> None:
    """An existing target year's class is reused when empty or holding only the students moving into it."""
    existing = {str(c): c for c in ClassGroup.select().where(ClassGroup.year == target.id)}
    if not existing:
        return
    enrolled: dict[int, set] = defaultdict(set)
    for class_id, student_id in (
        Enrollment.select(Enrollment.class_group, Enrollment.student)
        .where(Enrollment.class_group.in_([c.id for c in existing.values()]))
        .tuples()
    ):
        enrolled[class_id].add(student_id)
    for name, new in new_classes.items():
        found = existing.get(name)
        if found is None:
            continue
        others = enrolled.get(found.id, set()) - moving
        if others:
            errors.append(
                f"Класс {name} в учебном году {target} уже есть, и в нём другие ученики ({len(others)}): "
                "переименуйте класс при переводе или освободите его."
            )
        new.existing_id = found.id


def _warn_open_terms(old: SchoolYear, warnings: list) -> None:
    open_terms = list(Term.select().where((Term.year == old.id) & (Term.closed == False)).order_by(Term.start_date))  # noqa: E712
    if open_terms:
        listed = ", ".join(str(t) for t in open_terms)
        warnings.append(
            f"Не закрыты периоды учебного года {old}: {listed}. После перевода год {old} будет доступен только "
            "для чтения — закрывать периоды и исправлять журнал будет нельзя."
        )


def _warn_missing_finals(old: SchoolYear, moves: list[ClassMove], class_ids, warnings: list) -> None:
    """Name the classes with students on the roll who have no year mark at all (a transfer may go ahead: «условно»)."""
    with_year = {
        sid
        for (sid,) in FinalMark.select(FinalMark.student)
        .where((FinalMark.year == old.id) & (FinalMark.kind == "year"))
        .distinct()
        .tuples()
    }
    missing = []
    for move in moves:
        count = sum(1 for s in move.students if s.id not in with_year)
        if count:
            missing.append(f"{move.name} — {count}")
    if missing:
        warnings.append("Нет годовых отметок у учеников: " + ", ".join(missing) + ".")


# --- step 3: apply -------------------------------------------------------------------------------


@dataclass
class Outcome:
    transition: YearTransition
    changed: bool
    message: str
    export_run: ExportRun | None = None


def take_backup(actor, *, now: dt.datetime, settings, source: str) -> str:
    """Take the backup a transfer starts with (app/services/backups.py); return its file's path.

    A backup that cannot be made refuses the transfer (BackupError, a DomainError), before anything changes.
    """
    made = backups.create(reason="year_transition", now=now, settings=settings, actor=actor, source=source)
    return made.path


def apply(actor, plan: YearPlan, choices: Choices, *, now: dt.datetime, settings, source="panel") -> Outcome:
    """Transfer the school to the plan's year: backup, then one transaction, then the full export (R5.3).

    Refused (DomainError, nothing written) on any preview error, or on warnings not confirmed. A
    transfer already done towards the same year changes nothing and says so.
    """
    _ensure_may(actor)
    seen = preview(actor, plan, choices, now=now)
    if seen.done is not None:
        return Outcome(seen.done, False, f"Перевод в учебный год {seen.done.to_year} уже выполнен: ничего не изменено.")
    if seen.errors:
        raise DomainError(" ".join(seen.errors))
    if seen.warnings and not choices.confirmed:
        raise DomainError("Перевод не выполнен: подтвердите, что предупреждения прочитаны. " + " ".join(seen.warnings))
    backup = take_backup(actor, now=now, settings=settings, source=source)
    with write_atomic():
        # Read again inside the transaction: nothing may have changed since the preview.
        seen = preview(actor, plan, choices, now=now)
        if seen.errors or seen.done is not None:
            raise DomainError(" ".join(seen.errors) or "Перевод уже выполнен.")
        transition = _write(actor, seen, now=now, backup=backup, source=source)
    run = None
    try:
        from app.services import exports

        run = exports.request_full_export(
            "year_transition", actor, settings=settings, source=source, year_id=transition.to_year_id
        )
    except DomainError as exc:
        message = f"Перевод выполнен, но полная выгрузка не поставлена в очередь: {exc.message}"
        return Outcome(transition, True, message)
    YearTransition.update(export_run_id=run.id).where(YearTransition.id == transition.id).execute()
    transition = YearTransition.get_by_id(transition.id)
    return Outcome(transition, True, f"Школа переведена в учебный год {plan.name}. {run} поставлена в очередь.", run)


def _write(actor, seen: Preview, *, now, backup: str, source: str) -> YearTransition:
    plan, choices, old = seen.plan, seen.choices, seen.old
    create = lambda model, **fields: records.create_row(actor, model, fields, source=source)  # noqa: E731
    target = seen.target
    # The new year becomes current: the old one loses the mark in the same transaction.
    dates = {"start_date": plan.start_date, "end_date": plan.end_date, "is_current": True}
    if target is None:
        target = school.create_school_year(actor, name=plan.name, source=source, **dates)
    else:
        target = school.update_school_year(actor, target, source=source, **dates)
    existing_terms = {(t.kind, t.number): t for t in Term.select().where(Term.year == target.id)}
    for term in plan.terms:
        found = existing_terms.get((term.kind, term.number))
        values = {"start_date": term.start_date, "end_date": term.end_date}
        if found is None:
            create(Term, year=target.id, kind=term.kind, number=term.number, **values)
        else:
            records.update_row(actor, found, values, source=source)
    for holiday in plan.holidays:
        create(Holiday, year=target.id, name=holiday.name, start_date=holiday.start_date, end_date=holiday.end_date)
    # The old year's open periods close with it: it is read-only from now on.
    for term in Term.select().where((Term.year == old.id) & (Term.closed == False)):  # noqa: E712
        records.update_row(actor, term, {"closed": True}, source=source)

    old_classes = {c.id: c for c in ClassGroup.select().where(ClassGroup.year == old.id)}
    made: dict[str, ClassGroup] = {}
    whole: dict[str, StudyGroup] = {}
    for new in seen.new_classes:
        source_class = old_classes.get(new.source_id) if new.source_id else None
        teacher = source_class.class_teacher_id if source_class is not None and choices.class_teachers else None
        if new.existing_id is not None:
            row = ClassGroup.get_by_id(new.existing_id)
            if teacher and not row.class_teacher_id:
                records.update_row(actor, row, {"class_teacher": teacher}, source=source)
        else:
            row = create(ClassGroup, year=target.id, grade=new.grade, letter=new.letter, class_teacher=teacher)
        made[new.name] = row
        whole[new.name] = groups.whole_class_group(row, actor, source=source)

    # Students: the leavers' and graduates' enrollments end on the old year's last day; the rest start anew.
    open_enrollments = {
        (e.class_group_id, e.student_id): e
        for e in Enrollment.select().where(
            Enrollment.class_group.in_(list(old_classes)) & Enrollment.end_date.is_null()
        )
    }
    already = set(
        Enrollment.select(Enrollment.class_group, Enrollment.student)
        .where(Enrollment.class_group.in_([c.id for c in made.values()]))
        .tuples()
    )
    for move in seen.classes:
        for student in move.students:
            if student.target is None:
                enrollment = open_enrollments.get((move.id, student.id))
                if enrollment is not None:
                    records.update_row(actor, enrollment, {"end_date": old.end_date}, source=source)
                continue
            new_class = made[student.target]
            if (new_class.id, student.id) not in already:
                create(Enrollment, student=student.id, class_group=new_class.id, start_date=plan.start_date)

    new_group_of = _carry_groups(seen, target, whole, made, create)
    journal_count = slot_count = 0
    if choices.load:
        journal_count, slot_count = _carry_load(seen, new_group_of, create)

    counts = {**seen.counts, "journals": journal_count, "slots": slot_count}
    transition = YearTransition.create(
        from_year=old.id,
        to_year=target.id,
        applied_by=actor.id if actor is not None else None,
        applied_by_name=actor.full_name
        if actor is not None
        else ("командная строка" if source == "cli" else "система"),
        applied_at=to_stored(now),
        summary=json.dumps(counts, ensure_ascii=False),
        backup=backup or "",
    )
    audit.record(actor, "create", transition, after=transition.snapshot(), source=source)
    return transition


def _who(actor, source: str) -> str:
    if actor is not None:
        return actor.full_name
    return "командная строка" if source == "cli" else "система"


def _carry_groups(seen: Preview, target: SchoolYear, whole, made, create) -> dict[int, StudyGroup]:
    """Make the new year's groups; return {old group id: new group} (whole classes included)."""
    choices, old = seen.choices, seen.old
    move_of = {m.id: m for m in seen.classes}
    targets = {s.id: s.target for m in seen.classes for s in m.students}
    new_of: dict[int, StudyGroup] = {}
    old_groups = list(StudyGroup.select().where(StudyGroup.year == old.id).order_by(StudyGroup.id))
    members = _open_members(old, [g.id for g in old_groups if not g.is_whole_class])
    # Names a year made ahead already holds (its classes' own groups apart): group names are unique in a year.
    taken = {
        name
        for (name,) in StudyGroup.select(StudyGroup.name)
        .where((StudyGroup.year == target.id) & (StudyGroup.kind != "class"))
        .tuples()
    }

    def refuse_taken(name: str) -> None:
        if name in taken:
            raise DomainError(
                f"Группа «{name}» в учебном году {target} уже есть: переименуйте или удалите её и повторите "
                "перевод. Ничего не изменено."
            )

    for group in old_groups:
        move = move_of.get(group.class_group_id) if group.class_group_id else None
        if group.is_whole_class:
            if move is not None and move.action == "promote":
                new_of[group.id] = whole[move.new_name]
            continue
        if move is not None:
            if move.action != "promote" or choices.groups == "none":
                continue
            new_class = made[move.new_name]
            name = _follow_name(group.name, move.name, move.new_name)
            refuse_taken(name)
            row = create(
                StudyGroup,
                year=new_class.year_id,
                kind=group.kind,
                class_group=new_class.id,
                split=group.split,
                name=name,
                grade=new_class.grade,
            )
            kept = [s for s in members.get(group.id, ()) if targets.get(s) == move.new_name]
        else:
            kept = [s for s in members.get(group.id, ()) if targets.get(s)]
            if choices.groups != "carry" or not kept:
                continue
            grade = group.grade + 1 if group.grade else None
            refuse_taken(group.name)
            row = create(StudyGroup, year=target.id, kind=group.kind, split=group.split, name=group.name, grade=grade)
        new_of[group.id] = row
        if choices.groups == "carry":
            for student_id in kept:
                create(GroupMembership, group=row.id, student=student_id, start_date=seen.plan.start_date)
    return new_of


def _carry_load(seen: Preview, new_of: dict[int, StudyGroup], create) -> tuple[int, int]:
    """Carry journals with their teachers (and the timetable, by choice) to the new groups."""
    old = seen.old
    journals = list(Journal.select().where(Journal.year == old.id).order_by(Journal.id))
    teachers: dict[int, list[int]] = defaultdict(list)
    for journal_id, teacher_id in (
        TeachingAssignment.select(TeachingAssignment.journal, TeachingAssignment.teacher)
        .join(Journal)
        .where(Journal.year == old.id)
        .order_by(TeachingAssignment.id)
        .tuples()
    ):
        teachers[journal_id].append(teacher_id)
    slots: dict[int, list[TimetableSlot]] = defaultdict(list)
    if seen.choices.timetable:
        for slot in (
            TimetableSlot.select(TimetableSlot)
            .join(Journal)
            .where((Journal.year == old.id) & (TimetableSlot.valid_to >= _slots_from(old)))
            .order_by(TimetableSlot.id)
        ):
            slots[slot.journal_id].append(slot)
    journal_count = slot_count = 0
    for journal in journals:
        group = new_of.get(journal.group_id)
        if group is None:
            continue
        new = create(Journal, year=group.year_id, group=group.id, subject=journal.subject_id, kind=journal.kind)
        journal_count += 1
        for teacher_id in teachers.get(journal.id, ()):
            create(TeachingAssignment, journal=new.id, teacher=teacher_id)
        for slot in slots.get(journal.id, ()):
            create(
                TimetableSlot,
                journal=new.id,
                weekday=slot.weekday,
                lesson_number=slot.lesson_number,
                teacher=slot.teacher_id,
                valid_from=seen.plan.start_date,
                valid_to=seen.plan.end_date,
                room=slot.room_id,
            )
            slot_count += 1
    return journal_count, slot_count


# --- reading the wizard's form --------------------------------------------------------------------

_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$|^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(value, what: str, field_name: str) -> dt.date:
    """Read 01.09.2027 or 2027-09-01, refusing anything else with a Russian message."""
    match = _DATE.match(str(value or ""))
    try:
        if match and match[1]:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if match:
            return dt.date(int(match[4]), int(match[5]), int(match[6]))
    except ValueError:
        pass
    raise DomainError(f"{what}: укажите дату в виде ДД.ММ.ГГГГ.", field_name)


def plan_from_form(form) -> YearPlan:
    """Read the wizard's step 1 (name, dates, rows of periods and holidays) from a form's fields."""
    plan = YearPlan(
        name=str(form.get("name") or "").strip(),
        start_date=parse_date(form.get("start_date"), "Начало учебного года", "start_date"),
        end_date=parse_date(form.get("end_date"), "Окончание учебного года", "end_date"),
    )
    for index in range(40):
        kind = form.get(f"term-{index}-kind")
        if kind is None:
            break
        if not str(form.get(f"term-{index}-start") or "").strip():
            continue  # a row left empty is no period
        try:
            number = int(str(form.get(f"term-{index}-number") or "").strip())
        except ValueError:
            raise DomainError("Номер периода — целое число.", "terms") from None
        if not 1 <= number <= 6:
            raise DomainError("Номер периода — от 1 до 6.", "terms")
        plan.terms.append(
            TermPlan(
                str(kind),
                number,
                parse_date(form.get(f"term-{index}-start"), "Начало периода", "terms"),
                parse_date(form.get(f"term-{index}-end"), "Окончание периода", "terms"),
            )
        )
    for index in range(40):
        name = form.get(f"holiday-{index}-name")
        if name is None:
            break
        if not str(name).strip() and not str(form.get(f"holiday-{index}-start") or "").strip():
            continue
        plan.holidays.append(
            HolidayPlan(
                str(name).strip()[:200],
                parse_date(form.get(f"holiday-{index}-start"), "Начало каникул", "holidays"),
                parse_date(form.get(f"holiday-{index}-end"), "Окончание каникул", "holidays"),
            )
        )
    return plan


def choices_from_form(form) -> Choices:
    """Read the preview's choices: letter-<class id>, student-<id>, groups, load, class_teachers, timetable, confirm."""
    choices = Choices(
        groups=str(form.get("groups") or "carry"),
        load=bool(form.get("load")),
        class_teachers=bool(form.get("class_teachers")),
        timetable=bool(form.get("timetable")),
        confirmed=bool(form.get("confirm")),
    )
    for key in form:
        prefix, _, raw_id = str(key).partition("-")
        if prefix not in ("letter", "student") or not raw_id.isdigit() or len(raw_id) > 12:
            continue
        value = str(form.get(key) or "")
        if prefix == "letter":
            choices.letters[int(raw_id)] = value.strip()[:4]
        else:
            choices.students[int(raw_id)] = value.strip()[:10]
    return choices


def letters_by_name(renames) -> dict[int, str]:
    """Read «5Б=В» (5Б takes the letter В; «9Б=» ends it) into {class id: letter} for the current year's classes."""
    year = current_year()
    classes = {str(c): c.id for c in ClassGroup.select().where(ClassGroup.year == year.id)}
    letters = {}
    for text in renames:
        name, sep, letter = str(text).partition("=")
        if not sep or name.strip().upper() not in classes:
            raise DomainError(f"«{text}»: укажите класс текущего года и новую букву, например «5Б=В».")
        letters[classes[name.strip().upper()]] = letter.strip().upper()
    return letters


def plan_fields(plan: YearPlan) -> dict:
    """The plan as the wizard's form fields (to carry step 1 into the preview's form)."""
    fields = {"name": plan.name, "start_date": format_date(plan.start_date), "end_date": format_date(plan.end_date)}
    for index, term in enumerate(plan.terms):
        fields.update(
            {
                f"term-{index}-kind": term.kind,
                f"term-{index}-number": str(term.number),
                f"term-{index}-start": format_date(term.start_date),
                f"term-{index}-end": format_date(term.end_date),
            }
        )
    for index, holiday in enumerate(plan.holidays):
        fields.update(
            {
                f"holiday-{index}-name": holiday.name,
                f"holiday-{index}-start": format_date(holiday.start_date),
                f"holiday-{index}-end": format_date(holiday.end_date),
            }
        )
    return fields


def transitions():
    """The transfers done, newest first."""
    return YearTransition.select().order_by(YearTransition.id.desc())


def preview_lines(seen: Preview) -> list[str]:
    """The preview as plain lines (the CLI prints them): the plan, every class's move, the totals, errors, warnings."""
    if seen.done is not None:
        return [f"Перевод в учебный год {seen.done.to_year} уже выполнен: ничего не изменено."]
    plan = seen.plan
    lines = [f"Перевод: {seen.old} → {plan.name} ({format_span(plan.start_date, plan.end_date)})"]
    lines += [f"  период {t.label}: {format_span(t.start_date, t.end_date)}" for t in plan.terms]
    lines += [f"  каникулы «{h.name}»: {format_span(h.start_date, h.end_date)}" for h in plan.holidays]
    for move in seen.classes:
        if move.action == "promote":
            head = f"{move.name} → {move.new_name}"
        elif move.action == "graduate":
            head = f"{move.name}: выпуск"
        else:
            head = f"{move.name}: класс не продолжается"
        lines.append(
            f"{head}: переводятся {move.count('promote')}, выпускаются {move.count('graduate')}, "
            f"остаются на повторное обучение {move.count('repeat')}, выбывают {move.count('leave')}; "
            f"журналов {move.journals}, уроков в расписании {move.slots}"
        )
        for student in move.students:
            if student.choice != "promote":
                target = f" → {student.target}" if student.target else ""
                lines.append(f"    {student.name}: {student.choice_label}{target}")
        if move.left:
            lines.append("    выбыли в течение года (не переводятся): " + ", ".join(move.left))
        for group in move.groups:
            lines.append(f"    группа «{group.name}» → {group.new_name or 'не переносится'} ({group.members} уч.)")
    for group in seen.cross_groups:
        carried = "переносится" if group.new_name else "не переносится"
        lines.append(f"Группа «{group.name}»: {carried} ({group.members} уч.)")
    lines.append("Классы нового года: " + ", ".join(f"{n.name} ({n.students})" for n in seen.new_classes))
    counts = seen.counts
    lines.append(
        "Итого: переводятся {promoted}, на повторное обучение {repeating}, выпускники {graduates}, выбывают "
        "{leaving}, выбыли в течение года {left_during_year}; классов {classes} (новых первых {new_first_grades}), "
        "групп {groups}, журналов {journals}, уроков расписания {slots}".format(**counts)
    )
    lines += [f"ОШИБКА: {e}" for e in seen.errors]
    lines += [f"Предупреждение: {w}" for w in seen.warnings]
    return lines
