"""Students, guardians, their links and enrollments through the admin panel, and the services that say who is where."""

import datetime as dt

import pytest

from app.models import (
    AuditEntry,
    Enrollment,
    Guardian,
    Lesson,
    Mark,
    SchoolYear,
    Student,
    StudentGuardian,
    Tombstone,
    WorkType,
)
from app.services import groups
from app.services import students as students_service
from tests.conftest import login
from tests.test_school import build_school, day, db_state, list_queries, refused, ru, year_start


@pytest.fixture
def school(app, make_staff):
    return build_school(make_staff)


@pytest.fixture
def admin(login_as):
    return login_as("admin", login_name="admin")


@pytest.fixture
def pupils(school):
    """Three students in 5А and two in 5Б, each with a guardian; Smirnova teaches 5А only."""
    groups.assign_teacher(None, groups.class_journal(school.a5, school.math), school.smirnova)
    school.students = {}
    for last, first, group in (
        ("Яковлев", "Артём", school.a5),
        ("Андреева", "Вера", school.a5),
        ("Белов", "Глеб", school.a5),
        ("Кузнецова", "Дарья", school.b5),
        ("Орлов", "Егор", school.b5),
    ):
        student = Student.create(last_name=last, first_name=first, birth_date=dt.date(year_start() - 11, 3, 15))
        guardian = Guardian.create(last_name=last, first_name="Родитель", phone="+7 812 000-00-00")
        StudentGuardian.create(student=student, guardian=guardian, relation="mother")
        Enrollment.create(student=student, class_group=group, start_date=day(9, 1))
        school.students[last] = student
    return school


def _student_form(**change):
    data = {"last_name": "Соколова", "first_name": "Анна", "middle_name": "", "birth_date": "15.03.2015", "notes": ""}
    data.update(change)
    return data


# --- students and their guardians on one form --------------------------------------------------------


def test_student_is_created_with_guardians_inline(client, admin):
    mother = Guardian.create(last_name="Соколова", first_name="Елена")
    father = Guardian.create(last_name="Соколов", first_name="Игорь")
    data = _student_form(
        **{
            "guardian_links-0-guardian": mother.id,
            "guardian_links-0-relation": "mother",
            "guardian_links-1-guardian": father.id,
            "guardian_links-1-relation": "father",
        }
    )
    assert client.post("/student/new/", data=data).status_code == 302
    student = Student.get(Student.last_name == "Соколова")
    assert student.birth_date == dt.date(2015, 3, 15)
    links = {(link.guardian_id, link.relation) for link in student.guardian_links}
    assert links == {(mother.id, "mother"), (father.id, "father")}
    audited = {(e.model, e.action) for e in AuditEntry.select()}
    assert {("Student", "create"), ("StudentGuardian", "create")} <= audited
    assert AuditEntry.select().where(AuditEntry.model == "StudentGuardian").count() == 2


def test_same_guardian_twice_undoes_the_whole_form(client, admin):
    mother = Guardian.create(last_name="Соколова", first_name="Елена")
    before = db_state(Student, StudentGuardian)
    data = _student_form(
        **{
            "guardian_links-0-guardian": mother.id,
            "guardian_links-0-relation": "mother",
            "guardian_links-1-guardian": mother.id,
            "guardian_links-1-relation": "guardian",
        }
    )
    refused(client.post("/student/new/", data=data), "Соколова Елена уже указан(а) как родитель ученика Соколова Анна.")
    assert db_state(Student, StudentGuardian) == before


