"""In a real browser: the administrator uploads a staff list, maps an unknown column, checks it and applies it.

The file's first column is headed «Учётка», which the import does not know: the page offers the
kind's fields for it; the administrator picks «Логин», leaves «Должность» out («не загружать»),
checks again, reads the summary (two new staff members) and presses «Применить» (CSRF on).
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from app.models import ImportJob, SchoolYear, Staff
from app.services import roles
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import guide_shot, log_in, open_menu_item

pytestmark = pytest.mark.e2e

STAFF = "Учётка;Фамилия;Имя;Роли;Должность\nivanova;Иванова;Анна;Учитель;учитель\npetrov;Петров;Олег;Учитель;завуч\n"


def test_the_administrator_maps_checks_and_applies_a_staff_list(app, page, make_staff, tmp_path):
    SchoolYear.create(name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True)
    admin = make_staff("boss", roles=["admin"], last_name="Соколова")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, admin.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Школа", "Импорт из таблиц")
    expect(page.get_by_role("heading", name="Импорт из таблиц")).to_be_visible()
    file = tmp_path / "сотрудники.csv"
    file.write_text(STAFF, encoding="cp1251")
    row = page.locator("#kind-staff")
    row.locator('input[type="file"]').set_input_files(str(file))
    row.get_by_role("button", name="Загрузить и проверить").click()

    expect(page.locator("#import-errors")).to_contain_text("лишний столбец")
    expect(page.locator("#import-errors")).to_contain_text("нет обязательного столбца")
    expect(page.get_by_role("button", name="Применить")).to_have_count(0)
    page.screenshot(path="/tmp/e2e-imports-mapping.png", full_page=True)
    page.get_by_label("Учётка").select_option(label="Логин*")
    page.get_by_label("Должность").select_option(label="не загружать")
    page.get_by_role("button", name="Проверить с этими столбцами").click()

    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("Сотрудник")
    expect(summary.locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")
    expect(page.locator("#import-changes")).to_contain_text("ivanova")
    assert Staff.select().count() == 1  # the check wrote nothing
    page.screenshot(path="/tmp/e2e-imports-preview.png", full_page=True)
    guide_shot(page, "admin-import")
    page.get_by_role("button", name="Применить").click()

    expect(page.get_by_text("Изменения применены.")).to_be_visible()
    expect(page.locator("#import-done")).to_contain_text("Применено")
    page.screenshot(path="/tmp/e2e-imports-applied.png", full_page=True)
    assert roles.staff_role_codes(Staff.get(Staff.login == "petrov")) == {"teacher"}
    assert ImportJob.get().status == "done"
    assert errors == []
