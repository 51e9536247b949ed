"""The Redis connection, the named queues and enqueue-by-dotted-name (DESIGN: services never import workers)."""

from flask import current_app
from redis import Redis
from rq import Queue, Retry

from app.config import Config
from app.embedded_redis import url_for_instance

QUEUES = ("exports", "default")


def redis_url(config=None) -> str:
    """Return the configured REDIS_URL, or the embedded Redis of the instance folder."""
    config = config if config is not None else current_app.config
    return config.get("REDIS_URL") or url_for_instance(config.get("INSTANCE_PATH", Config.INSTANCE_PATH))


def connection(config=None) -> Redis:
    """Return a Redis connection for RQ."""
    return Redis.from_url(redis_url(config))


def queue(name: str = "default", config=None) -> Queue:
    """Return one of the named queues."""
    if name not in QUEUES:
        raise ValueError(f"Unknown queue {name!r}")
    return Queue(name, connection=connection(config))


def enqueue(
    func_path: str,
    *args,
    queue_name: str = "default",
    job_id: str | None = None,
    timeout: int = 600,
    retries: int = 0,
    config=None,
    **kwargs,
):
    """Enqueue a job by its dotted name (e.g. "workers.exports.run_export") with a deterministic id."""
    retry = Retry(max=retries, interval=[10, 60, 300][:retries] or None) if retries else None
    return queue(queue_name, config).enqueue(
        func_path, *args, job_id=job_id, job_timeout=timeout, retry=retry, **kwargs
    )
