"""In a real browser: a teacher uploads a thematic plan, checks the preview, applies it, then fills a week of lessons.

5А's mathematics teacher opens «Тематическое планирование» from the menu, goes to 5А's plan, uploads
the XLSX they keep (a title line, headings «№ п/п | Тема урока | Кол-во часов | Дата | Домашнее
задание», section lines), sees the preview without errors and applies it. Then they open the week's
five lessons one by one and only tick «Урок проведён»: the topics come from the plan, in order, the
two-hour row taking two lessons. Last they print the month from the journal page: the PDF's
topics page holds the plan's topics. Screenshots land in /tmp/e2e-plans-*.png.
"""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.models import Lesson, LessonPlanRow
from app.services import plans
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in, open_menu_item
from tests.plans.conftest import XLSX_NAME, plan_xlsx, school  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e


def test_teacher_uploads_a_plan_and_fills_a_week_without_typing_topics(page, school, tmp_path):  # noqa: F811
    log_in(page, "teacher", DEFAULT_PASSWORD)
    open_menu_item(page, "Журнал", "Тематическое планирование")
    expect(page.get_by_role("heading", name=re.compile("Тематическое планирование"))).to_be_visible()
    line = page.locator(f"#plan-line-{school.j5a.id}")
    expect(line).to_contain_text("нет плана")
    line.get_by_role("link", name="Математика").click()

    # Upload and preview: nothing is written until the teacher applies it.
    page.locator("#plan-file").set_input_files(
        files=[{"name": XLSX_NAME, "mimeType": "application/octet-stream", "buffer": plan_xlsx()}]
    )
    page.locator("#preview-plan").click()
    expect(page.locator("#preview-ok")).to_contain_text("строк — 6, часов — 7")
    expect(page.locator("#preview")).to_contain_text("Раздел 2. Действия с числами")
    page.screenshot(path="/tmp/e2e-plans-preview.png", full_page=True)
    assert plans.plan_of(school.j5a.id) is None
    page.locator("#apply-plan").click()
    expect(page.get_by_text("Тематический план загружен.")).to_be_visible()
    expect(page.locator("#plan-rows")).to_contain_text("Контрольная работа № 1")
    expect(page.locator("#plan-behind")).to_have_text("7")

    # A week of lessons (the five up to today): only «Урок проведён» is ticked.
    week = school.lessons[2:7]
    expected = [
        "Ряд натуральных чисел",
        "Десятичная запись числа",
        "Десятичная запись числа",
        "Сравнение чисел",
        "Сложение",
    ]
    for lesson, topic in zip(week, expected, strict=True):
        page.goto(f"/journal/lesson/{lesson.id}")
        expect(page.locator("#lesson-plan")).to_contain_text(topic)
        expect(page.locator("#topic")).to_have_value(topic)
        if lesson is week[0]:
            page.screenshot(path="/tmp/e2e-plans-lesson.png", full_page=True)
        page.locator("#held").check()
        page.locator("#save-lesson").click()
        expect(page.get_by_text("Урок сохранён.")).to_be_visible()
        expect(page.locator("#plan-current")).to_contain_text(topic)
    assert [Lesson.get_by_id(lesson.id).topic for lesson in week] == expected
    assert all(Lesson.get_by_id(lesson.id).held for lesson in week)
    assert LessonPlanRow.select().count() == 5

    # The plan page counts them: 7 hours planned, 5 given; 7 lessons were due by today (six days ago … today).
    page.goto(f"/journal/plans/{school.j5a.id}")
    expect(page.locator("#plan-hours")).to_contain_text("Дано")
    expect(page.locator("#plan-behind")).to_have_text("2")
    expect(page.locator("#plan-row-2")).to_contain_text("2")
    page.screenshot(path="/tmp/e2e-plans-done.png", full_page=True)

    # «Печать (PDF)» on the journal page: the month of today's lesson, its topics from the plan.
    month = week[-1].date
    page.goto(f"/journal/grid/{school.j5a.id}/{week[-1].term_id}")
    page.locator("#print-pdf-link").click()
    item = page.locator(f'a.dropdown-item[href*="period={month:%Y-%m}"]')
    expect(item).to_be_visible()
    page.screenshot(path="/tmp/e2e-plans-print.png")
    response = page.context.request.get(item.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages).split())
    assert "Математика" in text and "стр. 1 из" in text
    assert all(topic in text for lesson, topic in zip(week, expected, strict=True) if lesson.date.month == month.month)
