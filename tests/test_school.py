"""The school's structure through the admin panel: settings, years, terms, holidays, classes, subjects, load, timetable.

Every refusal is checked twice: the Russian message on the page, and a database left exactly as it was.
"""

import datetime as dt
import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from app.clock import SchoolClock
from app.db import db
from app.models import (
    AuditEntry,
    ChangeCounter,
    ClassGroup,
    Enrollment,
    Holiday,
    HomeworkExpectation,
    Journal,
    SchoolSettings,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
    Tombstone,
)
from app.services import groups
from app.services import school as school_service
from app.services.errors import DomainError
from tests.conftest import login

# --- helpers shared with tests/test_students.py -----------------------------------------------------


def year_start() -> int:
    """Return the calendar year in which the school year containing today began."""
    today = SchoolClock().today()
    return today.year if today.month >= 9 else today.year - 1


def day(month: int, dom: int) -> dt.date:
    """Return a date of the school year containing today (September–December, then January–August)."""
    first = year_start()
    return dt.date(first if month >= 9 else first + 1, month, dom)


def ru(date: dt.date) -> str:
    """Format a date as the forms take it."""
    return date.strftime("%d.%m.%Y")


def db_state(*models):
    """Every row of the given models, the audit trail, tombstones and the change counter."""
    rows = {m.__name__: [r.snapshot() for r in m.select().order_by(m._meta.primary_key)] for m in models}
    return rows, AuditEntry.select().count(), Tombstone.select().count(), ChangeCounter.current()


def page_messages(html: str) -> list[str]:
    """Return the error alerts and field errors of a page as plain text."""
    # conftest.form_errors stops at the alert's close button; read each block whole instead.
    blocks = re.findall(r'<div class="(?:alert alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</div>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", block.replace("&times;", "")).split()) for block in blocks]


def refused(response, message: str) -> None:
    """Assert the form came back (not saved) showing the message."""
    assert response.status_code == 200, response.status_code
    errors = page_messages(response.get_data(as_text=True))
    assert any(message in e for e in errors), errors


@contextmanager
def counted_queries():
    """Count the SQL statements the database runs inside the block."""
    real = db.obj.execute_sql
    seen = []

    def counting(sql, params=None):
        seen.append(sql)
        return real(sql, params)

    db.obj.execute_sql = counting
    try:
        yield seen
    finally:
        del db.obj.execute_sql


def list_queries(client, url: str) -> int:
    """Return how many queries one list page costs (after a warm-up request)."""
    assert client.get(url).status_code == 200
    with counted_queries() as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen)


def build_school(make_staff) -> SimpleNamespace:
    """Create a current school year with two fifth classes, two teachers and two subjects."""
    year = SchoolYear.create(
        name=f"{year_start()}/{year_start() + 1}", start_date=day(9, 1), end_date=day(5, 31), is_current=True
    )
    smirnova = make_staff("smirnova", roles=["teacher"], last_name="Смирнова", first_name="Ольга")
    kozlov = make_staff("kozlov", roles=["teacher"], last_name="Козлов", first_name="Игорь")
    math = Subject.create(name="Математика")
    russian = Subject.create(name="Русский язык")
    a5 = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=smirnova)
    b5 = ClassGroup.create(year=year, grade=5, letter="Б", class_teacher=kozlov)
    return SimpleNamespace(year=year, smirnova=smirnova, kozlov=kozlov, math=math, russian=russian, a5=a5, b5=b5)


@pytest.fixture
def school(app, make_staff):
    return build_school(make_staff)


@pytest.fixture
def admin(login_as):
    return login_as("admin", login_name="admin")


# --- school settings --------------------------------------------------------------------------------


def test_settings_are_one_row_that_is_edited_not_added(client, admin):
    SchoolSettings.load()
    listing = client.get("/schoolsettings/").get_data(as_text=True)
    assert "Название школы" in listing and "Код школы" in listing
    assert "/schoolsettings/new/" not in listing
    before = db_state(SchoolSettings)
    client.post("/schoolsettings/new/", data={"name": "Вторая", "mark_edit_days": 7, "upload_max_mb": 10})
    client.post("/schoolsettings/delete/", data={"id": SchoolSettings.get().id})
    assert db_state(SchoolSettings) == before

    row = SchoolSettings.get()
    data = {"name": "ГБОУ СОШ № 239", "school_code": "0239", "mark_edit_days": 10, "upload_max_mb": 20}
    assert client.post(f"/schoolsettings/edit/?id={row.id}", data=data).status_code == 302
    row = SchoolSettings.get()
    assert (row.name, row.school_code, row.mark_edit_days, row.upload_max_mb) == ("ГБОУ СОШ № 239", "0239", 10, 20)
    assert AuditEntry.select().where((AuditEntry.model == "SchoolSettings") & (AuditEntry.action == "update")).exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"upload_max_mb": 100}, "Размер файла — от 1 до 30 МБ."),
        ({"mark_edit_days": -1}, "Срок правки отметок — от 0 до 365 дней."),
        ({"school_code": "02 39"}, "Код школы: до 32 букв или цифр, без пробелов."),
        ({"name": "   "}, "Укажите название школы."),
        ({"absence_reason_days": 0}, "Срок — от 1 до 60 дней."),
        ({"min_marks": 25}, "Число отметок — от 0 до 20."),
    ],
)
def test_bad_settings_are_refused(client, admin, change, message):
    row = SchoolSettings.load()
    before = db_state(SchoolSettings)
    data = {"name": "Школа", "school_code": "0239", "mark_edit_days": 7, "upload_max_mb": 10, **change}
    refused(client.post(f"/schoolsettings/edit/?id={row.id}", data=data), message)
    assert db_state(SchoolSettings) == before


