"""Planning lessons from the timetable for the school year's working days, idempotently (R3.2, DESIGN 2).

Re-planning after a timetable change adds the lessons the timetable now asks for and retires
those it no longer has. A lesson that holds anything (topic, homework, the held mark, a
substitution, marks, absences, files) is never deleted: it is kept and flagged `orphaned`
for the deputy to look at.
"""

import datetime as dt
from dataclasses import dataclass, field

from app.db import db
from app.formats import format_date
from app.models import (
    Absence,
    Holiday,
    HomeworkFile,
    Journal,
    Lesson,
    LessonPlanRow,
    Mark,
    SchoolSettings,
    StudyGroup,
    Subject,
    Term,
    TimetableSlot,
)
from app.permissions import Perm
from app.services import access, audit, finals, journal_files
from app.services.errors import AccessDenied, DomainError
from app.services.journal import get_lesson, lessons_with_people

SUNDAY = 7


@dataclass
class PlanResult:
    """What one planning run did."""

    created: int = 0
    kept: int = 0
    updated: int = 0
    removed: int = 0
    orphaned: int = 0
    restored: int = 0
    clashes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "kept": self.kept,
            "updated": self.updated,
            "removed": self.removed,
            "orphaned": self.orphaned,
            "restored": self.restored,
            "clashes": len(self.clashes),
        }


def may_plan(staff) -> bool:
    """Answer whether the staff member may plan lessons (the timetable's keeper or the deputy)."""
    return access.can_any(staff, (Perm.SCHOOL_MANAGE, Perm.JOURNAL_CHECK))


def school_days(start: dt.date, end: dt.date, holidays, terms=()):
    """Yield the school days between two dates: Monday to Saturday, inside a term, not a holiday.

    `holidays` and `terms` are (first day, last day) pairs; with no terms every week is a school
    week. The planner and the demo school both plan lessons for exactly these days.
    """
    holidays, terms = list(holidays), list(terms)
    day = start
    while day <= end:
        if (
            day.isoweekday() != SUNDAY
            and not any(first <= day <= last for first, last in holidays)
            and (not terms or any(first <= day <= last for first, last in terms))
        ):
            yield day
        day += dt.timedelta(days=1)


def working_days(start: dt.date, end: dt.date, holidays, terms):
    """Yield the school days between two dates of a year's Holiday and Term rows (see `school_days`)."""
    yield from school_days(
        start, end, [(h.start_date, h.end_date) for h in holidays], [(t.start_date, t.end_date) for t in terms]
    )


def _term_of(day, terms):
    for term in terms:
        if term.start_date <= day <= term.end_date:
            return term.id
    return None


def desired_lessons(year, journal_ids, start, end, result: PlanResult) -> dict[tuple, tuple[int, int | None]]:
    """Return the lessons the timetable asks for: (journal, date, number) → (teacher, term).

    A lesson's term is one of the periods its group's grade is attested by (quarters, or halves
    for the grades the school lists: `finals.period_kind`).
    """
    holidays = list(Holiday.select().where(Holiday.year == year.id))
    terms = list(Term.select().where(Term.year == year.id).order_by(Term.start_date))
    settings = SchoolSettings.load()
    kinds = {t.kind for t in terms}
    terms_of_kind = {kind: [t for t in terms if t.kind == kind] for kind in kinds}
    slots = list(
        TimetableSlot.select(TimetableSlot, Journal, StudyGroup, Subject)
        .join_from(TimetableSlot, Journal)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(TimetableSlot.journal.in_(journal_ids))
        .order_by(TimetableSlot.id)
    )
    by_weekday: dict[int, list] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    wanted: dict[tuple, tuple[int, int | None]] = {}
    clashes = set()
    for day in working_days(start, end, holidays, terms):
        for slot in by_weekday.get(day.isoweekday(), ()):
            if not slot.valid_from <= day <= slot.valid_to:
                continue
            key = (slot.journal_id, day, slot.lesson_number)
            if key in wanted:
                clashes.add(
                    f"{slot.journal.group}, {slot.lesson_number} урок, {slot.journal.subject}: "
                    f"в расписании несколько учителей на один урок ({format_date(day)} и далее) — взят первый."
                )
                continue
            kind = finals.period_kind(slot.journal.group.grade, kinds, settings)
            wanted[key] = (slot.teacher_id, _term_of(day, terms_of_kind.get(kind, ())))
    result.clashes = sorted(clashes)
    return wanted


def lessons_with_data(lesson_filter) -> set[int]:
    """Return the ids of lessons (among those matching the filter) that have marks, absences, files or plan rows."""
    ids = set()
    for model in (Mark, Absence, HomeworkFile, LessonPlanRow):
        rows = model.select(model.lesson).join(Lesson).where(lesson_filter).distinct().tuples()
        ids.update(row[0] for row in rows)
    return ids


def holds_data(lesson, with_rows: set[int]) -> bool:
    """Tell whether a lesson carries anything a person entered."""
    return bool(
        lesson.id in with_rows
        or (lesson.topic or "").strip()
        or (lesson.homework or "").strip()
        or lesson.held
        or lesson.cancelled
        or lesson.teacher_id != lesson.planned_teacher_id
        or lesson.replacement_subject_id
    )


