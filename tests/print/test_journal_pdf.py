"""The journal printed like the paper one: a PDF per journal and period, complete, one sheet for 30 students."""

import io
import re

from pypdf import PdfReader

from app.clock import app_clock
from app.models import SchoolSettings
from app.services import journal_print
from tests.journal.conftest import QueryCounter


def pdf_pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def _get(client, journal_id, period):
    return client.get(f"/journal/print-pdf/{journal_id}", query_string={"period": period})


def test_a_month_of_30_students_is_one_marks_sheet_and_one_topics_sheet(school, as_user):
    response = _get(as_user(school.teacher), school.math_journal.id, "2026-11")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "inline" in response.headers["Content-Disposition"]
    marks, topics = pdf_pages(response.data)  # exactly two pages
    # The header: school, class, subject, teacher, year, period.
    assert "ГБОУ школа № 777 Невского района" in marks
    assert "Класс 5А · Математика · 2026/2027 учебный год · ноябрь 2026" in marks
    assert "Учитель: Смирнова А.И." in marks
    assert "стр. 1 из 2" in marks and "стр. 2 из 2" in topics
    # Every one of the 30 students on the first sheet, numbered, the one who left marked.
    assert "1 Алексеев Артём" in marks and "29 Ярцев Всеволод" in marks
    assert "30 Ястребова Галина (выб. 20.11)" in marks
    # The dates as day numbers under the month; the cells: two marks, an illness and an unexcused absence.
    assert "ноябрь 2026" in marks and "05 09 12 16 19 23 26 30" in marks
    assert re.search(r"1 Алексеев Артём 5/4 б нп\n", marks)
    assert re.search(r"2 Борисова Вера 3 б\n", marks)
    assert re.search(r"3 Васильев Глеб оп\n", marks)
    # The legend: absence codes and the kinds of work marked, with their weights.
    assert "б — болезнь" in marks and "нп — неуважительная причина" in marks and "оп — опоздание" in marks
    assert "Контрольная работа — вес 3; Ответ на уроке — вес 1" in marks
    # The topics page: topics, homework, the substitution, the cancelled lesson, the signature lines.
    assert "05.11.2026 2 Тема 1: дроби № 101 Ответ на уроке (1) Смирнова А.И." in topics
    assert "Заменина О.П. (замена; по расписанию Смирнова А.И.)" in " ".join(topics.split())  # wrapped in its cell
    assert "Урок отменён: карантин" in topics
    assert "Учитель Смирнова А.И." in topics and "Заместитель директора по УВР" in topics


def test_the_term_shows_its_finals_and_the_year_continues_dates_with_the_names_repeated(app, school, as_user):
    client = as_user(school.teacher)
    q1 = pdf_pages(_get(client, school.math_journal.id, f"term-{school.q1.id}").data)
    assert "Итоги" in q1[0] and "1 ч." in q1[0]
    assert re.search(r"1 Алексеев Артём 4\n", q1[0])  # no lessons in q1: only the final
    # The year: ~30 date columns fit a sheet; 8 lessons and 7 finals columns do.
    year = pdf_pages(_get(client, school.math_journal.id, "year").data)
    assert "2026/2027 учебный год" in year[0]
    assert "1 ч. 2 ч. Год Экз. Итог" in year[0]
    assert re.search(r"1 Алексеев Артём 5/4 б нп 4\n", year[0])


def test_many_dates_go_on_to_the_next_sheet_with_the_names(app, school):
    settings = SchoolSettings.load()
    book = school.math_journal
    period = journal_print.period_of(book, "year", settings)
    data = journal_print.collect(book, period, settings=settings, today=school.year.end_date)
    lesson = data.lessons[0]
    data.lessons = [lesson] * 45  # 45 date columns cannot share one sheet with the names
    pdf = journal_print.Document(landscape=True)
    journal_print.draw_journal(pdf, data)
    pages = pdf_pages(pdf.bytes())
    marks = [p for p in pages if "Учёт успеваемости" in p]
    assert len(marks) == 2
    assert all("30 Ястребова Галина" in p for p in marks)


def test_a_group_journal_lists_its_members_only(school, as_user):
    pages = pdf_pages(_get(as_user(school.english), school.eng1_journal.id, "2026-11").data)
    assert "Группа «5А, англ., гр. 1» (5А класс)" in pages[0]
    assert "1 Алексеев Артём" in pages[0] and "2 Борисова Вера" in pages[0]
    assert "Васильев" not in pages[0]
    assert "Present Simple" in pages[1]


def test_print_access_is_the_journals(school, as_user):
    journal_id = school.math_journal.id
    assert _get(as_user(school.stranger), journal_id, "2026-11").status_code == 403
    assert _get(as_user(school.english), journal_id, "2026-11").status_code == 403
    for person in (school.teacher, school.leader, school.deputy, school.head, school.admin):
        assert _get(as_user(person), journal_id, "2026-11").status_code == 200, person.login
    bad = _get(as_user(school.teacher), journal_id, "2031-01")
    assert bad.status_code == 404
    assert "Такого периода в учебном году журнала нет" in bad.get_data(as_text=True)
    assert _get(as_user(school.teacher), 987654, "year").status_code == 404


def test_the_journal_page_links_the_pdf_print(school, as_user):
    page = as_user(school.teacher).get(f"/journal/grid/{school.math_journal.id}/{school.q2.id}")
    html = page.get_data(as_text=True)
    assert "Печать (PDF)" in html
    assert f"/journal/print-pdf/{school.math_journal.id}?period=2026-11" in html
    assert f"/journal/print-pdf/{school.math_journal.id}?period=year" in html


def test_the_print_reads_a_fixed_number_of_queries(app, school):
    settings = SchoolSettings.load()
    today = app_clock(app).today()
    book = school.math_journal
    counts = []
    for key in ("2026-11", "year"):
        period = journal_print.period_of(book, key, settings)
        with QueryCounter() as counter:
            journal_print.collect(book, period, settings=settings, today=today, staff=school.teacher)
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 14


def test_the_marks_sheet_keeps_clear_of_the_footer_and_the_edges(school, as_user):
    from pypdf import PdfReader as Reader

    data = _get(as_user(school.teacher), school.math_journal.id, "2026-11").data
    page = Reader(io.BytesIO(data)).pages[0]
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[5] / 72 * 25.4, tm[4] / 72 * 25.4, text.strip()))

    page.extract_text(visitor_text=visit)
    footer = [y for y, _, text in found if text.startswith("стр. 1 из")]
    body = [(y, x) for y, x, text in found if not text.startswith(("стр.", "5А · Математика · 2026/2027"))]
    # A4 landscape is 297 × 210 mm: everything above the footer line and inside the margins.
    assert footer and min(y for y, _ in body) > footer[0] + 8
    assert max(y for y, _ in body) < 205 and max(x for _, x in body) < 287
