"""The staff guide's screenshots: each role of the demo school walks its everyday screens in chromium.

The pictures in docs/guide/ are the ones these tests take (`guide_shot`), so the guide shows the
screens as they are; tests/test_guide.py checks that every picture the guide shows is taken here.
The school is the small demo school on a fixed Tuesday of the second quarter, so the pictures
change only when the screens do. Every page must open without an error, in Russian, with no
script error.
"""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from app import demo
from app.models import ClassGroup, Journal, Lesson, Staff, TeachingAssignment, Term
from tests.e2e.browser import guide_shot, log_in
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e

DAY = dt.date(2026, 11, 24)  # a Tuesday of the second quarter
MORNING = dt.datetime(2026, 11, 24, 7, 30, tzinfo=dt.UTC)  # 10:30 at the school


@pytest.fixture
def school(app):
    with time_machine.travel(MORNING, tick=True):
        demo.seed("small", today=DAY, hash_method=app.config["PASSWORD_HASH_METHOD"])
        yield


@pytest.fixture
def browse(browser, live_server, school):
    """Open a page logged in as a demo login; collect script errors; close everything afterwards."""
    opened = []

    def _as(login):
        page = new_page(browser, live_server)
        page.script_errors = []
        page.on("pageerror", lambda exc: page.script_errors.append(str(exc)))
        opened.append(page)
        log_in(page, login, demo.DEMO_PASSWORD)
        return page

    yield _as
    for page in opened:
        assert page.script_errors == []
        page.context.close()


def visit(page, url: str, heading: str):
    """Open a page of the panel and wait for its heading: never an error page."""
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    expect(page.locator("h1, h2, h3, h4").filter(has_text=heading).first).to_be_visible()
    page.wait_for_load_state("load")


def _teachers_lesson():
    """The demo teacher's last held lesson up to DAY."""
    teacher = Staff.get(Staff.login == "teacher")
    return (
        Lesson.select()
        .join(Journal)
        .join(TeachingAssignment)
        .where((TeachingAssignment.teacher == teacher) & (Lesson.date <= DAY) & (Lesson.held == True))  # noqa: E712
        .order_by(Lesson.date.desc(), Lesson.number)
        .first()
    )


def test_the_teacher_s_day(browse):
    page = browse("teacher")
    guide_shot(page, "teacher-home")
    visit(page, "/journal/today/", "Сегодня")
    guide_shot(page, "teacher-today")

    lesson = _teachers_lesson()
    term = Term.containing(lesson.date).where(Term.year == lesson.journal.year_id).first()
    visit(page, f"/journal/grid/{lesson.journal_id}/{term.id}", str(lesson.journal.group.class_group))
    expect(page.locator("table").first).to_be_visible()
    guide_shot(page, "teacher-grid")

    visit(page, f"/journal/lesson/{lesson.id}", "Урок")
    expect(page.get_by_label("Тема урока")).to_be_visible()
    guide_shot(page, "teacher-lesson")

    visit(page, "/journal/plans/", "Тематическое планирование")
    guide_shot(page, "teacher-plans")
    visit(page, "/timetable/my/", "расписание")
    guide_shot(page, "teacher-timetable")


def test_the_class_teacher_s_class(browse):
    page = browse("classteacher")
    visit(page, "/class/", "Классы")
    page.get_by_role("link", name=re.compile("^5А")).click()
    expect(page.locator("h1").filter(has_text="5А")).to_be_visible()
    guide_shot(page, "classteacher-class")
    five_a = ClassGroup.get(ClassGroup.class_teacher == Staff.get(Staff.login == "classteacher"))
    visit(page, f"/journal/class-finals/{five_a.id}", "5А")
    guide_shot(page, "classteacher-finals")
    visit(page, "/reports/", "Отчёты")
    guide_shot(page, "classteacher-reports")


def test_the_deputy_s_oversight(browse):
    page = browse("deputy")
    guide_shot(page, "deputy-home")
    visit(page, "/check/", "Проверка")
    guide_shot(page, "deputy-checks")
    page.get_by_role("button", name="Открыть проверку").click()
    expect(page.locator("h1").filter(has_text="Проверка журнала")).to_be_visible()
    guide_shot(page, "deputy-check")
    visit(page, "/journal/substitutions/", "Замены")
    guide_shot(page, "deputy-substitutions")
    visit(page, "/groups/split/", "Деление")
    guide_shot(page, "deputy-groups")
    visit(page, "/reports/", "Отчёты")
    page.get_by_role("link", name="Успеваемость").first.click()
    page.get_by_role("button", name="Показать", exact=True).click()
    expect(page.locator("table").first).to_be_visible()
    guide_shot(page, "deputy-report")


def test_the_administrator_s_panel(browse):
    page = browse("admin")
    guide_shot(page, "admin-home")
    visit(page, "/staff/", "Сотрудники")
    guide_shot(page, "admin-staff")
    visit(page, "/diaryapplication/", "Заявления")
    guide_shot(page, "admin-applications")
    visit(page, "/uids/", "UID")
    guide_shot(page, "admin-uids")
    visit(page, "/exportrun/", "История выгрузок")
    guide_shot(page, "admin-exports")


def test_the_head_s_overview(browse):
    page = browse("head")
    expect(page.get_by_text(re.compile("Здравствуйте"))).to_be_visible()
    guide_shot(page, "head-home")
    visit(page, "/journal/", "Журналы")
    guide_shot(page, "head-journals")