def test_a_missing_settings_row_is_created_from_the_panel(client, admin):
    SchoolSettings.delete().execute()  # `flask db upgrade` makes it; an install may have lost it
    assert "/schoolsettings/new/" in client.get("/schoolsettings/").get_data(as_text=True)
    data = {"name": "Лицей № 1", "school_code": "L1", "mark_edit_days": 5, "upload_max_mb": 8}
    assert client.post("/schoolsettings/new/", data=data).status_code == 302
    assert [s.name for s in SchoolSettings.select()] == ["Лицей № 1"]
    assert school_service.SchoolSettings.select().count() == 1


# --- school years ---------------------------------------------------------------------------------


def test_year_is_created_with_russian_dates_and_audited(client, admin):
    data = {"name": "2040/2041", "start_date": "01.09.2040", "end_date": "31.05.2041"}
    assert client.post("/schoolyear/new/", data=data).status_code == 302
    year = SchoolYear.get(SchoolYear.name == "2040/2041")
    assert (year.start_date, year.end_date, year.is_current) == (dt.date(2040, 9, 1), dt.date(2041, 5, 31), False)
    entry = AuditEntry.get((AuditEntry.model == "SchoolYear") & (AuditEntry.object_id == str(year.id)))
    assert entry.action == "create"
    listing = client.get("/schoolyear/").get_data(as_text=True)
    assert "01.09.2040" in listing and "31.05.2041" in listing


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"name": "2040/2041", "start_date": "31.05.2041", "end_date": "01.09.2040"},
            "Конец учебного года должен быть позже его начала.",
        ),
        (
            {"name": "2040-2041", "start_date": "01.09.2040", "end_date": "31.05.2041"},
            "Название учебного года — два года подряд через косую черту",
        ),
        (
            {"name": "2040/2042", "start_date": "01.09.2040", "end_date": "31.05.2041"},
            "Название учебного года — два года подряд через косую черту",
        ),
        (
            {"name": "2040/2041", "start_date": "01.09.2041", "end_date": "31.05.2042"},
            "Учебный год 2040/2041 должен начинаться в 2040 году.",
        ),
        (
            {"name": "2040/2041", "start_date": "01.09.2040", "end_date": "31.12.2041"},
            "Учебный год не может длиться больше года.",
        ),
        ({"name": "2040/2041", "start_date": "", "end_date": "31.05.2041"}, "Обязательное поле."),
    ],
)
def test_bad_years_are_refused(client, admin, data, message):
    before = db_state(SchoolYear)
    refused(client.post("/schoolyear/new/", data=data), message)
    assert db_state(SchoolYear) == before


def test_overlapping_years_are_refused(client, admin, school):
    before = db_state(SchoolYear)
    start = day(5, 1)
    data = {
        "name": f"{year_start() + 1}/{year_start() + 2}",
        "start_date": ru(start),
        "end_date": ru(start + dt.timedelta(days=300)),
    }
    refused(client.post("/schoolyear/new/", data=data), f"Даты пересекаются с учебным годом {school.year}")
    assert db_state(SchoolYear) == before


def test_marking_a_year_current_takes_the_mark_off_the_other(client, admin, school):
    data = {"name": "2040/2041", "start_date": "01.09.2040", "end_date": "31.05.2041", "is_current": "y"}
    response = client.post("/schoolyear/new/", data=data, follow_redirects=True)
    assert "у года " + str(school.year) + " отметка «текущий» снята" in response.get_data(as_text=True)
    assert [y.name for y in SchoolYear.select().where(SchoolYear.is_current == True)] == ["2040/2041"]  # noqa: E712
    released = AuditEntry.get((AuditEntry.model == "SchoolYear") & (AuditEntry.object_id == str(school.year.id)))
    assert released.action == "update"
    assert released.before_data["is_current"] is True and released.after_data["is_current"] is False


