"""Who may do what (permissions), who may see which rows (scope), and the journal's rules: one place (DESIGN 1).

The journal's rules are who opens a class journal, who fills a lesson, who gives it to another
teacher, and that a closed term is read-only except for the deputy.
"""

from peewee import JOIN

from app import memo
from app.models import (
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    GroupMembership,
    Guardian,
    HomeworkFile,
    Journal,
    Lesson,
    LessonPlanRow,
    Mark,
    Permission,
    PlanRow,
    RolePermission,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    ThematicPlan,
    TimetableSlot,
)
from app.permissions import NOBODY, Perm, UnknownPermission, ensure_known  # noqa: F401 (re-exported)

VIEW_ALL = Perm.JOURNAL_VIEW_ALL


def permissions_of(staff) -> frozenset[str]:
    """Return the permission codes a staff member holds through all their roles (cached on the object)."""
    if staff is None or not getattr(staff, "id", None) or not getattr(staff, "active", False):
        return frozenset()
    cached = getattr(staff, "_permission_cache", None)
    if cached is None:
        rows = (
            Permission.select(Permission.code)
            .join(RolePermission)
            .join(StaffRole, on=(StaffRole.role == RolePermission.role))
            .where(StaffRole.staff == staff.id)
            .distinct()
        )
        cached = frozenset(row.code for row in rows)
        staff._permission_cache = cached
    return cached


def staff_with_permissions(staff_id: int):
    """Return the active staff member with this id, their permission codes read in the same query, or None.

    The session's one query for the person: `permissions_of` then answers from the object.
    """
    rows = list(
        Staff.select(Staff, Permission.code.alias("permission_code"))
        .join(StaffRole, JOIN.LEFT_OUTER, on=(StaffRole.staff == Staff.id))
        .join(RolePermission, JOIN.LEFT_OUTER, on=(RolePermission.role == StaffRole.role))
        .join(Permission, JOIN.LEFT_OUTER, on=(Permission.id == RolePermission.permission))
        .where((Staff.id == staff_id) & (Staff.active == True))  # noqa: E712
        .objects()
    )
    if not rows:
        return None
    staff = rows[0]
    staff._permission_cache = frozenset(row.permission_code for row in rows if row.permission_code is not None)
    del staff.permission_code
    return staff


def forget_permissions(staff) -> None:
    """Drop the cached permissions of a staff object (after its roles changed)."""
    if staff is not None and hasattr(staff, "_permission_cache"):
        del staff._permission_cache


def can(staff, code: str) -> bool:
    """Answer whether the staff member holds the permission code; raise UnknownPermission for a code not in Perm."""
    return ensure_known(code) in permissions_of(staff)


def can_any(staff, codes) -> bool:
    """Answer whether the staff member holds at least one of the codes (every one of them must be known)."""
    codes = [ensure_known(code) for code in codes]
    held = permissions_of(staff)
    return any(code in held for code in codes)


def sees_everything(staff) -> bool:
    """Deputy, head and administrator see every row; others see their own scope."""
    return can(staff, VIEW_ALL)


def current_year_ids():
    """Return a subquery of the id of the current school year (none while no year is marked current)."""
    return SchoolYear.select(SchoolYear.id).where(SchoolYear.is_current == True)  # noqa: E712


def history_before():
    """Return the first day of the current school year: whatever is dated before it belongs to a past year.

    None while no year is marked current (then no year counts as past).
    """
    year = SchoolYear.current()  # read once per request (app/memo.py)
    return year.start_date if year is not None else None


_UNKNOWN = object()


def year_is_past(year, before=_UNKNOWN) -> bool:
    """A year that ended before the current one began is history: read-only for everyone, fully viewable.

    `year` is a SchoolYear or its id; `before` (history_before()) saves a query when asked for many.
    """
    if year is None:
        return False
    if before is _UNKNOWN:
        before = history_before()
    if before is None:
        return False
    if not isinstance(year, SchoolYear):
        year = SchoolYear.get_or_none(SchoolYear.id == year)
        if year is None:
            return False
    return year.end_date < before


