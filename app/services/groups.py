"""Study groups and journals: who is taught together, what each group is taught, by whom and when.

A journal is a subject (or an extracurricular course) taught to a study group in a school year.
A group is a whole class (made with the class; its members are the class's enrollments), a
subgroup of one class, a cross-class or multi-grade group, or one student; all but the whole
class list their members in GroupMembership rows with entry and leaving dates. Subgroups of
one class with the same `split` (the English split of 5А into «гр. 1» and «гр. 2») share no
student on any date.

A member is counted on a date only while enrolled: in the group's class for a subgroup, in any
class of the group's year otherwise. A student who leaves the class leaves its subgroups with it.

Teaching assignments (who teaches a journal) and timetable slots (when) belong to a journal.
Two slots at one period clash when they share the teacher, the room, the journal or the group, when their
groups are parts of one class that are not groups of one split (the whole class and its English
group; its English and its computing group), or when a student is in both groups on a day both
are valid; two groups of one split may so have lessons in the same period. A membership that
would put a student into two lessons at once is refused the same way.
Every write goes through records' one write path (checked, audited, no cascading delete).
"""

import datetime as dt
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from peewee import JOIN, Case, Expression, fn

from app.db import db
from app.formats import format_date, format_span
from app.ids import parse_id
from app.models import (
    WEEKDAYS,
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Journal,
    Lesson,
    Room,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from app.models.journal import GROUP_KINDS, JOURNAL_KINDS
from app.permissions import Perm
from app.services import access, records
from app.services.errors import DomainError, NotFound

LESSON_NUMBERS = (1, 10)
SPLIT_MAX_GROUPS = 6
GROUP_NAME_MAX = 120
SPLIT_MAX = 60
GROUP_KIND_LABELS = dict(GROUP_KINDS)
JOURNAL_KIND_LABELS = dict(JOURNAL_KINDS)
# The kinds a person makes in the panel; a whole-class group comes with its class.
LISTED_KINDS = tuple((code, label) for code, label in GROUP_KINDS if code != "class")
# Who keeps groups, journals, the teaching load and the timetable: the administrator and the deputy.
MANAGE_PERMISSIONS = (Perm.SCHOOL_MANAGE, Perm.JOURNAL_CHECK)

Span = tuple[dt.date, dt.date]


def _not_self(model, row):
    return model.id != row.id if row.get_id() is not None else model.id.is_null(False)


def _require(value, message: str, field: str):
    if value in (None, ""):
        raise DomainError(message, field)
    return value


def _clean_text(value, what: str, field: str) -> str | None:
    """Return a one-line text with its spaces collapsed (None when empty); refuse control characters."""
    text = " ".join(str(value or "").split())
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise DomainError(f"{what}: уберите непечатаемые символы.", field)
    return text or None


def _get(model, value):
    """Return the row of `model` with the id `value` (a row or an id), or None."""
    number = parse_id(getattr(value, "id", value))
    return model.get_or_none(model.id == number) if number is not None else None


def staff_label(staff: Staff) -> str:
    """Name a staff member as schedules do: surname and initials."""
    return staff.short_name or staff.full_name


def may_manage(staff) -> bool:
    """Answer whether the staff member keeps groups, journals and the timetable (administrator, deputy)."""
    return access.can_any(staff, MANAGE_PERMISSIONS)


# --- members: who is in a group on which days ------------------------------------------------


def _clip(spans: Iterable[Span], bounds: Iterable[Span]) -> list[Span]:
    """Return the parts of `spans` that lie inside one of `bounds` (both lists of inclusive date spans)."""
    found = []
    bounds = list(bounds)
    for start, end in spans:
        for low, high in bounds:
            first, last = max(start, low), min(end, high)
            if first <= last:
                found.append((first, last))
    return sorted(found)


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Join overlapping and adjacent spans: [(1.09, 31.12), (1.01, 31.05)] is one span of enrolled days."""
    merged: list[list[dt.date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def member_spans(
    groups, start: dt.date, end: dt.date, students=None, *, without=None
) -> dict[int, dict[int, list[Span]]]:
    """Return, for each group, its members between two dates and the spans they are members, in three queries.

    {group id: {student id: [(first day, last day), …]}}. A whole class's members are its
    enrollments; other groups' are their memberships, counted only while the student is enrolled
    (in the group's class for a subgroup, in any class of the year otherwise). `students`, when
    given, limits the answer to those ids; `without` leaves one membership row out (the one
    being changed, when its new values are checked).
    """
    groups = list({g.id: g for g in groups}.values())
    result: dict[int, dict[int, list[Span]]] = {g.id: {} for g in groups}
    if not groups:
        return result
    year_ids = sorted({g.year_id for g in groups})
    years = {y.id: y for y in SchoolYear.select().where(SchoolYear.id.in_(year_ids))}
    memberships = _membership_rows([g.id for g in groups if not g.is_whole_class], start, end, students, without)
    # Only the enrollments that can matter: in the groups' classes, and any of the members of the
    # groups that belong to no class (not the whole year's).
    class_ids = {g.class_group_id for g in groups if g.class_group_id}
    classless = {sid for g in groups if not g.class_group_id for sid in memberships.get(g.id, {})}
    in_class, in_year = _enrollment_spans(year_ids, years, start, end, students, class_ids, classless)
    window = [(start, end)]
    for group in groups:
        found = result[group.id]
        if group.is_whole_class:
            for student_id, spans in in_class.get(group.class_group_id, {}).items():
                clipped = _clip(spans, window)
                if clipped:
                    found[student_id] = clipped
            continue
        year_end = years[group.year_id].end_date
        enrolled = in_class.get(group.class_group_id, {}) if group.class_group_id else in_year.get(group.year_id, {})
        for student_id, spans in memberships.get(group.id, {}).items():
            spans = [(first, last or year_end) for first, last in spans]
            clipped = _clip(_clip(spans, enrolled.get(student_id, [])), window)
            if clipped:
                found[student_id] = clipped
    return result


def _membership_rows(group_ids, start, end, students, without) -> dict[int, dict[int, list]]:
    """Return {group id: {student id: [(start, end or None), …]}} of the memberships touching the dates."""
    found: dict[int, dict[int, list]] = {}
    if not group_ids:
        return found
    query = GroupMembership.select(
        GroupMembership.group, GroupMembership.student, GroupMembership.start_date, GroupMembership.end_date
    ).where(
        GroupMembership.group.in_(group_ids)
        & (GroupMembership.start_date <= end)
        & (GroupMembership.end_date.is_null() | (GroupMembership.end_date >= start))
    )
    if students is not None:
        query = query.where(GroupMembership.student.in_(list(students)))
    if without is not None:
        query = query.where(GroupMembership.id != without)
    for group_id, student_id, first, last in query.tuples():
        found.setdefault(group_id, {}).setdefault(student_id, []).append((first, last))
    return found


def _enrollment_spans(year_ids, years, start, end, students, class_ids, members):
    """Return the enrolled spans touching the dates, by class and by year: ({class: {student: spans}}, {year: …}).

    Read are the enrollments in `class_ids` and every enrollment of the students in `members`.
    """
    if not class_ids and not members:
        return {}, {}
    wanted = Enrollment.class_group.in_(sorted(class_ids)) if class_ids else None
    if members:
        of_members = Enrollment.student.in_(sorted(members))
        wanted = of_members if wanted is None else wanted | of_members
    query = (
        Enrollment.select(
            Enrollment.student, Enrollment.class_group, ClassGroup.year, Enrollment.start_date, Enrollment.end_date
        )
        .join(ClassGroup)
        .where(
            ClassGroup.year.in_(year_ids)
            & wanted
            & (Enrollment.start_date <= end)
            & (Enrollment.end_date.is_null() | (Enrollment.end_date >= start))
        )
    )
    if students is not None:
        query = query.where(Enrollment.student.in_(list(students)))
    in_class: dict[int, dict[int, list[Span]]] = {}
    in_year: dict[int, dict[int, list[Span]]] = {}
    for student_id, class_id, year_id, first, last in query.tuples():
        year = years[year_id]
        span = (max(first, year.start_date), min(last or year.end_date, year.end_date))
        if span[0] > span[1]:
            continue
        in_class.setdefault(class_id, {}).setdefault(student_id, []).append(span)
        in_year.setdefault(year_id, {}).setdefault(student_id, []).append(span)
    return in_class, in_year


def is_member(student_id, group: StudyGroup, day: dt.date) -> bool:
    """Answer whether a student belongs to the group on that date (enrolled, and a member if it lists them)."""
    return bool(member_spans([group], day, day, students=[student_id])[group.id])


def membership_test(student_id: int, group: StudyGroup, day: dt.date):
    """Return an SQL truth of `is_member(student_id, group, day)`, to read with the student's row in one query.

    The same rule as member_spans for one student and one day: enrolled that day within the
    enrollment's school year (in the group's class, or for a group of no class in any class of the
    group's year) and, for a group that lists its members, a member that day (an open membership
    lasts to the end of the group's year).
    """
    enrolled = (
        Enrollment.select(Enrollment.id)
        .join(ClassGroup, on=(ClassGroup.id == Enrollment.class_group))
        .join(SchoolYear, on=(SchoolYear.id == ClassGroup.year))
        .where(
            (Enrollment.student == student_id)
            & (ClassGroup.year == group.year_id)
            & (Enrollment.start_date <= day)
            & (Enrollment.end_date.is_null() | (Enrollment.end_date >= day))
            & (SchoolYear.start_date <= day)
            & (SchoolYear.end_date >= day)
        )
    )
    if group.class_group_id:
        enrolled = enrolled.where(Enrollment.class_group == group.class_group_id)
    if group.is_whole_class:
        return fn.EXISTS(enrolled)
    member = (
        GroupMembership.select(GroupMembership.id)
        .join(SchoolYear, on=(SchoolYear.id == group.year_id))
        .where(
            (GroupMembership.group == group.id)
            & (GroupMembership.student == student_id)
            & (GroupMembership.start_date <= day)
            & (GroupMembership.end_date >= day)
            | (
                (GroupMembership.group == group.id)
                & (GroupMembership.student == student_id)
                & (GroupMembership.start_date <= day)
                & GroupMembership.end_date.is_null()
                & (SchoolYear.end_date >= day)
            )
        )
    )
    return fn.EXISTS(enrolled) & fn.EXISTS(member)


def _students_by_name(ids) -> list[Student]:
    if not ids:
        return []
    return list(
        Student.select()
        .where(Student.id.in_(list(ids)))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
    )


def members_on(group: StudyGroup, day: dt.date) -> list[Student]:
    """Return the group's students on a date, by surname."""
    return _students_by_name(member_spans([group], day, day)[group.id])


def class_students_on(class_group: ClassGroup, day: dt.date) -> list[Student]:
    """Return the students enrolled in the class on a date, by surname (none on a day outside its year)."""
    year = class_group.year
    if not year.contains(day):
        return []
    enrolled = Enrollment.select(Enrollment.student).where(
        (Enrollment.class_group == class_group.id)
        & (Enrollment.start_date <= day)
        & (Enrollment.end_date.is_null() | (Enrollment.end_date >= day))
    )
    return list(
        Student.select()
        .where(Student.id.in_(enrolled))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
    )


@dataclass(frozen=True)
class HistoryRow:
    """One span of a student in a group: a membership row, or an enrollment for a whole class."""

    student: Student
    start_date: dt.date
    end_date: dt.date | None
    group: StudyGroup | None = None


def group_history(group: StudyGroup) -> list[HistoryRow]:
    """Return every span any student was in the group (a whole class: its enrollments), by surname and date."""
    if group.is_whole_class:
        rows = (
            Enrollment.select(Enrollment, Student)
            .join(Student)
            .where(Enrollment.class_group == group.class_group_id)
            .order_by(Student.last_name, Student.first_name, Student.id, Enrollment.start_date)
        )
        return [HistoryRow(row.student, row.start_date, row.end_date, group) for row in rows]
    rows = (
        GroupMembership.select(GroupMembership, Student)
        .join(Student)
        .where(GroupMembership.group == group.id)
        .order_by(Student.last_name, Student.first_name, Student.id, GroupMembership.start_date)
    )
    return [HistoryRow(row.student, row.start_date, row.end_date, group) for row in rows]


def with_member_count(query, day: dt.date):
    """Add to a StudyGroup query the number of its members on `day` (as `member_count`), by a subquery.

    The same rule as `member_spans`: a whole class counts its enrollments, the other groups their
    memberships of students enrolled that day (in the group's class, or in any class of its year).
    """
    member, enrolled = GroupMembership.alias("mc_member"), Enrollment.alias("mc_enrolled")
    klass, year = ClassGroup.alias("mc_class"), SchoolYear.alias("mc_year")
    whole_enrolled, whole_year = Enrollment.alias("mc_whole"), SchoolYear.alias("mc_whole_year")

    def active(row):
        return (row.start_date <= day) & (row.end_date.is_null() | (row.end_date >= day))

    counted_enrollment = (
        enrolled.select(enrolled.id)
        .join(klass, on=(enrolled.class_group == klass.id))
        .join(year, on=(klass.year == year.id))
        .where(
            (enrolled.student == member.student)
            & active(enrolled)
            & (year.start_date <= day)
            & (year.end_date >= day)
            & (
                (klass.id == StudyGroup.class_group)
                | (StudyGroup.class_group.is_null() & (klass.year == StudyGroup.year))
            )
        )
    )
    listed = member.select(fn.COUNT(member.student.distinct())).where(
        (member.group == StudyGroup.id) & active(member) & fn.EXISTS(counted_enrollment)
    )
    whole = (
        whole_enrolled.select(fn.COUNT(whole_enrolled.student.distinct()))
        .join(whole_year, on=(whole_year.id == StudyGroup.year))
        .where(
            (whole_enrolled.class_group == StudyGroup.class_group)
            & active(whole_enrolled)
            & (whole_year.start_date <= day)
            & (whole_year.end_date >= day)
        )
    )
    count = Case(None, [(StudyGroup.kind == "class", whole)], listed)
    return query.select_extend(count.alias("member_count"))


# --- groups ---------------------------------------------------------------------------------


def find_whole_class_group(class_group) -> StudyGroup | None:
    """Return the class's whole-class group, or None (a read: it never makes one)."""
    class_id = getattr(class_group, "id", class_group)
    return StudyGroup.get_or_none((StudyGroup.class_group == class_id) & (StudyGroup.kind == "class"))


def whole_class_group(class_group: ClassGroup, actor=None, *, source: str = "panel") -> StudyGroup:
    """Return the class's whole-class group, making it (audited) when the class has none yet."""
    group = find_whole_class_group(class_group)
    if group is not None:
        return group
    _refuse_taken_names(class_group.year_id, [str(class_group)], class_group.id)
    fields = {
        "year": class_group.year_id,
        "kind": "class",
        "class_group": class_group.id,
        "name": str(class_group),
        "grade": class_group.grade,
    }
    return records.create_row(actor, StudyGroup, fields, source=source)


def _refuse_taken_names(year_id, names, class_id) -> None:
    """Refuse names a group of the year that does not belong to the class already has (names are unique)."""
    taken = (
        StudyGroup.select(StudyGroup.name)
        .where(
            (StudyGroup.year == year_id)
            & StudyGroup.name.in_(list(names))
            & (StudyGroup.class_group.is_null() | (StudyGroup.class_group != class_id))
        )
        .first()
    )
    if taken is not None:
        raise DomainError(
            f"Группа «{taken.name}» в этом учебном году уже есть: переименуйте её в разделе «Группы», "
            "прежде чем заводить или переименовывать класс.",
            "letter",
        )


def class_group_name_taken(class_group: ClassGroup) -> str | None:
    """Return the name of a group of the class's year, not the class's own, named as the class would be; or None."""
    query = StudyGroup.select(StudyGroup.name).where(
        (StudyGroup.year == class_group.year_id) & (StudyGroup.name == str(class_group))
    )
    if class_group.get_id() is not None:
        query = query.where(StudyGroup.class_group.is_null() | (StudyGroup.class_group != class_group.id))
    found = query.first()
    return found.name if found else None


def rename_class_groups(actor, class_group: ClassGroup, old_name: str, *, source: str = "panel") -> None:
    """Follow a class's new name, grade and year in its groups («5А, англ., гр. 1» becomes «5Б, англ., гр. 1»)."""
    new_name = str(class_group)
    changes = []
    for group in StudyGroup.select().where(StudyGroup.class_group == class_group.id).order_by(StudyGroup.id):
        name = group.name
        if group.is_whole_class:
            name = new_name
        elif name.startswith(f"{old_name}, "):
            name = f"{new_name}, {name[len(old_name) + 2 :]}"
        if name != group.name or group.grade != class_group.grade or group.year_id != class_group.year_id:
            changes.append((group, name))
    if not changes:
        return
    _refuse_taken_names(class_group.year_id, [name for _group, name in changes], class_group.id)
    with db.atomic():
        for group, name in changes:
            records.update_row(
                actor, group, {"name": name, "grade": class_group.grade, "year": class_group.year_id}, source=source
            )


def drop_whole_class_group(actor, class_group: ClassGroup, *, source: str = "panel") -> None:
    """Delete the whole-class group of a class being deleted (refused while a journal uses it)."""
    group = find_whole_class_group(class_group)
    if group is not None:
        records.delete_row(actor, group, source=source)


def subgroup_name(class_group: ClassGroup, split: str, number: int) -> str:
    """Name a subgroup the way schools write it: «5А, англ., гр. 1»."""
    return f"{class_group}, {split}, гр. {number}"


def validate_group(group: StudyGroup) -> None:
    """Check a study group: a listed kind, a name unique in its year, the class and year of a subgroup.

    A whole-class group is neither made nor changed here: it comes and goes with its class.
    """
    group.name = _clean_text(group.name, "Название группы", "name")
    group.split = _clean_text(group.split, "Деление", "split")
    if group.kind not in GROUP_KIND_LABELS:
        raise DomainError("Выберите вид группы из списка.", "kind")
    old = _get(StudyGroup, group.get_id()) if group.get_id() is not None else None
    if old is not None and old.is_whole_class:
        raise DomainError(
            "Группа «весь класс» меняется вместе с классом (раздел «Классы»); её состав — ученики, "
            "зачисленные в класс.",
            "kind",
        )
    if group.kind == "class":
        raise DomainError(
            "Группа «весь класс» создаётся вместе с классом; её состав — ученики, зачисленные в класс.", "kind"
        )
    if group.kind == "subgroup":
        _check_subgroup(group)
    else:
        group.class_group = None
        group.split = None
        _require(group.year_id, "Выберите учебный год.", "year")
        if _get(SchoolYear, group.year_id) is None:
            raise DomainError("Выберите учебный год из списка.", "year")
    _require(group.name, "Укажите название группы.", "name")
    if len(group.name) > GROUP_NAME_MAX:
        raise DomainError(f"Название группы — не больше {GROUP_NAME_MAX} символов.", "name")
    if group.grade is not None and not (
        isinstance(group.grade, int) and not isinstance(group.grade, bool) and 1 <= group.grade <= 11
    ):
        raise DomainError("Параллель — число от 1 до 11 (пусто для разновозрастной группы).", "grade")
    taken = StudyGroup.select().where(
        (StudyGroup.year == group.year_id) & (StudyGroup.name == group.name) & _not_self(StudyGroup, group)
    )
    if taken.exists():
        raise DomainError(f"Группа «{group.name}» в этом учебном году уже есть.", "name")
    if old is not None:
        _check_group_move(old, group)


def _check_subgroup(group: StudyGroup) -> None:
    """A subgroup belongs to a class (taking its year and grade) and to a named split of it."""
    _require(group.class_group_id, "Выберите класс, который делится на группы.", "class_group")
    class_group = _get(ClassGroup, group.class_group_id)
    if class_group is None:
        raise DomainError("Выберите класс из списка.", "class_group")
    if not group.split:
        raise DomainError("Укажите, для чего класс делится на группы, например «англ.».", "split")
    if len(group.split) > SPLIT_MAX:
        raise DomainError(f"Деление — не больше {SPLIT_MAX} символов.", "split")
    group.year = class_group.year_id
    group.grade = class_group.grade
    if not group.name:
        raise DomainError("Укажите название группы, например «5А, англ., гр. 1».", "name")


def _check_group_move(old: StudyGroup, group: StudyGroup) -> None:
    """Refuse moving a group that has members or journals to another year, class or split where they would clash."""
    if old.year_id != group.year_id and _group_in_use(old):
        raise DomainError("Нельзя перенести группу в другой учебный год: у неё уже есть состав или журналы.", "year")
    if old.class_group_id != group.class_group_id and _group_in_use(old):
        raise DomainError("Нельзя перенести группу в другой класс: у неё уже есть состав или журналы.", "class_group")
    if group.split and old.split != group.split:
        clash = _split_overlap(group)
        if clash is not None:
            mine, theirs = clash
            raise DomainError(
                f"{mine.student.full_name} с {format_date(mine.start_date)} в этой группе и в группе "
                f"«{theirs.group}» того же деления «{group.split}»: ученик может быть только в одной группе "
                "деления на каждую дату.",
                "split",
            )


def _group_in_use(group: StudyGroup) -> bool:
    return (
        GroupMembership.select().where(GroupMembership.group == group.id).exists()
        or Journal.select().where(Journal.group == group.id).exists()
    )


def _split_overlap(group: StudyGroup):
    """Return (a membership of the group, one of another group of its new split) on a common day, or None."""
    mine = GroupMembership.alias("mine")
    theirs = (
        GroupMembership.select(GroupMembership, StudyGroup, mine, Student)
        .join(StudyGroup)
        .join_from(GroupMembership, mine, on=(mine.student == GroupMembership.student), attr="mine")
        .join_from(GroupMembership, Student)
        .where(
            (mine.group == group.id)
            & (StudyGroup.id != group.id)
            & (StudyGroup.class_group == group.class_group_id)
            & (StudyGroup.split == group.split)
            & (GroupMembership.start_date <= fn.COALESCE(mine.end_date, dt.date.max))
            & (mine.start_date <= fn.COALESCE(GroupMembership.end_date, dt.date.max))
        )
        .first()
    )
    if theirs is None:
        return None
    theirs.mine.student = theirs.student
    return theirs.mine, theirs


def create_group(actor, *, source="panel", **fields) -> StudyGroup:
    """Create a study group (a subgroup, a cross-class or an individual one), checked and audited."""
    return records.create_row(actor, StudyGroup, fields, validate=validate_group, source=source)


def update_group(actor, group: StudyGroup, *, source="panel", **fields) -> StudyGroup:
    """Change a study group, checked and audited."""
    return records.update_row(actor, group, fields, validate=validate_group, source=source)


def _check_group_deletable(group: StudyGroup) -> None:
    if group.is_whole_class:
        raise DomainError("Группу «весь класс» нельзя удалить отдельно от класса.")


def delete_group(actor, group: StudyGroup, *, source="panel") -> None:
    """Delete a group without members and journals, audited (the whole class goes only with its class)."""
    records.delete_row(actor, group, check=_check_group_deletable, source=source)


def get_group(group_id) -> StudyGroup:
    """Return a study group by id, or refuse with NotFound."""
    group = _get(StudyGroup, group_id) if not isinstance(group_id, StudyGroup) else group_id
    if group is None:
        raise NotFound("Группа не найдена.")
    return group


def group_choices(*, listed_only: bool = False):
    """Return the groups with their years for a form's select, newest year first, then by grade and name."""
    query = (
        StudyGroup.select(StudyGroup, SchoolYear)
        .join(SchoolYear)
        .order_by(SchoolYear.start_date.desc(), StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name)
    )
    return query.where(StudyGroup.kind != "class") if listed_only else query


def group_label(group: StudyGroup) -> str:
    """Label a group with its year, as groups of different years share names."""
    return f"{group.name} ({group.year})"


# --- splits: a class divided into groups ------------------------------------------------------


def split_groups(class_group: ClassGroup, split: str) -> list[StudyGroup]:
    """Return the subgroups of one split of a class, by name."""
    return list(
        StudyGroup.select()
        .where(
            (StudyGroup.class_group == class_group.id) & (StudyGroup.split == split) & (StudyGroup.kind == "subgroup")
        )
        .order_by(StudyGroup.name)
    )


def splits_of(class_group: ClassGroup) -> list[str]:
    """Return the names of the class's splits («англ.», «информ.»), alphabetically."""
    rows = (
        StudyGroup.select(StudyGroup.split)
        .where((StudyGroup.class_group == class_group.id) & StudyGroup.split.is_null(False))
        .distinct()
        .tuples()
    )
    return sorted(row[0] for row in rows)


def splits_of_year(year: SchoolYear) -> list[tuple[ClassGroup, str, int]]:
    """Return (class, split, number of groups) for every split of the year's classes, by class and split."""
    rows = (
        StudyGroup.select(StudyGroup.class_group, StudyGroup.split, fn.COUNT(StudyGroup.id))
        .where((StudyGroup.year == year.id) & (StudyGroup.kind == "subgroup") & StudyGroup.split.is_null(False))
        .group_by(StudyGroup.class_group, StudyGroup.split)
        .tuples()
    )
    found = list(rows)
    classes = {c.id: c for c in ClassGroup.select().where(ClassGroup.id.in_([r[0] for r in found] or [0]))}
    return sorted(
        ((classes[class_id], split, count) for class_id, split, count in found),
        key=lambda row: (row[0].grade, row[0].letter, row[1]),
    )


def split_names() -> list[str]:
    """Return every split name the school has used («англ.», «информ.»), for the split page's hints."""
    rows = StudyGroup.select(StudyGroup.split).where(StudyGroup.split.is_null(False)).distinct().tuples()
    return sorted(row[0] for row in rows)


def clean_split(split) -> str:
    """Return a split's name as stored, refusing an empty or an overlong one."""
    text = _clean_text(split, "Деление", "split")
    if not text:
        raise DomainError("Укажите, для чего класс делится на группы, например «англ.».", "split")
    if len(text) > SPLIT_MAX:
        raise DomainError(f"Деление — не больше {SPLIT_MAX} символов.", "split")
    return text


def create_split(actor, class_group: ClassGroup, split, count, *, source="panel") -> list[StudyGroup]:
    """Make the subgroups «5А, <split>, гр. 1…N» of a class (those missing), in one transaction."""
    split = clean_split(split)
    number = count if isinstance(count, int) and not isinstance(count, bool) else parse_id(count)
    if number is None or not 2 <= number <= SPLIT_MAX_GROUPS:
        raise DomainError(f"Класс делится на группы: от 2 до {SPLIT_MAX_GROUPS}.", "count")
    made = []
    with db.atomic():
        existing = {g.name for g in split_groups(class_group, split)}
        for n in range(1, number + 1):
            name = subgroup_name(class_group, split, n)
            if name not in existing:
                made.append(
                    create_group(
                        actor, kind="subgroup", class_group=class_group.id, split=split, name=name, source=source
                    )
                )
    return made


@dataclass
class SplitPlacement:
    """Who of a class is in which group of one split on a date: what the split page shows."""

    class_group: ClassGroup
    split: str
    day: dt.date
    groups: list[StudyGroup]
    students: list[Student]
    # {student id: group id} of the students in a group of the split that day.
    placed: dict[int, int]

    @property
    def unplaced(self) -> list[Student]:
        return [s for s in self.students if s.id not in self.placed]


def split_placement(class_group: ClassGroup, split: str, day: dt.date) -> SplitPlacement:
    """Return the class's students on a date and the group of the split each is in, in a fixed number of queries."""
    groups = split_groups(class_group, split)
    students = class_students_on(class_group, day)
    spans = member_spans(groups, day, day, students=[s.id for s in students]) if students else {}
    placed = {student_id: group.id for group in groups for student_id in spans.get(group.id, {})}
    return SplitPlacement(class_group, split, day, groups, students, placed)


def unplaced_students(class_group: ClassGroup, split: str, day: dt.date) -> list[Student]:
    """Return the class's students on a date who are in no group of the split (the deputy's list to fix)."""
    if not split_groups(class_group, split):
        return []
    return split_placement(class_group, split, day).unplaced


def split_history(class_group: ClassGroup, split: str) -> list[HistoryRow]:
    """Return every membership of the split's groups, by surname and date: who moved where and when."""
    rows = (
        GroupMembership.select(GroupMembership, Student, StudyGroup)
        .join_from(GroupMembership, Student)
        .join_from(GroupMembership, StudyGroup)
        .where(
            (StudyGroup.class_group == class_group.id) & (StudyGroup.split == split) & (StudyGroup.kind == "subgroup")
        )
        .order_by(Student.last_name, Student.first_name, Student.id, GroupMembership.start_date)
    )
    return [HistoryRow(row.student, row.start_date, row.end_date, row.group) for row in rows]


# --- memberships ----------------------------------------------------------------------------


def validate_membership(membership: GroupMembership) -> None:
    """Check a membership: a listed group, dates in its year and in the student's enrollment, no clash.

    A student is in one group of a split on any date, alone in an individual group, and never
    in two lessons at once.
    """
    _require(membership.group_id, "Выберите группу.", "group")
    _require(membership.student_id, "Выберите ученика.", "student")
    _require(membership.start_date, "Укажите, с какого дня ученик в группе.", "start_date")
    group = _get(StudyGroup, membership.group_id)
    if group is None:
        raise DomainError("Выберите группу из списка.", "group")
    if group.is_whole_class:
        raise DomainError(
            "Состав группы «весь класс» — ученики, зачисленные в класс: меняйте его в разделе «Зачисления».",
            "group",
        )
    student = _get(Student, membership.student_id)
    if student is None:
        raise DomainError("Выберите ученика из списка.", "student")
    year = group.year
    if membership.end_date is not None and membership.end_date < membership.start_date:
        raise DomainError("Дата выхода из группы не может быть раньше даты входа.", "end_date")
    end = membership.end_date or year.end_date
    if not (year.contains(membership.start_date) and year.contains(end)):
        raise DomainError(
            f"Даты членства в группе должны лежать внутри учебного года {year} "
            f"({format_span(year.start_date, year.end_date)}).",
            "start_date",
        )
    _check_enrolled(membership, group, student, year)
    _check_one_group(membership, group, student, end)
    clash = _membership_clash(membership, group, student, end)
    if clash is not None:
        raise DomainError(clash, "group")


def _check_enrolled(membership: GroupMembership, group: StudyGroup, student: Student, year: SchoolYear) -> None:
    """Refuse a membership on days the student is not enrolled (in the group's class, or in the school that year).

    An open-ended membership needs its entry day enrolled (it lasts while the student is); one
    with a leaving date needs every day between the two.
    """
    query = (
        Enrollment.select(Enrollment.start_date, Enrollment.end_date)
        .join(ClassGroup)
        .where(Enrollment.student == student.id)
    )
    query = query.where(
        (Enrollment.class_group == group.class_group_id) if group.class_group_id else (ClassGroup.year == year.id)
    )
    spans = _merge((first, last or year.end_date) for first, last in query.tuples())
    start, last = membership.start_date, membership.end_date or membership.start_date
    if any(low <= start and last <= high for low, high in spans):
        return
    where = f"в классе {group.class_group}" if group.class_group_id else f"ни в одном классе {year} учебного года"
    when = f"на {format_date(start)}" if membership.end_date is None else f"на все даты {format_span(start, last)}"
    raise DomainError(
        f"{student.full_name} не числится {where} {when}: в группу включают только учеников, зачисленных на эти дни.",
        "start_date",
    )


def _check_one_group(membership: GroupMembership, group: StudyGroup, student: Student, end: dt.date) -> None:
    """Refuse a second group of the split (or the group twice) on a common day; one student per individual group."""
    overlapping = (
        GroupMembership.select(GroupMembership, StudyGroup)
        .join(StudyGroup)
        .where(
            _not_self(GroupMembership, membership)
            & (GroupMembership.start_date <= end)
            & (GroupMembership.end_date.is_null() | (GroupMembership.end_date >= membership.start_date))
        )
    )
    same = StudyGroup.id == group.id
    if group.split:
        same = same | ((StudyGroup.class_group == group.class_group_id) & (StudyGroup.split == group.split))
    clash = overlapping.where((GroupMembership.student == student.id) & same).first()
    if clash is not None:
        until = format_date(clash.end_date) if clash.end_date else "конца года"
        raise DomainError(
            f"{student.full_name} уже в группе «{clash.group}» с {format_date(clash.start_date)} до {until}: "
            "ученик может быть только в одной группе деления на каждую дату.",
            "group",
        )
    if group.kind == "individual":
        other = overlapping.where((StudyGroup.id == group.id) & (GroupMembership.student != student.id)).first()
        if other is not None:
            raise DomainError(
                f"В группе индивидуального обучения «{group}» в эти даты уже есть ученик: один ученик на группу.",
                "student",
            )


def _same_period(pairs) -> Expression:
    """Match the timetable slots at any of these (weekday, lesson number) periods."""
    return functools.reduce(
        operator.or_, [(TimetableSlot.weekday == day) & (TimetableSlot.lesson_number == n) for day, n in pairs]
    )


def _membership_clash(membership: GroupMembership, group: StudyGroup, student: Student, end: dt.date) -> str | None:
    """Return why the membership would put the student into two lessons at once, or None."""
    start = membership.start_date
    overlapping = (TimetableSlot.valid_from <= end) & (TimetableSlot.valid_to >= start)
    mine = list(
        TimetableSlot.select(TimetableSlot, Journal)
        .join(Journal)
        .where((Journal.group == group.id) & overlapping)
        .order_by(TimetableSlot.id)
    )
    if not mine:
        return None
    others = list(
        TimetableSlot.select(TimetableSlot, Journal, StudyGroup)
        .join(Journal)
        .join(StudyGroup)
        .where(
            _same_period({(s.weekday, s.lesson_number) for s in mine})
            & (StudyGroup.id != group.id)
            & (StudyGroup.year == group.year_id)
            & overlapping
        )
        .order_by(TimetableSlot.id)
    )
    if not others:
        return None
    spans = member_spans(
        [o.journal.group for o in others], start, end, students=[student.id], without=membership.get_id()
    )
    for slot in mine:
        for other in others:
            if (other.weekday, other.lesson_number) != (slot.weekday, slot.lesson_number):
                continue
            window = (max(start, slot.valid_from, other.valid_from), min(end, slot.valid_to, other.valid_to))
            if window[0] <= window[1] and _clip(spans[other.journal.group_id].get(student.id, []), [window]):
                return (
                    f"У ученика {student.full_name} в это время уже есть урок: {slot_label(other)}; "
                    f"у группы «{group}» тогда же урок «{slot.journal.subject}». "
                    "Измените даты членства или расписание."
                )
    return None


def create_membership(actor, *, source="panel", **fields) -> GroupMembership:
    """Put a student in a group over a span of dates, checked and audited."""
    return records.create_row(actor, GroupMembership, fields, validate=validate_membership, source=source)


def update_membership(actor, membership: GroupMembership, *, source="panel", **fields) -> GroupMembership:
    """Change a membership's dates, checked and audited."""
    return records.update_row(actor, membership, fields, validate=validate_membership, source=source)


def delete_membership(actor, membership: GroupMembership, *, source="panel") -> None:
    """Delete a membership, audited (a move keeps history by ending it instead: `place_students`)."""
    records.delete_row(actor, membership, source=source)


def place_students(actor, groups: list[StudyGroup], placement: dict, day: dt.date, *, source="panel") -> int:
    """Put each student in one of the groups (or in none) from `day` on, keeping the history; return the moves.

    `placement` maps a student id to a group id of `groups` or None. A student already in the
    chosen group on `day` stays as they are; one in another of these groups leaves it the day
    before (a membership that starts on `day` or later is deleted instead, as a correction). All
    or nothing: one refusal writes no move.
    """
    by_id = {g.id: g for g in groups}
    if not by_id:
        raise DomainError("Сначала создайте группы деления.", "group")
    year = next(iter(by_id.values())).year
    if not isinstance(day, dt.date) or not year.contains(day):
        raise DomainError(
            f"Дата перевода должна лежать внутри учебного года {year} ({format_span(year.start_date, year.end_date)}).",
            "day",
        )
    moves = 0
    with db.atomic():
        for raw_student, raw_group in placement.items():
            student_id = parse_id(raw_student)
            target = None if raw_group in (None, "", "0", 0) else parse_id(raw_group)
            if student_id is None or (target is not None and target not in by_id):
                raise DomainError("Выберите группу из списка.", "group")
            moves += _place_one(actor, list(by_id), student_id, target, day, source)
    return moves


def _place_one(actor, group_ids: list[int], student_id: int, target: int | None, day: dt.date, source: str) -> int:
    """Move one student to `target` (or out of the groups) from `day` on; return 1 for a move, 0 for none."""
    rows = list(
        GroupMembership.select()
        .where(
            (GroupMembership.student == student_id)
            & GroupMembership.group.in_(group_ids)
            & (GroupMembership.end_date.is_null() | (GroupMembership.end_date >= day))
        )
        .order_by(GroupMembership.start_date)
    )
    current = next((r for r in rows if r.start_date <= day), None)
    if (current.group_id if current else None) == target:
        return 0
    for row in rows:
        if row.start_date >= day:
            delete_membership(actor, row, source=source)
    if current is not None and current.start_date < day:
        update_membership(actor, current, end_date=day - dt.timedelta(days=1), source=source)
    if target is not None:
        create_membership(actor, group=target, student=student_id, start_date=day, source=source)
    return 1


# --- journals -------------------------------------------------------------------------------


def validate_journal(journal: Journal) -> None:
    """Check a journal: a group and a subject, of the group's year, one per group and subject."""
    _require(journal.group_id, "Выберите группу.", "group")
    _require(journal.subject_id, "Выберите предмет или курс.", "subject")
    if journal.kind not in JOURNAL_KIND_LABELS:
        raise DomainError("Выберите вид журнала: урочная или внеурочная деятельность.", "kind")
    group = _get(StudyGroup, journal.group_id)
    if group is None:
        raise DomainError("Выберите группу из списка.", "group")
    subject = _get(Subject, journal.subject_id)
    if subject is None:
        raise DomainError("Выберите предмет из списка.", "subject")
    journal.year = group.year_id
    taken = Journal.select().where(
        (Journal.group == group.id) & (Journal.subject == subject.id) & _not_self(Journal, journal)
    )
    if taken.exists():
        raise DomainError(f"Журнал «{group} · {subject}» уже есть.", "subject")
    if journal.get_id() is not None:
        old = Journal.get_by_id(journal.id)
        if (old.group_id, old.subject_id) != (group.id, subject.id) and _journal_in_use(old):
            raise DomainError(
                "Нельзя сменить группу или предмет журнала: по нему уже есть расписание, уроки или итоговые отметки. "
                "Заведите новый журнал.",
                "group",
            )


def _journal_in_use(journal: Journal) -> bool:
    return (
        TimetableSlot.select().where(TimetableSlot.journal == journal.id).exists()
        or Lesson.select().where(Lesson.journal == journal.id).exists()
        or FinalMark.select().where(FinalMark.journal == journal.id).exists()
    )


def _journal_saved(actor, journal: Journal, teachers, source: str) -> Journal:
    if teachers is not None:
        set_teachers(actor, journal, teachers, source=source)
    return journal


def create_journal(actor, *, teachers=None, source="panel", **fields) -> Journal:
    """Create a journal, with its teachers when given (ids), in one transaction; checked and audited."""
    with db.atomic():
        journal = records.create_row(actor, Journal, fields, validate=validate_journal, source=source)
        return _journal_saved(actor, journal, teachers, source)


def update_journal(actor, journal: Journal, *, teachers=None, source="panel", **fields) -> Journal:
    """Change a journal and, when given, set its teachers (ids), in one transaction; checked and audited.

    On a refusal the journal keeps the values it had, in the database and in memory.
    """
    kept = dict(journal.__data__), set(journal._dirty), dict(journal.__rel__)
    try:
        with db.atomic():
            records.update_row(actor, journal, fields, validate=validate_journal, source=source)
            return _journal_saved(actor, journal, teachers, source)
    except BaseException:
        journal.__data__, journal._dirty, journal.__rel__ = kept
        raise


def _check_journal_deletable(journal: Journal) -> None:
    slots = TimetableSlot.select().where(TimetableSlot.journal == journal.id).count()
    lessons = Lesson.select().where(Lesson.journal == journal.id).count()
    if slots or lessons:
        raise DomainError(
            f"Нельзя удалить журнал «{journal}»: по нему есть уроки расписания — {slots}, уроки — {lessons}. "
            "Сначала удалите расписание; журнал с уроками остаётся в истории школы."
        )


def delete_journal(actor, journal: Journal, *, source="panel") -> None:
    """Delete a journal without timetable and lessons, with its teachers, in one transaction; audited."""
    with db.atomic():
        _check_journal_deletable(journal)
        for assignment in TeachingAssignment.select().where(TeachingAssignment.journal == journal.id):
            delete_assignment(actor, assignment, source=source)
        records.delete_row(actor, journal, source=source)


def set_teachers(actor, journal: Journal, teachers, *, source="panel") -> None:
    """Make the journal's teachers exactly these (ids or rows): add the new ones, take off the others; audited."""
    wanted = []
    for value in teachers or ():
        number = parse_id(getattr(value, "id", value))
        if number is None:
            raise DomainError("Выберите учителей из списка.", "teachers")
        if number not in wanted:
            wanted.append(number)
    with db.atomic():
        current = {a.teacher_id: a for a in TeachingAssignment.select().where(TeachingAssignment.journal == journal.id)}
        for assignment in current.values():
            if assignment.teacher_id not in wanted:
                delete_assignment(actor, assignment, source=source)
        for teacher_id in wanted:
            if teacher_id not in current:
                create_assignment(actor, journal=journal.id, teacher=teacher_id, source=source)


def teachers_of(journal_ids) -> dict[int, list[Staff]]:
    """Return {journal id: its teachers by surname} for many journals in one query."""
    found: dict[int, list[Staff]] = {journal_id: [] for journal_id in journal_ids}
    if not found:
        return found
    rows = (
        TeachingAssignment.select(TeachingAssignment, Staff)
        .join(Staff, on=(TeachingAssignment.teacher == Staff.id))
        .where(TeachingAssignment.journal.in_(list(found)))
        .order_by(Staff.last_name, Staff.first_name, Staff.id)
    )
    for row in rows:
        found[row.journal_id].append(row.teacher)
    return found


def class_journal(class_group: ClassGroup, subject: Subject, actor=None, *, kind="lesson", source="panel") -> Journal:
    """Return the whole-class journal of a class and subject, making it (and the class's group) when missing."""
    group = whole_class_group(class_group, actor, source=source)
    journal = Journal.get_or_none((Journal.group == group.id) & (Journal.subject == subject.id))
    if journal is None:
        journal = create_journal(actor, group=group.id, subject=subject.id, kind=kind, source=source)
    return journal


def get_journal(journal_id) -> Journal:
    """Return a journal with its group, subject and year, or refuse with NotFound."""
    number = parse_id(journal_id)
    journal = (
        Journal.select(Journal, StudyGroup, Subject, SchoolYear)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(Journal, SchoolYear)
        .where(Journal.id == number)
        .first()
        if number is not None
        else None
    )
    if journal is None:
        raise NotFound("Журнал не найден.")
    return journal


def journal_label(journal: Journal) -> str:
    """Name a journal: group · subject, marked when it is an extracurricular course."""
    kind = " (внеурочная деятельность)" if journal.is_extracurricular else ""
    return f"{journal.group} · {journal.subject}{kind}"


def journal_choices(day: dt.date, keep=None):
    """Return the journals of the years not over on `day` (and `keep`, a journal id), with group, subject and year.

    For a form's select: newest year first, then by grade, group and subject.
    """
    query = (
        Journal.select(Journal, StudyGroup, Subject, SchoolYear)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(Journal, SchoolYear)
        .order_by(SchoolYear.start_date.desc(), StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name)
    )
    wanted = SchoolYear.end_date >= day
    keep = parse_id(keep)
    return query.where(wanted | (Journal.id == keep) if keep is not None else wanted)


def journal_choice_label(journal: Journal) -> str:
    """Label a journal for a select: group, subject, kind and year."""
    return f"{journal_label(journal)}, {journal.year}"


def journals_of_year(year):
    """Return a query of the year's journals with their group and subject, by grade, group and subject."""
    return (
        Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(StudyGroup, ClassGroup, JOIN.LEFT_OUTER)
        .where(Journal.year == year.id)
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name)
    )


# --- teaching assignments -------------------------------------------------------------------


def validate_assignment(assignment: TeachingAssignment) -> None:
    """Check a teacher of a journal: an active teacher, not twice; a teacher with timetable slots stays."""
    _require(assignment.journal_id, "Выберите журнал.", "journal")
    _require(assignment.teacher_id, "Выберите учителя.", "teacher")
    journal = _get(Journal, assignment.journal_id)
    if journal is None:
        raise DomainError("Выберите журнал из списка.", "journal")
    teacher = _get(Staff, assignment.teacher_id)
    if teacher is None:
        raise DomainError("Выберите учителя из списка.", "teacher")
    old = _get(TeachingAssignment, assignment.get_id()) if assignment.get_id() is not None else None
    if not teacher.active and (old is None or old.teacher_id != teacher.id):
        raise DomainError(
            f"Учебную нагрузку можно дать только действующему сотруднику, а «{teacher}» заблокирован(а).", "teacher"
        )
    duplicate = TeachingAssignment.select().where(
        (TeachingAssignment.teacher == teacher.id)
        & (TeachingAssignment.journal == journal.id)
        & _not_self(TeachingAssignment, assignment)
    )
    if duplicate.exists():
        raise DomainError(f"Такая нагрузка уже есть: {staff_label(teacher)} ведёт «{journal}».", "teacher")
    if old is not None and (old.teacher_id, old.journal_id) != (teacher.id, journal.id):
        _refuse_if_scheduled(old, "Нельзя изменить учителя или журнал нагрузки")


def _refuse_if_scheduled(assignment: TeachingAssignment, opening: str) -> None:
    count = (
        TimetableSlot.select()
        .where((TimetableSlot.teacher == assignment.teacher_id) & (TimetableSlot.journal == assignment.journal_id))
        .count()
    )
    if count:
        raise DomainError(
            f"{opening} «{assignment}»: по ней составлено расписание — уроков в неделю: {count}. "
            "Сначала измените или удалите эти уроки в разделе «Расписание»."
        )


def check_assignment_deletable(assignment: TeachingAssignment) -> None:
    """Refuse to delete a teaching assignment that the timetable still uses."""
    _refuse_if_scheduled(assignment, "Нельзя удалить нагрузку")


def create_assignment(actor, *, source="panel", **fields) -> TeachingAssignment:
    """Give a journal a teacher, checked and audited."""
    return records.create_row(actor, TeachingAssignment, fields, validate=validate_assignment, source=source)


def update_assignment(actor, assignment: TeachingAssignment, *, source="panel", **fields) -> TeachingAssignment:
    """Change a teaching assignment, checked and audited."""
    return records.update_row(actor, assignment, fields, validate=validate_assignment, source=source)


def delete_assignment(actor, assignment: TeachingAssignment, *, source="panel") -> None:
    """Take a teacher off a journal when the timetable does not use them there, audited."""
    records.delete_row(actor, assignment, check=check_assignment_deletable, source=source)


def assign_teacher(actor, journal: Journal, teacher: Staff, *, source="panel") -> TeachingAssignment:
    """Return the teacher's assignment to the journal, making it when missing."""
    found = TeachingAssignment.get_or_none(
        (TeachingAssignment.journal == journal.id) & (TeachingAssignment.teacher == teacher.id)
    )
    return found or create_assignment(actor, journal=journal.id, teacher=teacher.id, source=source)


# --- timetable ------------------------------------------------------------------------------


def slot_label(slot: TimetableSlot) -> str:
    """Describe a timetable slot for a message: group, weekday, lesson, subject, teacher, room, dates."""
    day = dict(WEEKDAYS).get(slot.weekday, slot.weekday)
    room = f", каб. {slot.room}" if slot.room_id else ""
    return (
        f"{slot.journal.group}, {day}, {slot.lesson_number} урок — {slot.journal.subject} "
        f"({staff_label(slot.teacher)}{room}, {format_span(slot.valid_from, slot.valid_to)})"
    )


def validate_slot(slot: TimetableSlot) -> None:
    """Check a timetable slot: ranges, dates in the journal's year, the journal's teacher, no clash.

    A clash is another slot at the same weekday and number, valid on a common day, with the same
    teacher, the same room, the same journal or group, a part of the same class outside this
    group's split, or a student in both groups on such a day.
    """
    _require(slot.journal_id, "Выберите журнал.", "journal")
    _require(slot.teacher_id, "Выберите учителя.", "teacher")
    if slot.weekday not in dict(WEEKDAYS):
        raise DomainError("День недели — от понедельника до субботы.", "weekday")
    low, high = LESSON_NUMBERS
    number = slot.lesson_number
    if not isinstance(number, int) or isinstance(number, bool) or not low <= number <= high:
        raise DomainError(f"Номер урока — от {low} до {high}.", "lesson_number")
    _require(slot.valid_from, "Укажите, с какого дня действует урок расписания.", "valid_from")
    _require(slot.valid_to, "Укажите, по какой день действует урок расписания.", "valid_to")
    if slot.valid_to < slot.valid_from:
        raise DomainError("Дата окончания действия не может быть раньше даты начала.", "valid_to")
    journal = _get(Journal, slot.journal_id)
    if journal is None:
        raise DomainError("Выберите журнал из списка.", "journal")
    year = journal.year
    if not (year.contains(slot.valid_from) and year.contains(slot.valid_to)):
        raise DomainError(
            f"Даты действия урока должны лежать внутри учебного года {year} журнала «{journal}» "
            f"({format_span(year.start_date, year.end_date)}).",
            "valid_from",
        )
    teacher = _get(Staff, slot.teacher_id)
    if teacher is None:
        raise DomainError("Выберите учителя из списка.", "teacher")
    if not teacher.active:
        raise DomainError(f"Сотрудник «{teacher}» заблокирован(а): выберите действующего учителя.", "teacher")
    assigned = TeachingAssignment.select().where(
        (TeachingAssignment.teacher == teacher.id) & (TeachingAssignment.journal == journal.id)
    )
    if not assigned.exists():
        raise DomainError(
            f"Учитель {staff_label(teacher)} не ведёт журнал «{journal}». "
            "Сначала добавьте его в разделе «Учебная нагрузка».",
            "teacher",
        )
    if slot.room_id is not None and _get(Room, slot.room_id) is None:
        raise DomainError("Выберите кабинет из списка.", "room")
    clash = first_clash(slot)
    if clash is not None:
        raise DomainError(*clash)


def _parts_of_one_class(first: StudyGroup, second: StudyGroup) -> bool:
    """Answer whether two groups of one class may share students: any two but two groups of one split."""
    if not first.class_group_id or first.class_group_id != second.class_group_id:
        return False
    one_split = first.kind == second.kind == "subgroup" and first.split and first.split == second.split
    return not one_split


def first_clash(slot: TimetableSlot) -> tuple[str, str] | None:
    """Return (message, field) for the first slot this one clashes with, or None."""
    other_journal = Journal.alias("other_journal")
    other_group = StudyGroup.alias("other_group")
    same_time = list(
        TimetableSlot.select(TimetableSlot, other_journal, other_group)
        .join(other_journal, on=(TimetableSlot.journal == other_journal.id), attr="journal")
        .join(other_group, on=(other_journal.group == other_group.id), attr="group")
        .where(
            (TimetableSlot.weekday == slot.weekday)
            & (TimetableSlot.lesson_number == slot.lesson_number)
            & (TimetableSlot.valid_from <= slot.valid_to)
            & (TimetableSlot.valid_to >= slot.valid_from)
            & _not_self(TimetableSlot, slot)
        )
        .order_by(TimetableSlot.id)
    )
    group = slot.journal.group
    shared = []
    for other in same_time:
        if other.teacher_id == slot.teacher_id:
            return (
                f"Учитель {staff_label(slot.teacher)} в это время уже ведёт урок: {slot_label(other)}.",
                "teacher",
            )
        if slot.room_id and other.room_id == slot.room_id:
            return (f"Кабинет {slot.room} в это время занят: {slot_label(other)}.", "room")
        if other.journal_id == slot.journal_id or other.journal.group_id == group.id:
            return (f"У группы «{group}» в это время уже есть урок: {slot_label(other)}.", "lesson_number")
        if _parts_of_one_class(group, other.journal.group):
            return (
                f"У класса {group.class_group} в это время уже есть урок: {slot_label(other)}. "
                "В один урок могут заниматься только группы одного деления класса (например, «англ., гр. 1» "
                "и «англ., гр. 2»).",
                "lesson_number",
            )
        other_class = other.journal.group.class_group_id
        if group.class_group_id and other_class and other_class != group.class_group_id:
            # A student is in one class on any day and a class's groups count only its enrolled
            # students (member_spans): groups of two different classes never share one.
            continue
        if other.journal.group.year_id == group.year_id:
            shared.append(other)
    return _first_shared_student(slot, group, shared)


def _first_shared_student(slot: TimetableSlot, group: StudyGroup, others: list) -> tuple[str, str] | None:
    """Return the clash with the first of `others` whose group has a student of `group` on a day both slots hold."""
    if not others:
        return None
    mine = member_spans([group], slot.valid_from, slot.valid_to)[group.id]
    if not mine:
        return None
    # Only this group's students can be in two lessons at once: the others' members are read among them.
    spans = member_spans([o.journal.group for o in others], slot.valid_from, slot.valid_to, students=sorted(mine))
    for other in others:
        window = [(max(slot.valid_from, other.valid_from), min(slot.valid_to, other.valid_to))]
        theirs = spans[other.journal.group_id]
        for student_id, days in mine.items():
            if student_id in theirs and _clip(_clip(days, theirs[student_id]), window):
                student = Student.get_by_id(student_id)
                return (
                    f"У ученика {student.full_name} (группа «{group}») в это время уже есть урок: {slot_label(other)}.",
                    "lesson_number",
                )
    return None


def create_slot(actor, *, source="panel", **fields) -> TimetableSlot:
    """Create a timetable slot, checked and audited."""
    return records.create_row(actor, TimetableSlot, fields, validate=validate_slot, source=source)


def update_slot(actor, slot: TimetableSlot, *, source="panel", **fields) -> TimetableSlot:
    """Change a timetable slot, checked and audited."""
    return records.update_row(actor, slot, fields, validate=validate_slot, source=source)


def delete_slot(actor, slot: TimetableSlot, *, source="panel") -> None:
    """Delete a timetable slot, audited."""
    records.delete_row(actor, slot, source=source)
