"""The schedule: what is due in school time, the minute tick (twice is once), catch-up, recovery, the overview."""

import datetime as dt
from pathlib import Path

from rq import Queue
from rq.cron import CronScheduler

from app.clock import app_clock
from app.db import db, is_sqlite
from app.models import ExportLock, ExportRun, ExportSettings, Lesson, SchoolSettings
from app.queue import enqueue
from app.services.exports import claim, planner, runs
from app.settings import DEFAULT_SCHOOL, app_settings
from tests.exports.helpers import SCHOOL_CODE, package_lines, records_of
from tests.exports.journal_state import differences, journal_state

ROOT = Path(__file__).resolve().parents[2]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def msk(*args) -> dt.datetime:
    """A Moscow wall-clock time (UTC+3), as an aware UTC moment."""
    return dt.datetime(*args, tzinfo=dt.UTC) - dt.timedelta(hours=3)


def schedule(daily_time=dt.time(20, 0), full_day=5, enabled=True, since=dt.datetime(2026, 8, 1)) -> ExportSettings:
    """Set the schedule as it has stood since `since` (naive UTC): the tests' September days are after it."""
    settings = ExportSettings.load()
    settings.daily_time, settings.full_day, settings.enabled = daily_time, full_day, enabled
    settings.schedule_since = since
    settings.save()
    return settings


def test_what_is_due_follows_school_time(app):
    settings = schedule()
    assert planner.due_slots(settings, msk(2026, 9, 14, 19, 59), app_clock(app)) == [
        ("daily", "daily-20260913"),
        ("full", "full-202609"),
    ]
    assert planner.due_slots(settings, msk(2026, 9, 14, 20, 0), app_clock(app)) == [
        ("daily", "daily-20260914"),
        ("full", "full-202609"),
    ]
    assert planner.due_slots(settings, msk(2026, 9, 5, 19, 59), app_clock(app)) == [("daily", "daily-20260904")]
    assert planner.due_slots(settings, msk(2026, 9, 5, 20, 0), app_clock(app)) == [
        ("daily", "daily-20260905"),
        ("full", "full-202609"),
    ]
    # 01:00 in Moscow is still the day before in UTC: the school's calendar decides.
    early = schedule(daily_time=dt.time(0, 30), full_day=28)
    assert planner.due_slots(early, utc(2026, 9, 14, 22, 0), app_clock(app)) == [("daily", "daily-20260915")]
    assert planner.due_slots(schedule(enabled=False), msk(2026, 9, 14, 21, 0), app_clock(app)) == []


def test_a_tick_twice_records_each_run_once_and_enqueues_once(app, school, outbox, instance_path, redis_conn, work):
    schedule()
    now = msk(2026, 9, 14, 20, 0, 30)
    first = planner.tick(now, settings=app_settings(app))
    second = planner.tick(now, settings=app_settings(app))
    assert [(r.kind, r.slot, r.trigger) for r in first] == [
        ("daily", "daily-20260914", "schedule"),
        ("full", "full-202609", "schedule"),
    ]
    assert second == []
    assert ExportRun.select().count() == 2
    daily = ExportRun.get(ExportRun.slot == "daily-20260914")
    assert Queue("exports", connection=redis_conn).job_ids == [f"export-run-{daily.id}-0"]
    work()
    assert [r.status for r in ExportRun.select().order_by(ExportRun.id)] == ["delivered", "delivered"]
    # The next tick on the same evening finds nothing new to do.
    assert planner.tick(msk(2026, 9, 14, 20, 5), settings=app_settings(app)) == []
    assert len(Queue("exports", connection=redis_conn)) == 0


def test_days_missed_while_down_go_out_in_one_daily_package(app, school, portal, instance_path, work):
    schedule(full_day=28)
    planner.tick(msk(2026, 9, 10, 20, 1), settings=app_settings(app))
    work()
    edits = []
    for day in (11, 12, 13):  # nobody ticks: the machine is off
        lesson = Lesson.create(
            journal=school.math_a,
            date=dt.date(2026, 9, day),
            number=1,
            planned_teacher=school.teacher,
            teacher=school.teacher,
            topic=f"Тема {day}",
        )
        edits.append(("lesson", "upsert", lesson.id))
    created = planner.tick(msk(2026, 9, 13, 21, 0), settings=app_settings(app))
    assert [r.slot for r in created] == ["daily-20260913"]
    work()
    catch_up = ExportRun.get_by_id(created[0].id)
    assert catch_up.status == "delivered"
    assert records_of(package_lines(catch_up.file_path)) == edits
    assert differences(journal_state(school.year), portal.holding(SCHOOL_CODE, school.year.id)) == {}


