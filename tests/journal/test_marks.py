"""Marks and absences through the grid's JSON endpoints: the scale, enrollment, dates, old marks, conflicts."""

import datetime as dt

import pytest

from app.clock import utcnow
from app.models import Absence, AuditEntry, Mark, Tombstone
from app.services import journal_marks
from app.services.errors import DomainError
from app.services.journal import EditConflict


def add(client, lesson, student, value, work_type, weight=None):
    body = {"lesson": lesson.id, "student": student.id, "value": value, "work_type": work_type.id}
    if weight is not None:
        body["weight"] = weight
    return client.post("/journal/api/marks", json=body)


def absence(client, lesson, student, reason, expected=None):
    return client.post(
        "/journal/api/absence",
        json={"lesson": lesson.id, "student": student.id, "reason": reason, "expected": expected},
    )


def test_several_marks_with_work_types_and_weights(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[0]
    first = add(client, school.lesson, pupil, "5", school.answer)
    second = add(client, school.lesson, pupil, "3", school.test)
    third = add(client, school.lesson, pupil, "4", school.test, weight=2)
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 201)

    marks = list(Mark.select().where(Mark.lesson == school.lesson.id).order_by(Mark.id))
    assert [(m.value, m.work_type_id, m.weight) for m in marks] == [
        ("5", school.answer.id, 1),
        ("3", school.test.id, 3),
        ("4", school.test.id, 2),
    ]
    assert all(m.created_by_id == school.teacher.id and m.change_no > 0 for m in marks)
    assert len({m.change_no for m in marks}) == 3
    assert AuditEntry.select().where((AuditEntry.model == "Mark") & (AuditEntry.action == "create")).count() == 3

    cell = third.get_json()["cell"]
    assert [m["value"] for m in cell["marks"]] == ["5", "3", "4"]
    # (5 + 3 + 4) / 3 = 4; weighted (5·1 + 3·3 + 4·2) / 6 = 3.67
    assert cell["average"] == "4,00" and cell["weighted"] == "3,67"


def test_credit_marks_do_not_count_in_averages(school):
    assert journal_marks.averages(
        [Mark(value="зч", weight=1), Mark(value="5", weight=2), Mark(value="2", weight=1)]
    ) == (3.5, 4.0)
    assert journal_marks.averages([Mark(value="нз", weight=1)]) == (None, None)


@pytest.mark.parametrize("value", ["6", "0", "5+", "отл", ""])
def test_value_outside_the_scale_is_refused(school, as_user, value):
    response = add(as_user(school.teacher), school.lesson, school.students[0], value, school.answer)
    assert response.status_code == 400
    assert "Такой отметки нет в шкале" in response.get_json()["error"]
    assert Mark.select().count() == 0


def test_credit_words_are_accepted(school, as_user):
    client = as_user(school.teacher)
    assert add(client, school.lesson, school.students[0], "Зачёт", school.answer).status_code == 201
    assert add(client, school.lesson, school.students[1], "нз", school.answer).status_code == 201
    assert sorted(m.value for m in Mark.select()) == ["зч", "нз"]


def test_work_type_and_weight_are_checked(school, as_user):
    client = as_user(school.teacher)
    assert add(client, school.lesson, school.students[0], "5", school.retired).status_code == 400
    assert add(client, school.lesson, school.students[0], "5", school.test, weight=11).status_code == 400
    assert add(client, school.lesson, school.students[0], "5", school.test, weight="много").status_code == 400
    assert Mark.select().count() == 0


def test_only_students_enrolled_that_day(school, as_user):
    client = as_user(school.teacher)
    for student in (school.leaver, school.stranger):
        response = add(client, school.lesson, student, "5", school.answer)
        assert response.status_code == 400 and "не числится в классе 5А" in response.get_json()["error"]
        assert absence(client, school.lesson, student, "illness").status_code == 400
    # The newcomer joined five days ago: not yet there for the lesson twenty days back, there today.
    assert add(client, school.earlier, school.newcomer, "4", school.answer).status_code == 400
    assert add(client, school.lesson, school.newcomer, "4", school.answer).status_code == 201
    # The leaver was still in the class twenty days ago.
    assert add(client, school.earlier, school.leaver, "3", school.answer).status_code == 201
    assert {(m.student_id, m.lesson_id) for m in Mark.select()} == {
        (school.newcomer.id, school.lesson.id),
        (school.leaver.id, school.earlier.id),
    }
    assert Absence.select().count() == 0


