"""Who may do what (permissions), who may see which rows (scope), and the journal's rules: one place (DESIGN 1).

The journal's rules are who opens a class journal, who fills a lesson, who gives it to another
teacher, and that a closed term is read-only except for the deputy.
"""

from app.models import (
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    Guardian,
    HomeworkFile,
    Lesson,
    Mark,
    Permission,
    RolePermission,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    StudentGuardian,
    Subject,
    TeachingAssignment,
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


def led_class_ids(staff):
    """Return a subquery of the ids of the classes, of any year, whose class teacher this is."""
    return ClassGroup.select(ClassGroup.id).where(ClassGroup.class_teacher == staff.id)


def taught_class_ids(staff):
    """Return a subquery of the ids of the classes, of any year, the staff member teaches or leads."""
    assigned = TeachingAssignment.select(TeachingAssignment.class_group).where(TeachingAssignment.teacher == staff.id)
    return assigned | led_class_ids(staff)


def current_led_class_ids(staff):
    """Return a subquery of the ids of this school year's classes whose class teacher this is."""
    return led_class_ids(staff).where(ClassGroup.year.in_(current_year_ids()))


def current_class_ids(staff):
    """Return a subquery of the ids of this school year's classes the staff member teaches or leads."""
    assigned = TeachingAssignment.select(TeachingAssignment.class_group).where(TeachingAssignment.teacher == staff.id)
    return ClassGroup.select(ClassGroup.id).where(
        ClassGroup.year.in_(current_year_ids()) & (ClassGroup.id.in_(assigned) | (ClassGroup.class_teacher == staff.id))
    )


def is_class_teacher(staff) -> bool:
    """Answer whether the staff member is the class teacher of any class."""
    return bool(staff) and ClassGroup.select().where(ClassGroup.class_teacher == staff.id).exists()


def _lesson_ids(staff):
    # Their own lessons stay theirs in every year (the journal they kept); a class teacher's
    # view over the other subjects of the class lasts as long as the class is theirs: this year.
    return Lesson.select(Lesson.id).where(
        (Lesson.teacher == staff.id)
        | (Lesson.planned_teacher == staff.id)
        | (Lesson.class_group.in_(current_led_class_ids(staff)))
    )


def _student_ids(staff):
    # Personal data follows this year's classes only: a class taught last year opens no one.
    return Enrollment.select(Enrollment.student).where(Enrollment.class_group.in_(current_class_ids(staff)))


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
    Enrollment: lambda q, s: q.where(Enrollment.class_group.in_(current_class_ids(s))),
    Student: lambda q, s: q.where(Student.id.in_(_student_ids(s))),
    StudentGuardian: lambda q, s: q.where(StudentGuardian.student.in_(_student_ids(s))),
    Guardian: lambda q, s: q.where(
        Guardian.id.in_(
            StudentGuardian.select(StudentGuardian.guardian).where(StudentGuardian.student.in_(_student_ids(s)))
        )
    ),
    TeachingAssignment: lambda q, s: q.where(
        (TeachingAssignment.teacher == s.id) | (TeachingAssignment.class_group.in_(current_led_class_ids(s)))
    ),
    TimetableSlot: lambda q, s: q.where(TimetableSlot.class_group.in_(taught_class_ids(s))),
    Lesson: lambda q, s: q.where(Lesson.id.in_(_lesson_ids(s))),
    Mark: lambda q, s: q.where(Mark.lesson.in_(_lesson_ids(s))),
    Absence: lambda q, s: q.where(Absence.lesson.in_(_lesson_ids(s))),
    HomeworkFile: lambda q, s: q.where(HomeworkFile.lesson.in_(_lesson_ids(s))),
    DiaryApplication: lambda q, s: q.where(DiaryApplication.student.in_(_student_ids(s))),
    # Everyone sees their own card; holding staff.manage is what lets a person see every staff
    # member (a custom «кадры» role without journal.view_all would otherwise manage only themselves).
    Staff: lambda q, s: q if can(s, Perm.STAFF_MANAGE) else q.where(Staff.id == s.id),
}
# No row scope: the rows are not personal (the school's calendar, subjects and work types), or
# they are nobody's rows and the permission that opens their screen is the whole rule — the audit
# (audit.view), the roles (staff.manage) and the export runs (exports.view).
_UNSCOPED_NAMES = {
    "Subject",
    "SchoolYear",
    "Term",
    "Holiday",
    "WorkType",
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


def can_fill_lesson(staff, lesson, term=None) -> bool:
    """Answer whether the staff member may fill this lesson: its own rule and its term's (`term` saves a query)."""
    if term is None and lesson.term_id:
        term = lesson.term
    return can_edit_in_term(staff, term) and can_edit_lesson(staff, lesson)


def can_substitute(staff, term) -> bool:
    """The deputy gives any lesson to another teacher; the timetable's keeper (school.manage) in an open term."""
    if can(staff, Perm.JOURNAL_CHECK):
        return True
    return can(staff, Perm.SCHOOL_MANAGE) and can_edit_in_term(staff, term)


def can_open_journal(staff, class_group, subject) -> bool:
    """Answer whether the staff member may open this class's journal of this subject.

    Deputy and head see every journal; a class teacher every subject of their class; a teacher
    the subjects they are assigned to teach in that class.
    """
    if staff is None or not getattr(staff, "id", None):
        return False
    if sees_everything(staff):
        return True
    if class_group.class_teacher_id == staff.id:
        return True
    return (
        TeachingAssignment.select()
        .where(
            (TeachingAssignment.teacher == staff.id)
            & (TeachingAssignment.class_group == class_group.id)
            & (TeachingAssignment.subject == subject.id)
        )
        .exists()
    )


def uid_scope(staff) -> dict:
    """Describe what a staff member's portal UID gives access to (R7.2).

    A teacher checks their own subjects in their own classes; a class teacher checks every
    subject of their class. Returned as {"subjects": [(class, subject), …], "classes": [class, …]}.
    """
    assignments, led = uid_scope_queries([staff.id])
    return {
        "subjects": [(a.class_group, a.subject) for a in assignments],
        "classes": list(led),
    }


def uid_scope_queries(staff_ids):
    """Return (assignments with class and subject, led classes) of these staff in the current school year.

    The portal checks this year's journal (R7.3 is monthly), so past years' classes carry no access;
    while no year is marked current, a UID carries none (the same rule as the row scope above).
    """
    this_year = ClassGroup.year.in_(current_year_ids())
    assignments = (
        TeachingAssignment.select(TeachingAssignment, ClassGroup, Subject)
        .join(ClassGroup)
        .switch(TeachingAssignment)
        .join(Subject)
        .where(TeachingAssignment.teacher.in_(list(staff_ids)) & this_year)
        .order_by(ClassGroup.grade, ClassGroup.letter, Subject.name)
    )
    led = (
        ClassGroup.select()
        .where(ClassGroup.class_teacher.in_(list(staff_ids)) & this_year)
        .order_by(ClassGroup.grade, ClassGroup.letter)
    )
    return assignments, led
