"""In a real browser: a teacher reads «Моё расписание» week by week; the administrator sets a bell time.

The timetable's small school (tests/timetable/conftest.py): on Wednesday 18.11.2026 the teacher
Смирнова opens her week from the menu — Monday's English in room 202 at 09:25–10:10, Tuesday's
mathematics she takes over for Волкова (a shortened day, 08:30–09:00) — and moves to the next
week, which nothing is planned for yet, so it shows the timetable's pattern. The administrator
then sets the 4th lesson's bell on «Расписание звонков» and saves it (CSRF on).
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from app.models import BellTime
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in, log_out, open_menu_item
from tests.timetable.conftest import tt  # noqa: F401 (the timetable's small school)

pytestmark = pytest.mark.e2e


@pytest.fixture
def wednesday():
    """Travel to Wednesday 18.11.2026, 10:00 in Moscow, the clock ticking."""
    with time_machine.travel(dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC), tick=True):
        yield dt.date(2026, 11, 18)


def test_a_teacher_reads_her_week_and_the_admin_sets_a_bell(app, browser, live_server, page, tt, wednesday):  # noqa: F811
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, tt.english.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Журнал", "Моё расписание")
    expect(page.locator("#tt-title")).to_contain_text("Моё расписание")
    expect(page.locator("#tt-week")).to_have_text("неделя 16.11.2026–21.11.2026")
    monday = page.locator("#tt-cell-2026-11-16-2")
    expect(monday).to_contain_text("Английский язык")
    expect(monday).to_contain_text("каб. 202")
    expect(page.locator("#tt-grid tbody tr").nth(1).locator("th")).to_contain_text("09:25–10:10")
    tuesday = page.locator("#tt-cell-2026-11-17-1")
    expect(tuesday).to_contain_text("замена: Смирнова А.И. вместо Волкова Е.С.")
    expect(tuesday).to_contain_text("08:30–09:00")
    expect(page.locator("#tt-day-2026-11-17")).to_contain_text("сокращённый день")
    page.screenshot(path="/tmp/e2e-timetable-week.png", full_page=True)

    page.locator("#tt-next").click()
    expect(page.locator("#tt-week")).to_have_text("неделя 23.11.2026–28.11.2026")
    expect(page).to_have_url(re.compile(r"date=2026-11-23"))
    next_monday = page.locator("#tt-cell-2026-11-23-2")
    expect(next_monday).to_contain_text("Английский язык")
    expect(next_monday).to_contain_text("каб. 202")
    expect(page.locator("#tt-day-2026-11-23")).to_contain_text("по расписанию")
    # The lesson she took over was Tuesday's of the week before only.
    expect(page.locator("#tt-cell-2026-11-24-1")).not_to_contain_text("Математика")
    log_out(page)

    log_in(page, tt.admin.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Школа", "Расписание звонков")
    expect(page.get_by_role("heading", name="Расписание звонков")).to_be_visible()
    expect(page.locator("#normal-2-start")).to_have_value("09:25")
    page.locator("#normal-4-start").fill("11:35")
    page.locator("#normal-4-end").fill("12:20")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Расписание звонков сохранено (изменено записей: 1).")).to_be_visible()
    expect(page.locator("#normal-4-end")).to_have_value("12:20")
    row = BellTime.get((BellTime.schedule == "normal") & (BellTime.lesson_number == 4))
    assert (row.starts_at, row.ends_at) == (dt.time(11, 35), dt.time(12, 20))
    # A bad time is refused next to its field, in Russian, and nothing changes.
    page.locator("#normal-5-start").fill("25:00")
    page.locator("#normal-5-end").fill("13:15")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("5 урок (обычный день): время «25:00» не распознано")).to_be_visible()
    expect(page.locator("#normal-5-start")).to_have_class(re.compile("is-invalid"))
    assert BellTime.select().where(BellTime.lesson_number == 5).count() == 0
    assert errors == []
