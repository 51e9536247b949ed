"""The audit trail: who changed what, when, from where, with values before and after."""

import json

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.people import Staff

AUDIT_ACTIONS = (
    ("create", "создание"),
    ("update", "изменение"),
    ("delete", "удаление"),
)
AUDIT_SOURCES = (
    ("panel", "панель"),
    ("cli", "командная строка"),
    ("system", "система"),
    ("import", "импорт из таблицы"),
)


class AuditEntry(BaseModel):
    """One change. Written by app/services/audit.py only; nobody edits it."""

    at = DateTimeField(default=utcnow)
    actor = ForeignKeyField(Staff, null=True, backref="+", on_delete="SET NULL", index=False)
    actor_name = CharField(max_length=300, default="")
    source = CharField(max_length=10, choices=AUDIT_SOURCES)
    action = CharField(max_length=40)
    model = CharField(max_length=60)
    object_id = CharField(max_length=64, null=True)
    object_repr = CharField(max_length=300, default="")
    before = TextField(null=True)
    after = TextField(null=True)

    class Meta:
        table_name = "audit_entry"
        # Newest first, whole or by person or by kind of record (migration 024, with the search's
        # text index, which only the migration makes); one record's history.
        indexes = (
            (("at", "id"), False),
            (("actor", "at"), False),
            (("model", "at"), False),
            (("model", "object_id"), False),
        )

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    @property
    def before_data(self) -> dict:
        return json.loads(self.before) if self.before else {}

    @property
    def after_data(self) -> dict:
        return json.loads(self.after) if self.after else {}
