"""Retention (152-ФЗ): old login attempts go, old personal values of the audit are blanked; nothing else moves."""

import datetime as dt
import json

import pytest

from app.clock import app_clock
from app.models import AuditEntry, LoginAttempt, SchoolSettings
from app.services import audit, privacy
from app.settings import DEFAULT_SCHOOL
from tests.conftest import login
from workers.maintenance import apply_retention

# The stored (naive UTC) instant the runs happen at.
NOW = dt.datetime(2026, 12, 4, 0, 30)
MARKER = privacy.RETENTION_MARKER


def _attempt(days_ago: float, login_name="ivanova") -> LoginAttempt:
    return LoginAttempt.create(
        login=login_name, address="10.0.0.1", success=False, at=NOW - dt.timedelta(days=days_ago)
    )


def _entry(model, days_ago, before=None, after=None, action="update") -> AuditEntry:
    return AuditEntry.create(
        at=NOW - dt.timedelta(days=days_ago),
        actor_name="Орлова Нина",
        source="panel",
        action=action,
        model=model,
        object_id="7",
        object_repr=f"{model} #7",
        before=None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        after=None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
    )


def _rows():
    return {
        entry.id: (
            entry.at,
            entry.actor_name,
            entry.action,
            entry.model,
            entry.object_id,
            entry.object_repr,
            entry.before_data,
            entry.after_data,
        )
        for entry in AuditEntry.select().order_by(AuditEntry.id)
    }


@pytest.fixture
def keep(app):
    settings = SchoolSettings.load()
    settings.login_log_keep_days, settings.audit_personal_keep_days = 30, 365
    settings.save()
    return settings


def test_old_login_attempts_go_and_the_rest_stay(keep):
    old = [_attempt(31), _attempt(400, "petrov")]
    kept = [_attempt(29.9), _attempt(0), _attempt(30 - 1 / 86400)]
    assert privacy.apply_retention(keep, now=NOW).login_attempts == 2
    assert {a.id for a in LoginAttempt.select()} == {a.id for a in kept}
    assert not LoginAttempt.select().where(LoginAttempt.id.in_([a.id for a in old])).exists()
    assert privacy.apply_retention(keep, now=NOW).login_attempts == 0
    assert LoginAttempt.select().count() == 3


def test_old_personal_values_are_blanked_and_nothing_else(keep):
    student_before = {
        "last_name": "Петров",
        "first_name": "Иван",
        "middle_name": None,
        "birth_date": "2015-03-01",
        "notes": "аллергия",
        "change_no": 4,
    }
    student_after = {**student_before, "last_name": "Петров-Водкин", "change_no": 9}
    old_student = _entry("Student", 366, student_before, student_after)
    new_student = _entry("Student", 364, student_before, student_after)
    old_guardian = _entry(
        "Guardian",
        1000,
        None,
        {"last_name": "Алексеева", "first_name": "Ирина", "phone": "+7 900 000-00-00", "email": None},
        action="create",
    )
    old_staff = _entry(
        "Staff",
        500,
        {"last_name": "Иванова", "email": "i@school.ru", "portal_uid": "1234567", "active": True},
        {"last_name": "Иванова", "email": "i@school.ru", "portal_uid": "1234567", "active": False},
    )
    old_application = _entry(
        "DiaryApplication",
        700,
        {"status": "granted", "guardian_last_name": "Алексеева", "student_id": 3},
        {
            "status": "withdrawn",
            "guardian_last_name": "Алексеева",
            "student_id": 3,
            "withdrawal_note": "вх. № 17",
            "withdrawn_on": "2026-10-01",
        },
        action="withdraw",
    )
    old_mark = _entry("Mark", 900, {"value": "4", "comment": "Петров молодец"}, {"value": "5", "comment": "Петров"})
    before = _rows()

    changed = privacy.apply_retention(keep, now=NOW)

    after = _rows()
    s = after[old_student.id]
    assert s[6] == {**student_before, "last_name": MARKER, "first_name": MARKER, "birth_date": MARKER, "notes": MARKER}
    assert s[7] == {**student_after, "last_name": MARKER, "first_name": MARKER, "birth_date": MARKER, "notes": MARKER}
    assert s[:6] == before[old_student.id][:6]  # who, when, what and which record stay
    assert after[new_student.id] == before[new_student.id]
    assert after[old_guardian.id][7] == {"last_name": MARKER, "first_name": MARKER, "phone": MARKER, "email": None}
    assert after[old_staff.id][6] == {"last_name": MARKER, "email": MARKER, "portal_uid": MARKER, "active": True}
    assert after[old_staff.id][7]["active"] is False
    assert after[old_application.id][6] == {"status": "granted", "guardian_last_name": MARKER, "student_id": 3}
    assert after[old_application.id][7] == {
        "status": "withdrawn",
        "guardian_last_name": MARKER,
        "student_id": 3,
        "withdrawal_note": MARKER,
        "withdrawn_on": "2026-10-01",
    }
    assert after[old_mark.id] == before[old_mark.id]  # a mark's values are the journal's, not personal fields
    assert changed.audit_entries == 4  # entries: the old student's, guardian's, staff member's, application's
    # The run itself is recorded (by the system), once.
    run = AuditEntry.get(AuditEntry.action == "retention")
    assert run.actor_id is None and run.after_data == {"audit_entries_blanked": 4, "login_attempts_deleted": 0}

    rows = _rows()
    again = privacy.apply_retention(keep, now=NOW)
    assert (again.login_attempts, again.audit_entries) == (0, 0)
    assert _rows() == rows


