"""Exports to the portal: the settings (one row), the claim that lets one exporter work at a time, the run history.

Times in this module are naive UTC (`utcnow()`): runs are planned in school time but compared
across processes and machines, so they are stored without the host's local zone.
"""

import datetime as dt
import re

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
    TimeField,
)

from app.clock import utcnow  # re-exported: the exports' code imports it from here
from app.db import BaseModel
from app.models.people import Staff
from app.models.school import SchoolYear

TRANSPORTS = (("directory", "каталог (папка выгрузки)"), ("http", "портал по HTTP"))
EXPORT_KINDS = (("daily", "ежедневная"), ("full", "полная"))
EXPORT_TRIGGERS = (
    ("schedule", "по расписанию"),
    ("manual", "вручную"),
    ("year_transition", "перевод учебного года"),
)
EXPORT_STATUSES = (
    ("queued", "в очереди"),
    ("running", "выполняется"),
    ("delivered", "доставлена"),
    ("failed", "ошибка"),
)
PENDING_STATUSES = ("queued", "running")
DEFAULT_HTTP_TIMEOUT = 300


class ExportSettings(BaseModel):
    """How and when exports go to the portal (R5.1); exactly one row."""

    audit_exclude = ("token",)

    enabled = BooleanField(default=True)
    # School time (Config.SCHOOL_TIMEZONE) of the daily export; the monthly full one goes at the same time.
    daily_time = TimeField(default=dt.time(20, 0))
    full_day = IntegerField(default=1)
    transport = CharField(max_length=10, choices=TRANSPORTS, default="directory")
    # Empty: <instance>/exports.
    directory = CharField(max_length=500, default="")
    portal_url = CharField(max_length=500, default="")
    # The portal's bearer token: write-only in the panel, never logged, never audited.
    token = CharField(max_length=500, default="")
    # Seconds to wait for the portal's answer, on top of HTTP_SECONDS_PER_MIB for each MiB of the
    # package: the portal checks a whole package before it answers (docs/export-format.en.md).
    http_timeout = IntegerField(default=DEFAULT_HTTP_TIMEOUT)
    http_retries = IntegerField(default=3)
    # Seconds before the first retry; each next wait doubles.
    http_retry_delay = FloatField(default=2.0)
    updated_at = DateTimeField(null=True)
    updated_by_name = CharField(max_length=300, default="")
    # Since when the schedule stands as it is (made, switched on, its time moved): a daily due
    # before this moment never had a chance to run, so it is not overdue.
    schedule_since = DateTimeField(default=utcnow)

    class Meta:
        table_name = "export_settings"

    def __str__(self):
        return "Настройки выгрузки на портал"

    @classmethod
    def load(cls) -> "ExportSettings":
        """Return the settings row (made by `flask db upgrade`), or unsaved defaults: reading never writes."""
        row = cls.select().order_by(cls.id).first()
        return row if row is not None else cls()

    @property
    def has_token(self) -> bool:
        return bool(self.token)


class ExportLock(BaseModel):
    """The claim of the one exporter allowed to build and send packages; it lapses at `until`."""

    id = IntegerField(primary_key=True)
    owner = CharField(max_length=200, null=True)
    until = DateTimeField(null=True)
    run_id = IntegerField(null=True)

    class Meta:
        table_name = "export_lock"

    def __str__(self):
        return self.owner or "свободно"


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_token(text: str, default: str) -> str:
    """Return text reduced to letters, digits, '-' and '_' (for file names and job ids)."""
    cleaned = _UNSAFE.sub("_", text or "").strip("_")
    return cleaned or default


class ExportRun(BaseModel):
    """One export: what was asked, by whom, how it went; committed before its job is enqueued."""

    kind = CharField(max_length=10, choices=EXPORT_KINDS)
    trigger = CharField(max_length=20, choices=EXPORT_TRIGGERS)
    # Planner key ("daily-20260914", "full-202609", "year-3"): one run per slot, however often it ticks.
    slot = CharField(max_length=40, null=True, unique=True)
    status = CharField(max_length=10, choices=EXPORT_STATUSES, default="queued", index=True)
    requested_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    requested_by_name = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    school_code = CharField(max_length=32, default="")
    # How this run is delivered, fixed when it is requested (the token is read from the settings).
    transport = CharField(max_length=10, choices=TRANSPORTS, default="directory")
    target = CharField(max_length=500, default="")
    # Where the package is built: the outbox for the directory transport, the spool for HTTP.
    package_dir = CharField(max_length=1000, default="")
    # The package file once built (a temporary name until the directory transport renames it).
    file_path = CharField(max_length=1000, default="")
    # Filled when the package is built: the school year and the change range it covers.
    year = ForeignKeyField(SchoolYear, null=True, backref="+", on_delete="SET NULL")
    year_name = CharField(max_length=20, default="")
    change_from = BigIntegerField(null=True)
    change_to = BigIntegerField(null=True)
    progress = BigIntegerField(default=0)
    total = BigIntegerField(default=0)
    records = BigIntegerField(null=True)
    counts = TextField(null=True)
    bytes = BigIntegerField(null=True)
    sha256 = CharField(max_length=64, null=True)
    attempts = IntegerField(default=0)
    error = TextField(null=True)
    # Why the run went out differently from how it was asked for (a daily sent as a full).
    note = CharField(max_length=500, default="")
    job_id = CharField(max_length=100, null=True)
    # The exporter working on the run; its writes check it, so a stale one cannot overwrite a newer one.
    claimed_by = CharField(max_length=200, null=True)

    class Meta:
        table_name = "export_run"
        indexes = ((("status", "id"), False), (("year", "status"), False))

    def __str__(self):
        return f"Выгрузка № {self.id} ({self.kind_label})"

    @property
    def package_id(self) -> str:
        """Return the package id: the same for every attempt of this run, unique across installs."""
        school = safe_token(self.school_code, "school")
        return f"ej-{school}-{self.kind}-{self.created_at:%Y%m%dT%H%M%SZ}-{self.id:06d}"

    @property
    def kind_label(self) -> str:
        return dict(EXPORT_KINDS).get(self.kind, self.kind)

    @property
    def trigger_label(self) -> str:
        return dict(EXPORT_TRIGGERS).get(self.trigger, self.trigger)

    @property
    def status_label(self) -> str:
        return dict(EXPORT_STATUSES).get(self.status, self.status)

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @classmethod
    def pending(cls):
        """Runs still to be done, oldest first."""
        return cls.select().where(cls.status.in_(PENDING_STATUSES)).order_by(cls.id)
