"""Helpers of the export tests: settings as the administrator leaves them, reading packages."""

import gzip
from pathlib import Path

from rq import Queue, SimpleWorker

from app.models import ExportSettings, Lesson, SchoolSettings
from tests.exports.receiver import read_lines

SCHOOL_CODE = "spb-0042"
TOKEN = "portal-token-123"


def set_school(name: str = "ГБОУ школа № 42", code: str = SCHOOL_CODE) -> SchoolSettings:
    """Fill in the school's settings row (made by `flask db upgrade`)."""
    settings = SchoolSettings.load()
    settings.name, settings.school_code = name, code
    settings.save()
    return settings


def make_lesson(journal, teacher, day, number=1, **values) -> Lesson:
    """Create a lesson of a journal through save (it takes a change number, as planning does)."""
    return Lesson.create(journal=journal, date=day, number=number, planned_teacher=teacher, teacher=teacher, **values)


def use_directory(path: Path) -> ExportSettings:
    """Deliver into a directory (the settings as the administrator would leave them)."""
    settings = ExportSettings.load()
    settings.transport, settings.directory = "directory", str(path)
    settings.save()
    return settings


def use_portal(url: str, *, retries: int = 1, retry_delay: float = 0.01, timeout: int = 2) -> ExportSettings:
    """Deliver to the receiver over HTTP, with quick retries so the tests stay fast."""
    settings = ExportSettings.load()
    settings.transport, settings.portal_url, settings.token = "http", url, TOKEN
    settings.http_retries, settings.http_retry_delay, settings.http_timeout = retries, retry_delay, timeout
    settings.save()
    return settings


def package_lines(path) -> list[dict]:
    """Read a package file, checking it against the schema and the format's rules."""
    return read_lines(Path(path).read_bytes())


def records_of(lines) -> list[tuple]:
    """Return (type, op, id) of a package's record lines."""
    return [(line["type"], line["op"], line["id"]) for line in lines[1:-1]]


def decompress(path) -> bytes:
    return gzip.decompress(Path(path).read_bytes())


class BurstWorker(SimpleWorker):
    """RQ's in-process worker without the command channel (kill/stop messages), which nothing here sends.

    Leaving that pub/sub thread out saves up to a second per burst: RQ waits for it to notice
    the unsubscribe. Jobs still go through real Redis queues and RQ's own execution.
    """

    def subscribe(self):
        self.pubsub_thread = None


def run_scheduled_now(queue_names, connection) -> int:
    """Enqueue every job waiting in the queues' scheduled registries now, as if its time had come; return how many."""
    moved = 0
    for name in queue_names:
        queue = Queue(name, connection=connection)
        registry = queue.scheduled_job_registry
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            registry.remove(job_id)
            if job is not None:
                queue.enqueue_job(job)
                moved += 1
    return moved
