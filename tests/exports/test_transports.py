"""Delivery: the directory's atomic write and HTTP's token, gzip, idempotency key, timeouts, refusals; retries
through the queue with back-off and the portal's Retry-After, never by sleeping in the job."""

import datetime as dt
import email.utils
import logging
import time
from pathlib import Path

import pytest
from rq import Queue

from app.clock import from_stored, utcnow
from app.models import ExportRun
from app.services import exports
from app.services.exports import claim, runs
from app.services.exports.builder import build_package
from app.services.exports.errors import DeliveryDeferred, ExportError
from app.services.exports.transports import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    DirectoryTransport,
    HttpTransport,
    backoff_seconds,
    retry_after_seconds,
)
from tests.exports.helpers import SCHOOL_CODE, TOKEN, package_lines, use_portal
from tests.exports.journal_state import differences, journal_state


@pytest.fixture
def package(school, tmp_path):
    """A real package file and its id."""
    path = tmp_path / "built.ndjson.gz"
    with open(path, "wb") as out:
        build_package(
            out,
            kind="full",
            package_id="ej-test-full-1",
            generated_at=dt.datetime(2026, 9, 5, 17),
            school_code=SCHOOL_CODE,
        )
    return path, "ej-test-full-1"


def transport(receiver, **options):
    return HttpTransport(receiver.url, TOKEN, **{"timeout": 2, **options})


def scheduled(redis_conn) -> dict:
    """Return the jobs waiting for their time in the exports queue: id → when (aware UTC)."""
    registry = Queue("exports", connection=redis_conn).scheduled_job_registry
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def test_a_post_carries_the_token_gzip_and_the_idempotency_key(school, portal, instance_path):
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id) == "delivered"
    run = ExportRun.get_by_id(run.id)
    (request,) = portal.requests
    headers = request["headers"]
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/x-ndjson"
    assert headers["idempotency-key"] == run.package_id
    assert int(headers["content-length"]) == run.bytes == request["size"]
    assert portal.applied == [run.package_id]
    # The package stays in the spool for downloads, under its plain name.
    assert Path(run.file_path) == Path(instance_path) / "export-spool" / f"{run.package_id}.ndjson.gz"
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_transport_tries_once_and_never_sleeps(package, receiver):
    path, package_id = package
    receiver.mode = "error500"
    with pytest.raises(DeliveryDeferred) as later:
        transport(receiver).deliver(path, package_id)
    assert "HTTP 500" in later.value.problem and later.value.retry_after is None
    assert len(receiver.requests) == 1 and receiver.applied == []
    receiver.down()
    with pytest.raises(DeliveryDeferred, match="портал не ответил"):
        transport(receiver).deliver(path, package_id)


@pytest.mark.parametrize("status", [503, 429, 408])
def test_busy_answers_are_worth_a_retry_and_carry_the_portals_wait(package, receiver, status):
    path, package_id = package
    receiver.mode, receiver.busy_status, receiver.retry_after = "busy", status, "17"
    with pytest.raises(DeliveryDeferred) as later:
        transport(receiver).deliver(path, package_id)
    assert f"HTTP {status}" in later.value.problem and later.value.retry_after == 17


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_other_4xx_answers_are_final(package, receiver, status):
    path, package_id = package
    receiver.mode, receiver.reject_status = "reject", status
    with pytest.raises(ExportError) as failure:
        transport(receiver).deliver(path, package_id)
    assert not isinstance(failure.value, DeliveryDeferred) and f"HTTP {status}" in failure.value.message


