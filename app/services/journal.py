"""The class journal: who may edit a lesson, the lesson panel, substitutions and a teacher's day (R3.2).

Marks and absences live in journal_marks, homework files in journal_files, planning lessons
from the timetable in journal_planning.
"""

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN, fn

from app.clock import utcnow
from app.db import db
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    Absence,
    AuditEntry,
    ClassGroup,
    HomeworkFile,
    Journal,
    Lesson,
    Mark,
    Permission,
    RolePermission,
    SchoolYear,
    Staff,
    StaffRole,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
)
from app.permissions import Perm
from app.services import access, audit, plan_rows
from app.services.errors import AccessDenied, BadInput, DomainError, EditConflict, NotFound  # noqa: F401 (re-exported)
from app.services.groups import get_journal  # noqa: F401 (re-exported)

TOPIC_MAX = 500
HOMEWORK_MAX = 4000
CANCEL_REASON_MAX = 200
# What a teacher picks from when a lesson is cancelled (any other reason may be typed).
CANCEL_REASONS = (
    "актированный день (низкая температура)",
    "карантин",
    "праздничный день, перенос",
    "болезнь учителя, замены нет",
    "мероприятие школы",
)

# The journal's permissions under the names its views and services use.
EDIT_PERMISSION = Perm.JOURNAL_EDIT_OWN
CHECK_PERMISSION = Perm.JOURNAL_CHECK
SCHEDULE_PERMISSION = Perm.SCHOOL_MANAGE

# How a lesson field is named in messages, and in what order changes are listed.
LESSON_FIELD_LABELS = {
    "topic": "тема",
    "homework": "домашнее задание",
    "held": "урок проведён",
    "cancelled": "урок отменён",
    "cancel_reason": "причина отмены",
    "teacher_id": "учитель",
    "replacement_subject_id": "предмет замены",
}


def staff_name(staff_id) -> str:
    """Return a staff member's short name by id (empty when unknown)."""
    if not staff_id:
        return ""
    staff = Staff.get_or_none(Staff.id == staff_id)
    return staff.short_name if staff else ""


# --- who may do what with a lesson: the rules are access's, these answer for a lesson ----------


def term_closed(term) -> bool:
    """Tell whether a lesson's term is closed (a missing term is open)."""
    return access.term_is_closed(term)


def may_edit(staff, lesson, term=None, before=access._UNKNOWN) -> bool:
    """Answer whether the staff member may fill this lesson (closed terms only for the deputy, past years nobody)."""
    return access.can_fill_lesson(staff, lesson, term, before)


def ensure_year_open(lesson) -> None:
    """Refuse any write to a lesson of a past school year (after the transfer to a new year it is history)."""
    if access.lesson_is_past(lesson):
        year = SchoolYear.get_or_none((SchoolYear.start_date <= lesson.date) & (SchoolYear.end_date >= lesson.date))
        name = f"Учебный год {year}" if year is not None else "Прошлый учебный год"
        raise AccessDenied(f"{name} завершён: его журнал доступен только для чтения.")


def may_substitute(staff, lesson, term=None) -> bool:
    """Answer whether the staff member may give this lesson to another teacher (the deputy, the timetable's keeper)."""
    if term is None and lesson.term_id:
        term = lesson.term
    return access.can_substitute(staff, term)


def get_lesson(lesson_id) -> Lesson:
    """Return a lesson with its journal, group, subject, teachers and term, in one query, or refuse with NotFound."""
    lesson_id = parse_id(lesson_id)
    query = with_term(lessons_with_people(Lesson.select()))
    lesson = query.where(Lesson.id == lesson_id).first() if lesson_id is not None else None
    if lesson is None:
        raise NotFound("Урок не найден.")
    return lesson


def with_term(query):
    """Join a lesson query with the lesson's term and the term's year (none for a lesson outside every term).

    The year tells whether the lesson lies in the current year without asking which year is current
    (`access.lesson_is_past`): a save stays within its statements.
    """
    return (
        query.select_extend(Term, SchoolYear)
        .join_from(Lesson, Term, JOIN.LEFT_OUTER, on=(Lesson.term == Term.id), attr="term")
        .join_from(Term, SchoolYear, JOIN.LEFT_OUTER, on=(Term.year == SchoolYear.id), attr="year")
    )


