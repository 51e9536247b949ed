"""The report pages and files through the real app: who may open what, XLSX and PDF with the figures, Russian UI."""

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict

from app.documents import PDF_MIME, XLSX_MIME
from app.services.reports import registry
from tests.journal.conftest import QueryCounter
from tests.reports.conftest import CLOCK
from tests.test_russian_ui import data_words, english_words


def q1(school, **extra):
    return {"class": str(school.c5a.id), "period": f"term-{school.q1.id}", **extra}


def test_the_report_list_shows_what_the_person_may_open(school, on_report_day, as_user):
    page = as_user(school.staff.deputy).get("/reports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for kind in registry.REPORTS.values():
        assert kind.title in html
    teacher = as_user(school.staff.math).get("/reports/").get_data(as_text=True)
    assert "Заполнение журнала" in teacher and "Замены" in teacher and "Сводная ведомость" not in teacher
    assert as_user(school.staff.admin).get("/reports/").status_code == 403


def test_anonymous_people_go_to_the_login_page(app, school):
    response = app.test_client().get(f"/reports/summary/?class={school.c5a.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert app.test_client().get("/reports/summary/xlsx").status_code == 302


def test_the_deputy_sees_the_summary_sheet_on_screen(school, on_report_day, as_user):
    client = as_user(school.staff.deputy)
    form = client.get("/reports/summary/").get_data(as_text=True)
    assert 'name="class"' in form and 'name="period"' in form and 'id="report"' not in form
    html = client.get("/reports/summary/", query_string=q1(school)).get_data(as_text=True)
    assert "Сводная ведомость итоговых отметок: 5А класс" in html
    assert "Ушедший Юрий (выбыл 20.10.2026)" in html and "60,0 %" in html and "40,0 %" in html
    assert "Скачать XLSX" in html and "Скачать PDF" in html
    assert english_words(html, data_words()) == []


def test_a_teacher_cannot_open_a_class_they_do_not_lead(school, on_report_day, as_user):
    leader = as_user(school.staff.leader)
    assert leader.get("/reports/summary/", query_string=q1(school)).status_code == 200
    for code in ("summary", "class-teacher", "attendance", "progress"):
        for suffix in ("", "xlsx", "pdf"):
            for value in (str(school.c6b.id), "999999"):
                response = leader.get(f"/reports/{code}/{suffix}", query_string=q1(school, **{"class": value}))
                assert response.status_code == 403, (code, suffix, value)
                body = response.get_data(as_text=True)
                assert "6Б" not in body and "Чужой" not in body and "Морозов" not in body
    teacher = as_user(school.staff.math)
    assert teacher.get("/reports/summary/", query_string=q1(school)).status_code == 403
    assert teacher.get("/reports/summary/xlsx", query_string=q1(school)).status_code == 403
    # The class select offers the class teacher their own class only.
    form = leader.get("/reports/summary/").get_data(as_text=True)
    assert f'value="{school.c5a.id}"' in form and f'value="{school.c6b.id}"' not in form


def _sheet_values(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for row in book.active.iter_rows(values_only=True) for cell in row if cell is not None]


def test_the_summary_sheet_as_xlsx_and_pdf(school, on_report_day, as_user):
    client = as_user(school.staff.deputy)
    response = client.get("/reports/summary/xlsx", query_string=q1(school))
    assert response.status_code == 200 and response.mimetype == XLSX_MIME
    assert "attachment" in response.headers["Content-Disposition"]
    values = _sheet_values(response.data)
    assert "Сводная ведомость итоговых отметок: 5А класс" in values
    assert "Ушедший Юрий (выбыл 20.10.2026)" in values and "60,0 %" in values and "3,80" in values
    # The figures stay numbers in the spreadsheet.
    assert values.count(5) >= 2
    response = client.get("/reports/summary/pdf", query_string=q1(school))
    assert response.status_code == 200 and response.mimetype == PDF_MIME
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Сводная ведомость" in text and "Алексеев Артём" in text and "Волкова Е.С." in text


@pytest.mark.parametrize("code", list(registry.REPORTS))
def test_every_report_opens_and_downloads_for_the_deputy_and_the_class_teacher(school, on_report_day, as_user, code):
    for staff in (school.staff.deputy, school.staff.leader):
        client = as_user(staff)
        page = client.get(f"/reports/{code}/", query_string={"period": f"term-{school.q1.id}", "month": "2026-11"})
        assert page.status_code == 200, (code, staff.login)
        html = page.get_data(as_text=True)
        assert 'id="report"' in html and english_words(html, data_words()) == []
        xlsx = client.get(f"/reports/{code}/xlsx", query_string={"period": f"term-{school.q1.id}", "month": "2026-11"})
        assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.data)).active.max_row > 2
        pdf = client.get(f"/reports/{code}/pdf", query_string={"period": f"term-{school.q1.id}", "month": "2026-11"})
        assert pdf.status_code == 200 and PdfReader(io.BytesIO(pdf.data)).pages