def test_future_lesson_takes_no_marks_or_absences(school, as_user):
    client = as_user(school.teacher)
    response = add(client, school.future, school.students[0], "5", school.answer)
    assert response.status_code == 400 and "ещё не наступил" in response.get_json()["error"]
    assert absence(client, school.future, school.students[0], "illness").status_code == 400
    assert Mark.select().count() == 0 and Absence.select().count() == 0


def test_closed_term_only_for_the_deputy(school, as_user):
    school.past_term.closed = True
    school.past_term.save()
    response = add(as_user(school.teacher), school.closed, school.students[0], "5", school.answer)
    assert response.status_code == 403 and "закрыт" in response.get_json()["error"]
    assert Mark.select().count() == 0
    assert add(as_user(school.deputy), school.closed, school.students[0], "5", school.answer).status_code == 201
    assert Mark.select().count() == 1


def make_old_mark(school, days_ago=10):
    mark = Mark(
        lesson=school.earlier,
        student=school.students[0],
        value="3",
        work_type=school.answer,
        weight=1,
        created_by=school.teacher,
        created_at=utcnow() - dt.timedelta(days=days_ago),
    )
    mark.save(force_insert=True)
    return mark


def test_changing_an_old_mark_needs_a_reason(school, as_user):
    mark = make_old_mark(school)
    client = as_user(school.teacher)
    url = f"/journal/api/marks/{mark.id}"
    body = {"change_no": mark.change_no, "value": "4", "work_type": school.answer.id}
    response = client.post(url, json=body)
    assert response.status_code == 400 and "выберите причину" in response.get_json()["error"]
    assert client.post(url, json=dict(body, reason="выдумка")).status_code == 400
    assert Mark.get_by_id(mark.id).value == "3"

    response = client.post(url, json=dict(body, reason="paper"))
    assert response.status_code == 200
    changed = Mark.get_by_id(mark.id)
    assert (changed.value, changed.change_reason) == ("4", "paper")
    assert changed.change_no > mark.change_no
    entry = AuditEntry.select().where((AuditEntry.model == "Mark") & (AuditEntry.action == "update")).get()
    assert entry.before_data["value"] == "3" and entry.after_data["change_reason"] == "paper"


def test_fresh_mark_changes_without_reason(school, as_user):
    mark = make_old_mark(school, days_ago=7)
    response = as_user(school.teacher).post(
        f"/journal/api/marks/{mark.id}", json={"change_no": mark.change_no, "value": "5", "work_type": school.test.id}
    )
    assert response.status_code == 200
    changed = Mark.get_by_id(mark.id)
    assert (changed.value, changed.work_type_id, changed.weight) == ("5", school.test.id, 3)


def test_deleting_an_old_mark_needs_a_reason_and_leaves_a_tombstone(school, as_user):
    mark = make_old_mark(school)
    client = as_user(school.teacher)
    url = f"/journal/api/marks/{mark.id}/delete"
    assert client.post(url, json={"change_no": mark.change_no}).status_code == 400
    assert Mark.get_or_none(Mark.id == mark.id) is not None

    response = client.post(url, json={"change_no": mark.change_no, "reason": "typo"})
    assert response.status_code == 200 and response.get_json()["cell"]["marks"] == []
    assert Mark.get_or_none(Mark.id == mark.id) is None
    stone = Tombstone.get((Tombstone.record_type == "mark") & (Tombstone.record_id == mark.id))
    assert stone.change_no > mark.change_no
    entry = AuditEntry.select().where((AuditEntry.model == "Mark") & (AuditEntry.action == "delete")).get()
    assert entry.before_data["value"] == "3" and entry.after_data == {"change_reason": "typo"}


