"""In a real browser: a create form saved untouched guesses nothing, and a list is exported as it is shown.

The journal's small school (tests/journal/conftest.py). The administrator opens «Зачисления» →
«Создать» and saves the form without touching it: every select still reads «— выберите —», the
page answers «Обязательное поле.» next to the student and the class, in Russian, and no enrollment
is created. Then the students' list is searched and «Выгрузить: CSV» downloads exactly the rows
shown, with the list's Russian headings.
"""

import csv
import io

import pytest
from playwright.sync_api import expect

from app.models import Enrollment
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in, post_by_clicking, shown_errors
from tests.journal.conftest import school  # noqa: F401

pytestmark = pytest.mark.e2e


def test_a_create_form_saved_untouched_guesses_nothing(app, live_server, page, school):  # noqa: F811
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, school.admin.login, DEFAULT_PASSWORD)
    page.goto("/enrollment/new/")
    form = page.locator("form.admin-form")
    for name in ("student", "class_group"):
        select = form.locator(f'select[name="{name}"]')
        expect(select.locator("option:checked")).to_have_text("— выберите —")
    before = Enrollment.select().count()
    status = post_by_clicking(page, form.get_by_role("button", name="Сохранить", exact=True))
    page.screenshot(path="/tmp/e2e-forms-never-guess.png", full_page=True)
    assert status == 200
    shown = shown_errors(page)
    assert any(e.startswith("Запись не создана") for e in shown), shown
    assert sum(e.startswith("Обязательное поле.") for e in shown) >= 2, shown
    for name in ("student", "class_group"):
        expect(page.locator(f'select[name="{name}"] option:checked')).to_have_text("— выберите —")
    assert Enrollment.select().count() == before
    assert errors == []


def test_a_searched_list_downloads_as_shown(app, live_server, page, school):  # noqa: F811
    log_in(page, school.admin.login, DEFAULT_PASSWORD)
    page.goto("/student/")
    page.get_by_placeholder("Поиск").fill("Алексеев")
    page.get_by_role("button", name="Поиск").click()
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)
    expect(page.get_by_text("Выгрузить:")).to_be_visible()
    page.screenshot(path="/tmp/e2e-list-export.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename.endswith(f"{school.today:%Y-%m-%d}.csv")
    with open(download.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(io.StringIO(file.read()), delimiter=";"))
    assert rows[0][:2] == ["Фамилия", "Имя"]
    assert [row[:2] for row in rows[1:]] == [["Алексеев", "Артём"]]
