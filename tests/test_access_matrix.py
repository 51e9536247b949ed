"""Walk every registered admin view for anonymous, teacher, head and admin (CONVENTIONS 13).

The expectations are an explicit table, not derived from the views' own settings: a new
view that is missing from the table fails `test_every_view_is_in_the_matrix`.
"""

import datetime as dt

import pytest
from flask_admin.contrib.peewee import ModelView

from app.models import (
    MODELS,
    Absence,
    AuditEntry,
    ChangeCounter,
    ClassGroup,
    CurriculumHours,
    DiaryApplication,
    Enrollment,
    ExportRun,
    Guardian,
    Holiday,
    HomeworkExpectation,
    Lesson,
    Mark,
    Room,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    Subject,
    Term,
    TimetableSlot,
    WorkType,
)
from app.services import groups
from tests.conftest import login

# endpoint -> {role: "manage" | "view" | None}; None means 403 for that role.
MODEL_VIEWS = {
    "schoolsettings": {"admin": "manage", "head": "view", "teacher": "view"},
    "schoolyear": {"admin": "manage", "head": "view", "teacher": "view"},
    "term": {"admin": "manage", "head": "view", "teacher": "view"},
    "holiday": {"admin": "manage", "head": "view", "teacher": "view"},
    "classgroup": {"admin": "manage", "head": "view", "teacher": "view"},
    "subject": {"admin": "manage", "head": "view", "teacher": "view"},
    "homeworkexpectation": {"admin": "manage", "head": "view", "teacher": "view"},
    "studygroup": {"admin": "manage", "head": "view", "teacher": "view"},
    "groupmembership": {"admin": "manage", "head": "view", "teacher": "view"},
    "journals": {"admin": "manage", "head": "view", "teacher": "view"},
    "worktype": {"admin": "manage", "head": "view", "teacher": "view"},
    "curriculumhours": {"admin": "manage", "head": "view", "teacher": "view"},
    "teachingassignment": {"admin": "manage", "head": "view", "teacher": "view"},
    "timetableslot": {"admin": "manage", "head": "view", "teacher": "view"},
    "room": {"admin": "manage", "head": "view", "teacher": "view"},
    "student": {"admin": "manage", "head": "view", "teacher": "view"},
    "guardian": {"admin": "manage", "head": "view", "teacher": "view"},
    "studentguardian": {"admin": "manage", "head": "view", "teacher": "view"},
    "enrollment": {"admin": "manage", "head": "view", "teacher": "view"},
    "diaryapplication": {"admin": "manage", "head": "view", "teacher": None},
    "staff": {"admin": "manage", "head": None, "teacher": None},
    "role": {"admin": "manage", "head": None, "teacher": None},
    "auditentry": {"admin": "view", "head": "view", "teacher": None},
    "exportrun": {"admin": "view", "head": "view", "teacher": None},
}
# Every list exports as it is shown («Выгрузить: CSV | XLSX»): whoever opens the list, nobody else.
EXPORT_TYPES = ("csv", "xlsx")


def _export_urls(endpoint) -> list[str]:
    return [f"/{endpoint}/export/{kind}/" for kind in EXPORT_TYPES]


def _fetch(client, url):
    # Read and close like a server does: an XLSX answer is an open temporary file.
    response = client.get(url)
    response.get_data()
    response.close()
    return response


# Rows every logged-in person may see (not personal): the teacher sees them too.
UNSCOPED = {
    "schoolsettings",
    "schoolyear",
    "term",
    "holiday",
    "subject",
    "homeworkexpectation",
    "worktype",
    "curriculumhours",
    "room",
}

# Plain pages: endpoint -> {role: expected GET status}.
PAGE_VIEWS = {
    "admin": {"admin": 200, "head": 200, "teacher": 200},
    "account": {"admin": 200, "head": 200, "teacher": 200},
    "uids": {"admin": 200, "head": 403, "teacher": 403},
    "exportsettings": {"admin": 200, "head": 200, "teacher": 403},
    "journal": {"admin": 200, "head": 200, "teacher": 200},
    "journal_today": {"admin": 403, "head": 403, "teacher": 200},
    "journal_plans": {"admin": 200, "head": 200, "teacher": 200},
    "journal_substitutions": {"admin": 200, "head": 403, "teacher": 403},
    "journal_planning": {"admin": 200, "head": 403, "teacher": 403},
    "journal_terms": {"admin": 200, "head": 403, "teacher": 403},
    "groups_split": {"admin": 200, "head": 403, "teacher": 403},
    "journal_check": {"admin": 200, "head": 200, "teacher": 403},
    "remarks": {"admin": 200, "head": 200, "teacher": 200},
    "class_page": {"admin": 200, "head": 200, "teacher": 403},
    "diary_check": {"admin": 200, "head": 200, "teacher": 200},
    "timetable": {"admin": 200, "head": 200, "teacher": 200},
    "my_timetable": {"admin": 403, "head": 403, "teacher": 200},
    "timetable_bells": {"admin": 200, "head": 403, "teacher": 403},
    "timetable_editor": {"admin": 200, "head": 403, "teacher": 403},
    "archive": {"admin": 200, "head": 200, "teacher": 403},
    "imports": {"admin": 200, "head": 403, "teacher": 403},
    "backups": {"admin": 200, "head": 403, "teacher": 403},
    "reports": {"admin": 403, "head": 200, "teacher": 200},
    # The subject-access record is opened from a person's page: the bare URL names nobody.
    "privacy": {"admin": 404, "head": 403, "teacher": 403},
    "year_transition": {"admin": 200, "head": 403, "teacher": 403},
}
# A person's subject-access record (page and PDF): the administrator only.
PRIVACY_RECORD = {"admin": 200, "head": 403, "teacher": 403}

