"""The transfer to a new school year («перевод учебного года», R5.3): one row per transfer done."""

import json

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.people import Staff
from app.models.school import SchoolYear


class YearTransition(BaseModel):
    """A transfer from one school year to the next: who did it, when, what it changed, its backup and export.

    One row per target year (unique): a second run towards the same year finds it and changes nothing.
    """

    from_year = ForeignKeyField(SchoolYear, backref="+")
    to_year = ForeignKeyField(SchoolYear, backref="+", unique=True)
    applied_by = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL")
    applied_by_name = CharField(max_length=300, default="")
    applied_at = DateTimeField(default=utcnow)
    # What the transfer did, as counts (JSON): classes, students moved, graduates, repeaters…
    summary = TextField(default="{}")
    # The backup taken before it (its name or path), empty when none could be taken.
    backup = CharField(max_length=1000, default="")
    export_run_id = IntegerField(null=True)

    class Meta:
        table_name = "year_transition"

    def __str__(self):
        return f"Перевод {self.from_year.name} → {self.to_year.name}"

    @property
    def counts(self) -> dict:
        return json.loads(self.summary or "{}")
