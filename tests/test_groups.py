"""Study groups, memberships, journals, teaching load and timetable: every rule of app/services/groups.py.

The services are called as the CLI or an import would (the acting staff member passed in, no
request); every refusal is checked twice: the Russian message, and a database left as it was.
The panel's pages for them are tested at the end, through the real forms.
"""

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from app.db import db, init_db
from app.models import (
    AuditEntry,
    ChangeCounter,
    ClassGroup,
    Enrollment,
    GroupMembership,
    Journal,
    Lesson,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
    Tombstone,
)
from app.services import groups, school, students
from app.services import staff as staff_service
from app.services.errors import DomainError
from tests.conftest import login
from tests.test_school import day as this_year
from tests.test_school import list_queries, page_messages, ru, year_start

FIRST = 2030
TODAY = dt.date(FIRST, 10, 1)


def day(month: int, dom: int) -> dt.date:
    """Return a date of the school year 2030/2031."""
    return dt.date(FIRST if month >= 9 else FIRST + 1, month, dom)


def state(*models):
    """Every row of the given models, the audit trail, the tombstones and the change counter."""
    rows = {m.__name__: [r.snapshot() for r in m.select().order_by(m._meta.primary_key)] for m in models}
    return rows, AuditEntry.select().count(), Tombstone.select().count(), ChangeCounter.current()


ALL = (StudyGroup, GroupMembership, Journal, TeachingAssignment, TimetableSlot, ClassGroup, Enrollment)


def refused(write, message: str, field: str | None = None):
    """Assert that `write()` is refused with the message (and field) and writes nothing."""
    before = state(*ALL)
    with pytest.raises(DomainError) as refusal:
        write()
    assert message in refusal.value.message, refusal.value.message
    if field is not None:
        assert refusal.value.field == field, (refusal.value.field, refusal.value.message)
    assert state(*ALL) == before
    return refusal.value


@pytest.fixture
def database(database_url):
    """This test's migrated database, bound without any Flask application."""
    init_db(database_url)
    with db.connection_context():
        yield db
    if not db.obj.is_closed():
        db.obj.close()


@pytest.fixture
def w(database):
    """A year with classes 5А and 5Б, three teachers, two subjects, four pupils in 5А and two in 5Б."""
    actor = staff_service.create_staff(None, login="zavuch", last_name="Петрова", first_name="Анна", source="system")
    teachers = [
        staff_service.create_staff(None, login=login, last_name=last, first_name=first)
        for login, last, first in (
            ("smirnova", "Смирнова", "Ольга"),
            ("kozlov", "Козлов", "Игорь"),
            ("belova", "Белова", "Нина"),
        )
    ]
    year = school.create_school_year(
        actor, name=f"{FIRST}/{FIRST + 1}", start_date=day(9, 1), end_date=day(5, 31), is_current=True
    )
    a5 = school.create_class_group(actor, year=year, grade=5, letter="А")
    b5 = school.create_class_group(actor, year=year, grade=5, letter="Б")
    english = school.create_subject(actor, name="Английский язык")
    math = school.create_subject(actor, name="Математика")

    def pupil(last, first, group, start=None, end=None):
        start = start or day(9, 1)
        student = students.create_student(actor, today=TODAY, last_name=last, first_name=first)
        students.create_enrollment(actor, student=student, class_group=group, start_date=start, end_date=end)
        return student

    pupils_a = [pupil(last, "Анна", a5) for last in ("Белова", "Васильева", "Григорьева", "Дмитриева")]
    pupils_b = [pupil(last, "Иван", b5) for last in ("Ершов", "Жуков")]
    return SimpleNamespace(
        actor=actor,
        t1=teachers[0],
        t2=teachers[1],
        t3=teachers[2],
        year=year,
        a5=a5,
        b5=b5,
        english=english,
        math=math,
        a=pupils_a,
        b=pupils_b,
        pupil=pupil,
        whole_a=groups.find_whole_class_group(a5),
        whole_b=groups.find_whole_class_group(b5),
    )


def split_a(w, split="англ.", count=2):
    return groups.create_split(w.actor, w.a5, split, count)


def member(w, group, student, start=None, end=None):
    start = start or day(9, 1)
    return groups.create_membership(w.actor, group=group, student=student, start_date=start, end_date=end)


def journal_with(w, group, subject, *teachers):
    return groups.create_journal(w.actor, group=group, subject=subject, teachers=[t.id for t in teachers])


def slot(w, journal, teacher, weekday=1, number=1, start=None, end=None):
    start, end = start or day(9, 1), end or day(5, 31)
    return groups.create_slot(
        w.actor,
        journal=journal,
        weekday=weekday,
        lesson_number=number,
        teacher=teacher,
        valid_from=start,
        valid_to=end,
    )


# --- a class and its whole-class group ------------------------------------------------------------


def test_a_class_comes_with_its_whole_class_group(w):
    group = w.whole_a
    assert (group.kind, group.name, group.grade, group.year_id, group.split) == ("class", "5А", 5, w.year.id, None)
    entry = AuditEntry.get((AuditEntry.model == "StudyGroup") & (AuditEntry.object_id == str(group.id)))
    assert entry.action == "create" and entry.actor_id == w.actor.id
    assert {s.id for s in groups.members_on(group, day(10, 1))} == {s.id for s in w.a}


def test_a_renamed_class_renames_its_groups_in_the_same_transaction(w):
    first, second = split_a(w)
    school.update_class_group(w.actor, w.a5, letter="В")
    names = {g.id: g.name for g in StudyGroup.select().where(StudyGroup.class_group == w.a5.id)}
    assert names == {w.whole_a.id: "5В", first.id: "5В, англ., гр. 1", second.id: "5В, англ., гр. 2"}
    school.update_class_group(w.actor, w.a5, grade=6)
    assert {g.grade for g in StudyGroup.select().where(StudyGroup.class_group == w.a5.id)} == {6}


def test_a_class_is_not_named_after_another_group(w):
    groups.create_group(w.actor, kind="cross", year=w.year, name="5В")
    refused(lambda: school.create_class_group(w.actor, year=w.year, grade=5, letter="В"), "Группа «5В»", "letter")
    refused(lambda: school.update_class_group(w.actor, w.b5, letter="В"), "Группа «5В»", "letter")
    assert ClassGroup.get_by_id(w.b5.id).letter == "Б"


