"""The `rq cron` schedule.

Started by `make run` (see Procfile) as exactly one process:
    rq cron workers/cron.py --url "$REDIS_URL"
`rq cron` reads local time (TZ=Europe/Moscow is set by the Procfile), does not catch up
missed runs and takes no lock, so only small, idempotent jobs are registered here; anything
that must not be missed reads its due state from the database.
"""

from rq import cron

from workers.maintenance import purge_login_attempts

cron.register(purge_login_attempts, queue_name="default", cron="17 3 * * *", job_timeout=300)
