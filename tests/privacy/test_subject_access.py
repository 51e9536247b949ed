"""A person's subject-access record (152-ФЗ, art. 14): everything about them, nothing about anyone else."""

import io

import pytest
from pypdf import PdfReader

from app.clock import app_clock
from app.models import AuditEntry, Mark, Student
from app.services import applications, privacy, records
from app.services.errors import AccessDenied
from tests.conftest import login
from tests.journal.conftest import QueryCounter
from tests.test_russian_ui import data_words, english_words


@pytest.fixture
def admin(app, client, make_staff):
    staff = make_staff("admin-user", roles=["admin"], last_name="Орлова", first_name="Нина")
    assert login(client, "admin-user").status_code == 302
    return staff


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_students_record_holds_their_data_and_no_one_elses(app, client, school, admin):
    student = school.students[0]
    records.update_row(admin, student, {"notes": "аллергия на пыльцу"})
    applications.withdraw_consent(
        admin, school.granted, withdrawn_on=app_clock(app).today(), clock=app_clock(app), note="вх. № 17"
    )
    details = client.get(f"/student/details/?id={student.id}").get_data(as_text=True)
    assert f'href="/privacy/student/{student.id}/"' in details

    page = client.get(f"/privacy/student/{student.id}/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Сведения о персональных данных" in html
    assert f'href="/privacy/student/{student.id}/pdf"' in html
    assert not english_words(html, data_words() | {"a"})

    text = _pdf_text(client.get(f"/privacy/student/{student.id}/pdf"))
    assert "Алексеев Андрей" in text and "01.03.2015" in text and "аллергия на пыльцу" in text
    assert "2025/2026 4А" in text and "2026/2027 5А" in text  # enrollments
    assert "Алексеева Ирина" in text and "мать" in text  # the guardian
    assert "согласие отозвано" in text and "вх. № 17" in text  # the application and its consent
    # Journal counts by year and subject: marks, absences, finals.
    assert "2026/2027 Математика 1 0 1" in text and "2025/2026 Математика 1 0 1" in text
    assert "2026/2027 Хоровое пение 0 1 0" in text and "2026/2027 Английский язык 1 0 0" in text
    assert "аллергия на пыльцу" in text.split("История изменений записи", 1)[1]  # the audit trail
    for other in ("Борисова", "Васильев", "Борисов Павел"):
        assert other not in text


def test_a_guardians_record_names_their_children_and_applications_only(client, school, admin):
    mother = school.mother
    details = client.get(f"/guardian/details/?id={mother.id}").get_data(as_text=True)
    assert f'href="/privacy/guardian/{mother.id}/"' in details
    text = _pdf_text(client.get(f"/privacy/guardian/{mother.id}/pdf"))
    assert "Алексеева Ирина" in text and "+7 900 000-00-00" in text
    assert "Алексеев Андрей" in text and "доступ предоставлен" in text and "A-1" in text
    assert "Борисов" not in text and "Васильев" not in text


def test_a_staff_members_record_shows_their_account_and_uid(client, school, admin):
    details = client.get(f"/staff/details/?id={school.teacher.id}").get_data(as_text=True)
    assert f'href="/privacy/staff/{school.teacher.id}/"' in details
    text = _pdf_text(client.get(f"/privacy/staff/{school.teacher.id}/pdf"))
    assert "Иванова Мария Петровна" in text and "ivanova" in text and "1234567" in text
    assert "Петров Олег" not in text and "7654321" not in text


@pytest.mark.parametrize("role", ["teacher", "head"])
def test_others_may_not_produce_it_nor_see_the_link(app, client, school, make_staff, role):
    staff = make_staff(f"{role}-user", roles=[role])
    assert login(client, f"{role}-user").status_code == 302
    student = school.students[0]
    for url in (f"/privacy/student/{student.id}/", f"/privacy/student/{student.id}/pdf"):
        response = client.get(url)
        assert response.status_code == 403 and "Алексеев" not in response.get_data(as_text=True)
    details = client.get(f"/student/details/?id={student.id}").get_data(as_text=True)
    assert "/privacy/" not in details
    with pytest.raises(AccessDenied):
        privacy.subject_access_report(staff, "student", student.id, clock=app_clock(app))


def test_an_unknown_person_is_a_404(client, school, admin):
    for url in ("/privacy/student/999999/", "/privacy/teacher/1/", "/privacy/guardian/99999999999999999999/pdf"):
        assert client.get(url).status_code == 404, url


def test_the_query_count_does_not_grow_with_the_persons_data(app, school, admin):
    student, clock = school.students[0], app_clock(app)
    privacy.subject_access_report(admin, "student", student.id, clock=clock)  # permissions read once, kept

    def count():
        with QueryCounter() as counter:
            privacy.subject_access_report(admin, "student", student.id, clock=clock)
        return counter.count

    before = count()
    for n in range(5):
        Mark.create(lesson=school.lesson, student=student, value="4", work_type=school.answer)
        Mark.create(lesson=school.english_lesson, student=student, value="3", work_type=school.answer)
        records.update_row(admin, Student.get_by_id(student.id), {"notes": f"н{n}"})
    assert AuditEntry.select().where(AuditEntry.model == "Student").count() >= 5
    assert count() == before
