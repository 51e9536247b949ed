"""In a real browser: the administrator edits 5А's week grid, sees a clash, fixes it and saves from a date.

The timetable's small school (tests/timetable/conftest.py) with 5Б beside 5А: 5Б's mathematics is
Волкова's on Wednesday's 1st lesson in room 201. On Wednesday 18.11.2026 the administrator opens
«Редактор расписания» from the menu, puts 5А's mathematics on Wednesday's 1st lesson — the live
check (static/timetable-editor.js, a JSON post carrying the CSRF token) shows in the cell that
Волкова is busy in 5Б — moves it to the 2nd lesson, the clash goes, and saves the grid from
Monday 23.11.2026. The week grid of that week shows the new lesson; this week's does not.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from app.models import ClassGroup, Lesson, TimetableSlot
from app.services import groups
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import guide_shot, log_in, open_menu_item
from tests.timetable.conftest import tt  # noqa: F401 (the timetable's small school)

pytestmark = pytest.mark.e2e

SHOTS = "/tmp/e2e-timetable-editor-{}.png"


@pytest.fixture
def wednesday():
    """Travel to Wednesday 18.11.2026, 10:00 in Moscow, the clock ticking."""
    with time_machine.travel(dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC), tick=True):
        yield dt.date(2026, 11, 18)


def test_the_admin_edits_a_cell_sees_a_clash_fixes_it_and_saves(app, browser, live_server, page, tt, wednesday):  # noqa: F811
    c5b = ClassGroup.create(year=tt.year, grade=5, letter="Б")
    math_5b = groups.class_journal(c5b, tt.math)
    groups.assign_teacher(None, math_5b, tt.maths)
    groups.create_slot(
        None,
        journal=math_5b.id,
        weekday=3,
        lesson_number=1,
        teacher=tt.maths.id,
        room=tt.rooms.r201.id,
        valid_from=tt.year.start_date,
        valid_to=tt.year.end_date,
    )
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, tt.admin.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Группы и журналы", "Редактор расписания")
    expect(page.locator("#tte-title")).to_contain_text("Редактор расписания: класс 5А")
    expect(page.locator("#e-1-2-0")).to_have_value(f"{tt.eng1.id}-{tt.english.id}")
    page.wait_for_load_state("load")
    page.screenshot(path=SHOTS.format("opened"), full_page=True)

    # Wednesday's 1st lesson: mathematics with Волкова, who teaches 5Б then.
    page.locator("#e-3-1-0").select_option(f"{tt.math_journal.id}-{tt.maths.id}")
    problems = page.locator("#tte-problems-3-1")
    expect(problems).to_contain_text("Учитель Волкова Е.С. в это время уже ведёт урок: 5Б, среда, 1 урок")
    expect(page.locator("#tte-cell-3-1")).to_have_class(re.compile("tte-conflict"))
    expect(page.locator("#tte-status")).to_have_text("Конфликтов: 1 — они показаны в клетках.")
    # A place for a second group appeared beside it.
    expect(page.locator("#e-3-1-1")).to_have_value("")
    page.screenshot(path=SHOTS.format("clash"), full_page=True)
    guide_shot(page, "admin-timetable-editor")

    # Saving with the clash is refused.
    page.locator("#valid_from").fill("2026-11-23")
    page.locator("#tte-save").click()
    expect(page.get_by_text("Расписание не сохранено: конфликтов — 1.")).to_be_visible()
    # The live check listens once the page's script has run: wait for the whole page, as a person does.
    page.wait_for_load_state("load")
    expect(page.locator("#tte-problems-3-1")).to_contain_text("Учитель Волкова Е.С. в это время уже ведёт урок")
    assert TimetableSlot.select().where(TimetableSlot.weekday == 3).count() == 1

    # Fixed: to the 2nd lesson, in room 201.
    page.locator("#e-3-1-0").select_option("")
    page.locator("#e-3-2-0").select_option(f"{tt.math_journal.id}-{tt.maths.id}")
    page.locator("#r-3-2-0").select_option(str(tt.rooms.r201.id))
    expect(page.locator("#tte-status")).to_have_text("Конфликтов нет.")
    expect(problems).to_be_empty()
    page.screenshot(path=SHOTS.format("fixed"), full_page=True)
    expect(page.locator("#valid_from")).to_have_value("2026-11-23")
    page.locator("#tte-save").click()
    expect(page.get_by_text("Расписание сохранено: действует с 23.11.2026 по 31.05.2027")).to_be_visible()
    expect(page).to_have_url(re.compile(r"date=2026-11-23"))
    expect(page.locator("#e-3-2-0")).to_have_value(f"{tt.math_journal.id}-{tt.maths.id}")
    page.screenshot(path=SHOTS.format("saved"), full_page=True)
    new = TimetableSlot.get((TimetableSlot.weekday == 3) & (TimetableSlot.journal == tt.math_journal.id))
    assert (new.lesson_number, new.room_id, new.valid_from) == (2, tt.rooms.r201.id, dt.date(2026, 11, 23))
    assert (
        Lesson.select().where((Lesson.journal == tt.math_journal.id) & (Lesson.date == dt.date(2026, 11, 25))).count()
        == 1
    )

    # The week grids show the version of their week.
    page.goto(f"/timetable/?class={tt.c5a.id}&date=2026-11-25")
    expect(page.locator("#tt-cell-2026-11-25-2")).to_contain_text("Математика")
    page.goto(f"/timetable/?class={tt.c5a.id}&date=2026-11-18")
    expect(page.locator("#tt-cell-2026-11-18-2")).not_to_contain_text("Математика")
    assert errors == []
