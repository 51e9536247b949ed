"""Parents' applications for e-diary access (R6.1): checks, refusals, status flow, access, list."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from app.clock import app_clock
from app.db import db
from app.models import (
    AuditEntry,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    Guardian,
    SchoolYear,
    Student,
    StudentGuardian,
)
from app.services import applications as service
from app.services.errors import DomainError

URL = "/diaryapplication"


def form_errors(html: str) -> list[str]:
    """Return the error messages on a page: alerts (without their close button) and field feedback.

    conftest.form_errors stops at the alert's close button and returns only "&times;".
    """
    found = re.findall(
        r'<div class="(?:alert alert-danger|invalid-feedback|help-block form-text text-danger)[^"]*"[^>]*>(.*?)</div>',
        html,
        re.S,
    )
    texts = [re.sub(r"<button.*?</button>", "", f, flags=re.S) for f in found]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip() for t in texts if t.strip()]


@pytest.fixture
def family(app):
    """A student of 5А with a linked mother, and a guardian who is linked to nobody."""
    year = SchoolYear.create(
        name="2025/2026", start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 8, 31), is_current=True
    )
    class_5a = ClassGroup.create(year=year, grade=5, letter="А")
    class_6b = ClassGroup.create(year=year, grade=6, letter="Б")
    student = Student.create(last_name="Петров", first_name="Иван", middle_name="Сергеевич")
    mother = Guardian.create(last_name="Петрова", first_name="Алёна", middle_name="Викторовна")
    stranger = Guardian.create(last_name="Сидоров", first_name="Пётр", middle_name="Ильич")
    StudentGuardian.create(student=student, guardian=mother, relation="mother")
    Enrollment.create(student=student, class_group=class_5a, start_date=dt.date(2025, 9, 1))
    return {
        "today": app_clock(app).today(),
        "student": student,
        "mother": mother,
        "stranger": stranger,
        "class_5a": class_5a,
        "class_6b": class_6b,
        "year": year,
    }


def form_data(family, **overrides):
    """Return a complete, acceptable application form for the family's student and mother."""
    data = {
        "student": str(family["student"].id),
        "guardian": str(family["mother"].id),
        "relation": "mother",
        "student_last_name": "Петров",
        "student_first_name": "Иван",
        "student_middle_name": "Сергеевич",
        "guardian_last_name": "Петрова",
        "guardian_first_name": "Алёна",
        "guardian_middle_name": "Викторовна",
        "submitted_on": family["today"].isoformat(),
        "portal_number": "",
        "passport_presented": "y",
        "names_checked": "y",
        "pd_consent": "y",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def application_audit():
    return list(AuditEntry.select().where(AuditEntry.model == "DiaryApplication").order_by(AuditEntry.id))


def make_application(actor, family, **overrides):
    """Accept an application through the service (for tests about what comes after)."""
    values = {
        "student": family["student"],
        "guardian": family["mother"],
        "relation": "mother",
        "student_last_name": "Петров",
        "student_first_name": "Иван",
        "student_middle_name": "Сергеевич",
        "guardian_last_name": "Петрова",
        "guardian_first_name": "Алёна",
        "guardian_middle_name": "Викторовна",
        "submitted_on": family["today"],
        "passport_presented": True,
        "names_checked": True,
        "pd_consent": True,
    }
    values.update(overrides)
    return service.accept(actor, today=family["today"], **values)


# --- accepting --------------------------------------------------------------------------------


def test_accepting_with_every_check_saves_and_audits(client, login_as, family):
    admin = login_as("admin")
    response = client.post(f"{URL}/new/", data=form_data(family, portal_number=" ЭД-2025-001 "))
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    application = DiaryApplication.get()
    assert "/diaryapplication/details/" in response.headers["Location"]
    assert application.student_id == family["student"].id
    assert application.guardian_id == family["mother"].id
    assert application.received_by_id == admin.id  # the one who received it, set by the service
    assert application.status == "accepted"
    assert application.portal_number == "ЭД-2025-001"
    assert application.passport_presented and application.names_checked and application.pd_consent
    entries = application_audit()
    assert [(e.action, e.actor_id, e.object_id) for e in entries] == [("create", admin.id, str(application.id))]
    assert entries[0].after_data["status"] == "accepted"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("passport_presented", "без предъявления паспорта"),
        ("names_checked", "без сверки ФИО"),
        ("pd_consent", "без согласия на обработку персональных данных"),
    ],
)
def test_missing_check_is_refused_and_nothing_written(client, login_as, family, missing, message):
    login_as("admin")
    before = AuditEntry.select().count()
    response = client.post(f"{URL}/new/", data=form_data(family, **{missing: None}))
    assert response.status_code == 200
    errors = " ".join(form_errors(response.get_data(as_text=True)))
    assert message in errors
    assert DiaryApplication.select().count() == 0
    assert AuditEntry.select().count() == before


