"""Real process failures: a worker killed mid-export, Redis restarted (with and without its data).

Each test ends with the portal holding exactly the journal and no package applied twice.
"""

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from redis import Redis
from rq import Queue

from app.embedded_redis import server_command, url_for_instance
from app.models import ExportLock, ExportRun, ExportSettings, Mark
from app.services import exports
from app.services.exports import claim, planner, runs
from app.services.journal_files import upload_root
from app.settings import app_settings
from tests.exports.helpers import SCHOOL_CODE, BurstWorker
from tests.exports.journal_state import differences, journal_state

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).with_name("rq"))


LEASE = 6  # seconds


def wait_for(condition, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def now_utc():
    return dt.datetime.now(dt.UTC)


def schedule_off():
    """Keep the planner's ticks to recovery only: no scheduled runs of today's date in these tests."""
    settings = ExportSettings.load()
    settings.enabled = False
    settings.save()


def test_a_worker_killed_mid_export_is_recovered_by_the_next_tick(
    app, school, portal, database_url, redis_url, redis_conn, tmp_path, worker_env
):
    config = app_settings(app)
    schedule_off()
    portal.mode, portal.slow_seconds = "slow", 3.0  # the portal takes its time to answer
    run = runs.create_run("daily", "manual", None, instance_path=app.config["INSTANCE_PATH"])
    # A lease long enough that killing the worker and the first tick fit in it on a loaded machine.
    assert runs.enqueue_run(run, settings=config, lease_seconds=LEASE) == f"export-run-{run.id}-0"
    # The worker reads the homework files from its instance folder: give it the school's uploads.
    shutil.copytree(upload_root(app.config["INSTANCE_PATH"]), upload_root(tmp_path / "worker-instance"))
    log = open(tmp_path / "worker.log", "wb")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "TZ": "Europe/Moscow",
        "EJOURNAL_INSTANCE": str(tmp_path / "worker-instance"),
    }
    worker = subprocess.Popen(
        [RQ, "worker", "--burst", "--url", redis_url, "exports"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # The package is built and on its way: the portal has the request, the worker waits for the answer.
        assert wait_for(lambda: len(portal.requests) == 1), (tmp_path / "worker.log").read_text()
        # Kill the work horse (RQ gives it its own process group) and the worker: nothing is left to clean up.
        horses = psutil.Process(worker.pid).children(recursive=True)
        assert horses, "the export runs in a forked work horse"
        for process in (*horses, psutil.Process(worker.pid)):
            process.send_signal(signal.SIGKILL)
        worker.wait(10)
        psutil.wait_procs(horses, timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        log.close()
    stuck = ExportRun.get_by_id(run.id)
    assert stuck.status == "running" and stuck.attempts == 1 and stuck.sha256 is not None
    first_body = portal.requests[0]["sha256"]

    # Within the dead worker's lease the claim still looks alive: the tick adds no job.
    planner.tick(now_utc(), settings=config)
    assert ExportLock.get_by_id(1).owner is not None
    assert f"export-run-{run.id}-1" not in Queue("exports", connection=redis_conn).job_ids
    # The lease runs out; the portal has applied the package meanwhile, but its answer was lost.
    assert wait_for(lambda: not claim.held_by_someone(), timeout=LEASE + 10)
    assert wait_for(lambda: len(portal.applied) == 1, timeout=10)
    portal.mode = "ok"
    planner.tick(now_utc(), settings=config)
    assert f"export-run-{run.id}-1" in Queue("exports", connection=redis_conn).job_ids
    BurstWorker(["exports"], connection=redis_conn).work(burst=True)

    done = ExportRun.get_by_id(run.id)
    assert done.status == "delivered" and done.attempts == 2 and done.sha256 == stuck.sha256
    assert [r["sha256"] for r in portal.requests] == [first_body, first_body], "the very same package went again"
    assert portal.apply_counts[done.package_id] == 1 and portal.duplicates == 1
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}
    # Life goes on: the next change goes out with the next export.
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    mark.value = "3"
    mark.save()
    later = runs.create_run("daily", "manual", None, instance_path=app.config["INSTANCE_PATH"])
    assert runs.process(later.id, instance_path=app.config["INSTANCE_PATH"]) == "delivered"
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of our own (the shared one may not be restarted): start, stop, start again."""

    class Server:
        def __init__(self):
            self.instance = tmp_path / "own-redis"
            self.url = url_for_instance(self.instance)
            self.process = None

        def start(self):
            self.process = subprocess.Popen(
                server_command(self.instance), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            assert wait_for(self._answers, timeout=10)

        def _answers(self):
            try:
                return Redis.from_url(self.url).ping()
            except Exception:
                return False

        def stop(self, lose_data=False):
            self.process.terminate()
            self.process.wait(10)
            if lose_data:
                shutil.rmtree(self.instance / "redis")

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(10)


def test_redis_restarted_with_or_without_its_data_loses_no_export(app, school, portal, own_redis, worker_env):
    config = replace(app_settings(app), redis_url=own_redis.url)
    schedule_off()

    def work():
        BurstWorker(["exports", "default"], connection=Redis.from_url(own_redis.url)).work(burst=True)

    # 1. Restarted with its append-only file: the queued job is still there.
    first = exports.request_export("full", None, settings=config)
    own_redis.stop()
    own_redis.start()
    work()
    assert ExportRun.get_by_id(first.id).status == "delivered"

    # 2. Redis is down when the export is asked for: the run is kept, its job comes with the tick.
    own_redis.stop()
    Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[1]).delete_instance()
    second = exports.request_export("daily", None, settings=config)
    assert ExportRun.get_by_id(second.id).job_id is None and ExportRun.get_by_id(second.id).status == "queued"
    own_redis.start()
    planner.tick(now_utc(), settings=config)
    work()
    assert ExportRun.get_by_id(second.id).status == "delivered"

    # 3. Restarted without its data: the queued job is lost, the tick enqueues it again.
    school.lesson.topic = "Другая тема"
    school.lesson.save()
    third = exports.request_export("daily", None, settings=config)
    assert ExportRun.get_by_id(third.id).job_id
    own_redis.stop(lose_data=True)
    own_redis.start()
    assert len(Queue("exports", connection=Redis.from_url(own_redis.url))) == 0
    planner.tick(now_utc(), settings=config)
    work()
    assert ExportRun.get_by_id(third.id).status == "delivered"

    assert all(count == 1 for count in portal.apply_counts.values()) and len(portal.applied) == 3
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def _many_students(count: int) -> None:
    """Add `count` students in one statement, with change numbers (a big school's full package takes a while)."""
    from app.db import db
    from app.models import ChangeCounter

    with db.atomic():
        first = ChangeCounter.reserve(count)
        db.execute_sql(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count)}) "
            "INSERT INTO student (last_name, first_name, change_no) "
            f"SELECT 'Ученик' || i, 'Имя', {int(first)} + i - 1 FROM n"
        )


