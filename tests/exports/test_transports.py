"""Delivery: the directory's atomic write and HTTP's token, gzip, idempotency key, timeouts, refusals; retries
through the queue with back-off and the portal's Retry-After, never by sleeping in the job; the homework files'
contents delivered before their package, once, checked, and a clear failure when one is lost."""

import datetime as dt
import email.utils
import hashlib
import http.client
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from rq import Queue

from app.clock import from_stored, utcnow
from app.models import ExportRun
from app.services import exports
from app.services.exports import claim, runs
from app.services.exports.contents import contents_path
from app.services.exports.errors import DeliveryDeferred, ExportError
from app.services.exports.transports import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    DirectoryTransport,
    HttpTransport,
    backoff_seconds,
    retry_after_seconds,
)
from tests.exports.helpers import (
    SCHOOL_CODE,
    TOKEN,
    attach_file,
    build,
    package_lines,
    stored_file,
    use_portal,
)
from tests.exports.journal_state import differences, journal_state
from tests.exports.receiver import ReferenceReceiver


@pytest.fixture
def built(school, tmp_path, instance_path):
    """A real full package file, its id and its content list (the school's homework file)."""
    path = tmp_path / "built.ndjson.gz"
    with open(path, "wb") as out:
        _, contents = build(
            out,
            instance_path,
            kind="full",
            package_id="ej-test-full-1",
            generated_at=dt.datetime(2026, 9, 5, 17),
            school_code=SCHOOL_CODE,
        )
    return SimpleNamespace(path=path, package_id="ej-test-full-1", contents=contents)


@pytest.fixture
def package(built):
    """A real package file, its id and its content list."""
    return built.path, built.package_id, built.contents


def transport(receiver, **options):
    return HttpTransport(receiver.url, TOKEN, **{"timeout": 2, **options})


def scheduled(redis_conn) -> dict:
    """Return the jobs waiting for their time in the exports queue: id → when (aware UTC)."""
    registry = Queue("exports", connection=redis_conn).scheduled_job_registry
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def test_a_post_carries_the_token_gzip_and_the_idempotency_key(school, portal, instance_path):
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
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
    path, package_id, contents = package
    receiver.mode = "error500"
    with pytest.raises(DeliveryDeferred) as later:
        transport(receiver).deliver(path, package_id, contents)
    assert "HTTP 500" in later.value.problem and later.value.retry_after is None
    assert len(receiver.requests) == 1 and receiver.applied == []
    receiver.down()
    with pytest.raises(DeliveryDeferred, match="портал не ответил"):
        transport(receiver).deliver(path, package_id, contents)


@pytest.mark.parametrize("status", [503, 429, 408])
def test_busy_answers_are_worth_a_retry_and_carry_the_portals_wait(package, receiver, status):
    path, package_id, contents = package
    receiver.mode, receiver.busy_status, receiver.retry_after = "busy", status, "17"
    with pytest.raises(DeliveryDeferred) as later:
        transport(receiver).deliver(path, package_id, contents)
    assert f"HTTP {status}" in later.value.problem and later.value.retry_after == 17


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_other_4xx_answers_are_final(package, receiver, status):
    path, package_id, contents = package
    receiver.mode, receiver.reject_status = "reject", status
    with pytest.raises(ExportError) as failure:
        transport(receiver).deliver(path, package_id, contents)
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
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    assert "после 1 попыток" in ExportRun.get_by_id(run.id).error and not claim.held_by_someone()


def test_a_timeout_is_retried_and_the_portal_applies_the_package_once(package, receiver):
    path, package_id, contents = package
    receiver.mode, receiver.slow_seconds = "slow", 1.5
    with pytest.raises(DeliveryDeferred, match="портал не ответил"):
        transport(receiver, timeout=0.5).deliver(path, package_id, contents)
    receiver.mode = "ok"
    transport(receiver, timeout=0.5).deliver(path, package_id, contents)
    time.sleep(1.6)  # the first, slow request finishes on the portal's side too
    assert len(receiver.requests) == 2
    assert receiver.apply_counts[package_id] == 1 and receiver.duplicates == 1