BAD = ["", "0", "-1", "abc", "9" * 30, "term-0", "2026-02-30", "<script>", "\x00", "а" * 300]


@pytest.mark.parametrize("code", list(registry.REPORTS))
def test_bad_parameters_never_answer_500(school, on_report_day, as_user, code):
    for staff in (school.staff.deputy, school.staff.leader, school.staff.math):
        client = as_user(staff)
        for value in BAD:
            for suffix in ("", "xlsx", "pdf"):
                args = {name: value for name in ("class", "grade", "period", "month")}
                response = client.get(f"/reports/{code}/{suffix}", query_string=args)
                assert response.status_code in (200, 400, 403), (code, suffix, value, response.status_code)
        repeated = client.get(f"/reports/{code}/", query_string=[("month", "2026-11"), ("month", "2026-10")])
        assert repeated.status_code in (200, 403)
    assert as_user(school.staff.deputy).get("/reports/nonsense/").status_code == 404


def test_a_bad_period_is_explained_on_the_page(school, on_report_day, as_user):
    html = as_user(school.staff.deputy).get("/reports/progress/", query_string={"period": "xyz"}).get_data(as_text=True)
    assert "Выберите период из списка" in html and 'id="report"' not in html


# --- the query count does not grow with the school -------------------------------------------------


def _counts(school) -> dict:
    found = {}
    for code, kind in registry.REPORTS.items():
        people = (("deputy", school.staff.deputy), ("leader", school.staff.leader), ("math", school.staff.math))
        for who, staff in people:
            if not kind.audience(staff, school.year):
                continue
            args = MultiDict({"period": f"term-{school.q1.id}", "month": "2026-11"})
            with QueryCounter() as counter:
                registry.build(kind, staff, args, clock=CLOCK)
            found[(code, who)] = counter.count
    return found


def test_the_query_count_of_every_report_does_not_grow_when_the_school_doubles(school, on_report_day):
    _counts(school)  # each person's permissions are read once and kept on the object
    before = _counts(school)
    school.double()
    after = _counts(school)
    assert before == after
    assert len(before) == 7 + 7 + 3
    report = registry.build(
        registry.REPORTS["progress"], school.staff.deputy, MultiDict({"period": f"term-{school.q1.id}"}), clock=CLOCK
    )
    # The doubled class counts: its five attested students besides 5А's five and 6Б's one.
    assert report.sections[0].totals[1] == 11


def test_a_title_with_characters_excel_refuses_names_the_sheet():
    from app.documents import Column, Report, Section, report_xlsx, sheet_title

    assert sheet_title("Успеваемость за период: 5А [1/2]") == "Успеваемость за период- 5А -1-2"
    assert sheet_title("   ") == "Отчёт"
    data = report_xlsx(Report("Замены за ноябрь 2026: вся школа", sections=[Section("", [Column("А")], [(1,)])]))
    assert load_workbook(io.BytesIO(data)).active.title == "Замены за ноябрь 2026- вся школ"


def test_rows_on_screen_are_escaped_and_aligned():
    from app.documents import Column, Section, rows_html

    section = Section("", [Column("Тема"), Column("Число", align="R"), Column("Да", align="C")])
    section.rows = [("<b>Дроби</b>", 1, True), ("Дроби", 1, 1)]
    assert str(rows_html(section)) == (
        '<tr><td>&lt;b&gt;Дроби&lt;/b&gt;</td><td class="text-right">1</td><td class="text-center">да</td></tr>'
        '<tr><td>Дроби</td><td class="text-right">1</td><td class="text-center">1</td></tr>'
    )
