"""The final-marks pages over HTTP: a journal's finals (who reads, who sets, locked columns), the class page, links."""

import datetime as dt
import re
from pathlib import Path

from app.models import Enrollment, FinalMark, Mark, SchoolSettings, Student, Subject, Term
from app.services import finals, groups
from tests.conftest import form_errors
from tests.journal.conftest import QueryCounter, assign, journal_of

CSS = Path(__file__).resolve().parents[2] / "app" / "static" / "journal.css"


def finals_url(school, subject=None, class_group=None, column=None) -> str:
    book = journal_of(class_group or school.c5a, subject or school.math)
    return f"/journal/finals/{book.id}" + (f"?column={column}" if column else "")


def term_key(term) -> str:
    return f"term-{term.id}"


def give_marks(school):
    """Give two students of 5А marks in mathematics this term: 4,25 recommends 4; 3,00 recommends 3."""
    first, second = school.students[0], school.students[1]
    Mark.create(lesson=school.earlier, student=first, value="5", work_type=school.answer, weight=1)
    Mark.create(lesson=school.lesson, student=first, value="4", work_type=school.test, weight=3)
    Mark.create(lesson=school.earlier, student=second, value="3", work_type=school.answer, weight=1)
    return first, second


def input_names(html: str) -> list[str]:
    return re.findall(r'<input[^>]*class="[^"]*fin-input[^"]*"[^>]*name="(value-\d+)"', html)


def input_value(html: str, student) -> str:
    tag = re.search(rf'<input[^>]*name="value-{student.id}"[^>]*>', html).group(0)
    return re.search(r'\svalue="([^"]*)"', tag).group(1)


def finals_in(journal_id=None) -> list[tuple]:
    query = FinalMark.select().order_by(FinalMark.id)
    if journal_id is not None:
        query = query.where(FinalMark.journal == journal_id)
    return [(f.student_id, f.kind, f.term_id, f.value, f.change_reason) for f in query]


def close(term):
    term.closed = True
    term.save()


# --- a journal's finals ------------------------------------------------------------------------