def test_a_class_goes_with_its_empty_whole_class_group_only(w):
    empty = school.create_class_group(w.actor, year=w.year, grade=7, letter="Г")
    whole = groups.find_whole_class_group(empty)
    school.delete_class_group(w.actor, empty)
    assert not StudyGroup.select().where(StudyGroup.id == whole.id).exists()
    assert {t.record_type for t in Tombstone.select()} >= {"class_group", "study_group"}
    # Enrollments keep the class; a journal keeps its whole-class group; a split keeps the class.
    refused(lambda: school.delete_class_group(w.actor, w.a5), "зачисления учеников — 4")
    other = school.create_class_group(w.actor, year=w.year, grade=7, letter="Д")
    groups.class_journal(other, w.math, w.actor)
    refused(lambda: school.delete_class_group(w.actor, other), "журналы — 1")
    third = school.create_class_group(w.actor, year=w.year, grade=7, letter="Е")
    groups.create_split(w.actor, third, "англ.", 2)
    refused(lambda: school.delete_class_group(w.actor, third), "группы — 2")


def test_the_whole_class_group_is_neither_made_changed_nor_deleted_on_its_own(w):
    refused(
        lambda: groups.create_group(w.actor, kind="class", year=w.year, name="Весь 5А"), "создаётся вместе с классом"
    )
    refused(lambda: groups.update_group(w.actor, w.whole_a, name="Пятый А"), "меняется вместе с классом")
    refused(lambda: groups.delete_group(w.actor, w.whole_a), "нельзя удалить отдельно от класса")
    refused(
        lambda: member(w, w.whole_a, w.b[0]),
        "Состав группы «весь класс» — ученики, зачисленные в класс",
        "group",
    )


# --- groups -----------------------------------------------------------------------------------------


def test_a_subgroup_takes_its_year_and_grade_from_its_class(w):
    group = groups.create_group(w.actor, kind="subgroup", class_group=w.a5, split=" англ. ", name=" 5А,  англ., гр. 1 ")
    assert (group.year_id, group.grade, group.split, group.name) == (w.year.id, 5, "англ.", "5А, англ., гр. 1")
    cross = groups.create_group(
        w.actor, kind="cross", year=w.year, class_group=w.a5, split="англ.", name="Хор 5–6", grade=None
    )
    assert (cross.class_group_id, cross.split, cross.grade) == (None, None, None)


@pytest.mark.parametrize(
    "fields, message, field",
    [
        ({"kind": "team"}, "Выберите вид группы из списка.", "kind"),
        ({"class_group": None}, "Выберите класс, который делится на группы.", "class_group"),
        ({"split": "  "}, "Укажите, для чего класс делится на группы", "split"),
        ({"split": "а" * 61}, "Деление — не больше 60 символов.", "split"),
        ({"name": ""}, "Укажите название группы, например «5А, англ., гр. 1».", "name"),
        ({"name": "5А\x00"}, "уберите непечатаемые символы", "name"),
        ({"name": "5А"}, "Группа «5А» в этом учебном году уже есть.", "name"),
        ({"kind": "cross", "year": None, "class_group": None}, "Выберите учебный год.", "year"),
        ({"kind": "cross", "grade": 12}, "Параллель — число от 1 до 11", "grade"),
    ],
)
def test_bad_groups_are_refused(w, fields, message, field):
    values = {"kind": "subgroup", "year": w.year, "class_group": w.a5, "split": "англ.", "name": "Новая группа"}
    values.update(fields)
    refused(lambda: groups.create_group(w.actor, **values), message, field)


def test_a_group_in_use_keeps_its_year_class_and_split_partners(w):
    first, second = split_a(w)
    member(w, first, w.a[0])
    member(w, second, w.a[1])
    refused(lambda: groups.update_group(w.actor, first, class_group=w.b5), "Нельзя перенести группу в другой класс")
    other = groups.create_split(w.actor, w.a5, "информ.", 2)[0]
    member(w, other, w.a[0])
    # Renaming the split of a group puts its member next to their group of that split: refused.
    refused(lambda: groups.update_group(w.actor, other, split="англ."), "того же деления «англ.»", "split")
    groups.update_group(w.actor, other, split="информатика")
    assert StudyGroup.get_by_id(other.id).split == "информатика"
    # An empty group moves freely.
    empty = groups.create_group(w.actor, kind="subgroup", class_group=w.a5, split="физ-ра", name="5А, физ-ра, девочки")
    groups.update_group(w.actor, empty, class_group=w.b5, name="5Б, физ-ра, девочки")
    assert StudyGroup.get_by_id(empty.id).class_group_id == w.b5.id


def test_a_group_with_members_is_not_deleted_an_empty_one_is(w):
    first, second = split_a(w)
    member(w, first, w.a[0])
    refused(lambda: groups.delete_group(w.actor, first), "записи о членстве в группах — 1")
    groups.delete_group(w.actor, second)
    assert not StudyGroup.select().where(StudyGroup.id == second.id).exists()


def test_a_split_makes_its_groups_once(w):
    made = split_a(w, " англ. ", "2")
    assert [g.name for g in made] == ["5А, англ., гр. 1", "5А, англ., гр. 2"]
    assert all((g.kind, g.split, g.class_group_id) == ("subgroup", "англ.", w.a5.id) for g in made)
    assert [g.name for g in split_a(w, "англ.", 3)] == ["5А, англ., гр. 3"]
    assert split_a(w, "англ.", 3) == []
    assert groups.splits_of(w.a5) == ["англ."]
    assert [(str(c), s, n) for c, s, n in groups.splits_of_year(w.year)] == [("5А", "англ.", 3)]


@pytest.mark.parametrize(
    "split, count, message",
    [
        ("", 2, "Укажите, для чего класс делится на группы"),
        ("англ.", 1, "Класс делится на группы: от 2 до 6."),
        ("англ.", "7", "Класс делится на группы: от 2 до 6."),
        ("англ.", "два", "Класс делится на группы: от 2 до 6."),
        ("англ.", True, "Класс делится на группы: от 2 до 6."),
    ],
)
def test_bad_splits_are_refused(w, split, count, message):
    refused(lambda: groups.create_split(w.actor, w.a5, split, count), message)


# --- memberships ------------------------------------------------------------------------------------


