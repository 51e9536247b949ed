"""In a real browser: every role's pages run under the Content-Security-Policy with no violation and no
console error, and the behaviours that used to be inline handlers (confirmations, actions, print,
inline «add») still work from app/static/ejournal.js (issue 7, item 8)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from app import demo
from app.clock import app_clock
from app.models import Subject
from tests.e2e.browser import log_in

pytestmark = pytest.mark.e2e

# The administrator first: they reach the most kinds of pages; the others then open what is new to them.
ROLES = ("admin", "deputy", "head", "teacher", "classteacher")

# From each menu page, follow the first link of each kind: the pages a role works in.
FOLLOW = (
    r"/details/\?",
    r"/edit/\?",
    r"/new/\?",
    r"/journal/grid/\d+",
    r"/journal/print/\d+",
    r"/journal/finals/\d+",
    r"/journal/class-finals/\d+",
    r"/journal/lesson/\d+",
)
# Recorded before any page script runs; Playwright's init scripts are not subject to the page's CSP.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(
    e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber
  );
});
window.print = function () { window.__printed = true; };
"""


class Watch:
    """Console errors, uncaught page errors and CSP violations of one browser page."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: uncaught {exc}"))

    def _console(self, message):
        # The browser asks for /favicon.ico on its own; the site has none (a 404, not a page's fault).
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: console {message.type}: {message.text}")

    def visit(self, url: str) -> None:
        """Open url, check it answered with our CSP and ran without a violation."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, f"{url} answered {response and response.status}"
        csp = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, f"{url} has no CSP: {csp!r}"
        self.check()

    def check(self) -> None:
        violations = self.page.evaluate("window.__violations || []")
        self.problems.extend(f"{self.page.url}: CSP {v}" for v in violations)
        assert not self.problems, "\n".join(self.problems)


def _same_site_links(page, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if href.startswith(base) and parts.path not in ("", "#"):
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            if url not in found:
                found.append(url)
    return found


def _kind(role: str, url: str):
    """Return which kind of page a URL shows, whatever the record (/student/edit/?id=3 → /student/edit/).

    The journal's pages and the home page differ by role (editable or not, own lessons): per role.
    """
    path = re.sub(r"/\d+", "/N", urlsplit(url).path)
    if path == "/" or path.startswith("/journal/"):
        return (role, path)
    # Details pages share one template with no form in it: one of them stands for all.
    return "details" if path.endswith("/details/") else path


def test_every_page_of_every_role_runs_under_the_csp_without_errors(app, page, live_server):
    demo.seed("small", today=app_clock(app).today(), hash_method=app.config["PASSWORD_HASH_METHOD"])
    watch = Watch(page)
    watch.visit("/login")
    kinds = set()
    for role in ROLES:
        log_in(page, role, demo.DEMO_PASSWORD)
        watch.check()
        # Each role's menu, and from each menu page the first link of each kind not yet opened.
        menu = _same_site_links(page, live_server, "nav.navbar a[href]")
        assert len(menu) >= 2, (role, menu)
        for url in menu:
            if _kind(role, url) in kinds:
                continue
            watch.visit(url)
            kinds.add(_kind(role, url))
            links = _same_site_links(page, live_server, "a[href]")
            for pattern in FOLLOW:
                target = next((x for x in links if re.search(pattern, x) and _kind(role, x) not in kinds), None)
                if target:
                    kinds.add(_kind(role, target))
                    watch.visit(target)
        page.context.clear_cookies()
    # Record pages (details, edit, create) and each teacher's journal pages were reached, not just menus.
    assert "details" in kinds and len([k for k in kinds if re.search("/(edit|new)/$", str(k))]) > 30, sorted(
        map(str, kinds)
    )
    for role in ("teacher", "classteacher"):
        assert {(role, "/journal/grid/N/N"), (role, "/journal/lesson/N")} <= kinds, sorted(map(str, kinds))


def test_former_inline_handlers_still_work(app, page, live_server):
    demo.seed("small", today=app_clock(app).today(), hash_method=app.config["PASSWORD_HASH_METHOD"])
    watch = Watch(page)
    log_in(page, "admin", demo.DEMO_PASSWORD)
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    # A row's delete button asks first; dismissed, nothing is deleted.
    subjects = Subject.select().count()
    watch.visit("/subject/")
    page.locator("form[data-confirm] button").first.click()
    expect(page).to_have_url(re.compile(r"/subject/"))
    assert dialogs and "удалить" in dialogs[-1].lower(), dialogs
    assert Subject.select().count() == subjects
    watch.check()

    # «С выбранными» → «Удалить» asks its own question through Flask-Admin's actions script.
    page.locator("input.action-checkbox").first.check()
    page.get_by_role("button", name="С выбранными").click()
    page.locator("[data-model-action='delete']").click()
    assert dialogs[-1] == "Удалить выбранные записи?", dialogs
    assert Subject.select().count() == subjects

    # The full export asks before anything is queued.
    watch.visit("/exportrun/")
    page.locator("#run-full").click()
    assert "полную выгрузку" in dialogs[-1], dialogs
    expect(page).to_have_url(re.compile(r"/exportrun/$"))

    # A student's guardians: «Добавить» under the inline list adds a blank guardian link.
    watch.visit("/student/")
    page.locator("a.icon[href*='/student/edit/']").first.click()
    page.wait_for_load_state("load")
    before = page.locator(".inline-field-list > .inline-field").count()
    page.locator("[data-inline-add]").first.click()
    expect(page.locator(".inline-field-list > .inline-field")).to_have_count(before + 1)
    watch.check()

    # An application's form offers only the guardians linked to the chosen student (app/static/applications.js).
    watch.visit("/diaryapplication/new/")
    links = page.evaluate("JSON.parse(document.getElementById('guardian-links').textContent)")
    student, linked = min(links.items(), key=lambda item: len(item[1]))
    page.evaluate("id => window.jQuery('#student').val(id).trigger('change')", student)
    offered = page.eval_on_selector_all("#guardian option", "options => options.map(o => o.value)")
    assert sorted(v for v in offered if v not in ("", "__None")) == sorted(g for g, _ in linked)
    if len(linked) == 1:  # the only guardian is chosen, and the relation comes from the link
        assert page.locator("#guardian").input_value() == linked[0][0]
        assert page.locator("#relation").input_value() == linked[0][1]
    watch.check()

    # The print page's «Печать» prints; «назад» goes back.
    watch.visit("/journal/")
    page.locator("a[href*='/journal/grid/']").first.click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Печать по месяцам").click()
    page.locator("a[href*='/journal/print/']").first.click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Печать").click()
    assert page.evaluate("window.__printed === true")
    page.get_by_role("link", name=re.compile("назад")).click()
    expect(page).to_have_url(re.compile(r"/journal/grid/"))
    watch.check()
