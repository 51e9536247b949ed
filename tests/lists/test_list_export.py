"""«Выгрузить: CSV | XLSX» on the lists: the list as shown (scope, search, filters), streamed, never a formula."""

import csv
import io
import re

import pytest
from flask import url_for
from openpyxl import load_workbook

from admin_views import list_export
from admin_views.base import SecureModelView
from app.models import ClassGroup, Student
from tests.journal.conftest import QueryCounter, school  # noqa: F401
from tests.test_russian_ui import ALLOWED

FORMULA = "=cmd|' /C calc'!A0"


def download(client, url: str):
    """Return the response with its body read, closed like a server closes it (the XLSX is an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def csv_table(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()), "Russian Excel needs the byte order mark"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def xlsx_table(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def filter_arg(app, endpoint: str, title: str) -> str:
    """Return the query-string name of a list filter by its Russian title (Flask-Admin numbers them)."""
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    index = next(i for i, flt in enumerate(view._filters) if str(flt.name) == title)
    return f"flt0_{index}"


def names_of(table) -> list[str]:
    return [f"{row[0]} {row[1]}" for row in table[1:]]


@pytest.fixture
def admin_client(app, school, as_user):  # noqa: F811
    return as_user(school.admin)


def test_the_list_offers_russian_export_links_keeping_its_search(admin_client):
    page = admin_client.get("/student/?search=Алексеев").get_data(as_text=True)
    assert "Выгрузить:" in page
    assert "/student/export/csv/?search=" in page and "/student/export/xlsx/?search=" in page


def test_csv_is_the_list_searched_filtered_and_in_its_order(app, admin_client, school):  # noqa: F811
    table = csv_table(download(admin_client, "/student/export/csv/"))
    assert table[0] == ["Фамилия", "Имя", "Отчество", "Дата рождения", "Класс сейчас"]
    shown = names_of(table)
    assert shown == sorted(shown) and "Чужой Пётр" in shown and len(shown) == Student.select().count()
    assert ["Алексеев", "Артём", "", "", "5А"] in table

    searched = csv_table(download(admin_client, "/student/export/csv/?search=Алексеев"))
    assert names_of(searched) == ["Алексеев Артём"]

    grade = filter_arg(app, "student", "Класс сейчас: параллель")
    filtered = csv_table(download(admin_client, f"/student/export/csv/?{grade}=6"))
    assert names_of(filtered) == ["Чужой Пётр"]


def test_xlsx_matches_the_csv(admin_client):
    grade = "search=Ч"
    csv_rows = csv_table(download(admin_client, f"/student/export/csv/?{grade}"))
    response = download(admin_client, f"/student/export/xlsx/?{grade}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert xlsx_table(response) == csv_rows


def test_file_names_are_russian_with_the_school_date(admin_client, school):  # noqa: F811
    response = download(admin_client, "/student/export/csv/")
    disposition = response.headers["Content-Disposition"]
    assert "Uchenik" in disposition or "Ucheniki" in disposition
    assert f"{school.today:%Y-%m-%d}.csv" in disposition
    assert "%D0%A3%D1%87%D0%B5%D0%BD%D0%B8%D0%BA" in disposition  # «Учени…» kept in filename*


def test_a_teacher_exports_only_what_their_list_shows(app, school, as_user):  # noqa: F811
    client = as_user(school.teacher)
    page = client.get("/student/").get_data(as_text=True)
    exported = names_of(csv_table(download(client, "/student/export/csv/")))
    assert exported, "the teacher's list is not empty"
    for name in exported:
        assert name.split()[0] in page
    assert "Чужой Пётр" not in exported and "Чужой" not in page
    assert len(exported) < Student.select().count()


def test_formula_cells_are_neutralised(admin_client, school):  # noqa: F811
    Student.create(last_name=FORMULA, first_name="+79210000000")
    Student.create(last_name="\tтаб", first_name="-1")
    table = csv_table(download(admin_client, "/student/export/csv/"))
    row = next(r for r in table if "cmd" in r[0])
    assert row[:2] == ["'" + FORMULA, "'+79210000000"]
    assert ["'\tтаб", "'-1"] == next(r for r in table if "таб" in r[0])[:2]

    sheet = load_workbook(io.BytesIO(download(admin_client, "/student/export/xlsx/").get_data())).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value in (FORMULA, "\tтаб", "-1", "+79210000000")]
    assert len(cells) == 4
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_the_csv_is_streamed(admin_client):
    response = admin_client.get("/student/export/csv/", buffered=False)
    assert response.is_streamed
    response.close()
    response = admin_client.get("/student/export/xlsx/", buffered=False)
    assert response.is_streamed
    response.close()


def test_unknown_types_and_people_without_the_list_get_no_file(app, school, as_user, client):  # noqa: F811
    admin = as_user(school.admin)
    assert download(admin, "/student/export/pdf/").status_code == 404
    assert download(admin, "/student/export/tablib/").status_code == 404
    assert download(client, "/student/export/csv/").status_code == 302  # anonymous: the login page
    teacher = as_user(school.teacher)
    assert download(teacher, "/auditentry/export/csv/").status_code == 403


def test_every_list_exports_as_csv_and_xlsx(app, admin_client):
    with app.test_request_context():
        views = [v for v in app.extensions["admin"][0]._views if isinstance(v, SecureModelView) and v.can_export]
        urls = [(v, url_for(f"{v.endpoint}.export", export_type=t)) for v in views for t in v.export_types]
    assert len(urls) > 30
    for view, url in urls:
        response = download(admin_client, url)
        assert response.status_code == 200, url
        header = [label for _name, label in view._export_columns]
        table = csv_table(response) if url.endswith("/csv/") else xlsx_table(response)
        assert table[0] == header, url
        latin = [w for title in header for w in re.findall(r"[A-Za-z]+", title) if w.upper() not in ALLOWED]
        assert latin == [], (url, header)


def test_the_export_reads_batches_not_rows(app, admin_client, school, monkeypatch):  # noqa: F811
    # Small batches, so a few dozen students span several of them.
    monkeypatch.setattr(list_export, "BATCH", 5)
    download(admin_client, "/classgroup/export/csv/")

    def queries() -> int:
        with QueryCounter() as counter:
            response = download(admin_client, "/student/export/csv/")
            rows = len(csv_table(response)) - 1
        return counter.count, rows

    few, few_rows = queries()
    for number in range(40):
        Student.create(last_name=f"Новиков{number:02d}", first_name="Олег")
    many, many_rows = queries()
    assert many_rows == few_rows + 40
    batches = lambda rows: -(-rows // 5)  # noqa: E731
    assert many - few == batches(many_rows) - batches(few_rows)
    assert ClassGroup.select().count() == 2


def test_each_batch_gets_what_the_page_adds_to_its_rows(admin_client, school, monkeypatch):  # noqa: F811
    # Staff roles come from one query per page (decorate_rows): the export asks it per batch.
    from app.models import Staff
    from app.services import roles

    monkeypatch.setattr(list_export, "BATCH", 2)
    table = csv_table(download(admin_client, "/staff/export/csv/"))
    assert table[0][:3] == ["ФИО", "Логин", "Роли"]
    held = roles.roles_by_staff([s.id for s in Staff.select()])
    by_login = {s.login: ", ".join(r.name for r in held[s.id]) for s in Staff.select()}
    assert len(table) - 1 == len(by_login) > 4
    for row in table[1:]:
        assert row[2] == by_login[row[1]], row


def test_the_page_extras_cost_a_query_per_batch_not_per_row(admin_client, school, make_staff, monkeypatch):  # noqa: F811
    monkeypatch.setattr(list_export, "BATCH", 2)

    def queries() -> int:
        with QueryCounter() as counter:
            download(admin_client, "/staff/export/csv/")
        return counter.count

    download(admin_client, "/staff/export/csv/")
    before = queries()
    for number in range(4):
        make_staff(f"novyi{number}", roles=["teacher"])
    # Two more batches: each is its rows' query and their roles' query.
    assert queries() - before == 2 * 2
