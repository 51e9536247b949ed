"""Marks and attendance details: decimal weights, comments, several marks at once, replace or add, «н», cancelled."""

import datetime as dt
from decimal import Decimal

import pytest

from app.clock import utcnow
from app.models import Absence, AuditEntry, Lesson, Mark, WorkType
from app.services import journal, journal_marks, journal_planning, work_types
from app.services.errors import DomainError
from tests.journal.conftest import make_lesson


def enter(client, lesson, student, values, work_type, **extra):
    body = {"lesson": lesson.id, "student": student.id, "values": values, "work_type": work_type.id, **extra}
    return client.post("/journal/api/marks", json=body)


def marks_of(lesson, student=None):
    query = Mark.select().where(Mark.lesson == lesson.id)
    if student is not None:
        query = query.where(Mark.student == student.id)
    return [(m.value, m.weight, m.comment) for m in query.order_by(Mark.id)]


def state():
    return (
        sorted(Mark.select(Mark.id, Mark.value, Mark.weight, Mark.comment).tuples()),
        sorted(Absence.select(Absence.id, Absence.reason).tuples()),
        AuditEntry.select().count(),
    )


# --- weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,stored",
    [("1,5", "1.5"), ("1.25", "1.25"), (1.2, "1.2"), (2, "2"), ("0,1", "0.1"), ("10", "10"), (" 1,0 ", "1")],
)
def test_a_weight_is_a_decimal_typed_the_russian_way(typed, stored):
    assert journal_marks.parse_weight(typed) == Decimal(stored)


@pytest.mark.parametrize("bad", ["0", "0,05", "10,5", "1,255", "abc", "1,2,3", True, "NaN", "inf", "-1", [1]])
def test_a_weight_out_of_limits_or_too_precise_is_refused(bad):
    with pytest.raises(DomainError, match="Вес — число от 0,1 до 10"):
        journal_marks.parse_weight(bad)


def test_weights_are_written_without_trailing_zeros():
    assert [journal_marks.format_weight(Decimal(x)) for x in ("1.00", "1.20", "1.25", "10")] == [
        "1",
        "1,2",
        "1,25",
        "10",
    ]


def test_a_mark_takes_its_work_types_decimal_weight_or_its_own(school, as_user):
    quiz = WorkType.create(name="Самостоятельная работа", default_weight=Decimal("1.2"))
    client = as_user(school.teacher)
    pupil = school.students[0]
    assert enter(client, school.lesson, pupil, ["5"], quiz).status_code == 201
    response = enter(client, school.lesson, pupil, ["3"], quiz, weight="1,5")
    assert response.status_code == 201
    assert marks_of(school.lesson, pupil) == [("5", Decimal("1.2"), None), ("3", Decimal("1.5"), None)]
    cell = response.get_json()["cell"]
    assert [m["weight"] for m in cell["marks"]] == ["1,2", "1,5"]
    # (5·1.2 + 3·1.5) / 2.7 = 3.888… → 3,89
    assert cell["weighted"] == "3,89" and cell["average"] == "4,00"
    assert "вес 1,2" in cell["html"] and "jm-heavy" in cell["html"]


def test_the_weighted_average_rounds_halves_up():
    marks = [Mark(value="3", weight=Decimal("1")), Mark(value="2", weight=Decimal("1.5")), Mark(value="4", weight=1)]
    # (3 + 3 + 4) / 3.5 = 2.857… → 2,86
    assert journal_marks.averages(marks) == (3.0, 2.86)
    assert journal_marks.weighted_mean([(3, Decimal("1")), (2, Decimal("1"))]) == 2.5
    assert journal_marks.weighted_mean([(5, Decimal("1")), (2, Decimal("1")), (3, Decimal("2"))]) == 3.25


def test_a_work_types_default_weight_is_checked(school):
    with pytest.raises(DomainError, match="Вес — число от 0,1 до 10"):
        work_types.create_work_type(school.admin, name="Проект", default_weight=Decimal("12"))
    made = work_types.create_work_type(school.admin, name="Проект", default_weight="1,3")
    assert WorkType.get_by_id(made.id).default_weight == Decimal("1.3")


# --- comments --------------------------------------------------------------------------------


