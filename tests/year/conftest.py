"""A small school at the end of 2026/2027, ready to be transferred to 2027/2028."""

import datetime as dt
from types import SimpleNamespace

import pytest

from app.clock import app_clock
from app.models import (
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Holiday,
    Lesson,
    Mark,
    SchoolYear,
    Student,
    StudyGroup,
    Subject,
    Term,
    TimetableSlot,
    WorkType,
)
from app.services import groups, year_transition
from app.settings import app_settings

OLD_START, OLD_END = dt.date(2026, 9, 1), dt.date(2027, 5, 31)


def _student(last, first):
    return Student.create(last_name=last, first_name=first, middle_name="Иванович")


@pytest.fixture
def school(app, make_staff):
    """2026/2027, current: 1А, 1Б, 5А (split for English), 5Б, 9А, 11А, a cross-class choir; lessons, marks, finals.

    In 5А Шапкин left in January (not carried) and Репин will be kept to repeat; in 9А Уходов
    leaves after the 9th grade; 11А graduates. 5А's maths and English have a teacher and a slot.
    """
    year = SchoolYear.create(name="2026/2027", start_date=OLD_START, end_date=OLD_END, is_current=True)
    quarters = [
        Term.create(year=year, kind="quarter", number=n, start_date=s, end_date=e, closed=n < 4)
        for n, s, e in (
            (1, dt.date(2026, 9, 1), dt.date(2026, 10, 25)),
            (2, dt.date(2026, 11, 5), dt.date(2026, 12, 28)),
            (3, dt.date(2027, 1, 12), dt.date(2027, 3, 22)),
            (4, dt.date(2027, 4, 1), dt.date(2027, 5, 31)),
        )
    ]
    Holiday.create(year=year, name="Осенние каникулы", start_date=dt.date(2026, 10, 26), end_date=dt.date(2026, 11, 4))
    admin = make_staff("admin", roles=["admin"], last_name="Админова")
    lead_5a = make_staff("lead5a", roles=["teacher"], last_name="Классова")
    maths_teacher = make_staff("maths", roles=["teacher"], last_name="Числова")
    english_teacher = make_staff("english", roles=["teacher"], last_name="Инглишева")
    lead_11a = make_staff("lead11a", roles=["teacher"], last_name="Выпускова")
    deputy = make_staff("zavuch", roles=["deputy"], last_name="Завучева")
    classes = {}
    for grade, letter, teacher in (
        (1, "А", None),
        (1, "Б", None),
        (5, "А", lead_5a),
        (5, "Б", None),
        (9, "А", None),
        (11, "А", lead_11a),
    ):
        row = ClassGroup.create(year=year, grade=grade, letter=letter, class_teacher=teacher)
        groups.whole_class_group(row)
        classes[f"{grade}{letter}"] = row
    people = {}
    for name, (last, first, klass) in {
        "a1": ("Азбукин", "Петя", "1А"),
        "b1": ("Букварёва", "Оля", "1Б"),
        "s1": ("Смирнов", "Антон", "5А"),
        "s2": ("Соколова", "Вера", "5А"),
        "rep": ("Репин", "Илья", "5А"),
        "left": ("Шапкин", "Глеб", "5А"),
        "s5": ("Бэшкина", "Нина", "5Б"),
        "s6": ("Девятов", "Кирилл", "9А"),
        "out": ("Уходов", "Павел", "9А"),
        "g1": ("Выпускникова", "Анна", "11А"),
        "g2": ("Финалов", "Денис", "11А"),
    }.items():
        student = _student(last, first)
        end = dt.date(2027, 1, 15) if name == "left" else None
        Enrollment.create(student=student, class_group=classes[klass], start_date=OLD_START, end_date=end)
        people[name] = student
    maths = Subject.create(name="Математика")
    english = Subject.create(name="Английский язык")
    music = Subject.create(name="Хор")
    maths_5a = groups.class_journal(classes["5А"], maths)
    groups.assign_teacher(None, maths_5a, maths_teacher)
    split = groups.create_split(None, classes["5А"], "англ.", 2)
    for group, members in zip(split, (("s1", "left"), ("s2", "rep")), strict=True):
        for member in members:
            GroupMembership.create(group=group, student=people[member], start_date=OLD_START)
    english_1 = groups.create_journal(None, group=split[0].id, subject=english.id, year=year.id)
    groups.assign_teacher(None, english_1, english_teacher)
    choir = StudyGroup.create(year=year, kind="cross", name="Хор школы", grade=None)
    for member in ("s1", "g1"):
        GroupMembership.create(group=choir, student=people[member], start_date=OLD_START)
    choir_journal = groups.create_journal(None, group=choir.id, subject=music.id, year=year.id, kind="extracurricular")
    groups.assign_teacher(None, choir_journal, english_teacher)
    for journal, weekday, teacher in ((maths_5a, 1, maths_teacher), (english_1, 2, english_teacher)):
        TimetableSlot.create(
            journal=journal, weekday=weekday, lesson_number=1, teacher=teacher, valid_from=OLD_START, valid_to=OLD_END
        )
    lesson = Lesson.create(
        journal=maths_5a,
        term=quarters[3],
        date=dt.date(2027, 5, 17),
        number=1,
        planned_teacher=maths_teacher,
        teacher=maths_teacher,
        topic="Дроби",
        held=True,
    )
    mark = Mark.create(lesson=lesson, student=people["s1"], value="5", work_type=WorkType.create(name="Ответ"))
    finals = [
        FinalMark.create(year=year, student=people[s], subject=maths, kind="year", journal=maths_5a, value="4")
        for s in ("s1", "s2", "rep")
    ]
    return SimpleNamespace(
        year=year,
        quarters=quarters,
        admin=admin,
        deputy=deputy,
        lead_5a=lead_5a,
        lead_11a=lead_11a,
        maths_teacher=maths_teacher,
        english_teacher=english_teacher,
        classes=classes,
        maths_5a=maths_5a,
        english_1=english_1,
        choir=choir,
        lesson=lesson,
        mark=mark,
        finals=finals,
        maths=maths,
        **people,
    )


@pytest.fixture
def transfer(app, school):
    """Transfer the school to 2027/2028 with the proposal's dates; keyword arguments are Choices' fields."""

    def _transfer(students=None, **choices):
        plan = year_transition.propose(name="2027/2028")
        wanted = year_transition.Choices(students=students or {}, confirmed=True, **choices)
        return year_transition.apply(school.admin, plan, wanted, now=app_clock(app).now(), settings=app_settings(app))

    return _transfer


def new_class(name: str) -> ClassGroup:
    """A class of 2027/2028 by name, such as «6А»."""
    year = SchoolYear.get(SchoolYear.name == "2027/2028")
    return ClassGroup.get(
        (ClassGroup.year == year.id) & (ClassGroup.grade == int(name[:-1])) & (ClassGroup.letter == name[-1])
    )


def roll(name: str) -> set[str]:
    """The last names of a 2027/2028 class's students."""
    rows = Student.select(Student.last_name).join(Enrollment).where(Enrollment.class_group == new_class(name).id)
    return {row.last_name for row in rows}


# The export tests' reference receiver and real RQ worker, for the full export after a transfer.
from tests.exports.conftest import portal, receiver, work, worker_env  # noqa: E402, F401