def plan_lessons(actor, year, *, class_group=None, start=None, end=None, source="panel") -> PlanResult:
    """Bring the planned lessons of a school year (or one class's journals, or a date range) in line with the timetable.

    A class's journals are those of its whole class and of its subgroups.
    """
    if actor is not None and not may_plan(actor):
        raise AccessDenied("Планировать уроки может администратор расписания или заместитель директора.")
    if access.year_is_past(year):
        raise AccessDenied(f"Учебный год {year} завершён: его уроки не планируются заново.")
    start = max(start or year.start_date, year.start_date)
    end = min(end or year.end_date, year.end_date)
    if start > end:
        raise DomainError("Начало периода позже его конца.", "start")
    if class_group is not None:
        if class_group.year_id != year.id:
            raise DomainError(f"Класс {class_group} относится к другому учебному году.", "class_group")
        journals = Journal.select(Journal.id).join(StudyGroup).where(StudyGroup.class_group == class_group.id)
    else:
        journals = Journal.select(Journal.id).where(Journal.year == year.id)
    journal_ids = [row[0] for row in journals.tuples()]
    result = PlanResult()
    if not journal_ids:
        return result

    wanted = desired_lessons(year, journal_ids, start, end, result)
    in_range = Lesson.journal.in_(journal_ids) & (Lesson.date >= start) & (Lesson.date <= end)
    with db.atomic():
        with_rows = lessons_with_data(in_range)
        for lesson in Lesson.select().where(in_range).order_by(Lesson.id):
            key = (lesson.journal_id, lesson.date, lesson.number)
            plan = wanted.pop(key, None)
            if plan is None:
                _retire(actor, lesson, holds_data(lesson, with_rows), result, source)
            else:
                _keep(actor, lesson, plan, holds_data(lesson, with_rows), result, source)
        for (journal_id, day, number), (teacher_id, term_id) in sorted(wanted.items(), key=_order):
            Lesson(
                journal=journal_id,
                term=term_id,
                date=day,
                number=number,
                planned_teacher=teacher_id,
                teacher=teacher_id,
            ).save(force_insert=True)
            result.created += 1
        if result.created or result.removed or result.orphaned or result.restored or result.updated:
            scope_label = str(class_group) if class_group is not None else "все классы"
            audit.record(
                actor,
                "create",
                None,
                model="Lesson",
                source=source,
                object_repr=(
                    f"Планирование уроков по расписанию: {scope_label}, {format_date(start)}–{format_date(end)}"
                ),
                after=result.as_dict(),
            )
    return result


def _order(item):
    (journal_id, day, number), _ = item
    return (day, journal_id, number)


def _keep(actor, lesson, plan, has_data: bool, result: PlanResult, source: str) -> None:
    teacher_id, term_id = plan
    before = lesson.snapshot()
    changed = False
    if lesson.orphaned:
        lesson.orphaned = False
        result.restored += 1
        changed = True
    if lesson.term_id != term_id:
        lesson.term = term_id
        changed = True
    # A filled lesson keeps the teacher who gave it; only an empty one follows the new timetable.
    if not has_data and lesson.planned_teacher_id != teacher_id:
        lesson.planned_teacher = teacher_id
        lesson.teacher = teacher_id
        changed = True
    if changed:
        lesson.save()
        audit.record(actor, "update", lesson, before=before, after=lesson.snapshot(), source=source)
        result.updated += 1
    else:
        result.kept += 1


def _retire(actor, lesson, has_data: bool, result: PlanResult, source: str) -> None:
    if has_data:
        if not lesson.orphaned:
            before = lesson.snapshot()
            lesson.orphaned = True
            lesson.save()
            audit.record(actor, "update", lesson, before=before, after=lesson.snapshot(), source=source)
            result.orphaned += 1
        else:
            result.kept += 1
        return
    before = lesson.snapshot()
    lesson.delete_instance()
    audit.record(actor, "delete", lesson, before=before, source=source)
    result.removed += 1


def orphaned_lessons(staff, year):
    """Return the lessons of a year that lost their timetable slot but hold data, for the deputy."""
    query = lessons_with_people(Lesson.select()).where(
        (Lesson.orphaned == True) & (Journal.year == year.id)  # noqa: E712
    )
    return access.scope(query, staff, Lesson).order_by(
        Lesson.date, StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Lesson.number
    )


def delete_orphaned_lesson(actor, lesson_id, root) -> None:
    """Delete an orphaned lesson with its marks, absences and files, at the deputy's explicit request, audited."""
    if not access.can(actor, Perm.JOURNAL_CHECK):
        raise AccessDenied("Удалять уроки вне расписания может заместитель директора.")
    lesson = get_lesson(lesson_id)
    if not lesson.orphaned:
        raise DomainError("Урок стоит в расписании: удалить можно только урок вне расписания.")
    label = str(lesson)
    stored = []
    with db.atomic():
        for model in (Mark, Absence, HomeworkFile, LessonPlanRow):
            for row in model.select().where(model.lesson == lesson.id):
                before = row.snapshot()
                row.delete_instance()
                audit.record(actor, "delete", row, before=before, object_repr=f"{row} — {label}")
                if model is HomeworkFile:
                    stored.append(row.stored_name)
        before = lesson.snapshot()
        lesson.delete_instance()
        audit.record(actor, "delete", lesson, before=before, object_repr=label)
    for name in stored:
        journal_files.stored_path(root, name).unlink(missing_ok=True)