def test_a_4xx_fails_at_once_with_the_portal_text(package, receiver):
    path, package_id, contents = package
    receiver.mode = "reject"
    with pytest.raises(ExportError) as failure:
        transport(receiver).deliver(path, package_id, contents)
    assert "HTTP 422" in failure.value.message and "Неизвестный код школы" in failure.value.message
    assert len(receiver.requests) == 1


def test_a_wrong_token_is_refused_and_never_shown(package, receiver, caplog):
    path, package_id, contents = package
    secret = "very-secret-token-value"
    with caplog.at_level(logging.DEBUG), pytest.raises(ExportError) as failure:
        HttpTransport(receiver.url, secret).deliver(path, package_id, contents)
    assert "HTTP 401" in failure.value.message
    assert secret not in failure.value.message and secret not in caplog.text
    assert secret not in repr(HttpTransport(receiver.url, secret))


def test_a_4xx_run_fails_and_keeps_the_portal_answer(school, portal, instance_path):
    portal.mode, portal.reject_status = "reject", 400
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    run = ExportRun.get_by_id(run.id)
    assert "HTTP 400" in run.error and "Неизвестный код школы" in run.error
    assert run.finished_at is not None and run.attempts == 1


def test_the_directory_sees_a_package_only_when_it_is_complete(school, outbox, instance_path):
    seen = []

    def look(current, done, total):
        seen.append(sorted(p.name for p in outbox.iterdir()))

    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    runs.process(run.id, on_progress=look, instance_path=instance_path)
    run = ExportRun.get_by_id(run.id)
    # While it is built: the package's and its content list's hidden temporary files, nothing else.
    hidden = {f".{run.package_id}.{run.claimed_by}.part", f".{run.package_id}.{run.claimed_by}.files.part"}
    assert seen and all(set(names) == hidden for names in seen)
    # Delivered: the package and, in files/, the content it names; nothing hidden is left.
    assert sorted(p.name for p in outbox.iterdir()) == [f"{run.package_id}.ndjson.gz", "files"]
    assert [p.name for p in (outbox / "files").iterdir()] == [school.homework.sha256]
    package_lines(run.file_path)


def test_a_build_that_breaks_leaves_nothing_behind(school, outbox, instance_path):
    def explode(current, done, total):
        raise RuntimeError("disk full")

    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, on_progress=explode, instance_path=instance_path) == "failed"
    run = ExportRun.get_by_id(run.id)
    assert "disk full" in run.error and run.sha256 is None
    assert list(outbox.iterdir()) == []


def test_the_directory_transport_refuses_when_the_built_file_vanished(tmp_path):
    with pytest.raises(ExportError):
        DirectoryTransport(tmp_path).deliver(tmp_path / ".gone.part", "gone", [])


# --- the homework files' contents -----------------------------------------------------------------


LESSON_LABEL = "5А · Математика · 02.09.2026, 1 урок"
REATTACHED = "%PDF-1.4\nЗадачи заново".encode()


def stored_bytes(school, instance_path) -> bytes:
    return stored_file(school.homework, instance_path).read_bytes()


def reattach(school, instance_path):
    """Do what the message asks: remove the file from the lesson and attach it again (its bytes from the teacher)."""
    school.homework.delete_instance()
    return attach_file(school.lesson, "задачи.pdf", REATTACHED, instance_path)


def test_the_directory_writes_each_content_before_the_package(school, outbox, instance_path):
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
    sha = school.homework.sha256
    assert (outbox / "files" / sha).read_bytes() == stored_bytes(school, instance_path)
    assert list((outbox / "files").glob(".*")) == [], "written under a temporary name, then renamed"
    receiver = ReferenceReceiver()
    assert [answer[0] for answer in receiver.receive_directory(outbox)] == [200]
    assert receiver.files == {sha: stored_bytes(school, instance_path)} and receiver.invalid == []


