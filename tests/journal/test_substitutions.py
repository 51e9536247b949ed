"""«Замены»: one shared teacher list, a constant number of queries, and a warning when the substitute is busy."""

import datetime as dt

from app.models import Lesson, Staff
from tests.journal.conftest import QueryCounter, make_lesson


def sub_url(school, day=None):
    return f"/journal/substitutions/?date={(day or school.today).isoformat()}"


def give(client, school, lesson, teacher, version=1, **extra):
    data = {"version": str(version), "teacher_id": str(teacher.id), "replacement_subject_id": ""}
    data.update(date=school.today.isoformat(), **extra)
    return client.post(f"/journal/substitutions/{lesson.id}", data=data)


def page_queries(client, url) -> tuple[int, str]:
    assert client.get(url).status_code == 200
    with QueryCounter() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, response.get_data(as_text=True)


def test_the_day_costs_the_same_queries_however_many_lessons_and_teachers(school, as_user, make_staff):
    deputy = as_user(school.deputy)
    day = school.today + dt.timedelta(days=1)
    make_lesson(school.c5a, school.math, school.teacher, day, 1, school.term)
    few, _ = page_queries(deputy, sub_url(school, day))

    teachers = [make_staff(f"t{n}", roles=["teacher"], last_name=f"Учитель{n}") for n in range(12)]
    for n, teacher in enumerate(teachers):
        make_lesson(school.c6b if n % 2 else school.c5a, school.history, teacher, day, 2 + n, school.term)
    many, html = page_queries(deputy, sub_url(school, day))
    assert html.count('class="form-control form-control-sm jsub-pick" data-list="sub-teachers"') == 13
    assert many == few


def test_the_teacher_list_is_sent_once_not_once_per_row(school, as_user, make_staff):
    for n in range(5):
        make_staff(f"extra{n}", roles=["teacher"], last_name=f"Запасной{n}")
    html = as_user(school.deputy).get(sub_url(school)).get_data(as_text=True)
    candidates = Staff.select().where(Staff.login.startswith("extra"))
    for person in candidates:
        # In the one <template> only: no row has them as its current teacher.
        assert html.count(f'<option value="{person.id}">') == 1
    assert html.count('<template id="sub-teachers">') == 1
    assert "journal-substitutions.js" in html and "<script>" not in html


def test_a_busy_substitute_is_named_and_needs_a_confirmation(school, as_user):
    # Волкова (leader) teaches 6Б history in the 2nd period today, when 5А has mathematics.
    busy = make_lesson(school.c6b, school.history, school.leader, school.today, 2, school.term)
    deputy = as_user(school.deputy)
    response = give(deputy, school, school.lesson, school.leader)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Волкова Е.С. в это время ведёт другой урок: «6Б, 2-й урок, история»" in html
    assert "5А, 2-й урок, математика" in html and 'name="confirm_busy" value="1"' in html
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.teacher.id

    # The page of the day also flags the clash once the substitution is made.
    response = give(deputy, school, school.lesson, school.leader, confirm_busy="1")
    assert response.status_code == 303
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id
    html = deputy.get(sub_url(school)).get_data(as_text=True)
    assert "В это же время ведёт: 6Б, 2-й урок, история" in html
    assert Lesson.get_by_id(busy.id).teacher_id == school.leader.id


def test_a_lesson_already_taken_as_a_substitution_counts_as_busy(school, as_user):
    deputy = as_user(school.deputy)
    # Кузнецов (other) takes 5А mathematics in the 2nd period...
    assert give(deputy, school, school.lesson, school.other).status_code == 303
    # ...so giving him 6Б history in the same period warns, naming the substitution.
    history = make_lesson(school.c6b, school.history, school.leader, school.today, 2, school.term)
    response = give(deputy, school, history, school.other)
    assert response.status_code == 409
    assert "«5А, 2-й урок, математика»" in response.get_data(as_text=True)
    assert Lesson.get_by_id(history.id).teacher_id == school.leader.id


def test_a_free_substitute_is_saved_at_once(school, as_user):
    response = give(as_user(school.deputy), school, school.lesson, school.leader)
    assert response.status_code == 303
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id


def test_the_lesson_panel_warns_too(school, as_user):
    make_lesson(school.c6b, school.history, school.leader, school.today, 2, school.term)
    deputy = as_user(school.deputy)
    data = {
        "version": "1",
        "topic": "",
        "homework": "",
        "teacher_id": str(school.leader.id),
        "replacement_subject_id": "0",
    }
    response = deputy.post(f"/journal/lesson/{school.lesson.id}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and 'id="busy-warning"' in html and "«6Б, 2-й урок, история»" in html
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.teacher.id
    assert deputy.post(f"/journal/lesson/{school.lesson.id}", data=dict(data, confirm_busy="y")).status_code == 303
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id


def test_the_lesson_of_a_teacher_who_has_left_can_still_be_saved(school, as_user):
    # The deputy corrects a lesson whose teacher has since been deactivated: the unchanged teacher is not re-checked.
    Staff.update(active=False).where(Staff.id == school.teacher.id).execute()
    deputy = as_user(school.deputy)
    data = {
        "version": "1",
        "topic": "Дроби",
        "homework": "",
        "teacher_id": str(school.teacher.id),
        "replacement_subject_id": "0",
    }
    response = deputy.post(f"/journal/lesson/{school.earlier.id}", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    lesson = Lesson.get_by_id(school.earlier.id)
    assert (lesson.topic, lesson.teacher_id) == ("Дроби", school.teacher.id)
    # Giving another lesson to the deactivated teacher is still refused.
    response = give(deputy, school, school.russian_lesson, school.teacher)
    assert response.status_code == 303
    assert "Выберите учителя" in deputy.get(sub_url(school)).get_data(as_text=True)
    assert Lesson.get_by_id(school.russian_lesson.id).teacher_id == school.other.id
