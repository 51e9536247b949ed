"""Personal data by school year: last year's classes open no one; a teacher's own past lessons stay theirs."""

import datetime as dt
from types import SimpleNamespace

import pytest

from app.models import (
    ClassGroup,
    DiaryApplication,
    Enrollment,
    Guardian,
    Lesson,
    Mark,
    SchoolYear,
    Student,
    StudentGuardian,
    Subject,
    WorkType,
)
from app.services import access, groups
from tests.conftest import login


@pytest.fixture
def years(app, make_staff):
    """5А of 2025/26 became 6А of 2026/27 (the current year) with other teachers.

    `former` taught maths in 5А and `former_lead` led 5А; `teacher` teaches maths in 6А and
    `lead` leads 6А. Student Кравцова and her mother Кравцова were in 5А and are in 6А now.
    """
    past = SchoolYear.create(name="2025/2026", start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 5, 31))
    now = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    maths = Subject.create(name="Математика")
    people = {
        login_name: make_staff(login_name, roles=["teacher"], last_name=last_name)
        for login_name, last_name in (
            ("former", "Прежнева"),
            ("former_lead", "Бывалова"),
            ("teacher", "Нынешнева"),
            ("lead", "Классова"),
        )
    }
    class_5a = ClassGroup.create(year=past, grade=5, letter="А", class_teacher=people["former_lead"])
    class_6a = ClassGroup.create(year=now, grade=6, letter="А", class_teacher=people["lead"])
    past_maths = groups.class_journal(class_5a, maths)
    groups.assign_teacher(None, past_maths, people["former"])
    groups.assign_teacher(None, groups.class_journal(class_6a, maths), people["teacher"])
    student = Student.create(last_name="Кравцова", first_name="Дарья", middle_name="Олеговна")
    mother = Guardian.create(last_name="Кравцова", first_name="Инна", middle_name="Юрьевна")
    link = StudentGuardian.create(student=student, guardian=mother, relation="mother")
    Enrollment.create(student=student, class_group=class_5a, start_date=past.start_date, end_date=past.end_date)
    Enrollment.create(student=student, class_group=class_6a, start_date=now.start_date)
    application = DiaryApplication.create(
        submitted_on=dt.date(2026, 9, 10),
        received_by=people["lead"],
        student=student,
        guardian=mother,
        student_last_name="Кравцова",
        student_first_name="Дарья",
        guardian_last_name="Кравцова",
        guardian_first_name="Инна",
        relation="mother",
    )
    past_lesson = Lesson.create(
        journal=past_maths,
        date=dt.date(2026, 3, 2),
        number=1,
        planned_teacher=people["former"],
        teacher=people["former"],
    )
    mark = Mark.create(lesson=past_lesson, student=student, value="5", work_type=WorkType.create(name="Ответ"))
    return SimpleNamespace(
        **people,
        student=student,
        mother=mother,
        link=link,
        application=application,
        past_lesson=past_lesson,
        mark=mark,
        class_5a=class_5a,
    )


DETAILS = {
    "student": lambda y: f"/student/details/?id={y.student.id}",
    "guardian": lambda y: f"/guardian/details/?id={y.mother.id}",
    "studentguardian": lambda y: f"/studentguardian/details/?id={y.link.id}",
}


@pytest.mark.parametrize("who", ["former", "former_lead"])
@pytest.mark.parametrize("page", sorted(DETAILS))
def test_last_years_teachers_may_not_open_the_student_or_her_parents(client, years, who, page):
    assert login(client, who).status_code == 302
    assert client.get(DETAILS[page](years)).status_code == 403


@pytest.mark.parametrize("who", ["teacher", "lead"])
@pytest.mark.parametrize("page", sorted(DETAILS))
def test_this_years_teachers_still_open_them(client, years, who, page):
    assert login(client, who).status_code == 302
    response = client.get(DETAILS[page](years))
    assert response.status_code == 200
    assert "Кравцова" in response.get_data(as_text=True)


@pytest.mark.parametrize(("who", "listed"), [("former", False), ("former_lead", False), ("teacher", True)])
@pytest.mark.parametrize("url", ["/student/", "/guardian/", "/studentguardian/", "/enrollment/"])
def test_lists_follow_the_current_year(client, years, who, listed, url):
    assert login(client, who).status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    assert ("Кравцова" in response.get_data(as_text=True)) is listed


@pytest.mark.parametrize(
    ("who", "visible"), [("former", False), ("former_lead", False), ("teacher", True), ("lead", True)]
)
def test_scope_of_every_personal_model_is_this_year(years, who, visible):
    staff = getattr(years, who)
    for row in (years.student, years.mother, years.link, years.application):
        assert access.can_see(staff, row) is visible, (who, type(row).__name__)
    # The teachers of 6А see her enrollment in 6А only, not last year's in 5А.
    enrollments = access.scope(Enrollment.select(), staff, Enrollment)
    expected = {"6А"} if visible else set()
    assert {f"{e.class_group.grade}{e.class_group.letter}" for e in enrollments} == expected


def test_own_past_lessons_and_their_marks_stay_with_the_teacher(years):
    assert access.can_see(years.former, years.past_lesson)
    assert access.can_see(years.former, years.mark)
    assert access.can_see(years.former, years.class_5a)
    # Last year's class teacher no longer reaches the other subjects of a class that is not theirs now.
    assert not access.can_see(years.former_lead, years.past_lesson)
    assert not access.can_see(years.former_lead, years.mark)
    # This year's teachers do not inherit last year's lessons.
    assert not access.can_see(years.teacher, years.past_lesson)
    assert not access.can_see(years.lead, years.past_lesson)


def test_without_a_current_year_a_teacher_sees_no_one(years):
    SchoolYear.update(is_current=False).execute()
    for who in ("teacher", "lead"):
        assert not access.can_see(getattr(years, who), years.student)
        assert not access.can_see(getattr(years, who), years.mother)


def test_the_deputy_sees_every_year(make_staff, years):
    deputy = make_staff("zavuch", roles=["deputy"])
    assert access.can_see(deputy, years.student)
    assert access.scope(Enrollment.select(), deputy, Enrollment).count() == 2
