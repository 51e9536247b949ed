"""The journal grid, the list of journals and the print layout: content, scope and a constant query count."""

import datetime as dt

from app.models import Absence, Enrollment, Mark, Student
from app.services import journal, journal_marks
from tests.journal.conftest import QueryCounter, make_lesson


def grid_url(school, subject=None, class_group=None, term=None):
    return f"/journal/grid/{(class_group or school.c5a).id}/{(subject or school.math).id}/{(term or school.term).id}"


def test_grid_shows_students_lessons_marks_and_averages(school, as_user):
    pupil = school.students[0]
    for value, work_type, weight in (("5", school.answer, 1), ("4", school.test, 3), ("зч", school.answer, 1)):
        Mark.create(lesson=school.earlier, student=pupil, value=value, work_type=work_type, weight=weight)
    Absence.create(lesson=school.lesson, student=school.students[1], reason="illness")
    page = as_user(school.teacher).get(grid_url(school))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "5А · Математика" in html and "2 четверть" in html
    # Every student of the term, the leaver and the newcomer included, in surname order.
    names = [
        "Алексеев Артём",
        "Борисова Вера",
        "Григорьев Денис",
        "Егорова Жанна",
        "Зайцев Илья",
        "Новенькая Яна",
        "Ушедший Юрий",
    ]
    positions = [html.index(name) for name in names]
    assert positions == sorted(positions)
    assert "Чужой" not in html
    for lesson in (school.earlier, school.lesson, school.future):
        assert f'href="/journal/lesson/{lesson.id}"' in html
    assert f'href="/journal/lesson/{school.closed.id}"' not in html  # another term
    assert f'id="avg-{pupil.id}">4,50<' in html and f'id="wavg-{pupil.id}">4,25<' in html
    assert 'title="Пропуск: болезнь">б<' in html
    # Cells outside a student's enrollment and of the future lesson cannot be filled.
    assert f'data-s="{school.leaver.id}" data-l="{school.lesson.id}"' in html
    leaver_cell = html.split(f'data-s="{school.leaver.id}" data-l="{school.lesson.id}"')[0].rsplit("<td", 1)[1]
    assert "jc-out" in leaver_cell
    future_cell = html.split(f'data-s="{pupil.id}" data-l="{school.future.id}"')[0].rsplit("<td", 1)[1]
    assert "jc-future" in future_cell


def test_grid_scope(school, as_user):
    # The class teacher sees every subject of their class, read-only.
    html = as_user(school.leader).get(grid_url(school, subject=school.russian)).get_data(as_text=True)
    assert "5А · Русский язык" in html and 'data-why="ro"' in html and 'data-why=""' not in html
    # The deputy and the head see every journal.
    assert as_user(school.deputy).get(grid_url(school)).status_code == 200
    assert as_user(school.head).get(grid_url(school, class_group=school.c6b)).status_code == 200
    # A teacher sees only the subjects they teach in that class.
    other = as_user(school.other)
    assert other.get(grid_url(school)).status_code == 403
    assert other.get(grid_url(school, subject=school.russian)).status_code == 200
    assert as_user(school.teacher).get(grid_url(school, class_group=school.c6b)).status_code == 403
    # A term of another year, or an unknown id, is not found.
    assert as_user(school.deputy).get(f"/journal/grid/{school.c5a.id}/{school.math.id}/999").status_code == 404


def test_journal_list(school, as_user):
    html = as_user(school.teacher).get("/journal/").get_data(as_text=True)
    assert grid_url(school) in html and "6Б" not in html
    leader = as_user(school.leader).get("/journal/").get_data(as_text=True)
    # Class teacher of 5А: every subject of 5А, and their own history lessons in 6Б.
    assert grid_url(school) in leader and grid_url(school, subject=school.russian) in leader
    assert grid_url(school, subject=school.history, class_group=school.c6b) in leader
    assert grid_url(school, class_group=school.c6b) not in leader
    deputy = as_user(school.deputy).get("/journal/").get_data(as_text=True)
    assert grid_url(school, class_group=school.c6b) in deputy


def _grow(school, students: int, lessons: int):
    """Add students and lessons with marks and absences to 5А's mathematics."""
    start = school.term.start_date
    for n in range(students):
        student = Student.create(last_name=f"Ученик{n:02d}", first_name="Тест")
        Enrollment.create(student=student, class_group=school.c5a, start_date=school.year.start_date)
    everyone = [e.student_id for e in Enrollment.select().where(Enrollment.class_group == school.c5a)]
    made = []
    for n in range(lessons):
        day = start + dt.timedelta(days=n // 3)
        made.append(
            make_lesson(
                school.c5a, school.math, school.teacher, day, 4 + n % 3, school.term, topic=f"Тема {n}", held=True
            )
        )
    for lesson in made:
        for student_id in everyone[::2]:
            Mark.create(lesson=lesson, student=student_id, value="4", work_type=school.answer)
        Absence.create(lesson=lesson, student=everyone[1], reason="late")


def test_grid_query_count_does_not_grow(school, as_user):
    client = as_user(school.teacher)
    url = grid_url(school)
    client.get(url)  # warm up: the settings row, caches
    with QueryCounter() as small:
        assert client.get(url).status_code == 200
    _grow(school, students=25, lessons=40)
    with QueryCounter() as large:
        page = client.get(url)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="jc') >= 30 * 43
    assert large.count == small.count, "\n".join(large.statements)
    # A generous ceiling: the layout (menu, notices) of other areas adds its own few queries.
    assert large.count <= 30


def test_grid_service_in_a_fixed_number_of_queries(school):
    _grow(school, students=25, lessons=40)
    with QueryCounter() as counter:
        grid = journal_marks.build_grid(
            school.teacher, school.c5a, school.math, school.term.start_date, school.term.end_date, clock=school.clock
        )
    assert len(grid.students) == 32 and len(grid.lessons) == 43
    assert counter.count <= 8, counter.statements


def test_print_month(school, as_user):
    journal.save_lesson(
        school.teacher,
        school.lesson.id,
        1,
        {"topic": "Деление дробей", "homework": "№ 101", "held": True},
        clock=school.clock,
    )
    Mark.create(lesson=school.lesson, student=school.students[0], value="5", work_type=school.answer)
    month = school.today.strftime("%Y-%m")
    page = as_user(school.deputy).get(f"/journal/print/{school.c5a.id}/{school.math.id}/{month}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Класс 5А · Математика" in html and "что пройдено на уроке" in html
    assert "Деление дробей" in html and "№ 101" in html and school.today.strftime("%d.%m") in html
    assert ">5<" in html
    assert "@media print" not in html  # the print rules live in journal.css
    assert as_user(school.other).get(f"/journal/print/{school.c5a.id}/{school.math.id}/{month}").status_code == 403
    assert as_user(school.deputy).get(f"/journal/print/{school.c5a.id}/{school.math.id}/2026-13").status_code == 404
