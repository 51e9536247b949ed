"""The lesson panel: topic, homework, held, substitutions, closed terms and concurrent edits."""

import datetime as dt
import threading

import pytest

from app.db import db
from app.models import AuditEntry, Lesson, Mark
from app.services import journal
from app.services.errors import AccessDenied, DomainError
from app.services.journal import EditConflict
from tests.journal.conftest import journal_of


def lesson_url(lesson):
    return f"/journal/lesson/{lesson.id}"


def post_lesson(client, lesson, version, **fields):
    data = {"version": str(version), "topic": "", "homework": ""}
    data.update(fields)
    if data.get("held") is False:
        data.pop("held")
    return client.post(lesson_url(lesson), data=data)


def test_teacher_fills_own_lesson(school, as_user):
    client = as_user(school.teacher)
    page = client.get(lesson_url(school.lesson))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5А · Математика" in html and "Смирнова Анна Игоревна" in html
    before_change = Lesson.get_by_id(school.lesson.id).change_no

    response = post_lesson(client, school.lesson, 1, topic="Сложение дробей", homework="№ 12, 14", held="y")
    assert response.status_code == 303

    lesson = Lesson.get_by_id(school.lesson.id)
    assert (lesson.topic, lesson.homework, lesson.held, lesson.version) == ("Сложение дробей", "№ 12, 14", True, 2)
    assert lesson.change_no > before_change
    assert lesson.updated_by_id == school.teacher.id
    entry = AuditEntry.select().where((AuditEntry.model == "Lesson") & (AuditEntry.object_id == str(lesson.id))).get()
    assert entry.actor_id == school.teacher.id and entry.action == "update"
    assert entry.after_data["topic"] == "Сложение дробей" and entry.before_data["topic"] is None
    html = client.get(lesson_url(lesson)).get_data(as_text=True)
    assert "Сложение дробей" in html and "урок проведён" in html


def test_saving_unchanged_lesson_writes_nothing(school, as_user):
    client = as_user(school.teacher)
    assert post_lesson(client, school.lesson, 1).status_code == 303
    lesson = Lesson.get_by_id(school.lesson.id)
    assert lesson.version == 1 and lesson.change_no == school.lesson.change_no
    assert AuditEntry.select().where(AuditEntry.model == "Lesson").count() == 0


def test_future_lesson_cannot_be_held(school, as_user):
    client = as_user(school.teacher)
    response = post_lesson(client, school.future, 1, topic="Заранее", held="y")
    assert response.status_code == 400
    assert "ещё не наступил" in response.get_data(as_text=True)
    lesson = Lesson.get_by_id(school.future.id)
    assert not lesson.held and lesson.topic is None and lesson.version == 1


def test_topic_length_is_limited(school):
    with pytest.raises(DomainError, match="не больше 500"):
        journal.save_lesson(school.teacher, school.lesson.id, 1, {"topic": "я" * 501}, clock=school.clock)
    assert Lesson.get_by_id(school.lesson.id).topic is None


def test_concurrent_edit_is_refused_with_what_changed(school, as_user):
    first, second = as_user(school.teacher), as_user(school.deputy)
    assert first.get(lesson_url(school.lesson)).status_code == 200
    assert second.get(lesson_url(school.lesson)).status_code == 200

    assert post_lesson(first, school.lesson, 1, topic="Десятичные дроби", held="y").status_code == 303
    response = post_lesson(second, school.lesson, 1, topic="Проценты", homework="Стр. 40")
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert "Урок уже изменил(а) Смирнова Анна Игоревна" in html
    assert "тема — «Десятичные дроби»" in html and "урок проведён — да" in html
    assert "Ваши изменения не сохранены" in html
    # The second user's text stays in the form, the current values are shown beside it.
    assert "Проценты" in html and "Стр. 40" in html
    lesson = Lesson.get_by_id(school.lesson.id)
    assert (lesson.topic, lesson.homework, lesson.held, lesson.version) == ("Десятичные дроби", None, True, 2)

    # Having seen the other change, saving again is deliberate: the form now carries version 2.
    assert 'name="version" type="hidden" value="2"' in html
    assert post_lesson(second, school.lesson, 2, topic="Проценты", homework="Стр. 40", held="y").status_code == 303
    assert Lesson.get_by_id(school.lesson.id).topic == "Проценты"


def test_stale_version_is_refused_by_the_service(school):
    journal.save_lesson(school.teacher, school.lesson.id, 1, {"topic": "Первая"}, clock=school.clock)
    with pytest.raises(EditConflict) as caught:
        journal.save_lesson(school.teacher, school.lesson.id, 1, {"topic": "Вторая"}, clock=school.clock)
    assert "тема — «Первая»" in caught.value.message
    assert caught.value.current["topic"] == "Первая"
    assert Lesson.get_by_id(school.lesson.id).topic == "Первая"


