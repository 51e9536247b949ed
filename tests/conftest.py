"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with DATABASE_URL), real Redis, logged-in clients."""

import os
import re
import shutil
import subprocess
import time

import pytest
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


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Migrate once per session: a template SQLite file, or the PostgreSQL database itself."""
    url = os.environ.get("DATABASE_URL")
    if url:

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


@pytest.fixture
def app(database_url, redis_url, tmp_path):
    """The application bound to this test's database."""

    class Config(TestConfig):
        DATABASE_URL = database_url
        REDIS_URL = redis_url
        INSTANCE_PATH = tmp_path / "instance"

    application = create_app(Config)
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


def form_errors(html: str) -> list[str]:
    """Return the error messages shown on a page (flash alerts and field feedback)."""
    found = re.findall(
        r'<div class="(?:alert alert-danger|invalid-feedback|help-block form-text text-danger)[^"]*"[^>]*>(.*?)</div>',
        html,
        re.S,
    )
    texts = [re.sub(r"<[^>]+>|&times;", "", f) for f in found]
    return [" ".join(t.split()) for t in texts if t.strip()]
