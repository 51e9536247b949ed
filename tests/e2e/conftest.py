"""Browser tests: the real app on a live local server, driven by Playwright in Debian's chromium.

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium.
Without it they are skipped with a loud notice; with EJOURNAL_REQUIRE_BROWSER=1 (set by
.ci/run) a missing browser fails the run instead.
"""

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path(os.environ.get("EJOURNAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--lang=ru-RU",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A Russian browser: its own words and the date inputs (ДД.ММ.ГГГГ) as a school's computer shows them
# (with Debian's chromium-l10n). Not LANG: without that locale installed, chromium would then mangle
# non-ASCII file names in uploads and downloads.
CHROMIUM_ENV = {"LANGUAGE": "ru"}
MISSING = (
    f"browser tests need Debian's chromium at {CHROMIUM}, which is missing: `apt-get install chromium` enables them"
)
_skipped_for_browser = []


def _browser_required() -> bool:
    return os.environ.get("EJOURNAL_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session (skipped, or failed when required, without it)."""
    if not CHROMIUM.exists():
        if _browser_required():
            pytest.fail(f"EJOURNAL_REQUIRE_BROWSER=1 but {MISSING}.", pytrace=False)
        _skipped_for_browser.append(True)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # headless=False: Playwright would add its own --headless; ours asks for the new mode.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=False, env={**os.environ, **CHROMIUM_ENV}
        )
        yield chromium
        chromium.close()


class _QuietHandler(WSGIRequestHandler):
    # One log line per asset request would bury a failure's report.
    def log_request(self, *args, **kwargs):
        pass

    def handle(self):
        # Count open connections, so the server can wait for them before the test's app goes away.
        with self.server.idle:
            self.server.busy += 1
        try:
            super().handle()
        finally:
            with self.server.idle:
                self.server.busy -= 1
                self.server.idle.notify_all()


def _closing(app):
    """Wrap a WSGI app so every response body is closed, even on a connection the browser dropped.

    werkzeug's development server closes the body after reading what is left on the socket; on
    a dropped connection that read raises first, and a static file's handle is left to the
    garbage collector (a ResourceWarning, an error under our filterwarnings). This generator
    closes the body in its own `finally`, when it finishes or is collected.
    """

    def wrapped(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return wrapped


@contextmanager
def serving(app):
    """Serve an app on a free local port in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True, request_handler=_QuietHandler)
    server.busy, server.idle = 0, threading.Condition()
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        # A request the browser left in flight (an asset of the last page) finishes while the
        # test's database still exists, instead of failing half-way and leaking its open file.
        with server.idle:
            server.idle.wait_for(lambda: server.busy == 0, timeout=10)
        server.server_close()
        thread.join(10)


def new_page(browser, base_url: str):
    """Open a fresh browser context (no cookies) and return a page whose relative URLs go to base_url."""
    context = browser.new_context(base_url=base_url, locale="ru-RU", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    return context.new_page()


@pytest.fixture
def live_server(app):
    """Serve this test's app (its own fresh database) on a free local port, CSRF on as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    with serving(app) as url:
        yield url


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) with a page whose relative URLs go to the live server."""
    page = new_page(browser, live_server)
    yield page
    page.context.close()


def pytest_collection_modifyitems(items):
    """Mark every test under tests/e2e as a browser test, so `pytest -m e2e` finds them all."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter):
    """Say loudly, at the end of the run, that browser tests did not run."""
    if _skipped_for_browser:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(MISSING + " (EJOURNAL_REQUIRE_BROWSER=1 turns this into a failure).", red=True)
