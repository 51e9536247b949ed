"""In a real browser: the administrator builds the year archive, checks it, and the head downloads a class's file.

The print tests' small school (tests/print/conftest.py): the administrator opens «Архив журналов»
from the menu, asks for 2026/2027 (CSRF on), a real RQ worker in burst mode builds it, the page
lists a PDF per class and the manifest; «Проверить» finds it in order. The head then downloads
5А's file, which is the PDF the manifest describes.
"""

import hashlib
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.models import ArchiveBuild
from tests.conftest import DEFAULT_PASSWORD
from tests.e2e.browser import log_in, log_out, open_menu_item
from tests.print.conftest import school, work  # noqa: F401 (the fixtures)

pytestmark = pytest.mark.e2e


def test_the_administrator_builds_and_checks_the_archive_and_the_head_downloads_it(page, school, work):  # noqa: F811
    log_in(page, school.admin.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Журнал", "Архив журналов")
    expect(page.locator("#no-builds")).to_be_visible()
    page.locator("#archive-build-form select").select_option(str(school.year.id))
    page.locator("#archive-build-form button[type=submit]").click()
    build = ArchiveBuild.get()
    expect(page.locator(f"#build-{build.id}")).to_contain_text("в очереди")

    work()
    page.reload()
    row = page.locator(f"#build-{build.id}")
    expect(row).to_contain_text("готов")
    expect(row.get_by_role("link", name="5А", exact=True)).to_be_visible()
    expect(row.get_by_role("link", name="6Б", exact=True)).to_be_visible()
    page.screenshot(path="/tmp/e2e-archive-built.png", full_page=True)
    row.get_by_role("button", name="Проверить").click()
    expect(page.get_by_text("Архив в порядке")).to_be_visible()
    log_out(page)

    log_in(page, school.head.login, DEFAULT_PASSWORD)
    open_menu_item(page, "Журнал", "Архив журналов")
    link = page.locator(f"#build-{build.id}").get_by_role("link", name="5А", exact=True)
    response = page.context.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    data = response.body()
    manifest = json.loads((Path(ArchiveBuild.get_by_id(build.id).directory) / "manifest.json").read_bytes())
    entry = next(f for f in manifest["files"] if f["class"] == "5А")
    assert data[:4] == b"%PDF" and hashlib.sha256(data).hexdigest() == entry["sha256"]