def test_the_monthly_full_export_goes_on_its_day_once_and_catches_up(app, school, outbox, instance_path):
    schedule(full_day=5)

    def fulls():
        return [r.slot for r in ExportRun.select().where(ExportRun.kind == "full").order_by(ExportRun.id)]

    planner.tick(msk(2026, 9, 5, 19, 0), settings=app_settings(app))
    assert fulls() == []
    planner.tick(msk(2026, 9, 5, 20, 0), settings=app_settings(app))
    planner.tick(msk(2026, 9, 6, 20, 0), settings=app_settings(app))
    assert fulls() == ["full-202609"]
    # Down on October 5th: the full export of October goes when the school's server is back.
    planner.tick(msk(2026, 10, 7, 9, 0), settings=app_settings(app))
    assert fulls() == ["full-202609", "full-202610"]


def test_nothing_is_scheduled_when_off_or_when_the_school_is_not_set_up(app, school, outbox, instance_path):
    schedule(enabled=False)
    assert planner.tick(msk(2026, 9, 14, 21, 0), settings=app_settings(app)) == []
    schedule()
    SchoolSettings.update(school_code="").execute()
    assert planner.tick(msk(2026, 9, 14, 21, 0), settings=app_settings(app)) == []
    assert ExportRun.select().count() == 0
    assert "код школы" in planner.overview(app_clock(app), msk(2026, 9, 14, 21, 0)).alert


def test_a_run_whose_job_was_lost_gets_a_job_again(app, school, outbox, instance_path, redis_conn, work):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert runs.enqueue_run(run, settings=app_settings(app)) == f"export-run-{run.id}-0"
    redis_conn.flushdb()  # Redis lost its data
    assert len(Queue("exports", connection=redis_conn)) == 0
    planner.tick(msk(2026, 9, 14, 12, 0), settings=app_settings(app))
    assert Queue("exports", connection=redis_conn).job_ids == [f"export-run-{run.id}-0"]
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered"


def test_while_a_live_exporter_works_the_tick_adds_no_job(app, school, outbox, instance_path, redis_conn):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    assert claim.acquire("busy-worker", 60)
    planner.tick(msk(2026, 9, 14, 12, 0), settings=app_settings(app))
    assert len(Queue("exports", connection=redis_conn)) == 0
    claim.release("busy-worker")
    planner.tick(msk(2026, 9, 14, 12, 1), settings=app_settings(app))
    assert Queue("exports", connection=redis_conn).job_ids == [f"export-run-{run.id}-0"]


def test_a_job_that_lost_the_race_is_replaced_when_the_holder_dies(
    app, school, outbox, instance_path, redis_conn, work
):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    runs.enqueue_run(run, settings=app_settings(app))
    assert claim.acquire("doomed-worker", 60)
    work()  # the job finds the claim taken and ends: the holder was to do the run
    assert ExportRun.get_by_id(run.id).status == "queued"
    ExportLock.update(until=dt.datetime(2000, 1, 1)).execute()  # the holder died; its lease ran out
    planner.tick(msk(2026, 9, 14, 12, 0), settings=app_settings(app))
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered"


