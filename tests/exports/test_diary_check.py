"""The e-diary check (R7.1–R7.3) compares the delivered packages, read back, with the journal now."""

import datetime as dt

import pytest

from app.clock import app_clock
from app.models import AuditEntry, Mark
from app.models.oversight import DiaryCheck, Remark
from app.services import diary_check
from app.services.errors import DomainError, NotFound
from app.services.exports import runs


def _deliver(kind, instance_path):
    run = runs.create_run(kind, "manual", None, instance_path=instance_path)
    assert runs.process(run.id, instance_path=instance_path) == "delivered"
    return run


@pytest.fixture
def opened(app, school, outbox, instance_path):
    clock = app_clock(app)
    assert diary_check.open_monthly(dt.date(2026, 10, 1), clock=clock) == 2
    return DiaryCheck.get(DiaryCheck.staff == school.teacher.id), clock


def test_the_1st_opens_the_past_months_check_for_everyone_with_a_uid(app, school, opened):
    check, clock = opened
    assert (check.month, check.due_date, check.status) == (dt.date(2026, 9, 1), dt.date(2026, 10, 10), "due")
    assert {c.staff_id for c in DiaryCheck.select()} == {school.teacher.id, school.leader.id}  # not the clerk
    assert diary_check.open_monthly(dt.date(2026, 10, 2), clock=clock) == 0
    # The class teacher's scope is every journal of the class, the teacher's their own.
    assert set(diary_check.scope_journal_ids(school.teacher.id, school.year.id)) == {
        school.math_a.id,
        school.english_journal.id,
    }
    assert {school.math_a.id, school.english_journal.id} <= set(
        diary_check.scope_journal_ids(school.leader.id, school.year.id)
    )


def test_it_lists_exactly_the_edits_not_yet_delivered_and_nothing_once_delivered(
    app, school, outbox, instance_path, opened
):
    check, clock = opened
    before = diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path)
    assert before.delivered_at is None and before.nothing_delivered and before.differences == []
    _deliver("full", instance_path)
    review = diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path)
    assert review.differences == [] and review.marks == 3 and review.lessons == 3
    mark = Mark.get((Mark.lesson == school.lesson.id) & (Mark.student == school.students[0].id))
    mark.value = "3"
    mark.save()
    (changed,) = diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path).differences
    assert (changed.portal, changed.journal, changed.pending) == ("5", "3", True)
    assert "02.09.2026, 1 урок" in changed.where and "Алексеев А." in changed.where
    _deliver("daily", instance_path)
    assert diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path).differences == []
    # A deleted mark is a difference until the daily carries the deletion.
    mark.delete_instance()
    (gone,) = diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path).differences
    assert (gone.portal, gone.journal, gone.pending) == ("3", "нет", True)
    _deliver("daily", instance_path)
    assert diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path).differences == []


def test_a_package_that_cannot_be_read_back_is_named(app, school, outbox, instance_path, opened):
    check, clock = opened
    full = _deliver("full", instance_path)
    from pathlib import Path

    from app.models import ExportRun

    Path(ExportRun.get_by_id(full.id).file_path).unlink()
    review = diary_check.review(school.teacher, check, clock=clock, instance_path=instance_path)
    assert review.unreadable == [ExportRun.get_by_id(full.id).package_id]


def test_confirming_or_reporting_answers_the_check_once(app, school, opened, make_staff):
    check, clock = opened
    admin = make_staff("admin-exports", roles=["admin"])
    with pytest.raises(NotFound):
        diary_check.confirm(school.leader, check.id, clock=clock)
    with pytest.raises(NotFound):
        diary_check.get_check(school.clerk, check.id)
    with pytest.raises(DomainError):
        diary_check.report(school.teacher, check.id, "   ", clock=clock)
    diary_check.report(school.teacher, check.id, "у 5А на портале нет урока 03.09", clock=clock)
    answered = DiaryCheck.get_by_id(check.id)
    assert answered.status == "reported" and answered.remark_id is not None
    remark = Remark.get_by_id(answered.remark_id)
    assert remark.assignee_id == admin.id and "нет урока 03.09" in remark.text and remark.check_id is None
    with pytest.raises(DomainError):
        diary_check.confirm(school.teacher, check.id, clock=clock)
    other = DiaryCheck.get(DiaryCheck.staff == school.leader.id)
    diary_check.confirm(school.leader, other.id, clock=clock)
    assert DiaryCheck.get_by_id(other.id).status == "confirmed"
    assert AuditEntry.select().where(AuditEntry.model == "DiaryCheck").count() == 2
    assert diary_check.due_count(school.teacher) == 0
    assert list(diary_check.overdue_checks(dt.date(2026, 10, 11))) == []


def test_the_morning_job_opens_the_checks_in_a_worker(app, school, redis_conn, work):
    import time_machine

    from app.queue import enqueue
    from app.settings import app_settings

    with time_machine.travel(dt.datetime(2026, 11, 1, 3, 10, tzinfo=dt.UTC), tick=False):
        enqueue(
            "workers.oversight.open_diary_checks",
            settings=app_settings(app),
            kwargs={"school": app_settings(app).school},
        )
        work()
    assert {(c.staff_id, c.month) for c in DiaryCheck.select()} == {
        (school.teacher.id, dt.date(2026, 10, 1)),
        (school.leader.id, dt.date(2026, 10, 1)),
    }
