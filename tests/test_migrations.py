"""Migrations build exactly the models' schema on an empty database, and roll all the way back."""

import datetime as dt
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from app import migrate
from app.db import db, init_db
from app.models import MODELS


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the suite's engine, bound to the proxy for this test."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        database = init_db(f"sqlite:///{tmp_path / 'empty.db'}")
        with database.connection_context():
            yield database
        return
    parts = urlsplit(url)
    name = f"ej_mig_{uuid.uuid4().hex[:8]}"
    admin = PostgresqlDatabase("postgres", host=parts.hostname, port=parts.port or 5432, user=parts.username)
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    try:
        database = init_db(urlunsplit(parts._replace(path=f"/{name}")))
        with database.connection_context():
            yield database
        database.close()
    finally:
        admin.execute_sql(f'DROP DATABASE "{name}"')
        admin.close()


def _schema(database):
    tables = {}
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name: c.null for c in database.get_columns(table)}
        indexes = {(tuple(i.columns), i.unique) for i in database.get_indexes(table)}
        tables[table] = (columns, indexes)
    return tables


def _expected(model):
    columns = {f.column_name: f.null for f in model._meta.sorted_fields}
    return columns


def test_upgrade_builds_every_model_table(empty_database):
    applied = migrate.upgrade()
    assert applied, "no migration was applied to an empty database"
    assert migrate.pending() == []
    schema = _schema(empty_database)
    for model in MODELS:
        columns, indexes = schema[model._meta.table_name]
        assert columns == _expected(model), model.__name__
        for fields, unique in model._meta.indexes:
            names = tuple(model._meta.fields[f].column_name for f in fields)
            assert (names, unique) in indexes, (model.__name__, names)
        for field in model._meta.sorted_fields:
            if field.unique:
                assert ((field.column_name,), True) in indexes, (model.__name__, field.name)
    # The change counter starts with its one row.
    assert empty_database.execute_sql("SELECT value FROM change_counter WHERE id = 1").fetchone() == (0,)


def test_rollback_removes_everything_and_upgrade_again(empty_database):
    applied = migrate.upgrade()
    undone = migrate.rollback(steps=len(applied))
    assert undone == list(reversed(applied))
    remaining = set(empty_database.get_tables()) - {"migratehistory"}
    assert remaining == set()
    assert migrate.upgrade() == applied


def test_cli_upgrade_and_rollback(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Применено миграций: 0" in result.output
    assert db.obj is not None


def test_later_migrations_roll_back_and_apply_again_on_a_school_with_data(empty_database):
    """A school's database (marks pointing at work types, and so on) survives rolling back and re-upgrading."""
    from app import demo
    from app.models import Mark, WorkType
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    counts = (Mark.select().count(), WorkType.select().count())
    applied = migrate.router().done
    later = [name for name in applied if name > "004"]
    assert migrate.rollback(len(later)) == list(reversed(later))
    assert migrate.upgrade() == later
    assert (Mark.select().count(), WorkType.select().count()) == counts
    if isinstance(empty_database, SqliteDatabase):
        assert empty_database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
