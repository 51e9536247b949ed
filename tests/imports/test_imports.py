"""Imports from spreadsheets through the panel: each kind's happy path, idempotence, updates, bad input, access."""

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from peewee import fn

from app.models import (
    AuditEntry,
    ClassGroup,
    Enrollment,
    GroupMembership,
    Guardian,
    ImportJob,
    Journal,
    Room,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from app.services import roles
from app.services.imports.registry import KINDS

YEAR = dict(name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True)

STAFF_CSV = """Логин;Фамилия;Имя;Отчество;Эл. почта;Роли
ivanova;Иванова;Анна;Петровна;ivanova@school.ru;Учитель
petrov;Петров;Олег;;;Учитель, Заместитель директора по УВР
"""
SUBJECTS_CSV = "Предмет;Краткое название\nМатематика;матем.\nАнглийский язык;англ.\n"
CLASSES_CSV = "Класс;Классный руководитель\n5А;ivanova\n5Б;Петров Олег\n"
STUDENTS_CSV = (
    "Фамилия;Имя;Отчество;Дата рождения;Класс;Дата зачисления;Дата выбытия;"
    "Родитель 1: ФИО;Родитель 1: кем приходится;Родитель 1: телефон;Родитель 1: эл. почта\n"
    "Сидоров;Павел;Игоревич;15.03.2015;5А;01.09.2026;;Сидорова Анна Петровна;мать;+7 (812) 123-45-67;\n"
    "Сидорова;Мария;Игоревна;2015-03-15;5А;01.09.26;;Сидорова Анна Петровна;мать;+7 (812) 123-45-67;\n"
    "Кузнецов;Иван;;01.02.2015;5Б;01.09.2026;;Кузнецов Пётр;отец;;kuz@example.ru\n"
)
GROUPS_CSV = (
    "Группа;Вид группы;Класс;Деление;Параллель;Фамилия ученика;Имя ученика;Отчество ученика;"
    "Дата рождения ученика;В группе с;В группе по\n"
    "5А, англ., гр. 1;группа класса;5А;англ.;5;Сидоров;Павел;Игоревич;15.03.2015;01.09.2026;\n"
    "5А, англ., гр. 2;группа класса;5А;англ.;5;Сидорова;Мария;Игоревна;15.03.2015;01.09.2026;\n"
)
LOAD_CSV = (
    "Класс;Группа;Предмет;Вид деятельности;Учитель\n"
    "5А;;Математика;урочная деятельность;ivanova\n"
    "5Б;;Математика;;petrov\n"
    ";5А, англ., гр. 1;Английский язык;;petrov\n"
)
TIMETABLE_CSV = (
    "Класс;Группа;Предмет;День недели;Урок №;Учитель;Кабинет;Действует с;Действует по\n"
    "5А;;Математика;понедельник;1;ivanova;204;;\n"
    "5Б;;Математика;понедельник;2;petrov;204;;\n"
    ";5А, англ., гр. 1;Английский язык;вторник;1;petrov;Лингафонный;;\n"
)
FILES = {
    "staff": STAFF_CSV,
    "subjects": SUBJECTS_CSV,
    "classes": CLASSES_CSV,
    "students": STUDENTS_CSV,
    "groups": GROUPS_CSV,
    "load": LOAD_CSV,
    "timetable": TIMETABLE_CSV,
}


@pytest.fixture
def admin(app, login_as):
    SchoolYear.create(**YEAR)
    return login_as("admin", login_name="boss", last_name="Соколова")


def upload(client, kind, text, *, name=None, encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    response = client.post(
        "/imports/upload",
        data={"kind": kind, "file": (io.BytesIO(data), name or f"{kind}.csv")},
        content_type="multipart/form-data",
    )
    return response


def latest():
    return ImportJob.select().order_by(ImportJob.id.desc()).first()


def check_and_apply(client, kind, text, **kw):
    response = upload(client, kind, text, **kw)
    assert response.status_code == 303, response.get_data(as_text=True)
    job = latest()
    assert job.status == "checked", job.preview
    assert job.preview_data["error_count"] == 0, job.preview_data["errors"]
    page = client.get(f"/imports/{job.id}/").get_data(as_text=True)
    assert "Применить" in page
    response = client.post(f"/imports/{job.id}/apply")
    assert response.status_code == 303
    job = ImportJob.get_by_id(job.id)
    assert job.status == "done", job.preview
    return job.preview_data


def load_all(client, upto=None):
    results = {}
    for kind, text in FILES.items():
        results[kind] = check_and_apply(client, kind, text)
        if kind == upto:
            break
    return results


def test_every_kind_loads_in_order_through_the_services(client, admin):
    results = load_all(client)
    assert results["staff"]["counts"] == {"Сотрудник": {"new": 2, "updated": 0, "unchanged": 0}}
    petrov = Staff.get(Staff.login == "petrov")
    assert roles.staff_role_codes(petrov) == {"teacher", "deputy"}
    assert Subject.get(Subject.name == "Математика").short_name == "матем."
    five_b = ClassGroup.get(ClassGroup.letter == "Б")
    assert five_b.class_teacher_id == petrov.id
    assert StudyGroup.select().where(StudyGroup.kind == "class").count() == 2
    # Siblings share one guardian; the dates were read from three formats.
    assert Student.select().count() == 3 and Guardian.select().count() == 2
    assert StudentGuardian.select().count() == 3
    assert {e.start_date for e in Enrollment.select()} == {dt.date(2026, 9, 1)}
    assert Student.get(Student.first_name == "Мария").birth_date == dt.date(2015, 3, 15)
    assert GroupMembership.select().count() == 2
    assert Journal.select().count() == 3 and TeachingAssignment.select().count() == 3
    assert TimetableSlot.select().count() == 3
    assert {r.name for r in Room.select()} == {"204", "Лингафонный"}
    assert results["timetable"]["counts"]["Кабинет"] == {"new": 2, "updated": 0, "unchanged": 0}
    # Written through the services: audited, with the import as the source.
    assert (
        AuditEntry.select().where((AuditEntry.source == "import") & (AuditEntry.model == "TimetableSlot")).count() == 3
    )


def test_importing_the_same_files_again_changes_nothing(client, admin):
    load_all(client)
    # The last entry's id: on PostgreSQL the checks' rolled-back entries used up ids of the sequence.
    before = AuditEntry.select(fn.MAX(AuditEntry.id)).scalar()
    for kind, text in FILES.items():
        result = check_and_apply(client, kind, text)
        for record, per in result["counts"].items():
            assert per["new"] == per["updated"] == 0, (kind, record, per)
    # Only the import jobs' own entries are new: no record of the school was written.
    assert AuditEntry.select().where((AuditEntry.model != "ImportJob") & (AuditEntry.id > before)).count() == 0


def test_a_changed_file_updates_only_what_changed(client, admin):
    load_all(client)
    changed = STAFF_CSV.replace("ivanova@school.ru", "anna@school.ru")
    upload(client, "staff", changed)
    job = latest()
    preview = job.preview_data
    assert preview["counts"]["Сотрудник"] == {"new": 0, "updated": 1, "unchanged": 1}
    assert preview["changes"] == [
        {
            "record": "Сотрудник",
            "key": "ivanova",
            "status": "updated",
            "fields": [["эл. почта", "ivanova@school.ru", "anna@school.ru"]],
        }
    ]
    page = client.get(f"/imports/{job.id}/").get_data(as_text=True)
    assert "ivanova@school.ru → anna@school.ru" in page
    assert Staff.get(Staff.login == "ivanova").email == "ivanova@school.ru"  # the check wrote nothing
    client.post(f"/imports/{job.id}/apply")
    assert Staff.get(Staff.login == "ivanova").email == "anna@school.ru"
    moved = TIMETABLE_CSV.replace(
        "5А;;Математика;понедельник;1;ivanova;204", "5А;;Математика;понедельник;1;ivanova;301"
    )
    result = check_and_apply(client, "timetable", moved)
    assert result["counts"]["Урок расписания"] == {"new": 0, "updated": 1, "unchanged": 2}
    assert result["changes"][-1]["fields"] == [["кабинет", "204", "301"]]


def errors_of(client, kind, text, **kw):
    response = upload(client, kind, text, **kw)
    assert response.status_code == 303
    job = latest()
    assert job.status == "checked"
    page = client.get(f"/imports/{job.id}/").get_data(as_text=True)
    assert "Применить" not in page
    assert client.post(f"/imports/{job.id}/apply").status_code == 400
    return [(e["line"], e["column"], e["message"]) for e in job.preview_data["errors"]], page


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(client, admin):
    load_all(client, upto="classes")
    counts = (Student.select().count(), Guardian.select().count(), Enrollment.select().count())
    bad = STUDENTS_CSV + (
        "Орлов;Ян;;31.02.2015;5А;01.09.2026;;;;;\n"
        "Орлова;Яна;;01.01.2015;5Я;01.09.2026;;;;;\n"
        ";Пустой;;01.01.2015;5А;01.09.2026;;;;;\n"
        "Кузнецов;Иван;;01.02.2015;5Б;01.09.2026;;;;;\n"
        "Лисин;Лев;;01.01.2015;5А;01.09.2026;;Лисина Ольга;тётя;;\n"
    )
    errors, page = errors_of(client, "students", bad)
    assert (5, "Дата рождения", "такой даты нет: «31.02.2015»") in errors
    assert (7, "Фамилия", "пустая ячейка: поле обязательно") in errors
    assert (8, None, "повторяет строку 4 («Кузнецов Иван, 01.02.2015 · 5Б»)") in errors
    assert "Строка" in page and "31.02.2015" in page
    # References are checked on the rows whose cells are right, in the same run: none of them was written.
    assert (Student.select().count(), Guardian.select().count(), Enrollment.select().count()) == counts
    errors, _page = errors_of(client, "students", STUDENTS_CSV + "Орлова;Яна;;01.01.2015;5Я;01.09.2026;;;;;\n")
    assert errors == [(5, "Класс", "класса 5Я в 2026/2027 учебном году нет")]
    errors, _page = errors_of(
        client, "students", STUDENTS_CSV + "Лисин;Лев;;01.01.2015;5А;01.09.2026;;Лисина Ольга;тётя;;\n"
    )
    assert errors[0][:2] == (5, "Родитель 1: кем приходится")
    assert Student.select().count() == counts[0]


def test_unknown_references_name_their_column(client, admin):
    load_all(client, upto="subjects")
    errors, _ = errors_of(client, "staff", STAFF_CSV + "kim;Ким;Юна;;;Садовник\n")
    assert errors == [(4, "Роли", "роли «Садовник» нет")]
    errors, _ = errors_of(client, "classes", "Класс;Классный руководитель\n5А;nobody\n")
    assert errors == [(2, "Классный руководитель", "сотрудника «nobody» нет (укажите логин или ФИО)")]
    load_all(client, upto="classes")
    errors, _ = errors_of(client, "load", "Класс;Предмет;Учитель\n5А;Астрология;ivanova\n")
    assert errors == [(2, "Предмет", "предмета «Астрология» нет (сначала загрузите предметы)")]


def test_a_timetable_clash_is_refused_by_the_panels_rules(client, admin):
    load_all(client, upto="load")
    clash = TIMETABLE_CSV + "5Б;;Математика;понедельник;1;ivanova;;;\n"
    errors, _ = errors_of(client, "timetable", clash)
    assert len(errors) == 1 and errors[0][0] == 5 and "ivanova" not in errors[0][2]
    assert errors[0][1] == "Учитель" and "не ведёт журнал" in errors[0][2]
    assert TimetableSlot.select().count() == 0


def test_missing_and_extra_columns_and_the_mapping_is_remembered(client, admin):
    errors, page = errors_of(client, "staff", "Логин;Имя;Должность\nivanova;Анна;учитель\n")
    assert (1, "Должность", "лишний столбец: выберите, какое это поле, или «не загружать»") in errors
    assert (1, "Фамилия", "нет обязательного столбца") in errors
    assert 'name="column-2"' in page
    # A file with its own headings: the person maps them, the check runs again, the choice is remembered.
    text = "Учётка;Фам.;Имя;Должность\nivanova;Иванова;Анна;учитель\n"
    upload(client, "staff", text)
    job = latest()
    assert job.mapping_list == [None, None, "first_name", None]
    client.post(
        f"/imports/{job.id}/mapping",
        data={"column-0": "login", "column-1": "last_name", "column-2": "first_name", "column-3": ""},
    )
    job = ImportJob.get_by_id(job.id)
    assert job.preview_data["error_count"] == 0 and job.status == "checked"
    upload(client, "staff", text.replace("ivanova", "petrova"))
    assert latest().mapping_list == ["login", "last_name", "first_name", ""]
    assert latest().preview_data["error_count"] == 0


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("staff.pdf", b"%PDF-1.4", "Загрузите таблицу XLSX или CSV"),
        ("staff.xlsx", b"PK\x03\x04broken", "Не удалось прочитать файл XLSX"),
        ("staff.csv", b"\x81\x98;\xff", "кодировка не UTF-8 и не Windows-1251"),
        ("staff.csv", "Логин;Фамилия\x00".encode(), "Файл не похож на таблицу CSV"),
        ("staff.csv", b"", "Файл пустой"),
        ("staff.csv", "Логин;Фамилия;Имя\n".encode(), "В файле только строка заголовков"),
    ],
)
def test_what_is_not_a_spreadsheet_gets_a_russian_message(client, admin, name, data, message):
    response = upload(client, "staff", data, name=name)
    html = response.get_data(as_text=True)
    if response.status_code == 303:
        job = latest()
        html = client.get(f"/imports/{job.id}/").get_data(as_text=True)
        assert job.preview_data["error_count"] == 1
    else:
        assert response.status_code == 400
    assert message in html
    assert Staff.select().count() == 1


