"""Backups of the whole database (issue 12, letter АП-147/07): one row per backup taken or tried."""

from peewee import BigIntegerField, CharField, DateTimeField, TextField

from app.clock import utcnow
from app.db import BaseModel

BACKUP_STATUSES = (
    ("running", "создаётся"),
    ("done", "готова"),
    ("failed", "ошибка"),
)
# Why a backup was taken; `Backup.reason` holds the code (or, from an unforeseen caller, its own text).
BACKUP_REASONS = (
    ("nightly", "ночная"),
    ("manual", "вручную"),
    ("year_transition", "перед переводом года"),
    ("before_restore", "перед восстановлением"),
    ("found", "найдена в папке копий"),
)


class Backup(BaseModel):
    """One backup file of the database under `<instance>/backups/`, with its checksum and manifest.

    `slot` is the nightly planner's key («nightly-20261204»): one nightly backup per night however
    often it ticks; it is cleared when that backup fails, so a later tick of the night may retry.
    """

    path = CharField(max_length=1000, default="")
    size = BigIntegerField(null=True)
    sha256 = CharField(max_length=64, null=True)
    engine = CharField(max_length=20)
    # The last applied migration of the database copied («016_year_archive»).
    schema = CharField(max_length=100, default="")
    reason = CharField(max_length=100)
    slot = CharField(max_length=40, null=True, unique=True)
    status = CharField(max_length=10, choices=BACKUP_STATUSES, default="running", index=True)
    requested_by_name = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    error = TextField(null=True)

    class Meta:
        table_name = "backup"

    def __str__(self):
        return f"Резервная копия № {self.id}"

    @property
    def status_label(self) -> str:
        return dict(BACKUP_STATUSES).get(self.status, self.status)

    @property
    def reason_label(self) -> str:
        return dict(BACKUP_REASONS).get(self.reason, self.reason)

    @property
    def file_name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]