def test_a_package_never_reaches_the_directory_without_its_contents(school, outbox, instance_path):
    stored_file(school.homework, instance_path).unlink()  # lost from the server's upload folder
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    error = ExportRun.get_by_id(run.id).error
    assert f"«задачи.pdf» (урок {LESSON_LABEL}) пропал из хранилища" in error
    assert "удалите файл и прикрепите его заново" in error and "Изменения не потеряны" in error
    # No package, not even its hidden temporary file or content list: a receiver sees nothing.
    assert list(outbox.glob("*.ndjson.gz")) == [] and list(outbox.glob(".*")) == []
    # Attached again, the file goes out with the next export.
    again = reattach(school, instance_path)
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
    receiver = ReferenceReceiver()
    receiver.receive_directory(outbox)
    assert receiver.files[again.sha256] == REATTACHED
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_the_directory_writes_a_content_once_and_again_only_when_it_is_not_there(built, tmp_path, instance_path):
    directory = DirectoryTransport(tmp_path / "out")
    (content,) = built.contents
    assert directory.write_contents(built.contents) == 1
    path = directory.content_path(content.sha256)
    written = path.stat()
    # A re-sent package, a full after dailies: the content is there with its size.
    assert directory.write_contents(built.contents) == 0
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # The portal took it away, or a copy is cut short: written again, whole.
    path.unlink()
    assert directory.write_contents(built.contents) == 1 and path.read_bytes() == content.path.read_bytes()
    path.write_bytes(b"cut short")
    assert directory.write_contents(built.contents) == 1 and path.read_bytes() == content.path.read_bytes()
    # What a killed attempt left half-written goes.
    leftover = directory.files / f".{content.sha256}.killed.part"
    leftover.write_bytes(b"half")
    directory.write_contents(built.contents)
    assert not leftover.exists()
    # The same package delivered twice: the second delivery finds it in place and writes nothing.
    copy = tmp_path / "out" / ".again.part"
    copy.write_bytes(built.path.read_bytes())
    directory.deliver(copy, built.package_id, built.contents)
    assert "записан" in directory.deliver(copy, built.package_id, built.contents)
    assert directory.final_path(built.package_id).read_bytes() == built.path.read_bytes()


def test_http_uploads_each_content_before_its_package_and_only_once(school, portal, instance_path):
    first = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(first.id, instance_path=instance_path) == "delivered"
    sha = school.homework.sha256
    assert portal.events == [("HEAD", sha), ("PUT", sha), ("POST", ExportRun.get_by_id(first.id).package_id)]
    put = portal.file_requests[1]["headers"]
    assert put["authorization"] == f"Bearer {TOKEN}" and put["content-type"] == "application/octet-stream"
    assert int(put["content-length"]) == school.homework.size
    assert portal.files == {sha: stored_bytes(school, instance_path)} and portal.uploads[sha] == 1
    # The next full names the same content: the portal holds it, nothing is uploaded again.
    second = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(second.id, instance_path=instance_path) == "delivered"
    assert portal.events[3:] == [("HEAD", sha), ("POST", ExportRun.get_by_id(second.id).package_id)]
    assert portal.uploads[sha] == 1 and portal.invalid == []
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_an_upload_the_portal_cannot_take_now_is_retried_with_the_delivery(
    app, school, portal, instance_path, work, settings
):
    use_portal(portal.url, retries=2, retry_delay=0.01)
    portal.file_fail_next = 1
    run = exports.request_export("full", None, settings=settings)
    work(fast_forward=False)
    waiting = ExportRun.get_by_id(run.id)
    assert waiting.status == "queued" and "HTTP 500 при отправке файла «задачи.pdf»" in waiting.error
    assert portal.requests == [], "no package before its content"
    work()
    sha = school.homework.sha256
    assert ExportRun.get_by_id(run.id).status == "delivered"
    assert [event for event, _ in portal.events] == ["HEAD", "PUT", "HEAD", "PUT", "POST"]
    assert portal.uploads[sha] == 1 and portal.files[sha] == stored_bytes(school, instance_path)