def test_a_cp1251_file_and_a_comma_separated_one_are_read(client, admin):
    result = check_and_apply(client, "subjects", SUBJECTS_CSV.replace(";", ","), encoding="cp1251")
    assert result["counts"]["Предмет"]["new"] == 2


def test_a_file_above_the_schools_limit_is_refused(app, admin):
    # Through the service: the test client spools a body above 500 KB to a file it never closes.
    from app.models import SchoolSettings
    from app.services.errors import DomainError
    from app.services.imports import engine
    from app.settings import app_settings

    SchoolSettings.update(upload_max_mb=1).execute()
    big = (STAFF_CSV + ("x" * 100 + "\n") * 11000).encode()
    with pytest.raises(DomainError, match="Файл больше 1 МБ"):
        engine.create_job(admin, "staff", "staff.csv", big, settings=app_settings(app))
    assert ImportJob.select().count() == 0


def test_templates_and_exports_are_spreadsheets_the_import_reads_back(client, admin):
    load_all(client)
    for kind in KINDS.values():
        response = client.get(f"/imports/template/{kind.code}")
        assert response.status_code == 200 and response.mimetype.endswith("sheet")
        book = load_workbook(io.BytesIO(response.data))
        rows = list(book.active.iter_rows(values_only=True))
        book.close()
        assert list(rows[0]) == kind.headings and len(rows) == 2
        exported = client.get(f"/imports/export/{kind.code}")
        assert exported.status_code == 200
        result = check_and_apply(client, kind.code, exported.data, name=f"{kind.code}.xlsx")
        assert all(per["new"] == per["updated"] == 0 for per in result["counts"].values()), (kind.code, result)
    assert client.get("/imports/template/nothing").status_code == 404


