"""The monthly e-diary check (R7.1–R7.3): does the portal show a staff member's data as the journal holds it?

On the 1st of each month (`open_monthly`, the daily job) everyone with a portal UID and a scope
gets a check of the past month: a teacher their own journals, a class teacher every journal of
their class (R7.2). The check compares what the portal holds — the delivered packages replayed
(app/services/portal_view.py), not the live tables — with the journal now, lesson by lesson,
mark by mark, absence by absence, and lists every difference: a change made after the last
delivered package goes with the next daily export; any other difference is a fault to report.
Beside it stands the health of the exports (the last delivered, a failed or overdue one).

The person answers «данные верны», or describes the problem, which becomes a remark for the
administrator (the one who runs the exports). Checks unanswered past their due date show on the
deputy's home page.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from app.db import db
from app.formats import format_date, month_label
from app.ids import parse_id
from app.models import (
    Absence,
    ClassGroup,
    Journal,
    Lesson,
    Mark,
    Permission,
    RolePermission,
    SchoolSettings,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Tombstone,
)
from app.models.journal import ABSENCE_REASONS
from app.models.oversight import DIARY_CHECK_STATUSES, REMARK_TEXT_MAX, DiaryCheck, Remark, RemarkEvent
from app.models.people import short_name
from app.permissions import Perm
from app.services import access, audit, journal_check, portal_view
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.exports.builder import current_records

STATUS_LABELS = dict(DIARY_CHECK_STATUSES)
REASON_LABELS = dict(ABSENCE_REASONS)
# A check of a month is due by this day of the next month.
DUE_DAY = 10
# What a lesson's line says of each field that differs.
LESSON_FIELDS = {
    "topic": "тема",
    "homework": "домашнее задание",
    "held": "урок проведён",
    "cancelled": "урок отменён",
    "teacher": "учитель",
    "date": "дата",
    "number": "номер урока",
}


def cache_dir(instance_path) -> Path:
    """Where the months read back from full packages are kept (app/services/portal_view.py)."""
    return Path(instance_path) / "portal-view"


def scope_journal_ids(staff_id: int, year_id: int) -> list[int]:
    """The journals of a year a UID shows (R7.2): those the person teaches and every journal of a class they lead."""
    taught = (
        TeachingAssignment.select(TeachingAssignment.journal)
        .join(Journal)
        .where((TeachingAssignment.teacher == staff_id) & (Journal.year == year_id))
    )
    led = ClassGroup.select(ClassGroup.id).where((ClassGroup.class_teacher == staff_id) & (ClassGroup.year == year_id))
    ids = {jid for (jid,) in taught.tuples()}
    led_ids = [cid for (cid,) in led.tuples()]
    if led_ids:
        ids |= {jid for (jid,) in access.journals_of_classes(led_ids).tuples()}
    return sorted(ids)


def open_monthly(today: dt.date, *, clock) -> int:
    """Open the past month's check for everyone with a portal UID and a scope; return how many were opened.

    Idempotent: a check already opened is left as it is. Nothing is opened before a school year's
    first month is over, nor for a month of another year.
    """
    year = SchoolYear.current()
    if year is None:
        return 0
    first = journal_check.previous_month(today)
    if first < year.start_date.replace(day=1) or first > year.end_date:
        return 0
    due = today.replace(day=DUE_DAY) if today.day <= DUE_DAY else today + dt.timedelta(days=DUE_DAY)
    opened = 0
    staff = Staff.select().where(
        (Staff.active == True) & Staff.portal_uid.is_null(False) & (Staff.portal_uid != "")  # noqa: E712
    )
    existing = {sid for (sid,) in DiaryCheck.select(DiaryCheck.staff).where(DiaryCheck.month == first).tuples()}
    with db.atomic():
        for person in staff:
            if person.id in existing or not scope_journal_ids(person.id, year.id):
                continue
            DiaryCheck.create(staff=person.id, year=year.id, month=first, due_date=due, opened_at=clock.utcnow())
            opened += 1
    return opened


def get_check(actor, check_id) -> DiaryCheck:
    """A check the person may see: their own, or anyone's for those who read the journal checks."""
    check_id = parse_id(check_id)
    check = DiaryCheck.get_or_none(DiaryCheck.id == check_id) if check_id else None
    if check is None or (check.staff_id != actor.id and not access.can_view_checks(actor)):
        raise NotFound("Такой проверки электронного дневника нет.")
    return check


def title(check: DiaryCheck) -> str:
    return f"Проверка электронного дневника за {month_label(check.month)}"


# --- the comparison -------------------------------------------------------------------------------


@dataclass
class Difference:
    """One place where the portal and the journal differ."""

    where: str
    portal: str
    journal: str
    # The journal's side changed after the last delivered package: the next daily sends it.
    pending: bool
    lesson_id: int | None = None