def test_the_trail_shows_the_marker_and_still_says_what_changed(keep, make_staff, client):
    _entry("Student", 400, {"last_name": "Петров", "notes": None}, {"last_name": "Сидоров", "notes": None})
    privacy.apply_retention(keep, now=NOW)
    entry = AuditEntry.get(AuditEntry.model == "Student")
    assert audit.changed_fields(entry) == []  # both sides blanked: the values are gone, the entry stays
    make_staff("admin-user", roles=["admin"])
    login(client, "admin-user")
    html = client.get(f"/auditentry/details/?id={entry.id}").get_data(as_text=True)
    assert MARKER in html and "Петров" not in html and "Сидоров" not in html
    run = AuditEntry.get(AuditEntry.action == "retention")
    listing = client.get("/auditentry/").get_data(as_text=True)
    assert "удаление данных по сроку хранения" in listing and "Сроки хранения персональных данных" in listing
    details = client.get(f"/auditentry/details/?id={run.id}")
    assert details.status_code == 200 and "система" in details.get_data(as_text=True)


def test_the_nightly_job_reads_the_schools_periods(app, keep, worker_env):
    """The job runs at the real time: the rows are aged from it, by margins of days."""
    now = app_clock(app).utcnow()
    LoginAttempt.create(login="a", address="10.0.0.1", success=False, at=now - dt.timedelta(days=31))
    LoginAttempt.create(login="b", address="10.0.0.1", success=True, at=now - dt.timedelta(days=1))
    entry = AuditEntry.create(
        at=now - dt.timedelta(days=40),
        source="panel",
        action="create",
        model="Guardian",
        object_id="1",
        after=json.dumps({"phone": "+7 900 000-00-00"}),
    )
    assert apply_retention(school=DEFAULT_SCHOOL) == {"login_attempts": 1, "audit_entries": 0}
    keep.audit_personal_keep_days = 30
    keep.save()
    assert apply_retention(school=DEFAULT_SCHOOL) == {"login_attempts": 0, "audit_entries": 1}
    assert AuditEntry.get_by_id(entry.id).after_data == {"phone": MARKER}
    assert [a.login for a in LoginAttempt.select()] == ["b"]


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("login_log_keep_days", "3", "Срок хранения журнала входов — от 7 до 3650 дней."),
        ("login_log_keep_days", "99999", "Срок хранения журнала входов — от 7 до 3650 дней."),
        ("audit_personal_keep_days", "10", "Срок хранения персональных данных в аудите — от 30 до 3650 дней."),
    ],
)
def test_the_settings_form_refuses_a_period_out_of_bounds(app, client, make_staff, field, value, message):
    make_staff("admin-user", roles=["admin"])
    login(client, "admin-user")
    settings = SchoolSettings.load()
    page = client.get(f"/schoolsettings/edit/?id={settings.id}").get_data(as_text=True)
    assert "Срок хранения журнала входов, дней" in page and "Срок хранения персональных данных в аудите" in page
    data = {
        "name": settings.name,
        "school_code": settings.school_code,
        "mark_edit_days": settings.mark_edit_days,
        "upload_max_mb": settings.upload_max_mb,
        "half_year_grades": settings.half_year_grades,
        "round_from": settings.round_from,
        "absence_reason_days": settings.absence_reason_days,
        "min_marks": settings.min_marks,
        "login_log_keep_days": settings.login_log_keep_days,
        "audit_personal_keep_days": settings.audit_personal_keep_days,
        field: value,
    }
    html = client.post(f"/schoolsettings/edit/?id={settings.id}", data=data).get_data(as_text=True)
    assert message in html
    assert SchoolSettings.load().snapshot() == settings.snapshot()
    data[field] = "400"
    assert client.post(f"/schoolsettings/edit/?id={settings.id}", data=data).status_code == 302
    assert getattr(SchoolSettings.load(), field) == 400
