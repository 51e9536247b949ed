"""Journals of study groups: the grid lists the group's members, access follows the journal, planning allows splits."""

import datetime as dt
import re

import pytest

from app.models import Lesson, Mark, Subject, TimetableSlot
from app.services import groups, journal, journal_marks, journal_planning
from app.services.errors import DomainError
from tests.journal.conftest import QueryCounter, journal_of, make_lesson


@pytest.fixture
def split(school):
    """5А's English in two groups: the first three students in group 1 (Смирнова), the rest in group 2 (Кузнецов)."""
    english = Subject.create(name="Английский язык")
    first, second = groups.create_split(None, school.c5a, "англ.", 2)
    start = school.year.start_date
    placement = {s.id: (first.id if i < 3 else second.id) for i, s in enumerate(school.students)}
    groups.place_students(None, [first, second], placement, start)
    # The newcomer joins group 2 the day they join the class.
    groups.place_students(None, [first, second], {school.newcomer.id: second.id}, school.today - dt.timedelta(days=5))
    journals = []
    for group, teacher in ((first, school.teacher), (second, school.other)):
        book = groups.create_journal(None, group=group.id, subject=english.id)
        groups.assign_teacher(None, book, teacher)
        journals.append(book)
    one, two = journals
    lessons = (
        make_lesson(None, None, school.teacher, school.today, 4, school.term, journal=one),
        make_lesson(None, None, school.other, school.today, 4, school.term, journal=two),
    )
    return english, (first, second), (one, two), lessons


def _grid(client, book, term):
    response = client.get(f"/journal/grid/{book.id}/{term.id}")
    return response.status_code, response.get_data(as_text=True)


def _row_names(html: str) -> list[str]:
    return re.findall(r'<th class="jname"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+?)\s*<', html)


def test_the_grid_of_a_group_lists_its_members_only(school, split, as_user):
    _, _, (one, two), _ = split
    status, html = _grid(as_user(school.teacher), one, school.term)
    assert status == 200
    for student in school.students[:3]:
        assert student.last_name in html
    for student in school.students[3:] + [school.newcomer, school.stranger]:
        assert student.last_name not in html
    assert "5А, англ., гр. 1 · Английский язык" in html


def test_a_teacher_opens_only_the_group_they_teach(school, split, as_user):
    _, _, (one, two), _ = split
    teacher = as_user(school.teacher)
    assert _grid(teacher, one, school.term)[0] == 200
    assert _grid(teacher, two, school.term)[0] == 403
    listing = teacher.get("/journal/").get_data(as_text=True)
    assert f"/journal/grid/{one.id}/" in listing
    assert f"/journal/grid/{two.id}/" not in listing


def test_the_class_teacher_reads_both_groups(school, split, as_user):
    _, _, (one, two), _ = split
    leader = as_user(school.leader)
    listing = leader.get("/journal/").get_data(as_text=True)
    for book in (one, two):
        assert f"/journal/grid/{book.id}/" in listing
        status, html = _grid(leader, book, school.term)
        assert status == 200
        assert 'aria-readonly="true"' in html


def test_a_mark_for_someone_outside_the_group_is_refused(school, split):
    _, _, _, (lesson_one, _) = split
    outsider = school.students[4]  # in group 2
    before = Mark.select().count()
    with pytest.raises(DomainError) as refused:
        journal_marks.add_mark(school.teacher, lesson_one.id, outsider.id, "5", school.answer.id, clock=school.clock)
    assert "в группе «5А, англ., гр. 1»" in refused.value.message
    assert outsider.last_name not in refused.value.message
    assert Mark.select().count() == before
    member = school.students[0]
    journal_marks.add_mark(school.teacher, lesson_one.id, member.id, "5", school.answer.id, clock=school.clock)
    assert Mark.select().count() == before + 1


def test_a_student_moved_between_groups_keeps_history_on_both_grids(school, split, as_user):
    _, (first, second), (one, two), _ = split
    moved = school.students[0]
    move_day = school.today - dt.timedelta(days=10)
    earlier = make_lesson(None, None, school.teacher, school.today - dt.timedelta(days=20), 4, school.term, journal=one)
    groups.place_students(None, [first, second], {moved.id: second.id}, move_day)
    # Before the move in group 1, from the move on in group 2.
    assert groups.is_member(moved.id, first, earlier.date)
    assert not groups.is_member(moved.id, first, school.today)
    assert groups.is_member(moved.id, second, school.today)
    book = journal.get_journal(one.id)
    term = school.term
    grid = journal_marks.build_grid(school.deputy, book, term.start_date, term.end_date, clock=school.clock)
    row = next(r for r in grid.students if r.student.id == moved.id)
    assert row.enrolled_on(earlier.date) and not row.enrolled_on(school.today)
    # The history: the first membership ended the day before the move, the second starts on it.
    spans = groups.member_spans([first, second], school.year.start_date, school.year.end_date)
    assert spans[first.id][moved.id] == [(school.year.start_date, move_day - dt.timedelta(days=1))]
    assert spans[second.id][moved.id] == [(move_day, school.year.end_date)]