def test_guardian_link_is_removed_from_the_student_form(client, admin, pupils):
    student = pupils.students["Белов"]
    link = student.guardian_links.get()
    untouched = StudentGuardian.create(
        student=student, guardian=Guardian.create(last_name="Белова", first_name="Ия"), relation="guardian"
    )
    data = _student_form(
        last_name="Белов",
        first_name="Глеб",
        **{
            "guardian_links-0-id": link.id,
            "guardian_links-0-guardian": link.guardian_id,
            "guardian_links-0-relation": "mother",
            "del-guardian_links-0": "on",
            "guardian_links-1-id": untouched.id,
            "guardian_links-1-guardian": untouched.guardian_id,
            "guardian_links-1-relation": "guardian",
        },
    )
    assert client.post(f"/student/edit/?id={student.id}", data=data).status_code == 302
    assert [sg.id for sg in StudentGuardian.select().where(StudentGuardian.student == student.id)] == [untouched.id]
    assert Tombstone.get(Tombstone.record_type == "student_guardian").record_id == link.id
    deleted = AuditEntry.get((AuditEntry.model == "StudentGuardian") & (AuditEntry.action == "delete"))
    assert deleted.object_id == str(link.id)
    # The link that did not change was not saved again (no new change number, no audit entry).
    assert StudentGuardian.get_by_id(untouched.id).change_no == untouched.change_no
    updates = AuditEntry.select().where((AuditEntry.model == "StudentGuardian") & (AuditEntry.action == "update"))
    assert not updates.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"birth_date": "01.01.2999"}, "Дата рождения не может быть в будущем."),
        ({"birth_date": "01.01.1900"}, "Проверьте дату рождения: год слишком ранний."),
        ({"birth_date": "31.02.2015"}, "Неверное значение даты."),
        ({"last_name": ""}, "Обязательное поле."),
    ],
)
def test_bad_students_are_refused(client, admin, change, message):
    before = db_state(Student)
    refused(client.post("/student/new/", data=_student_form(**change)), message)
    assert db_state(Student) == before


@pytest.mark.parametrize(
    "change, message",
    [
        ({"phone": "позвонить маме"}, "Телефон: цифры, пробелы, скобки, дефисы и «+» в начале"),
        ({"email": "mama.example.ru"}, "Адрес электронной почты выглядит неверно"),
        ({"first_name": "  "}, "Обязательное поле."),
    ],
)
def test_bad_guardians_are_refused(client, admin, change, message):
    data = {
        "last_name": "Соколова",
        "first_name": "Елена",
        "middle_name": "",
        "phone": "+7 (812) 123-45-67",
        "email": "sokolova@example.ru",
    }
    assert client.post("/guardian/new/", data=data).status_code == 302
    before = db_state(Guardian)
    refused(client.post("/guardian/new/", data={**data, **change}), message)
    assert db_state(Guardian) == before


def test_duplicate_link_gets_a_friendly_message(client, admin, pupils):
    student = pupils.students["Орлов"]
    link = student.guardian_links.get()
    before = db_state(StudentGuardian)
    data = {"student": student.id, "guardian": link.guardian_id, "relation": "father"}
    refused(
        client.post("/studentguardian/new/", data=data), "Орлов Родитель уже указан(а) как родитель ученика Орлов Егор."
    )
    assert db_state(StudentGuardian) == before
    other = Guardian.create(last_name="Орлов", first_name="Пётр")
    assert client.post("/studentguardian/new/", data={**data, "guardian": other.id}).status_code == 302
    listing = client.get("/studentguardian/?flt0_0=Орлов").get_data(as_text=True)
    assert "Орлов Пётр" in listing and "отец" in listing and "Яковлев" not in listing


# --- the student list: current class, filters, scope -------------------------------------------


def test_student_list_shows_current_class_and_filters(client, admin, pupils):
    left = pupils.students["Орлов"]
    Enrollment.update(end_date=day(9, 30)).where(Enrollment.student == left.id).execute()
    listing = client.get("/student/").get_data(as_text=True)
    assert "Класс сейчас" in listing
    # Filters: 0 grade, 1 letter, 2 "no class now".
    only_b = client.get("/student/?flt0_1=Б").get_data(as_text=True)
    assert "Кузнецова" in only_b and "Яковлев" not in only_b and "Орлов" not in only_b
    without_class = client.get("/student/?flt0_2=1").get_data(as_text=True)
    assert "Орлов" in without_class and "Кузнецова" not in without_class
    assert ">5А<" in listing.replace(" ", "").replace("\n", "")
    details = client.get(f"/student/details/?id={pupils.students['Белов'].id}").get_data(as_text=True)
    assert "5А" in details
    found = client.get("/student/?search=Бел").get_data(as_text=True)
    assert "Белов" in found and "Яковлев" not in found