ROLES = {"admin": ["admin"], "head": ["head"], "teacher": ["teacher"]}


@pytest.fixture
def world(app, make_staff):
    """One row of every model, all belonging to a class the test teacher does not teach."""
    other = make_staff("other", roles=["teacher"], last_name="Смирнов")
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    term = Term.create(
        year=year, kind="quarter", number=1, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 26)
    )
    Holiday.create(year=year, name="Осенние каникулы", start_date=dt.date(2026, 10, 27), end_date=dt.date(2026, 11, 4))
    subject = Subject.create(name="Математика")
    HomeworkExpectation.create(subject=subject, grades="5–9")
    CurriculumHours.create(year=year, subject=subject, grade=5, hours=170)
    work = WorkType.create(name="Ответ на уроке")
    group = ClassGroup.create(year=year, grade=5, letter="Б", class_teacher=other)
    student = Student.create(last_name="Петров", first_name="Пётр")
    guardian = Guardian.create(last_name="Петрова", first_name="Анна")
    StudentGuardian.create(student=student, guardian=guardian, relation="mother")
    Enrollment.create(student=student, class_group=group, start_date=dt.date(2026, 9, 1))
    journal = groups.class_journal(group, subject)
    groups.assign_teacher(None, journal, other)
    subgroup, _second = groups.create_split(None, group, "англ.", 2)
    groups.create_membership(None, group=subgroup.id, student=student.id, start_date=dt.date(2026, 9, 1))
    room = Room.create(name="204")
    TimetableSlot.create(
        room=room,
        journal=journal,
        weekday=1,
        lesson_number=1,
        teacher=other,
        valid_from=dt.date(2026, 9, 1),
        valid_to=dt.date(2027, 5, 31),
    )
    lesson = Lesson.create(
        journal=journal,
        term=term,
        date=dt.date(2026, 9, 7),
        number=1,
        planned_teacher=other,
        teacher=other,
    )
    Mark.create(lesson=lesson, student=student, value="5", work_type=work)
    Absence.create(lesson=lesson, student=student, reason="illness")
    DiaryApplication.create(
        submitted_on=dt.date(2026, 9, 10),
        received_by=other,
        student=student,
        guardian=guardian,
        student_last_name="Петров",
        student_first_name="Пётр",
        guardian_last_name="Петрова",
        guardian_first_name="Анна",
        relation="mother",
        passport_presented=True,
        names_checked=True,
        pd_consent=True,
    )
    ExportRun.create(kind="full", trigger="manual", status="delivered")
    AuditEntry.create(
        source="system", action="create", model="Student", object_id=str(student.id), object_repr="Петров"
    )
    # A whole class's group is edited with its class (its edit page leads to its details): walk a subgroup.
    return {"other": other, "rows": {"studygroup": subgroup.id}}


def _state():
    """Row counts of every table and the change counter: equal before and after a refused write."""
    counts = {m.__name__: m.select().count() for m in MODELS if m is not ChangeCounter}
    return counts, ChangeCounter.current(), [s.snapshot() for s in Staff.select().order_by(Staff.id)]


def _model_views(app):
    admin = app.extensions["admin"][0]
    return {v.endpoint: v for v in admin._views if isinstance(v, ModelView)}


def _page_views(app):
    admin = app.extensions["admin"][0]
    return {v.endpoint: v for v in admin._views if not isinstance(v, ModelView)}


def test_every_view_is_in_the_matrix(app):
    assert set(_model_views(app)) == set(MODEL_VIEWS)
    assert set(_page_views(app)) == set(PAGE_VIEWS)


def _page_url(view) -> str:
    url = view.url or "/"
    return url if url.endswith("/") else url + "/"


def _any_row_id(view, world):
    if view.endpoint in world["rows"]:
        return world["rows"][view.endpoint]
    row = view.model.select(view.model._meta.primary_key).order_by(view.model._meta.primary_key).first()
    assert row is not None, f"the test world has no {view.model.__name__}"
    return row.get_id()


