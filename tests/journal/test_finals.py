"""Final marks: periods per grade, the recommended mark, who sets what, locked periods, the class's page."""

import datetime as dt

import pytest

from app.models import AuditEntry, ClassGroup, FinalMark, Mark, SchoolSettings, Term
from app.services import finals, groups, journal, journal_marks, journal_planning
from app.services import school as school_service
from app.services.errors import AccessDenied, DomainError, NotFound
from tests.journal.conftest import journal_of, make_lesson


def _give(school, lesson, student, value, weight=1):
    Mark.create(lesson=lesson, student=student, value=value, work_type=school.answer, weight=weight)


@pytest.fixture
def graded(school):
    """5А maths in the current term: Алексеев has 5, 4, 3 (weights 1, 1, 3): 3,60; Борисова has 2, 3: 2,50."""
    first, second, third = school.students[:3]
    _give(school, school.lesson, first, "5")
    _give(school, school.earlier, first, "4")
    _give(school, school.earlier, first, "3", weight=3)
    _give(school, school.lesson, second, "2")
    _give(school, school.earlier, second, "3")
    return journal.get_journal(journal_of(school.c5a, school.math).id)


def _key(term):
    return f"term-{term.id}"


def test_recommend_rounds_by_the_school_rule():
    assert finals.recommend(2.60, 60) == "3"
    assert finals.recommend(2.59, 60) == "2"
    assert finals.recommend(2.50, 50) == "3"
    assert finals.recommend(4.99, 60) == "5"
    assert finals.recommend(5.0, 60) == "5"
    assert finals.recommend(None, 60) is None


def test_the_listed_grades_are_attested_by_halves(school):
    settings = SchoolSettings.load()
    assert finals.period_kind(10, {"quarter", "half"}, settings) == "half"
    assert finals.period_kind(5, {"quarter", "half"}, settings) == "quarter"
    assert finals.period_kind(10, {"quarter"}, settings) == "quarter"
    assert finals.period_kind(None, {"quarter", "half"}, settings) == "quarter"
    assert finals.period_kind(7, set(), settings) is None


def test_the_planner_gives_a_tenth_grade_lesson_its_half(school):
    year = school.year
    half = Term.create(year=year, kind="half", number=1, start_date=year.start_date, end_date=year.end_date)
    c10 = ClassGroup.create(year=year, grade=10, letter="А")
    tenth = journal_of(c10, school.math)
    fifth = journal_of(school.c5a, school.math)
    for book, number in ((tenth, 6), (fifth, 7)):
        groups.assign_teacher(None, book, school.teacher)
        groups.create_slot(
            None,
            journal=book.id,
            weekday=school.today.isoweekday() if school.today.isoweekday() < 7 else 1,
            lesson_number=number,
            teacher=school.teacher.id,
            valid_from=year.start_date,
            valid_to=year.end_date,
        )
    journal_planning.plan_lessons(school.admin, year)
    assert {lesson.term_id for lesson in tenth.lessons} == {half.id}
    # The fifth grade keeps its quarters (and no term on the days the fixture's quarters leave out).
    assert {lesson.term_id for lesson in fifth.lessons if lesson.number == 7} <= {
        school.term.id,
        school.past_term.id,
        None,
    }


def test_the_sheet_shows_averages_counts_and_recommendations(school, graded):
    sheet = finals.final_sheet(school.teacher, graded)
    keys = [column.key for column in sheet.columns]
    assert keys == [_key(school.past_term), _key(school.term), "year", "exam", "final"]
    rows = {row.student.id: row for row in sheet.rows}
    first = rows[school.students[0].id].cells[_key(school.term)]
    assert (first.average, first.count, first.recommended) == (3.6, 3, "4")
    second = rows[school.students[1].id].cells[_key(school.term)]
    assert (second.average, second.count, second.recommended) == (2.5, 2, "2")
    # Only the group's members: the stranger of 6Б has no row; the newcomer was not in the first term.
    assert school.stranger.id not in rows
    assert not rows[school.newcomer.id].cells[_key(school.past_term)].member
    assert rows[school.newcomer.id].cells[_key(school.term)].member


def test_the_teacher_sets_a_column_and_the_year_is_recommended_from_it(school, graded):
    first, second = school.students[:2]
    saved = finals.save_finals(
        school.teacher,
        graded.id,
        _key(school.term),
        {first.id: "4", second.id: "на", school.students[2].id: ""},
        clock=school.clock,
    )
    assert saved == 2
    marks = {m.student_id: m for m in FinalMark.select().where(FinalMark.kind == "term")}
    assert marks[first.id].value == "4" and marks[second.id].value == "н/а"
    assert marks[first.id].subject_id == school.math.id and marks[first.id].journal_id == graded.id
    assert AuditEntry.select().where(AuditEntry.model == "FinalMark").count() == 2
    finals.save_finals(school.teacher, graded.id, _key(school.past_term), {first.id: "5"}, clock=school.clock)
    row = next(r for r in finals.final_sheet(school.teacher, graded).rows if r.student.id == first.id)
    assert (row.cells["year"].average, row.cells["year"].recommended) == (4.5, "4")
    # Saving the same values again writes nothing; clearing deletes.
    assert finals.save_finals(school.teacher, graded.id, _key(school.term), {first.id: "4"}, clock=school.clock) == 0
    finals.save_finals(school.teacher, graded.id, _key(school.term), {first.id: ""}, clock=school.clock)
    assert not FinalMark.select().where((FinalMark.student == first.id) & (FinalMark.term == school.term.id)).exists()


