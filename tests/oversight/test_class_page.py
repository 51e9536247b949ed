"""The class page: the period's sheet of students × subjects, attendance, the weak list and a student's card."""

import datetime as dt

import pytest
import time_machine

from app.models import (
    DiaryApplication,
    FinalMark,
    Guardian,
    StudentGuardian,
)
from app.services import class_page
from app.services.errors import AccessDenied, NotFound
from tests.journal.conftest import QueryCounter
from tests.oversight.conftest import d

NOW = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def led(month):
    month.c5a.class_teacher = month.english2
    month.c5a.save()
    return month


def test_the_sheet_shows_averages_finals_attendance_and_the_weak(led):
    sheet = class_page.class_sheet(led.english2, led.c5a.id, today=d(1, 12), term_id=led.q1.id)
    assert sheet.term.id == led.q1.id
    names = [r.student.last_name for r in sheet.rows]
    assert names == sorted(names) and len(names) == len(led.students)
    first = sheet.rows[0]
    assert first.student.id == led.students[0].id
    math = first.cells[led.math.id]
    assert (math.average, math.count, math.final) == (4.33, 3, "2")
    assert [r.student.id for r in sheet.weak] == [led.students[0].id, led.students[2].id]
    # The newcomer joined on 20.11: not on the 1st quarter's sheet, on the 2nd quarter's.
    assert led.newcomer.id not in [r.student.id for r in sheet.rows]
    second = class_page.class_sheet(led.english2, led.c5a.id, today=d(1, 12))
    assert second.term.id == led.q2.id and led.newcomer.id in [r.student.id for r in second.rows]
    by_student = {r.student.id: r for r in second.rows}
    assert by_student[led.students[1].id].absences == {"unknown": 1}
    assert by_student[led.students[0].id].absences == {"unknown": 1, "illness": 1}


def test_the_sheet_costs_the_same_queries_whatever_the_class(led):
    class_page.class_sheet(led.english2, led.c5a.id, today=d(1, 12))  # the person's rights, read once
    with QueryCounter() as small:
        class_page.class_sheet(led.english2, led.c5a.id, today=d(1, 12))
    for day in (d(24), d(25), d(26)):
        lesson = led.lesson(led.english_journals[0], day, led.english1, number=6)
        for student in led.students[:2]:
            led.mark(lesson, student, "3")
    FinalMark.create(
        year=led.year,
        student=led.students[1],
        subject=led.english,
        kind="term",
        term=led.q2,
        journal=led.english_journals[0],
        value="н/а",
    )
    with QueryCounter() as large:
        sheet = class_page.class_sheet(led.english2, led.c5a.id, today=d(1, 12))
    assert large.count == small.count
    assert led.students[1].id in [r.student.id for r in sheet.weak]


def test_only_the_class_teacher_the_deputy_and_the_head_open_it(led):
    for person in (led.math_teacher, led.english1):
        with pytest.raises(AccessDenied):
            class_page.class_sheet(person, led.c5a.id, today=d(1, 12))
    class_page.class_sheet(led.deputy, led.c5a.id, today=d(1, 12))
    with pytest.raises(AccessDenied):
        class_page.class_sheet(led.english2, led.c6b.id, today=d(1, 12))
    with pytest.raises(NotFound):
        class_page.class_sheet(led.english2, "x", today=d(1, 12))


def test_a_students_card_lists_marks_absences_and_diary_access(led, make_staff):
    student = led.students[0]
    mother = Guardian.create(last_name="Алексеева", first_name="Мария", phone="+7 900 000-00-00")
    father = Guardian.create(last_name="Алексеев", first_name="Пётр")
    StudentGuardian.create(student=student, guardian=mother, relation="mother")
    StudentGuardian.create(student=student, guardian=father, relation="father")
    DiaryApplication.create(
        submitted_on=d(1, 10),
        received_by=led.deputy,
        student=student,
        guardian=mother,
        student_last_name=student.last_name,
        student_first_name=student.first_name,
        guardian_last_name=mother.last_name,
        guardian_first_name=mother.first_name,
        relation="mother",
        status="granted",
    )
    card = class_page.student_card(led.english2, led.c5a.id, student.id, today=d(1, 12))
    assert [m[1] for m in card.marks["Математика"]] == ["4", "4"]
    assert [a[3] for a in card.absences] == ["болезнь", "причина не указана"]
    assert [(g.guardian.last_name, g.relation, g.access) for g in card.guardians] == [
        ("Алексеев", "отец", "заявления нет"),
        ("Алексеева", "мать", "доступ предоставлен"),
    ]
    with pytest.raises(NotFound):
        class_page.student_card(led.english2, led.c5a.id, 999999, today=d(1, 12))


def test_the_pages_answer_in_russian(led, app):
    from tests.conftest import login

    with time_machine.travel(NOW, tick=False):
        client = app.test_client()
        login(client, led.english2.login)
        assert "5А" in client.get("/class/").get_data(as_text=True)
        page = client.get(f"/class/{led.c5a.id}?term={led.q1.id}").get_data(as_text=True)
        assert "Сводная ведомость: 1 четверть" in page and "Посещаемость" in page
        card = client.get(f"/class/{led.c5a.id}/student/{led.students[0].id}").get_data(as_text=True)
        assert "Родители и доступ к электронному дневнику" in card
        assert client.get(f"/class/{led.c6b.id}").status_code == 403
        assert client.get(f"/class/{led.c5a.id}/student/{led.students[0].id + 1000}").status_code == 404
        other = app.test_client()
        login(other, led.math_teacher.login)
        assert other.get("/class/").status_code == 403
