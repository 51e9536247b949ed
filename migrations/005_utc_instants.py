"""One clock: instants written before this migration in server-local time become naive UTC.

Until now marks, lessons, files, the audit, applications, staff, login attempts and tombstones
stored the server process's local wall time (Europe/Moscow under `make run`), while the export
tables stored naive UTC. From now on every instant is naive UTC (app/clock.py). The old values
are shifted by the UTC offset of the zone they were written in: `EJOURNAL_STORED_TZ` when set,
else the school's zone (`SCHOOL_TIMEZONE`, default Europe/Moscow, which has had one fixed
offset since 2014). Rolling back shifts them back by the same offset.
"""

import os

import peewee as pw
from peewee_migrate import Migrator

from app.clock import SchoolClock

# (table, column) of every instant that was stored in local time.
COLUMNS = (
    ("staff", "created_at"),
    ("login_attempt", "at"),
    ("audit_entry", "at"),
    ("lesson", "updated_at"),
    ("mark", "created_at"),
    ("homework_file", "uploaded_at"),
    ("diary_application", "created_at"),
    ("diary_application", "updated_at"),
    ("tombstone", "deleted_at"),
)


def _offset_seconds() -> int:
    zone = os.environ.get("EJOURNAL_STORED_TZ") or os.environ.get("SCHOOL_TIMEZONE") or "Europe/Moscow"
    return int(SchoolClock(zone).now().utcoffset().total_seconds())


def _shift(migrator: Migrator, database: pw.Database, seconds: int) -> None:
    if seconds == 0:
        return
    for table, column in COLUMNS:
        if isinstance(database, pw.SqliteDatabase):
            # peewee keeps SQLite datetimes as text; keep the text form it reads back.
            expression = f"strftime('%Y-%m-%d %H:%M:%f', {column}, '{seconds:+d} seconds')"
        else:
            expression = f"{column} + interval '{seconds} seconds'"
        migrator.sql(f"UPDATE {table} SET {column} = {expression} WHERE {column} IS NOT NULL")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Shift local-time instants to UTC."""
    _shift(migrator, database, -_offset_seconds())


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Shift UTC instants back to the local time they were written in."""
    _shift(migrator, database, _offset_seconds())
