"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with DATABASE_URL), real Redis, logged-in clients."""

import os
import re
import shutil
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient
from peewee import PostgresqlDatabase
from redis import Redis

from app import create_app
from app.config import TestConfig
from app.db import db, init_db
from app.models import MODELS, Staff
from app.services import setup
from app.services import staff as staff_service

DEFAULT_PASSWORD = "Пароль2026"


def _migrate(url: str) -> None:
    from app import migrate

    database = init_db(url)
    with database.connection_context():
        migrate.upgrade()
        setup.ensure_defaults()


def _xdist_worker() -> int | None:
    """The number of this pytest-xdist worker (gw3 → 3), or None when the suite runs in one process."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else None


def _worker_database_url(url: str) -> str:
    """Give each xdist worker a PostgreSQL database of its own, beside the one DATABASE_URL names."""
    worker = _xdist_worker()
    if worker is None:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_gw{worker}"
    admin = PostgresqlDatabase("postgres", host=parts.hostname, port=parts.port or 5432, user=parts.username)
    with admin.connection_context():
        if not admin.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute_sql(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or the PostgreSQL database itself."""
    url = os.environ.get("DATABASE_URL")
    if url:
        url = _worker_database_url(url)
        database = init_db(url)
        with database.connection_context():
            # Start from an empty schema, whatever a previous run left behind.
            database.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        _migrate(url)
        return {"url": url, "engine": "postgres"}
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    if not db.obj.is_closed():
        db.obj.close()
    return {"path": path, "engine": "sqlite"}


def _reset_postgres(url: str) -> None:
    database = init_db(url)
    with database.connection_context():
        tables = ", ".join(m._meta.table_name for m in MODELS)
        database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        setup.ensure_defaults()


@pytest.fixture
def database_url(template_db, tmp_path):
    """A fresh, migrated database for this test."""
    if template_db["engine"] == "postgres":
        _reset_postgres(template_db["url"])
        return template_db["url"]
    path = tmp_path / "test.db"
    shutil.copyfile(template_db["path"], path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: REDIS_URL when given, else a private embedded redis-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        # Each xdist worker flushes its own database: jobs and queues of one never meet another's.
        worker = _xdist_worker()
        if worker is not None:
            parts = urlsplit(url)
            base = int(parts.path.lstrip("/") or 0)
            url = urlunsplit(parts._replace(path=f"/{(base + worker) % 16}"))
        yield url
        return
    from app.embedded_redis import server_command, url_for_instance

    instance = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(server_command(instance), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = url_for_instance(instance)
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            break
        except Exception:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def redis_conn(redis_url):
    """A connection to the test Redis, emptied before the test."""
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    return conn


_TOKEN_IN_PAGE = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<meta[^>]*name="csrf-token"[^>]*content="([^"]+)"'
)
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class BrowserLikeClient(FlaskClient):
    """A test client that sends CSRF tokens the way a browser does: taken from a page of its session.

    CSRF stays on in the suite (CONVENTIONS 15a). When a test posts without a token, the client
    first loads a page of the site (the same URL when it answers GET, else the home page or the
    login page) and takes the token that page renders, then sends it as the form field
    `csrf_token`, or as the `X-CSRFToken` header for JSON. A token is reused while the session's
    CSRF secret stays the same (logging in or out starts a new one). `csrf=False` sends none.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._csrf = (None, None)

    def open(self, *args, csrf=True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in _UNSAFE and args and isinstance(args[0], str) and not self._carries_token(kwargs):
            self._add_token(args[0], kwargs)
        return super().open(*args, **kwargs)

    @staticmethod
    def _carries_token(kwargs) -> bool:
        headers = kwargs.get("headers") or {}
        data = kwargs.get("data")
        return "X-CSRFToken" in headers or (
            hasattr(data, "__contains__") and not isinstance(data, (str, bytes)) and "csrf_token" in data
        )

    def _session_secret(self):
        if self._cookies is None or not self._cookies:
            return None
        with self.session_transaction() as sess:
            return sess.get("csrf_token")

    def _fetch_token(self, url: str) -> str | None:
        path = url.split("?", 1)[0]
        for candidate in (url, path, "/", "/login"):
            response = self.get(candidate)
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            found = _TOKEN_IN_PAGE.search(html)
            if found:
                return found.group(1) or found.group(2)
        return None

    def _add_token(self, url: str, kwargs) -> None:
        secret, token = self._csrf
        if token is None or secret is None or secret != self._session_secret():
            token = self._fetch_token(url)
            self._csrf = (self._session_secret(), token)
        if token is None:
            return
        if (
            "json" in kwargs
            or "json" in (kwargs.get("content_type") or "")
            or isinstance(kwargs.get("data"), (str, bytes))
        ):
            kwargs["headers"] = {**dict(kwargs.get("headers") or {}), "X-CSRFToken": token}
            return
        data = kwargs.get("data")
        if data is None:
            kwargs["data"] = {"csrf_token": token}
        elif hasattr(data, "add") and hasattr(data, "getlist"):
            data = data.copy()
            data.add("csrf_token", token)
            kwargs["data"] = data
        else:
            kwargs["data"] = {**data, "csrf_token": token}


@pytest.fixture
def app(database_url, redis_url, tmp_path):
    """The application bound to this test's database."""

    class Config(TestConfig):
        DATABASE_URL = database_url
        REDIS_URL = redis_url
        INSTANCE_PATH = tmp_path / "instance"

    application = create_app(Config)
    application.test_client_class = BrowserLikeClient
    with db.connection_context():
        yield application
    if not db.obj.is_closed():
        db.obj.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_staff(app):
    """Create a staff member: make_staff("ivanova", roles=["teacher"])."""
    counter = {"n": 0}

    def _make(login=None, roles=(), password=DEFAULT_PASSWORD, **names) -> Staff:
        counter["n"] += 1
        return staff_service.create_staff(
            None,
            login=login or f"user{counter['n']}",
            last_name=names.get("last_name", "Иванова"),
            first_name=names.get("first_name", "Мария"),
            middle_name=names.get("middle_name", "Петровна"),
            password=password,
            role_codes=list(roles),
            source="system",
            hash_method=app.config["PASSWORD_HASH_METHOD"],
        )

    return _make


def login(client, login_name, password=DEFAULT_PASSWORD):
    """Log in through the real login form; return the response."""
    return client.post("/login", data={"login": login_name, "password": password})


@pytest.fixture
def login_as(client, make_staff):
    """Create a staff member with roles and log the client in as them."""

    def _login_as(*role_codes, login_name=None, **names) -> Staff:
        staff = make_staff(login_name, roles=role_codes, **names)
        response = login(client, staff.login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return staff

    return _login_as


@pytest.fixture
def as_user(app):
    """Return a fresh client logged in as the given staff member (through the login form)."""

    def _as(staff):
        client = app.test_client()
        response = login(client, staff.login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _as


def form_errors(html: str) -> list[str]:
    """Return the error messages shown on a page (flash alerts and field feedback)."""
    found = re.findall(
        r'<div class="(?:alert alert-danger|invalid-feedback|help-block form-text text-danger)[^"]*"[^>]*>(.*?)</div>',
        html,
        re.S,
    )
    texts = [re.sub(r"<[^>]+>|&times;", "", f) for f in found]
    return [" ".join(t.split()) for t in texts if t.strip()]