def test_a_mark_carries_a_comment_that_the_cell_shows(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[1]
    response = enter(client, school.lesson, pupil, ["4"], school.answer, comment="  не выучил   правило ")
    assert response.status_code == 201
    assert marks_of(school.lesson, pupil) == [("4", Decimal("1"), "не выучил правило")]
    cell = response.get_json()["cell"]
    assert cell["marks"][0]["comment"] == "не выучил правило"
    assert "jm-note" in cell["html"] and "Комментарий: не выучил правило" in cell["html"]


def test_a_comment_is_changed_kept_or_cleared(school):
    pupil = school.students[1]
    mark = journal_marks.add_mark(
        school.teacher, school.lesson.id, pupil.id, "4", school.answer.id, comment="сначала", clock=school.clock
    )
    kept = journal_marks.change_mark(school.teacher, mark.id, mark.change_no, "5", school.answer.id, clock=school.clock)
    assert Mark.get_by_id(mark.id).comment == "сначала"
    changed = journal_marks.change_mark(
        school.teacher, mark.id, kept.change_no, "5", school.answer.id, comment="исправил", clock=school.clock
    )
    assert Mark.get_by_id(mark.id).comment == "исправил"
    journal_marks.change_mark(
        school.teacher, mark.id, changed.change_no, "5", school.answer.id, comment="", clock=school.clock
    )
    assert Mark.get_by_id(mark.id).comment is None
    assert AuditEntry.select().where((AuditEntry.model == "Mark") & (AuditEntry.action == "update")).count() == 3


def test_a_comment_too_long_or_not_text_is_refused_and_nothing_is_written(school, as_user):
    client = as_user(school.teacher)
    before = state()
    for comment in ("а" * 501, 5, ["x"]):
        response = enter(client, school.lesson, school.students[0], ["5"], school.answer, comment=comment)
        assert response.status_code == 400
        assert "омментарий" in response.get_json()["error"]
    assert state() == before


# --- several marks at once ---------------------------------------------------------------------


def test_several_marks_typed_at_once_are_saved_in_one_request(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[2]
    response = enter(client, school.lesson, pupil, ["5", "4"], school.test, comment="две части работы")
    assert response.status_code == 201
    assert marks_of(school.lesson, pupil) == [
        ("5", Decimal("3"), "две части работы"),
        ("4", Decimal("3"), "две части работы"),
    ]
    assert [m["value"] for m in response.get_json()["cell"]["marks"]] == ["5", "4"]


@pytest.mark.parametrize("values", [["5", "6"], ["5", ""], ["5"] * 6, []])
def test_one_bad_mark_among_several_writes_none(school, as_user, values):
    client = as_user(school.teacher)
    before = state()
    response = enter(client, school.lesson, school.students[2], values, school.test)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert state() == before


def test_values_that_are_not_strings_are_refused(school, as_user):
    client = as_user(school.teacher)
    before = state()
    for values in ([5, 4], {"a": "5"}, [["5"]]):
        response = enter(client, school.lesson, school.students[2], values, school.test)
        assert response.status_code == 400
    assert state() == before


# --- replace or add ---------------------------------------------------------------------------


@pytest.fixture
def marked(school):
    """A student with one fresh mark in today's lesson."""
    pupil = school.students[3]
    mark = journal_marks.add_mark(school.teacher, school.lesson.id, pupil.id, "3", school.answer.id, clock=school.clock)
    return pupil, mark


def test_new_marks_replace_the_cells_marks_in_one_step(school, as_user, marked):
    pupil, mark = marked
    client = as_user(school.teacher)
    response = enter(
        client, school.lesson, pupil, ["5", "4"], school.answer, replace=[{"id": mark.id, "change_no": mark.change_no}]
    )
    assert response.status_code == 201
    assert marks_of(school.lesson, pupil) == [("5", Decimal("1"), None), ("4", Decimal("1"), None)]
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.model == "Mark").order_by(AuditEntry.id)]
    assert actions == ["create", "delete", "create", "create"]


def test_adding_beside_keeps_the_cells_marks(school, as_user, marked):
    pupil, mark = marked
    client = as_user(school.teacher)
    assert enter(client, school.lesson, pupil, ["5"], school.answer).status_code == 201
    assert [v for v, _, _ in marks_of(school.lesson, pupil)] == ["3", "5"]


