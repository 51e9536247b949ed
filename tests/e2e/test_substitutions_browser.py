"""In a real browser: «Замены» fills a row's teacher list from the page's one shared list and saves a substitute."""

import pytest
from playwright.sync_api import expect

from app.models import Lesson
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in
from tests.e2e.conftest import new_page, serving
from tests.journal.conftest import make_lesson, school  # noqa: F401 (the journal's small school fixture)

pytestmark = pytest.mark.e2e


def test_the_deputy_gives_a_lesson_to_a_busy_teacher_after_confirming(app, browser, school):  # noqa: F811
    make_lesson(school.c6b, school.history, school.leader, school.today, 2, school.term)
    errors = []
    with serving(app) as url:
        page = new_page(browser, url)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            log_in(page, school.deputy.login, DEFAULT_PASSWORD)
            page.goto(f"/journal/substitutions/?date={school.today.isoformat()}")
            row = page.locator(f"#lesson-{school.lesson.id}")
            select = row.locator('select[name="teacher_id"]')
            # Before it is opened the row's list holds only the current teacher; then the whole shared list.
            expect(select.locator("option")).to_have_count(1)
            select.focus()
            expect(select.locator(f"option[value='{school.leader.id}']")).to_have_count(1)
            select.select_option(str(school.leader.id))
            row.get_by_role("button", name="Сохранить").click()
            expect(page.locator("#busy-warning")).to_contain_text("«6Б, 2-й урок, история»")
            assert Lesson.get_by_id(school.lesson.id).teacher_id == school.teacher.id
            page.get_by_role("button", name="Всё равно назначить").click()
            expect(page.get_by_text("Замена назначена: 5А, 2-й урок, математика")).to_be_visible()
        finally:
            page.context.close()
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id
    assert errors == []