def _write_requests(endpoint, row_id):
    return [
        ("post", f"/{endpoint}/new/", {}),
        ("post", f"/{endpoint}/edit/?id={row_id}", {}),
        ("post", f"/{endpoint}/delete/", {"id": row_id}),
        ("post", f"/{endpoint}/action/", {"action": "delete", "rowid": row_id}),
    ]


def test_anonymous_is_sent_to_login_everywhere(app, client, world):
    for endpoint, view in _model_views(app).items():
        row_id = _any_row_id(view, world)
        before = _state()
        for url in (
            f"/{endpoint}/",
            f"/{endpoint}/details/?id={row_id}",
            f"/{endpoint}/new/",
            f"/{endpoint}/edit/?id={row_id}",
            *_export_urls(endpoint),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        for method, url, data in _write_requests(endpoint, row_id):
            response = getattr(client, method)(url, data=data)
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        assert _state() == before, endpoint
    for endpoint, view in _page_views(app).items():
        response = client.get(_page_url(view))
        assert response.status_code == 302 and "/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", ["admin", "head", "teacher"])
def test_model_views_answer_by_role(app, client, make_staff, world, role):
    make_staff(f"{role}-user", roles=ROLES[role])
    assert login(client, f"{role}-user").status_code == 302
    for endpoint, view in _model_views(app).items():
        expected = MODEL_VIEWS[endpoint][role]
        row_id = _any_row_id(view, world)
        before = _state()
        listing = client.get(f"/{endpoint}/")
        details = client.get(f"/{endpoint}/details/?id={row_id}")
        for url in _export_urls(endpoint):
            assert _fetch(client, url).status_code == (403 if expected is None else 200), url
        if expected is None:
            assert listing.status_code == 403, endpoint
            assert details.status_code == 403, endpoint
        else:
            assert listing.status_code == 200, endpoint
            out_of_scope = role == "teacher" and endpoint not in UNSCOPED
            assert details.status_code == (403 if out_of_scope else 200), endpoint
        if expected != "manage":
            for url in (f"/{endpoint}/new/", f"/{endpoint}/edit/?id={row_id}"):
                response = client.get(url)
                # Read-only users get a refusal, or (edit) a redirect to the read-only details page.
                assert response.status_code in (302, 403), url
                if response.status_code == 302:
                    assert "/details/" in response.headers["Location"], url
            for method, url, data in _write_requests(endpoint, row_id):
                assert getattr(client, method)(url, data=data).status_code == 403, url
        else:
            assert client.get(f"/{endpoint}/new/").status_code in (200, 302), endpoint
            assert client.get(f"/{endpoint}/edit/?id={row_id}").status_code == 200, endpoint
        assert _state() == before, endpoint


@pytest.mark.parametrize("role", ["admin", "head", "teacher"])
def test_pages_answer_by_role(app, client, make_staff, world, role):
    make_staff(f"{role}-user", roles=ROLES[role])
    assert login(client, f"{role}-user").status_code == 302
    for endpoint, view in _page_views(app).items():
        assert client.get(_page_url(view)).status_code == PAGE_VIEWS[endpoint][role], endpoint


@pytest.mark.parametrize("role", ["admin", "head", "teacher"])
def test_subject_access_records_answer_by_role(app, client, make_staff, world, role):
    make_staff(f"{role}-user", roles=ROLES[role])
    assert login(client, f"{role}-user").status_code == 302
    people = {"student": Student, "guardian": Guardian, "staff": Staff}
    for kind, model in people.items():
        person_id = model.select(model.id).order_by(model.id).scalar()
        for url in (f"/privacy/{kind}/{person_id}/", f"/privacy/{kind}/{person_id}/pdf"):
            assert client.get(url).status_code == PRIVACY_RECORD[role], url
    application = DiaryApplication.get()
    DiaryApplication.update(status="granted").execute()
    before = _state()
    response = client.post("/diaryapplication/withdraw/", data={"id": application.id, "withdrawn_on": "01.10.2026"})
    assert response.status_code == (302 if role == "admin" else 403)
    if role != "admin":
        assert _state() == before and DiaryApplication.get().status == "granted"


def test_menu_shows_only_what_a_person_may_open(app, client, make_staff, world):
    make_staff("teacher-user", roles=["teacher"])
    login(client, "teacher-user")
    html = client.get("/").get_data(as_text=True)
    for endpoint in _model_views(app):
        if MODEL_VIEWS[endpoint]["teacher"] is None:
            assert f'href="/{endpoint}/"' not in html, endpoint


def test_search_boxes_say_what_they_are(app, client, make_staff, world):
    make_staff("admin-user", roles=["admin"])
    login(client, "admin-user")
    for endpoint, view in _model_views(app).items():
        if view.column_searchable_list:
            html = client.get(f"/{endpoint}/").get_data(as_text=True)
            assert 'placeholder="None"' not in html, endpoint