def lesson_is_past(lesson, before=_UNKNOWN) -> bool:
    """A lesson dated before the current year's first day lies in a past year (years do not overlap)."""
    term = getattr(lesson, "__rel__", {}).get("term")
    year = getattr(term, "__rel__", {}).get("year")
    if year is not None and year.is_current:  # read with the lesson (journal.with_term): no query
        return False
    if before is _UNKNOWN:
        before = history_before()
    return before is not None and lesson.date < before


def led_class_ids(staff):
    """Return a subquery of the ids of the classes, of any year, whose class teacher this is."""
    return ClassGroup.select(ClassGroup.id).where(ClassGroup.class_teacher == staff.id)


def current_led_class_ids(staff):
    """Return a subquery of the ids of this school year's classes whose class teacher this is."""
    return led_class_ids(staff).where(ClassGroup.year.in_(current_year_ids()))


def taught_journal_ids(staff):
    """Return a subquery of the ids of the journals, of any year, the staff member is a teacher of."""
    return TeachingAssignment.select(TeachingAssignment.journal).where(TeachingAssignment.teacher == staff.id)


def journals_of_classes(class_ids):
    """Return a subquery of the journals that have a student of these classes.

    A whole-class group or a subgroup belongs to its class; a cross-class or individual group
    has a student of the class when one of its members is enrolled in it.
    """
    return _journals_of_classes_where(ClassGroup.id.in_(class_ids))


def _journals_of_classes_where(condition):
    # journals_of_classes as a union of two flat joins (see open_journal_ids on nesting), the
    # classes chosen by a condition on ClassGroup and SchoolYear.
    of_class_groups = (
        Journal.select(Journal.id)
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .join(ClassGroup, on=(ClassGroup.id == StudyGroup.class_group))
        .join(SchoolYear, on=(SchoolYear.id == ClassGroup.year))
        .where(condition)
    )
    with_members = (
        Journal.select(Journal.id)
        .join(GroupMembership, on=(GroupMembership.group == Journal.group))
        .join(Enrollment, on=(Enrollment.student == GroupMembership.student))
        .join(ClassGroup, on=(ClassGroup.id == Enrollment.class_group))
        .join(SchoolYear, on=(SchoolYear.id == ClassGroup.year))
        .where(condition)
    )
    return of_class_groups | with_members


def open_journal_ids(staff) -> list[int]:
    """Return the ids of the journals a staff member without VIEW_ALL may open, read in one query.

    The journals they teach (of any year: the journal they kept stays theirs) and, this school
    year, every journal that has a student of a class they lead (read-only for them).

    A list (a few dozen ids), not a subquery, so that the scopes built on it stay flat: peewee
    renders an `IN (subquery)` once more to test it for emptiness, which doubles the cost of every
    level of nesting, and the databases plan a flat `IN (…)` list through the indexes.
    """
    return memo.remember(("open_journal_ids", staff.id), _JOURNAL_TABLES, lambda: _read_open_journal_ids(staff))


# What open_journal_ids reads: a write to one of them drops the request's remembered list.
_JOURNAL_TABLES = (
    "teaching_assignment",
    "journal",
    "study_group",
    "class_group",
    "school_year",
    "group_membership",
    "enrollment",
)


def _open_journals_query(staff):
    # journals_of_classes(current_led_class_ids(staff)), the led classes joined rather than nested.
    led_now = (ClassGroup.class_teacher == staff.id) & (SchoolYear.is_current == True)  # noqa: E712
    return taught_journal_ids(staff) | _journals_of_classes_where(led_now)


def _read_open_journal_ids(staff) -> list[int]:
    return sorted({journal_id for (journal_id,) in _open_journals_query(staff).tuples()})


def _group_ids_of(journal_ids):
    return Journal.select(Journal.group).where(Journal.id.in_(journal_ids))


