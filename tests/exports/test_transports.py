"""Delivery: the directory's atomic write and HTTP's token, gzip, idempotency key, timeouts, retries, refusals."""

import datetime as dt
import logging
import time
from pathlib import Path

import pytest

from app.models import ExportRun
from app.services.exports import runs
from app.services.exports.builder import build_package
from app.services.exports.errors import ExportError
from app.services.exports.transports import DirectoryTransport, HttpTransport
from tests.exports.helpers import SCHOOL_CODE, TOKEN, package_lines
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


def transport(receiver, sleeps, **options):
    options = {"timeout": 2, "retries": 3, "retry_delay": 0.5, **options}
    return HttpTransport(receiver.url, TOKEN, sleep=sleeps.append, **options)


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


def test_5xx_answers_are_retried_with_doubling_waits(package, receiver):
    path, package_id = package
    receiver.fail_next = 2
    sleeps = []
    transport(receiver, sleeps).deliver(path, package_id)
    assert sleeps == [0.5, 1.0]
    assert len(receiver.requests) == 3 and receiver.applied == [package_id]


def test_retries_are_bounded(package, receiver):
    path, package_id = package
    receiver.mode = "error500"
    sleeps = []
    with pytest.raises(ExportError) as failure:
        transport(receiver, sleeps, retries=2).deliver(path, package_id)
    assert "после 3 попыток" in failure.value.message and "HTTP 500" in failure.value.message
    assert sleeps == [0.5, 1.0] and len(receiver.requests) == 3 and receiver.applied == []


def test_a_portal_that_is_down_is_retried_until_it_is_back(package, receiver):
    path, package_id = package
    receiver.down()
    sleeps = []

    def wait(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            receiver.up()

    HttpTransport(receiver.url, TOKEN, timeout=2, retries=3, retry_delay=0.1, sleep=wait).deliver(path, package_id)
    assert sleeps == [0.1, 0.2] and receiver.applied == [package_id]


def test_a_portal_that_stays_down_fails_the_delivery(package, receiver):
    path, package_id = package
    receiver.down()
    with pytest.raises(ExportError) as failure:
        transport(receiver, [], retries=1).deliver(path, package_id)
    assert "портал не ответил" in failure.value.message


def test_a_timeout_is_retried_and_the_portal_applies_the_package_once(package, receiver):
    path, package_id = package
    receiver.mode, receiver.slow_seconds = "slow", 1.5

    def wait(seconds):
        receiver.mode = "ok"

    HttpTransport(receiver.url, TOKEN, timeout=0.5, retries=2, retry_delay=0.1, sleep=wait).deliver(path, package_id)
    time.sleep(1.6)  # the first, slow request finishes on the portal's side too
    assert len(receiver.requests) == 2
    assert receiver.apply_counts[package_id] == 1 and receiver.duplicates == 1


def test_a_4xx_fails_at_once_with_the_portal_text(package, receiver):
    path, package_id = package
    receiver.mode = "reject"
    with pytest.raises(ExportError) as failure:
        transport(receiver, []).deliver(path, package_id)
    assert "HTTP 422" in failure.value.message and "Неизвестный код школы" in failure.value.message
    assert len(receiver.requests) == 1


def test_a_wrong_token_is_refused_and_never_shown(package, receiver, caplog):
    path, package_id = package
    secret = "very-secret-token-value"
    with caplog.at_level(logging.DEBUG), pytest.raises(ExportError) as failure:
        HttpTransport(receiver.url, secret, retries=0).deliver(path, package_id)
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