def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped():
    now = dt.datetime(2026, 9, 14, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Mon, 14 Sep 2026 12:02:30 GMT", now) == 150
    assert retry_after_seconds("Mon, 14 Sep 2026 11:00:00 GMT", now) == 0, "a moment gone means now"
    assert retry_after_seconds("999999", now) == MAX_RETRY_AFTER
    assert retry_after_seconds("Tue, 15 Sep 2026 12:00:00 GMT", now) == MAX_RETRY_AFTER
    for unreadable in (None, "", "soon", "-5", "1.5"):
        assert retry_after_seconds(unreadable, now) is None
    # Our own back-off doubles up to its cap; the portal's wait, when given, decides.
    assert [backoff_seconds(n, 2.0) for n in (1, 2, 3, 7)] == [2.0, 4.0, 8.0, MAX_BACKOFF]
    assert backoff_seconds(1, 2.0, retry_after=300) == 300


def test_a_5xx_run_waits_for_its_retry_in_the_queue_not_in_the_job(
    app, school, portal, instance_path, redis_conn, work, settings
):
    use_portal(portal.url, retries=3, retry_delay=30)
    portal.fail_next = 2
    run = exports.request_export("full", None, settings=settings)
    before = from_stored(utcnow())
    work(fast_forward=False)
    waiting = ExportRun.get_by_id(run.id)
    # The job ended at once; the run is back in the queue with the reason and the next try's time.
    assert waiting.status == "queued" and waiting.attempts == 0 and len(portal.requests) == 1
    assert "Попытка доставки 1 из 4" in waiting.error and "HTTP 500" in waiting.error
    (job_id, when) = next(iter(scheduled(redis_conn).items()))
    assert waiting.job_id == job_id == f"export-run-{run.id}-0-try-2"
    assert before + dt.timedelta(seconds=29) <= when <= from_stored(utcnow()) + dt.timedelta(seconds=31)
    # Meanwhile the claim is kept for it: the planner's tick adds no job and nothing newer goes first.
    assert claim.held_by_someone() and runs.ensure_worker(settings=settings) is None
    newer = exports.request_export("daily", None, settings=settings)
    work(fast_forward=False)
    assert ExportRun.get_by_id(newer.id).status == "queued" and len(portal.requests) == 1
    work()  # the back-off is over: the second try fails again and waits twice as long; the third goes
    run, newer = ExportRun.get_by_id(run.id), ExportRun.get_by_id(newer.id)
    assert run.status == newer.status == "delivered" and run.error is None and run.attempts == 1
    assert len(portal.requests) == 4 and portal.applied == [run.package_id, newer.package_id]
    assert portal.apply_counts[run.package_id] == 1


def test_retries_are_bounded(app, school, portal, instance_path, redis_conn, work, settings):
    use_portal(portal.url, retries=2, retry_delay=0.01)
    portal.mode = "error500"
    run = exports.request_export("full", None, settings=settings)
    work()
    run = ExportRun.get_by_id(run.id)
    assert run.status == "failed" and "после 3 попыток" in run.error and "HTTP 500" in run.error
    assert len(portal.requests) == 3 and portal.applied == [] and not claim.held_by_someone()
    assert scheduled(redis_conn) == {}


@pytest.mark.parametrize(("status", "header", "seconds"), [(503, "120", 120), (429, None, None), (408, "5", 5)])
def test_the_portals_retry_after_is_respected(
    app, school, portal, instance_path, redis_conn, work, settings, status, header, seconds
):
    use_portal(portal.url, retries=1, retry_delay=7)
    portal.mode, portal.busy_status = "busy", status
    portal.retry_after = header
    run = exports.request_export("daily", None, settings=settings)
    before = from_stored(utcnow())
    work(fast_forward=False)
    wait = seconds if seconds is not None else 7  # without a Retry-After, our own back-off
    (when,) = scheduled(redis_conn).values()
    assert before + dt.timedelta(seconds=wait - 1) <= when <= from_stored(utcnow()) + dt.timedelta(seconds=wait + 1)
    assert ExportRun.get_by_id(run.id).status == "queued"
    portal.mode = "ok"
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered" and len(portal.requests) == 2


def test_a_retry_after_as_an_http_date_is_respected(app, school, portal, instance_path, redis_conn, work, settings):
    use_portal(portal.url, retries=1)
    portal.mode = "busy"
    portal.retry_after = email.utils.format_datetime(from_stored(utcnow()) + dt.timedelta(minutes=10), usegmt=True)
    exports.request_export("daily", None, settings=settings)
    before = from_stored(utcnow())
    work(fast_forward=False)
    (when,) = scheduled(redis_conn).values()
    assert before + dt.timedelta(seconds=590) <= when <= before + dt.timedelta(seconds=602)


def test_a_portal_that_is_down_is_retried_until_it_is_back(app, school, portal, instance_path, work, settings):
    use_portal(portal.url, retries=3, retry_delay=0.01)
    portal.down()
    run = exports.request_export("full", None, settings=settings)
    work(fast_forward=False)
    assert "портал не ответил" in ExportRun.get_by_id(run.id).error
    portal.up()
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered" and portal.applied == [run.package_id]


def test_a_portal_that_stays_down_fails_the_delivery(app, school, portal, instance_path, work, settings):
    use_portal(portal.url, retries=1, retry_delay=0.01)
    portal.down()
    run = exports.request_export("full", None, settings=settings)
    work()
    run = ExportRun.get_by_id(run.id)
    assert run.status == "failed" and "после 2 попыток" in run.error and "портал не ответил" in run.error


def test_without_a_queue_to_come_back_through_a_deferred_delivery_fails_at_once(school, portal, instance_path):
    portal.fail_next = 1
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(run.id) == "failed"
    assert "после 1 попыток" in ExportRun.get_by_id(run.id).error and not claim.held_by_someone()


def test_a_timeout_is_retried_and_the_portal_applies_the_package_once(package, receiver):
    path, package_id = package
    receiver.mode, receiver.slow_seconds = "slow", 1.5
    with pytest.raises(DeliveryDeferred, match="портал не ответил"):
        transport(receiver, timeout=0.5).deliver(path, package_id)
    receiver.mode = "ok"
    transport(receiver, timeout=0.5).deliver(path, package_id)
    time.sleep(1.6)  # the first, slow request finishes on the portal's side too
    assert len(receiver.requests) == 2
    assert receiver.apply_counts[package_id] == 1 and receiver.duplicates == 1


def test_a_4xx_fails_at_once_with_the_portal_text(package, receiver):
    path, package_id = package
    receiver.mode = "reject"
    with pytest.raises(ExportError) as failure:
        transport(receiver).deliver(path, package_id)
    assert "HTTP 422" in failure.value.message and "Неизвестный код школы" in failure.value.message
    assert len(receiver.requests) == 1


def test_a_wrong_token_is_refused_and_never_shown(package, receiver, caplog):
    path, package_id = package
    secret = "very-secret-token-value"
    with caplog.at_level(logging.DEBUG), pytest.raises(ExportError) as failure:
        HttpTransport(receiver.url, secret).deliver(path, package_id)
    assert "HTTP 401" in failure.value.message
    assert secret not in failure.value.message and secret not in caplog.text
    assert secret not in repr(HttpTransport(receiver.url, secret))


def test_a_4xx_run_fails_and_keeps_the_portal_answer(school, portal, instance_path):
    portal.mode, portal.reject_status = "reject", 400
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(run.id) == "failed"
    run = ExportRun.get_by_id(run.id)
    assert "HTTP 400" in run.error and "Неизвестный код школы" in run.error
    assert run.finished_at is not None and run.attempts == 1


def test_the_directory_sees_a_package_only_when_it_is_complete(school, outbox, instance_path):
    seen = []

    def look(current, done, total):
        seen.append(sorted(p.name for p in outbox.iterdir()))

    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    runs.process(run.id, on_progress=look)
    run = ExportRun.get_by_id(run.id)
    assert seen and all(len(names) == 1 and names[0].startswith(".") and names[0].endswith(".part") for names in seen)
    assert sorted(p.name for p in outbox.iterdir()) == [f"{run.package_id}.ndjson.gz"]
    package_lines(run.file_path)


def test_a_build_that_breaks_leaves_nothing_behind(school, outbox, instance_path):
    def explode(current, done, total):
        raise RuntimeError("disk full")

    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, on_progress=explode) == "failed"
    run = ExportRun.get_by_id(run.id)
    assert "disk full" in run.error and run.sha256 is None
    assert list(outbox.iterdir()) == []


def test_the_directory_transport_refuses_when_the_built_file_vanished(tmp_path):
    with pytest.raises(ExportError):
        DirectoryTransport(tmp_path).deliver(tmp_path / ".gone.part", "gone")
