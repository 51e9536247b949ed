"""Housekeeping jobs."""

from app.services import auth
from workers.context import job_context


def purge_login_attempts(*, school: str) -> int:
    """Delete login attempts older than the retention period; return how many."""
    with job_context(school):
        return auth.purge_login_attempts()