def ensure_can_see(staff, lesson) -> None:
    """Refuse with AccessDenied unless the lesson lies inside the staff member's scope (a lesson row already read)."""
    if not access.can_see_lesson(staff, lesson):
        raise AccessDenied("Этот урок вам недоступен.")


def ensure_can_edit(staff, lesson, term=None) -> None:
    """Refuse unless the staff member may fill this lesson, saying why."""
    ensure_can_see(staff, lesson)
    ensure_year_open(lesson)
    if term is None and lesson.term_id:
        term = lesson.term
    if not access.can_edit_in_term(staff, term):
        raise AccessDenied(f"Период «{term}» закрыт: журнал доступен только для чтения.")
    if not access.can_edit_lesson(staff, lesson):
        raise AccessDenied("Заполнять этот урок может только учитель, который его ведёт, или заместитель директора.")


def ensure_not_future(lesson, today: dt.date, what: str) -> None:
    """Refuse an action that only makes sense for a lesson that has begun."""
    if lesson.date > today:
        raise DomainError(f"Урок {format_date(lesson.date)} ещё не наступил: {what}.")


# --- the lesson panel -------------------------------------------------------------------------


def lesson_values(lesson) -> dict:
    """Return the lesson's editable values as plain data (the panel's fields)."""
    return {
        "topic": lesson.topic or None,
        "homework": lesson.homework or None,
        "held": bool(lesson.held),
        "cancelled": bool(lesson.cancelled),
        "cancel_reason": lesson.cancel_reason or None,
        "teacher_id": lesson.teacher_id,
        "replacement_subject_id": lesson.replacement_subject_id,
    }


def describe_value(field_name: str, value) -> str:
    """Return a lesson field's value as shown in messages and the lesson history."""
    if field_name in ("held", "cancelled"):
        return "да" if value else "нет"
    if field_name == "teacher_id":
        return staff_name(value) or "—"
    if field_name == "replacement_subject_id":
        subject = Subject.get_or_none(Subject.id == value) if value else None
        return subject.name if subject else "нет"
    text = (value or "").strip()
    if not text:
        return "пусто"
    return f"«{text[:80]}{'…' if len(text) > 80 else ''}»"


def changes_since(lesson, version: int, clock) -> list[dict]:
    """Return who changed which lesson fields after `version`, from the audit trail, oldest first.

    `at` is the moment in the school's time zone (the audit stores naive UTC).
    """
    entries = (
        AuditEntry.select()
        .where((AuditEntry.model == "Lesson") & (AuditEntry.object_id == str(lesson.id)))
        .order_by(AuditEntry.id)
    )
    found = []
    for entry in entries:
        after = entry.after_data
        if not isinstance(after.get("version"), int) or after["version"] <= version:
            continue
        before = entry.before_data
        fields = [
            (name, after.get(name))
            for name in LESSON_FIELD_LABELS
            if name in after and before.get(name) != after.get(name)
        ]
        found.append({"who": entry.actor_name, "at": clock.local(entry.at), "fields": fields})
    return found


def conflict_message(lesson, version: int, clock) -> str:
    """Explain in Russian what others changed in the lesson after the version the user had opened."""
    parts = []
    for change in changes_since(lesson, version, clock):
        what = "; ".join(
            f"{LESSON_FIELD_LABELS[name]} — {describe_value(name, value)}" for name, value in change["fields"]
        )
        parts.append(f"{change['who']} в {change['at']:%H:%M} ({what or 'без видимых изменений'})")
    who = "; ".join(parts) if parts else "другой пользователь"
    return (
        f"Урок уже изменил(а) {who}. Ваши изменения не сохранены, чтобы не затереть чужие. "
        "Сверьте данные ниже и сохраните ещё раз."
    )


class TeacherBusy(DomainError):
    """The chosen substitute teaches another lesson in the same period; saving again with a confirmation proceeds."""

    status = 409

    def __init__(self, teacher, lessons):
        self.teacher = teacher
        self.lessons = lessons
        listed = "; ".join(f"«{lesson_label(x)}»" for x in lessons)
        super().__init__(
            f"{teacher.short_name} в это время ведёт другой урок: {listed}. "
            "Если замена всё равно нужна, подтвердите её.",
            "teacher_id",
        )