def test_the_overview_tells_the_last_success_the_next_runs_and_what_is_wrong(app, school, portal, instance_path):
    schedule(full_day=5)
    now = msk(2026, 9, 14, 12, 0)
    state = planner.overview(app_clock(app), now)
    assert state.last_success is None and state.overdue and "просрочена" in state.alert
    assert state.next_daily == msk(2026, 9, 14, 20, 0)
    assert state.next_full == msk(2026, 10, 5, 20, 0)
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    ExportRun.update(finished_at=dt.datetime(2026, 9, 14, 8, 0)).where(ExportRun.id == run.id).execute()
    state = planner.overview(app_clock(app), now)
    assert state.last_success.id == run.id and not state.overdue and state.alert is None
    portal.mode = "reject"
    failed = runs.create_run("daily", "manual", None, instance_path=instance_path)
    runs.process(failed.id, instance_path=instance_path)
    state = planner.overview(app_clock(app), now)
    assert state.failed and f"№ {failed.id} не удалась" in state.alert and "Неизвестный код школы" in state.alert
    # A day later nothing has gone out since the evening's due time: overdue as well.
    assert planner.overview(app_clock(app), msk(2026, 9, 15, 9, 0)).overdue


def test_cron_registers_the_planner_tick_every_minute(redis_conn):
    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file(str(ROOT / "workers" / "cron.py"))
    jobs = {job.func_name: job for job in scheduler.get_jobs()}
    tick = jobs["workers.exports.plan_exports"]
    assert tick.cron == "* * * * *" and tick.queue_name == "default"
    # Every job names its school: the one this installation's settings serve.
    assert tick.kwargs == {"school": DEFAULT_SCHOOL}
    assert jobs["workers.maintenance.apply_retention"].kwargs == {"school": DEFAULT_SCHOOL}
    assert "workers.maintenance.apply_retention" in jobs
    nightly = jobs["workers.maintenance.refresh_database_statistics"]
    assert nightly.cron == "37 3 * * *" and nightly.kwargs == {"school": DEFAULT_SCHOOL}
    morning = jobs["workers.oversight.open_diary_checks"]
    assert morning.cron == "10 6 * * *" and morning.kwargs == {"school": DEFAULT_SCHOOL}


def _lesson_statistics() -> object:
    """Return what the planner knows of the lesson table: SQLite's sqlite_stat1 rows, PostgreSQL's row estimate."""
    if is_sqlite():
        if not db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return []
        return db.execute_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'lesson' ORDER BY idx").fetchall()
    return db.execute_sql("SELECT reltuples FROM pg_class WHERE relname = 'lesson'").fetchone()[0]


def test_the_nightly_job_refreshes_the_planners_statistics(app, school, redis_conn, work):
    # The school's lessons were written after the schema's ANALYZE: the planner's picture is stale.
    before = _lesson_statistics()
    lessons = Lesson.select().count()
    assert lessons > 0
    enqueue(
        "workers.maintenance.refresh_database_statistics",
        settings=app_settings(app),
        kwargs={"school": app_settings(app).school},
    )
    work()
    after = _lesson_statistics()
    assert after != before
    if is_sqlite():
        # "rows rows-per-key…": the index on (journal, date, number) now counts the school's lessons.
        stats = dict(after)
        assert stats["lesson_journal_id_date_number"].split()[0] == str(lessons), stats
    else:
        assert after == lessons


def test_the_tick_job_runs_in_a_worker_and_enqueues_into_its_redis(
    app, school, outbox, instance_path, redis_conn, work
):
    enqueue("workers.exports.plan_exports", settings=app_settings(app), kwargs={"school": app_settings(app).school})
    work()  # the tick records today's due daily run and enqueues it; the same burst then runs it
    daily = ExportRun.get(ExportRun.slot.startswith("daily-"))
    assert daily.trigger == "schedule" and daily.status == "delivered"
    # Nothing had reached the portal for this school and year: the daily went out as a full.
    assert daily.kind == "full" and "ещё ничего не доставлено" in daily.note


def test_old_spool_files_are_removed(app, school, portal, instance_path):
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    run = ExportRun.get_by_id(run.id)
    path = Path(run.file_path)
    assert path.is_file()
    assert planner.remove_old_spool_files(utc(2026, 1, 1)) == 0
    ExportRun.update(finished_at=dt.datetime(2026, 1, 1)).where(ExportRun.id == run.id).execute()
    assert planner.remove_old_spool_files(utc(2026, 3, 5)) == 1
    assert not path.exists() and ExportRun.get_by_id(run.id).file_path == ""


def test_nothing_pending_means_no_job(app, school, outbox, instance_path, redis_conn):
    assert runs.ensure_worker(settings=app_settings(app)) is None
    assert len(Queue("exports", connection=redis_conn)) == 0
