"""Helpers of the export tests: settings as the administrator leaves them, reading packages."""

import gzip
import hashlib
import io
import secrets
from pathlib import Path

from rq import Queue, SimpleWorker

from app.models import ExportSettings, HomeworkFile, Lesson, SchoolSettings
from app.services.exports.builder import BuildResult, build_package
from app.services.exports.contents import Content, parse_contents
from app.services.journal_files import stored_path, upload_root
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


def attach_file(
    lesson, name: str, content: bytes, instance_path, content_type: str = "application/pdf"
) -> HomeworkFile:
    """Attach a homework file as an upload does: its bytes in the upload folder, its row with their sha256."""
    stored_name = secrets.token_hex(16)
    path = stored_path(upload_root(instance_path), stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return HomeworkFile.create(
        lesson=lesson,
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def stored_file(record: HomeworkFile, instance_path) -> Path:
    """Return where a homework file's bytes lie in the upload folder."""
    return stored_path(upload_root(instance_path), record.stored_name)


def build(out, instance_path, **options) -> tuple[BuildResult, list[Content]]:
    """Build a package into the binary file `out` (options as build_package's); return its result and content list."""
    listed = io.BytesIO()
    result = build_package(out, upload_root=upload_root(instance_path), contents_out=listed, **options)
    return result, parse_contents(listed.getvalue().splitlines())


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
