"""The journal grid, the list of journals and the print layout: content, scope and a constant query count."""

import datetime as dt
import json
import re
from pathlib import Path

from app.models import ABSENCE_REASONS, MARK_VALUES, Absence, Enrollment, Lesson, Mark, Student
from app.services import journal, journal_marks
from tests.journal.conftest import QueryCounter, journal_of, make_lesson


def grid_url(school, subject=None, class_group=None, term=None):
    book = journal_of(class_group or school.c5a, subject or school.math)
    return f"/journal/grid/{book.id}/{(term or school.term).id}"


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
    assert as_user(school.deputy).get(f"/journal/grid/{journal_of(school.c5a, school.math).id}/999").status_code == 404


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
    book = journal.get_journal(journal_of(school.c5a, school.math).id)
    with QueryCounter() as counter:
        grid = journal_marks.build_grid(
            school.teacher, book, school.term.start_date, school.term.end_date, clock=school.clock
        )
    assert len(grid.students) == 32 and len(grid.lessons) == 43
    # (The year's terms are among them: the page's tabs take them from the grid.)
    assert counter.count <= 11, "\n".join(s[:140] for s in counter.statements)


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
    page = as_user(school.deputy).get(f"/journal/print/{journal_of(school.c5a, school.math).id}/{month}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Класс 5А · Математика" in html and "что пройдено на уроке" in html
    assert "Деление дробей" in html and "№ 101" in html and school.today.strftime("%d.%m") in html
    assert ">5<" in html
    assert "@media print" not in html  # the print rules live in journal.css
    book = journal_of(school.c5a, school.math)
    assert as_user(school.other).get(f"/journal/print/{book.id}/{month}").status_code == 403
    assert as_user(school.deputy).get(f"/journal/print/{book.id}/2026-13").status_code == 404


# --- one renderer, rules from the server, the ARIA grid (issue 8) ------------------------------

STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def _config(html: str) -> dict:
    found = re.search(r'<script id="jconfig" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def _cell(html: str, student_id: int, lesson_id: int) -> tuple[str, str]:
    """Return a grid cell's opening tag and its content."""
    found = re.search(rf'(<td class="jc[^>]*id="c{student_id}-{lesson_id}"[^>]*>)(.*?)</td>', html, re.S)
    assert found, f"no cell {student_id}:{lesson_id}"
    return found.group(1), found.group(2)


def test_grid_sends_the_rules_the_saves_check(school, as_user):
    html = as_user(school.teacher).get(grid_url(school)).get_data(as_text=True)
    config = _config(html)
    assert config["markValues"] == list(MARK_VALUES)
    assert [(r["code"], r["label"]) for r in config["absenceReasons"]] == list(ABSENCE_REASONS)
    assert {r["short"]: r["code"] for r in config["absenceReasons"]}.items() <= config["absenceInput"].items()
    assert config["weight"] == {"min": "0,1", "max": "10"}
    assert journal_marks.parse_weight(config["weight"]["min"]) == journal_marks.WEIGHT_MIN
    assert journal_marks.parse_weight(config["weight"]["max"]) == journal_marks.WEIGHT_MAX
    assert config["markSynonyms"] == journal_marks.MARK_SYNONYMS
    assert config["readOnly"] == journal_marks.READ_ONLY_REASONS
    # What the script would accept is what the service accepts.
    for typed, reason in config["absenceInput"].items():
        assert reason in dict(ABSENCE_REASONS), typed
    for word, value in config["markSynonyms"].items():
        assert journal_marks._value(word) == value
    # The pad offers exactly the scale and the absence codes, and the weight box their range.
    assert re.findall(r'data-mark="([^"]+)"', html) == list(MARK_VALUES)
    assert re.findall(r'data-absence="([^"]+)"', html) == [code for code, _ in ABSENCE_REASONS]
    assert 'title="Вес отметки: от 0,1 до 10, например 1,5"' in html


def _date_header(html: str, lesson) -> tuple[str, str]:
    """Return a date column header's class and title."""
    found = re.search(rf'<th class="([^"]*)" role="columnheader" scope="col" id="l{lesson.id}" title="([^"]*)"', html)
    assert found, f"no header for lesson {lesson.id}"
    return found.group(1).split(), found.group(2)


def test_the_date_headers_say_what_each_lesson_is(school, as_user):
    Lesson.update(teacher=school.other, topic="Дроби & доли", held=True).where(Lesson.id == school.earlier.id).execute()
    html = as_user(school.teacher).get(grid_url(school)).get_data(as_text=True)
    css, title = _date_header(html, school.earlier)
    date = school.earlier.date.strftime("%d.%m.%Y")
    # Given to another teacher (a substitution), so read-only for the planned one.
    assert css == ["jdate", "jsub", "jdate-ro"]
    assert title == f"{date}, 2-й урок, замена: Кузнецов О.П. — Дроби &amp; доли (только просмотр)"
    css, title = _date_header(html, school.lesson)
    assert css == ["jdate", "jnotheld", "jtoday-col"]
    assert title.endswith("2-й урок (не отмечен как проведённый)")
    assert _date_header(html, school.future)[0] == ["jdate", "jfuture"]
    assert f'href="/journal/lesson/{school.lesson.id}"' in html
    # The column's lock is drawn only where the person may not write.
    assert html.count("jlock") == 1


def test_a_comment_cannot_end_the_pages_script_and_reaches_it_intact(school, as_user):
    comment = "</script><script>alert('x')</script> & <!--"
    Mark.create(lesson=school.earlier, student=school.students[0], value="4", work_type=school.answer, comment=comment)
    html = as_user(school.teacher).get(grid_url(school)).get_data(as_text=True)
    assert "<script>alert(" not in html
    config = re.search(r'<script id="jconfig" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in config and "&" not in config
    marks = _config(html)["cells"][f"{school.students[0].id}:{school.earlier.id}"]["marks"]
    assert marks[0]["comment"] == comment


def test_the_script_repeats_no_rule():
    script = (STATIC / "journal.js").read_text(encoding="utf-8")
    # (One-letter codes are letters of the keyboard map, which is the keyboard's, not a rule.)
    rules = [*MARK_VALUES, *journal_marks.ABSENCE_CODES.values(), *journal_marks.ABSENCE_INPUT, *dict(ABSENCE_REASONS)]
    for value in (v for v in rules if len(v) > 1 or v.isdigit()):
        assert f'"{value}"' not in script, f"journal.js repeats {value!r}: it comes from the page's config"
    assert "[1-5]" not in script and f'"{journal_marks.WEIGHT_MAX}"' not in script
    # …and draws no cell: the server's HTML is swapped in.
    assert "jm-heavy" not in script and 'className = "jab' not in script


def test_a_save_answers_the_same_html_the_page_prints(school, as_user):
    client = as_user(school.teacher)
    pupil = school.students[0]
    body = {"lesson": school.lesson.id, "student": pupil.id, "value": "4", "work_type": school.test.id}
    saved = client.post("/journal/api/marks", json=body)
    assert saved.status_code == 201
    absent = client.post(
        "/journal/api/absence",
        json={"lesson": school.lesson.id, "student": pupil.id, "reason": "late", "expected": ""},
    )
    cell = absent.get_json()["cell"]
    assert cell["html"] == '<span class="jab jab-late" title="Пропуск: опоздание">оп</span>' + (
        '<span class="jm jm-heavy" title="Контрольная работа, вес 3">4</span>'
    )
    _, printed = _cell(client.get(grid_url(school)).get_data(as_text=True), pupil.id, school.lesson.id)
    assert printed == cell["html"]
    lesson_page = client.get(f"/journal/lesson/{school.lesson.id}").get_data(as_text=True)
    assert cell["html"] in lesson_page
    assert client.get(f"/journal/api/cell?lesson={school.lesson.id}&student={pupil.id}").get_json()["cell"] == cell


def test_grid_is_an_aria_grid_with_one_cell_in_the_tab_order(school, as_user):
    Mark.create(lesson=school.earlier, student=school.students[0], value="5", work_type=school.answer)
    html = as_user(school.teacher).get(grid_url(school)).get_data(as_text=True)
    assert 'role="grid"' in html and 'aria-readonly="true" ' not in html.split('role="grid"')[1][:40]
    assert html.count('tabindex="0"') == 1
    # The one in the Tab order: the first student, the latest lesson the teacher may fill today.
    first = school.students[0]
    opening, content = _cell(html, first.id, school.lesson.id)
    assert 'tabindex="0"' in opening and 'data-why=""' in opening and "aria-readonly" not in opening
    assert f'aria-labelledby="s{first.id} l{school.lesson.id} c{first.id}-{school.lesson.id}"' in opening
    assert f'role="rowheader" scope="row" id="s{first.id}">{first.last_name} {first.first_name}<' in html
    header = html.split(f'id="l{school.lesson.id}"')[0].rsplit("<th", 1)[1]
    assert 'role="columnheader"' in header
    assert f'<span class="sr-only">{school.lesson.date:%d.%m}, 2-й урок</span>' in html
    # Every other cell and the date links are out of the Tab order; the read-only ones say why.
    future, _ = _cell(html, first.id, school.future.id)
    assert 'tabindex="-1"' in future and 'aria-readonly="true" aria-describedby="why-future"' in future
    leaver, _ = _cell(html, school.leaver.id, school.lesson.id)
    assert 'aria-readonly="true" aria-describedby="why-out"' in leaver
    assert f'<span id="why-future">{journal_marks.READ_ONLY_REASONS["future"]}</span>' in html
    assert html.count('class="jdl"') == 3 and html.count('tabindex="-1"><span aria-hidden="true">') == 3


def test_a_read_only_journal_is_marked_so_and_has_no_pad(school, as_user):
    html = as_user(school.leader).get(grid_url(school, subject=school.russian)).get_data(as_text=True)
    assert 'role="grid" aria-label="Отметки и пропуски: 5А, Русский язык" aria-readonly="true"' in html
    assert 'id="jpad"' not in html and html.count('tabindex="0"') == 1
    assert html.count('aria-describedby="why-ro"') == len(school.students) + 2 - 1  # the leaver's cell is «out»
    assert 'class="fa fa-lock jlock"' in html
    editable = as_user(school.teacher).get(grid_url(school)).get_data(as_text=True)
    assert 'id="jpad"' in editable and "fa-lock" not in editable.split("<tbody>")[0]


NOMINATIVE = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()


def test_months_read_in_russian_on_the_grid_and_the_print_page(school, as_user):
    """The grid's month header, its print menu and the print page name the month in the nominative."""
    day = school.today
    label = f"{NOMINATIVE[day.month - 1]} {day.year}"
    html = as_user(school.deputy).get(grid_url(school)).get_data(as_text=True)
    assert re.search(rf'class="jmonth"[^>]*>{label}</th>', html)
    assert f">{label.capitalize()}</a>" in html
    book = journal_of(school.c5a, school.math)
    page = as_user(school.deputy).get(f"/journal/print/{book.id}/{day.strftime('%Y-%m')}")
    assert f"<title>5А · Математика · {label} — печать" in page.get_data(as_text=True)