def taught_class_ids(staff):
    """Return a subquery of the ids of the classes, of any year, the staff member teaches or leads.

    A class is taught through a journal of its whole class or of its subgroup, or through a
    member of a cross-class group enrolled in it.
    """
    groups = _group_ids_of(taught_journal_ids(staff))
    of_groups = ClassGroup.select(ClassGroup.id).where(
        ClassGroup.id.in_(StudyGroup.select(StudyGroup.class_group).where(StudyGroup.id.in_(groups)))
    )
    members = GroupMembership.select(GroupMembership.student).where(GroupMembership.group.in_(groups))
    of_members = Enrollment.select(Enrollment.class_group).where(Enrollment.student.in_(members))
    return of_groups | led_class_ids(staff) | ClassGroup.select(ClassGroup.id).where(ClassGroup.id.in_(of_members))


def current_class_ids(staff):
    """Return a subquery of the ids of this school year's classes the staff member teaches or leads."""
    return ClassGroup.select(ClassGroup.id).where(
        ClassGroup.year.in_(current_year_ids()) & ClassGroup.id.in_(taught_class_ids(staff))
    )


def is_class_teacher(staff) -> bool:
    """Answer whether the staff member is the class teacher of any class."""
    return bool(staff) and ClassGroup.select().where(ClassGroup.class_teacher == staff.id).exists()


def _own_lessons(staff):
    # Their own lessons and their journals' lessons stay theirs in every year (the journal they
    # kept); a class teacher's view over the class's other journals lasts as long as the class
    # is theirs: this year. A condition on the lesson row itself, so a query of lessons is not
    # joined to a second scan of the lesson table.
    return (
        (Lesson.teacher == staff.id)
        | (Lesson.planned_teacher == staff.id)
        | Lesson.journal.in_(open_journal_ids(staff))
    )


def can_see_lesson(staff, lesson) -> bool:
    """Answer the lesson scope's rule (`_own_lessons`) for one lesson row already read, in at most one query.

    Their own lesson (given or planned) and, for whoever sees everything, any lesson take no
    query; otherwise the lesson's journal must be one they may open (`open_journal_ids`, read
    once per request).
    """
    if staff is None or not getattr(staff, "id", None):
        return False
    if sees_everything(staff):
        return True
    if staff.id in (lesson.teacher_id, lesson.planned_teacher_id):
        return True
    return lesson.journal_id in open_journal_ids(staff)


def lesson_condition(staff):
    """Return the lesson scope as one condition on the lesson row a query reads, its journals as a subquery.

    For a query of a few rows (a student's marks of a term after a save), where reading the
    journal ids first (`open_journal_ids`) would cost a query of its own. A grid's scopes keep the
    flat list (decision 19).
    """
    if staff is None or not getattr(staff, "id", None):
        return Lesson.id.is_null()
    if sees_everything(staff):
        return Lesson.id.is_null(False)
    return (
        (Lesson.teacher == staff.id)
        | (Lesson.planned_teacher == staff.id)
        | Lesson.journal.in_(_open_journals_query(staff))
    )


def _lesson_ids(staff):
    return Lesson.select(Lesson.id).where(_own_lessons(staff))


def _student_ids(staff):
    # Personal data follows this year only: the students of the classes they lead, and the members
    # of this year's groups they teach (a whole class's members are its enrollments).
    this_year = Journal.select(Journal.id).where(
        Journal.id.in_(taught_journal_ids(staff)) & Journal.year.in_(current_year_ids())
    )
    groups = _group_ids_of(this_year)
    whole_classes = StudyGroup.select(StudyGroup.class_group).where(
        StudyGroup.id.in_(groups) & (StudyGroup.kind == "class")
    )
    enrolled = Enrollment.select(Enrollment.student).where(
        Enrollment.class_group.in_(current_led_class_ids(staff)) | Enrollment.class_group.in_(whole_classes)
    )
    members = GroupMembership.select(GroupMembership.student).where(GroupMembership.group.in_(groups))
    return enrolled | members


