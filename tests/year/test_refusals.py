"""Every refusal of the transfer: clear Russian messages, nothing written."""

import datetime as dt

import pytest

from app.clock import app_clock
from app.models import (
    AuditEntry,
    Backup,
    ClassGroup,
    Enrollment,
    Lesson,
    SchoolYear,
    Student,
    StudyGroup,
    YearTransition,
)
from app.services import groups, year_transition
from app.services.errors import AccessDenied, DomainError
from app.services.exports import claim
from app.settings import app_settings
from tests.year.test_transition import _table_counts


@pytest.fixture
def attempt(app, school):
    """Try a transfer; return the refusal's message, checking that nothing was written."""

    def _attempt(plan=None, actor=None, **choices):
        plan = plan or year_transition.propose(name="2027/2028")
        choices.setdefault("confirmed", True)
        # A backup is taken before the transaction; a refusal found inside it keeps the backup.
        before = _table_counts()
        backups_before = before.pop("Backup")
        audit_before = AuditEntry.select().where(AuditEntry.model != "Backup").count()
        before.pop("AuditEntry")
        with pytest.raises(DomainError) as refused:
            year_transition.apply(
                actor or school.admin,
                plan,
                year_transition.Choices(**choices),
                now=app_clock(app).now(),
                settings=app_settings(app),
            )
        after = _table_counts()
        assert after.pop("Backup") - backups_before in (0, 1)
        after.pop("AuditEntry")
        assert after == before
        assert AuditEntry.select().where(AuditEntry.model != "Backup").count() == audit_before
        assert not YearTransition.select().exists()
        return refused.value.message

    return _attempt


def test_the_new_year_may_not_overlap_the_old(attempt):
    plan = year_transition.propose(name="2027/2028")
    plan.start_date = dt.date(2027, 5, 20)
    assert "пересекается с учебным годом 2026/2027" in attempt(plan)


def test_a_target_year_with_content_is_refused(attempt, school):
    target = SchoolYear.create(name="2027/2028", start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 5, 31))
    klass = ClassGroup.create(year=target, grade=6, letter="Г")
    journal = groups.class_journal(klass, school.maths)
    Lesson.create(
        journal=journal,
        date=dt.date(2027, 9, 6),
        number=1,
        planned_teacher=school.maths_teacher,
        teacher=school.maths_teacher,
    )
    assert "уже заведён, и в нём есть уроки" in attempt()


def test_a_next_class_holding_other_students_is_refused(attempt):
    target = SchoolYear.create(name="2027/2028", start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 5, 31))
    klass = ClassGroup.create(year=target, grade=6, letter="А")
    stranger = Student.create(last_name="Новенький", first_name="Пётр")
    Enrollment.create(student=stranger, class_group=klass, start_date=dt.date(2027, 9, 1))
    message = attempt()
    assert "Класс 6А в учебном году 2027/2028 уже есть, и в нём другие ученики (1)" in message
    # The message counts them and names none.
    assert "Новенький" not in message


def test_an_empty_target_year_made_ahead_is_used(app, school, transfer):
    target = SchoolYear.create(name="2027/2028", start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 5, 31))
    ready = ClassGroup.create(year=target, grade=6, letter="А")
    assert transfer().changed
    # Смирнов, Соколова and Репин (nobody was kept to repeat here).
    assert Enrollment.select().where(Enrollment.class_group == ready.id).count() == 3
    assert SchoolYear.get_by_id(target.id).is_current


def test_two_classes_moving_into_one_name_are_refused(attempt, school):
    assert "Классы 5А и 5Б оба переходят в 6А" in attempt(letters={school.classes["5Б"].id: "А"})


def test_a_student_left_without_a_class_is_refused(attempt, school):
    message = attempt(letters={school.classes["5Б"].id: ""})
    assert "Бэшкина Нина Иванович (5Б): после перевода у ученика не будет класса" in message


def test_a_class_not_continued_goes_when_its_students_leave(school, transfer):
    transfer(letters={school.classes["5Б"].id: ""}, students={school.s5.id: "leave"})
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    assert (
        not ClassGroup.select()
        .where((ClassGroup.year == new.id) & (ClassGroup.grade == 6) & (ClassGroup.letter == "Б"))
        .exists()
    )


def test_a_bad_letter_is_refused(attempt, school):
    assert "одна заглавная русская буква" in attempt(letters={school.classes["5Б"].id: "Q"})


def test_a_running_export_is_refused(attempt):
    # A live exporter holds the claim (the exporter's own call).
    assert claim.acquire("worker-1", lease_seconds=300)
    assert "Идёт выгрузка на портал" in attempt()


def test_warnings_must_be_confirmed(attempt):
    message = attempt(confirmed=False)
    assert message.startswith("Перевод не выполнен: подтвердите, что предупреждения прочитаны.")
    assert "4 четверть" in message


def test_only_the_administrator_transfers(app, attempt, school):
    with pytest.raises(AccessDenied):
        year_transition.preview(school.deputy, year_transition.propose(), now=app_clock(app).now())
    assert "администратор" in attempt(actor=school.deputy)


def test_periods_outside_the_year_or_overlapping_are_refused(attempt):
    plan = year_transition.propose(name="2027/2028")
    plan.terms[0].end_date = plan.terms[1].start_date
    assert "пересекаются" in attempt(plan)
    plan = year_transition.propose(name="2027/2028")
    plan.terms[-1].end_date = dt.date(2028, 6, 30)
    assert "должен лежать внутри учебного года 2027/2028" in attempt(plan)


def test_a_bad_year_name_is_refused(attempt):
    assert "два года подряд" in attempt(year_transition.propose(name="2027/2029"))


def test_nothing_is_half_written_when_a_late_write_fails(attempt):
    """A year made ahead already holds a group named like the carried choir: the unique name refuses it late.

    By then the year is current, classes and enrollments are written: the one transaction takes them all back.
    """
    target = SchoolYear.create(name="2027/2028", start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 5, 31))
    StudyGroup.create(year=target, kind="cross", name="Хор школы")
    assert "Группа «Хор школы» в учебном году 2027/2028 уже есть" in attempt()
    assert not SchoolYear.get_by_id(target.id).is_current
    assert Backup.get().reason == "year_transition"