def test_an_upload_whose_answer_was_lost_is_not_sent_again(app, school, portal, instance_path, work, settings):
    use_portal(portal.url, retries=2, retry_delay=0.01)
    portal.set_fault("drop_after_apply", files=True)  # stored, but the answer never comes
    run = exports.request_export("full", None, settings=settings)
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered"
    assert [event for event, _ in portal.events] == ["HEAD", "PUT", "HEAD", "POST"]
    assert portal.uploads[school.homework.sha256] == 1


def test_a_busy_portal_gets_its_retry_after_for_contents_too(
    app, school, portal, instance_path, redis_conn, work, settings
):
    use_portal(portal.url, retries=1, retry_delay=7)
    portal.set_fault("busy", files=True)
    portal.busy_status, portal.retry_after = 503, "120"
    run = exports.request_export("full", None, settings=settings)
    before = from_stored(utcnow())
    work(fast_forward=False)
    (when,) = scheduled(redis_conn).values()
    assert before + dt.timedelta(seconds=119) <= when <= from_stored(utcnow()) + dt.timedelta(seconds=121)
    assert "HTTP 503 на запрос файла «задачи.pdf»" in ExportRun.get_by_id(run.id).error
    portal.clear_fault()
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered" and portal.uploads[school.homework.sha256] == 1


@pytest.mark.parametrize(
    ("methods", "status", "refused"),
    [
        (("HEAD", "PUT"), 403, "Портал отклонил запрос файла «задачи.pdf»: HTTP 403"),
        (("PUT",), 413, 'Портал отклонил файл «задачи.pdf»: HTTP 413. Ответ портала: {"error": "файл не принят"}'),
    ],
)
def test_a_refused_content_fails_the_run_and_the_package_is_not_sent(
    school, portal, instance_path, methods, status, refused
):
    portal.set_fault("reject", files=True)
    portal.file_fault_methods, portal.reject_status = methods, status
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    assert refused in ExportRun.get_by_id(run.id).error
    assert portal.requests == [] and portal.files == {}


def test_the_receiver_keeps_only_bytes_that_match_their_sha256(receiver):
    data = b"%PDF-1.4\n" + bytes(range(256))
    sha = hashlib.sha256(data).hexdigest()

    def send(method, body=b"", **headers):
        parts = urlsplit(receiver.content_url(sha))
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            connection.request(
                method, parts.path, body=body or None, headers={"Authorization": f"Bearer {TOKEN}", **headers}
            )
            return connection.getresponse().status
        finally:
            connection.close()

    octets = {"Content-Type": "application/octet-stream"}
    assert send("HEAD") == 404
    assert send("PUT", data[:-1] + b"!", **octets) == 422, "other bytes than the sha256 names"
    assert send("PUT", data, **{"Content-Type": "text/plain"}) == 415
    assert sha not in receiver.files
    assert send("PUT", data, **octets) == 201 and receiver.files[sha] == data
    assert send("PUT", data, **octets) == 204, "a PUT of the same bytes changes nothing"
    assert send("HEAD") == 200 and receiver.uploads[sha] == 1


def test_the_receiver_refuses_a_package_whose_contents_it_does_not_hold(package, receiver):
    path, package_id, contents = package
    with pytest.raises(ExportError) as failure:
        transport(receiver).deliver(path, package_id, [])
    assert "HTTP 422" in failure.value.message and "которых портал не получил" in failure.value.message
    assert receiver.applied == []
    transport(receiver).deliver(path, package_id, contents)
    assert receiver.applied == [package_id]


def test_a_lost_content_stops_the_export_with_a_message_naming_the_file_and_its_lesson(school, portal, instance_path):
    stored_file(school.homework, instance_path).unlink()
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    error = ExportRun.get_by_id(run.id).error
    assert f"«задачи.pdf» (урок {LESSON_LABEL}) пропал из хранилища" in error
    assert portal.events == [("HEAD", school.homework.sha256)] and portal.requests == []
    assert not contents_path(Path(run.package_dir), run.package_id).exists(), "nothing of the run is left"
    again = reattach(school, instance_path)
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
    assert portal.files[again.sha256] == REATTACHED
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_lost_content_the_portal_holds_already_stops_nothing(school, portal, instance_path):
    first = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(first.id, instance_path=instance_path) == "delivered"
    stored_file(school.homework, instance_path).unlink()
    second = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(second.id, instance_path=instance_path) == "delivered"
    assert portal.uploads[school.homework.sha256] == 1