def _visible_group_ids(staff):
    return _group_ids_of(open_journal_ids(staff)) | StudyGroup.select(StudyGroup.id).where(
        StudyGroup.class_group.in_(current_led_class_ids(staff))
    )


# For each model, how a staff member without VIEW_ALL is limited. A model missing here
# shows nothing to such a person (default deny); None means the rows are not personal.
#
# School years: students, guardians, their links, enrollments and applications are seen
# through the classes the person teaches or leads in the CURRENT school year (as the portal
# UID scope). The journal a teacher kept stays theirs: their own lessons of any year, with their
# marks, absences and files, and the classes and timetable rows of those lessons (class rows and
# slots carry no personal data). A class teacher's reach over the other subjects of the class
# (lessons, marks, assignments) ends with the year.
_SCOPES = {
    ClassGroup: lambda q, s: q.where(ClassGroup.id.in_(taught_class_ids(s))),
    Enrollment: lambda q, s: q.where(
        Enrollment.class_group.in_(current_class_ids(s)) & Enrollment.student.in_(_student_ids(s))
    ),
    Student: lambda q, s: q.where(Student.id.in_(_student_ids(s))),
    StudentGuardian: lambda q, s: q.where(StudentGuardian.student.in_(_student_ids(s))),
    Guardian: lambda q, s: q.where(
        Guardian.id.in_(
            StudentGuardian.select(StudentGuardian.guardian).where(StudentGuardian.student.in_(_student_ids(s)))
        )
    ),
    StudyGroup: lambda q, s: q.where(StudyGroup.id.in_(_visible_group_ids(s))),
    GroupMembership: lambda q, s: q.where(
        GroupMembership.group.in_(_visible_group_ids(s)) & GroupMembership.student.in_(_student_ids(s))
    ),
    Journal: lambda q, s: q.where(Journal.id.in_(open_journal_ids(s))),
    TeachingAssignment: lambda q, s: q.where(TeachingAssignment.journal.in_(open_journal_ids(s))),
    TimetableSlot: lambda q, s: q.where(TimetableSlot.journal.in_(open_journal_ids(s))),
    Lesson: lambda q, s: q.where(_own_lessons(s)),
    Mark: lambda q, s: q.where(Mark.lesson.in_(_lesson_ids(s))),
    Absence: lambda q, s: q.where(Absence.lesson.in_(_lesson_ids(s))),
    HomeworkFile: lambda q, s: q.where(HomeworkFile.lesson.in_(_lesson_ids(s))),
    DiaryApplication: lambda q, s: q.where(DiaryApplication.student.in_(_student_ids(s))),
    ThematicPlan: lambda q, s: q.where(ThematicPlan.journal.in_(open_journal_ids(s))),
    PlanRow: lambda q, s: q.where(
        PlanRow.plan.in_(ThematicPlan.select(ThematicPlan.id).where(ThematicPlan.journal.in_(open_journal_ids(s))))
    ),
    LessonPlanRow: lambda q, s: q.where(LessonPlanRow.lesson.in_(_lesson_ids(s))),
    # Everyone sees their own card; holding staff.manage is what lets a person see every staff
    # member (a custom «кадры» role without journal.view_all would otherwise manage only themselves).
    Staff: lambda q, s: q if can(s, Perm.STAFF_MANAGE) else q.where(Staff.id == s.id),
}
# No row scope: the rows are not personal (the school's calendar, subjects and work types), or
# they are nobody's rows and the permission that opens their screen is the whole rule — the audit
# (audit.view), the roles (staff.manage) and the export runs (exports.view).
_UNSCOPED_NAMES = {
    "Subject",
    "HomeworkExpectation",
    "Room",
    "BellTime",
    "ShortDay",
    "SchoolYear",
    "Term",
    "Holiday",
    "WorkType",
    "CurriculumHours",
    "SchoolSettings",
    "AuditEntry",
    "Role",
    "ExportRun",
}


