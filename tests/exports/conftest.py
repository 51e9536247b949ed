"""A small school with one of every exported record, the reference receiver, and export settings helpers."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.models import (
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    FinalMark,
    Guardian,
    LessonPlanRow,
    Mark,
    PlanRow,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    Subject,
    Term,
    ThematicPlan,
    WorkType,
)
from app.queue import QUEUES
from app.services import groups
from app.settings import app_settings
from tests.exports.helpers import (
    TOKEN,
    BurstWorker,
    attach_file,
    make_lesson,
    run_scheduled_now,
    set_school,
    use_directory,
    use_portal,
)
from tests.exports.receiver import ReferenceReceiver


@pytest.fixture
def school(app):
    """A current school year with classes, groups, staff, students, guardians, applications and filled journals.

    5А is split for English into two subgroups (one student in each) and has the subgroup 1's
    journal; a cross-class choir of a 5А and a 6Б student has an extracurricular journal; 5А's
    mathematics has two final marks of the first quarter; its first lesson has a homework file (its
    bytes in the upload folder). The English lesson has a mark of weight 1.25 with a comment and an
    absence whose reason is not known yet; 6Б's Russian has a lesson cancelled for quarantine. A
    past year beside it holds a class, its journal, a lesson, a mark and a year mark that no
    package of this year may carry.
    """
    set_school()
    past = SchoolYear.create(name="2025/2026", start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 5, 31))
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    term = Term.create(year=year, number=1, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 25))
    teacher = Staff.create(
        login="ivanova", last_name="Иванова", first_name="Мария", middle_name="Петровна", portal_uid="1234567"
    )
    leader = Staff.create(login="petrov", last_name="Петров", first_name="Олег", portal_uid="7654321")
    clerk = Staff.create(login="clerk", last_name="Сидорова", first_name="Анна")
    math = Subject.create(name="Математика", short_name="Мат.")
    russian = Subject.create(name="Русский язык")
    english = Subject.create(name="Английский язык", short_name="Англ.")
    choir = Subject.create(name="Хоровое пение")
    group = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=leader)
    other = ClassGroup.create(year=year, grade=6, letter="Б")
    old_group = ClassGroup.create(year=past, grade=4, letter="А", class_teacher=leader)
    math_a = groups.class_journal(group, math)
    russian_b = groups.class_journal(other, russian)
    old_math = groups.class_journal(old_group, math)
    for journal, person in ((math_a, teacher), (russian_b, leader), (old_math, teacher)):
        groups.assign_teacher(None, journal, person)
    students = [
        Student.create(last_name=last, first_name=first, birth_date=dt.date(2015, 3, n + 1))
        for n, (last, first) in enumerate((("Алексеев", "Андрей"), ("Борисова", "Вера"), ("Васильев", "Глеб")))
    ]
    for student in students[:2]:
        Enrollment.create(student=student, class_group=group, start_date=dt.date(2026, 9, 1))
    Enrollment.create(student=students[2], class_group=other, start_date=dt.date(2026, 9, 1))
    Enrollment.create(
        student=students[0], class_group=old_group, start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 5, 31)
    )
    english_1, english_2 = groups.create_split(None, group, "англ.", 2)
    groups.create_membership(None, group=english_1.id, student=students[0].id, start_date=dt.date(2026, 9, 1))
    groups.create_membership(None, group=english_2.id, student=students[1].id, start_date=dt.date(2026, 9, 1))
    english_journal = groups.create_journal(None, group=english_1.id, subject=english.id)
    groups.assign_teacher(None, english_journal, teacher)
    choir_group = groups.create_group(None, kind="cross", year=year.id, name="Хор 5–6 классов")
    for student in (students[0], students[2]):
        groups.create_membership(None, group=choir_group.id, student=student.id, start_date=dt.date(2026, 9, 1))
    choir_journal = groups.create_journal(None, group=choir_group.id, subject=choir.id, kind="extracurricular")
    groups.assign_teacher(None, choir_journal, leader)
    mother = Guardian.create(last_name="Алексеева", first_name="Ирина", phone="+7 900 000-00-00")
    father = Guardian.create(last_name="Борисов", first_name="Павел")
    StudentGuardian.create(student=students[0], guardian=mother, relation="mother")
    StudentGuardian.create(student=students[1], guardian=father, relation="father")
    granted = DiaryApplication.create(
        portal_number="A-1",
        received_by=clerk,
        student=students[0],
        guardian=mother,
        student_last_name="Алексеев",
        student_first_name="Андрей",
        guardian_last_name="Алексеева",
        guardian_first_name="Ирина",
        relation="mother",
        status="granted",
        submitted_on=dt.date(2026, 9, 3),
    )
    waiting = DiaryApplication.create(
        received_by=clerk,
        student=students[1],
        guardian=father,
        student_last_name="Борисова",
        student_first_name="Вера",
        guardian_last_name="Борисов",
        guardian_first_name="Павел",
        relation="father",
        submitted_on=dt.date(2026, 9, 4),
    )
    answer = WorkType.create(name="Ответ на уроке")
    test = WorkType.create(name="Контрольная работа", default_weight=2)
    lesson = make_lesson(
        math_a,
        teacher,
        dt.date(2026, 9, 2),
        1,
        term=term,
        topic="Натуральные числа",
        homework="№ 12, 14",
        held=True,
    )
    substituted = make_lesson(math_a, teacher, dt.date(2026, 9, 3), 2, term=term)
    substituted.teacher = leader
    substituted.replacement_subject = russian
    substituted.held = True
    substituted.save()
    make_lesson(russian_b, leader, dt.date(2026, 9, 2), 1, term=term)
    english_lesson = make_lesson(english_journal, teacher, dt.date(2026, 9, 2), 2, term=term, held=True)
    choir_lesson = make_lesson(choir_journal, leader, dt.date(2026, 9, 2), 7, term=term, held=True)
    old_lesson = make_lesson(old_math, teacher, dt.date(2026, 3, 2), 1, held=True)
    Mark.create(lesson=lesson, student=students[0], value="5", work_type=answer)
    Mark.create(lesson=lesson, student=students[1], value="4", work_type=test, weight=2)
    Mark.create(lesson=old_lesson, student=students[0], value="3", work_type=answer)
    Mark.create(
        lesson=english_lesson,
        student=students[0],
        value="5",
        work_type=answer,
        weight=Decimal("1.25"),
        comment="Отличный пересказ текста",
    )
    Mark.create(lesson=choir_lesson, student=students[2], value="зч", work_type=answer)
    Absence.create(lesson=lesson, student=students[1], reason="illness")
    Absence.create(lesson=choir_lesson, student=students[0], reason="excused")
    Absence.create(lesson=english_lesson, student=students[1], reason="unknown")
    cancelled = make_lesson(
        russian_b, leader, dt.date(2026, 9, 3), 1, term=term, cancelled=True, cancel_reason="карантин"
    )
    final = FinalMark.create(
        year=year, student=students[0], subject=math, kind="term", term=term, journal=math_a, value="5"
    )
    FinalMark.create(year=year, student=students[1], subject=math, kind="term", term=term, journal=math_a, value="н/а")
    past_final = FinalMark.create(
        year=past, student=students[0], subject=math, kind="year", journal=old_math, value="3"
    )
    # 5А's mathematics has a thematic plan of two rows, the first given by its first lesson; last year's
    # journal has a plan too, which is last year's business.
    plan = ThematicPlan.create(journal=math_a, status="approved")
    first_row = PlanRow.create(plan=plan, position=1, number="1", section="Числа", topic="Натуральные числа", hours=1)
    PlanRow.create(plan=plan, position=2, number="2", topic="Сложение", hours=2, planned_date=dt.date(2026, 9, 10))
    LessonPlanRow.create(lesson=lesson, plan_row=first_row)
    old_plan = ThematicPlan.create(journal=old_math)
    PlanRow.create(plan=old_plan, position=1, topic="Повторение", hours=1)
    homework = attach_file(
        lesson, "задачи.pdf", b"%PDF-1.4\n" + "Задачи № 12, 14\n".encode() * 100, app.config["INSTANCE_PATH"]
    )
    return SimpleNamespace(
        year=year,
        past=past,
        term=term,
        teacher=teacher,
        leader=leader,
        clerk=clerk,
        math=math,
        russian=russian,
        english=english,
        group=group,
        other=other,
        old_group=old_group,
        math_a=math_a,
        russian_b=russian_b,
        old_math=old_math,
        english_1=english_1,
        english_2=english_2,
        english_journal=english_journal,
        choir_group=choir_group,
        choir_journal=choir_journal,
        students=students,
        mother=mother,
        father=father,
        granted=granted,
        waiting=waiting,
        answer=answer,
        test=test,
        lesson=lesson,
        substituted=substituted,
        english_lesson=english_lesson,
        choir_lesson=choir_lesson,
        old_lesson=old_lesson,
        cancelled=cancelled,
        final=final,
        past_final=past_final,
        homework=homework,
    )


@pytest.fixture
def receiver():
    """The reference receiver, listening on a free port of 127.0.0.1."""
    server = ReferenceReceiver(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def outbox(app, tmp_path):
    """Directory delivery into tmp_path/outbox."""
    path = tmp_path / "outbox"
    use_directory(path)
    return path


@pytest.fixture
def portal(app, receiver):
    """HTTP delivery to the reference receiver."""
    use_portal(receiver.url)
    return receiver


@pytest.fixture
def instance_path(app):
    return app.config["INSTANCE_PATH"]


@pytest.fixture
def settings(app):
    """The settings the factory built (the school's key, folder, Redis, clock), as views pass them."""
    return app_settings(app)


@pytest.fixture
def worker_env(app, monkeypatch):
    """The environment a worker of this test's school starts its jobs with (as the Procfile gives it)."""
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])
    monkeypatch.setenv("EJOURNAL_INSTANCE", str(app.config["INSTANCE_PATH"]))
    monkeypatch.setenv("SCHOOL_TIMEZONE", app.config["SCHOOL_TIMEZONE"])


@pytest.fixture
def work(redis_conn, worker_env):
    """Run every queued job with a real RQ worker (in this process), until the queues are empty.

    Jobs scheduled for later (a delivery's retry after its back-off) are run as soon as the queues
    are empty, as if their time had come; `work(fast_forward=False)` leaves them waiting.
    """

    def _work(fast_forward: bool = True):
        for _ in range(50):
            BurstWorker(QUEUES, connection=redis_conn).work(burst=True)
            if not fast_forward or not run_scheduled_now(QUEUES, redis_conn):
                return
        raise AssertionError("jobs keep scheduling jobs")

    return _work