def _subject_in_text(name: str) -> str:
    # «Математика» reads «математика» inside a sentence; an abbreviation (ИЗО, ОБЖ) stays as it is.
    return name[:1].lower() + name[1:] if name[1:2].islower() else name


def lesson_label(lesson) -> str:
    """Name a lesson the way the school says it: «5А, 3-й урок, математика», «5А, англ., гр. 1, 2-й урок, …»."""
    subject = lesson.replacement_subject if lesson.replacement_subject_id else lesson.subject
    return f"{lesson.journal.group}, {lesson.number}-й урок, {_subject_in_text(subject.name)}"


def busy_lessons(teacher_id, lesson) -> list[Lesson]:
    """Return the other lessons the teacher gives on the lesson's date and number (substitutions included)."""
    query = lessons_with_people(Lesson.select()).where(
        (Lesson.teacher == teacher_id)
        & (Lesson.date == lesson.date)
        & (Lesson.number == lesson.number)
        & (Lesson.id != lesson.id)
    )
    return list(query.order_by(StudyGroup.grade, StudyGroup.name, Lesson.id))


def double_booked(lessons) -> dict[int, list[str]]:
    """Return, for each lesson of a day's list, the other lessons its teacher gives in the same period."""
    by_slot: dict[tuple, list] = {}
    for lesson in lessons:
        by_slot.setdefault((lesson.teacher_id, lesson.date, lesson.number), []).append(lesson)
    return {
        lesson.id: [lesson_label(other) for other in group if other.id != lesson.id]
        for group in by_slot.values()
        if len(group) > 1
        for lesson in group
    }


def _clean_text(value, limit: int, label: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadInput(f"{label}: ожидался текст.", label)
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise DomainError(f"{label}: не больше {limit} символов (сейчас {len(text)}).", label)
    return text or None


def _version(value) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())
    if not isinstance(value, int):
        raise BadInput("Не указана версия урока: обновите страницу.")
    return value


def save_lesson(actor, lesson_id, version, changes: dict, *, clock, confirm_busy: bool = False) -> Lesson:
    """Save the lesson panel (topic, homework, held; teacher and replacement subject), refusing stale versions.

    `changes` holds only the fields the form showed: topic, homework, held, cancelled,
    cancel_reason, teacher_id, replacement_subject_id. A cancelled lesson has a reason, is not
    held and holds no marks or absences. A version other than the lesson's current one means someone saved
    in between: EditConflict says what they changed, and nothing is written. A new teacher who
    gives another lesson in the same period is refused with TeacherBusy unless `confirm_busy`.
    """
    lesson = get_lesson(lesson_id)
    ensure_can_see(actor, lesson)
    term = lesson.term if lesson.term_id else None
    content = {k for k in ("topic", "homework", "held", "cancelled", "cancel_reason") if k in changes}
    staffing = {k for k in ("teacher_id", "replacement_subject_id") if k in changes}
    if content:
        ensure_can_edit(actor, lesson, term)
    if staffing:
        ensure_year_open(lesson)
    if staffing and not access.can_substitute(actor, term):
        if not access.can_edit_in_term(actor, term):
            raise AccessDenied(f"Период «{term}» закрыт: журнал доступен только для чтения.")
        raise AccessDenied("Назначать замену может заместитель директора или администратор расписания.")
    version = _version(version)
    if version != lesson.version:
        raise EditConflict(conflict_message(lesson, version, clock), lesson_values(lesson))

    new = lesson_values(lesson)
    if "topic" in changes:
        new["topic"] = _clean_text(changes["topic"], TOPIC_MAX, "Тема урока")
    if "homework" in changes:
        new["homework"] = _clean_text(changes["homework"], HOMEWORK_MAX, "Домашнее задание")
    if "held" in changes:
        new["held"] = bool(changes["held"])
        if new["held"] and not lesson.held:
            ensure_not_future(lesson, clock.today(), "его нельзя отметить проведённым")
    if "cancelled" in changes:
        new["cancelled"] = bool(changes["cancelled"])
        new["cancel_reason"] = _cancellation(lesson, new, changes.get("cancel_reason"))
    if "teacher_id" in changes:
        teacher_id = parse_id(changes["teacher_id"])
        # Only a new teacher is checked: the one already on the lesson may since have left or lost the right.
        if teacher_id != lesson.teacher_id:
            teacher = _check_teacher(teacher_id)
            busy = busy_lessons(teacher.id, lesson)
            if busy and not confirm_busy:
                raise TeacherBusy(teacher, busy)
            new["teacher_id"] = teacher.id
    if "replacement_subject_id" in changes:
        new["replacement_subject_id"] = _check_replacement(lesson, changes["replacement_subject_id"])
    links = _plan_rows_on_save(lesson, new, changes) if content else None

    if new == lesson_values(lesson) and links is None:
        return lesson
    before = lesson.snapshot()
    with db.atomic():
        # Compare-and-set: of two saves of the same version only the first one matches.
        taken = (
            Lesson.update(version=Lesson.version + 1)
            .where((Lesson.id == lesson.id) & (Lesson.version == version))
            .execute()
        )
        if taken != 1:
            raise EditConflict(conflict_message(lesson, version, clock), lesson_values(Lesson.get_by_id(lesson.id)))
        lesson.topic = new["topic"]
        lesson.homework = new["homework"]
        if new["held"] != lesson.held:
            # When it was marked held: the completeness rules tell a lesson filled late by it.
            lesson.held_at = clock.utcnow() if new["held"] else None
        lesson.held = new["held"]
        lesson.cancelled, lesson.cancel_reason = new["cancelled"], new["cancel_reason"]
        lesson.teacher = new["teacher_id"]
        lesson.replacement_subject = new["replacement_subject_id"]
        lesson.version = version + 1
        lesson.updated_at = utcnow()
        lesson.updated_by = actor.id
        lesson.save()
        audit.record(actor, "update", lesson, before=before, after=lesson.snapshot())
        if links is not None:
            plan_rows.set_lesson_rows(actor, lesson, links)
    return lesson


