"""In a real browser: the deputy opens «Отчёты» → «Сводная ведомость», picks 5А and the 1st quarter, downloads it.

The school is the hand-built one of tests/reports/conftest.py (its figures are worked out there);
the clock travels to 01.12.2026 and ticks. Screenshots land in /tmp/e2e-reports-*.png.
"""

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in
from tests.reports.conftest import school  # noqa: F401 (the reports' small school)

pytestmark = pytest.mark.e2e


@pytest.fixture
def report_day():
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=True):
        yield


def test_the_deputy_reads_and_downloads_the_summary_sheet(app, browser, report_day, school, live_server):  # noqa: F811
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": 1440, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(page, school.staff.deputy.login, DEFAULT_PASSWORD)
        page.locator("nav.navbar").get_by_role("link", name="Отчёты", exact=True).click()
        page.get_by_role("link", name="Сводная ведомость").click()
        expect(page.locator("#report-kind")).to_have_text("Сводная ведомость")
        page.get_by_label("Класс").select_option(label="5А")
        page.get_by_label("Период").select_option(label="1 четверть")
        page.get_by_role("button", name="Показать", exact=True).click()
        expect(page.locator("#report-title")).to_have_text("Сводная ведомость итоговых отметок: 5А класс")
        report = page.locator("#report")
        expect(report).to_contain_text("Ушедший Юрий (выбыл 20.10.2026)")
        row = report.locator("tr", has=page.get_by_text("Егорова Жанна", exact=True))
        expect(row).to_contain_text("неуспевающий")
        totals = report.locator("section", has=page.get_by_role("heading", name="Итоги класса"))
        expect(totals).to_contain_text("60,0 %")
        expect(totals).to_contain_text("40,0 %")
        page.screenshot(path="/tmp/e2e-reports-summary.png", full_page=True)

        with page.expect_download() as info:
            page.get_by_role("link", name="Скачать XLSX").click()
        download = info.value
        assert download.suggested_filename.endswith(".xlsx")
        book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
        rows = [tuple(cell for cell in row if cell is not None) for row in book.active.iter_rows(values_only=True)]
        assert ("Сводная ведомость итоговых отметок: 5А класс",) in rows
        assert (1, "Алексеев Артём", 5, 5, 5, "отличник") in rows
        assert (4, "Егорова Жанна", 4, 2, 3, "неуспевающий") in rows
        assert (5, 5, 1, 1, 1, 1, 1, 1, "60,0 %", "40,0 %") in rows
    finally:
        context.close()
    assert errors == []
