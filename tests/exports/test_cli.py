"""`flask export run` (queued or --now with a progress bar) and `flask export status`."""

from pathlib import Path

from rq import Queue

from app.models import ExportRun
from tests.exports.helpers import package_lines


def test_run_enqueues_an_export_for_a_worker(runner, school, outbox, redis_conn, work):
    result = runner.invoke(args=["export", "run", "--kind", "daily"])
    assert result.exit_code == 0, result.output
    run = ExportRun.get()
    assert run.kind == "daily" and run.requested_by_name == "командная строка"
    assert f"задание {run.job_id}" in result.output
    assert Queue("exports", connection=redis_conn).job_ids == [run.job_id]
    work()
    assert ExportRun.get_by_id(run.id).status == "delivered"


def test_run_now_builds_and_delivers_here(runner, school, outbox, redis_conn):
    result = runner.invoke(args=["export", "run", "--kind", "full", "--now"])
    assert result.exit_code == 0, result.output
    run = ExportRun.get()
    assert run.status == "delivered" and "доставлена" in result.output and run.package_id in result.output
    assert f"записано {run.records} из {run.records}" in result.output, "the progress reached the end"
    package_lines(Path(run.file_path))
    assert len(Queue("exports", connection=redis_conn)) == 0


def test_run_now_reports_a_failure_with_a_nonzero_exit(runner, school, portal):
    portal.mode = "reject"
    result = runner.invoke(args=["export", "run", "--kind", "daily", "--now"])
    assert result.exit_code == 1
    assert "Неизвестный код школы" in result.output
    assert ExportRun.get().status == "failed"


def test_an_unknown_kind_is_refused(runner, app):
    result = runner.invoke(args=["export", "run", "--kind", "weekly"])
    assert result.exit_code == 2 and ExportRun.select().count() == 0


def test_status_tells_how_exports_stand(runner, school, outbox):
    runner.invoke(args=["export", "run", "--kind", "full", "--now"])
    result = runner.invoke(args=["export", "status"])
    assert result.exit_code == 0, result.output
    assert "Последняя успешная: № 1" in result.output
    assert "Следующая ежедневная" in result.output and "полная" in result.output
    assert "доставлена" in result.output