def test_replacing_a_mark_someone_changed_meanwhile_writes_nothing(school, as_user, marked):
    pupil, mark = marked
    # Changed meanwhile in another tab.
    journal_marks.change_mark(school.teacher, mark.id, mark.change_no, "4", school.answer.id, clock=school.clock)
    client = as_user(school.teacher)
    before = state()
    response = enter(
        client, school.lesson, pupil, ["5"], school.answer, replace=[{"id": mark.id, "change_no": mark.change_no}]
    )
    assert response.status_code == 409
    assert "уже изменил" in response.get_json()["error"]
    assert [m["value"] for m in response.get_json()["cell"]["marks"]] == ["4"]
    assert state() == before


def test_replacing_another_students_or_a_deleted_mark_is_a_conflict(school, as_user, marked):
    pupil, mark = marked
    other = journal_marks.add_mark(
        school.teacher, school.lesson.id, school.students[0].id, "2", school.answer.id, clock=school.clock
    )
    client = as_user(school.teacher)
    before = state()
    for target in ({"id": other.id, "change_no": other.change_no}, {"id": 10**9, "change_no": 1}):
        response = enter(client, school.lesson, pupil, ["5"], school.answer, replace=[target])
        assert response.status_code == 409
        assert "уже удалили" in response.get_json()["error"]
    assert state() == before


def test_replacing_an_old_mark_needs_a_reason(school, as_user):
    pupil = school.students[4]
    old = Mark.create(
        lesson=school.earlier,
        student=pupil,
        value="2",
        work_type=school.answer,
        weight=1,
        created_by=school.teacher,
        created_at=utcnow() - dt.timedelta(days=20),
    )
    client = as_user(school.teacher)
    before = state()
    replace = [{"id": old.id, "change_no": old.change_no}]
    response = enter(client, school.earlier, pupil, ["4"], school.answer, replace=replace)
    assert response.status_code == 400 and "выберите причину" in response.get_json()["error"]
    assert state() == before
    response = enter(client, school.earlier, pupil, ["4"], school.answer, replace=replace, reason="retake")
    assert response.status_code == 201
    deleted = AuditEntry.select().where((AuditEntry.model == "Mark") & (AuditEntry.action == "delete")).get()
    assert deleted.after_data == {"change_reason": "retake"}


@pytest.mark.parametrize("bad", ["x", [1], [{"id": "a", "change_no": 1}], [{"id": 1}], [{"id": 1, "change_no": -1}]])
def test_a_malformed_replace_list_is_refused(school, as_user, marked, bad):
    pupil, _ = marked
    client = as_user(school.teacher)
    before = state()
    response = enter(client, school.lesson, pupil, ["5"], school.answer, replace=bad)
    assert response.status_code == 400
    assert state() == before


# --- «н»: an absence whose reason comes later ---------------------------------------------------


def test_n_is_an_absence_whose_reason_is_filled_in_later(school, as_user):
    assert journal_marks.ABSENCE_INPUT["н"] == "unknown"
    assert journal_marks.ABSENCE_INPUT["нп"] == "unexcused"
    client = as_user(school.teacher)
    pupil = school.students[0]
    body = {"lesson": school.lesson.id, "student": pupil.id, "reason": "unknown", "expected": ""}
    response = client.post("/journal/api/absence", json=body)
    assert response.status_code == 200
    assert response.get_json()["cell"]["absence"] == {"reason": "unknown", "label": "причина не указана", "code": "н"}
    body = {"lesson": school.lesson.id, "student": pupil.id, "reason": "illness", "expected": "unknown"}
    assert client.post("/journal/api/absence", json=body).status_code == 200
    assert Absence.get(Absence.student == pupil.id).reason == "illness"


# --- cancelled lessons ----------------------------------------------------------------------------


def cancel(staff, lesson, reason="карантин", *, clock, **changes):
    lesson = Lesson.get_by_id(lesson.id)
    return journal.save_lesson(
        staff, lesson.id, lesson.version, {"cancelled": True, "cancel_reason": reason, **changes}, clock=clock
    )