def test_one_wrong_value_writes_nothing(school, graded):
    first, second = school.students[:2]
    with pytest.raises(DomainError) as refused:
        finals.save_finals(
            school.teacher, graded.id, _key(school.term), {first.id: "5", second.id: "6"}, clock=school.clock
        )
    assert "такой итоговой отметки нет" in refused.value.message
    assert refused.value.field == f"value-{second.id}"
    assert FinalMark.select().count() == 0


def test_a_student_outside_the_group_in_the_period_is_refused_without_a_name(school, graded):
    for outsider in (school.stranger.id, school.newcomer.id, 10**9, "x"):
        column = _key(school.past_term)
        with pytest.raises(DomainError) as refused:
            finals.save_finals(school.teacher, graded.id, column, {outsider: "5"}, clock=school.clock)
        assert "не числится в группе журнала" in refused.value.message
        assert school.stranger.last_name not in refused.value.message
    assert FinalMark.select().count() == 0


def test_only_the_journals_teacher_or_the_deputy_sets_finals(school, graded):
    first = school.students[0]
    with pytest.raises(AccessDenied):
        finals.save_finals(
            school.other, graded.id, _key(school.term), {first.id: "5"}, clock=school.clock
        )  # teaches 5А Russian
    with pytest.raises(AccessDenied):
        finals.save_finals(
            school.leader, graded.id, _key(school.term), {first.id: "5"}, clock=school.clock
        )  # the class teacher reads
    with pytest.raises(NotFound):
        finals.save_finals(school.teacher, graded.id, "term-999999", {first.id: "5"}, clock=school.clock)
    assert finals.save_finals(school.deputy, graded.id, _key(school.term), {first.id: "5"}, clock=school.clock) == 1
    assert not [c for c in finals.final_sheet(school.leader, graded).columns if c.editable]


def test_a_closed_period_is_changed_by_the_deputy_with_a_reason(school, graded):
    first = school.students[0]
    finals.save_finals(school.teacher, graded.id, _key(school.past_term), {first.id: "4"}, clock=school.clock)
    school_service.close_term(school.deputy, school.past_term.id, today=school.today, confirmed=True)
    with pytest.raises(AccessDenied) as teacher:
        finals.save_finals(school.teacher, graded.id, _key(school.past_term), {first.id: "5"}, clock=school.clock)
    assert "закрыт" in teacher.value.message
    with pytest.raises(DomainError) as no_reason:
        finals.save_finals(school.deputy, graded.id, _key(school.past_term), {first.id: "5"}, clock=school.clock)
    assert no_reason.value.field == "reason"
    with pytest.raises(DomainError):
        finals.save_finals(
            school.deputy, graded.id, _key(school.past_term), {first.id: "5"}, reason="because", clock=school.clock
        )
    assert FinalMark.get(FinalMark.student == first.id).value == "4"
    finals.save_finals(
        school.deputy, graded.id, _key(school.past_term), {first.id: "5"}, reason="appeal", clock=school.clock
    )
    changed = FinalMark.get(FinalMark.student == first.id)
    assert (changed.value, changed.change_reason, changed.set_by_id) == ("5", "appeal", school.deputy.id)
    entry = AuditEntry.select().where(AuditEntry.model == "FinalMark").order_by(AuditEntry.id.desc()).first()
    assert entry.actor_id == school.deputy.id and entry.after_data["change_reason"] == "appeal"


def test_a_final_follows_the_student_between_groups(school):
    english = school.russian  # any subject: taught to two groups of a split
    first_group, second_group = groups.create_split(None, school.c5a, "англ.", 2)
    mover = school.students[0]
    groups.place_students(None, [first_group, second_group], {mover.id: first_group.id}, school.year.start_date)
    one = groups.create_journal(None, group=first_group.id, subject=english.id)
    two = groups.create_journal(None, group=second_group.id, subject=school.history.id)
    groups.assign_teacher(None, one, school.teacher)
    groups.assign_teacher(None, two, school.other)
    make_lesson(None, None, school.teacher, school.today, 5, school.term, journal=one)
    finals.save_finals(school.teacher, one.id, _key(school.term), {mover.id: "5"}, clock=school.clock)
    mark = FinalMark.get(FinalMark.student == mover.id)
    assert (mark.subject_id, mark.journal_id) == (english.id, one.id)
    # Another group's journal of another subject has its own column for the student only once a member.
    with pytest.raises(DomainError):
        finals.save_finals(school.other, two.id, _key(school.term), {mover.id: "4"}, clock=school.clock)


