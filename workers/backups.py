"""The nightly backup's tick (thin: app.services.backups)."""

from app.services import backups
from workers.context import job_context


def backup_tick(*, school: str) -> int | None:
    """Take the night's backup of the database when it is due and prune old ones; return its id, or None."""
    with job_context(school) as settings:
        backup = backups.nightly_tick(now=settings.clock.utcnow(), settings=settings)
        return backup.id if backup is not None else None