def test_a_student_is_in_one_group_of_a_split_at_a_time(w):
    first, second = split_a(w)
    informatics = groups.create_split(w.actor, w.a5, "информ.", 2)[0]
    member(w, first, w.a[0], end=day(12, 31))
    refused(
        lambda: member(w, second, w.a[0], start=day(12, 1)),
        "уже в группе «5А, англ., гр. 1» с 01.09.2030 до 31.12.2030",
        "group",
    )
    refused(lambda: member(w, first, w.a[0], start=day(12, 31)), "уже в группе «5А, англ., гр. 1»")
    # The next day, another group of the split; any day, a group of another split.
    member(w, second, w.a[0], start=day(1, 1))
    member(w, informatics, w.a[0])
    # Widening the first span over the second is refused too.
    row = GroupMembership.get((GroupMembership.group == first.id) & (GroupMembership.student == w.a[0].id))
    refused(lambda: groups.update_membership(w.actor, row, end_date=None), "уже в группе «5А, англ., гр. 2»")
    assert GroupMembership.get_by_id(row.id).end_date == day(12, 31) and row.end_date == day(12, 31)


def test_membership_dates_lie_in_the_year_and_in_the_enrollment(w):
    first, _second = split_a(w)
    late = w.pupil("Зайцева", "Ольга", w.a5, start=day(10, 1), end=day(3, 31))
    refused(lambda: member(w, first, late, start=day(9, 15)), "не числится в классе 5А на 15.09.2030", "start_date")
    refused(
        lambda: member(w, first, late, start=day(10, 1), end=day(5, 31)),
        "не числится в классе 5А на все даты 01.10.2030–31.05.2031",
    )
    refused(lambda: member(w, first, late, start=day(8, 31) + dt.timedelta(days=1)), "внутри учебного года")
    refused(lambda: member(w, first, late, start=dt.date(FIRST, 8, 31)), "внутри учебного года")
    refused(
        lambda: member(w, first, late, start=day(11, 1), end=day(10, 1)), "не может быть раньше даты входа", "end_date"
    )
    refused(lambda: member(w, first, w.b[0]), "не числится в классе 5А")
    # Open-ended from an enrolled day: a member while enrolled, out after the enrollment ends.
    member(w, first, late, start=day(10, 1))
    assert groups.is_member(late.id, first, day(3, 31)) and not groups.is_member(late.id, first, day(4, 1))


def test_a_cross_group_takes_students_of_any_class_of_its_year(w):
    choir = groups.create_group(w.actor, kind="cross", year=w.year, name="Хор", grade=None)
    member(w, choir, w.a[0])
    member(w, choir, w.b[0])
    assert {s.id for s in groups.members_on(choir, day(10, 1))} == {w.a[0].id, w.b[0].id}
    outsider = students.create_student(w.actor, today=TODAY, last_name="Яковлев", first_name="Пётр")
    refused(lambda: member(w, choir, outsider), "не числится ни в одном классе 2030/2031 учебного года")


def test_an_individual_group_has_one_student_at_a_time(w):
    alone = groups.create_group(w.actor, kind="individual", year=w.year, name="Индивидуально: Белова", grade=5)
    member(w, alone, w.a[0], end=day(12, 31))
    refused(lambda: member(w, alone, w.a[1], start=day(12, 1)), "уже есть ученик: один ученик на группу", "student")
    member(w, alone, w.a[1], start=day(1, 1))


def test_members_are_counted_only_while_enrolled(w):
    first, _second = split_a(w)
    for pupil in w.a:
        member(w, first, pupil)
    leaver = w.a[3]
    enrollment = Enrollment.get(Enrollment.student == leaver.id)
    students.update_enrollment(w.actor, enrollment, end_date=day(11, 30))
    students.create_enrollment(w.actor, student=leaver, class_group=w.b5, start_date=day(12, 1))
    assert leaver.id in {s.id for s in groups.members_on(first, day(11, 30))}
    assert leaver.id not in {s.id for s in groups.members_on(first, day(12, 1))}
    spans = groups.member_spans([first, w.whole_a, w.whole_b], day(9, 1), day(5, 31))
    assert spans[first.id][leaver.id] == [(day(9, 1), day(11, 30))]
    assert spans[w.whole_b.id][leaver.id] == [(day(12, 1), day(5, 31))]
    assert set(spans[w.whole_a.id]) == {s.id for s in w.a}


def test_the_member_count_subquery_agrees_with_member_spans(w):
    first, second = split_a(w)
    member(w, first, w.a[0])
    member(w, first, w.a[1], end=day(9, 30))
    member(w, second, w.a[1], start=day(10, 1))
    choir = groups.create_group(w.actor, kind="cross", year=w.year, name="Хор")
    member(w, choir, w.a[2])
    member(w, choir, w.b[0])
    for on in (day(9, 15), day(10, 15), dt.date(FIRST + 2, 1, 1)):
        query = groups.with_member_count(StudyGroup.select(), on)
        counted = {g.id: g.member_count for g in query}
        expected = {
            g.id: len(spans) for g, spans in zip(query, groups.member_spans(list(query), on, on).values(), strict=True)
        }
        assert counted == expected, on
    assert counted[w.whole_a.id] == 0
    query = groups.with_member_count(StudyGroup.select(), day(10, 15))
    assert {g.name: g.member_count for g in query} == {
        "5А": 4,
        "5Б": 2,
        "5А, англ., гр. 1": 1,
        "5А, англ., гр. 2": 1,
        "Хор": 2,
    }


# --- placing a class into a split ----------------------------------------------------------------


def memberships_of(student):
    rows = GroupMembership.select().where(GroupMembership.student == student.id).order_by(GroupMembership.start_date)
    return [(r.group.name, r.start_date, r.end_date) for r in rows]


def test_students_are_placed_and_moved_keeping_history(w):
    first, second = split_a(w)
    placement = {w.a[0].id: first.id, w.a[1].id: first.id, w.a[2].id: second.id}
    assert groups.place_students(w.actor, [first, second], placement, day(9, 1)) == 3
    assert [s.id for s in groups.unplaced_students(w.a5, "англ.", day(9, 1))] == [w.a[3].id]
    # The same ticks again change nothing; a move ends the old membership the day before.
    assert groups.place_students(w.actor, [first, second], placement, day(10, 1)) == 0
    assert groups.place_students(w.actor, [first, second], {w.a[1].id: second.id}, day(11, 10)) == 1
    assert memberships_of(w.a[1]) == [
        ("5А, англ., гр. 1", day(9, 1), day(11, 9)),
        ("5А, англ., гр. 2", day(11, 10), None),
    ]
    assert groups.is_member(w.a[1].id, first, day(11, 9)) and groups.is_member(w.a[1].id, second, day(11, 10))
    # A move from a date a membership starts on corrects it instead of leaving a one-day-less span.
    assert groups.place_students(w.actor, [first, second], {w.a[1].id: first.id}, day(11, 10)) == 1
    assert memberships_of(w.a[1]) == [
        ("5А, англ., гр. 1", day(9, 1), day(11, 9)),
        ("5А, англ., гр. 1", day(11, 10), None),
    ]
    # Out of every group of the split from a date; an earlier move drops the later plans.
    assert groups.place_students(w.actor, [first, second], {w.a[2].id: None}, day(3, 1)) == 1
    assert memberships_of(w.a[2]) == [("5А, англ., гр. 2", day(9, 1), day(2, 28))]
    assert [s.id for s in groups.unplaced_students(w.a5, "англ.", day(3, 1))] == [w.a[2].id, w.a[3].id]
    history = groups.split_history(w.a5, "англ.")
    assert [(row.student.id, row.group.id, row.start_date) for row in history][:2] == [
        (w.a[0].id, first.id, day(9, 1)),
        (w.a[1].id, first.id, day(9, 1)),
    ]