def test_year_dates_cannot_leave_its_term_outside(client, admin, school):
    Term.create(year=school.year, kind="quarter", number=1, start_date=day(9, 1), end_date=day(10, 26))
    before = db_state(SchoolYear, Term)
    data = {"name": school.year.name, "start_date": ru(day(9, 10)), "end_date": ru(day(5, 31)), "is_current": "y"}
    refused(client.post(f"/schoolyear/edit/?id={school.year.id}", data=data), "оказался бы вне дат года")
    assert db_state(SchoolYear, Term) == before


# --- terms and holidays -------------------------------------------------------------------------------


def _term(school, **change):
    data = {
        "year": school.year.id,
        "kind": "quarter",
        "number": 1,
        "start_date": ru(day(9, 1)),
        "end_date": ru(day(10, 26)),
    }
    data.update(change)
    return data


def test_term_inside_its_year_is_saved(client, admin, school):
    assert client.post("/term/new/", data=_term(school)).status_code == 302
    second = _term(school, number=2, start_date=ru(day(11, 5)), end_date=ru(day(12, 28)))
    assert client.post("/term/new/", data=second).status_code == 302
    # A trimester may overlap a quarter: only terms of the same kind must not.
    assert client.post("/term/new/", data=_term(school, kind="trimester", end_date=ru(day(11, 30)))).status_code == 302
    assert Term.select().count() == 3
    listing = client.get("/term/").get_data(as_text=True)
    assert "четверть" in listing and "триместр" in listing


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"start_date": ru(day(8, 1) - dt.timedelta(days=365)), "end_date": ru(day(10, 26))},
            "Учебный период должен лежать внутри учебного года",
        ),
        (
            {"number": 2, "start_date": ru(day(10, 1)), "end_date": ru(day(11, 20))},
            "Даты пересекаются с периодом «1 четверть»",
        ),
        ({"start_date": ru(day(11, 5)), "end_date": ru(day(12, 28))}, "уже есть 1 четверть"),
        (
            {"number": 5, "start_date": ru(day(11, 5)), "end_date": ru(day(12, 28))},
            "Номер периода вида «четверть» — от 1 до 4.",
        ),
        (
            {"kind": "half", "number": 3, "start_date": ru(day(11, 5)), "end_date": ru(day(12, 28))},
            "Номер периода вида «полугодие» — от 1 до 2.",
        ),
        (
            {"number": 2, "start_date": ru(day(12, 28)), "end_date": ru(day(11, 5))},
            "Конец учебного периода должен быть позже его начала.",
        ),
    ],
)
def test_bad_terms_are_refused(client, admin, school, change, message):
    Term.create(year=school.year, kind="quarter", number=1, start_date=day(9, 1), end_date=day(10, 26))
    before = db_state(Term)
    refused(client.post("/term/new/", data=_term(school, **change)), message)
    assert db_state(Term) == before


def test_holiday_must_lie_inside_its_year(client, admin, school):
    data = {
        "year": school.year.id,
        "name": "Осенние каникулы",
        "start_date": ru(day(10, 27)),
        "end_date": ru(day(11, 4)),
    }
    assert client.post("/holiday/new/", data=data).status_code == 302
    before = db_state(Holiday)
    outside = dict(data, name="Летние", start_date=ru(day(6, 1)), end_date=ru(day(8, 31)))
    refused(client.post("/holiday/new/", data=outside), "Период каникул должен лежать внутри учебного года")
    backwards = dict(data, start_date=ru(day(11, 4)), end_date=ru(day(10, 27)))
    refused(client.post("/holiday/new/", data=backwards), "Конец каникул не может быть раньше их начала.")
    assert db_state(Holiday) == before


# --- classes ---------------------------------------------------------------------------------------------


def test_class_is_created_with_a_normalised_letter(client, admin, school):
    data = {"year": school.year.id, "grade": 6, "letter": " в ", "class_teacher": school.kozlov.id}
    assert client.post("/classgroup/new/", data=data).status_code == 302
    group = ClassGroup.get(ClassGroup.grade == 6)
    assert (group.letter, group.class_teacher_id) == ("В", school.kozlov.id)
    whole = groups.find_whole_class_group(group)
    assert (whole.kind, whole.name, whole.grade) == ("class", "6В", 6)
    data = dict(data, letter="Г")
    assert client.post(f"/classgroup/edit/?id={group.id}", data=data).status_code == 302
    assert StudyGroup.get_by_id(whole.id).name == "6Г"
    assert client.post("/classgroup/delete/", data={"id": group.id}).status_code == 302
    assert not StudyGroup.select().where(StudyGroup.id == whole.id).exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"grade": 12}, "Параллель — число от 1 до 11."),
        ({"grade": 0}, "Параллель — число от 1 до 11."),
        ({"letter": "A"}, "Буква класса — одна заглавная русская буква, например А."),
        ({"letter": "АБ"}, "Буква класса — одна заглавная русская буква, например А."),
        ({"letter": "Б"}, "Класс 5Б в учебном году"),
        ({"year": ""}, "Обязательное поле."),
    ],
)
def test_bad_classes_are_refused(client, admin, school, change, message):
    before = db_state(ClassGroup)
    data = {"year": school.year.id, "grade": 5, "letter": "В", **change}
    refused(client.post("/classgroup/new/", data=data), message)
    assert db_state(ClassGroup) == before


