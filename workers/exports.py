"""Export jobs: do a run, and the planner's minute tick (thin: they call app.services.exports)."""

from rq import get_current_job

from app.config import Config
from app.services.exports import claim, planner, runs
from workers.context import job_database


def run_export(run_id: int, lease_seconds: float | None = None) -> str:
    """Build and deliver export run `run_id` (and any older pending one first); return its status."""
    with job_database():
        return runs.process(run_id, lease_seconds=lease_seconds or claim.LEASE_SECONDS)


def plan_exports(instance_path: str | None = None) -> int:
    """Record the exports that are due and give the oldest pending one a job; return how many runs were added."""
    job = get_current_job()
    with job_database():
        created = planner.tick(
            instance_path=instance_path or Config.INSTANCE_PATH,
            timezone=Config.SCHOOL_TIMEZONE,
            # Enqueue into the Redis this tick came from.
            connection=job.connection if job is not None else None,
            config=None if job is not None else {"REDIS_URL": Config.REDIS_URL, "INSTANCE_PATH": Config.INSTANCE_PATH},
        )
    return len(created)
