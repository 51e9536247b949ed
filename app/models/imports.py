"""Imports from spreadsheets (issue 12): one row per uploaded file, its preview and its result."""

import json

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.people import Staff

IMPORT_STATUSES = (
    ("queued", "в очереди"),
    ("checking", "проверяется"),
    ("checked", "проверен"),
    ("applying", "применяется"),
    ("done", "применён"),
    ("failed", "ошибка"),
)


class ImportJob(BaseModel):
    """One uploaded spreadsheet of a kind (staff, classes…): its file, column mapping, preview and result.

    The file lives under `<instance>/imports/<id>/`; `mapping` is {heading: field code or ""},
    `preview` the last check's JSON (errors by row and column, the changes it would make).
    """

    kind = CharField(max_length=20, index=True)
    status = CharField(max_length=10, choices=IMPORT_STATUSES, default="queued", index=True)
    filename = CharField(max_length=255)
    stored_path = CharField(max_length=1000, default="")
    size = BigIntegerField(default=0)
    headings = TextField(null=True)
    mapping = TextField(null=True)
    preview = TextField(null=True)
    progress = IntegerField(default=0)
    total = IntegerField(default=0)
    error = TextField(null=True)
    job_id = CharField(max_length=100, null=True)
    requested_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    requested_by_name = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    applied_at = DateTimeField(null=True)

    class Meta:
        table_name = "import_job"

    def __str__(self):
        return f"Импорт № {self.id} ({self.filename})"

    @property
    def status_label(self) -> str:
        return dict(IMPORT_STATUSES).get(self.status, self.status)

    @property
    def heading_list(self) -> list[str]:
        return json.loads(self.headings) if self.headings else []

    @property
    def mapping_list(self) -> list[str | None]:
        """The field code chosen for each column ("" : not loaded; None: not known yet)."""
        return json.loads(self.mapping) if self.mapping else []

    @property
    def preview_data(self) -> dict | None:
        return json.loads(self.preview) if self.preview else None

    @property
    def busy(self) -> bool:
        return self.status in ("queued", "checking", "applying")
