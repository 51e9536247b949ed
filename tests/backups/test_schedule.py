"""Retention and the nightly tick: pruning by a fixed clock, one backup a night however often it ticks, cron."""

import datetime as dt
from pathlib import Path

from rq.cron import CronScheduler

from app import queue as app_queue
from app.models import Backup, SchoolSettings
from app.services import backups
from app.settings import DEFAULT_SCHOOL
from tests.backups.conftest import DAY, NIGHT
from tests.exports.helpers import BurstWorker

ROOT = Path(__file__).resolve().parents[2]


def _files(settings) -> set[str]:
    return {p.name for p in backups.backup_root(settings).iterdir()}


def test_prune_deletes_file_and_row_past_the_retention_and_keeps_the_newest_good_one(app, settings):
    made = [
        backups.create(reason="nightly", now=DAY - dt.timedelta(days=d), settings=settings) for d in (40, 31, 29, 1)
    ]
    failed = Backup.create(
        path="", engine="sqlite", reason="nightly", status="failed", created_at=DAY - dt.timedelta(days=35)
    )
    assert len(_files(settings)) == 8  # each backup and its .sha256

    assert backups.prune(30, DAY, settings=settings) == 3
    kept = [b.id for b in backups.list_backups()]
    assert kept == [made[3].id, made[2].id]
    assert not Backup.select().where(Backup.id == failed.id).exists()
    assert _files(settings) == {f"{made[i].file_name}{ext}" for i in (2, 3) for ext in ("", ".sha256")}
    # Nothing more to prune at the same moment.
    assert backups.prune(30, DAY, settings=settings) == 0

    # However old, the newest good backup stays: a school without one is worse off than with an old one.
    assert backups.prune(1, DAY + dt.timedelta(days=400), settings=settings) == 1
    assert [b.id for b in backups.list_backups()] == [made[3].id]
    assert Path(made[3].path).is_file()


def test_the_nightly_tick_takes_one_backup_a_night_however_often_it_ticks(app, settings):
    first = backups.nightly_tick(now=NIGHT, settings=settings)
    assert first is not None and first.reason == "nightly" and first.slot == "nightly-20261204"
    for minutes in (0, 10, 20, 60, 180):
        assert backups.nightly_tick(now=NIGHT + dt.timedelta(minutes=minutes), settings=settings) is None
    # The day after: nothing while it is day (the copy is fresh), then the next night's one.
    assert backups.nightly_tick(now=DAY + dt.timedelta(hours=3), settings=settings) is None
    second = backups.nightly_tick(now=NIGHT + dt.timedelta(days=1), settings=settings)
    assert second is not None and second.slot == "nightly-20261205"
    assert Backup.select().count() == 2


def test_the_tick_catches_up_by_day_when_backups_are_overdue_and_retries_a_failure_later(app, settings):
    # No backup at all: taken at any hour.
    assert backups.nightly_tick(now=DAY, settings=settings) is not None
    # A failure of the night is retried, but not within the hour.
    Backup.update(created_at=DAY - dt.timedelta(days=2)).execute()
    Backup.create(path="", engine="sqlite", reason="nightly", status="failed", created_at=NIGHT + dt.timedelta(days=1))
    tick = NIGHT + dt.timedelta(days=1, minutes=30)
    assert backups.nightly_tick(now=tick, settings=settings) is None
    retried = backups.nightly_tick(now=tick + dt.timedelta(hours=1), settings=settings)
    assert retried is not None and retried.status == "done"


def test_the_tick_prunes_by_the_schools_retention(app, settings):
    old = backups.create(reason="nightly", now=NIGHT - dt.timedelta(days=12), settings=settings)
    row = SchoolSettings.load()
    row.backup_keep_days = 10
    row.save()
    taken = backups.nightly_tick(now=NIGHT, settings=settings)
    assert [b.id for b in backups.list_backups()] == [taken.id]
    assert not Path(old.path).exists()


def test_cron_registers_the_backup_tick(redis_conn):
    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file(str(ROOT / "workers" / "cron.py"))
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    tick = jobs["workers.backups.backup_tick"]
    assert tick.cron == "*/10 * * * *" and tick.queue_name == "default"
    assert tick.kwargs == {"school": DEFAULT_SCHOOL}


def test_the_tick_runs_through_a_real_worker(app, settings, redis_conn, monkeypatch):
    for name, value in (
        ("DATABASE_URL", app.config["DATABASE_URL"]),
        ("REDIS_URL", app.config["REDIS_URL"]),
        ("EJOURNAL_INSTANCE", str(app.config["INSTANCE_PATH"])),
        ("SCHOOL_TIMEZONE", app.config["SCHOOL_TIMEZONE"]),
    ):
        monkeypatch.setenv(name, value)
    for _ in range(2):
        app_queue.enqueue("workers.backups.backup_tick", settings=settings, kwargs={"school": DEFAULT_SCHOOL})
    BurstWorker(["default"], connection=redis_conn).work(burst=True)
    # No backup yet, so the first tick takes one whatever the hour; the second finds it fresh.
    done = list(Backup.select())
    assert len(done) == 1 and done[0].status == "done" and Path(done[0].path).is_file()