def lesson_plan(lesson):
    """Return the thematic plan whose rows a lesson gives: its counting journal's (a replacement: the subject given)."""
    return plan_rows.plan_of(counting_journal(lesson).id)


def proposed_plan_rows(lesson) -> tuple[object, list, list]:
    """Return (plan, the rows the lesson gives, the rows it would take now): what the lesson panel shows."""
    plan = lesson_plan(lesson)
    if plan is None:
        return None, [], []
    current = plan_rows.lesson_rows(lesson.id)
    if current or lesson.cancelled:
        return plan, current, []
    return plan, [], plan_rows.next_rows(plan, except_lesson=lesson.id)


def _plan_rows_on_save(lesson, new: dict, changes: dict):
    """The plan rows a saved lesson gives from now on (None: unchanged), filling `new`'s topic and homework from them.

    A held lesson that gives no row takes the next one (or the one its panel proposed, while it is still
    free); a cancelled lesson gives none. The topic and homework come from the rows unless the teacher
    typed their own.
    """
    plan = lesson_plan(lesson)
    if plan is None:
        return None
    current = plan_rows.lesson_rows(lesson.id)
    if new["cancelled"]:
        return [] if current else None
    if current or not (new["held"] or changes.get("plan_row_id")):
        return None
    free = plan_rows.next_rows(plan, except_lesson=lesson.id, count=len(plan_rows.rows_of(plan)))
    hint = parse_id(changes.get("plan_row_id")) if changes.get("plan_row_id") else None
    shown = [row for row in free if row.id == hint]
    taken = shown or free[:1]
    if not taken:
        return None
    if plan_rows.is_from_plan(new["topic"], shown):
        new["topic"] = plan_rows.topic_of(taken)
    if plan_rows.is_from_plan(new["homework"], shown, plan_rows.homework_of):
        new["homework"] = plan_rows.homework_of(taken) or new["homework"]
    return taken


PLAN_ACTIONS = ("skip", "merge", "choose")


