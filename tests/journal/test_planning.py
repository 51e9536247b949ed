"""Planning lessons from the timetable: working days, holidays, terms, idempotence, orphans, never a silent delete."""

import datetime as dt

import pytest

from app.models import AuditEntry, ClassGroup, Holiday, Lesson, Mark, SchoolYear, Term, TimetableSlot, Tombstone
from app.services import journal_planning
from app.services.errors import AccessDenied
from tests.journal.conftest import in_class, journal_of, make_lesson

D = dt.date


@pytest.fixture
def autumn(school):
    """A September 2030 with a term to the 27th, a two-day holiday and three weekly slots of class 7В."""
    year = SchoolYear.create(name="2030/2031", start_date=D(2030, 9, 2), end_date=D(2030, 9, 30))
    Term.create(year=year, number=1, start_date=D(2030, 9, 2), end_date=D(2030, 9, 27))
    Holiday.create(year=year, name="День здоровья", start_date=D(2030, 9, 16), end_date=D(2030, 9, 17))
    group = ClassGroup.create(year=year, grade=7, letter="В")
    slots = {
        "monday": TimetableSlot.create(
            journal=journal_of(group, school.math),
            weekday=1,
            lesson_number=1,
            teacher=school.teacher,
            valid_from=year.start_date,
            valid_to=year.end_date,
        ),
        "wednesday": TimetableSlot.create(
            journal=journal_of(group, school.russian),
            weekday=3,
            lesson_number=2,
            teacher=school.other,
            valid_from=year.start_date,
            valid_to=year.end_date,
        ),
        "saturday": TimetableSlot.create(
            journal=journal_of(group, school.math),
            weekday=6,
            lesson_number=3,
            teacher=school.teacher,
            valid_from=D(2030, 9, 10),
            valid_to=year.end_date,
        ),
    }
    return year, group, slots


EXPECTED = {
    # Monday 16th is a holiday; Saturday 7th is before the slot starts, 28th after the term ends.
    (D(2030, 9, 2), 1),
    (D(2030, 9, 9), 1),
    (D(2030, 9, 23), 1),
    (D(2030, 9, 4), 2),
    (D(2030, 9, 11), 2),
    (D(2030, 9, 18), 2),
    (D(2030, 9, 25), 2),
    (D(2030, 9, 14), 3),
    (D(2030, 9, 21), 3),
}


def planned(group):
    return {(x.date, x.number) for x in Lesson.select().where(in_class(group))}


def test_plan_working_days_and_replan_idempotently(school, autumn):
    year, group, _ = autumn
    result = journal_planning.plan_lessons(school.deputy, year)
    assert result.created == 9 and planned(group) == EXPECTED
    lesson = Lesson.get(in_class(group) & (Lesson.date == D(2030, 9, 4)))
    assert (lesson.subject_id, lesson.planned_teacher_id, lesson.teacher_id) == (
        school.russian.id,
        school.other.id,
        school.other.id,
    )
    assert lesson.term.number == 1 and lesson.change_no > 0
    summary = AuditEntry.select().where((AuditEntry.model == "Lesson") & AuditEntry.object_id.is_null()).get()
    assert summary.after_data["created"] == 9 and "7В" not in summary.object_repr

    counter = Lesson.select().count()
    again = journal_planning.plan_lessons(school.deputy, year)
    assert (again.created, again.removed, again.orphaned, again.kept) == (0, 0, 0, 9)
    assert Lesson.select().count() == counter
    # A run that changes nothing leaves no audit entry.
    assert AuditEntry.select().where((AuditEntry.model == "Lesson") & AuditEntry.object_id.is_null()).count() == 1


def test_retired_slot_keeps_lessons_with_data_as_orphans(school, autumn):
    year, group, slots = autumn
    journal_planning.plan_lessons(school.admin, year)
    wednesdays = {x.date: x for x in Lesson.select().where(in_class(group) & (Lesson.number == 2))}
    Lesson.update(topic="Причастие").where(Lesson.id == wednesdays[D(2030, 9, 4)].id).execute()
    student = school.students[0]
    Mark.create(lesson=wednesdays[D(2030, 9, 11)], student=student, value="5", work_type=school.answer)
    Lesson.update(teacher=school.leader).where(Lesson.id == wednesdays[D(2030, 9, 18)].id).execute()
    empty = wednesdays[D(2030, 9, 25)]

    slots["wednesday"].delete_instance()
    result = journal_planning.plan_lessons(school.admin, year)
    assert (result.removed, result.orphaned, result.created) == (1, 3, 0)
    assert Lesson.get_or_none(Lesson.id == empty.id) is None
    assert Tombstone.select().where((Tombstone.record_type == "lesson") & (Tombstone.record_id == empty.id)).exists()
    kept = {x.date: x for x in Lesson.select().where(in_class(group) & (Lesson.number == 2))}
    assert set(kept) == {D(2030, 9, 4), D(2030, 9, 11), D(2030, 9, 18)}
    assert all(x.orphaned for x in kept.values())
    assert Mark.select().count() == 1
    audit = AuditEntry.select().where((AuditEntry.model == "Lesson") & (AuditEntry.object_id == str(empty.id))).get()
    assert audit.action == "delete"
    # The deputy sees them listed.
    assert {x.id for x in journal_planning.orphaned_lessons(school.deputy, year)} == {x.id for x in kept.values()}

    # Flagging is idempotent too; putting the slot back returns the lessons and re-creates the empty one.
    assert journal_planning.plan_lessons(school.admin, year).orphaned == 0
    TimetableSlot.create(
        journal=journal_of(group, school.russian),
        weekday=3,
        lesson_number=2,
        teacher=school.other,
        valid_from=year.start_date,
        valid_to=year.end_date,
    )
    back = journal_planning.plan_lessons(school.admin, year)
    assert (back.restored, back.created) == (3, 1)
    assert planned(group) == EXPECTED
    assert not Lesson.select().where(Lesson.orphaned == True).exists()  # noqa: E712


