"""Housekeeping jobs."""

from app.db import refresh_statistics
from app.models import SchoolSettings
from app.services import privacy
from workers.context import job_context


def apply_retention(*, school: str) -> dict:
    """Apply the school's retention periods: old login attempts deleted, old personal values of the audit blanked."""
    with job_context(school) as settings:
        result = privacy.apply_retention(SchoolSettings.load(), now=settings.clock.utcnow())
        return {"login_attempts": result.login_attempts, "audit_entries": result.audit_entries}


def refresh_database_statistics(*, school: str) -> None:
    """Re-read the tables' statistics the query planner picks indexes by (the data grows every day)."""
    with job_context(school):
        refresh_statistics()
