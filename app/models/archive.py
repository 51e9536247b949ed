"""The year's archive of the journal (issue 11, АП-147/07): one build per request, its files in a manifest."""

import json

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.people import Staff
from app.models.school import SchoolYear

ARCHIVE_STATUSES = (
    ("queued", "в очереди"),
    ("running", "формируется"),
    ("done", "готов"),
    ("failed", "ошибка"),
)


class ArchiveBuild(BaseModel):
    """One build of a school year's archive: a PDF per class and a manifest, under the instance folder.

    A rebuild is a new row; old builds and their files stay. `files` is the manifest's list of
    files (JSON) once built; `checked_at` and `check_problems` are the last «Проверить».
    """

    year = ForeignKeyField(SchoolYear, null=True, backref="+", on_delete="SET NULL")
    year_name = CharField(max_length=20)
    status = CharField(max_length=10, choices=ARCHIVE_STATUSES, default="queued", index=True)
    requested_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    requested_by_name = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    progress = IntegerField(default=0)
    total = IntegerField(default=0)
    directory = CharField(max_length=1000, default="")
    files = TextField(null=True)
    manifest_sha256 = CharField(max_length=64, null=True)
    error = TextField(null=True)
    job_id = CharField(max_length=100, null=True)
    checked_at = DateTimeField(null=True)
    check_problems = TextField(null=True)

    class Meta:
        table_name = "archive_build"

    def __str__(self):
        return f"Архив {self.year_name}, сборка № {self.id}"

    @property
    def status_label(self) -> str:
        return dict(ARCHIVE_STATUSES).get(self.status, self.status)

    @property
    def file_list(self) -> list[dict]:
        """The manifest's files: [{"class", "file", "size", "sha256", "pages", "journals"}, …] ([] before built)."""
        return json.loads(self.files) if self.files else []

    @property
    def problems(self) -> list[str] | None:
        """What the last check found ([] when all was in order), None when never checked."""
        return json.loads(self.check_problems) if self.check_problems is not None else None
