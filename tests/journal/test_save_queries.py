"""A cell save reads and writes in a fixed, small number of statements (issue 13), on SQLite and PostgreSQL.

Each save endpoint is counted as the grid's script calls it, through the real session, CSRF and
access checks; the count must stay within SAVE_BUDGET and must not grow with the class or the marks.
Also: the per-request memo (`app/memo.py`) lives exactly one request.
"""

import datetime as dt

import pytest

from app import memo
from app.models import Enrollment, Mark, SchoolSettings, Student, TeachingAssignment
from app.services import access, groups, journal_marks
from tests.journal.conftest import QueryCounter, make_lesson

# The session's person with their permissions, the lesson with its journal and term, the student
# with their membership, the work type, the settings, the change number, the row, the audit entry,
# and the reply's cell with the term's averages: see docs/architecture.md, decision 34.
SAVE_BUDGET = 10


def logged_in(as_user, staff):
    """Return a client of the person that already holds its CSRF token (the first post fetches a page for it)."""
    client = as_user(staff)
    client.post("/journal/api/absence", json={})
    return client


def counted(client, url, body):
    with QueryCounter() as counter:
        response = client.post(url, json=body)
    assert response.status_code in (200, 201), response.get_json()
    return counter.count, response.get_json()


def add_body(school, student, value="5"):
    return {"lesson": school.lesson.id, "student": student.id, "value": value, "work_type": school.answer.id}


def last_mark(student):
    return Mark.select().where(Mark.student == student.id).order_by(Mark.id.desc()).first()


def each_save(client, school, student):
    """Run the four saves on one cell; return their statement counts by name."""
    counts = {}
    counts["add"], _ = counted(client, "/journal/api/marks", add_body(school, student))
    mark = last_mark(student)
    body = {"change_no": mark.change_no, "value": "4", "work_type": school.test.id}
    counts["change"], _ = counted(client, f"/journal/api/marks/{mark.id}", body)
    mark = last_mark(student)
    counts["delete"], _ = counted(client, f"/journal/api/marks/{mark.id}/delete", {"change_no": mark.change_no})
    absence = {"lesson": school.lesson.id, "student": student.id, "reason": "illness"}
    counts["absence"], _ = counted(client, "/journal/api/absence", absence)
    counts["absence change"], _ = counted(client, "/journal/api/absence", {**absence, "reason": "late"})
    counts["absence clear"], _ = counted(client, "/journal/api/absence", {**absence, "reason": ""})
    return counts


def grow(school, extra_students=25):
    """Put more students in the class and many marks into the term, the saved student's among them."""
    for n in range(extra_students):
        student = Student.create(last_name=f"Добавленный{n:02d}", first_name="Ученик")
        Enrollment.create(student=student, class_group=school.c5a, start_date=school.year.start_date)
    members = groups.members_on(school.lesson.journal.group, school.today)
    for offset in range(1, 6):
        lesson = make_lesson(
            school.c5a, school.math, school.teacher, school.today - dt.timedelta(days=offset), 3, school.term
        )
        for student in members:
            journal_marks.add_mark(school.teacher, lesson.id, student.id, "4", school.answer.id, clock=school.clock)


@pytest.mark.parametrize("who", ["teacher", "deputy"])
def test_each_save_stays_within_the_budget_and_does_not_grow(school, as_user, who):
    client = logged_in(as_user, getattr(school, who))
    small = each_save(client, school, school.students[0])
    assert max(small.values()) <= SAVE_BUDGET, small
    grow(school)
    large = each_save(client, school, school.students[1])
    assert large == small


def test_a_teacher_who_only_reads_the_lesson_is_refused_in_as_few(school, as_user):
    # The class teacher opens the 5А's Russian lesson (her class's journal) but does not give it:
    # the lesson scope then needs her journals (one query) before the refusal.
    client = logged_in(as_user, school.leader)
    body = {**add_body(school, school.students[0]), "lesson": school.russian_lesson.id}
    with QueryCounter() as counter:
        response = client.post("/journal/api/marks", json=body)
    assert response.status_code == 403
    assert counter.count <= 4, counter.statements
    assert Mark.select().count() == 0