def test_placing_is_all_or_nothing(w):
    first, second = split_a(w)
    groups.place_students(w.actor, [first, second], {w.a[0].id: first.id}, day(9, 1))
    refused(
        lambda: groups.place_students(
            w.actor, [first, second], {w.a[0].id: second.id, w.b[0].id: first.id}, day(10, 1)
        ),
        "не числится в классе 5А",
    )
    other = groups.create_group(w.actor, kind="cross", year=w.year, name="Хор")
    refused(
        lambda: groups.place_students(w.actor, [first, second], {w.a[1].id: other.id}, day(10, 1)),
        "Выберите группу из списка.",
    )
    refused(
        lambda: groups.place_students(w.actor, [first, second], {"abc": first.id}, day(10, 1)),
        "Выберите группу из списка.",
    )
    refused(
        lambda: groups.place_students(w.actor, [first, second], {w.a[1].id: first.id}, dt.date(1, 1, 1)),
        "внутри учебного года",
    )
    refused(lambda: groups.place_students(w.actor, [], {w.a[1].id: first.id}, day(10, 1)), "Сначала создайте группы")
    refused(
        lambda: groups.place_students(w.actor, [first, second], {999999: first.id}, day(10, 1)),
        "Выберите ученика из списка.",
    )


def test_the_split_placement_shows_the_class_on_a_date(w):
    first, second = split_a(w)
    groups.place_students(w.actor, [first, second], {w.a[0].id: first.id, w.a[1].id: second.id}, day(9, 1))
    placement = groups.split_placement(w.a5, "англ.", day(9, 2))
    assert [g.id for g in placement.groups] == [first.id, second.id]
    assert [s.id for s in placement.students] == [s.id for s in w.a]
    assert placement.placed == {w.a[0].id: first.id, w.a[1].id: second.id}
    assert [s.id for s in placement.unplaced] == [w.a[2].id, w.a[3].id]
    assert groups.split_placement(w.a5, "англ.", dt.date(FIRST + 5, 1, 1)).students == []


# --- journals and teachers -----------------------------------------------------------------------


def test_a_journal_belongs_to_its_groups_year_once_per_subject(w):
    first, _second = split_a(w)
    journal = journal_with(w, first, w.english, w.t1, w.t2)
    assert (journal.year_id, journal.kind) == (w.year.id, "lesson")
    assert sorted(t.id for t in groups.teachers_of([journal.id])[journal.id]) == sorted([w.t1.id, w.t2.id])
    refused(
        lambda: journal_with(w, first, w.english), "Журнал «5А, англ., гр. 1 · Английский язык» уже есть.", "subject"
    )
    refused(lambda: groups.create_journal(w.actor, group=first, subject=w.math, kind="sport"), "Выберите вид журнала")
    course = groups.create_journal(w.actor, group=w.whole_a, subject=w.math, kind="extracurricular")
    assert groups.journal_label(course) == "5А · Математика (внеурочная деятельность)"
    assert groups.class_journal(w.a5, w.math) == course
    made = groups.class_journal(w.b5, w.math, w.actor)
    assert (made.group_id, made.subject_id) == (w.whole_b.id, w.math.id)


def test_a_journal_with_lessons_or_timetable_keeps_its_group_and_subject(w):
    first, second = split_a(w)
    journal = journal_with(w, first, w.english, w.t1)
    slot(w, journal, w.t1)
    refused(lambda: groups.update_journal(w.actor, journal, group=second), "Нельзя сменить группу или предмет журнала")
    groups.update_journal(w.actor, journal, kind="extracurricular")
    assert Journal.get_by_id(journal.id).kind == "extracurricular"


def test_a_journals_teachers_are_set_together_and_a_scheduled_one_stays(w):
    journal = journal_with(w, w.whole_a, w.math, w.t1)
    slot(w, journal, w.t1)
    groups.update_journal(w.actor, journal, teachers=[w.t1.id, w.t2.id])
    assert {t.id for t in groups.teachers_of([journal.id])[journal.id]} == {w.t1.id, w.t2.id}
    kept = journal.snapshot()
    refused(
        lambda: groups.update_journal(w.actor, journal, kind="extracurricular", teachers=[w.t2.id]),
        "Нельзя удалить нагрузку",
    )
    assert journal.snapshot() == kept
    groups.update_journal(w.actor, journal, teachers=[w.t1.id])
    assert [t.id for t in groups.teachers_of([journal.id])[journal.id]] == [w.t1.id]
    refused(lambda: groups.update_journal(w.actor, journal, teachers=["x"]), "Выберите учителей из списка.", "teachers")


def test_a_journal_is_deleted_with_its_teachers_but_not_with_a_timetable(w):
    journal = journal_with(w, w.whole_a, w.math, w.t1, w.t2)
    groups.delete_journal(w.actor, journal)
    assert not Journal.select().where(Journal.id == journal.id).exists()
    assert not TeachingAssignment.select().exists()
    scheduled = journal_with(w, w.whole_a, w.math, w.t1)
    slot(w, scheduled, w.t1)
    refused(lambda: groups.delete_journal(w.actor, scheduled), "по нему есть уроки расписания — 1")


