"""Export runs: ask for one, hand it to a worker, do it (build, deliver), hand out its package.

A run is committed before its job is enqueued (a job finds it by id and returns quietly when it
is gone or done). Whoever holds the exporter's claim works through every pending run, oldest
first, so packages reach the portal in the order their change ranges were taken.

A delivery the portal may take later (no answer, 5xx, 408, 429) is not waited for inside the job:
the run goes back to the queue, the claim is kept for it (nothing newer overtakes it) and its job
is scheduled again after a back-off, or after the portal's Retry-After (`rq worker --with-scheduler`).
Every job carries the school's key (`settings.school`); the worker finds the database by it.
"""

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from peewee import IntegrityError, fn
from redis import Redis
from redis.exceptions import RedisError
from rq import Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from app import queue as app_queue
from app.db import db
from app.models import ExportRun, ExportSettings, SchoolSettings
from app.models.exports import EXPORT_KINDS, utcnow
from app.permissions import Perm
from app.services import access, audit
from app.services.errors import AccessDenied, DomainError
from app.services.exports import claim
from app.services.exports.builder import build_package, history_counts, recorded_counts
from app.services.exports.contents import ContentUnavailable, contents_path, explain, read_contents
from app.services.exports.errors import ClaimLost, DeliveryDeferred, ExportError, FullNeeded
from app.services.exports.transports import (
    DirectoryTransport,
    HttpTransport,
    backoff_seconds,
    fsync_directory,
    package_name,
    partial_files,
    temporary_name,
)
from app.services.journal_files import upload_root
from app.settings import Settings

JOB_FUNC = "workers.exports.run_export"
QUEUE_NAME = "exports"
JOB_TIMEOUT = 3 * 3600
# A job that fails outright (say, the database was unreachable when it started) is run again by RQ.
JOB_RETRIES = 3
JOB_RETRY_INTERVALS = [30, 120, 600]
# A run whose worker died this many times is given up (the next run covers its changes).
MAX_ATTEMPTS = 3
OUTBOX_DIRNAME = "exports"
SPOOL_DIRNAME = "export-spool"
_FINISHED_JOB = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}

log = logging.getLogger(__name__)


# --- asking for a run ----------------------------------------------------------------------


def _package_dir(settings: ExportSettings, instance_path) -> Path:
    if settings.transport == "http":
        return Path(instance_path) / SPOOL_DIRNAME
    return Path(settings.directory) if settings.directory else Path(instance_path) / OUTBOX_DIRNAME


def _requester_name(actor, source: str) -> str:
    if actor is not None:
        return actor.full_name
    return "командная строка" if source == "cli" else "система"


def create_run(
    kind: str, trigger: str, actor, *, instance_path, slot: str | None = None, source: str = "panel"
) -> ExportRun | None:
    """Record a run in the history (committed, audited); None when its slot is taken already."""
    if kind not in dict(EXPORT_KINDS):
        raise DomainError("Вид выгрузки: ежедневная или полная.", "kind")
    settings = ExportSettings.load()
    if settings.transport == "http" and not settings.portal_url:
        raise DomainError("Не указан адрес портала: заполните его в настройках выгрузки.", "portal_url")
    school = SchoolSettings.load()
    package_dir = _package_dir(settings, instance_path)
    if slot is not None and ExportRun.select().where(ExportRun.slot == slot).exists():
        return None
    try:
        with db.atomic():
            run = ExportRun.create(
                kind=kind,
                trigger=trigger,
                slot=slot,
                requested_by=actor.id if actor is not None else None,
                requested_by_name=_requester_name(actor, source),
                school_code=school.school_code,
                transport=settings.transport,
                target=settings.portal_url if settings.transport == "http" else str(package_dir),
                package_dir=str(package_dir),
            )
            audit.record(actor, "create", run, after=run.snapshot(), source=source)
    except IntegrityError:
        # Another planner tick took the same slot a moment ago.
        return None
    return run


def request_export(
    kind: str, actor, *, settings: Settings, trigger: str = "manual", source: str = "panel"
) -> ExportRun:
    """Ask for a daily or full export now (R5.2): record it, then hand it to a worker."""
    if actor is not None and not access.can(actor, Perm.EXPORTS_RUN):
        raise AccessDenied()
    waiting = ExportRun.pending().where(ExportRun.kind == kind).first()
    if waiting is not None:
        raise DomainError(f"{waiting} уже ждёт своей очереди ({waiting.status_label}); дождитесь её окончания.")
    run = create_run(kind, trigger, actor, instance_path=settings.instance_path, source=source)
    enqueue_run(run, settings=settings)
    return run