def test_blocked_staff_cannot_be_class_teacher(client, admin, school):
    Staff.update(active=False).where(Staff.id == school.kozlov.id).execute()
    before = db_state(ClassGroup)
    data = {"year": school.year.id, "grade": 5, "letter": "В", "class_teacher": school.kozlov.id}
    refused(
        client.post("/classgroup/new/", data=data), "Классным руководителем может быть только действующий сотрудник"
    )
    assert db_state(ClassGroup) == before


def test_class_list_shows_teachers_and_filters(client, admin, school):
    listing = client.get("/classgroup/").get_data(as_text=True)
    assert "Смирнова Ольга" in listing and "Козлов Игорь" in listing
    # Filters: 0 year, 1 grade, 2 letter, 3 class teacher's surname.
    only_b = client.get("/classgroup/?flt0_2=Б").get_data(as_text=True)
    assert "Козлов Игорь" in only_b and "Смирнова Ольга" not in only_b
    by_teacher = client.get("/classgroup/?flt0_3=Смирн").get_data(as_text=True)
    assert "Смирнова Ольга" in by_teacher and "Козлов Игорь" not in by_teacher


def test_class_with_enrollments_is_not_deleted(client, admin, school):
    student = Student.create(last_name="Петров", first_name="Пётр")
    Enrollment.create(student=student, class_group=school.a5, start_date=day(9, 1))
    before = db_state(ClassGroup, Enrollment)
    response = client.post("/classgroup/delete/", data={"id": school.a5.id}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Нельзя удалить «5А»" in html and "зачисления учеников — 1" in html
    client.post("/classgroup/action/", data={"action": "delete", "rowid": [school.a5.id, school.b5.id]})
    assert db_state(ClassGroup, Enrollment) == before

    assert client.post("/classgroup/delete/", data={"id": school.b5.id}).status_code == 302
    assert ClassGroup.get_or_none(ClassGroup.id == school.b5.id) is None
    assert Tombstone.get(Tombstone.record_type == "class_group").record_id == school.b5.id


def test_class_with_pupils_cannot_move_to_another_year(client, admin, school):
    other = SchoolYear.create(name="2040/2041", start_date=dt.date(2040, 9, 1), end_date=dt.date(2041, 5, 31))
    student = Student.create(last_name="Петров", first_name="Пётр")
    Enrollment.create(student=student, class_group=school.a5, start_date=day(9, 1))
    before = db_state(ClassGroup)
    data = {"year": other.id, "grade": 5, "letter": "А", "class_teacher": school.smirnova.id}
    refused(
        client.post(f"/classgroup/edit/?id={school.a5.id}", data=data), "Нельзя перенести класс 5А в другой учебный год"
    )
    assert db_state(ClassGroup) == before


def test_teacher_sees_only_own_classes(client, school):
    groups.assign_teacher(None, groups.class_journal(school.a5, school.math), school.smirnova)
    assert login(client, "smirnova").status_code == 302
    listing = client.get("/classgroup/").get_data(as_text=True)
    assert "Смирнова Ольга" in listing and "Козлов Игорь" not in listing
    assert client.get(f"/classgroup/details/?id={school.a5.id}").status_code == 200
    assert client.get(f"/classgroup/details/?id={school.b5.id}").status_code == 403
    assert client.get(f"/classgroup/edit/?id={school.b5.id}", follow_redirects=True).status_code == 403
    before = db_state(ClassGroup)
    data = {"year": school.year.id, "grade": 9, "letter": "Я"}
    assert client.post(f"/classgroup/edit/?id={school.b5.id}", data=data).status_code == 403
    assert client.post(f"/classgroup/edit/?id={school.a5.id}", data=data).status_code == 403
    assert db_state(ClassGroup) == before


# --- subjects ----------------------------------------------------------------------------------------------


def test_subject_names_are_unique_ignoring_case(client, admin, school):
    assert client.post("/subject/new/", data={"name": " Физика ", "short_name": "физ."}).status_code == 302
    assert Subject.get(Subject.name == "Физика").short_name == "физ."
    before = db_state(Subject)
    refused(client.post("/subject/new/", data={"name": "математика"}), "Предмет «Математика» уже есть.")
    assert db_state(Subject) == before


def test_homework_is_expected_by_subject_and_grades(app, client, admin, school, make_staff):
    math = Subject.get(Subject.name == "Математика")
    history = Subject.create(name="История")
    response = client.post("/homeworkexpectation/new/", data={"subject": math.id, "grades": "9,5-8 , 11"})
    assert response.status_code == 302
    assert HomeworkExpectation.get(HomeworkExpectation.subject == math.id).grades == "5–9, 11"
    before = db_state(HomeworkExpectation)
    refused(
        client.post("/homeworkexpectation/new/", data={"subject": math.id, "grades": "10"}),
        "Для этого предмета параллели уже указаны: измените ту запись.",
    )
    for grades in ("12", "5–", "пятые", ""):
        response = client.post("/homeworkexpectation/new/", data={"subject": history.id, "grades": grades})
        assert response.status_code == 200, grades
    assert db_state(HomeworkExpectation) == before
    # The deputy keeps the list too; a teacher only reads it.
    deputy, teacher = app.test_client(), app.test_client()
    login(deputy, make_staff("deputy-hw", roles=["deputy"]).login)
    login(teacher, make_staff("teacher-hw", roles=["teacher"]).login)
    assert teacher.post("/homeworkexpectation/new/", data={"subject": history.id, "grades": "5"}).status_code == 403
    assert deputy.post("/homeworkexpectation/new/", data={"subject": history.id, "grades": "5–11"}).status_code == 302
    assert HomeworkExpectation.select().count() == 2


# --- teaching assignments: a teacher of a journal (tests/test_groups.py has every rule) ------------------


def test_assignment_is_saved_and_listed_by_group_and_subject(client, admin, school):
    journal = groups.class_journal(school.a5, school.math)
    data = {"journal": journal.id, "teacher": school.smirnova.id}
    assert client.post("/teachingassignment/new/", data=data).status_code == 302
    before = db_state(TeachingAssignment)
    refused(
        client.post("/teachingassignment/new/", data=data),
        "Такая нагрузка уже есть: Смирнова О.П. ведёт «5А · Математика».",
    )
    assert db_state(TeachingAssignment) == before
    # Filters: 0 year, 1 group, 2 subject, 3 teacher's surname.
    listing = client.get("/teachingassignment/?flt0_3=Смирн").get_data(as_text=True)
    assert "Математика" in listing and "Смирнова Ольга" in listing and "5А" in listing


def test_scheduled_assignment_is_neither_changed_nor_deleted(client, admin, school):
    journal = groups.class_journal(school.a5, school.math)
    assignment = groups.assign_teacher(None, journal, school.smirnova)
    TimetableSlot.create(
        journal=journal, weekday=1, lesson_number=1, teacher=school.smirnova, valid_from=day(9, 1), valid_to=day(5, 31)
    )
    before = db_state(TeachingAssignment, TimetableSlot)
    data = {"journal": journal.id, "teacher": school.kozlov.id}
    refused(client.post(f"/teachingassignment/edit/?id={assignment.id}", data=data), "по ней составлено расписание")
    response = client.post("/teachingassignment/delete/", data={"id": assignment.id}, follow_redirects=True)
    assert "Нельзя удалить нагрузку" in response.get_data(as_text=True)
    assert db_state(TeachingAssignment, TimetableSlot) == before


# --- timetable ---------------------------------------------------------------------------------------


@pytest.fixture
def loaded(school):
    """The school with teaching load: Smirnova teaches maths in 5А and 5Б, Kozlov Russian in 5Б."""
    school.journals = {}
    for teacher, group, subject in (
        (school.smirnova, school.a5, school.math),
        (school.smirnova, school.b5, school.math),
        (school.kozlov, school.b5, school.russian),
    ):
        journal = groups.class_journal(group, subject)
        groups.assign_teacher(None, journal, teacher)
        school.journals[(str(group), subject.name)] = journal
    return school


def _slot(school, **change):
    data = {
        "journal": school.journals[("5А", "Математика")].id,
        "weekday": 1,
        "lesson_number": 2,
        "teacher": school.smirnova.id,
        "valid_from": ru(day(9, 1)),
        "valid_to": ru(day(5, 31)),
    }
    data.update(change)
    return data


def test_slot_is_saved_and_listed(client, admin, loaded):
    assert client.post("/timetableslot/new/", data=_slot(loaded)).status_code == 302
    slot = TimetableSlot.get()
    assert (slot.weekday, slot.lesson_number, slot.valid_from) == (1, 2, day(9, 1))
    listing = client.get("/timetableslot/").get_data(as_text=True)
    assert "понедельник" in listing and "Математика" in listing and ru(day(9, 1)) in listing and "5А" in listing
    # The same class and time in a later, separate span is fine.
    first_half = _slot(loaded, weekday=2, valid_to=ru(day(12, 31)))
    second_half = _slot(loaded, weekday=2, valid_from=ru(day(1, 9)))
    assert client.post("/timetableslot/new/", data=first_half).status_code == 302
    assert client.post("/timetableslot/new/", data=second_half).status_code == 302
    assert TimetableSlot.select().count() == 3


def test_slot_needs_a_teaching_assignment(client, admin, loaded):
    before = db_state(TimetableSlot)
    response = client.post("/timetableslot/new/", data=_slot(loaded, teacher=loaded.kozlov.id))
    refused(response, "Учитель Козлов И.П. не ведёт журнал «5А · Математика».")
    refused(response, "Сначала добавьте его в разделе «Учебная нагрузка».")
    assert db_state(TimetableSlot) == before


def test_class_cannot_have_two_lessons_at_once(client, admin, loaded):
    TimetableSlot.create(
        journal=loaded.journals[("5Б", "Русский язык")],
        weekday=1,
        lesson_number=2,
        teacher=loaded.kozlov,
        valid_from=day(9, 1),
        valid_to=day(12, 31),
    )
    before = db_state(TimetableSlot)
    clashing = _slot(loaded, journal=loaded.journals[("5Б", "Математика")].id, valid_from=ru(day(12, 1)))
    response = client.post("/timetableslot/new/", data=clashing)
    refused(response, "У группы «5Б» в это время уже есть урок: 5Б, понедельник, 2 урок — Русский язык (Козлов И.П.")
    assert db_state(TimetableSlot) == before


def test_teacher_cannot_be_in_two_classes_at_once(client, admin, loaded):
    TimetableSlot.create(
        journal=loaded.journals[("5Б", "Математика")],
        weekday=1,
        lesson_number=2,
        teacher=loaded.smirnova,
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    before = db_state(TimetableSlot)
    response = client.post("/timetableslot/new/", data=_slot(loaded))
    refused(response, "Учитель Смирнова О.П. в это время уже ведёт урок: 5Б, понедельник, 2 урок — Математика")
    assert db_state(TimetableSlot) == before


@pytest.mark.parametrize(
    "change, message",
    [
        ({"valid_to": ru(day(8, 31) + dt.timedelta(days=1))}, "Даты действия урока должны лежать внутри учебного года"),
        (
            {"valid_from": ru(day(12, 1)), "valid_to": ru(day(11, 1))},
            "Дата окончания действия не может быть раньше даты начала.",
        ),
        ({"lesson_number": 11}, "Номер урока — от 1 до 10."),
        ({"lesson_number": 0}, "Номер урока — от 1 до 10."),
        ({"weekday": 7}, "Неверный вариант."),
        ({"journal": ""}, "Обязательное поле."),
        ({"journal": "999999"}, "Выберите журнал из списка."),
    ],
)
def test_bad_slots_are_refused(client, admin, loaded, change, message):
    before = db_state(TimetableSlot)
    refused(client.post("/timetableslot/new/", data=_slot(loaded, **change)), message)
    assert db_state(TimetableSlot) == before


def test_blocked_teacher_gets_no_new_slots(client, admin, loaded):
    Staff.update(active=False).where(Staff.id == loaded.smirnova.id).execute()
    before = db_state(TimetableSlot)
    refused(client.post("/timetableslot/new/", data=_slot(loaded)), "заблокирован(а): выберите действующего учителя")
    assert db_state(TimetableSlot) == before


def test_teacher_sees_only_own_classes_timetable(client, loaded):
    TimetableSlot.create(
        journal=loaded.journals[("5А", "Математика")],
        weekday=3,
        lesson_number=1,
        teacher=loaded.smirnova,
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    other = TimetableSlot.create(
        journal=loaded.journals[("5Б", "Русский язык")],
        weekday=4,
        lesson_number=1,
        teacher=loaded.kozlov,
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    b5_journals = Journal.select(Journal.id).where(Journal.group == groups.find_whole_class_group(loaded.b5).id)
    TeachingAssignment.delete().where(TeachingAssignment.journal.in_(b5_journals)).execute()
    assert login(client, "smirnova").status_code == 302
    listing = client.get("/timetableslot/").get_data(as_text=True)
    assert "среда" in listing and "четверг" not in listing
    assert client.get(f"/timetableslot/details/?id={other.id}").status_code == 403


# --- the same rules for code that does not go through the forms ------------------------------------


def test_rules_hold_without_the_forms(school):
    slot = TimetableSlot(
        journal=groups.class_journal(school.a5, school.math),
        weekday=7,
        lesson_number=1,
        teacher=school.smirnova,
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    with pytest.raises(DomainError, match="День недели — от понедельника до субботы.") as refusal:
        groups.validate_slot(slot)
    assert refusal.value.field == "weekday"
    group = ClassGroup(year=school.year, grade=7, letter=" ж ")
    school_service.validate_class_group(group)
    assert group.letter == "Ж"
    with pytest.raises(DomainError, match="Параллель — число от 1 до 11."):
        school_service.validate_class_group(ClassGroup(year=school.year, grade=12, letter="А"))
    assert school_service.year_containing(day(12, 1)) == school.year
    assert school_service.year_containing(dt.date(1990, 1, 1)) is None


# --- lists cost the same number of queries whatever their length --------------------------------------


def grow_school(size: int) -> None:
    """Add `size` past years, each with a term, a holiday, and a class with its teacher, subject, load and slot."""
    for _ in range(size):
        first = 1900 + SchoolYear.select().count()
        start, end = dt.date(first, 9, 1), dt.date(first + 1, 5, 31)
        year = SchoolYear.create(name=f"{first}/{first + 1}", start_date=start, end_date=end)
        Term.create(year=year, kind="quarter", number=1, start_date=start, end_date=dt.date(first, 10, 26))
        Holiday.create(
            year=year, name="Осенние каникулы", start_date=dt.date(first, 10, 27), end_date=dt.date(first, 11, 4)
        )
        teacher = Staff.create(login=f"grow{first}", last_name=f"Учитель{first}", first_name="Иван")
        subject = Subject.create(name=f"Предмет {first}")
        group = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=teacher)
        journal = groups.class_journal(group, subject)
        groups.assign_teacher(None, journal, teacher)
        TimetableSlot.create(
            journal=journal, weekday=1, lesson_number=1, teacher=teacher, valid_from=start, valid_to=end
        )


@pytest.mark.parametrize(
    "endpoint",
    ["schoolsettings", "schoolyear", "term", "holiday", "classgroup", "subject", "teachingassignment", "timetableslot"],
)
def test_list_queries_do_not_grow_with_rows(client, admin, school, endpoint):
    SchoolSettings.load()
    grow_school(2)
    few = list_queries(client, f"/{endpoint}/")
    grow_school(10)
    many = list_queries(client, f"/{endpoint}/")
    assert many == few, (endpoint, few, many)


# --- closing a term: the deputy, with a summary and a confirmation ---------------------------------


@pytest.fixture
def term_world(school):
    """A finished first quarter of 5А with one lesson of each kind of gap."""
    from app.models import Absence, Lesson

    term = Term.create(year=school.year, kind="quarter", number=1, start_date=day(9, 1), end_date=day(10, 26))

    def lesson(on, number=1, journal=None, **values):
        return Lesson.create(
            journal=journal or groups.class_journal(school.a5, school.math),
            term=term,
            date=on,
            number=number,
            planned_teacher=school.smirnova,
            teacher=school.smirnova,
            **values,
        )

    filled = lesson(day(9, 2), held=True, topic="Дроби")
    lesson(day(9, 3), held=True, topic="   ")
    lesson(day(9, 4))
    ana = Student.create(last_name="Белова", first_name="Анна")
    ivan = Student.create(last_name="Орлов", first_name="Иван")
    Absence.create(lesson=filled, student=ana, reason="unknown")
    Absence.create(lesson=filled, student=ivan, reason="illness")
    # A cancelled lesson is neither «not held» nor a gap, and an unexcused absence has its reason.
    lesson(day(9, 1), cancelled=True, cancel_reason="карантин")
    Absence.create(lesson=lesson(day(9, 8), held=True, topic="Десятичные дроби"), student=ivan, reason="unexcused")
    return SimpleNamespace(term=term, lesson=lesson)


def test_term_summary_counts_what_is_unfilled(school, term_world):
    after = school_service.term_summary(term_world.term, day(10, 26) + dt.timedelta(days=1))
    assert (after.lessons, after.not_held, after.no_topic, after.no_reason, after.upcoming) == (5, 1, 1, 1, 0)
    assert after.ended and not after.complete
    assert [(str(g.class_group), g.not_held, g.no_topic, g.no_reason) for g in after.classes] == [("5А", 1, 1, 1)]
    assert "проведённых уроков без темы: 1" in after.lines()
    assert "пропусков «н», причина которых не указана: 1" in after.lines()
    # Before the lesson of 04.09 it is still ahead, not «not held».
    early = school_service.term_summary(term_world.term, day(9, 3))
    assert (early.not_held, early.upcoming) == (0, 2) and not early.ended


def test_term_summary_counts_a_subgroup_for_its_class_and_a_cross_group_under_its_name(school, term_world):
    english = Subject.create(name="Английский язык")
    first = groups.create_split(None, school.b5, "англ.", 2)[0]
    term_world.lesson(day(9, 5), journal=groups.create_journal(None, group=first, subject=english))
    choir = groups.create_group(None, kind="cross", year=school.year, name="Хор 5-х классов", grade=5)
    singing = groups.create_journal(None, group=choir, subject=english, kind="extracurricular")
    term_world.lesson(day(9, 5), journal=singing)
    term_world.lesson(day(9, 6), journal=singing, held=True)
    summary = school_service.term_summary(term_world.term, day(10, 26) + dt.timedelta(days=1))
    assert summary.lessons == 8 and summary.not_held == 3 and summary.no_topic == 2
    assert [(g.name, g.not_held, g.no_topic, g.no_reason) for g in summary.classes] == [
        ("5А", 1, 1, 1),
        ("5Б", 1, 0, 0),
        ("Хор 5-х классов", 1, 1, 0),
    ]


def test_term_summary_costs_the_same_queries_however_many_lessons(school, term_world):
    end = day(10, 26) + dt.timedelta(days=1)
    with counted_queries() as few:
        school_service.term_summary(term_world.term, end)
    for n in range(20):
        term_world.lesson(day(9, 7) + dt.timedelta(days=n), number=2)
    with counted_queries() as many:
        summary = school_service.term_summary(term_world.term, end)
    assert summary.not_held == 21
    assert len(many) == len(few)


def test_deputy_closes_a_term_after_the_summary_and_a_confirmation(client, login_as, school, term_world):
    login_as("deputy", login_name="deputy")
    url = f"/journal/terms/{term_world.term.id}"
    assert f'href="{url}"' in client.get("/journal/terms/").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Проведённых уроков без темы: 1" in page and "Пропусков «н», причина которых не указана: 1" in page

    before = AuditEntry.select().count()
    response = client.post(url, data={"action": "close"})
    assert response.status_code == 400
    assert "подтверждаете закрытие" in response.get_data(as_text=True)
    assert not Term.get_by_id(term_world.term.id).closed and AuditEntry.select().count() == before

    assert client.post(url, data={"action": "close", "confirm": "y"}).status_code == 303
    term = Term.get_by_id(term_world.term.id)
    assert term.closed and term.change_no > term_world.term.change_no
    entry = AuditEntry.select().where(AuditEntry.model == "Term").order_by(AuditEntry.id.desc()).get()
    assert entry.actor_name.startswith("Иванова") and entry.after_data["closed"] is True
    assert "Закрытие периода «1 четверть»" in entry.object_repr and "без темы: 1" in entry.object_repr
    assert "период закрыт" in client.get(url).get_data(as_text=True)


def test_reopening_a_term_needs_a_reason_and_is_audited(client, login_as, school, term_world):
    login_as("deputy", login_name="deputy")
    term_world.term.closed = True
    term_world.term.save()
    url = f"/journal/terms/{term_world.term.id}"
    response = client.post(url, data={"action": "reopen", "reason": "  "})
    assert response.status_code == 400 and Term.get_by_id(term_world.term.id).closed
    assert client.post(url, data={"action": "reopen", "reason": "Исправление отметок по заявлению"}).status_code == 303
    assert not Term.get_by_id(term_world.term.id).closed
    entry = AuditEntry.select().where(AuditEntry.model == "Term").order_by(AuditEntry.id.desc()).get()
    assert "открыт снова: Исправление отметок по заявлению" in entry.object_repr


@pytest.mark.parametrize("role", ["teacher", "head"])
def test_others_cannot_close_a_term(client, login_as, school, term_world, role):
    login_as(role, login_name=role)
    url = f"/journal/terms/{term_world.term.id}"
    before = db_state(Term)
    assert client.get("/journal/terms/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, data={"action": "close", "confirm": "y"}).status_code == 403
    assert db_state(Term) == before


def test_closing_is_not_a_bare_checkbox_of_the_term_form(client, admin, school, term_world):
    page = client.get(f"/term/edit/?id={term_world.term.id}").get_data(as_text=True)
    assert 'name="closed"' not in page
    data = _term(school, closed="y")
    assert client.post(f"/term/edit/?id={term_world.term.id}", data=data).status_code == 302
    assert not Term.get_by_id(term_world.term.id).closed


def test_an_unknown_term_is_not_found(client, login_as, school):
    login_as("deputy", login_name="deputy")
    assert client.get("/journal/terms/999999").status_code == 404
    assert client.post("/journal/terms/999999", data={"action": "close", "confirm": "y"}).status_code == 404