def change_lesson_plan(actor, lesson_id, version, action, row_id=None, *, clock) -> Lesson:
    """Skip the lesson's plan row (it takes the next one), merge the next row into it, or choose another row.

    The lesson's version is checked and raised as a panel save does; its topic and homework follow the
    rows while they are still the plan's. Skipped rows are passed by by the next lessons until one
    chooses them again.
    """
    lesson = get_lesson(lesson_id)
    term = lesson.term if lesson.term_id else None
    ensure_can_edit(actor, lesson, term)
    version = _version(version)
    if version != lesson.version:
        raise EditConflict(conflict_message(lesson, version, clock), lesson_values(lesson))
    if action not in PLAN_ACTIONS:
        raise BadInput("Неизвестное действие с тематическим планом.")
    if lesson.cancelled:
        raise DomainError("Урок отменён: он не проходит строки тематического плана.")
    plan, current, proposed = proposed_plan_rows(lesson)
    if plan is None:
        raise DomainError("У журнала нет тематического плана.")
    shown = current or proposed[:1]
    before = lesson.snapshot()
    with db.atomic():
        if action == "choose":
            row_number = parse_id(row_id)
            row = next((r for r in plan_rows.rows_of(plan) if r.id == row_number), None)
            if row is None:
                raise BadInput("Выберите строку тематического плана.", "plan_row_id")
            if plan_rows.usage(plan.id, except_lesson=lesson.id).get(row.id, 0) >= row.hours:
                raise DomainError(
                    f"Строка плана № {row.number or row.position} уже пройдена на других уроках: "
                    "выберите другую строку."
                )
            plan_rows.mark_skipped(actor, [row], False)
            rows = [row]
        elif not shown:
            raise DomainError("В тематическом плане не осталось непройденных строк.")
        elif action == "skip":
            plan_rows.mark_skipped(actor, shown)
            plan_rows.set_lesson_rows(actor, lesson, [])
            rows = plan_rows.next_rows(plan, except_lesson=lesson.id)
            if not rows:
                raise DomainError("После этой строки в тематическом плане не осталось непройденных строк.")
        else:
            following = plan_rows.next_rows(plan, except_lesson=lesson.id, after_position=shown[-1].position)
            if not following:
                raise DomainError("Объединять не с чем: это последняя строка тематического плана.")
            rows = [*shown, following[0]]
        taken = (
            Lesson.update(version=Lesson.version + 1)
            .where((Lesson.id == lesson.id) & (Lesson.version == version))
            .execute()
        )
        if taken != 1:
            raise EditConflict(conflict_message(lesson, version, clock), lesson_values(Lesson.get_by_id(lesson.id)))
        if plan_rows.is_from_plan(lesson.topic, shown):
            lesson.topic = plan_rows.topic_of(rows)
        if plan_rows.is_from_plan(lesson.homework, shown, plan_rows.homework_of):
            lesson.homework = plan_rows.homework_of(rows) or lesson.homework
        lesson.version = version + 1
        lesson.updated_at = clock.utcnow()
        lesson.updated_by = actor.id
        lesson.save()
        audit.record(actor, "update", lesson, before=before, after=lesson.snapshot())
        plan_rows.set_lesson_rows(actor, lesson, rows)
    return lesson


def _cancellation(lesson, new: dict, reason) -> str | None:
    """Check a cancellation against the lesson's other new values; return the reason to keep (None if not cancelled)."""
    if not new["cancelled"]:
        return None
    reason = _clean_text(reason, CANCEL_REASON_MAX, "Причина отмены урока")
    if reason is None:
        raise DomainError("Укажите, почему урок отменён: например, «карантин».", "cancel_reason")
    if new["held"]:
        raise DomainError("Урок не может быть одновременно проведён и отменён: снимите одну из отметок.", "cancelled")
    if not lesson.cancelled and (
        Mark.select().where(Mark.lesson == lesson.id).exists()
        or Absence.select().where(Absence.lesson == lesson.id).exists()
    ):
        raise DomainError(
            "На уроке уже есть отметки или пропуски: урок, который состоялся, отменить нельзя. "
            "Если он не проводился, сначала удалите их.",
            "cancelled",
        )
    return reason