def test_teaching_assignments_need_an_active_teacher_once(w):
    journal = journal_with(w, w.whole_a, w.math)
    assignment = groups.assign_teacher(w.actor, journal, w.t1)
    assert groups.assign_teacher(w.actor, journal, w.t1) == assignment
    refused(
        lambda: groups.create_assignment(w.actor, journal=journal, teacher=w.t1),
        "Такая нагрузка уже есть: Смирнова О. ведёт «5А · Математика».",
        "teacher",
    )
    Staff.update(active=False).where(Staff.id == w.t2.id).execute()
    refused(lambda: groups.create_assignment(w.actor, journal=journal, teacher=w.t2), "заблокирован(а)", "teacher")
    slot(w, journal, w.t1)
    refused(lambda: groups.update_assignment(w.actor, assignment, teacher=w.t3), "по ней составлено расписание")
    refused(lambda: groups.delete_assignment(w.actor, assignment), "Нельзя удалить нагрузку")


# --- the timetable: who is where, when ------------------------------------------------------------


@pytest.fixture
def split_world(w):
    """5А split into two English groups (two pupils each) with two teachers, and its whole-class maths."""
    first, second = split_a(w)
    groups.place_students(
        w.actor,
        [first, second],
        {w.a[0].id: first.id, w.a[1].id: first.id, w.a[2].id: second.id, w.a[3].id: second.id},
        day(9, 1),
    )
    w.first, w.second = first, second
    w.english1 = journal_with(w, first, w.english, w.t1)
    w.english2 = journal_with(w, second, w.english, w.t2)
    w.maths = journal_with(w, w.whole_a, w.math, w.t3)
    return w


def test_two_groups_of_one_split_share_a_period_with_different_teachers(split_world):
    w = split_world
    slot(w, w.english1, w.t1)
    slot(w, w.english2, w.t2)
    assert TimetableSlot.select().count() == 2


def test_a_teacher_is_in_one_place_at_a_time(split_world):
    w = split_world
    groups.assign_teacher(w.actor, w.english2, w.t1)
    slot(w, w.english1, w.t1)
    refused(
        lambda: slot(w, w.english2, w.t1),
        "Учитель Смирнова О. в это время уже ведёт урок: 5А, англ., гр. 1, понедельник, 1 урок — Английский язык",
        "teacher",
    )
    # Another period, or the same period in another part of the year, is fine.
    slot(w, w.english2, w.t1, number=2)
    slot(w, w.english1, w.t1, weekday=2, end=day(12, 31))
    slot(w, w.english2, w.t1, weekday=2, start=day(1, 1))


def test_a_group_has_one_lesson_at_a_time(split_world):
    w = split_world
    second_journal = groups.create_journal(w.actor, group=w.first, subject=w.math, teachers=[w.t3.id])
    slot(w, w.english1, w.t1)
    refused(
        lambda: slot(w, second_journal, w.t3), "У группы «5А, англ., гр. 1» в это время уже есть урок", "lesson_number"
    )
    refused(lambda: slot(w, w.english1, w.t1, start=day(3, 1)), "уже ведёт урок")


def test_a_whole_class_lesson_is_not_over_a_lesson_of_its_groups(split_world):
    w = split_world
    slot(w, w.english1, w.t1)
    refused(lambda: slot(w, w.maths, w.t3), "У класса 5А в это время уже есть урок", "lesson_number")
    # Two splits of one class at once would put their students into two lessons too, even before they are placed.
    informatics = groups.create_split(w.actor, w.a5, "информ.", 2)[0]
    computing = journal_with(w, informatics, w.math, w.t3)
    refused(lambda: slot(w, computing, w.t3), "В один урок могут заниматься только группы одного деления класса")


def test_a_cross_group_lesson_is_not_over_a_lesson_of_its_members(split_world):
    w = split_world
    choir = groups.create_group(w.actor, kind="cross", year=w.year, name="Хор")
    member(w, choir, w.a[0], start=day(1, 10))
    singing = journal_with(w, choir, w.english, w.t3)
    slot(w, w.english1, w.t1, end=day(12, 31))
    # Before 10.01 Белова is not in the choir: no clash with the first half-year.
    slot(w, singing, w.t3)
    refused(
        lambda: slot(w, w.english1, w.t1, start=day(1, 1)),
        "У ученика Белова Анна (группа «5А, англ., гр. 1») в это время уже есть урок: Хор, понедельник, 1 урок",
        "lesson_number",
    )
    # A member of another class at the same time is no business of 5А's group.
    other = journal_with(w, w.whole_b, w.math, w.t2)
    slot(w, other, w.t2, weekday=3)
    slot(w, singing, w.t3, weekday=3)


def test_a_membership_that_would_double_book_a_student_is_refused(split_world):
    w = split_world
    choir = groups.create_group(w.actor, kind="cross", year=w.year, name="Хор")
    singing = journal_with(w, choir, w.english, w.t3)
    slot(w, w.english1, w.t1)
    slot(w, singing, w.t3)
    refused(
        lambda: member(w, choir, w.a[0]), "У ученика Белова Анна в это время уже есть урок: 5А, англ., гр. 1", "group"
    )
    member(w, choir, w.b[0])


def test_a_move_between_groups_of_a_split_clashes_with_nothing(split_world):
    w = split_world
    slot(w, w.english1, w.t1)
    slot(w, w.english2, w.t2)
    assert groups.place_students(w.actor, [w.first, w.second], {w.a[0].id: w.second.id}, day(11, 10)) == 1
    # Editing a membership is checked without the row itself.
    row = GroupMembership.get((GroupMembership.group == w.second.id) & (GroupMembership.student == w.a[0].id))
    groups.update_membership(w.actor, row, start_date=day(11, 12))


@pytest.mark.parametrize(
    "change, message, field",
    [
        ({"weekday": 7}, "День недели — от понедельника до субботы.", "weekday"),
        ({"lesson_number": 0}, "Номер урока — от 1 до 10.", "lesson_number"),
        ({"lesson_number": 11}, "Номер урока — от 1 до 10.", "lesson_number"),
        ({"valid_to": day(8, 31) + dt.timedelta(days=1)}, "внутри учебного года 2030/2031", "valid_from"),
        ({"valid_from": day(12, 1), "valid_to": day(11, 1)}, "не может быть раньше даты начала", "valid_to"),
        ({"teacher": "t2"}, "Учитель Козлов И. не ведёт журнал «5А, англ., гр. 1 · Английский язык»", "teacher"),
        ({"journal": None}, "Выберите журнал.", "journal"),
    ],
)
def test_bad_slots_are_refused(split_world, change, message, field):
    w = split_world
    values = {
        "journal": w.english1,
        "weekday": 1,
        "lesson_number": 1,
        "teacher": w.t1,
        "valid_from": day(9, 1),
        "valid_to": day(5, 31),
    }
    values.update({k: getattr(w, v) if v in ("t2",) else v for k, v in change.items()})
    refused(lambda: groups.create_slot(w.actor, **values), message, field)