def test_content_whose_bytes_changed_on_disk_is_not_taken_for_the_recorded_one(school, portal, instance_path):
    path = stored_file(school.homework, instance_path)
    path.write_bytes(b"X" * path.stat().st_size)  # same size, other bytes
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    error = ExportRun.get_by_id(run.id).error
    assert f"Содержимое файла «задачи.pdf» (урок {LESSON_LABEL})" in error and "контрольной суммой" in error
    assert school.homework.sha256 not in portal.files and portal.requests == []


def test_a_file_detached_while_its_package_waited_fails_that_run_only(
    app, school, portal, instance_path, work, settings
):
    use_portal(portal.url, retries=1, retry_delay=0.01)
    portal.set_fault("busy", files=True)
    run = exports.request_export("full", None, settings=settings)
    work(fast_forward=False)
    assert ExportRun.get_by_id(run.id).status == "queued"
    # The teacher removes the file meanwhile (its row, then its bytes, as the lesson panel does).
    path = stored_file(school.homework, instance_path)
    school.homework.delete_instance()
    path.unlink()
    portal.clear_fault()
    work()
    error = ExportRun.get_by_id(run.id).error
    assert ExportRun.get_by_id(run.id).status == "failed" and "«задачи.pdf» открепили от урока" in error
    # The next export goes without it.
    later = exports.request_export("daily", None, settings=settings)
    work()
    assert ExportRun.get_by_id(later.id).status == "delivered"
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_slow_upload_times_out_like_a_package_and_is_not_repeated_once_it_arrived(built, receiver):
    receiver.set_fault("slow", files=True)
    receiver.file_fault_methods, receiver.slow_seconds = ("PUT",), 1.0
    quick = transport(receiver, timeout=0.3, timeout_per_mib=0.0)
    with pytest.raises(DeliveryDeferred, match="портал не ответил"):
        quick.deliver(built.path, built.package_id, built.contents)
    assert receiver.requests == []
    time.sleep(1.2)  # the slow upload finishes on the portal's side
    quick.deliver(built.path, built.package_id, built.contents)
    assert [event for event, _ in receiver.events] == ["HEAD", "PUT", "HEAD", "POST"]
    assert receiver.uploads[built.contents[0].sha256] == 1 and receiver.applied == [built.package_id]


def test_the_contents_url_is_the_portal_url_then_files_and_the_sha256_with_its_query_kept(built, receiver):
    with_query = HttpTransport(f"{receiver.url}/?school=spb-0042", TOKEN, timeout=2)
    with_query.deliver(built.path, built.package_id, built.contents)
    sha = built.contents[0].sha256
    assert [(r["method"], r["path"]) for r in receiver.file_requests] == [
        ("HEAD", f"/packages/files/{sha}?school=spb-0042"),
        ("PUT", f"/packages/files/{sha}?school=spb-0042"),
    ]
    assert receiver.applied == [built.package_id]


def test_a_built_package_whose_content_list_is_gone_is_never_sent_without_its_contents(
    app, school, portal, instance_path, work, settings
):
    use_portal(portal.url, retries=1, retry_delay=0.01)
    portal.set_fault("busy", files=True)
    run = exports.request_export("full", None, settings=settings)
    work(fast_forward=False)
    waiting = ExportRun.get_by_id(run.id)
    listed = contents_path(Path(waiting.package_dir), waiting.package_id)
    assert waiting.status == "queued" and listed.is_file()
    listed.unlink()  # removed by hand while the run waited
    portal.clear_fault()
    work()
    failed = ExportRun.get_by_id(run.id)
    assert failed.status == "failed" and "Список файлов к домашним заданиям пакета" in failed.error
    assert portal.requests == []