def test_closed_term_is_read_only_except_for_the_deputy(school, as_user):
    school.past_term.closed = True
    school.past_term.save()
    client = as_user(school.teacher)
    page = client.get(lesson_url(school.closed))
    assert page.status_code == 200 and "только просмотр" in page.get_data(as_text=True)
    response = post_lesson(client, school.closed, 1, topic="Поздняя правка")
    assert response.status_code == 403
    assert Lesson.get_by_id(school.closed.id).topic is None

    deputy = as_user(school.deputy)
    assert post_lesson(deputy, school.closed, 1, topic="Исправлено по проверке", held="y").status_code == 303
    assert Lesson.get_by_id(school.closed.id).topic == "Исправлено по проверке"


def test_teacher_cannot_edit_a_colleagues_lesson(school, as_user):
    client = as_user(school.teacher)
    assert client.get(lesson_url(school.other_lesson)).status_code == 403
    assert post_lesson(client, school.other_lesson, 1, topic="Чужое").status_code == 403
    assert Lesson.get_by_id(school.other_lesson.id).topic is None


def test_class_teacher_sees_but_does_not_edit(school, as_user):
    client = as_user(school.leader)
    page = client.get(lesson_url(school.russian_lesson))
    assert page.status_code == 200 and "только просмотр" in page.get_data(as_text=True)
    assert post_lesson(client, school.russian_lesson, 1, topic="Не моё").status_code == 403
    assert Lesson.get_by_id(school.russian_lesson.id).topic is None


def test_deputy_gives_a_lesson_to_a_substitute(school, as_user):
    deputy = as_user(school.deputy)
    response = post_lesson(deputy, school.lesson, 1, teacher_id=str(school.other.id), replacement_subject_id="0")
    assert response.status_code == 303
    lesson = Lesson.get_by_id(school.lesson.id)
    assert lesson.teacher_id == school.other.id and lesson.planned_teacher_id == school.teacher.id
    assert lesson.is_substitution
    entry = AuditEntry.select().where(AuditEntry.model == "Lesson").order_by(AuditEntry.id.desc()).get()
    assert entry.before_data["teacher_id"] == school.teacher.id and entry.after_data["teacher_id"] == school.other.id

    # The substitute now fills it; the planned teacher only looks.
    substitute = as_user(school.other)
    assert post_lesson(substitute, lesson, 2, topic="Урок на замене", held="y").status_code == 303
    planned = as_user(school.teacher)
    assert planned.get(lesson_url(lesson)).status_code == 200
    assert post_lesson(planned, lesson, 3, topic="Моё").status_code == 403
    assert Lesson.get_by_id(lesson.id).topic == "Урок на замене"
    # Both see it on their day: the substitute as a substitution, the planned teacher as given away.
    assert "вместо Смирнова А.И." in substitute.get("/journal/today/").get_data(as_text=True)
    assert "урок ведёт Кузнецов О.П." in planned.get("/journal/today/").get_data(as_text=True)


def test_replacement_subject_counts_the_lesson_for_that_subject(school, as_user):
    journal.save_lesson(
        school.deputy,
        school.lesson.id,
        1,
        {"teacher_id": school.other.id, "replacement_subject_id": school.russian.id},
        clock=school.clock,
    )
    lesson = Lesson.get_by_id(school.lesson.id)
    assert lesson.replacement_subject_id == school.russian.id
    client = as_user(school.deputy)
    russian_journal = journal_of(school.c5a, school.russian)
    russian = client.get(f"/journal/grid/{russian_journal.id}/{school.term.id}").get_data(as_text=True)
    math = client.get(f"/journal/grid/{journal_of(school.c5a, school.math).id}/{school.term.id}").get_data(as_text=True)
    assert f'/journal/lesson/{lesson.id}"' in russian
    assert f'/journal/lesson/{lesson.id}"' not in math


def test_replacement_subject_cannot_change_once_marks_exist(school):
    Mark.create(lesson=school.lesson, student=school.students[0], value="5", work_type=school.answer)
    with pytest.raises(DomainError, match="уже выставлены отметки"):
        changes = {"replacement_subject_id": school.russian.id}
        journal.save_lesson(school.deputy, school.lesson.id, 1, changes, clock=school.clock)
    assert Lesson.get_by_id(school.lesson.id).replacement_subject_id is None


