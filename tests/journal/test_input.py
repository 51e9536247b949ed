"""Malformed input to the journal's endpoints answers 400/404 with a Russian message, never 500, writing nothing."""

import json
import re

import pytest

from app.models import Absence, AuditEntry, Lesson, Mark, Term
from tests.journal.conftest import journal_of


def state():
    return (
        Mark.select().count(),
        Absence.select().count(),
        AuditEntry.select().count(),
        [lesson.snapshot() for lesson in Lesson.select().order_by(Lesson.id)],
    )


def russian(text: str) -> bool:
    return bool(re.search("[а-яА-ЯёЁ]", text))


def post_raw(client, url, raw: str):
    return client.post(url, data=raw, content_type="application/json")


@pytest.fixture
def mark(school):
    made = Mark(
        lesson=school.lesson,
        student=school.students[0],
        value="4",
        work_type=school.answer,
        weight=1,
        created_by=school.teacher,
    )
    made.save(force_insert=True)
    return made


def json_urls(mark):
    return [
        "/journal/api/marks",
        f"/journal/api/marks/{mark.id}",
        f"/journal/api/marks/{mark.id}/delete",
        "/journal/api/absence",
    ]


@pytest.mark.parametrize("raw", ["[1]", "5", "null", '"текст"', "{", "", "NaN", '{"a": Infinity}', "[{}]"])
def test_a_body_that_is_not_an_object_is_refused(school, as_user, mark, raw):
    client = as_user(school.teacher)
    before = state()
    for url in json_urls(mark):
        response = post_raw(client, url, raw)
        assert response.status_code == 400, (url, raw, response.status_code)
        assert russian(response.get_json()["error"]), url
    assert state() == before


@pytest.mark.parametrize("raw", [r'{"comment": "x\udb72"}', r'{"\udc00": 1}', r'{"values": ["\ud800"]}'])
def test_half_a_utf16_pair_is_refused_in_russian(school, as_user, mark, raw):
    # JSON can spell a lone surrogate, which no database text can hold: refused before any service.
    client = as_user(school.teacher)
    before = state()
    for url in json_urls(mark):
        response = post_raw(client, url, raw)
        assert response.status_code == 400, (url, raw, response.status_code)
        assert "недопустимый символ" in response.get_json()["error"], url
    assert state() == before


def test_a_deeply_nested_body_is_refused(school, as_user, mark):
    # json.loads raises RecursionError (not ValueError) on deep nesting.
    client = as_user(school.teacher)
    before = state()
    for url in json_urls(mark):
        response = post_raw(client, url, '{"lesson": ' + "[" * 100_000 + "]" * 100_000 + "}")
        assert response.status_code == 400, url
    assert state() == before


def test_a_form_body_is_refused_on_the_json_endpoints(school, as_user, mark):
    client = as_user(school.teacher)
    before = state()
    for url in json_urls(mark):
        response = client.post(url, data={"lesson": school.lesson.id})
        assert response.status_code == 400 and russian(response.get_json()["error"]), url
    assert state() == before


# Raw JSON text, so that 1e400 (→ inf), 1.5 and huge integers reach the server as written.
BAD_NUMBERS = ["1e400", "-1e400", "1.5", "true", "false", str(2**63), str(2**70), "-1", "0", '"abc"', "[1]", '{"a": 1}']


# A weight is a decimal with two places at most, within 0,1…10: 1.5 is a good one.
BAD_WEIGHTS = [b for b in BAD_NUMBERS if b != "1.5"] + ["1.255", "0.05", "10.01", '"1,2,3"', '"NaN"', '"1e2"']


@pytest.mark.parametrize(
    "field,bad",
    [(field, bad) for field in ("lesson", "student", "work_type") for bad in BAD_NUMBERS]
    + [("weight", bad) for bad in BAD_WEIGHTS],
)
def test_bad_numbers_in_a_new_mark(school, as_user, field, bad):
    client = as_user(school.teacher)
    body = {"lesson": school.lesson.id, "student": school.students[0].id, "value": '"5"', "work_type": school.answer.id}
    body = {k: (v if k == "value" else json.dumps(v)) for k, v in body.items()}
    body[field] = bad
    raw = "{" + ", ".join(f'"{k}": {v}' for k, v in body.items()) + "}"
    before = state()
    response = post_raw(client, "/journal/api/marks", raw)
    assert response.status_code in (400, 404), (field, bad, response.status_code)
    assert russian(response.get_json()["error"])
    assert state() == before


@pytest.mark.parametrize("bad", [b for b in BAD_NUMBERS if b != "0"] + ['""', "null"])
def test_bad_change_numbers(school, as_user, mark, bad):
    client = as_user(school.teacher)
    before = state()
    for url in (f"/journal/api/marks/{mark.id}", f"/journal/api/marks/{mark.id}/delete"):
        raw = f'{{"change_no": {bad}, "value": "5", "work_type": {school.answer.id}}}'
        response = post_raw(client, url, raw)
        assert response.status_code == 400, (url, bad, response.status_code)
        assert russian(response.get_json()["error"])
    assert state() == before


