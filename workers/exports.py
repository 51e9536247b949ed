"""Export jobs: do a run, and the planner's minute tick (thin: they call app.services.exports).

Every job names its school (`school`, the key in `app.settings`); whatever a job enqueues goes to
the Redis it came from.
"""

from rq import get_current_job

from app.services.exports import claim, planner, runs
from workers.context import job_context


def _job_connection():
    job = get_current_job()
    return job.connection if job is not None else None


def run_export(
    run_id: int, *, school: str, lease_seconds: float | None = None, delivery: int = 1, owner: str | None = None
) -> str:
    """Build and deliver export run `run_id` (and any older pending one first); return its status.

    `delivery` and `owner` come with a job scheduled to retry a delivery: which try it is, and the
    claim kept for it.
    """
    with job_context(school) as settings:
        return runs.process(
            run_id,
            settings=settings,
            connection=_job_connection(),
            lease_seconds=lease_seconds or claim.LEASE_SECONDS,
            delivery=delivery,
            owner=owner,
        )


def plan_exports(*, school: str) -> int:
    """Record the exports that are due and give the oldest pending one a job; return how many runs were added."""
    with job_context(school) as settings:
        created = planner.tick(settings=settings, connection=_job_connection())
    return len(created)