def request_full_export(
    trigger: str = "year_transition",
    actor=None,
    *,
    settings: Settings,
    source: str = "system",
    year_id: int | None = None,
) -> ExportRun:
    """Ask for a full export of the current school year, e.g. after the transfer to a new year (R5.3).

    Called more than once for the same year transition, it asks once (the slot "year-<id>").
    Inside an open transaction the job is not enqueued (it could run before the commit): the
    planner's next tick, within a minute, hands the run to a worker.
    """
    slot = f"year-{year_id}" if trigger == "year_transition" and year_id is not None else None
    run = create_run("full", trigger, actor, instance_path=settings.instance_path, slot=slot, source=source)
    if run is None:
        return ExportRun.get(ExportRun.slot == slot)
    enqueue_run(run, settings=settings)
    return run


# --- handing a run to a worker ----------------------------------------------------------------


def job_id_for(run: ExportRun) -> str:
    """Return the job id of a run's next attempt: letters, digits, '-' only, the same on every tick."""
    return f"export-run-{run.id}-{run.attempts}"


def _job_retry() -> Retry:
    return Retry(max=JOB_RETRIES, interval=JOB_RETRY_INTERVALS)


def _job_kwargs(settings: Settings, lease_seconds: float | None, **extra) -> dict:
    kwargs = {"school": settings.school, **extra}
    if lease_seconds is not None:
        kwargs["lease_seconds"] = lease_seconds
    return kwargs


def enqueue_run(
    run: ExportRun, *, settings: Settings, connection: Redis | None = None, lease_seconds: float | None = None
) -> str | None:
    """Enqueue the job of a run's next attempt (once); return its id, or None when it must wait for the planner.

    The job goes to `connection` (a job enqueueing into the Redis it came from) or to the settings' Redis.
    """
    if db.in_transaction():
        return None
    job_id = job_id_for(run)
    options = {
        "queue_name": QUEUE_NAME,
        "args": (run.id,),
        "kwargs": _job_kwargs(settings, lease_seconds),
        "job_id": job_id,
        "timeout": JOB_TIMEOUT,
        "retry": _job_retry(),
        "unique": True,
    }
    try:
        connection = connection if connection is not None else app_queue.connection(settings)
        try:
            app_queue.enqueue(JOB_FUNC, connection=connection, **options)
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                job = None
            # A finished job with the run still pending: its worker lost the race for the claim.
            if job is not None and job.get_status() not in _FINISHED_JOB:
                return job_id
            if job is not None:
                job.delete()
            app_queue.enqueue(JOB_FUNC, connection=connection, **options)
    except (RedisError, OSError, DuplicateJobError) as exc:
        # Redis is down or restarting: the run stays queued and the planner's tick enqueues it.
        log.warning("Export run %s not enqueued: %s", run.id, exc)
        return None
    ExportRun.update(job_id=job_id).where(ExportRun.id == run.id).execute()
    return job_id


def ensure_worker(*, settings: Settings, connection: Redis | None = None) -> str | None:
    """Give the oldest pending run a job unless a live exporter holds the claim (recovers lost jobs).

    A run waiting to retry its delivery keeps the claim until its retry is due: no job is added.
    """
    run = ExportRun.pending().first()
    if run is None or claim.held_by_someone():
        return None
    return enqueue_run(run, settings=settings, connection=connection)


# --- doing a run ----------------------------------------------------------------------------


def _upload_root(settings: Settings | None, instance_path) -> Path:
    """Return where the homework files' contents are read from: the uploads of the instance folder."""
    if instance_path is None:
        if settings is None:
            raise TypeError("process() needs the settings or the instance folder (its uploads hold homework files)")
        instance_path = settings.instance_path
    return upload_root(instance_path)


def _transport(run: ExportRun, settings: ExportSettings, beat: claim.Heartbeat):
    if run.transport == "http":

        def check_claim():
            if beat.lost:
                raise ClaimLost()

        return HttpTransport(run.target, settings.token, timeout=settings.http_timeout, on_attempt=check_claim)
    return DirectoryTransport(Path(run.package_dir))


