"""Final marks in the package: set, changed, cleared, locked by a closed term, moved with a student between groups.

Every final here is saved the way the school saves it (`finals.save_finals` by the journal's
teacher or the deputy, terms closed and reopened through `school.close_term`/`reopen_term`),
exported, and applied by the reference receiver, whose store must equal the journal and whose
reading of the finals (by student, subject and period) must be what the classes' pages show.
"""

import datetime as dt

import pytest

from app.clock import SchoolClock
from app.models import ChangeCounter, ExportRun, FinalMark
from app.services import finals, groups
from app.services import school as school_service
from app.services.errors import AccessDenied, DomainError
from app.services.exports import runs
from tests.exports.helpers import SCHOOL_CODE, package_lines, records_of
from tests.exports.journal_state import class_final_marks, differences, journal_state
from tests.exports.receiver import HeldStateInvalid, ReferenceReceiver, final_marks

CLOCK = SchoolClock()  # the school's clock, as the app builds it

CLOSED_ON = dt.date(2026, 10, 26)


def export_now(kind, instance_path) -> ExportRun:
    """Ask for an export and do it right here (the job function's work, without the queue)."""
    run = runs.create_run(kind, "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    run = ExportRun.get_by_id(run.id)
    assert run.status == "delivered", run.error
    return run


def final_fields(lines) -> dict:
    """Return {id: fields} of a package's final_mark upserts."""
    return {
        line["id"]: line["fields"] for line in lines[1:-1] if line["type"] == "final_mark" and line["op"] == "upsert"
    }


def assert_level(receiver, school, deputy):
    """The receiver holds the journal, and reads each student's finals as the classes' pages show them."""
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    assert differences(journal_state(school.year), held) == {}
    assert final_marks(held) == class_final_marks(school.year, deputy)
    assert receiver.anomalies == [] and receiver.invalid == []


@pytest.fixture
def people(school, make_staff):
    """The mathematics teacher of 5А, the teachers of its two English groups, and the deputy."""
    math_teacher = make_staff("algebra", roles=["teacher"], last_name="Алгебраева")
    groups.assign_teacher(None, school.math_a, math_teacher)
    english_teacher = make_staff("english", roles=["teacher"], last_name="Инглишева")
    groups.assign_teacher(None, school.english_journal, english_teacher)
    second_teacher = make_staff("english2", roles=["teacher"], last_name="Бритова")
    second_journal = groups.create_journal(None, group=school.english_2.id, subject=school.english.id)
    groups.assign_teacher(None, second_journal, second_teacher)
    deputy = make_staff("deputy", roles=["deputy"], last_name="Завучева")
    return math_teacher, english_teacher, second_teacher, second_journal, deputy


def test_final_marks_set_changed_and_cleared_reach_the_portal(school, people, outbox, instance_path):
    teacher, *_, deputy = people
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    assert_level(receiver, school, deputy)
    first, second = school.students[:2]
    term_key = f"term-{school.term.id}"
    not_attested = FinalMark.get((FinalMark.student == second.id) & (FinalMark.kind == "term"))
    # A change of one, a new year mark: the next daily carries those two, nothing else.
    assert finals.save_finals(teacher, school.math_a.id, term_key, {first.id: "4", second.id: "н/а"}, clock=CLOCK) == 1
    assert finals.save_finals(teacher, school.math_a.id, "year", {first.id: "осв."}, clock=CLOCK) == 1
    year_mark = FinalMark.get(
        (FinalMark.year == school.year.id) & (FinalMark.student == first.id) & (FinalMark.kind == "year")
    )
    changed_run = export_now("daily", instance_path)
    changed = package_lines(changed_run.file_path)
    assert records_of(changed) == [("final_mark", "upsert", school.final.id), ("final_mark", "upsert", year_mark.id)]
    assert final_fields(changed) == {
        school.final.id: {
            "year": school.year.id,
            "student": first.id,
            "subject": school.math.id,
            "kind": "term",
            "term": school.term.id,
            "journal": school.math_a.id,
            "value": "4",
            "change_reason": None,
        },
        year_mark.id: {
            "year": school.year.id,
            "student": first.id,
            "subject": school.math.id,
            "kind": "year",
            "term": None,
            "journal": school.math_a.id,
            "value": "осв.",
            "change_reason": None,
        },
    }
    receiver.receive_file(changed_run.file_path)
    # Cleared: the record is deleted.
    assert finals.save_finals(teacher, school.math_a.id, term_key, {second.id: ""}, clock=CLOCK) == 1
    cleared = export_now("daily", instance_path)
    assert records_of(package_lines(cleared.file_path)) == [("final_mark", "delete", not_attested.id)]
    receiver.receive_file(cleared.file_path)
    assert_level(receiver, school, deputy)
    assert (
        final_marks(receiver.holding(SCHOOL_CODE, school.year.id))[(first.id, school.math.id, "term", school.term.id)]
        == "4"
    )


def test_a_closed_term_locks_its_finals_and_the_deputy_changes_them_with_a_reason(
    school, people, outbox, instance_path
):
    teacher, *_, deputy = people
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    first, second = school.students[:2]
    term_key = f"term-{school.term.id}"
    school_service.close_term(deputy, school.term.id, today=CLOSED_ON, confirmed=True)
    closed = export_now("daily", instance_path)
    # Closing the term changes the term; its finals are not sent again.
    assert records_of(package_lines(closed.file_path)) == [("term", "upsert", school.term.id)]
    receiver.receive_file(closed.file_path)
    before = ChangeCounter.current()
    with pytest.raises(AccessDenied):
        finals.save_finals(teacher, school.math_a.id, term_key, {first.id: "4"}, clock=CLOCK)
    with pytest.raises(DomainError) as no_reason:
        finals.save_finals(deputy, school.math_a.id, term_key, {first.id: "4"}, clock=CLOCK)
    assert no_reason.value.field == "reason"
    assert ChangeCounter.current() == before, "a refused change writes nothing"
    assert finals.save_finals(deputy, school.math_a.id, term_key, {first.id: "4"}, reason="retake", clock=CLOCK) == 1
    # The year's last period is closed: the year mark is locked too, and set with a reason.
    assert finals.save_finals(deputy, school.math_a.id, "year", {first.id: "4"}, reason="paper", clock=CLOCK) == 1
    assert finals.save_finals(deputy, school.math_a.id, term_key, {second.id: ""}, reason="check", clock=CLOCK) == 1
    cleared = FinalMark.get_or_none((FinalMark.student == second.id) & (FinalMark.kind == "term"))
    assert cleared is None
    year_mark = FinalMark.get(
        (FinalMark.year == school.year.id) & (FinalMark.student == first.id) & (FinalMark.kind == "year")
    )
    locked_run = export_now("daily", instance_path)
    locked = package_lines(locked_run.file_path)
    assert [(t, op) for t, op, _ in records_of(locked)] == [
        ("final_mark", "delete"),
        ("final_mark", "upsert"),
        ("final_mark", "upsert"),
    ]
    fields = final_fields(locked)
    assert (fields[school.final.id]["value"], fields[school.final.id]["change_reason"]) == ("4", "retake")
    assert (fields[year_mark.id]["value"], fields[year_mark.id]["change_reason"]) == ("4", "paper")
    receiver.receive_file(locked_run.file_path)
    assert_level(receiver, school, deputy)
    # Reopened for corrections, the period is open again: the teacher's change carries no reason.
    school_service.reopen_term(deputy, school.term.id, reason="Исправление по бумажному журналу")
    assert finals.save_finals(teacher, school.math_a.id, term_key, {first.id: "5"}, clock=CLOCK) == 1
    reopened = export_now("daily", instance_path)
    lines = package_lines(reopened.file_path)
    assert records_of(lines) == [("term", "upsert", school.term.id), ("final_mark", "upsert", school.final.id)]
    assert final_fields(lines)[school.final.id]["change_reason"] is None
    receiver.receive_file(reopened.file_path)
    assert_level(receiver, school, deputy)


def test_a_student_moved_to_another_group_keeps_one_final_per_period(school, people, outbox, instance_path):
    _, english_teacher, second_teacher, second_journal, deputy = people
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    student = school.students[0]
    term_key = f"term-{school.term.id}"
    assert finals.save_finals(english_teacher, school.english_journal.id, term_key, {student.id: "4"}, clock=CLOCK) == 1
    given = FinalMark.get((FinalMark.student == student.id) & (FinalMark.subject == school.english.id))
    assert given.journal_id == school.english_journal.id
    groups.place_students(
        None, [school.english_1, school.english_2], {student.id: school.english_2.id}, dt.date(2026, 10, 1)
    )
    # The new group's teacher sees the final given in the other group's journal, and changes it.
    sheet = finals.final_sheet(second_teacher, second_journal)
    row = next(row for row in sheet.rows if row.student.id == student.id)
    assert row.cells[term_key].value == "4"
    assert finals.save_finals(second_teacher, second_journal.id, term_key, {student.id: "5"}, clock=CLOCK) == 1
    moved = FinalMark.select().where((FinalMark.student == student.id) & (FinalMark.subject == school.english.id))
    assert [(m.id, m.journal_id, m.value) for m in moved] == [(given.id, second_journal.id, "5")]
    daily = export_now("daily", instance_path)
    lines = package_lines(daily.file_path)
    assert [(t, i) for t, _, i in records_of(lines) if t == "final_mark"] == [("final_mark", given.id)]
    assert final_fields(lines)[given.id]["journal"] == second_journal.id
    receiver.receive_file(daily.file_path)
    assert_level(receiver, school, deputy)
    held = final_marks(receiver.holding(SCHOOL_CODE, school.year.id))
    assert held[(student.id, school.english.id, "term", school.term.id)] == "5"


def test_last_years_finals_never_reach_this_years_package(school, outbox, instance_path, make_staff):
    deputy = make_staff("deputy", roles=["deputy"])
    receiver = ReferenceReceiver()
    full = export_now("full", instance_path)
    held = {(t, i) for t, _, i in records_of(package_lines(full.file_path))}
    assert ("final_mark", school.final.id) in held and ("final_mark", school.past_final.id) not in held
    receiver.receive_file(full.file_path)
    past = FinalMark.get_by_id(school.past_final.id)
    past.value, past.change_reason = "4", "appeal"
    past.save()
    # Changed outside the year's scope: only a delete of a record the portal never held (it ignores it).
    daily = export_now("daily", instance_path)
    assert records_of(package_lines(daily.file_path)) == [("final_mark", "delete", past.id)]
    receiver.receive_file(daily.file_path)
    assert_level(receiver, school, deputy)


def test_the_receiver_refuses_a_state_with_two_finals_for_one_period(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    final_marks(held)
    twin = dict(held[("final_mark", school.final.id)])
    with pytest.raises(HeldStateInvalid, match="a second final"):
        final_marks({**held, ("final_mark", 10**6): twin})
    with pytest.raises(HeldStateInvalid, match="journal"):
        final_marks({**held, ("final_mark", school.final.id): {**twin, "journal": school.russian_b.id}})
