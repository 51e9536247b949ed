"""A small school for the journal tests: two classes, three subjects, teachers, a deputy, lessons around today."""

import datetime as dt
from types import SimpleNamespace

import pytest

from app.clock import app_clock
from app.db import db
from app.models import (
    ClassGroup,
    Enrollment,
    Journal,
    Lesson,
    SchoolSettings,
    SchoolYear,
    Student,
    StudyGroup,
    Subject,
    Term,
    WorkType,
)
from app.services import groups


def journal_of(class_group, subject):
    """Return the whole-class journal of a class and subject, making it when missing."""
    return groups.class_journal(class_group, subject)


def assign(teacher, class_group, subject):
    """Make the teacher a teacher of the class's journal of the subject (through the service)."""
    return groups.assign_teacher(None, journal_of(class_group, subject), teacher)


def in_class(class_group):
    """Match the lessons of a class's journals (its whole class's and its subgroups')."""
    journals = Journal.select(Journal.id).join(StudyGroup).where(StudyGroup.class_group == class_group.id)
    return Lesson.journal.in_(journals)


def make_lesson(class_group, subject, teacher, day, number=1, term=None, *, journal=None, **values) -> Lesson:
    """Create a planned lesson the way planning does (through save, so it takes a change number).

    The lesson belongs to `journal`, else to the whole-class journal of the class and subject.
    """
    lesson = Lesson(
        journal=journal or journal_of(class_group, subject),
        term=term,
        date=day,
        number=number,
        planned_teacher=teacher,
        teacher=teacher,
        **values,
    )
    lesson.save(force_insert=True)
    return lesson


class QueryCounter:
    """Count the SQL statements the database runs while active."""

    def __init__(self):
        self.count = 0
        self.statements = []

    def __enter__(self):
        database = db.obj
        self._original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            self.statements.append(sql)
            return self._original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self._original
        return False


@pytest.fixture
def school(app, make_staff):
    """Build the school; every person logs in with the default password."""
    clock = app_clock(app)
    today = clock.today()
    year = SchoolYear.create(
        name="2025/2026",
        start_date=today - dt.timedelta(days=150),
        end_date=today + dt.timedelta(days=150),
        is_current=True,
    )
    past_term = Term.create(year=year, number=1, start_date=year.start_date, end_date=today - dt.timedelta(days=41))
    term = Term.create(
        year=year, number=2, start_date=today - dt.timedelta(days=40), end_date=today + dt.timedelta(days=40)
    )

    teacher = make_staff("teacher", roles=["teacher"], last_name="Смирнова", first_name="Анна", middle_name="Игоревна")
    other = make_staff("other", roles=["teacher"], last_name="Кузнецов", first_name="Олег", middle_name="Петрович")
    leader = make_staff("leader", roles=["teacher"], last_name="Волкова", first_name="Елена", middle_name="Сергеевна")
    deputy = make_staff("deputy", roles=["deputy"], last_name="Орлова", first_name="Наталья", middle_name="Ивановна")
    head = make_staff("head", roles=["head"], last_name="Соколов", first_name="Игорь", middle_name="Андреевич")
    admin = make_staff("admin", roles=["admin"], last_name="Лебедев", first_name="Павел", middle_name=None)

    math = Subject.create(name="Математика")
    russian = Subject.create(name="Русский язык")
    history = Subject.create(name="История")
    c5a = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=leader)
    c6b = ClassGroup.create(year=year, grade=6, letter="Б")
    for t, c, s in ((teacher, c5a, math), (other, c5a, russian), (other, c6b, math), (leader, c6b, history)):
        assign(t, c, s)

    names = [
        ("Алексеев", "Артём"),
        ("Борисова", "Вера"),
        ("Григорьев", "Денис"),
        ("Егорова", "Жанна"),
        ("Зайцев", "Илья"),
    ]
    students = []
    for last, first in names:
        student = Student.create(last_name=last, first_name=first)
        Enrollment.create(student=student, class_group=c5a, start_date=year.start_date)
        students.append(student)
    leaver = Student.create(last_name="Ушедший", first_name="Юрий")
    Enrollment.create(
        student=leaver, class_group=c5a, start_date=year.start_date, end_date=today - dt.timedelta(days=10)
    )
    newcomer = Student.create(last_name="Новенькая", first_name="Яна")
    Enrollment.create(student=newcomer, class_group=c5a, start_date=today - dt.timedelta(days=5))
    stranger = Student.create(last_name="Чужой", first_name="Пётр")
    Enrollment.create(student=stranger, class_group=c6b, start_date=year.start_date)

    answer, _ = WorkType.get_or_create(name="Ответ на уроке", defaults={"default_weight": 1})
    test, _ = WorkType.get_or_create(name="Контрольная работа", defaults={"default_weight": 3})
    retired, _ = WorkType.get_or_create(name="Устаревший вид", defaults={"default_weight": 1, "active": False})
    settings = SchoolSettings.load()
    settings.mark_edit_days = 7
    settings.save()

    lesson = make_lesson(c5a, math, teacher, today, 2, term)
    earlier = make_lesson(c5a, math, teacher, today - dt.timedelta(days=20), 2, term)
    future = make_lesson(c5a, math, teacher, today + dt.timedelta(days=3), 2, term)
    closed = make_lesson(c5a, math, teacher, past_term.start_date + dt.timedelta(days=3), 2, past_term)
    russian_lesson = make_lesson(c5a, russian, other, today, 3, term)
    other_lesson = make_lesson(c6b, math, other, today, 1, term)
    return SimpleNamespace(
        clock=clock,
        today=today,
        year=year,
        term=term,
        past_term=past_term,
        teacher=teacher,
        other=other,
        leader=leader,
        deputy=deputy,
        head=head,
        admin=admin,
        math=math,
        russian=russian,
        history=history,
        c5a=c5a,
        c6b=c6b,
        students=students,
        leaver=leaver,
        newcomer=newcomer,
        stranger=stranger,
        answer=answer,
        test=test,
        retired=retired,
        settings=settings,
        lesson=lesson,
        earlier=earlier,
        future=future,
        closed=closed,
        russian_lesson=russian_lesson,
        other_lesson=other_lesson,
    )
