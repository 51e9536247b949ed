"""Housekeeping jobs."""

from app.db import refresh_statistics
from app.services import auth
from workers.context import job_context


def purge_login_attempts(*, school: str) -> int:
    """Delete login attempts older than the retention period; return how many."""
    with job_context(school):
        return auth.purge_login_attempts()


def refresh_database_statistics(*, school: str) -> None:
    """Re-read the tables' statistics the query planner picks indexes by (the data grows every day)."""
    with job_context(school):
        refresh_statistics()