def test_only_the_administrator_imports(app, client, make_staff, as_user):
    SchoolYear.create(**YEAR)
    head = as_user(make_staff("head1", roles=["head"]))
    teacher = as_user(make_staff("teacher1", roles=["teacher"]))
    for person in (head, teacher):
        assert person.get("/imports/").status_code == 403
        assert person.get("/imports/template/staff").status_code == 403
        assert person.get("/imports/export/students").status_code == 403
        assert upload(person, "staff", STAFF_CSV).status_code == 403
    assert client.get("/imports/").status_code == 302
    assert ImportJob.select().count() == 0 and Staff.select().count() == 2
    boss = as_user(make_staff("boss", roles=["admin"]))
    page = boss.get("/imports/").get_data(as_text=True)
    assert "Импорт из таблиц" in page and re.search(r"Выгрузить текущие данные в формате шаблона", page)
    upload(boss, "staff", STAFF_CSV)
    job = latest()
    assert head.get(f"/imports/{job.id}/").status_code == 403
    assert head.post(f"/imports/{job.id}/apply").status_code == 403
    assert boss.get("/imports/999999/").status_code == 404


def test_the_pages_queries_do_not_grow_with_the_file(client, admin):
    from tests.journal.conftest import QueryCounter

    def queries(path):
        client.get(path)  # warm: the session's permissions
        with QueryCounter() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    upload(client, "subjects", SUBJECTS_CSV)
    small = latest().id
    many = "Предмет;Краткое название\n" + "".join(f"Предмет {n};п{n}\n" for n in range(300))
    upload(client, "subjects", many)
    large = latest().id
    assert latest().preview_data["counts"]["Предмет"]["new"] == 300
    assert queries(f"/imports/{small}/") == queries(f"/imports/{large}/")
    first = queries("/imports/")
    for _ in range(5):
        upload(client, "staff", STAFF_CSV)
    assert queries("/imports/") == first


def test_an_applied_upload_is_not_applied_twice(client, admin):
    job = check_and_apply(client, "subjects", SUBJECTS_CSV) and latest()
    response = client.post(f"/imports/{job.id}/apply")
    assert response.status_code == 400 and "уже применена" in response.get_data(as_text=True)
    assert Subject.select().count() == 2