def test_a_blocked_teacher_gets_no_slot(split_world):
    w = split_world
    Staff.update(active=False).where(Staff.id == w.t1.id).execute()
    refused(lambda: slot(w, w.english1, w.t1), "заблокирован(а): выберите действующего учителя", "teacher")


def test_a_year_keeps_its_slots_memberships_and_lessons_inside(split_world):
    w = split_world
    slot(w, w.english1, w.t1)
    refused(
        lambda: school.update_school_year(w.actor, w.year, end_date=day(5, 20)), "Урок расписания «5А, англ., гр. 1"
    )
    TimetableSlot.delete().execute()
    member(w, w.first, w.pupil("Зуева", "Дарья", w.a5, start=day(9, 1), end=day(5, 25)), end=day(5, 25))
    Enrollment.update(end_date=day(5, 20)).where(Enrollment.end_date == day(5, 25)).execute()
    refused(lambda: school.update_school_year(w.actor, w.year, end_date=day(5, 22)), "Членство в группе")
    GroupMembership.delete().where(GroupMembership.end_date == day(5, 25)).execute()
    Lesson.create(journal=w.english1, date=day(5, 30), number=1, planned_teacher=w.t1, teacher=w.t1)
    refused(
        lambda: school.update_school_year(w.actor, w.year, end_date=day(5, 29)),
        "Урок «5А, англ., гр. 1 · Английский язык",
    )


# --- the panel: groups, members, journals, load, timetable, the split page ---------------------------


