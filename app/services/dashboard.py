"""What needs each staff member's attention, for the home page: a working page for every role.

- Notices: counts of what waits (staff without a UID, parents' applications, the exports).
- A teacher: today's lessons with what each lacks, past lessons still unfilled (the completeness
  rules over their own lessons since the start of last month), their remarks to fix, their
  e-diary check due, the classes they lead.
- The deputy and the head: how fully the journal of this month is filled, by class and by
  teacher (one aggregate query), the remarks overdue and those waiting to be accepted, the
  e-diary checks overdue, and whether last month's check has been opened.
- The administrator: the last backup of the database (when, its size), and an alert when none
  succeeded in the last 36 hours or the last one failed.
"""

import datetime as dt
from dataclasses import dataclass, field

from peewee import Case, fn

from app.models import ClassGroup, DiaryApplication, Holiday, Journal, Lesson, SchoolYear, Staff, StudyGroup
from app.models.oversight import DiaryCheck, JournalCheck, Remark
from app.models.people import short_name
from app.permissions import Perm
from app.services import access, backups, completeness, diary_check, journal, journal_check, uids
from app.services.completeness import Finding, Scope

# The rules a teacher's home page shows for their past lessons.
TEACHER_RULES = frozenset({"not_held", "no_topic", "no_homework", "absence_no_reason", "marks_not_held"})
LIST_LIMIT = 10


@dataclass
class Notice:
    """One line on the home page: a count, what it means, where to go."""

    title: str
    count: int
    endpoint: str
    level: str = "warning"


def staff_without_uid():
    """Active staff who fill the journal or lead a class but have no portal UID yet (R7.1)."""
    return uids.uid_list(without_uid=True)


def notices_for(staff, clock) -> list[Notice]:
    """Return the things waiting for this staff member, most urgent first (times on the school's `clock`)."""
    notices = []
    if access.can(staff, Perm.UIDS_MANAGE):
        missing = staff_without_uid().count()
        if missing:
            notices.append(Notice("Сотрудники без UID портала", missing, "uids.missing"))
    if access.can_any(staff, (Perm.APPLICATIONS_MANAGE, Perm.APPLICATIONS_VIEW)):
        waiting = access.scope(DiaryApplication.waiting(), staff).count()
        if waiting:
            notices.append(Notice("Заявления родителей ждут обработки", waiting, "diaryapplication.index_view", "info"))
    if access.can(staff, Perm.EXPORTS_VIEW):
        # Last success and next run of the exports to the portal. A failed or overdue export is
        # the banner's (on every page, this one included): listing it here too showed it twice.
        from app.services.exports.planner import dashboard_notices

        notices.extend(Notice(*line) for line in dashboard_notices(clock))
    return notices


# --- the administrator's backups ----------------------------------------------------------------


@dataclass
class BackupHome:
    """The home page's line on backups: the newest good one (when, size), the state, and the alert."""

    state: backups.BackupStatus
    when: str
    size: str


def backup_home(staff, clock) -> BackupHome | None:
    """The last backup of the database for whoever manages backups (two queries), else None."""
    if not access.can_manage_backups(staff):
        return None
    state = backups.status(clock.utcnow())
    ok = state.last_ok
    return BackupHome(
        state=state,
        when=clock.format(ok.created_at) if ok else "",
        size=backups.size_label(ok.size) if ok else "",
    )


# --- a teacher's home ---------------------------------------------------------------------------


@dataclass
class TeacherHome:
    today: list[journal.LessonStatus]
    unfilled: list[Finding]
    unfilled_more: int
    remarks: list
    led_classes: list[ClassGroup]
    diary_checks: list = field(default_factory=list)


def teacher_home(staff, clock) -> TeacherHome | None:
    """A teacher's day: today's lessons, past lessons still unfilled, remarks to fix, the classes they lead."""
    if not access.can(staff, Perm.JOURNAL_EDIT_OWN):
        return None
    today = clock.today()
    year = SchoolYear.current()
    unfilled: list[Finding] = []
    if year is not None:
        start = max(journal_check.previous_month(today), year.start_date)
        end = min(today - dt.timedelta(days=1), year.end_date)
        if start <= end:
            scope = Scope(year.id, "teacher", staff.id)
            unfilled = completeness.find(scope, start, end, today=today, clock=clock, codes=TEACHER_RULES)
            unfilled.sort(key=lambda f: (f.day or today, f.code), reverse=True)
    remarks = list(
        journal_check.my_remarks(staff).where(Remark.status.in_(journal_check.OPEN_STATUSES)).limit(LIST_LIMIT)
    )
    led = (
        list(ClassGroup.select().where((ClassGroup.class_teacher == staff.id) & (ClassGroup.year == year.id)))
        if year
        else []
    )
    return TeacherHome(
        today=journal.day_lessons(staff, today, today=today),
        unfilled=unfilled[:LIST_LIMIT],
        unfilled_more=max(0, len(unfilled) - LIST_LIMIT),
        remarks=remarks,
        led_classes=led,
        diary_checks=list(diary_check.my_checks(staff).where(DiaryCheck.status == "due")),
    )