def test_stale_mark_edit_is_refused(school, as_user):
    mark = make_old_mark(school, days_ago=0)
    first, second = as_user(school.teacher), as_user(school.deputy)
    body = {
        "change_no": mark.change_no,
        "work_type": school.answer.id,
        "lesson": school.earlier.id,
        "student": mark.student_id,
    }
    assert first.post(f"/journal/api/marks/{mark.id}", json=dict(body, value="4")).status_code == 200
    response = second.post(f"/journal/api/marks/{mark.id}", json=dict(body, value="2"))
    assert response.status_code == 409
    data = response.get_json()
    assert "Эту отметку уже изменил(а) Смирнова Анна Игоревна" in data["error"] and "сейчас «4»" in data["error"]
    assert [m["value"] for m in data["cell"]["marks"]] == ["4"]
    assert second.post(f"/journal/api/marks/{mark.id}/delete", json=body).status_code == 409
    assert Mark.get_by_id(mark.id).value == "4"


def test_stale_edit_of_a_deleted_mark(school, as_user):
    mark = make_old_mark(school, days_ago=0)
    client = as_user(school.teacher)
    assert client.post(f"/journal/api/marks/{mark.id}/delete", json={"change_no": mark.change_no}).status_code == 200
    response = client.post(
        f"/journal/api/marks/{mark.id}", json={"change_no": mark.change_no, "value": "5", "work_type": school.answer.id}
    )
    assert response.status_code == 404 and "уже удалили" in response.get_json()["error"]


def test_absence_set_change_and_clear(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[1]
    response = absence(client, school.lesson, pupil, "illness", "")
    assert response.status_code == 200
    assert response.get_json()["cell"]["absence"] == {"reason": "illness", "label": "болезнь", "code": "б"}
    created = Absence.get()
    assert absence(client, school.lesson, pupil, "late", "illness").status_code == 200
    assert Absence.get_by_id(created.id).reason == "late"
    assert absence(client, school.lesson, pupil, "", "late").status_code == 200
    assert Absence.select().count() == 0
    assert Tombstone.select().where((Tombstone.record_type == "absence") & (Tombstone.record_id == created.id)).exists()
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.model == "Absence").order_by(AuditEntry.id)]
    assert actions == ["create", "update", "delete"]


def test_absence_reason_comes_from_the_closed_list(school, as_user):
    response = absence(as_user(school.teacher), school.lesson, school.students[0], "прогул")
    assert response.status_code == 400 and "причину пропуска из списка" in response.get_json()["error"]
    assert Absence.select().count() == 0


def test_absence_changed_meanwhile_is_refused(school, as_user):
    first, second = as_user(school.teacher), as_user(school.deputy)
    pupil = school.students[2]
    assert absence(first, school.lesson, pupil, "illness", "").status_code == 200
    response = absence(second, school.lesson, pupil, "unexcused", "")
    assert response.status_code == 409
    data = response.get_json()
    assert "Пропуск уже изменил(а) Смирнова Анна Игоревна" in data["error"] and "болезнь" in data["error"]
    assert data["cell"]["absence"]["reason"] == "illness"
    assert Absence.get().reason == "illness"


def test_service_refuses_without_the_lesson(school):
    with pytest.raises(DomainError):
        journal_marks.add_mark(school.teacher, 999999, school.students[0].id, "5", school.answer.id, clock=school.clock)
    with pytest.raises(EditConflict):
        mark = make_old_mark(school, days_ago=0)
        journal_marks.change_mark(
            school.teacher, mark.id, mark.change_no - 1, "4", school.answer.id, clock=school.clock
        )


def test_csrf_header_is_required_when_csrf_is_on(school, as_user, app):
    client = as_user(school.teacher)
    body = {
        "lesson": school.lesson.id,
        "student": school.students[0].id,
        "value": "5",
        "work_type": school.answer.id,
    }
    assert client.post("/journal/api/marks", json=body, csrf=False).status_code == 400
    assert Mark.select().count() == 0
    page = client.get(f"/journal/lesson/{school.lesson.id}").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/journal/api/marks", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert Mark.select().count() == 1