def cells(html: str, column: str) -> list[str]:
    """Return the texts of a list page's column, row by row."""
    found = re.findall(rf'<td class="col-{column}">(.*?)</td>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in found]


def refused_page(response, message: str, status: int = 200) -> None:
    """Assert the page came back (nothing saved) showing the message."""
    assert response.status_code == status, response.status_code
    errors = page_messages(response.get_data(as_text=True))
    assert any(message in e for e in errors), errors


@pytest.fixture
def p(app, make_staff):
    """This school year: 5А (four pupils) split into two English groups, 5Б (two pupils), journals with teachers."""
    year = SchoolYear.create(
        name=f"{year_start()}/{year_start() + 1}",
        start_date=this_year(9, 1),
        end_date=this_year(5, 31),
        is_current=True,
    )
    smirnova = make_staff("smirnova", roles=["teacher"], last_name="Смирнова", first_name="Ольга")
    kozlov = make_staff("kozlov", roles=["teacher"], last_name="Козлов", first_name="Игорь")
    english = Subject.create(name="Английский язык")
    math = Subject.create(name="Математика")
    a5 = school.create_class_group(None, year=year, grade=5, letter="А")
    b5 = school.create_class_group(None, year=year, grade=5, letter="Б")

    def pupil(last, group):
        student = Student.create(last_name=last, first_name="Анна")
        Enrollment.create(student=student, class_group=group, start_date=this_year(9, 1))
        return student

    pupils = [pupil(last, a5) for last in ("Белова", "Васильева", "Григорьева", "Дмитриева")]
    others = [pupil(last, b5) for last in ("Ершова", "Жукова")]
    first, second = groups.create_split(None, a5, "англ.", 2)
    journal = groups.create_journal(None, group=first, subject=english, teachers=[smirnova.id])
    maths = groups.create_journal(None, group=groups.find_whole_class_group(b5), subject=math, teachers=[kozlov.id])
    return SimpleNamespace(
        year=year,
        smirnova=smirnova,
        kozlov=kozlov,
        english=english,
        math=math,
        a5=a5,
        b5=b5,
        pupils=pupils,
        others=others,
        first=first,
        second=second,
        journal=journal,
        maths=maths,
    )


@pytest.fixture
def admin(login_as):
    return login_as("admin", login_name="admin")


def test_the_group_list_shows_kind_class_split_and_members(client, admin, p):
    groups.place_students(None, [p.first, p.second], {p.pupils[0].id: p.first.id}, this_year(9, 1))
    listing = client.get("/studygroup/").get_data(as_text=True)
    for text in (
        "Вид группы",
        "Деление",
        "Учеников сейчас",
        "весь класс",
        "группа класса",
        "5А, англ., гр. 1",
        "англ.",
    ):
        assert text in listing, text
    assert dict(zip(cells(listing, "name"), cells(listing, "member_count"), strict=True)) == {
        "5А": "4",
        "5А, англ., гр. 1": "1",
        "5А, англ., гр. 2": "0",
        "5Б": "2",
    }
    # Filters: 0 year, 1 kind, 2 grade, 3 class letter, 4 split, 5 name.
    only_subgroups = cells(client.get("/studygroup/?flt0_1=subgroup").get_data(as_text=True), "name")
    assert only_subgroups == ["5А, англ., гр. 1", "5А, англ., гр. 2"]
    by_letter = cells(client.get("/studygroup/?flt0_3=Б").get_data(as_text=True), "name")
    assert by_letter == ["5Б"]


def test_a_group_is_made_in_the_panel_and_a_whole_class_group_stays_read_only(client, admin, p):
    data = {"kind": "cross", "year": p.year.id, "class_group": "", "split": "", "name": "Хор 5-х классов", "grade": ""}
    assert client.post("/studygroup/new/", data=data).status_code == 302
    choir = StudyGroup.get(StudyGroup.name == "Хор 5-х классов")
    assert (choir.kind, choir.class_group_id, choir.grade) == ("cross", None, None)
    before = state(StudyGroup)
    refused_page(client.post("/studygroup/new/", data=data), "Группа «Хор 5-х классов» в этом учебном году уже есть.")
    refused_page(client.post("/studygroup/new/", data=dict(data, kind="class", name="Весь 5А")), "Неверный вариант")
    subgroup = dict(data, kind="subgroup", class_group=p.a5.id, name="5А, девочки")
    refused_page(client.post("/studygroup/new/", data=subgroup), "Укажите, для чего класс делится на группы")
    whole = groups.find_whole_class_group(p.a5)
    response = client.get(f"/studygroup/edit/?id={whole.id}", follow_redirects=True)
    assert "меняется вместе с классом" in response.get_data(as_text=True)
    assert client.post(f"/studygroup/edit/?id={whole.id}", data=dict(data, name="Пятый А")).status_code == 303
    assert state(StudyGroup) == before


def test_a_groups_page_shows_its_members_on_a_date_and_its_history(client, admin, p):
    groups.place_students(None, [p.first, p.second], {s.id: p.first.id for s in p.pupils[:2]}, this_year(9, 1))
    groups.place_students(None, [p.first, p.second], {p.pupils[1].id: p.second.id}, this_year(11, 10))
    early = client.get(f"/studygroup/details/?id={p.first.id}&date={this_year(10, 1).isoformat()}").get_data(
        as_text=True
    )
    assert "Состав на " + ru(this_year(10, 1)) in early
    assert "Белова Анна" in early and "Васильева Анна" in early
    assert ru(this_year(11, 9)) in early  # the history: Васильева left the group on 09.11
    late = client.get(f"/studygroup/details/?id={p.first.id}&date={this_year(11, 10).isoformat()}").get_data(
        as_text=True
    )
    members = late[late.index('id="members"') : late.index("История состава")]
    assert "Белова Анна" in members and "Васильева Анна" not in members
    assert 'id="open-split"' in late and f"class={p.a5.id}" in late
    bad = client.get(f"/studygroup/details/?id={p.first.id}&date=2026-02-30").get_data(as_text=True)
    assert "не распознана" in bad
    whole = client.get(f"/studygroup/details/?id={groups.find_whole_class_group(p.b5).id}").get_data(as_text=True)
    assert "Ершова Анна" in whole and "зачисленные в класс" in whole


def test_memberships_are_kept_in_the_panel_with_their_rules(client, admin, p):
    data = {"group": p.first.id, "student": p.pupils[0].id, "start_date": ru(this_year(9, 1)), "end_date": ""}
    assert client.post("/groupmembership/new/", data=data).status_code == 302
    before = state(GroupMembership)
    second = dict(data, group=p.second.id, start_date=ru(this_year(10, 1)))
    refused_page(client.post("/groupmembership/new/", data=second), "ученик может быть только в одной группе деления")
    outsider = dict(data, student=p.others[0].id)
    refused_page(client.post("/groupmembership/new/", data=outsider), "не числится в классе 5А")
    outside = dict(data, student=p.pupils[1].id, start_date=ru(this_year(9, 1) - dt.timedelta(days=1)))
    refused_page(client.post("/groupmembership/new/", data=outside), "внутри учебного года")
    assert state(GroupMembership) == before
    listing = client.get("/groupmembership/").get_data(as_text=True)
    assert "5А, англ., гр. 1" in listing and "Белова Анна" in listing and ru(this_year(9, 1)) in listing


def test_a_journal_is_made_with_its_teachers_in_the_panel(client, admin, p):
    data = {"group": p.second.id, "subject": p.english.id, "kind": "lesson", "teachers": [p.smirnova.id, p.kozlov.id]}
    assert client.post("/journals/new/", data=data).status_code == 302
    journal = Journal.get((Journal.group == p.second.id) & (Journal.subject == p.english.id))
    assert {t.id for t in groups.teachers_of([journal.id])[journal.id]} == {p.smirnova.id, p.kozlov.id}
    listing = client.get("/journals/").get_data(as_text=True)
    assert "Смирнова О." in listing and "урочная деятельность" in listing
    edit = client.get(f"/journals/edit/?id={journal.id}").get_data(as_text=True)
    ticked = {
        re.search(r'value="(\d+)"', box).group(1)
        for box in re.findall(r'<input[^>]*name="teachers"[^>]*>', edit)
        if re.search(r"\bchecked\b", box)
    }
    assert ticked == {str(p.smirnova.id), str(p.kozlov.id)}
    assert client.post(f"/journals/edit/?id={journal.id}", data=dict(data, teachers=[p.kozlov.id])).status_code == 302
    assert [t.id for t in groups.teachers_of([journal.id])[journal.id]] == [p.kozlov.id]
    before = state(Journal, TeachingAssignment)
    refused_page(client.post("/journals/new/", data=data), "уже есть")
    assert state(Journal, TeachingAssignment) == before
    only_kozlov = client.get("/journals/?flt0_4=Козл").get_data(as_text=True)
    assert "5А, англ., гр. 2" in only_kozlov and "5А, англ., гр. 1" not in only_kozlov


def test_the_timetable_shows_group_and_subject_and_refuses_clashes(client, admin, p):
    start, end = ru(this_year(9, 1)), ru(this_year(5, 31))
    data = {
        "journal": p.journal.id,
        "weekday": 1,
        "lesson_number": 2,
        "teacher": p.smirnova.id,
        "valid_from": start,
        "valid_to": end,
    }
    assert client.post("/timetableslot/new/", data=data).status_code == 302
    listing = client.get("/timetableslot/").get_data(as_text=True)
    assert "5А, англ., гр. 1" in listing and "Английский язык" in listing and "понедельник" in listing
    # Filters: 0 year, 1 group, 2 subject, 3 teacher, 4 weekday.
    assert "Английский язык" in client.get("/timetableslot/?flt0_1=англ").get_data(as_text=True)
    assert "Английский язык" not in client.get("/timetableslot/?flt0_2=Матем").get_data(as_text=True)
    assert "Английский язык" in client.get("/timetableslot/?flt0_3=Смирн").get_data(as_text=True)
    whole_a = groups.class_journal(p.a5, p.math, None)
    groups.assign_teacher(None, whole_a, p.kozlov)
    before = state(TimetableSlot)
    clash = dict(data, journal=whole_a.id, teacher=p.kozlov.id)
    refused_page(client.post("/timetableslot/new/", data=clash), "У класса 5А в это время уже есть урок")
    not_theirs = dict(data, journal=p.maths.id, lesson_number=3)
    refused_page(client.post("/timetableslot/new/", data=not_theirs), "не ведёт журнал «5Б · Математика»")
    assert state(TimetableSlot) == before
    # The other English group at the same period, with another teacher: allowed.
    other = groups.create_journal(None, group=p.second, subject=p.english, teachers=[p.kozlov.id])
    assert client.post("/timetableslot/new/", data=dict(data, journal=other.id, teacher=p.kozlov.id)).status_code == 302


def test_teaching_load_is_listed_by_group_and_subject(client, admin, p):
    listing = client.get("/teachingassignment/").get_data(as_text=True)
    assert "5А, англ., гр. 1" in listing and "Английский язык" in listing and "Смирнова Ольга" in listing
    data = {"journal": p.maths.id, "teacher": p.smirnova.id}
    assert client.post("/teachingassignment/new/", data=data).status_code == 302
    refused_page(client.post("/teachingassignment/new/", data=data), "Такая нагрузка уже есть")


def test_the_deputy_splits_a_class_and_moves_a_student(client, login_as, p):
    login_as("deputy", login_name="deputy")
    page = client.get("/groups/split/").get_data(as_text=True)
    assert "Деление класса на группы" in page and "5А" in page and "Распределить учеников" in page
    assert (
        client.post("/groups/split/", data={"class_group": p.b5.id, "split": "информ.", "count": "3"}).status_code
        == 303
    )
    assert [g.name for g in groups.split_groups(p.b5, "информ.")] == [f"5Б, информ., гр. {n}" for n in (1, 2, 3)]
    refused_page(
        client.post("/groups/split/", data={"class_group": p.b5.id, "split": "", "count": "2"}),
        "Укажите, для чего",
        400,
    )

    url = f"/groups/split/?class={p.a5.id}&split=англ.&date={this_year(9, 1).isoformat()}"
    page = client.get(url).get_data(as_text=True)
    assert "Не распределены по группам" in page and page.count('type="radio"') == 4 * 3
    ticks = {f"place-{s.id}": str(p.first.id if n < 2 else p.second.id) for n, s in enumerate(p.pupils)}
    shown = {f"was-{s.id}": "0" for s in p.pupils}
    base = {"class": p.a5.id, "split": "англ.", "day": this_year(9, 1).isoformat()}
    assert client.post("/groups/split/place", data={**base, **ticks, **shown}).status_code == 303
    assert "все ученики класса распределены" in client.get(url).get_data(as_text=True)
    # Move the second pupil from a date: only the changed row counts.
    moved = p.pupils[1]
    shown = {f"was-{s.id}": ticks[f"place-{s.id}"] for s in p.pupils}
    ticks[f"place-{moved.id}"] = str(p.second.id)
    response = client.post("/groups/split/place", data={**base, "day": this_year(11, 10).isoformat(), **ticks, **shown})
    assert response.status_code == 303
    assert memberships_of(moved) == [
        ("5А, англ., гр. 1", this_year(9, 1), this_year(11, 9)),
        ("5А, англ., гр. 2", this_year(11, 10), None),
    ]
    assert GroupMembership.select().count() == 5
    history = client.get(url).get_data(as_text=True)
    assert ru(this_year(11, 9)) in history and ru(this_year(11, 10)) in history
    # A refused save writes nothing and says why.
    before = state(GroupMembership)
    bad = {**base, "day": "2026-02-30", f"place-{moved.id}": str(p.first.id), f"was-{moved.id}": str(p.second.id)}
    refused_page(client.post("/groups/split/place", data=bad), "Укажите, с какого дня", 400)
    stranger = {**base, f"place-{p.others[0].id}": str(p.first.id), f"was-{p.others[0].id}": "0"}
    refused_page(client.post("/groups/split/place", data=stranger), "не числится в классе 5А", 400)
    assert state(GroupMembership) == before


@pytest.mark.parametrize("role", ["head", "teacher"])
def test_only_the_administrator_and_the_deputy_split_classes(client, login_as, p, role):
    login_as(role, login_name=role)
    before = state(StudyGroup, GroupMembership)
    assert client.get("/groups/split/").status_code == 403
    assert (
        client.post("/groups/split/", data={"class_group": p.b5.id, "split": "информ.", "count": "2"}).status_code
        == 403
    )
    place = {
        "class": p.a5.id,
        "split": "англ.",
        "day": this_year(9, 1).isoformat(),
        f"place-{p.pupils[0].id}": str(p.first.id),
    }
    assert client.post("/groups/split/place", data=place).status_code == 403
    assert client.post("/studygroup/new/", data={"kind": "cross", "year": p.year.id, "name": "Хор"}).status_code == 403
    assert state(StudyGroup, GroupMembership) == before


def test_the_deputy_keeps_groups_journals_and_the_timetable(client, login_as, p):
    login_as("deputy", login_name="deputy")
    assert client.post("/studygroup/new/", data={"kind": "cross", "year": p.year.id, "name": "Хор"}).status_code == 302
    data = {"journal": p.maths.id, "teacher": p.smirnova.id}
    assert client.post("/teachingassignment/new/", data=data).status_code == 302


def test_the_split_page_answers_bad_addresses_plainly(client, admin, p):
    assert client.get("/groups/split/?class=999999&split=англ.").status_code == 404
    assert client.get(f"/groups/split/?class={p.a5.id}&split=нет").status_code == 404
    # A control character is refused before the page (400) or finds no split (404): never a 500.
    assert client.get(f"/groups/split/?class={p.a5.id}&split=%00").status_code in (400, 404)
    page = client.get(f"/groups/split/?class={p.a5.id}&split=англ.&date=0001-01-01")
    assert page.status_code == 200 and "не распознана" in page.get_data(as_text=True)
    assert client.post("/groups/split/place", data={"class": "abc", "split": "англ."}).status_code == 404


def test_a_teacher_sees_the_groups_and_journals_they_teach(client, p):
    assert login(client, "smirnova").status_code == 302
    listing = client.get("/journals/").get_data(as_text=True)
    assert "5А, англ., гр. 1" in listing and "5Б · Математика" not in listing and "Математика" not in listing
    assert client.get(f"/journals/details/?id={p.maths.id}").status_code == 403
    assert client.get("/journals/new/").status_code == 403


def grow(p, size: int) -> None:
    """Add `size` groups of 5Б with a member, a journal with a teacher and a slot each."""
    for n in range(size):
        group = groups.create_group(
            None,
            kind="subgroup",
            class_group=p.b5,
            split=f"дел{n}-{StudyGroup.select().count()}",
            name=f"5Б, группа {StudyGroup.select().count()}",
        )
        groups.create_membership(None, group=group.id, student=p.others[0].id, start_date=this_year(9, 1))
        subject = Subject.create(name=f"Предмет {Subject.select().count()}")
        journal = groups.create_journal(None, group=group, subject=subject, teachers=[p.kozlov.id])
        TimetableSlot.create(
            journal=journal,
            weekday=6,
            lesson_number=1 + Journal.select().count() % 10,
            teacher=p.kozlov,
            valid_from=this_year(9, 1),
            valid_to=this_year(9, 1),
        )


@pytest.mark.parametrize(
    "endpoint", ["studygroup", "groupmembership", "journals", "teachingassignment", "timetableslot"]
)
def test_list_queries_do_not_grow_with_rows(client, admin, p, endpoint):
    grow(p, 2)
    few = list_queries(client, f"/{endpoint}/")
    grow(p, 8)
    many = list_queries(client, f"/{endpoint}/")
    assert many == few, (endpoint, few, many)