def scope(query, staff, model=None):
    """Limit a select query to the rows of `model` (default: the query's model) the staff member may see."""
    model = model or query.model
    nothing = model._meta.primary_key.is_null()
    if staff is None or not getattr(staff, "id", None):
        return query.where(nothing)
    if sees_everything(staff) or model.__name__ in _UNSCOPED_NAMES:
        return query
    rule = _SCOPES.get(model)
    return query.where(nothing) if rule is None else rule(query, staff)


def can_run_checks(staff) -> bool:
    """The deputy checks the journal (R4.1): opens a month's check, dismisses findings, gives and accepts remarks."""
    return can(staff, Perm.JOURNAL_CHECK)


def can_view_checks(staff) -> bool:
    """Who reads every check and remark: those who check, and those who see the whole journal (the head)."""
    return can_any(staff, (Perm.JOURNAL_CHECK, Perm.JOURNAL_VIEW_ALL))


def can_see_remark(staff, remark) -> bool:
    """A remark is its assignee's once published (R4.2), and everyone's who reads the checks."""
    if can_view_checks(staff):
        return True
    return remark.assignee_id == staff.id and (remark.check_id is None or remark.check.is_published)


def can_see(staff, instance) -> bool:
    """Answer whether one row lies inside the staff member's scope."""
    model = type(instance)
    query = scope(model.select(model._meta.primary_key), staff, model)
    return query.where(model._meta.primary_key == instance.get_id()).exists()


def can_edit_lesson(staff, lesson) -> bool:
    """A teacher edits the lessons they give (their own and the ones they substitute); the deputy edits any.

    This is the lesson's own rule; whether its term still allows writing is `can_edit_in_term`.
    """
    # The deputy checks the journal and has remarks fixed (R4.1, R4.2), closed terms included.
    if can(staff, Perm.JOURNAL_CHECK):
        return True
    if not can(staff, Perm.JOURNAL_EDIT_OWN):
        return False
    return lesson.teacher_id == staff.id


def term_is_closed(term) -> bool:
    """Tell whether a term is closed (a missing term, as for a lesson outside every term, is open)."""
    return bool(term is not None and term.closed)


def can_edit_in_term(staff, term) -> bool:
    """A closed term is read-only except for the deputy (journal.check); an open or missing term allows writing."""
    return not term_is_closed(term) or can(staff, Perm.JOURNAL_CHECK)


def can_fill_lesson(staff, lesson, term=None, before=_UNKNOWN) -> bool:
    """Answer whether the staff member may fill this lesson: its own rule, its term's and its year's.

    `term` and `before` (history_before()) save a query each when asked for many lessons.
    """
    if lesson_is_past(lesson, before):
        return False
    if term is None and lesson.term_id:
        term = lesson.term
    return can_edit_in_term(staff, term) and can_edit_lesson(staff, lesson)


def can_substitute(staff, term) -> bool:
    """The deputy gives any lesson to another teacher; the timetable's keeper (school.manage) in an open term."""
    if can(staff, Perm.JOURNAL_CHECK):
        return True
    return can(staff, Perm.SCHOOL_MANAGE) and can_edit_in_term(staff, term)


def can_open_journal(staff, journal) -> bool:
    """Answer whether the staff member may open this journal.

    Deputy and head see every journal; a teacher the journals they teach; a class teacher, this
    school year, every journal that has a student of their class (read-only: `can_edit_lesson`).
    """
    if staff is None or not getattr(staff, "id", None):
        return False
    if sees_everything(staff):
        return True
    return journal.id in open_journal_ids(staff)


def can_view_timetable(staff) -> bool:
    """The timetable is not secret inside the school: school.view opens every class's, teacher's and room's week."""
    return can(staff, Perm.SCHOOL_VIEW)


def can_view_own_timetable(staff) -> bool:
    """A teacher reads their own week («Моё расписание») even without school.view."""
    return can_any(staff, (Perm.SCHOOL_VIEW, Perm.JOURNAL_EDIT_OWN))