def test_only_deputy_or_timetable_keeper_substitutes(school, as_user):
    with pytest.raises(AccessDenied):
        journal.save_lesson(school.teacher, school.lesson.id, 1, {"teacher_id": school.other.id}, clock=school.clock)
    # The teacher's form has no teacher field: a forged one is ignored.
    client = as_user(school.teacher)
    assert post_lesson(client, school.lesson, 1, topic="Тема", teacher_id=str(school.other.id)).status_code == 303
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.teacher.id
    # The administrator keeps the timetable: may give the lesson away, but not fill it.
    journal.save_lesson(school.admin, school.lesson.id, 2, {"teacher_id": school.other.id}, clock=school.clock)
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.other.id
    with pytest.raises(AccessDenied):
        journal.save_lesson(school.admin, school.lesson.id, 3, {"topic": "Админ"}, clock=school.clock)


def test_substitute_must_be_able_to_fill_the_journal(school):
    with pytest.raises(DomainError, match="не может вести журнал"):
        journal.save_lesson(school.deputy, school.lesson.id, 1, {"teacher_id": school.head.id}, clock=school.clock)
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.teacher.id


def test_substitutions_page(school, as_user):
    deputy = as_user(school.deputy)
    page = deputy.get("/journal/substitutions/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Замены на" in html and "5А" in html and "6Б" in html
    response = deputy.post(
        f"/journal/substitutions/{school.lesson.id}",
        data={
            "version": "1",
            "teacher_id": str(school.leader.id),
            "replacement_subject_id": "",
            "date": school.today.isoformat(),
        },
    )
    assert response.status_code == 303
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id
    # A stale form is refused, the lesson keeps the first change.
    response = deputy.post(
        f"/journal/substitutions/{school.lesson.id}",
        data={"version": "1", "teacher_id": str(school.other.id), "date": school.today.isoformat()},
        follow_redirects=True,
    )
    assert "Урок уже изменил(а)" in response.get_data(as_text=True)
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id
    teacher = as_user(school.teacher)
    assert teacher.get("/journal/substitutions/").status_code == 403
    assert (
        teacher.post(
            f"/journal/substitutions/{school.lesson.id}", data={"version": "2", "teacher_id": str(school.teacher.id)}
        ).status_code
        == 403
    )
    assert Lesson.get_by_id(school.lesson.id).teacher_id == school.leader.id


def test_today_page_shows_what_is_missing(school, as_user):
    journal.save_lesson(school.teacher, school.lesson.id, 1, {"topic": "Дроби"}, clock=school.clock)
    html = as_user(school.teacher).get("/journal/today/").get_data(as_text=True)
    assert "Сегодня" in html and f"open-lesson-{school.lesson.id}" in html
    row = html.split(f'id="lesson-row-{school.lesson.id}"')[1].split("</tr>")[0]
    assert "отметка о проведении" in row and "тема урока" not in row
    # Another teacher's lesson of today is not listed.
    assert f"open-lesson-{school.other_lesson.id}" not in html
    other_day = as_user(school.teacher).get(f"/journal/today/?date={(school.today + dt.timedelta(days=3)).isoformat()}")
    assert f"open-lesson-{school.future.id}" in other_day.get_data(as_text=True)
    assert "урок ещё не наступил" in other_day.get_data(as_text=True)


def test_two_saves_racing_on_the_same_version(school):
    """Two threads save version 1 at the same moment: exactly one wins, the other is refused."""
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(actor, topic):
        with db.connection_context():
            barrier.wait(timeout=10)
            try:
                journal.save_lesson(actor, school.lesson.id, 1, {"topic": topic}, clock=school.clock)
                outcomes[topic] = "saved"
            except EditConflict:
                outcomes[topic] = "refused"

    threads = [
        threading.Thread(target=save, args=(school.teacher, "Первый")),
        threading.Thread(target=save, args=(school.deputy, "Второй")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(topic for topic, outcome in outcomes.items() if outcome == "saved")
    lesson = Lesson.get_by_id(school.lesson.id)
    assert (lesson.topic, lesson.version) == (winner, 2)
    assert AuditEntry.select().where(AuditEntry.model == "Lesson").count() == 1


def test_marking_held_records_when_and_unmarking_clears_it(school, as_user):
    import time_machine

    client = as_user(school.teacher)
    marked = school.clock.now().replace(microsecond=0)
    with time_machine.travel(marked, tick=False):
        assert post_lesson(client, school.lesson, 1, topic="Дроби", held="y").status_code == 303
    held_at = Lesson.get_by_id(school.lesson.id).held_at
    assert school.clock.local(held_at) == marked
    # Editing the topic later keeps the instant it was marked held.
    assert post_lesson(client, school.lesson, 2, topic="Дроби, часть 2", held="y").status_code == 303
    assert Lesson.get_by_id(school.lesson.id).held_at == held_at
    assert post_lesson(client, school.lesson, 3, topic="Дроби, часть 2", held=False).status_code == 303
    lesson = Lesson.get_by_id(school.lesson.id)
    assert not lesson.held and lesson.held_at is None