def _check_teacher(teacher_id: int | None):
    teacher = Staff.get_or_none(Staff.id == teacher_id) if teacher_id is not None else None
    if teacher is None or not teacher.active:
        raise DomainError("Выберите учителя, который провёл урок.", "teacher_id")
    if not access.can(teacher, EDIT_PERMISSION):
        raise DomainError(
            f"{teacher.short_name} не может вести журнал: у сотрудника нет права «Заполнение журнала по своим урокам».",
            "teacher_id",
        )
    return teacher


def _check_replacement(lesson, subject_id) -> int | None:
    if subject_id in (None, "", 0, "0"):
        subject_id = None
    else:
        number = parse_id(subject_id)
        subject = Subject.get_or_none(Subject.id == number) if number is not None else None
        if subject is None:
            raise DomainError("Такого предмета нет.", "replacement_subject_id")
        subject_id = None if subject.id == lesson.subject_id else subject.id
    if subject_id != lesson.replacement_subject_id and Mark.select().where(Mark.lesson == lesson.id).exists():
        raise DomainError(
            "Нельзя сменить предмет урока: по уроку уже выставлены отметки. Сначала перенесите или удалите их.",
            "replacement_subject_id",
        )
    return subject_id


def substitute_candidates():
    """Return active staff who may fill the journal: those a lesson can be given to."""
    holders = (
        StaffRole.select(StaffRole.staff)
        .join(RolePermission, on=(RolePermission.role == StaffRole.role))
        .join(Permission, on=(Permission.id == RolePermission.permission))
        .where(Permission.code == EDIT_PERMISSION)
    )
    return Staff.active_staff().where(Staff.id.in_(holders))


# --- what a teacher sees: today's lessons and their journals ---------------------------------


@dataclass
class LessonStatus:
    """A lesson of the day with what it still lacks."""

    lesson: Lesson
    missing: list[str]
    marks: int
    absences: int
    files: int
    editable: bool
    # The lesson was planned for this teacher but given to someone else.
    given_away: bool = False


def missing_items(lesson, today: dt.date) -> list[str]:
    """Return what a lesson still lacks in Russian (topic, the held mark), nothing for a future lesson."""
    if lesson.date > today or lesson.cancelled:
        return []
    missing = []
    if not (lesson.topic or "").strip():
        missing.append("тема урока")
    if not lesson.held:
        missing.append("отметка о проведении")
    return missing


def lessons_with_people(query):
    """Join a lesson query with its journal, group, subject, teachers and replacement subject in one go."""
    planned = Staff.alias("planned")
    replacement = Subject.alias("replacement")
    return (
        query.select_extend(Journal, StudyGroup, Subject, Staff, planned, replacement)
        .join_from(Lesson, Journal, on=(Lesson.journal == Journal.id), attr="journal")
        .join_from(Journal, StudyGroup, on=(Journal.group == StudyGroup.id), attr="group")
        .join_from(Journal, Subject, on=(Journal.subject == Subject.id), attr="subject")
        .join_from(Lesson, Staff, on=(Lesson.teacher == Staff.id), attr="teacher")
        .join_from(Lesson, planned, on=(Lesson.planned_teacher == planned.id), attr="planned_teacher")
        .join_from(
            Lesson,
            replacement,
            JOIN.LEFT_OUTER,
            on=(Lesson.replacement_subject == replacement.id),
            attr="replacement_subject",
        )
    )


def lessons_of_day(day: dt.date):
    """Return every lesson of a day with its journal, group, subject and teachers, by group and lesson number."""
    return (
        lessons_with_people(Lesson.select())
        .where(Lesson.date == day)
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Lesson.number, Subject.name)
    )


def _counts(model, lesson_ids) -> dict[int, int]:
    if not lesson_ids:
        return {}
    rows = (
        model.select(model.lesson, fn.COUNT(model.id).alias("n"))
        .where(model.lesson.in_(lesson_ids))
        .group_by(model.lesson)
        .tuples()
    )
    return dict(rows)