def test_a_lesson_is_cancelled_with_a_reason_and_takes_no_entries(school):
    lesson = cancel(school.teacher, school.lesson, " актированный день ", clock=school.clock)
    assert (lesson.cancelled, lesson.cancel_reason, lesson.held) == (True, "актированный день", False)
    pupil = school.students[0]
    before = state()
    with pytest.raises(DomainError, match="отменён \\(актированный день\\): отметки за него не ставятся"):
        journal_marks.add_mark(school.teacher, lesson.id, pupil.id, "5", school.answer.id, clock=school.clock)
    with pytest.raises(DomainError, match="пропуски за него не отмечаются"):
        journal_marks.set_absence(school.teacher, lesson.id, pupil.id, "illness", clock=school.clock)
    assert state() == before
    assert journal.missing_items(lesson, school.today) == []
    # Taking the cancellation back drops its reason.
    lesson = journal.save_lesson(
        school.teacher, lesson.id, lesson.version, {"cancelled": False, "cancel_reason": "x"}, clock=school.clock
    )
    assert (lesson.cancelled, lesson.cancel_reason) == (False, None)


def test_a_future_lesson_may_be_cancelled(school):
    lesson = cancel(school.teacher, school.future, clock=school.clock)
    assert lesson.cancelled


@pytest.mark.parametrize(
    "reason,changes,message",
    [
        ("", {}, "Укажите, почему урок отменён"),
        ("   ", {}, "Укажите, почему урок отменён"),
        ("карантин", {"held": True}, "одновременно проведён и отменён"),
        ("я" * 201, {}, "Причина отмены урока"),
    ],
)
def test_a_cancellation_without_a_reason_or_of_a_held_lesson_is_refused(school, reason, changes, message):
    before = Lesson.get_by_id(school.lesson.id).snapshot()
    with pytest.raises(DomainError, match=message):
        cancel(school.teacher, school.lesson, reason, clock=school.clock, **changes)
    assert Lesson.get_by_id(school.lesson.id).snapshot() == before


def test_a_lesson_with_marks_or_absences_is_not_cancelled(school):
    pupil = school.students[0]
    journal_marks.set_absence(school.teacher, school.lesson.id, pupil.id, "illness", clock=school.clock)
    before = Lesson.get_by_id(school.lesson.id).snapshot()
    with pytest.raises(DomainError, match="урок, который состоялся, отменить нельзя"):
        cancel(school.teacher, school.lesson, clock=school.clock)
    assert Lesson.get_by_id(school.lesson.id).snapshot() == before


def test_only_who_may_fill_the_lesson_cancels_it(school):
    with pytest.raises(journal.AccessDenied):
        cancel(school.other, school.lesson, clock=school.clock)
    assert not Lesson.get_by_id(school.lesson.id).cancelled


def test_the_lesson_page_cancels_and_the_grid_crosses_the_column(school, as_user):
    client = as_user(school.teacher)
    url = f"/journal/lesson/{school.lesson.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="cancelled"' in page and 'list="cancel-reasons"' in page
    lesson = Lesson.get_by_id(school.lesson.id)
    response = client.post(
        url,
        data={"version": lesson.version, "topic": "", "homework": "", "cancelled": "y", "cancel_reason": "карантин"},
    )
    assert response.status_code == 303
    assert Lesson.get_by_id(school.lesson.id).cancelled
    page = client.get(url).get_data(as_text=True)
    assert "урок отменён: карантин" in page
    grid = client.get(f"/journal/grid/{lesson.journal_id}/{school.term.id}").get_data(as_text=True)
    assert "jcancel" in grid and "(урок отменён: карантин)" in grid
    pupil = school.students[0].id
    assert f'id="c{pupil}-{lesson.id}" data-s="{pupil}" data-l="{lesson.id}" data-why="cancelled"' in grid


def test_the_lesson_page_says_why_a_cancellation_is_refused(school, as_user):
    client = as_user(school.teacher)
    lesson = Lesson.get_by_id(school.lesson.id)
    response = client.post(
        f"/journal/lesson/{lesson.id}",
        data={"version": lesson.version, "topic": "", "homework": "", "cancelled": "y", "cancel_reason": ""},
    )
    assert response.status_code == 400
    assert "Укажите, почему урок отменён" in response.get_data(as_text=True)
    assert not Lesson.get_by_id(lesson.id).cancelled


def test_replanning_keeps_a_cancelled_lesson(school):
    lesson = make_lesson(school.c5a, school.math, school.teacher, school.today + dt.timedelta(days=5), 4, school.term)
    lesson = cancel(school.teacher, lesson, clock=school.clock)
    assert journal_planning.holds_data(lesson, set())