def test_teacher_sees_only_students_of_own_classes(client, pupils):
    assert login(client, "smirnova").status_code == 302
    listing = client.get("/student/").get_data(as_text=True)
    assert all(name in listing for name in ("Яковлев", "Андреева", "Белов"))
    assert "Кузнецова" not in listing and "Орлов" not in listing
    stranger = pupils.students["Кузнецова"]
    assert client.get(f"/student/details/?id={stranger.id}").status_code == 403
    assert client.get(f"/student/edit/?id={stranger.id}", follow_redirects=True).status_code == 403
    guardians = client.get("/guardian/").get_data(as_text=True)
    assert "Яковлев" in guardians and "Кузнецова" not in guardians
    enrollments = client.get("/enrollment/").get_data(as_text=True)
    assert "Белов" in enrollments and "Орлов" not in enrollments
    other_enrollment = Enrollment.get(Enrollment.student == stranger.id)
    assert client.get(f"/enrollment/details/?id={other_enrollment.id}").status_code == 403
    before = db_state(Student, Enrollment)
    assert client.post(f"/student/edit/?id={stranger.id}", data=_student_form()).status_code == 403
    assert client.post("/enrollment/delete/", data={"id": other_enrollment.id}).status_code == 403
    assert db_state(Student, Enrollment) == before


# --- enrollments ------------------------------------------------------------------------------------


def test_student_is_not_in_two_classes_on_one_day(client, admin, pupils):
    student = pupils.students["Белов"]
    before = db_state(Enrollment)
    data = {"student": student.id, "class_group": pupils.b5.id, "start_date": ru(day(12, 1)), "end_date": ""}
    response = client.post("/enrollment/new/", data=data)
    refused(response, f"Ученик Белов Глеб уже зачислен в класс 5А ({pupils.year}) на {ru(day(9, 1))}–…")
    refused(response, "в один день ученик может быть только в одном классе")
    assert db_state(Enrollment) == before

    # Leaving 5А on 30.11 lets him join 5Б on 01.12.
    current = Enrollment.get(Enrollment.student == student.id)
    edit = {
        "student": student.id,
        "class_group": pupils.a5.id,
        "start_date": ru(day(9, 1)),
        "end_date": ru(day(11, 30)),
    }
    assert client.post(f"/enrollment/edit/?id={current.id}", data=edit).status_code == 302
    assert client.post("/enrollment/new/", data=data).status_code == 302
    assert students_service.current_class(student, day(11, 30)) == pupils.a5
    assert students_service.current_class(student, day(12, 1)) == pupils.b5


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"start_date": ru(day(12, 1)), "end_date": ru(day(11, 1))},
            "Дата выбытия не может быть раньше даты зачисления.",
        ),
        ({"start_date": ru(day(8, 31) + dt.timedelta(days=1))}, "Даты зачисления должны лежать внутри учебного года"),
        ({"end_date": ru(day(6, 30))}, "Даты зачисления должны лежать внутри учебного года"),
        ({"start_date": ""}, "Обязательное поле."),
    ],
)
def test_bad_enrollments_are_refused(client, admin, school, change, message):
    student = Student.create(last_name="Соколова", first_name="Анна")
    before = db_state(Enrollment)
    data = {"student": student.id, "class_group": school.a5.id, "start_date": ru(day(9, 1)), "end_date": "", **change}
    refused(client.post("/enrollment/new/", data=data), message)
    assert db_state(Enrollment) == before


def test_open_enrollment_ends_with_its_year(client, admin, school):
    student = Student.create(last_name="Соколова", first_name="Анна")
    last_year = SchoolYear.create(
        name=f"{year_start() - 1}/{year_start()}",
        start_date=dt.date(year_start() - 1, 9, 1),
        end_date=dt.date(year_start(), 5, 31),
    )
    old_class = school.a5.__class__.create(year=last_year, grade=4, letter="А")
    Enrollment.create(student=student, class_group=old_class, start_date=dt.date(year_start() - 1, 9, 1))
    data = {"student": student.id, "class_group": school.a5.id, "start_date": ru(day(9, 1)), "end_date": ""}
    assert client.post("/enrollment/new/", data=data).status_code == 302
    assert students_service.current_class(student, day(10, 1)) == school.a5
    assert students_service.current_class(student, dt.date(year_start(), 5, 1)) == old_class
    assert students_service.current_class(student, dt.date(year_start(), 7, 1)) is None


def _mark(school, student, date):
    lesson = Lesson.create(
        journal=groups.class_journal(school.a5, school.math),
        date=date,
        number=1,
        planned_teacher=school.smirnova,
        teacher=school.smirnova,
    )
    work_type = WorkType.get_or_create(name="Ответ на уроке")[0]
    return Mark.create(lesson=lesson, student=student, value="5", work_type=work_type)