@dataclass
class DiaryReview:
    check: DiaryCheck
    differences: list[Difference]
    lessons: int
    marks: int
    absences: int
    delivered_at: dt.datetime | None
    unreadable: list[str]
    journals: dict[int, Journal] = field(default_factory=dict)
    # Nothing has been delivered for the year yet: the portal holds none of it (no line by line list).
    nothing_delivered: bool = False

    @property
    def pending(self) -> list[Difference]:
        return [d for d in self.differences if d.pending]

    @property
    def faults(self) -> list[Difference]:
        return [d for d in self.differences if not d.pending]


def _deleted_after(type_name: str, ids, change: int) -> set[int]:
    if not ids:
        return set()
    rows = Tombstone.select(Tombstone.record_id).where(
        (Tombstone.record_type == type_name) & Tombstone.record_id.in_(sorted(ids)) & (Tombstone.change_no > change)
    )
    return {int(rid) for (rid,) in rows.tuples()}


def _mark_text(fields: dict | None) -> str:
    if fields is None:
        return "нет"
    weight = fields.get("weight")
    return f"{fields['value']} ({fields['work_type']}, вес {weight})" if weight not in (None, 1) else fields["value"]


def _absence_text(fields: dict | None) -> str:
    return "нет" if fields is None else f"пропуск: {REASON_LABELS.get(fields['reason'], fields['reason'])}"