def can_view_teacher_timetable(staff, teacher_id: int) -> bool:
    """Answer whether the staff member may see this teacher's week: school.view, or their own as a teacher."""
    if can_view_timetable(staff):
        return True
    return bool(staff and staff.id == teacher_id) and can(staff, Perm.JOURNAL_EDIT_OWN)


def lesson_opener(staff):
    """Return a test `(journal_id, teacher_id, planned_teacher_id) -> bool`: may the person open such a lesson.

    The lesson scope's rule (`_own_lessons`) for many lessons at once, read in at most one query.
    """
    if staff is None or not getattr(staff, "id", None):
        return lambda journal_id, teacher_id, planned_teacher_id: False
    if sees_everything(staff):
        return lambda journal_id, teacher_id, planned_teacher_id: True
    journals = set(open_journal_ids(staff))
    me = staff.id
    return lambda journal_id, teacher_id, planned_teacher_id: (
        teacher_id == me or planned_teacher_id == me or journal_id in journals
    )


def teaches(staff, journal) -> bool:
    """Answer whether the staff member is one of the journal's teachers."""
    return (
        TeachingAssignment.select()
        .where((TeachingAssignment.journal == journal.id) & (TeachingAssignment.teacher == staff.id))
        .exists()
    )


def can_set_finals(staff, journal) -> bool:
    """The journal's teacher sets its final marks; the deputy sets any journal's; nobody in a past year's journal."""
    if year_is_past(journal.year_id):
        return False
    if can(staff, Perm.JOURNAL_CHECK):
        return True
    return can(staff, Perm.JOURNAL_EDIT_OWN) and teaches(staff, journal)


def can_view_plan(staff, journal) -> bool:
    """A journal's thematic plan is read by whoever opens the journal, and by the deputy who approves plans."""
    return can_open_journal(staff, journal) or can(staff, Perm.JOURNAL_CHECK)


def can_edit_plan(staff, journal) -> bool:
    """A journal's teacher keeps its thematic plan (import, copy, re-import of a draft); nobody else writes it.

    A past year's plan is history: nobody writes it.
    """
    if staff is None or not getattr(staff, "id", None) or year_is_past(journal.year_id):
        return False
    return can(staff, Perm.JOURNAL_EDIT_OWN) and teaches(staff, journal)


def can_approve_plans(staff) -> bool:
    """The deputy leads the work on thematic plans (R2.1.2): approves a plan or returns it with a comment."""
    return can(staff, Perm.JOURNAL_CHECK)


def can_change_locked_finals(staff) -> bool:
    """A final mark of a closed period is changed by the deputy only (with a reason)."""
    return can(staff, Perm.JOURNAL_CHECK)


def can_view_every_class_finals(staff) -> bool:
    """Whoever sees every journal (deputy, head) opens every class's finals page from one list."""
    return sees_everything(staff)


def can_view_class_finals(staff, class_group) -> bool:
    """A class's final marks page: its class teacher, and whoever sees every journal (deputy, head)."""
    if staff is None or not getattr(staff, "id", None):
        return False
    return sees_everything(staff) or class_group.class_teacher_id == staff.id


def can_build_archive(staff) -> bool:
    """The administrator builds the year's archive of the journal (archive.manage)."""
    return bool(staff) and can(staff, Perm.ARCHIVE_MANAGE)


def can_produce_subject_access(staff) -> bool:
    """Answer whether the staff member may produce a person's record of the personal data held (152-ФЗ, art. 14)."""
    return can(staff, Perm.PRIVACY_SUBJECT_ACCESS)


def can_manage_imports(staff) -> bool:
    """The administrator imports the school's data from spreadsheets and exports it in their format (import.manage)."""
    return bool(staff) and can(staff, Perm.IMPORT_MANAGE)


def can_manage_backups(staff) -> bool:
    """The administrator takes, lists and downloads backups of the database (backups.manage)."""
    return bool(staff) and can(staff, Perm.BACKUPS_MANAGE)