def _update_claimed(run: ExportRun, owner: str, **values) -> None:
    """Write to a run only while it is still ours."""
    if ExportRun.update(**values).where((ExportRun.id == run.id) & (ExportRun.claimed_by == owner)).execute() != 1:
        raise ClaimLost()
    for name, value in values.items():
        setattr(run, name, value)


def _package_ids(run: ExportRun) -> set[str]:
    """Return every package id the run may have built under (a daily may have turned into a full)."""
    ids = {run.package_id}
    if run.kind == "full" and run.note:
        ids.add(run.package_id.replace("-full-", "-daily-", 1))
    return ids


def remove_partial_files(run: ExportRun) -> int:
    """Delete what killed attempts of a run left half-written in its directory; return how many files.

    The file the run has built and recorded (its `file_path`, once `sha256` is set) is kept: the
    next attempt delivers it as it is, with its content list (which has its final name by then).
    """
    keep = Path(run.file_path) if run.sha256 is not None and run.file_path else None
    removed = 0
    for package_id in _package_ids(run):
        for path in partial_files(Path(run.package_dir), package_id):
            if path != keep:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _build(run: ExportRun, owner: str, beat: claim.Heartbeat, on_progress, uploads: Path) -> None:
    try:
        _build_as_asked(run, owner, beat, on_progress, uploads)
    except FullNeeded as exc:
        # Nothing was delivered under this school code for this year, or the last package was of
        # another format version: the portal has nothing a daily could continue. The run goes out
        # as a full (a new package id: nothing was sent yet).
        _update_claimed(run, owner, kind="full", note=exc.reason)
        _build_as_asked(run, owner, beat, on_progress, uploads)


def _contents_temporary_name(package_id: str, owner: str) -> str:
    # Hidden and ending in .part like a package's own: remove_partial_files takes it too.
    return f".{package_id}.{owner}.files.part"