def test_mismatched_names_are_refused_listing_each_field(client, login_as, family):
    login_as("admin")
    response = client.post(
        f"{URL}/new/",
        data=form_data(family, student_last_name="Петрова", guardian_first_name="Алина", guardian_middle_name=""),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    errors = " ".join(form_errors(html))
    assert "не совпадают с данными школы" in errors
    assert "фамилия ученика — в заявлении «Петрова», в данных школы «Петров»" in errors
    assert "имя родителя — в заявлении «Алина», в данных школы «Алёна»" in errors
    assert "отчество родителя — в заявлении «не указано», в данных школы «Викторовна»" in errors
    # Fields that match are not listed.
    assert "имя ученика" not in errors
    # The re-shown form highlights exactly the three mismatching fields.
    highlighted = re.findall(r'<tr class="mismatch" data-field="(\w+)"', html)
    assert highlighted == ["student_last_name", "guardian_first_name", "guardian_middle_name"]
    assert DiaryApplication.select().count() == 0
    assert application_audit() == []


def test_yo_case_and_spaces_do_not_count_as_mismatch(client, login_as, family):
    login_as("admin")
    response = client.post(
        f"{URL}/new/",
        data=form_data(
            family,
            student_last_name="  ПЕТРОВ ",
            student_first_name="иван",
            guardian_first_name="АЛЕНА",
            guardian_middle_name="викторовна",
        ),
    )
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    application = DiaryApplication.get()
    # Stored as printed (trimmed), not replaced by the record.
    assert application.student_last_name == "ПЕТРОВ"
    assert application.guardian_first_name == "АЛЕНА"


def test_guardian_not_linked_to_the_student_is_refused(client, login_as, family):
    login_as("admin")
    response = client.post(
        f"{URL}/new/",
        data=form_data(
            family,
            guardian=str(family["stranger"].id),
            guardian_last_name="Сидоров",
            guardian_first_name="Пётр",
            guardian_middle_name="Ильич",
        ),
    )
    assert response.status_code == 200
    errors = " ".join(form_errors(response.get_data(as_text=True)))
    assert "не указан(а) среди родителей" in errors
    assert DiaryApplication.select().count() == 0
    assert application_audit() == []


def test_missing_student_and_names_are_refused_by_the_form(client, login_as, family):
    login_as("admin")
    response = client.post(
        f"{URL}/new/", data=form_data(family, student="__None", guardian_last_name="", relation="aunt")
    )
    assert response.status_code == 200
    errors = form_errors(response.get_data(as_text=True))
    assert "Выберите ученика." in errors
    assert "Введите фамилию родителя, как в заявлении." in errors
    assert len(errors) >= 4  # and the relation outside the closed list, and the form's summary
    assert DiaryApplication.select().count() == 0


def test_future_date_is_refused(client, login_as, family):
    login_as("admin")
    tomorrow = (family["today"] + dt.timedelta(days=1)).isoformat()
    response = client.post(f"{URL}/new/", data=form_data(family, submitted_on=tomorrow))
    assert response.status_code == 200
    assert "не может быть позже сегодняшнего дня" in " ".join(form_errors(response.get_data(as_text=True)))
    assert DiaryApplication.select().count() == 0


def test_portal_number_is_unique_only_when_given(client, login_as, family):
    login_as("admin")
    assert client.post(f"{URL}/new/", data=form_data(family, portal_number="77")).status_code == 302
    response = client.post(f"{URL}/new/", data=form_data(family, portal_number=" 77"))
    assert response.status_code == 200
    assert "с номером портала «77» уже внесено" in " ".join(form_errors(response.get_data(as_text=True)))
    assert DiaryApplication.select().count() == 1
    # Without a number, any number of applications may be entered.
    assert client.post(f"{URL}/new/", data=form_data(family)).status_code == 302
    assert client.post(f"{URL}/new/", data=form_data(family, portal_number="  ")).status_code == 302
    assert DiaryApplication.select().where(DiaryApplication.portal_number.is_null()).count() == 2


def test_form_has_no_passport_number_field(client, login_as, family):
    login_as("admin")
    response = client.get(f"{URL}/new/?student_id={family['student'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    inputs = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    assert inputs - {"csrf_token", "_add_another", "_continue_editing"} == set(service.EDITABLE_FIELDS)
    assert "passport_number" not in html and "Номер паспорта" not in html
    assert not [f for f in DiaryApplication._meta.fields if "passport" in f and f != "passport_presented"]
    # The student asked for in the URL is preselected, the date is today.
    assert re.search(rf'<option selected value="{family["student"].id}">', html) or re.search(
        rf'<option value="{family["student"].id}" selected', html
    )
    assert family["today"].strftime("%d.%m.%Y") in html


def test_received_by_cannot_be_set_through_the_form(client, login_as, make_staff, family):
    admin = login_as("admin")
    other = make_staff("other", roles=["admin"])
    response = client.post(f"{URL}/new/", data=form_data(family, received_by=str(other.id)))
    assert response.status_code == 302
    assert DiaryApplication.get().received_by_id == admin.id


# --- editing ----------------------------------------------------------------------------------


def test_editing_a_waiting_application_rechecks_names(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    response = client.post(
        f"{URL}/edit/?id={application.id}", data=form_data(family, student_first_name="Илья", portal_number="5")
    )
    assert response.status_code == 200
    assert "имя ученика — в заявлении «Илья», в данных школы «Иван»" in " ".join(
        form_errors(response.get_data(as_text=True))
    )
    fresh = DiaryApplication.get_by_id(application.id)
    assert fresh.student_first_name == "Иван" and fresh.portal_number is None
    response = client.post(f"{URL}/edit/?id={application.id}", data=form_data(family, portal_number="5"))
    assert response.status_code == 302
    fresh = DiaryApplication.get_by_id(application.id)
    assert fresh.portal_number == "5"
    assert fresh.received_by_id == admin.id
    update = application_audit()[-1]
    assert update.action == "update"
    assert update.before_data["portal_number"] is None and update.after_data["portal_number"] == "5"


def test_a_processed_application_cannot_be_edited(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    service.change_status(admin, application, "entered")
    service.change_status(admin, application, "granted")
    response = client.post(f"{URL}/edit/?id={application.id}", data=form_data(family, portal_number="9"))
    assert response.status_code == 200
    assert "уже обработано" in " ".join(form_errors(response.get_data(as_text=True)))
    assert DiaryApplication.get_by_id(application.id).portal_number is None


def test_details_show_the_name_comparison_with_mismatches_highlighted(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    # The school's record changes afterwards (a typo fixed): the comparison shows it.
    Student.update(last_name="Петровский").where(Student.id == family["student"].id).execute()
    html = client.get(f"{URL}/details/?id={application.id}").get_data(as_text=True)
    assert re.findall(r'<tr class="mismatch" data-field="(\w+)"', html) == ["student_last_name"]
    assert "Петровский" in html
    assert "Сверка ФИО с данными школы" in html


def test_details_show_the_history_in_school_time(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    # Stored as naive UTC: 21:33 UTC is 00:33 the next day in Moscow.
    AuditEntry.update(at=dt.datetime(2026, 12, 1, 21, 33)).where(AuditEntry.model == "DiaryApplication").execute()
    html = client.get(f"{URL}/details/?id={application.id}").get_data(as_text=True)
    assert "02.12.2026 00:33" in html
    assert "01.12.2026 21:33" not in html


# --- status flow ------------------------------------------------------------------------------


def post_status(client, application, status, reason=None):
    data = {"id": str(application.id), "status": status}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"{URL}/status/", data=data, follow_redirects=True)


def status_of(application):
    return DiaryApplication.get_by_id(application.id).status


def test_status_moves_forward_step_by_step(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    page = client.get(f"{URL}/details/?id={application.id}").get_data(as_text=True)
    assert "Внесено в систему" in page and "Отклонить" in page and ">Доступ предоставлен</button>" not in page

    assert post_status(client, application, "entered").status_code == 200
    assert status_of(application) == "entered"
    response = post_status(client, application, "granted")
    assert status_of(application) == "granted"
    assert "Статус заявления: «доступ предоставлен»" in response.get_data(as_text=True)

    statuses = [(e.action, e.before_data.get("status"), e.after_data["status"]) for e in application_audit()]
    assert statuses == [
        ("create", None, "accepted"),
        ("status", "accepted", "entered"),
        ("status", "entered", "granted"),
    ]
    # A finished application offers no more buttons.
    page = client.get(f"{URL}/details/?id={application.id}").get_data(as_text=True)
    assert 'id="status-actions"' not in page


def test_status_cannot_go_back_or_skip(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    response = post_status(client, application, "granted")
    assert "Нельзя пропустить шаг" in " ".join(form_errors(response.get_data(as_text=True)))
    assert status_of(application) == "accepted"

    service.change_status(admin, application, "entered")
    audited = len(application_audit())
    response = post_status(client, application, "accepted")
    assert "нельзя вернуть назад" in " ".join(form_errors(response.get_data(as_text=True)))
    assert status_of(application) == "entered"

    service.change_status(admin, application, "granted")
    response = post_status(client, application, "rejected", reason="передумали")
    assert "уже обработано" in " ".join(form_errors(response.get_data(as_text=True)))
    assert status_of(application) == "granted"
    assert len(application_audit()) == audited + 1  # only the service call above


def test_rejecting_needs_a_reason(client, login_as, family):
    admin = login_as("admin")
    application = make_application(admin, family)
    response = post_status(client, application, "rejected", reason="   ")
    assert "Укажите причину отклонения" in " ".join(form_errors(response.get_data(as_text=True)))
    assert status_of(application) == "accepted"

    post_status(client, application, "rejected", reason="Заявитель не является законным представителем")
    fresh = DiaryApplication.get_by_id(application.id)
    assert fresh.status == "rejected"
    assert fresh.reject_reason == "Заявитель не является законным представителем"
    assert application_audit()[-1].after_data["reject_reason"] == fresh.reject_reason
    # Rejected is final.
    with pytest.raises(DomainError):
        service.change_status(admin, fresh, "entered")


def test_bulk_status_action_is_all_or_nothing(client, login_as, family):
    admin = login_as("admin")
    first = make_application(admin, family)
    second = make_application(admin, family)
    service.change_status(admin, second, "entered")
    both = [str(first.id), str(second.id)]
    response = client.post(f"{URL}/action/", data={"action": "mark_entered", "rowid": both}, follow_redirects=True)
    assert "Ничего не изменено" in " ".join(form_errors(response.get_data(as_text=True)))
    assert status_of(first) == "accepted" and status_of(second) == "entered"

    client.post(f"{URL}/action/", data={"action": "mark_entered", "rowid": [str(first.id)]})
    client.post(f"{URL}/action/", data={"action": "mark_granted", "rowid": [str(first.id), str(second.id)]})
    assert status_of(first) == "granted" and status_of(second) == "granted"


# --- who may do what --------------------------------------------------------------------------


def test_teacher_without_permission_gets_403(client, login_as, make_staff, family):
    admin = make_staff("boss", roles=["admin"])
    application = make_application(admin, family)
    login_as("teacher")
    assert client.get(f"{URL}/").status_code == 403
    assert client.get(f"{URL}/details/?id={application.id}").status_code == 403
    assert client.get(f"{URL}/new/").status_code == 403
    assert client.post(f"{URL}/new/", data=form_data(family)).status_code == 403
    assert client.post(f"{URL}/status/", data={"id": application.id, "status": "entered"}).status_code == 403
    assert DiaryApplication.select().count() == 1
    assert status_of(application) == "accepted"


def test_head_can_read_but_not_write(client, login_as, make_staff, family):
    admin = make_staff("boss", roles=["admin"])
    application = make_application(admin, family)
    login_as("head")
    listing = client.get(f"{URL}/")
    assert listing.status_code == 200
    assert "Петров Иван Сергеевич" in listing.get_data(as_text=True)
    assert f"{URL}/new/" not in listing.get_data(as_text=True)
    details = client.get(f"{URL}/details/?id={application.id}")
    assert details.status_code == 200
    assert 'id="status-actions"' not in details.get_data(as_text=True)

    assert client.get(f"{URL}/new/").status_code == 403
    assert client.post(f"{URL}/new/", data=form_data(family)).status_code == 403
    assert client.post(f"{URL}/edit/?id={application.id}", data=form_data(family, portal_number="1")).status_code == 403
    assert client.post(f"{URL}/status/", data={"id": application.id, "status": "entered"}).status_code == 403
    assert client.post(f"{URL}/delete/", data={"id": application.id}).status_code == 403
    assert client.post(f"{URL}/action/", data={"action": "mark_entered", "rowid": [application.id]}).status_code == 403
    assert DiaryApplication.select().count() == 1
    fresh = DiaryApplication.get_by_id(application.id)
    assert fresh.status == "accepted" and fresh.portal_number is None


def test_service_refuses_an_actor_without_the_permission(make_staff, family):
    head = make_staff("head1", roles=["head"])
    with pytest.raises(DomainError, match="Недостаточно прав"):
        make_application(head, family)
    assert DiaryApplication.select().count() == 0


# --- the list ---------------------------------------------------------------------------------


def list_ids(client, query=""):
    html = client.get(f"{URL}/?{query}").get_data(as_text=True)
    return sorted(int(i) for i in re.findall(r'name="rowid"[^>]*value="(\d+)"', html))


def test_list_filters_and_search(client, login_as, family):
    admin = login_as("admin")
    waiting = make_application(admin, family)
    entered = make_application(admin, family)
    service.change_status(admin, entered, "entered")
    done = make_application(admin, family, submitted_on=dt.date(2025, 10, 1))
    service.change_status(admin, done, "rejected", reason="дубликат")
    other = Student.create(last_name="Кузнецова", first_name="Ольга")
    dad = Guardian.create(last_name="Кузнецов", first_name="Олег")
    StudentGuardian.create(student=other, guardian=dad, relation="father")
    Enrollment.create(student=other, class_group=family["class_6b"], start_date=dt.date(2025, 9, 1))
    other_app = make_application(
        admin,
        {"student": other, "mother": dad, "today": family["today"]},
        relation="father",
        student_last_name="Кузнецова",
        student_first_name="Ольга",
        student_middle_name="",
        guardian_last_name="Кузнецов",
        guardian_first_name="Олег",
        guardian_middle_name="",
    )

    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "diaryapplication")
    status_index = next(i for i, f in enumerate(view._filters) if f.name == "Статус")
    class_index = next(i for i, f in enumerate(view._filters) if f.name == "Класс")

    assert list_ids(client) == sorted([waiting.id, entered.id, done.id, other_app.id])
    assert list_ids(client, f"flt0_{status_index}=waiting") == sorted([waiting.id, entered.id, other_app.id])
    assert list_ids(client, f"flt0_{status_index}=rejected") == [done.id]
    assert list_ids(client, f"flt0_{class_index}={family['class_6b'].id}") == [other_app.id]
    # Capitalised as typed: SQLite's LIKE folds the case of ASCII letters only.
    assert list_ids(client, "search=Кузнецов") == [other_app.id]
    assert list_ids(client, "search=Петрова") == sorted([waiting.id, entered.id, done.id])
    # The list offers the waiting filter and the class options from the database.
    html = client.get(f"{URL}/").get_data(as_text=True)
    assert "Ждут обработки" in html and "6Б" in html
    assert '<span class="badge badge-warning status-accepted">принято</span>' in html


def test_list_query_count_does_not_grow_with_rows(client, login_as, family):
    admin = login_as("admin")

    def count_queries(path):
        database = db.obj
        original = database.execute_sql
        seen = []

        def counting(sql, params=None, *args, **kwargs):
            seen.append(sql)
            return original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        try:
            assert client.get(path).status_code == 200
        finally:
            del database.execute_sql
        return len(seen)

    make_application(admin, family)
    # Warm up: the first page of a session also creates settings rows other areas read lazily.
    count_queries(f"{URL}/")
    one = count_queries(f"{URL}/")
    for _ in range(6):
        make_application(admin, family)
    seven = count_queries(f"{URL}/")
    assert seven == one


# --- CSRF on, as in production, and the school's clock -----------------------------------------

TOKEN_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*>')


def admin_form(html: str) -> str:
    """Return the panel's record form (not the logout form of the menu)."""
    found = re.search(r'<form[^>]*class="admin-form"[^>]*>(.*?)</form>', html, re.S)
    assert found, "the page has no record form"
    return found.group(1)


def token_in(fragment: str) -> str:
    """Return the CSRF token of a form's hidden input."""
    field = TOKEN_INPUT.search(fragment)
    assert field, "the form carries no csrf_token input"
    return re.search(r'\bvalue="([^"]+)"', field.group(0)).group(1)


class TestWithCsrfAndSchoolClock:
    """The panel as in production: CSRF checked on every post, "today" from the school's clock."""

    @pytest.fixture
    def app(self, database_url, redis_url, tmp_path):
        from app import create_app
        from app.config import TestConfig

        class Config(TestConfig):
            DATABASE_URL = database_url
            REDIS_URL = redis_url
            INSTANCE_PATH = tmp_path / "instance"
            WTF_CSRF_ENABLED = True
            SCHOOL_TIMEZONE = "Europe/Moscow"

        application = create_app(Config)
        with db.connection_context():
            yield application
        if not db.obj.is_closed():
            db.obj.close()

    @staticmethod
    def log_in(client, staff):
        token = token_in(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"login": staff.login, "password": "Пароль2026", "csrf_token": token})
        assert response.status_code == 302

    @pytest.fixture
    def admin(self, client, make_staff):
        staff = make_staff("clerk", roles=["admin"])
        self.log_in(client, staff)
        return staff

    def test_create_and_edit_pages_render_the_token_inside_the_form(self, client, admin, family):
        create = client.get(f"{URL}/new/")
        assert create.status_code == 200
        assert token_in(admin_form(create.get_data(as_text=True)))
        application = make_application(admin, family)
        edit = client.get(f"{URL}/edit/?id={application.id}")
        assert edit.status_code == 200
        assert token_in(admin_form(edit.get_data(as_text=True)))

    def test_an_application_is_saved_with_the_token_of_its_own_form(self, client, admin, family):
        token = token_in(admin_form(client.get(f"{URL}/new/").get_data(as_text=True)))
        response = client.post(f"{URL}/new/", data={**form_data(family, portal_number="ЭД-1"), "csrf_token": token})
        assert response.status_code == 302, form_errors(response.get_data(as_text=True))
        application = DiaryApplication.get(DiaryApplication.portal_number == "ЭД-1")
        assert application.received_by_id == admin.id

        edit_url = f"{URL}/edit/?id={application.id}"
        token = token_in(admin_form(client.get(edit_url).get_data(as_text=True)))
        response = client.post(edit_url, data={**form_data(family, portal_number="ЭД-2"), "csrf_token": token})
        assert response.status_code == 302, form_errors(response.get_data(as_text=True))
        assert DiaryApplication.get_by_id(application.id).portal_number == "ЭД-2"

    def test_a_post_without_the_token_is_refused_and_writes_nothing(self, client, admin, family):
        response = client.post(f"{URL}/new/", data={**form_data(family), "csrf_token": "forged"})
        assert response.status_code in (200, 302, 400)
        assert DiaryApplication.select().count() == 0

    def test_today_is_the_schools_date_not_the_servers(self, client, make_staff, family):
        import time_machine

        # 22:30 UTC on 01.12 is 01:30 on 02.12 in Moscow; the process runs in UTC.
        instant = dt.datetime(2026, 12, 1, 22, 30, tzinfo=ZoneInfo("UTC"))
        with time_machine.travel(instant, tick=False):
            # Log in at the frozen instant: a session from "later" real time would not be valid then.
            self.log_in(client, make_staff("clerk", roles=["admin"]))
            page = client.get(f"{URL}/new/").get_data(as_text=True)
            assert 'value="02.12.2026"' in admin_form(page)
            data = {**form_data(family, submitted_on="2026-12-02"), "csrf_token": token_in(admin_form(page))}
            response = client.post(f"{URL}/new/", data=data)
            assert response.status_code == 302, form_errors(response.get_data(as_text=True))
            assert DiaryApplication.get().submitted_on == dt.date(2026, 12, 2)

            page = client.get(f"{URL}/new/").get_data(as_text=True)
            data = {**form_data(family, submitted_on="2026-12-03"), "csrf_token": token_in(admin_form(page))}
            response = client.post(f"{URL}/new/", data=data)
            assert "не может быть позже сегодняшнего дня" in " ".join(form_errors(response.get_data(as_text=True)))
            assert DiaryApplication.select().count() == 1


def test_service_checks_the_date_against_the_given_school_day(make_staff, family):
    admin = make_staff("clerk", roles=["admin"])
    school_day = dt.date(2026, 12, 2)
    application = service.accept(
        admin,
        today=school_day,
        student=family["student"],
        guardian=family["mother"],
        relation="mother",
        student_last_name="Петров",
        student_first_name="Иван",
        student_middle_name="Сергеевич",
        guardian_last_name="Петрова",
        guardian_first_name="Алёна",
        guardian_middle_name="Викторовна",
        submitted_on=school_day,
        passport_presented=True,
        names_checked=True,
        pd_consent=True,
    )
    with pytest.raises(DomainError, match="позже сегодняшнего дня"):
        service.update(admin, application, today=school_day, submitted_on=dt.date(2026, 12, 3))


def test_changes_are_stamped_in_utc_whatever_the_process_zone(make_staff, family):
    import time_machine

    admin = make_staff("clerk", roles=["admin"])
    application = make_application(admin, family, submitted_on=dt.date(2026, 11, 30))
    # The process runs in Moscow time; the stored instant is still naive UTC.
    with time_machine.travel(dt.datetime(2026, 12, 2, 1, 30, tzinfo=ZoneInfo("Europe/Moscow")), tick=False):
        service.update(admin, application, today=dt.date(2026, 12, 2), portal_number="42")
        assert DiaryApplication.get_by_id(application.id).updated_at == dt.datetime(2026, 12, 1, 22, 30)
        service.change_status(admin, application, "entered")
        assert DiaryApplication.get_by_id(application.id).updated_at == dt.datetime(2026, 12, 1, 22, 30)
