"""November 2026 of a small school, printed: 5А (30 students, one who left on 20.11) with math and an English split.

The calendar is fixed: year 2026/2027, quarter 1 (closed) 01.09–25.10, quarter 2 05.11–28.12. Math
in 5А has 8 lessons in November (Mon and Thu), one given by a substitute and one cancelled; its
marks, absences and topics are named here so that the tests count them by hand. English is split
into two groups (англ.): group 1 has Алексеев and Борисова, group 2 the rest.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.models import (
    Absence,
    ClassGroup,
    Enrollment,
    FinalMark,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    SchoolYear,
    Student,
    Subject,
    Term,
    WorkType,
)
from app.services import groups

# 30 students of 5А by surname (the order the journal lists them in).
NAMES = [
    ("Алексеев", "Артём"),
    ("Борисова", "Вера"),
    ("Васильев", "Глеб"),
    ("Григорьева", "Дарья"),
    ("Дмитриев", "Егор"),
    ("Ершова", "Жанна"),
    ("Жуков", "Захар"),
    ("Зайцева", "Ирина"),
    ("Иванов", "Кирилл"),
    ("Ковалёва", "Лидия"),
    ("Лебедев", "Максим"),
    ("Медведева", "Нина"),
    ("Николаев", "Олег"),
    ("Орлова", "Полина"),
    ("Павлов", "Роман"),
    ("Романова", "София"),
    ("Соколов", "Тимур"),
    ("Тарасова", "Ульяна"),
    ("Уваров", "Фёдор"),
    ("Фролова", "Христина"),
    ("Харитонов", "Цезарь"),
    ("Цветкова", "Чеслава"),
    ("Чернов", "Шамиль"),
    ("Шарова", "Эвелина"),
    ("Щукин", "Юлиан"),
    ("Эдуардова", "Яна"),
    ("Юдин", "Аркадий"),
    ("Яковлева", "Белла"),
    ("Ярцев", "Всеволод"),
    ("Ястребова", "Галина"),
]
# Math lessons of November: Mondays and Thursdays from 05.11 (quarter 2).
MATH_DAYS = [dt.date(2026, 11, d) for d in (5, 9, 12, 16, 19, 23, 26, 30)]
LEFT_ON = dt.date(2026, 11, 20)


@pytest.fixture
def school(app, make_staff):
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    q1 = Term.create(
        year=year, kind="quarter", number=1, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 25), closed=True
    )
    q2 = Term.create(
        year=year, kind="quarter", number=2, start_date=dt.date(2026, 11, 5), end_date=dt.date(2026, 12, 28)
    )
    settings = SchoolSettings.load()
    settings.name = "ГБОУ школа № 777 Невского района"
    settings.save()

    teacher = make_staff("math", roles=["teacher"], last_name="Смирнова", first_name="Анна", middle_name="Игоревна")
    substitute = make_staff("sub", roles=["teacher"], last_name="Заменина", first_name="Ольга", middle_name="Петровна")
    english = make_staff("eng", roles=["teacher"], last_name="Кузнецов", first_name="Олег", middle_name=None)
    stranger = make_staff("stranger", roles=["teacher"], last_name="Чужая", first_name="Марина", middle_name=None)
    leader = make_staff("leader", roles=["teacher"], last_name="Волкова", first_name="Елена", middle_name="Сергеевна")
    deputy = make_staff("deputy", roles=["deputy"], last_name="Орлова", first_name="Наталья", middle_name="Ивановна")
    head = make_staff("head", roles=["head"], last_name="Соколов", first_name="Игорь", middle_name=None)
    admin = make_staff("admin", roles=["admin"], last_name="Лебедев", first_name="Павел", middle_name=None)

    math = Subject.create(name="Математика")
    eng = Subject.create(name="Английский язык")
    history = Subject.create(name="История")
    c5a = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=leader)
    c6b = ClassGroup.create(year=year, grade=6, letter="Б")

    students = []
    for last, first in NAMES:
        student = Student.create(last_name=last, first_name=first)
        end = LEFT_ON if last == "Ястребова" else None
        Enrollment.create(student=student, class_group=c5a, start_date=year.start_date, end_date=end)
        students.append(student)
    other_pupil = Student.create(last_name="Шестиклассник", first_name="Пётр")
    Enrollment.create(student=other_pupil, class_group=c6b, start_date=year.start_date)

    math_journal = groups.class_journal(c5a, math)
    groups.assign_teacher(None, math_journal, teacher)
    history_journal = groups.class_journal(c6b, history)
    groups.assign_teacher(None, history_journal, stranger)
    eng1, eng2 = groups.create_split(None, c5a, "англ.", 2)
    for student in students:
        target = eng1 if student.last_name in ("Алексеев", "Борисова") else eng2
        groups.create_membership(None, group=target.id, student=student.id, start_date=year.start_date)
    eng1_journal = Journal.create(year=year, group=eng1, subject=eng)
    groups.assign_teacher(None, eng1_journal, english)

    answer, _ = WorkType.get_or_create(name="Ответ на уроке", defaults={"default_weight": 1})
    test, _ = WorkType.get_or_create(name="Контрольная работа", defaults={"default_weight": 3})

    lessons = []
    for number, day in enumerate(MATH_DAYS, 1):
        values = {"topic": f"Тема {number}: дроби", "homework": f"№ {100 + number}", "held": True}
        if day == dt.date(2026, 11, 12):
            values["teacher"] = substitute
        if day == dt.date(2026, 11, 19):
            values = {"cancelled": True, "cancel_reason": "карантин"}
        lesson = Lesson.create(
            journal=math_journal,
            term=q2,
            date=day,
            number=2,
            planned_teacher=teacher,
            teacher=values.pop("teacher", teacher),
            **values,
        )
        lessons.append(lesson)
    first, second = students[0], students[1]
    Mark.create(lesson=lessons[0], student=first, value="5", work_type=answer, weight=Decimal(1))
    Mark.create(lesson=lessons[0], student=first, value="4", work_type=answer, weight=Decimal(1))
    Mark.create(lesson=lessons[1], student=second, value="3", work_type=test, weight=Decimal(3))
    Absence.create(lesson=lessons[1], student=first, reason="illness")
    Absence.create(lesson=lessons[2], student=first, reason="unexcused")
    Absence.create(lesson=lessons[3], student=second, reason="illness")
    Absence.create(lesson=lessons[3], student=students[2], reason="late")
    FinalMark.create(year=year, student=first, subject=math, kind="term", term=q1, journal=math_journal, value="4")
    Lesson.create(
        journal=eng1_journal,
        term=q2,
        date=dt.date(2026, 11, 10),
        number=3,
        planned_teacher=english,
        teacher=english,
        topic="Present Simple",
        held=True,
    )
    return SimpleNamespace(
        year=year,
        q1=q1,
        q2=q2,
        settings=settings,
        teacher=teacher,
        substitute=substitute,
        english=english,
        stranger=stranger,
        leader=leader,
        deputy=deputy,
        head=head,
        admin=admin,
        math=math,
        c5a=c5a,
        c6b=c6b,
        students=students,
        math_journal=math_journal,
        history_journal=history_journal,
        eng1=eng1,
        eng1_journal=eng1_journal,
        lessons=lessons,
        answer=answer,
        test=test,
    )


@pytest.fixture
def work(app, redis_conn, monkeypatch):
    """Run every queued job with a real RQ worker in burst mode, with the environment a worker starts from."""
    from app.queue import QUEUES
    from tests.exports.helpers import BurstWorker

    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])
    monkeypatch.setenv("EJOURNAL_INSTANCE", str(app.config["INSTANCE_PATH"]))
    monkeypatch.setenv("SCHOOL_TIMEZONE", app.config["SCHOOL_TIMEZONE"])

    def _work():
        BurstWorker(QUEUES, connection=redis_conn).work(burst=True)

    return _work