def can_read_archive(staff) -> bool:
    """The archive's builds and files: whoever builds it, and the head and the deputy (reports.view)."""
    return bool(staff) and can_any(staff, (Perm.ARCHIVE_MANAGE, Perm.REPORTS_VIEW))


def visible_members(staff, journal) -> set[int] | None:
    """Return the ids of the journal's students whose rows the staff member may see, or None for all of them.

    The journal's teachers (and whoever gives one of its lessons) see every member; a class
    teacher who opens a cross-class group's journal sees the students of their own class only.
    """
    if sees_everything(staff):
        return None
    if teaches(staff, journal) or (
        Lesson.select()
        .where((Lesson.journal == journal.id) & ((Lesson.teacher == staff.id) | (Lesson.planned_teacher == staff.id)))
        .exists()
    ):
        return None
    group = journal.group
    if group.class_group_id is not None and group.class_group.class_teacher_id == staff.id:
        return None
    rows = Enrollment.select(Enrollment.student).where(Enrollment.class_group.in_(current_led_class_ids(staff)))
    return {row.student_id for row in rows}


def uid_scope(staff) -> dict:
    """Describe what a staff member's portal UID gives access to (R7.2).

    A teacher checks their own journals (a group and a subject); a class teacher checks every
    journal of their class. Returned as {"subjects": [(group, subject), …], "classes": [class, …]}.
    """
    assignments, led = uid_scope_queries([staff.id])
    return {
        "subjects": [(a.journal.group, a.journal.subject) for a in assignments],
        "classes": list(led),
    }


def uid_scope_queries(staff_ids):
    """Return (assignments with journal, group and subject; led classes) of these staff in the current school year.

    The portal checks this year's journal (R7.3 is monthly), so past years' journals carry no access;
    while no year is marked current, a UID carries none (the same rule as the row scope above).
    """
    assignments = (
        TeachingAssignment.select(TeachingAssignment, Journal, StudyGroup, Subject)
        .join(Journal)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(TeachingAssignment.teacher.in_(list(staff_ids)) & Journal.year.in_(current_year_ids()))
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name)
    )
    led = (
        ClassGroup.select()
        .where(ClassGroup.class_teacher.in_(list(staff_ids)) & ClassGroup.year.in_(current_year_ids()))
        .order_by(ClassGroup.grade, ClassGroup.letter)
    )
    return assignments, led


# --- the school's reports ------------------------------------------------------------------


def can_view_school_reports(staff) -> bool:
    """Reports of the whole school (every class, every teacher): the head and the deputy (reports.view)."""
    return can(staff, Perm.REPORTS_VIEW)


def can_open_reports(staff) -> bool:
    """The report list: reports.view holders, and teachers for their own journals and classes."""
    return can_any(staff, (Perm.REPORTS_VIEW, Perm.JOURNAL_EDIT_OWN))


def can_view_class_reports(staff, year_id) -> bool:
    """A class's reports: reports.view holders for every class, a class teacher for the classes they lead that year."""
    if can_view_school_reports(staff):
        return True
    return bool(report_class_ids(staff, year_id))


def report_class_ids(staff, year_id) -> list[int] | None:
    """The ids of a year's classes whose reports the staff member may open; None for every class (reports.view).

    Everyone else: the classes they lead in that year (a teacher who leads none gets an empty list).
    """
    if can_view_school_reports(staff):
        return None
    if staff is None or not getattr(staff, "id", None) or not can(staff, Perm.JOURNAL_EDIT_OWN):
        return []
    led = (ClassGroup.class_teacher == staff.id) & (ClassGroup.year == year_id)
    query = ClassGroup.select(ClassGroup.id).where(led)
    return sorted(class_id for (class_id,) in query.tuples())


def report_teacher_id(staff) -> int | None:
    """Whose work a teacher's report covers: their own (their id); None for reports.view holders (every teacher).

    Call it only for a person `can_open_reports` admits.
    """
    if not can_open_reports(staff):
        raise ValueError("report_teacher_id is asked for a person who may open no report")
    return None if can_view_school_reports(staff) else staff.id
