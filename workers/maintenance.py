"""Housekeeping jobs."""

from app.services import auth
from workers.context import job_database


def purge_login_attempts() -> int:
    """Delete login attempts older than the retention period; return how many."""
    with job_database():
        return auth.purge_login_attempts()