def test_the_teacher_sees_averages_and_recommendations_and_sets_the_current_period(school, as_user):
    first, second = give_marks(school)
    client = as_user(school.teacher)
    page = client.get(finals_url(school))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Итоговые отметки · 5А · Математика" in html
    for label in ("1 четверть", "2 четверть", "Годовая", "Экзаменационная", "Итоговая"):
        assert label in html
    # The weighted average in the Russian way, the number of marks and the recommendation.
    assert "4,25" in html and "3,00" in html
    assert f'id="rec-{first.id}-{term_key(school.term)}">4<' in html
    assert f'id="rec-{second.id}-{term_key(school.term)}">3<' in html
    # The current period (open, with lessons by today) is the one being set: an input per student,
    # down the column in surname order, each carrying the recommendation the script confirms.
    everyone = sorted([*school.students, school.leaver, school.newcomer], key=lambda s: (s.last_name, s.first_name))
    assert input_names(html) == [f"value-{s.id}" for s in everyone]
    assert f'name="column" value="{term_key(school.term)}"' in html
    assert 'data-recommended="4"' in html and 'id="finals-fill"' in html
    assert "finals.js" in html and 'name="reason"' not in html

    response = client.post(
        finals_url(school),
        data={"column": term_key(school.term), f"value-{first.id}": "4", f"value-{second.id}": " 3 "},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(finals_url(school, column=term_key(school.term)))
    book = journal_of(school.c5a, school.math)
    assert finals_in(book.id) == [
        (first.id, "term", school.term.id, "4", None),
        (second.id, "term", school.term.id, "3", None),
    ]
    assert FinalMark.get(FinalMark.student == first.id).set_by_id == school.teacher.id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сохранено итоговых отметок: 2." in html
    assert input_value(html, first) == "4" and input_value(html, second) == "3"
    # Saving the same column again changes nothing; clearing an input removes the mark.
    response = client.post(
        finals_url(school), data={"column": term_key(school.term), f"value-{first.id}": "4", f"value-{second.id}": ""}
    )
    assert response.status_code == 303
    assert "Сохранено итоговых отметок: 1." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert finals_in(book.id) == [(first.id, "term", school.term.id, "4", None)]


def test_another_column_is_chosen_by_its_key_and_an_unknown_one_falls_back(school, as_user):
    client = as_user(school.teacher)
    html = client.get(finals_url(school, column="year")).get_data(as_text=True)
    assert 'name="column" value="year"' in html
    assert 'id="pick-year"' in html and 'aria-current="page"' in html.split('id="pick-year"')[1].split(">")[0]
    html = client.get(finals_url(school, column="term-999999")).get_data(as_text=True)
    assert "Столбца «term-999999» в итоговых отметках нет" in html
    assert f'name="column" value="{term_key(school.term)}"' in html


def test_a_journal_without_lessons_opens_its_first_column(school, as_user):
    assign(school.teacher, school.c6b, school.history)
    html = as_user(school.teacher).get(finals_url(school, subject=school.history, class_group=school.c6b))
    assert f'name="column" value="{term_key(school.past_term)}"' in html.get_data(as_text=True)


def test_another_teacher_is_refused_and_nothing_is_written(school, as_user):
    first, _ = give_marks(school)
    client = as_user(school.other)  # teaches 5А Russian, not 5А mathematics
    assert client.get(finals_url(school)).status_code == 403
    response = client.post(finals_url(school), data={"column": term_key(school.term), f"value-{first.id}": "5"})
    assert response.status_code == 403
    assert "недоступен" in response.get_data(as_text=True)
    assert finals_in() == []
    # Their own journal of 5А opens.
    assert client.get(finals_url(school, subject=school.russian)).status_code == 200


def test_the_class_teacher_and_the_head_read_without_a_form(school, as_user):
    first, _ = give_marks(school)
    finals.save_finals(
        school.teacher,
        journal_of(school.c5a, school.math).id,
        term_key(school.term),
        {first.id: "4"},
        clock=school.clock,
    )
    for person in (school.leader, school.head):
        client = as_user(person)
        page = client.get(finals_url(school))
        html = page.get_data(as_text=True)
        assert page.status_code == 200, person.login
        assert 'id="finals-form"' not in html and input_names(html) == []
        assert "только для просмотра" in html
        assert f'id="f{first.id}-{term_key(school.term)}">4<' in html
        response = client.post(finals_url(school), data={"column": term_key(school.term), f"value-{first.id}": "5"})
        assert response.status_code == 403, person.login
    assert [v for *_, v, _r in finals_in()] == ["4"]


def test_a_locked_column_is_changed_by_the_deputy_with_a_reason_only(school, as_user):
    first, _ = give_marks(school)
    Mark.create(lesson=school.closed, student=first, value="5", work_type=school.answer)
    book = journal_of(school.c5a, school.math)
    finals.save_finals(school.teacher, book.id, term_key(school.past_term), {first.id: "4"}, clock=school.clock)
    close(school.past_term)
    past = term_key(school.past_term)

    # The teacher: the closed period is no longer among the columns to set, and a post is refused.
    teacher = as_user(school.teacher)
    html = teacher.get(finals_url(school, column=past)).get_data(as_text=True)
    assert f'id="pick-{past}"' not in html and 'id="finals-form"' not in html
    assert "закрыт: итоговые отметки меняет заместитель директора" in html
    assert teacher.post(finals_url(school), data={"column": past, f"value-{first.id}": "5"}).status_code == 403

    # The deputy: the reason select; without a reason the form comes back and nothing is written.
    deputy = as_user(school.deputy)
    html = deputy.get(finals_url(school, column=past)).get_data(as_text=True)
    assert 'name="reason"' in html and "ошибка при вводе" in html and input_value(html, first) == "4"
    response = deputy.post(finals_url(school), data={"column": past, "reason": "", f"value-{first.id}": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any("выберите причину" in e for e in form_errors(html)), form_errors(html)
    assert 'id="finals-reason" name="reason"' in html and "is-invalid" in html.split('id="finals-reason"')[0][-80:]
    assert input_value(html, first) == "5"  # the typed value is kept
    assert finals_in() == [(first.id, "term", school.past_term.id, "4", None)]

    response = deputy.post(finals_url(school), data={"column": past, "reason": "paper", f"value-{first.id}": "5"})
    assert response.status_code == 303
    assert finals_in() == [(first.id, "term", school.past_term.id, "5", "paper")]
    assert FinalMark.get().set_by_id == school.deputy.id


def test_bad_input_comes_back_with_the_message_beside_the_field_and_writes_nothing(school, as_user):
    first, second = give_marks(school)
    client = as_user(school.teacher)
    key = term_key(school.term)
    response = client.post(
        finals_url(school), data={"column": key, f"value-{first.id}": "5", f"value-{second.id}": "7"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    errors = form_errors(html)
    assert "Ничего не сохранено: исправьте отмеченное ниже." in errors
    assert any(e.startswith("Борисова Вера") and "«7» — такой итоговой отметки нет" in e for e in errors), errors
    assert f'id="err-{second.id}"' in html and f'aria-describedby="err-{second.id}"' in html
    assert input_value(html, first) == "5" and input_value(html, second) == "7"
    assert finals_in() == []

    # A student who is not in the journal's group: a message at the top, nothing written.
    response = client.post(finals_url(school), data={"column": key, f"value-{school.stranger.id}": "5"})
    assert response.status_code == 400
    assert any("не числится в группе" in e for e in form_errors(response.get_data(as_text=True)))
    # An unknown column is not found; a wrong token is refused before the view.
    assert client.post(finals_url(school), data={"column": "term-0", f"value-{first.id}": "5"}).status_code == 404
    assert client.post(finals_url(school), data={"column": "junk"}).status_code == 404
    assert finals_in() == []


def test_a_student_out_of_the_group_in_a_period_has_a_hatched_cell_and_no_input(school, as_user):
    past = term_key(school.past_term)
    html = as_user(school.teacher).get(finals_url(school, column=past)).get_data(as_text=True)
    # The newcomer came after the first quarter: a hatched, disabled cell and no input there.
    cell = re.search(rf'<td[^>]*id="f{school.newcomer.id}-{past}"[^>]*>', html).group(0)
    assert "fout" in cell and 'aria-disabled="true"' in cell
    assert f"value-{school.newcomer.id}" not in input_names(html)
    assert f"value-{school.students[0].id}" in input_names(html)
    assert "не в группе журнала в этот период" in html


def test_a_subgroup_journal_lists_only_its_members(school, as_user):
    group1, group2 = groups.create_split(None, school.c5a, "англ.", 2)
    english = Subject.create(name="Английский язык")
    book = groups.create_journal(None, year=school.year.id, group=group1.id, subject=english.id, kind="lesson")
    groups.assign_teacher(None, book, school.teacher)
    for student in school.students[:2]:
        groups.create_membership(None, group=group1.id, student=student.id, start_date=school.year.start_date)
    groups.create_membership(None, group=group2.id, student=school.students[2].id, start_date=school.year.start_date)
    html = as_user(school.teacher).get(f"/journal/finals/{book.id}").get_data(as_text=True)
    assert input_names(html) == [f"value-{s.id}" for s in school.students[:2]]


def test_an_extracurricular_journal_has_its_finals_page(school, as_user):
    course = Subject.create(name="Шахматы")
    book = groups.create_journal(
        None,
        year=school.year.id,
        group=groups.whole_class_group(school.c5a).id,
        subject=course.id,
        kind="extracurricular",
    )
    groups.assign_teacher(None, book, school.teacher)
    client = as_user(school.teacher)
    assert client.get(f"/journal/finals/{book.id}").status_code == 200
    column = term_key(school.term)
    response = client.post(
        f"/journal/finals/{book.id}", data={"column": column, f"value-{school.students[0].id}": "зачёт"}
    )
    assert response.status_code == 303
    assert finals_in(book.id) == [(school.students[0].id, "term", school.term.id, "зч", None)]


def _grow_group(school, students: int):
    """Add students to 5А with marks in mathematics and finals of the first quarter."""
    book = journal_of(school.c5a, school.math)
    values = {}
    for n in range(students):
        student = Student.create(last_name=f"Ученик{n:02d}", first_name="Тест")
        Enrollment.create(student=student, class_group=school.c5a, start_date=school.year.start_date)
        for lesson in (school.earlier, school.lesson, school.closed):
            Mark.create(lesson=lesson, student=student, value=str(3 + n % 3), work_type=school.answer)
        values[student.id] = "4"
    finals.save_finals(school.teacher, book.id, term_key(school.past_term), values, clock=school.clock)


def test_the_finals_page_costs_the_same_queries_for_a_larger_group(school, as_user):
    give_marks(school)
    client = as_user(school.teacher)
    url = finals_url(school)
    client.get(url)  # warm up
    with QueryCounter() as small:
        assert client.get(url).status_code == 200
    _grow_group(school, 25)
    with QueryCounter() as large:
        page = client.get(url)
    assert page.status_code == 200
    assert len(input_names(page.get_data(as_text=True))) == 32
    assert large.count == small.count, "\n".join(large.statements)
    assert large.count <= 30


# --- the links -----------------------------------------------------------------------------------


def test_the_grid_and_the_journal_list_link_to_the_finals(school, as_user):
    book = journal_of(school.c5a, school.math)
    grid = as_user(school.teacher).get(f"/journal/grid/{book.id}/{school.term.id}").get_data(as_text=True)
    assert f'href="/journal/finals/{book.id}">Итоговые отметки<' in grid
    listing = as_user(school.teacher).get("/journal/").get_data(as_text=True)
    assert f'href="/journal/finals/{book.id}"' in listing
    assert "Итоговые отметки класс" not in listing  # the teacher leads no class
    leader = as_user(school.leader).get("/journal/").get_data(as_text=True)
    assert f'href="/journal/class-finals/{school.c5a.id}">5А<' in leader
    deputy = as_user(school.deputy).get("/journal/").get_data(as_text=True)
    assert 'href="/journal/class-finals/">Итоговые отметки классов<' in deputy


# --- a class's finals ----------------------------------------------------------------------------


def class_url(school, class_group=None) -> str:
    return f"/journal/class-finals/{(class_group or school.c5a).id}"


def test_the_class_page_shows_students_subjects_and_columns(school, as_user):
    first, _ = give_marks(school)
    finals.save_finals(
        school.teacher,
        journal_of(school.c5a, school.math).id,
        term_key(school.term),
        {first.id: "4"},
        clock=school.clock,
    )
    finals.save_finals(
        school.deputy, journal_of(school.c5a, school.math).id, "year", {first.id: "5"}, clock=school.clock
    )
    html = as_user(school.leader).get(class_url(school)).get_data(as_text=True)
    assert "Итоговые отметки · 5А класс" in html
    assert "Математика" in html and "Русский язык" in html and "История" not in html  # 6Б's only
    for short in ("1 ч.", "2 ч.", "Год", "Экз.", "Итог"):
        assert f"<span>{short}</span>" in html
    row = html.split(f'<tr data-s="{first.id}">')[1].split("</tr>")[0]
    assert re.findall(r'<td class="cval[^"]*">([^<]*)</td>', row)[:5] == ["", "4", "5", "", ""]
    assert "Чужой" not in html and "data-print" in html


def test_the_class_page_is_for_the_class_teacher_the_deputy_and_the_head(school, as_user):
    for person in (school.leader, school.deputy, school.head):
        assert as_user(person).get(class_url(school)).status_code == 200, person.login
    for person in (school.teacher, school.other):
        response = as_user(person).get(class_url(school))
        assert response.status_code == 403, person.login
        assert "классный руководитель, заместитель директора и директор" in response.get_data(as_text=True)
    assert as_user(school.leader).get(class_url(school, school.c6b)).status_code == 403
    assert as_user(school.deputy).get("/journal/class-finals/999999").status_code == 404


def test_the_list_of_classes(school, as_user):
    deputy = as_user(school.deputy).get("/journal/class-finals/").get_data(as_text=True)
    assert class_url(school) in deputy and class_url(school, school.c6b) in deputy
    leader = as_user(school.leader).get("/journal/class-finals/").get_data(as_text=True)
    assert class_url(school) in leader and class_url(school, school.c6b) not in leader
    assert as_user(school.teacher).get("/journal/class-finals/").status_code == 403


def _grow_class(school, students: int, subjects: int):
    """Add students to 5А and subjects with whole-class journals and finals."""
    for n in range(students):
        student = Student.create(last_name=f"Ученик{n:02d}", first_name="Тест")
        Enrollment.create(student=student, class_group=school.c5a, start_date=school.year.start_date)
    everyone = [e.student_id for e in Enrollment.select().where(Enrollment.class_group == school.c5a)]
    members = groups.member_spans(
        [groups.whole_class_group(school.c5a)], school.past_term.start_date, school.past_term.end_date
    )
    present = [sid for sid in everyone if members[groups.whole_class_group(school.c5a).id].get(sid)]
    for n in range(subjects):
        subject = Subject.create(name=f"Предмет {n:02d}", short_name=f"Пр. {n:02d}")
        book = journal_of(school.c5a, subject)
        finals.save_finals(
            school.deputy, book.id, term_key(school.past_term), {sid: "5" for sid in present}, clock=school.clock
        )


def test_the_class_page_costs_the_same_queries_for_more_students_and_subjects(school, as_user):
    client = as_user(school.leader)
    url = class_url(school)
    client.get(url)
    with QueryCounter() as small:
        assert client.get(url).status_code == 200
    _grow_class(school, students=20, subjects=13)
    with QueryCounter() as large:
        page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="csubject"') == 15
    assert large.count == small.count, "\n".join(large.statements)
    assert large.count <= 30


def test_the_class_page_prints_on_one_landscape_page(school, as_user):
    html = as_user(school.deputy).get(class_url(school)).get_data(as_text=True)
    assert "journal.css" in html and 'class="cfinals"' in html
    css = CSS.read_text(encoding="utf-8")
    printed = css.split("@media print", 1)[1]
    assert "landscape" in printed
    for rule in (".cfinals {", ".cfinals th, .cfinals td", ".cfinals .cperiod"):
        assert rule in printed, rule
    assert "writing-mode: vertical-rl" in css


# --- the settings ----------------------------------------------------------------------------------


def test_the_settings_page_edits_the_two_finals_settings(school, as_user):
    settings = SchoolSettings.load()
    client = as_user(school.admin)
    page = client.get(f"/schoolsettings/edit/?id={settings.id}").get_data(as_text=True)
    assert "Параллели, аттестуемые по полугодиям" in page and "Округление вверх с доли балла, сотых" in page
    assert "2,60 даёт 3" in page
    form = {
        "name": settings.name or "Школа",
        "school_code": settings.school_code or "",
        "mark_edit_days": "7",
        "upload_max_mb": str(settings.upload_max_mb),
        "half_year_grades": "11,10",
        "round_from": "50",
    }
    response = client.post(f"/schoolsettings/edit/?id={settings.id}", data=form)
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    saved = SchoolSettings.load()
    assert (saved.half_year_grades, saved.round_from) == ("10, 11", 50)
    listing = client.get("/schoolsettings/").get_data(as_text=True)
    assert "Параллели, аттестуемые по полугодиям" in listing and "10, 11" in listing
    for field, value, message in (
        ("half_year_grades", "12", "номера от 1 до 11 через запятую"),
        ("round_from", "100", "от 1 до 99"),
    ):
        response = client.post(f"/schoolsettings/edit/?id={settings.id}", data={**form, field: value})
        assert response.status_code == 200
        assert any(message in e for e in form_errors(response.get_data(as_text=True))), field
    assert (SchoolSettings.load().half_year_grades, SchoolSettings.load().round_from) == ("10, 11", 50)


def test_a_half_year_grade_is_attested_by_halves(school, as_user):
    """A grade listed in the setting whose year has halves: the finals page shows the halves."""
    half = Term.create(
        year=school.year,
        kind="half",
        number=1,
        start_date=school.year.start_date,
        end_date=school.today + dt.timedelta(days=10),
    )
    Term.create(
        year=school.year,
        kind="half",
        number=2,
        start_date=school.today + dt.timedelta(days=11),
        end_date=school.year.end_date,
    )
    settings = SchoolSettings.load()
    settings.half_year_grades = "5"
    settings.save()
    html = as_user(school.teacher).get(finals_url(school)).get_data(as_text=True)
    assert "1 полугодие" in html and "1 четверть" not in html
    assert f'name="column" value="{term_key(half)}"' in html
    html = as_user(school.leader).get(class_url(school)).get_data(as_text=True)
    assert "<span>1 пол.</span>" in html and "<span>1 ч.</span>" not in html
