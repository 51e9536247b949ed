"""Rows every installation needs, made after migrations and kept idempotent."""

from app.db import db
from app.models import ChangeCounter, ExportSettings, SchoolSettings, WorkType
from app.services import roles


def ensure_defaults() -> None:
    """Create the change counter, the settings rows and the built-in roles where missing."""
    with db.atomic():
        ChangeCounter.insert(id=1, value=0).on_conflict_ignore().execute()
        for model in (SchoolSettings, ExportSettings):
            if not model.select().exists():
                model.create()
        roles.sync_builtin()
        # Work types written by migrations (before the change counter existed, or before they were
        # exported) get their own change number, like every exported row; the next daily export
        # then sends their marks once more, which a receiver applies as plain upserts.
        for work_type in WorkType.select().where(WorkType.change_no == 0):
            work_type.save()