def _value_text(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


def review(actor, check: DiaryCheck, *, clock, instance_path) -> DiaryReview:
    """Compare the portal's month (the delivered packages replayed) with the journal now, for the check's scope."""
    if check.staff_id != actor.id and not access.can_view_checks(actor):
        raise AccessDenied("Проверку электронного дневника видит тот, чья она, и заместитель директора.")
    first, last = check.month, journal_check.month_end(check.month)
    journal_ids = set(scope_journal_ids(check.staff_id, check.year_id))
    settings = SchoolSettings.load()
    portal = portal_view.portal_month(check.year_id, settings.school_code, first, last, cache_dir(instance_path))
    if portal.last_run is None:
        return DiaryReview(check, [], 0, 0, 0, None, [], nothing_delivered=True)
    since = portal.change or 0
    in_scope = {lid: f for lid, f in portal.lessons.items() if f["journal"] in journal_ids}
    live_lessons = current_records(
        "lesson", check.year_id, Lesson.journal.in_(sorted(journal_ids) or [0]) & Lesson.date.between(first, last)
    )
    lesson_ids = sorted(set(live_lessons) | set(in_scope))
    live_marks = current_records("mark", check.year_id, Mark.lesson.in_(lesson_ids or [0]))
    live_absences = current_records("absence", check.year_id, Absence.lesson.in_(lesson_ids or [0]))
    portal_marks = {i: f for i, f in portal.marks.items() if f["lesson"] in set(lesson_ids)}
    portal_absences = {i: f for i, f in portal.absences.items() if f["lesson"] in set(lesson_ids)}

    journals = {
        j.id: j
        for j in Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(Journal.id.in_(sorted(journal_ids) or [0]))
    }
    student_ids = {f["student"] for f in (*portal_marks.values(), *portal_absences.values())}
    student_ids |= {f["student"] for _, f in (*live_marks.values(), *live_absences.values())}
    names = {
        sid: short_name(last_name, first_name, middle)
        for sid, last_name, first_name, middle in Student.select(
            Student.id, Student.last_name, Student.first_name, Student.middle_name
        )
        .where(Student.id.in_(sorted(student_ids) or [0]))
        .tuples()
    }
    lessons_all = {**in_scope, **{i: f for i, (_, f) in live_lessons.items()}}

    def lesson_place(lesson_id) -> str:
        fields = lessons_all.get(lesson_id)
        if fields is None:
            return "урок"
        journal = journals.get(fields["journal"])
        book = f"{journal.group} · {journal.subject.name}, " if journal else ""
        return f"{book}{format_date(dt.date.fromisoformat(fields['date']))}, {fields['number']} урок"

    differences: list[Difference] = []
    gone_lessons = _deleted_after("lesson", set(in_scope) - set(live_lessons), since)
    by_day = sorted(lessons_all, key=lambda i: (lessons_all[i]["date"], lessons_all[i]["number"], i))
    for lesson_id in by_day:
        live = live_lessons.get(lesson_id)
        held = in_scope.get(lesson_id)
        if live is None:
            differences.append(
                Difference(lesson_place(lesson_id), "урок есть", "урок удалён", lesson_id in gone_lessons)
            )
            continue
        change, fields = live
        if held is None:
            differences.append(Difference(lesson_place(lesson_id), "урока нет", "урок есть", change > since, lesson_id))
            continue
        for key, label in LESSON_FIELDS.items():
            if fields.get(key) != held.get(key):
                differences.append(
                    Difference(
                        f"{lesson_place(lesson_id)}: {label}",
                        _value_text(key, held.get(key)),
                        _value_text(key, fields.get(key)),
                        change > since,
                        lesson_id,
                    )
                )
    for type_name, live_rows, portal_rows, describe in (
        ("mark", live_marks, portal_marks, _mark_text),
        ("absence", live_absences, portal_absences, _absence_text),
    ):
        gone = _deleted_after(type_name, set(portal_rows) - set(live_rows), since)
        for record_id in sorted(set(live_rows) | set(portal_rows)):
            live = live_rows.get(record_id)
            held = portal_rows.get(record_id)
            fields = live[1] if live else held
            if live is not None and held == live[1]:
                continue
            where = f"{lesson_place(fields['lesson'])}, {names.get(fields['student'], 'ученик')}"
            pending = (live[0] > since) if live is not None else record_id in gone
            differences.append(
                Difference(where, describe(held), describe(live[1] if live else None), pending, fields["lesson"])
            )
    return DiaryReview(
        check=check,
        differences=differences,
        lessons=len(live_lessons),
        marks=len(live_marks),
        absences=len(live_absences),
        delivered_at=portal.last_run.finished_at if portal.last_run else None,
        unreadable=portal.unreadable,
        journals=journals,
    )


# --- answers ------------------------------------------------------------------------------------------


def _ensure_own_open(actor, check: DiaryCheck) -> None:
    if check.staff_id != actor.id:
        raise AccessDenied("Ответить на проверку электронного дневника может только тот, чья она.")
    if check.status != "due":
        raise DomainError(f"На эту проверку уже ответили: «{STATUS_LABELS[check.status]}».")


def confirm(actor, check_id, *, clock) -> DiaryCheck:
    """«Данные верны»: the person saw the portal show their month as the journal holds it."""
    check = get_check(actor, check_id)
    _ensure_own_open(actor, check)
    before = check.snapshot()
    with db.atomic():
        check.status, check.answered_at = "confirmed", clock.utcnow()
        check.save()
        audit.record(actor, "update", check, before=before, after=check.snapshot(), object_repr=title(check))
    return check


def administrator():
    """Who receives the problems reported: an active staff member who runs the exports (the lowest id)."""
    holders = (
        StaffRole.select(StaffRole.staff)
        .join(RolePermission, on=(RolePermission.role == StaffRole.role))
        .join(Permission, on=(Permission.id == RolePermission.permission))
        .where(Permission.code == Perm.EXPORTS_RUN)
    )
    return Staff.select().where((Staff.active == True) & Staff.id.in_(holders)).order_by(Staff.id).first()  # noqa: E712


def report(actor, check_id, text, *, clock) -> DiaryCheck:
    """Report a problem with the e-diary: it becomes a remark for the administrator, due in a week."""
    check = get_check(actor, check_id)
    _ensure_own_open(actor, check)
    text = str(text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise DomainError("Опишите, что на портале показано не так: это получит администратор.", "comment")
    if len(text) > REMARK_TEXT_MAX:
        raise DomainError(f"Описание — не длиннее {REMARK_TEXT_MAX} знаков.", "comment")
    admin = administrator()
    if admin is None:
        raise DomainError("В школе нет администратора выгрузки на портал: сообщите о проблеме заместителю директора.")
    at = clock.utcnow()
    before = check.snapshot()
    with db.atomic():
        remark = Remark.create(
            check=None,
            assignee=admin.id,
            text=f"{title(check)}: {actor.short_name} сообщает — {text}",
            due_date=clock.today() + dt.timedelta(days=7),
            created_by=actor.id,
            created_at=at,
            updated_at=at,
        )
        RemarkEvent.create(remark=remark.id, status="open", actor=actor.id, at=at)
        audit.record(actor, "create", remark, after=remark.snapshot(), object_repr=remark.text[:300])
        check.status, check.answered_at, check.comment, check.remark = "reported", at, text, remark.id
        check.save()
        audit.record(actor, "update", check, before=before, after=check.snapshot(), object_repr=title(check))
    return check


# --- lists --------------------------------------------------------------------------------------------


def my_checks(staff):
    return DiaryCheck.select().where(DiaryCheck.staff == staff.id).order_by(DiaryCheck.month.desc())


def due_count(staff) -> int:
    """The person's checks still to answer (the menu's count)."""
    return DiaryCheck.select().where((DiaryCheck.staff == staff.id) & (DiaryCheck.status == "due")).count()


def overdue_checks(today: dt.date):
    """Checks unanswered past their due date, with their staff, oldest first (the deputy's home page)."""
    return (
        DiaryCheck.select(DiaryCheck, Staff)
        .join(Staff, on=(Staff.id == DiaryCheck.staff))
        .where((DiaryCheck.status == "due") & (DiaryCheck.due_date < today))
        .order_by(DiaryCheck.due_date, Staff.last_name)
    )


def all_checks():
    return (
        DiaryCheck.select(DiaryCheck, Staff)
        .join(Staff, on=(Staff.id == DiaryCheck.staff))
        .order_by(DiaryCheck.month.desc(), Staff.last_name, Staff.first_name)
    )
