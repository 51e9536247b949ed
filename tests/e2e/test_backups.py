"""In a real browser: the administrator sees backups overdue, takes one now, downloads it; the head sees none of it.

The home page's red alert says there is no backup; «Школа → Резервные копии» (from the menu),
«Создать копию сейчас» (a POST with its CSRF token) takes one in the request; the list shows it
«готова» with its checksum, the download is that very file, and the home page then shows the
last backup without an alert.
"""

import hashlib

import pytest
from playwright.sync_api import expect

from app.models import Backup
from tests.backups.test_pages import installed_days_ago
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import guide_shot, log_in, log_out, open_menu_item

pytestmark = pytest.mark.e2e


def test_the_administrator_takes_a_backup_now_and_downloads_it(app, page, make_staff):
    admin = make_staff("backup-admin", roles=["admin"])
    head = make_staff("backup-head", roles=["head"])
    installed_days_ago(app, 2)  # a school installed two days ago and never backed up
    log_in(page, admin.login, DEFAULT_PASSWORD)
    expect(page.locator("#backup-overdue")).to_contain_text("Резервных копий базы данных ещё нет")
    page.screenshot(path="/tmp/e2e-backups-overdue.png", full_page=True)

    open_menu_item(page, "Школа", "Резервные копии")
    expect(page.locator("#no-backups")).to_be_visible()
    expect(page.locator("#restore-note")).to_contain_text("только из командной строки")
    page.get_by_role("button", name="Создать копию сейчас").click()
    expect(page.get_by_text("Резервная копия № 1 готова")).to_be_visible()
    backup = Backup.get()
    row = page.locator(f"#backup-{backup.id}")
    expect(row).to_contain_text("готова")
    expect(row).to_contain_text("вручную")
    expect(row).to_contain_text(backup.sha256)
    expect(page.locator("#backup-overdue")).to_have_count(0)
    page.screenshot(path="/tmp/e2e-backups-taken.png", full_page=True)
    guide_shot(page, "admin-backups")

    href = row.get_by_role("link", name=backup.file_name).get_attribute("href")
    response = page.context.request.get(href)
    assert response.status == 200 and hashlib.sha256(response.body()).hexdigest() == backup.sha256

    page.goto("/")
    expect(page.locator("#backup-last")).to_contain_text("Последняя резервная копия:")
    expect(page.locator("#backup-overdue")).to_have_count(0)
    log_out(page)

    log_in(page, head.login, DEFAULT_PASSWORD)
    expect(page.locator("#home-backups")).to_have_count(0)
    expect(page.locator("nav.navbar").get_by_role("link", name="Резервные копии", exact=True)).to_have_count(0)
    assert page.context.request.get(href).status == 403