def test_new_teacher_only_for_empty_lessons(school, autumn):
    year, group, slots = autumn
    journal_planning.plan_lessons(school.admin, year)
    mondays = {x.date: x for x in Lesson.select().where(in_class(group) & (Lesson.number == 1))}
    Lesson.update(held=True, topic="Натуральные числа").where(Lesson.id == mondays[D(2030, 9, 2)].id).execute()
    slot = slots["monday"]
    slot.teacher = school.leader
    slot.save()
    result = journal_planning.plan_lessons(school.admin, year)
    assert result.updated == 2
    after = {x.date: x for x in Lesson.select().where(in_class(group) & (Lesson.number == 1))}
    assert after[D(2030, 9, 2)].teacher_id == school.teacher.id  # the teacher who gave it stays
    assert (
        after[D(2030, 9, 9)].teacher_id == school.leader.id
        and after[D(2030, 9, 9)].planned_teacher_id == school.leader.id
    )


def test_planning_one_class_and_a_range(school, autumn):
    year, group, _ = autumn
    other_group = ClassGroup.create(year=year, grade=7, letter="Г")
    TimetableSlot.create(
        journal=journal_of(other_group, school.math),
        weekday=2,
        lesson_number=1,
        teacher=school.teacher,
        valid_from=year.start_date,
        valid_to=year.end_date,
    )
    result = journal_planning.plan_lessons(
        school.admin, year, class_group=group, start=D(2030, 9, 9), end=D(2030, 9, 14)
    )
    assert planned(group) == {(D(2030, 9, 9), 1), (D(2030, 9, 11), 2), (D(2030, 9, 14), 3)} and result.created == 3
    assert planned(other_group) == set()
    # A lesson outside the range is not touched even though no slot asks for it.
    stray = make_lesson(group, school.history, school.teacher, D(2030, 9, 24), 5)
    journal_planning.plan_lessons(school.admin, year, class_group=group, start=D(2030, 9, 2), end=D(2030, 9, 20))
    assert Lesson.get_or_none(Lesson.id == stray.id) is not None


def test_only_timetable_keeper_or_deputy_plans(school, autumn):
    year, group, _ = autumn
    with pytest.raises(AccessDenied):
        journal_planning.plan_lessons(school.teacher, year)
    assert planned(group) == set()


def test_planning_page(school, autumn, as_user):
    year, group, slots = autumn
    school.year.is_current = False
    school.year.save()
    year.is_current = True
    year.save()
    admin = as_user(school.admin)
    page = admin.get("/journal/planning/")
    assert page.status_code == 200 and "Планирование уроков" in page.get_data(as_text=True)
    response = admin.post("/journal/planning/", data={"class_group": "0", "start": "2030-09-02", "end": "2030-09-30"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Создано уроков: 9" in html
    assert planned(group) == EXPECTED

    lesson = Lesson.get(in_class(group) & (Lesson.date == D(2030, 9, 4)))
    Mark.create(lesson=lesson, student=school.students[0], value="4", work_type=school.answer)
    slots["wednesday"].delete_instance()
    html = admin.post(
        "/journal/planning/", data={"class_group": str(group.id), "start": "2030-09-02", "end": "2030-09-30"}
    ).get_data(as_text=True)
    assert "помечено «вне расписания»: 1" in html and f"/journal/lesson/{lesson.id}" in html
    # The administrator cannot delete it; the deputy can, marks and all, leaving tombstones.
    assert "Удалить с данными" not in html
    assert admin.post(f"/journal/planning/orphans/{lesson.id}/delete").status_code == 403
    deputy = as_user(school.deputy)
    assert "Удалить с данными" in deputy.get("/journal/planning/").get_data(as_text=True)
    assert deputy.post(f"/journal/planning/orphans/{lesson.id}/delete").status_code == 303
    assert Lesson.get_or_none(Lesson.id == lesson.id) is None and Mark.select().count() == 0
    assert Tombstone.select().where(Tombstone.record_type == "mark").count() == 1
    # A lesson still in the timetable cannot be deleted this way.
    planned_lesson = Lesson.get(in_class(group) & (Lesson.date == D(2030, 9, 2)))
    deputy.post(f"/journal/planning/orphans/{planned_lesson.id}/delete")
    assert Lesson.get_or_none(Lesson.id == planned_lesson.id) is not None
    assert as_user(school.teacher).get("/journal/planning/").status_code == 403