def day_lessons(staff, day: dt.date, *, today: dt.date) -> list[LessonStatus]:
    """Return the staff member's lessons of a day (their own and substitutions given to them) with what is missing."""
    query = lessons_with_people(Lesson.select()).where(
        (Lesson.date == day) & ((Lesson.teacher == staff.id) | (Lesson.planned_teacher == staff.id))
    )
    lessons = list(query.order_by(Lesson.number, StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name))
    ids = [lesson.id for lesson in lessons]
    marks, absences, files = _counts(Mark, ids), _counts(Absence, ids), _counts(HomeworkFile, ids)
    term_ids = sorted({x.term_id for x in lessons if x.term_id})
    terms = {t.id: t for t in Term.select().where(Term.id.in_(term_ids))} if term_ids else {}
    result = []
    before = access.history_before()
    for lesson in lessons:
        term = terms.get(lesson.term_id)
        given_away = lesson.teacher_id != staff.id
        result.append(
            LessonStatus(
                lesson=lesson,
                missing=[] if given_away else missing_items(lesson, today),
                marks=marks.get(lesson.id, 0),
                absences=absences.get(lesson.id, 0),
                files=files.get(lesson.id, 0),
                editable=may_edit(staff, lesson, term, before),
                given_away=given_away,
            )
        )
    return result


@dataclass
class JournalEntry:
    """One journal a staff member may open, with its teachers."""

    journal: Journal
    teachers: list[str] = field(default_factory=list)
    own: bool = False

    @property
    def group(self) -> StudyGroup:
        return self.journal.group

    @property
    def subject(self) -> Subject:
        return self.journal.subject


def journals_for(staff, year) -> list[JournalEntry]:
    """Return the journals of a school year the staff member may open, by grade, group and subject (two queries)."""
    if year is None:
        return []
    leader = Staff.alias("leader")
    query = (
        Journal.select(Journal, StudyGroup, Subject, ClassGroup, leader)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(StudyGroup, ClassGroup, JOIN.LEFT_OUTER, attr="class_group")
        .join_from(
            ClassGroup, leader, JOIN.LEFT_OUTER, on=(ClassGroup.class_teacher == leader.id), attr="class_teacher"
        )
        .where(Journal.year == year.id)
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name)
    )
    entries = {j.id: JournalEntry(j) for j in access.scope(query, staff, Journal)}
    if not entries:
        return []
    teachers = (
        TeachingAssignment.select(TeachingAssignment.journal, TeachingAssignment.teacher, Staff)
        .join(Staff)
        .where(TeachingAssignment.journal.in_(list(entries)))
        .order_by(Staff.last_name, Staff.first_name)
    )
    for assignment in teachers:
        entry = entries[assignment.journal_id]
        entry.teachers.append(assignment.teacher.short_name)
        entry.own = entry.own or assignment.teacher_id == staff.id
    return list(entries.values())


def ensure_may_open_journal(staff, journal) -> None:
    """Refuse with AccessDenied unless the staff member may open this journal (`access.can_open_journal`)."""
    if not access.can_open_journal(staff, journal):
        raise AccessDenied("Этот журнал вам недоступен: вы не ведёте его и не руководите классом его учеников.")


def counting_journal(lesson) -> Journal:
    """Return the journal a lesson counts in: the group's journal of the replacement subject, if any, else its own."""
    if lesson.replacement_subject_id:
        found = Journal.get_or_none(
            (Journal.group == lesson.journal.group_id) & (Journal.subject == lesson.replacement_subject_id)
        )
        if found is not None:
            return found
    return lesson.journal


def current_year():
    """Return the current school year, or None when none is marked current."""
    return SchoolYear.current()


def chosen_year(raw):
    """Return the year a page is asked for (`?year=<id>`: past years stay open to read), else the current one."""
    if raw in (None, ""):
        return SchoolYear.current()
    year_id = parse_id(raw)
    year = SchoolYear.get_or_none(SchoolYear.id == year_id) if year_id is not None else None
    if year is None:
        raise NotFound("Такого учебного года нет.")
    return year


def all_years() -> list:
    """Every school year, newest first (the pages' year choice)."""
    return list(SchoolYear.select().order_by(SchoolYear.start_date.desc()))


def default_term(year, today: dt.date):
    """Return the term containing today, else the nearest earlier one, else the first one of the year."""
    terms = list(Term.select().where(Term.year == year.id).order_by(Term.start_date))
    if not terms:
        return None
    for term in terms:
        if term.start_date <= today <= term.end_date:
            return term
    earlier = [t for t in terms if t.start_date <= today]
    return earlier[-1] if earlier else terms[0]
