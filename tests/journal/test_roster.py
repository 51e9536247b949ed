"""A teacher walking student ids through their own lesson learns nothing: foreign and missing ids answer alike."""

import pytest

from app.models import Absence, AuditEntry, Mark


def answers(client, school, student_id):
    """Every way a teacher can name a student in their own lesson, as (status, body) pairs."""
    lesson = school.lesson.id
    out = []
    for url, body in (
        ("/journal/api/marks", {"lesson": lesson, "student": student_id, "value": "5", "work_type": school.answer.id}),
        ("/journal/api/absence", {"lesson": lesson, "student": student_id, "reason": "illness"}),
        ("/journal/api/absence", {"lesson": lesson, "student": student_id, "reason": ""}),
    ):
        response = client.post(url, json=body)
        out.append((response.status_code, response.get_json()))
    response = client.get(f"/journal/api/cell?lesson={lesson}&student={student_id}")
    out.append((response.status_code, response.get_json()))
    return out


def test_foreign_and_missing_students_get_the_same_answer(school, as_user):
    client = as_user(school.teacher)
    before = (Mark.select().count(), Absence.select().count(), AuditEntry.select().count())
    foreign = answers(client, school, school.stranger.id)
    missing = answers(client, school, 999_999)
    assert foreign == missing
    text = repr(foreign)
    for name in ("Чужой", "Пётр", school.stranger.full_name):
        assert name not in text
    assert all(status >= 400 for status, _ in foreign)
    assert (Mark.select().count(), Absence.select().count(), AuditEntry.select().count()) == before


@pytest.mark.parametrize("who", ["leaver", "newcomer"])
def test_a_student_out_of_the_class_that_day_is_not_named_either(school, as_user, who):
    # The leaver left ten days ago, the newcomer came five days ago: neither is in the lesson of twenty days back
    # (for the newcomer), nor today (for the leaver); the answer names nobody.
    client = as_user(school.teacher)
    student = getattr(school, who)
    lesson = school.lesson if who == "leaver" else school.earlier
    body = {"lesson": lesson.id, "student": student.id, "value": "5", "work_type": school.answer.id}
    response = client.post("/journal/api/marks", json=body)
    assert response.status_code == 400
    assert student.last_name not in response.get_json()["error"]
    assert "не числится в классе 5А" in response.get_json()["error"]


def test_a_student_who_left_can_still_have_an_absence_cleared(school, as_user):
    Absence.create(lesson=school.lesson, student=school.leaver, reason="illness")
    client = as_user(school.teacher)
    response = client.post(
        "/journal/api/absence",
        json={"lesson": school.lesson.id, "student": school.leaver.id, "reason": "", "expected": "illness"},
    )
    assert response.status_code == 200 and response.get_json()["cell"]["absence"] is None
    assert Absence.select().count() == 0
