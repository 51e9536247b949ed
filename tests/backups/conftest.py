"""The small demo school for the backups' tests, and the helpers that compare the whole journal."""

import datetime as dt

import pytest

from app import demo
from app.db import db
from app.models import MODELS, AuditEntry, Backup, Staff
from app.settings import app_settings

TODAY = dt.date(2026, 11, 29)
# The stored instants the tests run at (naive UTC): 22:30 UTC is 01:30 in Moscow, a night.
NIGHT = dt.datetime(2026, 12, 3, 22, 30)
DAY = dt.datetime(2026, 12, 4, 9, 0)
# Tables a restore itself writes afterwards: the backups read from the folder and the restore's audit line.
RESTORE_WRITES = {Backup, AuditEntry}


@pytest.fixture
def small(app):
    """The small demo school as of TODAY (marks, absences, plans, finals)."""
    return demo.seed("small", today=TODAY, hash_method=app.config["PASSWORD_HASH_METHOD"])


@pytest.fixture
def settings(app):
    return app_settings(app)


@pytest.fixture
def admin(small):
    return Staff.get(Staff.login == "admin")


def snapshot() -> dict[str, tuple[int, list]]:
    """Every table's row count and all its rows in id order (the journal as it is), the restore's own tables apart."""
    state = {}
    for model in MODELS:
        if model in RESTORE_WRITES:
            continue
        table = model._meta.table_name
        pk = model._meta.primary_key.column_name
        rows = db.execute_sql(f"SELECT * FROM {table} ORDER BY {pk}").fetchall()
        state[table] = (len(rows), [tuple(r) for r in rows])
    return state


def counts() -> dict[str, int]:
    return {table: count for table, (count, _rows) in snapshot().items()}
