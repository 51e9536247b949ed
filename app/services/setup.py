"""Rows every installation needs, made after migrations and kept idempotent."""

from app.db import db
from app.models import ChangeCounter, ExportSettings, SchoolSettings
from app.services import roles


def ensure_defaults() -> None:
    """Create the change counter, the settings rows and the built-in roles where missing."""
    with db.atomic():
        ChangeCounter.insert(id=1, value=0).on_conflict_ignore().execute()
        for model in (SchoolSettings, ExportSettings):
            if not model.select().exists():
                model.create()
        roles.sync_builtin()
