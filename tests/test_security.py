"""Security headers on every response, a CSP the templates satisfy, and the trusted-proxy setting (issue 7)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import TestConfig
from app.db import db
from app.models import LoginAttempt
from tests.conftest import DEFAULT_PASSWORD, BrowserLikeClient, login

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "app" / "templates"
STATIC = ROOT / "app" / "static"


def assert_secure(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[\w-]{16,}'(;|$)", csp), csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "object-src 'none'" in csp and "base-uri 'self'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Not no-referrer: over HTTPS Flask-WTF refuses a form post whose Referer is missing.
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    response.close()


def test_headers_on_pages_redirects_errors_and_static_files(client, make_staff):
    assert_secure(client.get("/login"))
    assert_secure(client.get("/"))  # a redirect to the login page
    assert_secure(client.get("/no-such-page"))
    assert_secure(client.get("/static/ejournal.js"))
    assert_secure(client.get("/static/admin/vendor/jquery.min.js"))
    make_staff("admin", roles=["admin"])
    assert login(client, "admin").status_code == 302
    assert_secure(client.get("/"))
    assert_secure(client.get("/staff/"))
    assert_secure(client.get("/staff/edit/?id=999999"))
    assert_secure(client.post("/logout"))


def test_headers_on_a_server_error(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does instead of raising into the test

    @app.route("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert_secure(response)


def test_each_page_has_its_own_nonce_and_its_inline_scripts_carry_it(client, make_staff):
    make_staff("admin", roles=["admin"])
    login(client, "admin")
    nonces = set()
    for url in ("/", "/staff/", "/diaryapplication/new/"):
        response = client.get(url)
        assert response.status_code == 200, url
        nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"]).group(1)
        nonces.add(nonce)
        html = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" in tag or 'type="application/json"' in tag:
                continue
            assert f'nonce="{nonce}"' in tag, f"{url}: inline script without this page's nonce: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"{url} has an inline event handler"
    assert len(nonces) == 3


INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
JAVASCRIPT_URL = re.compile(r"""href\s*=\s*["']\s*javascript:(?!void\(0\))""", re.I)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)(?![^>]*admin_csp_nonce_attribute)[^>]*>")


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_carry_no_inline_script(path):
    text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)  # comments aside
    assert not INLINE_HANDLER.search(text), f"{path}: an inline event handler (use app/static/ejournal.js)"
    assert not JAVASCRIPT_URL.search(text), f"{path}: a javascript: link"
    assert not INLINE_SCRIPT.search(text), f"{path}: an inline <script> without the CSP nonce"


def test_static_scripts_do_not_need_eval():
    for path in STATIC.rglob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|setTimeout\(\s*[\"']", text), path


# --- the trusted proxies ----------------------------------------------------------------------


@pytest.fixture
def proxied_app(database_url, redis_url, tmp_path):
    """The application as deployed behind one reverse proxy (TRUSTED_PROXIES=1)."""

    class Config(TestConfig):
        DATABASE_URL = database_url
        REDIS_URL = redis_url
        INSTANCE_PATH = tmp_path / "instance"
        TRUSTED_PROXIES = 1

    application = create_app(Config)
    application.test_client_class = BrowserLikeClient
    with db.connection_context():
        yield application


def _post_login(client, forwarded_for: str, password="wrong-pass-1"):
    return client.post(
        "/login",
        data={"login": "petrov", "password": password},
        # Over HTTPS (the proxy says so), Flask-WTF wants the same-site Referer a browser sends.
        headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https", "Referer": "https://localhost/login"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},  # the proxy
    )


def test_behind_a_trusted_proxy_each_client_has_its_own_address(proxied_app):
    from app.services import staff as staff_service

    staff_service.create_staff(
        None, login="petrov", last_name="Петров", first_name="Пётр", password=DEFAULT_PASSWORD, source="system"
    )
    client = proxied_app.test_client()
    # The client spoofs an address in front of ours; only the proxy's own entry (the last) counts.
    for _ in range(proxied_app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(client, "192.0.2.1, 203.0.113.7").status_code == 401
    assert _post_login(client, "203.0.113.7", DEFAULT_PASSWORD).status_code == 429
    # Another user behind the same proxy is not slowed by the first one's failures.
    assert _post_login(proxied_app.test_client(), "198.51.100.20", DEFAULT_PASSWORD).status_code == 302
    addresses = {a.address for a in LoginAttempt.select()}
    assert addresses == {"203.0.113.7", "198.51.100.20"}


def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, make_staff):
    make_staff("petrov")
    _post_login(client, "203.0.113.7")
    assert LoginAttempt.get().address == "10.0.0.2"


@pytest.mark.parametrize(("value", "expected"), [(None, "0"), ("2", "2")])
def test_the_setting_is_read_from_the_environment(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXIES"}
    if value is not None:
        env["TRUSTED_PROXIES"] = value
    out = subprocess.run(
        [sys.executable, "-c", "from app.config import Config; print(Config.TRUSTED_PROXIES)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected


def test_a_nul_character_is_refused_before_anything_is_written(client, login_as):
    """PostgreSQL cannot store NUL in text: every form, query and JSON body with one gets a Russian 400."""
    from app.models import Student

    login_as("admin")
    form = client.get("/student/new/")
    assert form.status_code == 200
    response = client.post("/student/new/", data={"last_name": "Иван\x00ов", "first_name": "Пётр"})
    assert response.status_code == 400
    assert "недопустимый символ" in response.get_data(as_text=True)
    assert Student.select().count() == 0
    assert client.get("/student/?search=%00").status_code == 400
    api = client.post("/journal/api/marks", data='{"value": "5\\u0000"}', content_type="application/json")
    assert api.status_code == 400 and "недопустимый символ" in api.get_json()["error"]
