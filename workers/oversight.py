"""The oversight's daily job: open the past month's e-diary checks on the 1st (R7.3)."""

from app.services import diary_check
from workers.context import job_context


def open_diary_checks(*, school: str) -> int:
    """Open the past month's e-diary check for everyone with a portal UID; return how many (idempotent)."""
    with job_context(school) as settings:
        return diary_check.open_monthly(settings.clock.today(), clock=settings.clock)
