"""Runs: asked for, committed, handed to a real RQ worker, done one at a time in order, never lost."""

import datetime as dt
import re
import threading

import pytest
from rq import Queue

from app.db import db
from app.models import AuditEntry, ExportLock, ExportRun, Mark
from app.services import exports
from app.services.errors import AccessDenied, DomainError
from app.services.exports import claim, planner, runs
from app.settings import DEFAULT_SCHOOL, app_settings
from tests.exports.helpers import SCHOOL_CODE, package_lines, records_of
from tests.exports.journal_state import differences, journal_state
from workers.exports import run_export

JOB_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def exports_queue(redis_conn):
    return Queue("exports", connection=redis_conn)


def test_a_request_becomes_a_run_then_a_job_and_a_worker_delivers_it(
    app, school, outbox, instance_path, redis_conn, work, make_staff
):
    admin = make_staff("admin1", roles=["admin"])
    run = exports.request_export("full", admin, settings=app_settings(app))
    run = ExportRun.get_by_id(run.id)
    assert run.status == "queued" and run.trigger == "manual" and run.requested_by_id == admin.id
    assert run.job_id == f"export-run-{run.id}-0" and JOB_ID.match(run.job_id)
    job = exports_queue(redis_conn).fetch_job(run.job_id)
    assert job.func_name == "workers.exports.run_export" and job.args == (run.id,)
    # The job names its school (not a model, not a database handle) and RQ retries it if it crashes.
    assert job.kwargs == {"school": DEFAULT_SCHOOL} and job.retries_left == runs.JOB_RETRIES
    assert job.retry_intervals == runs.JOB_RETRY_INTERVALS
    assert AuditEntry.get(AuditEntry.model == "ExportRun", AuditEntry.object_id == str(run.id)).actor_id == admin.id
    work()
    run = ExportRun.get_by_id(run.id)
    assert run.status == "delivered" and run.attempts == 1 and run.started_at and run.finished_at
    assert run.progress == run.total == run.records > 0
    assert job.get_status(refresh=True) == "finished" and job.return_value() == "delivered"
    package_lines(run.file_path)


def test_a_job_for_a_gone_or_finished_run_returns_quietly(school, outbox, instance_path, worker_env):
    assert run_export(987654, school=DEFAULT_SCHOOL) == "gone"
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert run_export(run.id, school=DEFAULT_SCHOOL) == "delivered"
    files = sorted(outbox.iterdir())
    assert run_export(run.id, school=DEFAULT_SCHOOL) == "delivered"
    assert sorted(outbox.iterdir()) == files


def test_while_another_exporter_holds_the_claim_nothing_is_sent(school, portal, instance_path):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert claim.acquire("another-worker", 60)
    assert runs.process(run.id, instance_path=instance_path) == "busy"
    assert ExportRun.get_by_id(run.id).status == "queued" and portal.requests == []
    claim.release("another-worker")
    assert runs.process(run.id, instance_path=instance_path) == "delivered"


def test_a_lapsed_claim_of_a_dead_exporter_is_taken_over(school, portal, instance_path):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert claim.acquire("dead-worker", 60)
    # Its worker died: nobody renewed the claim, and its time ran out.
    ExportLock.update(until=dt.datetime(2000, 1, 1)).execute()
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
    assert ExportLock.get_by_id(1).owner is None


def test_two_exporters_at_once_send_one_package_at_a_time_in_order(school, portal, instance_path):
    portal.mode, portal.slow_seconds = "slow", 0.3
    first = runs.create_run("daily", "manual", None, instance_path=instance_path)
    second = runs.create_run("full", "manual", None, instance_path=instance_path)
    results = {}

    def do(run_id):
        with db.connection_context():
            results[run_id] = runs.process(run_id, instance_path=instance_path)

    threads = [threading.Thread(target=do, args=(second.id,)), threading.Thread(target=do, args=(first.id,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # One of them did both (oldest first); the other found the claim taken, or nothing left to do.
    assert set(results.values()) <= {"busy", "delivered"}
    assert portal.max_in_flight == 1
    first, second = ExportRun.get_by_id(first.id), ExportRun.get_by_id(second.id)
    assert first.status == second.status == "delivered"
    assert portal.applied == [first.package_id, second.package_id], "the older run goes first"
    assert first.finished_at <= second.started_at


def test_a_failed_run_leaves_the_watermark_where_it_was(school, portal, instance_path):
    assert (
        runs.process(
            runs.create_run("full", "manual", None, instance_path=instance_path).id, instance_path=instance_path
        )
        == "delivered"
    )
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    mark.value = "2"
    mark.save()
    portal.mode = "reject"
    failed = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(failed.id, instance_path=instance_path) == "failed"
    portal.mode = "ok"
    retry = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.process(retry.id, instance_path=instance_path) == "delivered"
    retry = ExportRun.get_by_id(retry.id)
    assert ("mark", "upsert", mark.id) in records_of(package_lines(retry.file_path))
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_run_interrupted_too_often_is_given_up(school, outbox, instance_path):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    ExportRun.update(status="running", attempts=runs.MAX_ATTEMPTS).where(ExportRun.id == run.id).execute()
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    assert "прерывалась" in ExportRun.get_by_id(run.id).error


def test_asking_twice_for_the_same_kind_is_refused(app, school, outbox, instance_path, redis_conn):
    exports.request_export("full", None, settings=app_settings(app))
    with pytest.raises(DomainError, match="уже ждёт"):
        exports.request_export("full", None, settings=app_settings(app))
    assert ExportRun.select().count() == 1
    assert len(exports_queue(redis_conn)) == 1


def test_someone_without_the_right_cannot_ask_or_download(app, school, outbox, instance_path, make_staff):
    teacher = make_staff("teacher1", roles=["teacher"])
    head = make_staff("head1", roles=["head"])
    for person in (teacher, head):
        with pytest.raises(AccessDenied):
            exports.request_export("full", person, settings=app_settings(app))
    assert ExportRun.select().count() == 0
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    with pytest.raises(AccessDenied):
        runs.package_for_download(run.id, head)
    admin = make_staff("admin1", roles=["admin"])
    path, name = runs.package_for_download(run.id, admin)
    assert path.is_file() and name == f"{ExportRun.get_by_id(run.id).package_id}.ndjson.gz"
    assert AuditEntry.select().where(AuditEntry.action == "download", AuditEntry.actor == admin.id).count() == 1


def test_the_year_transition_asks_for_one_full_export(app, school, outbox, instance_path, redis_conn, work):
    with db.atomic():
        # Inside the transition's own transaction nothing is enqueued (the job could beat the commit).
        run = exports.request_full_export("year_transition", None, settings=app_settings(app), year_id=school.year.id)
        assert run.job_id is None
    again = exports.request_full_export("year_transition", None, settings=app_settings(app), year_id=school.year.id)
    assert again.id == run.id and ExportRun.select().count() == 1
    assert len(exports_queue(redis_conn)) == 0
    # The planner's tick hands it to a worker.
    planner.tick(dt.datetime(2026, 9, 5, 9, 0, tzinfo=dt.UTC), settings=app_settings(app))
    work()
    run = ExportRun.get_by_id(run.id)
    assert run.status == "delivered" and run.kind == "full" and run.trigger == "year_transition"