def test_a_worker_killed_mid_write_leaves_no_partial_file_behind(
    app, school, outbox, database_url, redis_url, redis_conn, tmp_path, worker_env
):
    config = app_settings(app)
    schedule_off()
    _many_students(300_000)
    run = runs.create_run("full", "manual", None, instance_path=app.config["INSTANCE_PATH"])
    runs.enqueue_run(run, settings=config, lease_seconds=2)
    log = open(tmp_path / "worker.log", "wb")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "TZ": "Europe/Moscow"}
    env["EJOURNAL_INSTANCE"] = str(tmp_path / "worker-instance")
    worker = subprocess.Popen(
        [RQ, "worker", "--burst", "--url", redis_url, "exports"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # The package is being written under its hidden temporary name: kill the worker there.
        assert wait_for(lambda: any(outbox.glob(".*.part")), step=0.01), (tmp_path / "worker.log").read_text()
        # The work horse has a process group of its own: kill it and the worker.
        horses = psutil.Process(worker.pid).children(recursive=True)
        for process in (*horses, psutil.Process(worker.pid)):
            process.send_signal(signal.SIGKILL)
        worker.wait(10)
        psutil.wait_procs(horses, timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        log.close()
    stuck = ExportRun.get_by_id(run.id)
    assert stuck.status == "running" and stuck.sha256 is None, "killed before the package was complete"
    # The package's hidden temporary file (and its content list's, opened with it).
    partials = list(outbox.glob(f".{run.package_id}.*.part"))
    assert partials and list(outbox.glob(".*")) == partials

    # The lease runs out; the next tick gives the run another attempt, which clears the half-written file.
    assert wait_for(lambda: not claim.held_by_someone(), timeout=10)
    planner.tick(now_utc(), settings=config)
    BurstWorker(["exports"], connection=redis_conn).work(burst=True)
    done = ExportRun.get_by_id(run.id)
    assert done.status == "delivered" and done.attempts == 2, done.error
    assert not any(p.exists() for p in partials) and list(outbox.glob(".*")) == []
    # The package, and its homework file's content beside it.
    assert {p.name for p in outbox.iterdir()} == {f"{done.package_id}.ndjson.gz", "files"}
    assert [p.name for p in (outbox / "files").iterdir()] == [school.homework.sha256]


def test_a_run_given_up_after_killed_attempts_leaves_no_partial_file(app, school, outbox, instance_path):
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    # Three attempts were killed mid-write (each leaves its own temporary file).
    outbox.mkdir(parents=True, exist_ok=True)
    for owner in ("host-1-aaaa", "host-2-bbbb", "host-3-cccc"):
        (outbox / f".{run.package_id}.{owner}.part").write_bytes(b"\x1f\x8b half")
    ExportRun.update(attempts=runs.MAX_ATTEMPTS, status="running").where(ExportRun.id == run.id).execute()
    assert runs.process(run.id, instance_path=instance_path) == "failed"
    assert list(outbox.iterdir()) == []