def test_the_reply_carries_the_term_averages_of_the_counting_journal(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[0]
    journal_marks.add_mark(school.teacher, school.earlier.id, pupil.id, "3", school.test.id, clock=school.clock)
    # A mark of the closed past term does not count in this term's average.
    SchoolSettings.load()  # outside a request: no memo, a plain read
    _, answer = counted(client, "/journal/api/marks", add_body(school, pupil, "5"))
    cell = answer["cell"]
    assert [m["value"] for m in cell["marks"]] == ["5"]
    # (3×3 + 5×1) / 4 = 3,5 weighted; (3 + 5) / 2 = 4 plain.
    assert (cell["average"], cell["weighted"]) == ("4,00", "3,50")
    assert cell["absence"] is None


def test_the_averages_keep_to_the_lessons_the_person_may_see(school, as_user, make_staff):
    # A substitute gives one lesson of the 5А's mathematics: the reply's averages count the marks
    # of the lessons they may see (their own), not the journal's other lessons.
    substitute = make_staff("subst", roles=["teacher"], last_name="Заменова")
    pupil = school.students[0]
    journal_marks.add_mark(school.teacher, school.earlier.id, pupil.id, "2", school.answer.id, clock=school.clock)
    lesson = make_lesson(school.c5a, school.math, school.teacher, school.today, 5, school.term)
    lesson.teacher = substitute
    lesson.save()
    client = logged_in(as_user, substitute)
    _, answer = counted(client, "/journal/api/marks", {**add_body(school, pupil, "5"), "lesson": lesson.id})
    assert answer["cell"]["average"] == "5,00"


def test_the_settings_are_read_again_by_the_next_request(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[0]
    mark = journal_marks.add_mark(
        school.teacher, school.earlier.id, pupil.id, "3", school.answer.id, clock=school.clock
    )
    Mark.update(created_at=mark.created_at - dt.timedelta(days=3)).where(Mark.id == mark.id).execute()
    url = f"/journal/api/cell?lesson={school.earlier.id}&student={pupil.id}"
    assert client.get(url).get_json()["cell"]["marks"][0]["needs_reason"] is False
    # A class-level update drops no memo: only a memo that ended with its request lets the next one see it.
    SchoolSettings.update(mark_edit_days=1).execute()
    assert client.get(url).get_json()["cell"]["marks"][0]["needs_reason"] is True


def test_a_write_inside_the_request_drops_what_it_remembered(school):
    memo.open_memo()
    try:
        with QueryCounter() as counter:
            first = SchoolSettings.load()
            assert SchoolSettings.load() is first
            assert access.open_journal_ids(school.teacher) == access.open_journal_ids(school.teacher)
        assert counter.count == 2
        first.mark_edit_days = 2
        first.save()
        assert SchoolSettings.load() is not first
        assert SchoolSettings.load().mark_edit_days == 2
        TeachingAssignment.create(journal=school.other_lesson.journal_id, teacher=school.teacher.id)
        assert school.other_lesson.journal_id in access.open_journal_ids(school.teacher)
    finally:
        memo.close_memo()
    with QueryCounter() as counter:
        SchoolSettings.load()
        SchoolSettings.load()
    assert counter.count == 2


def test_membership_in_one_query_agrees_with_the_spans(school):
    # The saves ask groups.membership_test; the grid asks member_spans: the two must agree.
    group = school.lesson.journal.group
    people = [*school.students, school.leaver, school.newcomer, school.stranger]
    days = [school.year.start_date - dt.timedelta(days=1), school.year.start_date, school.today - dt.timedelta(days=7)]
    days += [school.today, school.year.end_date, school.year.end_date + dt.timedelta(days=1)]
    for student in people:
        for day in days:
            test = groups.membership_test(student.id, group, day)
            found = Student.select(test.alias("member")).where(Student.id == student.id).scalar()
            assert bool(found) == groups.is_member(student.id, group, day), (student, day)