def test_the_class_page_lists_students_subjects_and_columns(school, graded, as_user):
    first = school.students[0]
    finals.save_finals(school.teacher, graded.id, _key(school.term), {first.id: "4"}, clock=school.clock)
    page = finals.class_finals(school.leader, school.c5a.id)
    assert [s.id for s in page.students][:1] == [first.id]
    assert {s.name for s in page.subjects} >= {"Математика", "Русский язык"}
    assert page.value(first.id, school.math.id, _key(school.term)) == "4"
    assert page.value(first.id, school.russian.id, _key(school.term)) == ""
    finals.class_finals(school.head, school.c5a.id)
    finals.class_finals(school.deputy, school.c5a.id)
    for outsider in (school.teacher, school.other):
        with pytest.raises(AccessDenied):
            finals.class_finals(outsider, school.c5a.id)
    with pytest.raises(NotFound):
        finals.class_finals(school.head, "999999")


def test_the_sheet_takes_the_same_queries_whatever_the_group(school, graded):
    from tests.journal.conftest import QueryCounter

    finals.final_sheet(school.teacher, graded)  # the person's permissions are read once and kept
    with QueryCounter() as small:
        finals.final_sheet(school.teacher, graded)
    for n in range(5):
        lesson = make_lesson(
            school.c5a, school.math, school.teacher, school.today - dt.timedelta(days=n + 2), 3, school.term
        )
        for student in school.students:
            _give(school, lesson, student, "4")
    with QueryCounter() as large:
        finals.final_sheet(school.teacher, graded)
    assert large.count == small.count, "\n".join(large.statements)
    assert journal_marks.format_average(3.6) == "3,60"


def test_a_journal_or_term_with_finals_keeps_its_group_and_kind(school, graded):
    finals.save_finals(school.teacher, graded.id, _key(school.term), {school.students[0].id: "5"}, clock=school.clock)
    other_group = groups.create_group(None, kind="cross", year=school.year.id, name="Кружок", grade=None)
    with pytest.raises(DomainError) as journal_refused:
        groups.update_journal(None, graded, group=other_group.id)
    assert "итоговые отметки" in journal_refused.value.message
    with pytest.raises(DomainError) as term_refused:
        school_service.update_term(None, Term.get_by_id(school.term.id), kind="trimester", number=2)
    assert "итоговые отметки" in term_refused.value.message
    assert Term.get_by_id(school.term.id).kind == "quarter"


def test_a_final_carries_a_comment_saved_with_it(school, graded):
    first, second = school.students[:2]
    column = _key(school.term)
    saved = finals.save_finals(
        school.teacher,
        graded.id,
        column,
        {first.id: "2", second.id: "3"},
        comments={first.id: "  не сдал   зачёт ", second.id: ""},
        clock=school.clock,
    )
    assert saved == 2
    marks = {m.student_id: m for m in FinalMark.select()}
    assert marks[first.id].comment == "не сдал зачёт" and marks[second.id].comment is None
    # A comment alone is a change; leaving it out keeps it.
    assert (
        finals.save_finals(school.teacher, graded.id, column, {}, comments={second.id: "болела"}, clock=school.clock)
        == 1
    )
    assert finals.save_finals(school.teacher, graded.id, column, {first.id: "2"}, clock=school.clock) == 0
    assert FinalMark.get(FinalMark.student == first.id).comment == "не сдал зачёт"
    audited = AuditEntry.select().where(AuditEntry.model == "FinalMark").order_by(AuditEntry.id.desc()).first()
    assert audited.after_data["comment"] == "болела"


def test_a_comment_without_a_mark_or_too_long_writes_nothing(school, graded):
    first, second = school.students[:2]
    column = _key(school.term)
    with pytest.raises(DomainError) as refused:
        finals.save_finals(
            school.teacher,
            graded.id,
            column,
            {first.id: "5", second.id: ""},
            comments={second.id: "x"},
            clock=school.clock,
        )
    assert refused.value.field == f"comment-{second.id}" and "комментарий без отметки" in refused.value.message
    with pytest.raises(DomainError) as refused:
        finals.save_finals(
            school.teacher, graded.id, column, {first.id: "5"}, comments={first.id: "я" * 301}, clock=school.clock
        )
    assert refused.value.field == f"comment-{first.id}"
    assert FinalMark.select().count() == 0


def test_the_finals_page_saves_a_comment_and_shows_it(school, graded, as_user):
    client = as_user(school.teacher)
    url = f"/journal/finals/{graded.id}?column={_key(school.term)}"
    page = client.get(url).get_data(as_text=True)
    first = school.students[0]
    assert f'name="comment-{first.id}"' in page
    response = client.post(
        f"/journal/finals/{graded.id}",
        data={
            "column": _key(school.term),
            f"value-{first.id}": "2",
            f"comment-{first.id}": "болел полчетверти",
        },
    )
    assert response.status_code == 303
    assert FinalMark.get(FinalMark.student == first.id).comment == "болел полчетверти"
    shown = as_user(school.deputy).get(f"/journal/finals/{graded.id}?column=year").get_data(as_text=True)
    assert "Комментарий: болел полчетверти" in shown