@pytest.mark.parametrize("bad", ["5", "true", '["5"]', '{"v": "5"}', "1e400"])
def test_text_fields_must_be_strings(school, as_user, mark, bad):
    client = as_user(school.teacher)
    lesson, student = school.lesson.id, school.students[0].id
    before = state()
    requests = [
        ("/journal/api/marks", f'{{"lesson": {lesson}, "student": {student}, "value": {bad}, "work_type": 1}}'),
        (
            f"/journal/api/marks/{mark.id}",
            f'{{"change_no": {mark.change_no}, "value": "5", "work_type": {school.answer.id}, "reason": {bad}}}',
        ),
        (f"/journal/api/marks/{mark.id}/delete", f'{{"change_no": {mark.change_no}, "reason": {bad}}}'),
        ("/journal/api/absence", f'{{"lesson": {lesson}, "student": {student}, "reason": {bad}}}'),
        ("/journal/api/absence", f'{{"lesson": {lesson}, "student": {student}, "reason": "", "expected": {bad}}}'),
    ]
    for url, raw in requests:
        response = post_raw(client, url, raw)
        assert response.status_code == 400, (url, raw, response.status_code)
        assert russian(response.get_json()["error"])
    assert state() == before


@pytest.mark.parametrize("query", [f"lesson={2**70}&student=1", "lesson=1.5&student=1", "lesson=&student=", "x=1"])
def test_bad_ids_of_a_cell_are_not_found(school, as_user, query):
    response = as_user(school.teacher).get(f"/journal/api/cell?{query}")
    assert response.status_code == 404 and russian(response.get_json()["error"])


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "abc", "2026-1-1", "+2026-01-01"])
def test_odd_dates_fall_back_to_today(school, as_user, value):
    for person, url in ((school.teacher, "/journal/today/"), (school.deputy, "/journal/substitutions/")):
        response = as_user(person).get(url, query_string={"date": value})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (url, value)
        assert "не распознана" in html and school.today.strftime("%d.%m.%Y") in html, (url, value)


def test_the_edges_of_the_calendar_still_page(school, as_user):
    for person, url in ((school.teacher, "/journal/today/"), (school.deputy, "/journal/substitutions/")):
        for value in ("1900-01-01", "2100-12-31"):
            response = as_user(person).get(url, query_string={"date": value})
            assert response.status_code == 200 and "не распознана" not in response.get_data(as_text=True)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "2026-00", "abc", "2026-1", "2026-01-01"])
def test_odd_print_months_are_not_found(school, as_user, month):
    response = as_user(school.deputy).get(f"/journal/print/{journal_of(school.c5a, school.math).id}/{month}")
    assert response.status_code == 404


@pytest.mark.parametrize("teacher", [str(2**63), str(2**70), "abc", "-1", "1.5", ""])
def test_bad_teacher_ids_in_the_forms(school, as_user, teacher):
    client = as_user(school.deputy)
    before = state()
    response = client.post(
        f"/journal/lesson/{school.lesson.id}",
        data={"version": "1", "topic": "", "homework": "", "teacher_id": teacher, "replacement_subject_id": "0"},
    )
    assert response.status_code == 400, response.status_code
    assert "Выберите учителя" in response.get_data(as_text=True)
    response = client.post(
        f"/journal/substitutions/{school.lesson.id}",
        data={"version": "1", "teacher_id": teacher, "replacement_subject_id": str(2**70), "date": "9999-99-99"},
    )
    assert response.status_code == 303
    assert state() == before


@pytest.mark.parametrize("version", ["1e400", str(2**70), "abc", ""])
def test_bad_lesson_versions(school, as_user, version):
    before = state()
    response = as_user(school.teacher).post(
        f"/journal/lesson/{school.lesson.id}", data={"version": version, "topic": "Тема", "homework": ""}
    )
    assert response.status_code in (400, 409)
    assert state() == before


@pytest.mark.parametrize("group", [str(2**70), "999999", "abc"])
def test_an_unknown_class_is_not_all_classes_in_planning(school, as_user, group):
    before = state()
    response = as_user(school.deputy).post(
        "/journal/planning/",
        data={"class_group": group, "start": school.year.start_date.isoformat(), "end": school.today.isoformat()},
    )
    assert response.status_code == 400
    assert state() == before


def test_term_pages_take_no_odd_ids(school, as_user):
    client = as_user(school.deputy)
    before = state(), [t.closed for t in Term.select()]
    assert client.post(f"/journal/terms/{school.term.id}", data={"action": "что-то"}).status_code == 400
    assert client.post(f"/journal/terms/{2**70}", data={"action": "close", "confirm": "y"}).status_code == 404
    assert (state(), [t.closed for t in Term.select()]) == before