# --- the deputy's and the head's home -----------------------------------------------------------


@dataclass
class FillRate:
    """How much of a class's (or a teacher's) journal of the month is filled: lessons held with a topic."""

    label: str
    lessons: int = 0
    filled: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.filled / self.lessons) if self.lessons else 100

    @property
    def missing(self) -> int:
        return self.lessons - self.filled


@dataclass
class OversightHome:
    month: dt.date
    by_class: list[FillRate] = field(default_factory=list)
    by_teacher: list[FillRate] = field(default_factory=list)
    overdue: list = field(default_factory=list)
    overdue_count: int = 0
    to_review: int = 0
    open_remarks: int = 0
    overdue_diary: list = field(default_factory=list)
    last_month_check: JournalCheck | None = None
    last_month: dt.date | None = None
    may_check: bool = False


def fill_rates(year: SchoolYear, start: dt.date, end: dt.date) -> tuple[list[FillRate], list[FillRate]]:
    """The month's past lessons (not cancelled, not on a holiday) and those filled, by class and by teacher.

    Three queries: the counts grouped by class and teacher, the classes, the teachers' names.

    A class counts the lessons of its whole class and of its subgroups; a cross-class group is
    counted for its teacher only.
    """
    if end < start:
        return [], []
    condition = (Journal.year == year.id) & Lesson.date.between(start, end) & (Lesson.cancelled == False)  # noqa: E712
    holidays = Holiday.select(Holiday.start_date, Holiday.end_date).where(
        (Holiday.year == year.id) & (Holiday.start_date <= end) & (Holiday.end_date >= start)
    )
    for first, last in holidays.tuples():
        condition &= ~Lesson.date.between(first, last)
    filled = Case(None, [((Lesson.held == True) & (fn.TRIM(fn.COALESCE(Lesson.topic, "")) != ""), 1)], 0)  # noqa: E712
    rows = (
        Lesson.select(StudyGroup.class_group, Lesson.teacher, fn.COUNT(Lesson.id), fn.SUM(filled))
        .join(Journal, on=(Journal.id == Lesson.journal))
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .where(condition)
        .group_by(StudyGroup.class_group, Lesson.teacher)
        .tuples()
    )
    classes = {
        c.id: c
        for c in ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter)
    }
    by_class = {cid: FillRate(str(c)) for cid, c in classes.items()}
    by_teacher: dict[int, FillRate] = {}
    for class_id, teacher_id, lessons, done in rows:
        for rate in (by_class.get(class_id), by_teacher.setdefault(teacher_id, FillRate(""))):
            if rate is not None:
                rate.lessons += lessons
                rate.filled += int(done or 0)
    if by_teacher:
        names = Staff.select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name).where(
            Staff.id.in_(list(by_teacher))
        )
        for sid, last, first, middle in names.tuples():
            by_teacher[sid].label = short_name(last, first, middle)
    teachers = sorted(by_teacher.values(), key=lambda r: (r.percent, -r.missing, r.label))
    return [r for r in by_class.values() if r.lessons], teachers


def oversight_home(staff, clock) -> OversightHome | None:
    """The deputy's and the head's view of the month: the journal's fill by class and teacher, remarks, last check."""
    if not access.can_view_checks(staff):
        return None
    today = clock.today()
    home = OversightHome(month=today.replace(day=1), may_check=access.can_run_checks(staff))
    year = SchoolYear.current()
    if year is not None:
        home.by_class, home.by_teacher = fill_rates(
            year, max(home.month, year.start_date), today - dt.timedelta(days=1)
        )
        home.last_month = journal_check.previous_month(today)
        if home.last_month >= year.start_date.replace(day=1):
            home.last_month_check = (
                JournalCheck.select()
                .where((JournalCheck.year == year.id) & (JournalCheck.month == home.last_month))
                .order_by(JournalCheck.id)
                .first()
            )
        else:
            home.last_month = None
    overdue = journal_check.overdue_remarks(today)
    home.overdue_count = overdue.count()
    home.overdue = list(overdue.limit(LIST_LIMIT))
    home.to_review = journal_check.remarks_to_review_count(staff)
    home.open_remarks = journal_check.open_remarks().count()
    home.overdue_diary = list(diary_check.overdue_checks(today).limit(LIST_LIMIT))
    return home


def chart_data(home: OversightHome) -> dict:
    """The fill charts' data for the page's script: labels and percentages, by class and the least filled teachers."""
    teachers = home.by_teacher[:15]
    return {
        "classes": {"labels": [r.label for r in home.by_class], "values": [r.percent for r in home.by_class]},
        "teachers": {"labels": [r.label for r in teachers], "values": [r.percent for r in teachers]},
    }
