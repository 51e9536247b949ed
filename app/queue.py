"""The Redis connection, the named queues and the one `enqueue` every caller goes through (DESIGN: by dotted name).

Nothing here reads Flask or the environment: the caller passes its `app.settings.Settings` (or, in a
job, the connection the job came from, so whatever it enqueues lands in the same Redis).
"""

import datetime as dt
from collections.abc import Mapping

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from app.embedded_redis import url_for_instance

QUEUES = ("exports", "default")


def redis_url(config: Mapping) -> str:
    """Return a config mapping's REDIS_URL, or the embedded Redis of its instance folder."""
    return config.get("REDIS_URL") or url_for_instance(config["INSTANCE_PATH"])


def connection(settings) -> Redis:
    """Return a Redis connection for RQ from the settings."""
    return Redis.from_url(settings.redis_url)


def queue(name: str = "default", settings=None, *, connection: Redis | None = None) -> Queue:
    """Return one of the named queues, on `connection` or on the settings' Redis."""
    if name not in QUEUES:
        raise ValueError(f"Unknown queue {name!r}")
    if connection is None:
        if settings is None:
            raise ValueError("queue() needs the settings or a Redis connection")
        connection = Redis.from_url(settings.redis_url)
    return Queue(name, connection=connection)


def enqueue(
    func_path: str,
    *,
    settings=None,
    connection: Redis | None = None,
    args: tuple = (),
    kwargs: dict | None = None,
    queue_name: str = "default",
    job_id: str | None = None,
    timeout: int = 600,
    retry: Retry | None = None,
    unique: bool = False,
    delay: dt.timedelta | None = None,
) -> Job:
    """Enqueue a job by its dotted name (e.g. "workers.exports.run_export"), now or after `delay`.

    `job_id` is deterministic (letters, digits, '-', '_'); `unique=True` refuses a second job with
    the same id while the first is queued (RQ raises DuplicateJobError). A job given `retry` is
    retried by RQ after a failure, and one given `delay` waits in the scheduled registry: both need
    `rq worker --with-scheduler` (the Procfile's worker).
    """
    target = queue(queue_name, settings, connection=connection)
    options = {"args": args, "kwargs": kwargs or {}, "job_id": job_id, "job_timeout": timeout, "retry": retry}
    if delay is not None:
        return target.enqueue_in(delay, func_path, **options)
    return target.enqueue(func_path, unique=unique, **options)
