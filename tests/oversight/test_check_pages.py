"""The check's and the remarks' pages, as a browser uses them: forms with their CSRF token, Russian refusals."""

import datetime as dt
import re

import pytest
import time_machine

from app.models import Lesson
from app.models.oversight import FindingDismissal, JournalCheck, Remark
from tests.conftest import form_errors, login

NOW = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def pages(app, month):
    with time_machine.travel(NOW, tick=False):

        def client_of(staff):
            client = app.test_client()
            assert login(client, staff.login).status_code == 302
            return client

        yield client_of


def _open(client, **fields):
    data = {"month": "2026-11", "scope_kind": "school", **fields}
    return client.post("/check/", data=data)


def test_the_deputy_opens_a_check_and_sees_the_findings(month, pages):
    deputy = pages(month.deputy)
    listing = deputy.get("/check/").get_data(as_text=True)
    assert "ноябрь 2026" in listing and "Проверок журнала ещё не было" in listing
    response = _open(deputy)
    assert response.status_code == 303
    check = JournalCheck.get()
    page = deputy.get(f"/check/{check.id}").get_data(as_text=True)
    assert "Проверка журнала за ноябрь 2026: вся школа" in page
    assert "Находок: <strong>14</strong>" in page
    assert "17.11.2026, 2 урок: урок не отмечен проведённым" in page
    assert f'href="/journal/lesson/{month.gaps.substitution.id}"' in page
    assert f'href="/journal/finals/{month.math_journal.id}?column=term-{month.q1.id}"' in page
    # The same month and scope opens the same check.
    assert _open(deputy).headers["Location"].endswith(f"/check/{check.id}")


def test_a_bad_check_form_says_why_in_russian(month, pages):
    deputy = pages(month.deputy)
    page = deputy.post("/check/", data={"month": "2026-11", "scope_kind": "grade", "scope_grade": "99"})
    assert "Параллель — число от 1 до 11." in form_errors(page.get_data(as_text=True))
    assert JournalCheck.select().count() == 0


def test_teachers_cannot_open_the_check_pages(month, pages):
    _open(pages(month.deputy))
    check = JournalCheck.get()
    teacher = pages(month.math_teacher)
    for url in ("/check/", f"/check/{check.id}", f"/check/{check.id}/print"):
        assert teacher.get(url).status_code == 403, url
    assert teacher.post(f"/check/{check.id}/publish").status_code == 403


def test_remarks_given_published_fixed_and_accepted_through_the_pages(month, pages):
    deputy, teacher = pages(month.deputy), pages(month.math_teacher)
    _open(deputy)
    check = JournalCheck.get()
    key = f"no_topic:{month.math_journal.id}:{month.gaps.no_topic.id}:"
    dismissed = f"no_homework:{month.math_journal.id}:{month.gaps.no_homework.id}:"
    assert deputy.post(f"/check/{check.id}/dismiss", data={"key": dismissed, "reason": "урок-зачёт"}).status_code == 303
    assert FindingDismissal.select().count() == 1
    assert deputy.post(f"/check/{check.id}/remarks", data={"key": [key], "due_date": "08.12.2026"}).status_code == 303
    remark = Remark.get()
    page = deputy.get(f"/check/{check.id}").get_data(as_text=True)
    assert "снято ранее: 1" in page and "замечание: открыто" in page
    assert "/remarks/" in page
    # Not yet published: the teacher sees nothing.
    assert "Замечаний вам нет." in teacher.get("/remarks/").get_data(as_text=True)
    assert teacher.get(f"/remarks/{remark.id}").status_code == 404
    deputy.post(f"/check/{check.id}/publish")
    mine = teacher.get("/remarks/").get_data(as_text=True)
    assert "12.11.2026, 2 урок: не указана тема урока" in mine
    # Marking it fixed is refused while the topic is missing.
    refused = teacher.post(f"/remarks/{remark.id}", data={"action": "fixed"})
    assert any("всё ещё находит" in e for e in form_errors(refused.get_data(as_text=True)))
    Lesson.update(topic="Дроби").where(Lesson.id == month.gaps.no_topic.id).execute()
    assert teacher.post(f"/remarks/{remark.id}", data={"action": "fixed", "comment": "внесла"}).status_code == 303
    review = deputy.get("/remarks/").get_data(as_text=True)
    assert "Ждут проверки исправления" in review and f'id="remark-{remark.id}"' in review
    assert deputy.post(f"/remarks/{remark.id}", data={"action": "accepted"}).status_code == 303
    detail = teacher.get(f"/remarks/{remark.id}").get_data(as_text=True)
    assert "принято" in detail and "внесла" in detail
    printed = deputy.get(f"/check/{check.id}/print").get_data(as_text=True)
    assert "С замечаниями ознакомлен(а)" in printed and re.search(r"Замечания: Смирнова Анна", printed)


def test_a_stranger_cannot_act_on_someone_elses_remark(month, pages):
    deputy = pages(month.deputy)
    _open(deputy)
    check = JournalCheck.get()
    deputy.post(
        f"/check/{check.id}/remark",
        data={"assignee": month.english1.id, "journal": "", "text": "Сверить журнал", "due_date": "10.12.2026"},
    )
    deputy.post(f"/check/{check.id}/publish")
    remark = Remark.get()
    other = pages(month.english2)
    assert other.get(f"/remarks/{remark.id}").status_code == 404
    assert other.post(f"/remarks/{remark.id}", data={"action": "fixed"}).status_code == 404
    assert Remark.get_by_id(remark.id).status == "open"
    for bad in ("0", "99999999999999999999", "abc"):
        assert other.get(f"/remarks/{bad}").status_code == 404


def test_the_menu_counts_the_remarks_waiting(month, pages):
    deputy, teacher = pages(month.deputy), pages(month.math_teacher)
    _open(deputy)
    check = JournalCheck.get()
    key = f"no_topic:{month.math_journal.id}:{month.gaps.no_topic.id}:"
    deputy.post(f"/check/{check.id}/remarks", data={"key": [key], "due_date": "08.12.2026"})
    assert 'id="remarks-count"' not in teacher.get("/").get_data(as_text=True)
    deputy.post(f"/check/{check.id}/publish")
    home = teacher.get("/").get_data(as_text=True)
    assert re.search(r'id="remarks-count".*?badge-warning">1<', home, re.S)
    deputy_home = deputy.get("/").get_data(as_text=True)
    assert 'id="remarks-count"' not in deputy_home
    assert re.search(r'id="home-open-remarks">Открытых замечаний: <a href="/remarks/#opened">1</a>', deputy_home)
    assert 'id="opened"' in deputy.get("/remarks/").get_data(as_text=True)
