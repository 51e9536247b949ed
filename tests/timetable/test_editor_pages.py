"""The timetable editor's pages through the real app (CSRF on): access, the grid, the check, a save, a copy.

«Today» is Wednesday 18.11.2026 in Moscow (tests/timetable/conftest.py's small school).
"""

import datetime as dt
import re

import pytest
import time_machine

from app.models import ClassGroup, Room, Staff, Subject, TimetableSlot
from app.services import groups
from app.services import timetable_editor as editor
from tests.conftest import form_errors
from tests.journal.conftest import QueryCounter

TODAY = dt.date(2026, 11, 18)


@pytest.fixture
def wednesday():
    with time_machine.travel(dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


def grid_form(html: str) -> dict:
    """Return the editor form's fields as the browser would post them (selected options, hidden inputs)."""
    form = html[html.index('id="tte-form"') :]
    values = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        values[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body) or re.search(r'<option value="([^"]*)"', body)
        values[name] = chosen.group(1)
    values["valid_from"] = re.search(r'name="valid_from" id="valid_from"\s+value="([^"]+)"', form).group(1)
    return values


def test_a_teacher_may_not_open_or_post_the_editor(as_user, tt, wednesday):
    client = as_user(tt.english)
    assert client.get("/timetable/editor/").status_code == 403
    assert client.get(f"/timetable/editor/?class={tt.c5a.id}").status_code == 403
    assert client.post("/timetable/editor/", data={"class": tt.c5a.id, "action": "save"}).status_code == 403
    assert client.post("/timetable/editor/check/", data={"class": tt.c5a.id}).status_code == 403
    assert 'href="/timetable/editor/"' not in client.get("/").get_data(as_text=True)


def test_the_admin_edits_checks_and_saves_a_grid(as_user, tt, wednesday):
    client = as_user(tt.admin)
    assert 'href="/timetable/editor/"' in client.get("/").get_data(as_text=True)
    response = client.get("/timetable/editor/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Редактор расписания: класс 5А" in html
    assert "timetable-editor.js" in html and "<script>" not in html
    form = grid_form(html)
    assert form["e-1-2-0"] == f"{tt.eng1.id}-{tt.english.id}" and form["r-1-2-1"] == str(tt.rooms.r203.id)
    assert form["valid_from"] == "2026-11-18"
    # Put mathematics beside English on Monday's 2nd: the check shows the clash in the cell.
    form.update({"e-1-2-2": f"{tt.math_journal.id}-{tt.maths.id}", "r-1-2-2": "", "action": "check"})
    form["valid_from"] = "2026-11-23"
    response = client.post("/timetable/editor/", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Найдены конфликты: 2" in html and 'id="tte-cell-1-2"' in html
    cell = html[html.index('id="tte-cell-1-2"') : html.index('id="tte-cell-2-2"')]
    assert "tte-conflict" in html[html.index('id="tte-cell-1-2"') - 60 : html.index('id="tte-cell-1-2"')]
    assert "У класса 5А в это время уже есть урок" in cell
    # The JSON check answers the same.
    answer = client.post("/timetable/editor/check/", data=form).get_json()
    assert answer["error"] is None and set(answer["problems"]) == {"1-2"}
    # Saving with the clash is refused, nothing written.
    before = [s.__data__ for s in TimetableSlot.select().order_by(TimetableSlot.id)]
    response = client.post("/timetable/editor/", data={**form, "action": "save"})
    assert response.status_code == 400
    assert "Расписание не сохранено: конфликтов — 2" in " ".join(form_errors(response.get_data(as_text=True)))
    # The page comes back whole, its script too (the live check goes on working).
    assert response.get_data(as_text=True).rstrip().endswith("</html>")
    assert "timetable-editor.js" in response.get_data(as_text=True)
    assert [s.__data__ for s in TimetableSlot.select().order_by(TimetableSlot.id)] == before
    # Fixed: mathematics goes to Saturday's 1st instead.
    form.update({"e-1-2-2": "", "e-6-1-0": f"{tt.math_journal.id}-{tt.maths.id}", "r-6-1-0": str(tt.rooms.r201.id)})
    response = client.post("/timetable/editor/", data={**form, "action": "save"})
    assert response.status_code == 303 and "date=2026-11-23" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Расписание сохранено: действует с 23.11.2026 по 31.05.2027, уроков в неделю: 6." in html
    assert grid_form(html)["e-6-1-0"] == f"{tt.math_journal.id}-{tt.maths.id}"
    assert "01.09.2026–22.11.2026" in html and "23.11.2026–31.05.2027" in html
    # The old page's grid is stale now.
    response = client.post("/timetable/editor/", data={**form, "action": "save"})
    assert response.status_code == 400 and "уже изменили, пока страница была открыта" in response.get_data(as_text=True)


def test_copies_fill_the_grid_without_saving(as_user, tt, wednesday):
    c5b = ClassGroup.create(year=tt.year, grade=5, letter="Б")
    math_5b = groups.class_journal(c5b, tt.math)
    groups.assign_teacher(None, math_5b, tt.english2)
    client = as_user(tt.admin)
    form = grid_form(client.get(f"/timetable/editor/?class={tt.c5a.id}").get_data(as_text=True))
    count = TimetableSlot.select().count()
    html = client.post("/timetable/editor/", data={**form, "action": "copy_day", "copy_from": "1", "copy_to": "6"})
    html = html.get_data(as_text=True)
    copied = grid_form(html)
    assert copied["e-6-2-0"] == form["e-1-2-0"] and copied["e-6-2-1"] == form["e-1-2-1"]
    assert "День скопирован в сетку" in html
    html = client.get(f"/timetable/editor/?class={c5b.id}").get_data(as_text=True)
    response = client.post(
        "/timetable/editor/", data={**grid_form(html), "action": "copy_class", "source_class": str(tt.c5a.id)}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert grid_form(html)["e-1-1-0"] == f"{math_5b.id}-{tt.english2.id}"
    assert "«Английский язык — 5А, англ., гр. 1»: у класса 5Б нет такого журнала" in html
    # Кузнецов teaches 5А's English group 2 on Monday's 2nd; 5Б's mathematics is his on Monday's 1st: no clash there.
    assert "tte-conflict" not in html
    assert TimetableSlot.select().count() == count


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_from": "2026-11-17"}, "уже прошла"),
        ({"valid_from": "2027-06-01"}, "вне учебного года"),
        ({"valid_from": "завтра"}, "не распознана"),
        ({"e-1-1-0": "1-x"}, "урок не распознан"),
        ({"e-9-1-0": "1-1"}, "Клетка сетки не распознана"),
        ({"copy_from": "8", "action": "copy_day"}, "Выберите день недели из списка"),
        ({"version": "x", "action": "copy_week"}, "Версия расписания"),
    ],
)
def test_bad_input_is_told_in_russian(as_user, tt, wednesday, change, message):
    client = as_user(tt.admin)
    form = grid_form(client.get(f"/timetable/editor/?class={tt.c5a.id}").get_data(as_text=True))
    before = [s.__data__ for s in TimetableSlot.select().order_by(TimetableSlot.id)]
    response = client.post("/timetable/editor/", data={**form, "action": "save", **change})
    assert response.status_code == 400
    assert message in " ".join(form_errors(response.get_data(as_text=True)))
    assert [s.__data__ for s in TimetableSlot.select().order_by(TimetableSlot.id)] == before
    answer = client.post("/timetable/editor/check/", data={**form, **change})
    if "action" not in change:
        assert answer.status_code == 400 and message in answer.get_json()["error"]
    assert client.get("/timetable/editor/?class=99999999").status_code == 404
    assert client.post("/timetable/editor/", data={**form, "class": "x"}).status_code == 404


def _double(tt, n: int) -> None:
    """Add a class with its journals, teachers, rooms and slots; and to 5А a journal and a cross-class lesson."""
    year = tt.year
    subject = Subject.create(name=f"Музыка {n}")
    teacher = Staff.create(login=f"music{n}", last_name=f"Музыкант{n}", first_name="Иван", active=True)
    music = groups.class_journal(tt.c5a, subject)
    groups.assign_teacher(None, music, teacher)
    choir_group = groups.create_group(None, year=year.id, kind="cross", name=f"Хор {n}", grade=None)
    groups.create_membership(None, group=choir_group.id, student=tt.students[n].id, start_date=year.start_date)
    choir = groups.create_journal(None, group=choir_group.id, subject=subject.id, teachers=[teacher.id])
    room = Room.create(name=f"Зал {n}")
    for journal, weekday in ((music, 5), (choir, 6)):
        groups.create_slot(
            None,
            journal=journal.id,
            weekday=weekday,
            lesson_number=n + 1,
            teacher=teacher.id,
            room=room.id,
            valid_from=year.start_date,
            valid_to=year.end_date,
        )
    c = ClassGroup.create(year=year, grade=6, letter="АБВГДЕЖ"[n])
    for k, name in enumerate(("Физика", "Химия", "История")):
        subject = Subject.get_or_create(name=name)[0]
        teacher = Staff.create(login=f"t{n}{k}", last_name=f"Учитель{n}{k}", first_name="Иван", active=True)
        journal = groups.class_journal(c, subject)
        groups.assign_teacher(None, journal, teacher)
        room = Room.create(name=f"3{n}{k}")
        for weekday in (1, 2, 3):
            groups.create_slot(
                None,
                journal=journal.id,
                weekday=weekday,
                lesson_number=k + 1,
                teacher=teacher.id,
                room=room.id,
                valid_from=year.start_date,
                valid_to=year.end_date,
            )


def test_the_editor_page_query_count_does_not_grow_with_the_school(app, as_user, tt, wednesday):
    client = as_user(tt.admin)
    url = f"/timetable/editor/?class={tt.c5a.id}"
    client.get(url)

    def count():
        with QueryCounter() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    before = count()
    _double(tt, 0)
    _double(tt, 1)
    html = client.get(url).get_data(as_text=True)
    assert "Хор 1: Музыка 1, Музыкант1 И." in html and "Музыка 0 (Музыкант0 И.)" in html
    assert count() == before
    with QueryCounter() as counter:
        editor.editor(tt.admin, tt.c5a.id, TODAY, TODAY)
    assert counter.count <= 12