def test_enrollment_keeps_the_journal_whole(client, admin, pupils):
    student = pupils.students["Белов"]
    enrollment = Enrollment.get(Enrollment.student == student.id)
    _mark(pupils, student, day(10, 5))
    before = db_state(Enrollment)
    shrink = {
        "student": student.id,
        "class_group": pupils.a5.id,
        "start_date": ru(day(9, 1)),
        "end_date": ru(day(9, 30)),
    }
    refused(
        client.post(f"/enrollment/edit/?id={enrollment.id}", data=shrink),
        f"У ученика Белов Глеб есть отметки или пропуски в классе 5А за {ru(day(10, 5))}",
    )
    response = client.post("/enrollment/delete/", data={"id": enrollment.id}, follow_redirects=True)
    assert "Нельзя удалить зачисление" in response.get_data(as_text=True)
    assert db_state(Enrollment) == before
    # Ending the enrollment after the marked day is fine.
    keep = dict(shrink, end_date=ru(day(10, 5)))
    assert client.post(f"/enrollment/edit/?id={enrollment.id}", data=keep).status_code == 302
    assert Enrollment.get_by_id(enrollment.id).end_date == day(10, 5)


def test_enrollment_without_journal_entries_is_deleted(client, admin, pupils):
    enrollment = Enrollment.get(Enrollment.student == pupils.students["Орлов"].id)
    assert client.post("/enrollment/delete/", data={"id": enrollment.id}).status_code == 302
    assert Enrollment.get_or_none(Enrollment.id == enrollment.id) is None
    deleted = AuditEntry.get((AuditEntry.model == "Enrollment") & (AuditEntry.action == "delete"))
    assert deleted.object_id == str(enrollment.id)


def test_student_with_enrollments_is_not_deleted(client, admin, pupils):
    student = pupils.students["Орлов"]
    before = db_state(Student, Enrollment, StudentGuardian)
    response = client.post("/student/delete/", data={"id": student.id}, follow_redirects=True)
    assert "Нельзя удалить «Орлов Егор»" in response.get_data(as_text=True)
    assert db_state(Student, Enrollment, StudentGuardian) == before


# --- services ------------------------------------------------------------------------------------------


def test_class_students_are_those_enrolled_that_day_by_surname(pupils):
    Enrollment.update(end_date=day(10, 31)).where(Enrollment.student == pupils.students["Андреева"].id).execute()
    names = [s.last_name for s in students_service.class_students(pupils.a5, day(10, 31))]
    assert names == ["Андреева", "Белов", "Яковлев"]
    names = [s.last_name for s in students_service.class_students(pupils.a5, day(11, 1))]
    assert names == ["Белов", "Яковлев"]
    assert list(students_service.class_students(pupils.a5, day(8, 31) - dt.timedelta(days=365))) == []


# --- lists cost the same number of queries whatever their length -------------------------------------


def grow_pupils(school, size: int) -> None:
    """Add `size` students to 5А, each with a guardian and a link."""
    for _ in range(size):
        n = Student.select().count()
        student = Student.create(last_name=f"Ученик{n}", first_name="Иван")
        guardian = Guardian.create(last_name=f"Ученик{n}", first_name="Мария")
        StudentGuardian.create(student=student, guardian=guardian, relation="mother")
        Enrollment.create(student=student, class_group=school.a5, start_date=day(9, 1))


@pytest.mark.parametrize("endpoint", ["student", "guardian", "studentguardian", "enrollment"])
def test_list_queries_do_not_grow_with_rows(client, admin, school, endpoint):
    grow_pupils(school, 2)
    few = list_queries(client, f"/{endpoint}/")
    grow_pupils(school, 12)
    many = list_queries(client, f"/{endpoint}/")
    assert many == few, (endpoint, few, many)


def test_classes_list_counts_pupils_without_extra_queries(client, admin, school):
    grow_pupils(school, 3)
    few = list_queries(client, "/classgroup/")
    grow_pupils(school, 10)
    assert list_queries(client, "/classgroup/") == few
    html = client.get("/classgroup/").get_data(as_text=True)
    assert ">13<" in html.replace(" ", "").replace("\n", "")