def _build_as_asked(run: ExportRun, owner: str, beat: claim.Heartbeat, on_progress, uploads: Path) -> None:
    """Build the run's package and, beside it, its content list; record them (the list is in place first)."""
    directory = Path(run.package_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / temporary_name(run.package_id, owner)
    listed = directory / _contents_temporary_name(run.package_id, owner)

    def progress(done, total):
        if beat.lost:
            raise ClaimLost()
        beat.progress = (done, total)
        if on_progress:
            on_progress(run, done, total)

    try:
        with open(path, "wb") as out, open(listed, "wb") as contents_out:
            result = build_package(
                out,
                kind=run.kind,
                package_id=run.package_id,
                generated_at=run.created_at,
                school_code=run.school_code,
                upload_root=uploads,
                contents_out=contents_out,
                on_progress=progress,
            )
            for written in (out, contents_out):
                written.flush()
                os.fsync(written.fileno())
        # The list takes its name before the build is recorded: a recorded package always has it.
        os.replace(listed, contents_path(directory, run.package_id))
        fsync_directory(directory)
    except BaseException:
        path.unlink(missing_ok=True)
        listed.unlink(missing_ok=True)
        raise
    if run.transport == "http":
        # The spool is ours alone: give the file its plain name for downloads.
        final = directory / package_name(run.package_id)
    else:
        final = path
    try:
        _update_claimed(
            run,
            owner,
            year=result.year_id,
            year_name=result.year_name,
            change_from=result.change_from,
            change_to=result.change_to,
            counts=history_counts(result),
            records=result.records,
            bytes=result.bytes,
            sha256=result.sha256,
            file_path=str(path),
            progress=result.records,
            total=result.records,
        )
    except ClaimLost:
        path.unlink(missing_ok=True)
        raise
    if final != path:
        os.replace(path, final)
        _update_claimed(run, owner, file_path=str(final))


@dataclass
class _RetryDue:
    """A run whose delivery is to be tried again: which try comes next, and after how many seconds."""

    run_id: int
    attempts: int
    delivery: int
    delay: float


def _hold_for_retry(run: ExportRun, owner: str, delivery: int, delay: float, problem: str, tries: int, clock):
    """Put a run whose delivery failed for now back in the queue, saying when it is tried again."""
    at = utcnow() + dt.timedelta(seconds=delay)
    _update_claimed(
        run,
        owner,
        status="queued",
        # Coming back for a retry is no interruption (MAX_ATTEMPTS counts killed attempts only).
        attempts=run.attempts - 1,
        error=f"Попытка доставки {delivery} из {tries} не удалась: {problem}. "
        f"Следующая попытка — {clock.format(at, with_seconds=True)}.",
    )
    return _RetryDue(run.id, run.attempts, delivery + 1, delay)


def _process_one(
    run: ExportRun,
    owner: str,
    beat: claim.Heartbeat,
    on_progress,
    uploads: Path,
    *,
    delivery: int = 1,
    settings=None,
) -> _RetryDue | None:
    started = utcnow()
    taken = (
        ExportRun.update(
            status="running",
            attempts=ExportRun.attempts + 1,
            started_at=fn.COALESCE(ExportRun.started_at, started),
            claimed_by=owner,
            error=None,
        )
        .where((ExportRun.id == run.id) & ExportRun.status.in_(("queued", "running")))
        .execute()
    )
    if not taken:
        return None
    run = ExportRun.get_by_id(run.id)
    beat.run_id, beat.progress = run.id, None
    claim.renew(owner, beat.lease_seconds, run.id)
    # An attempt before this one was killed mid-write: its half-written file goes now.
    remove_partial_files(run)
    if run.attempts > MAX_ATTEMPTS:
        _discard_undelivered(run)
        _update_claimed(
            run,
            owner,
            status="failed",
            finished_at=utcnow(),
            error=f"Выгрузка прерывалась {run.attempts - 1} раза (работник остановлен или перезапущен). "
            "Изменения не потеряны: они уйдут со следующей выгрузкой.",
        )
        return None
    export_settings = ExportSettings.load()
    try:
        if run.sha256 is None:
            _build(run, owner, beat, on_progress, uploads)
        built = Path(run.file_path)
        spooled = Path(run.package_dir) / package_name(run.package_id)
        if run.transport == "http" and not built.exists() and spooled.exists():
            # Stopped between giving the spooled file its plain name and recording that name.
            built = spooled
        contents = _contents_of(run)
        try:
            _transport(run, export_settings, beat).deliver(built, run.package_id, contents)
        except DeliveryDeferred as exc:
            tries = export_settings.http_retries + 1
            if settings is None or delivery >= tries:
                raise ExportError(
                    f"Пакет не доставлен после {delivery} попыток: {exc.problem}. "
                    "Изменения не потеряны: они уйдут со следующей выгрузкой."
                ) from None
            delay = backoff_seconds(delivery, export_settings.http_retry_delay, exc.retry_after)
            return _hold_for_retry(run, owner, delivery, delay, exc.problem, tries, settings.clock)
        if run.transport == "directory":
            run.file_path = str(DirectoryTransport(Path(run.package_dir)).final_path(run.package_id))
        _update_claimed(run, owner, status="delivered", finished_at=utcnow(), file_path=run.file_path, error=None)
        # Every content it names was delivered before it: the list has done its work.
        contents_path(Path(run.package_dir), run.package_id).unlink(missing_ok=True)
    except ClaimLost:
        raise
    except ExportError as exc:
        message = explain(exc) if isinstance(exc, ContentUnavailable) else exc.message
        _fail(run, owner, message)
    except Exception as exc:
        log.exception("Export run %s failed", run.id)
        _fail(run, owner, f"Внутренняя ошибка выгрузки: {type(exc).__name__}: {exc}")
    return None


def _contents_of(run: ExportRun) -> list:
    """Return the contents a run's built package names (its content list beside it), in the list's order."""
    listed = contents_path(Path(run.package_dir), run.package_id)
    if listed.exists():
        return read_contents(listed)
    if counts_of(run).get("homework_file", {}).get("upsert"):
        # Built before packages had content lists, or the list was removed by hand: nothing says
        # which contents to send first, and a package must never go without them.
        raise ExportError(
            f"Список файлов к домашним заданиям пакета {run.package_id} пропал: пакет нельзя отправить без них. "
            "Изменения не потеряны: они уйдут со следующей выгрузкой."
        )
    return []


def _discard_undelivered(run: ExportRun) -> None:
    """Remove what a run that will never be delivered leaves: its content list, a hidden package nobody can pick up.

    The HTTP spool's package keeps its plain name: it stays downloadable from the run's page.
    """
    contents_path(Path(run.package_dir), run.package_id).unlink(missing_ok=True)
    if run.file_path and Path(run.file_path).name.endswith(".part"):
        Path(run.file_path).unlink(missing_ok=True)


def _fail(run: ExportRun, owner: str, message: str) -> None:
    _update_claimed(run, owner, status="failed", finished_at=utcnow(), error=message)
    _discard_undelivered(run)


def _schedule_retry(due: _RetryDue, owner: str, lease_seconds: float, settings: Settings, connection) -> str | None:
    """Keep the claim for the waiting run and schedule its job after the back-off; return the job id."""
    # The job may start a little late: the reservation outlasts the wait by a lease.
    if not claim.reserve(owner, due.delay + lease_seconds, due.run_id):
        return None
    job_id = f"export-run-{due.run_id}-{due.attempts}-try-{due.delivery}"
    try:
        app_queue.enqueue(
            JOB_FUNC,
            settings=settings,
            connection=connection,
            queue_name=QUEUE_NAME,
            args=(due.run_id,),
            kwargs=_job_kwargs(settings, lease_seconds, delivery=due.delivery, owner=owner),
            job_id=job_id,
            timeout=JOB_TIMEOUT,
            retry=_job_retry(),
            delay=dt.timedelta(seconds=due.delay),
        )
    except (RedisError, OSError) as exc:
        # The reservation lapses on its own; then the planner's tick gives the run a job.
        log.warning("Retry of export run %s not scheduled: %s", due.run_id, exc)
        return None
    ExportRun.update(job_id=job_id).where(ExportRun.id == due.run_id).execute()
    return job_id


def process(
    run_id: int,
    *,
    settings: Settings | None = None,
    instance_path=None,
    connection: Redis | None = None,
    lease_seconds: float = claim.LEASE_SECONDS,
    on_progress: Callable[[ExportRun, int, int], None] | None = None,
    delivery: int = 1,
    owner: str | None = None,
) -> str:
    """Do a run (and every older pending one first) under the exporter's claim; return its status.

    Returns "gone" when the run no longer exists and "busy" when another exporter holds the
    claim: that one works through every pending run, this one included. With `settings`, a
    delivery the portal may take later is tried again by a job scheduled after a back-off (the
    run stays "queued" meanwhile, and `delivery`/`owner` are what that job comes back with);
    without them it fails at once. The homework files' contents are read from the uploads of
    `instance_path` (the settings' instance folder when not given).
    """
    uploads = _upload_root(settings, instance_path)
    run = ExportRun.get_or_none(ExportRun.id == run_id)
    if run is None:
        return "gone"
    if not run.is_pending:
        return run.status
    owner = owner or claim.new_owner()
    while True:
        if not claim.acquire(owner, lease_seconds):
            return "busy"
        due = None
        try:
            with claim.Heartbeat(owner, lease_seconds) as beat:
                while (pending := ExportRun.pending().first()) is not None:
                    try_number = delivery if pending.id == run_id else 1
                    due = _process_one(
                        pending, owner, beat, on_progress, uploads, delivery=try_number, settings=settings
                    )
                    if due is not None:
                        break
        except ClaimLost:
            log.warning("Export claim lost by %s; another exporter carries on", owner)
            claim.release(owner)
            return "busy"
        except BaseException:
            claim.release(owner)
            raise
        if due is not None:
            # The heartbeat has stopped: nothing renews the claim over the reservation now.
            _schedule_retry(due, owner, lease_seconds, settings, connection)
            break
        claim.release(owner)
        # A run may have arrived after our last look but before the release: look again.
        if not ExportRun.pending().exists():
            break
    run = ExportRun.get_or_none(ExportRun.id == run_id)
    return run.status if run else "gone"


# --- the package of a run -----------------------------------------------------------------


def package_for_download(run_id: int, actor) -> tuple[Path, str]:
    """Return a run's package file and its download name for someone allowed to run exports (audited)."""
    if not access.can(actor, Perm.EXPORTS_RUN):
        raise AccessDenied()
    run = ExportRun.get_or_none(ExportRun.id == run_id)
    if run is None:
        raise DomainError("Такой выгрузки нет.")
    path = Path(run.file_path) if run.file_path else None
    if run.sha256 is None or path is None or not path.is_file():
        raise DomainError(
            f"Файла пакета выгрузки № {run.id} нет: он не собран, удалён или уже забран порталом из каталога."
        )
    audit.record(actor, "download", run, after={"package_id": run.package_id, "sha256": run.sha256})
    return path, package_name(run.package_id)


def counts_of(run: ExportRun) -> dict:
    """Return a run's per-type counts ({} before it is built)."""
    return recorded_counts(run.counts)