def test_the_lesson_lists_the_groups_members_on_its_date(school, split):
    _, _, _, (lesson_one, lesson_two) = split
    one = {s.id for s in journal_marks.lesson_students(journal.get_lesson(lesson_one.id))}
    two = {s.id for s in journal_marks.lesson_students(journal.get_lesson(lesson_two.id))}
    assert one == {s.id for s in school.students[:3]}
    assert two == {s.id for s in school.students[3:]} | {school.newcomer.id}


def _slot(book, teacher, weekday=2, number=5) -> dict:
    year = book.year
    return {
        "journal": book.id,
        "weekday": weekday,
        "lesson_number": number,
        "teacher": teacher.id,
        "valid_from": year.start_date,
        "valid_to": year.end_date,
    }


def test_two_groups_of_a_split_share_a_period_and_are_both_planned(school, split):
    _, _, (one, two), _ = split
    groups.create_slot(None, **_slot(one, school.teacher))
    groups.create_slot(None, **_slot(two, school.other))
    journal_planning.plan_lessons(school.admin, school.year, class_group=school.c5a)
    tuesday = next(
        school.today + dt.timedelta(days=d) for d in range(7) if (school.today + dt.timedelta(days=d)).isoweekday() == 2
    )
    planned = Lesson.select().where((Lesson.date == tuesday) & (Lesson.number == 5))
    assert {lesson.journal_id for lesson in planned} == {one.id, two.id}


def test_clashes_are_refused_with_a_clear_message(school, split):
    _, _, (one, two), _ = split
    groups.create_slot(None, **_slot(one, school.teacher))
    maths = journal_of(school.c5a, school.math)
    # The whole class at the same period as a group of its students.
    groups.assign_teacher(None, maths, school.other)
    with pytest.raises(DomainError) as whole_class:
        groups.create_slot(None, **_slot(maths, school.other))
    assert "в это время уже есть урок" in whole_class.value.message
    # The same teacher in two places.
    with pytest.raises(DomainError) as busy:
        groups.create_slot(None, **_slot(maths, school.teacher))
    assert "Смирнова" in busy.value.message and "уже ведёт урок" in busy.value.message
    assert TimetableSlot.select().count() == 1


def test_a_class_teacher_sees_only_their_class_in_a_cross_class_journal(school, as_user):
    elective = Subject.create(name="Финансовая грамотность")
    group = groups.create_group(None, kind="cross", year=school.year.id, name="Факультатив 5–6", grade=None)
    ours, theirs = school.students[0], school.stranger
    for student in (ours, theirs):
        groups.create_membership(None, group=group.id, student=student.id, start_date=school.year.start_date)
    book = groups.create_journal(None, group=group.id, subject=elective.id, kind="extracurricular")
    groups.assign_teacher(None, book, school.other)
    make_lesson(None, None, school.other, school.today, 7, school.term, journal=book)
    status, html = _grid(as_user(school.leader), book, school.term)
    assert status == 200
    assert ours.last_name in html and theirs.last_name not in html
    status, html = _grid(as_user(school.other), book, school.term)
    assert ours.last_name in html and theirs.last_name in html
    assert _grid(as_user(school.teacher), book, school.term)[0] == 403


def test_the_group_grid_takes_the_same_queries_whatever_its_size(school, split, as_user):
    _, (first, _), (one, _), _ = split
    client = as_user(school.teacher)
    client.get(f"/journal/grid/{one.id}/{school.term.id}")
    with QueryCounter() as small:
        assert _grid(client, one, school.term)[0] == 200
    for n in range(6):
        make_lesson(None, None, school.teacher, school.today - dt.timedelta(days=n + 1), 4, school.term, journal=one)
    with QueryCounter() as large:
        assert _grid(client, one, school.term)[0] == 200
    assert large.count == small.count, "\n".join(large.statements)
