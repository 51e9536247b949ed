"""In a real browser: the administrator transfers the school to 2027/2028 through the wizard.

The small school of tests/year/conftest.py at the end of 2026/2027: step 1 shows the proposed
dates and quarters; the preview lists every class's move; Репин is kept to repeat the 5th grade
and 5Б becomes 6В; the page is recalculated, the warnings confirmed and the transfer applied
(CSRF on). Screenshots: /tmp/e2e-year-plan.png, /tmp/e2e-year-preview.png, /tmp/e2e-year-done.png.
"""

import pytest
from playwright.sync_api import expect

from app.models import ClassGroup, Enrollment, ExportRun, SchoolYear
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import guide_shot, log_in, open_menu_item
from tests.year.conftest import school  # noqa: F401 (the small school at the end of the year)

pytestmark = pytest.mark.e2e


def test_the_administrator_previews_and_applies_the_transfer(app, browser, live_server, page, school):  # noqa: F811
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, school.admin.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Школа", "Перевод учебного года")
    expect(page.get_by_role("heading", name="Перевод учебного года")).to_be_visible()
    expect(page.get_by_label("Новый учебный год")).to_have_value("2027/2028")
    expect(page.get_by_label("Начало", exact=True)).to_have_value("01.09.2027")
    page.screenshot(path="/tmp/e2e-year-plan.png", full_page=True)
    page.get_by_role("button", name="Далее: что изменится").click()

    expect(page.get_by_role("heading", name="Перевод учебного года: что изменится")).to_be_visible()
    expect(page.locator("#transition-counts")).to_contain_text("Переводятся в следующий класс: 8")
    expect(page.locator(f"#class-{school.classes['11А'].id}")).to_contain_text("выпуск")
    expect(page.locator(f"#class-{school.classes['5А'].id}")).to_contain_text("Выбыли в течение года: Шапкин Глеб")
    page.locator(f"#class-{school.classes['5А'].id} summary").click()
    page.get_by_label("Репин Илья Иванович").select_option("repeat")
    page.get_by_label("Буква класса 5Б в новом году").fill("В")
    page.get_by_role("button", name="Пересчитать").click()
    expect(page.locator("#transition-counts")).to_contain_text("Остаются на повторное обучение: 1")
    expect(page.locator("#transition-new-classes")).to_contain_text("6В — 1 уч.")
    expect(page.locator(".transition-warning").first).to_contain_text("4 четверть")
    page.screenshot(path="/tmp/e2e-year-preview.png", full_page=True)
    guide_shot(page, "admin-year-preview")

    page.get_by_label("Предупреждения прочитаны, выполнить перевод").check()
    page.get_by_role("button", name="Выполнить перевод").click()
    expect(page.get_by_text("Школа переведена в учебный год 2027/2028.")).to_be_visible()
    expect(page.locator("#transition-history")).to_contain_text("Перевод 2026/2027 → 2027/2028")
    page.screenshot(path="/tmp/e2e-year-done.png", full_page=True)

    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    assert new.is_current
    five_a = ClassGroup.get((ClassGroup.year == new.id) & (ClassGroup.grade == 5) & (ClassGroup.letter == "А"))
    assert [e.student_id for e in Enrollment.select().where(Enrollment.class_group == five_a.id)] == [school.rep.id]
    assert ExportRun.get().trigger == "year_transition"
    assert errors == []
