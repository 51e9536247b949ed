"""After the transfer the old year is history: every page of it opens with its data, every write is refused."""

import datetime as dt

import pytest

from app.clock import app_clock
from app.models import FinalMark, Lesson, Mark, SchoolYear
from app.services import finals, journal, journal_marks, journal_planning, plans
from app.services.errors import AccessDenied
from tests.conftest import login


@pytest.fixture
def moved(school, transfer):
    transfer(students={school.rep.id: "repeat"})
    return school


@pytest.mark.parametrize("who", ["maths", "zavuch"])
def test_the_old_journal_grid_opens_with_its_marks_read_only(client, moved, who):
    assert login(client, who).status_code == 302
    response = client.get(f"/journal/grid/{moved.maths_5a.id}/{moved.quarters[3].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Смирнов" in html
    assert ">5<" in html
    # Nothing is editable: every cell carries the read-only mark.
    assert 'aria-readonly="true"' in html


def test_the_old_finals_and_class_finals_open(client, moved):
    assert login(client, "zavuch").status_code == 302
    response = client.get(f"/journal/finals/{moved.maths_5a.id}")
    assert response.status_code == 200
    assert "Соколова" in response.get_data(as_text=True)
    response = client.get(f"/journal/class-finals/{moved.classes['5А'].id}")
    assert response.status_code == 200
    assert "Репин" in response.get_data(as_text=True)
    response = client.get(f"/journal/class-finals/?year={moved.year.id}")
    assert response.status_code == 200
    assert "5А" in response.get_data(as_text=True)


def test_the_journal_list_and_the_lesson_open_for_the_old_year(client, moved):
    assert login(client, "maths").status_code == 302
    response = client.get(f"/journal/?year={moved.year.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2026/2027 учебный год" in html and "только для чтения" in html
    assert f"/journal/grid/{moved.maths_5a.id}/" in html
    response = client.get(f"/journal/lesson/{moved.lesson.id}")
    assert response.status_code == 200
    assert "Дроби" in response.get_data(as_text=True)
    # This year's list holds the carried journal, not the old one.
    html = client.get("/journal/").get_data(as_text=True)
    assert f"/journal/grid/{moved.maths_5a.id}/" not in html and "6А" in html


def test_the_old_years_reports_open(client, moved):
    assert login(client, "zavuch").status_code == 302
    response = client.get(f"/reports/?year={moved.year.id}")
    assert response.status_code == 200
    assert "2026/2027 учебный год" in response.get_data(as_text=True)
    response = client.get(f"/reports/summary/?year={moved.year.id}&class={moved.classes['5А'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Соколова" in html and "Математика" in html
    assert client.get(f"/reports/summary/xlsx?year={moved.year.id}&class={moved.classes['5А'].id}").status_code == 200
    # An unknown year is a missing page, never a 500.
    assert client.get("/reports/summary/?year=99999").status_code == 404


def test_the_archive_and_the_export_history_open(client, make_staff, moved):
    assert login(client, "admin").status_code == 302
    assert client.get("/archive/").status_code == 200
    response = client.get("/exportrun/")
    assert response.status_code == 200
    assert "Выгрузка" in response.get_data(as_text=True)


def test_old_year_writes_are_refused(app, moved):
    clock = app_clock(app)
    teacher, deputy = moved.maths_teacher, moved.deputy
    with pytest.raises(AccessDenied, match="Учебный год 2026/2027 завершён"):
        journal_marks.enter_marks(teacher, moved.lesson.id, moved.s2.id, "4", moved.mark.work_type_id, clock=clock)
    with pytest.raises(AccessDenied, match="завершён"):
        journal_marks.set_absence(deputy, moved.lesson.id, moved.s2.id, "illness", clock=clock)
    with pytest.raises(AccessDenied, match="завершён"):
        journal.save_lesson(deputy, moved.lesson.id, moved.lesson.version, {"topic": "Другая"}, clock=clock)
    with pytest.raises(AccessDenied, match="итоговые отметки доступны только для чтения"):
        finals.save_finals(deputy, moved.maths_5a.id, "year", {moved.s1.id: "5"}, clock=clock, reason="typo")
    with pytest.raises(AccessDenied, match="не планируются"):
        journal_planning.plan_lessons(deputy, SchoolYear.get_by_id(moved.year.id))
    with pytest.raises(AccessDenied, match="тематический план"):
        plans.ensure_can_edit(teacher, moved.maths_5a)
    assert Mark.select().count() == 1
    assert Lesson.get_by_id(moved.lesson.id).topic == "Дроби"
    assert FinalMark.select().where(FinalMark.value == "5").count() == 0


def test_an_old_year_mark_posted_over_http_is_refused(client, moved):
    assert login(client, "maths").status_code == 302
    body = {"lesson": moved.lesson.id, "student": moved.s2.id, "value": "4", "work_type": moved.mark.work_type_id}
    response = client.post("/journal/api/marks", json=body)
    assert response.status_code == 403
    assert "завершён" in response.get_json()["error"]
    assert Mark.select().count() == 1


def test_the_new_year_is_writable(app, moved):
    """The rule reads dates: a lesson of the new year is filled as before."""
    from app.models import Journal

    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    carried = Journal.get((Journal.year == new.id) & (Journal.subject == moved.maths.id))
    lesson = Lesson.create(
        journal=carried,
        date=dt.date(2027, 9, 6),
        number=1,
        planned_teacher=moved.maths_teacher,
        teacher=moved.maths_teacher,
    )
    assert journal.may_edit(moved.maths_teacher, lesson)
    assert not journal.may_edit(moved.maths_teacher, Lesson.get_by_id(moved.lesson.id))


def test_the_old_years_journal_check_and_its_remarks_still_open(app, client, school, transfer):
    from app.services import journal_check

    check = journal_check.open_check(school.deputy, month="2026-11", clock=app_clock(app))
    transfer()
    assert login(client, "zavuch").status_code == 302
    listing = client.get("/check/")
    assert listing.status_code == 200
    assert f"/check/{check.id}" in listing.get_data(as_text=True)
    response = client.get(f"/check/{check.id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert client.get("/remarks/").status_code == 200
