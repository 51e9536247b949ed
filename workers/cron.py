"""The `rq cron` schedule.

Started by `make run` (see Procfile) as exactly one process:
    rq cron workers/cron.py --url "$REDIS_URL"
`rq cron` reads local time (TZ=Europe/Moscow is set by the Procfile), does not catch up
missed runs and takes no lock, so only small, idempotent jobs are registered here; anything
that must not be missed reads its due state from the database.

The export planner ticks every minute: it reads the export settings and history, records the
daily and monthly exports that are due (catching up what was missed) and enqueues them with
deterministic job ids. A tick left waiting in the queue for over a minute is dropped (`ttl`):
the next one does the same work.

On the 1st (and each morning after, so a missed day is caught up) the past month's e-diary
checks are opened for everyone with a portal UID (R7.3).

The backup tick runs every ten minutes and decides from the backups' table: the night's backup
(01:00–06:00 school time, one per night by its slot), or at any hour when the last good one is
over 36 hours old (a server switched off at night); it then prunes by the school's retention.

The schedule is read once, when `rq cron` starts: each school the settings name gets its own
jobs, carrying its key.
"""

from rq import cron

from app.settings import Settings
from workers.backups import backup_tick
from workers.exports import plan_exports
from workers.maintenance import purge_login_attempts, refresh_database_statistics
from workers.oversight import open_diary_checks

for school in Settings.from_env().schools:
    job = {"school": school}
    cron.register(purge_login_attempts, queue_name="default", kwargs=job, cron="17 3 * * *", job_timeout=300)
    cron.register(refresh_database_statistics, queue_name="default", kwargs=job, cron="37 3 * * *", job_timeout=600)
    # Daily, not only on the 1st: a day the worker was down is caught up the next morning.
    cron.register(open_diary_checks, queue_name="default", kwargs=job, cron="10 6 * * *", job_timeout=300)
    # A long backup may outlast the next tick: the tick itself skips while one is recent.
    cron.register(backup_tick, queue_name="default", kwargs=job, cron="*/10 * * * *", job_timeout=4 * 3600, ttl=300)
    cron.register(plan_exports, queue_name="default", kwargs=job, cron="* * * * *", job_timeout=120, ttl=90)
