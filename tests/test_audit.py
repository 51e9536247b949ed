"""The audit trail browser: entries appear after changes, nobody can alter them, filters work."""

import datetime as dt
import re

import pytest

from app.models import AuditEntry
from app.services import applications as applications_service
from tests.test_applications import family, make_application  # noqa: F401  (fixture re-used)

URL = "/auditentry"


def listed_ids(client, query=""):
    response = client.get(f"{URL}/?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return sorted({int(i) for i in re.findall(r"/auditentry/details/\?id=(\d+)", html)})


def filter_index(client, name, operation=None):
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "auditentry")
    for index, flt in enumerate(view._filters):
        if flt.name == name and (operation is None or str(flt.operation()) == operation):
            return index
    raise LookupError(name)


def test_changes_appear_in_the_trail(client, login_as, family):  # noqa: F811
    admin = login_as("admin")
    application = make_application(admin, family)
    applications_service.change_status(admin, application, "entered")
    entries = list(AuditEntry.select().where(AuditEntry.model == "DiaryApplication").order_by(AuditEntry.id))
    assert [e.action for e in entries] == ["create", "status"]

    html = client.get(f"{URL}/").get_data(as_text=True)
    for entry in entries:
        assert f"/auditentry/details/?id={entry.id}" in html
    # Russian names for the model, the action and the source.
    assert "Заявление родителя" in html and "смена статуса" in html and "создание" in html and "панель" in html
    assert str(application) in html

    details = client.get(f"{URL}/details/?id={entries[1].id}")
    assert details.status_code == 200
    page = details.get_data(as_text=True)
    # Before and after side by side; exactly the changed fields are highlighted.
    changed = re.findall(r'<tr class="table-warning changed">\s*<td><strong>([^<]+)</strong></td>', page)
    # (updated_at changes too unless both saves fall in the same second.)
    assert {"Статус", "Номер изменения"} <= set(changed) <= {"Статус", "Номер изменения", "Изменено"}
    assert re.search(r"<strong>Статус</strong></td>\s*<td>принято</td>\s*<td>внесено в систему</td>", page)
    assert "Фамилия ученика" in page  # unchanged fields are shown too, not highlighted
    assert "Было" in page and "Стало" in page


def test_nobody_can_create_edit_or_delete_entries(client, login_as):
    admin = login_as("admin")
    entry = AuditEntry.select().where(AuditEntry.object_id == str(admin.id)).order_by(AuditEntry.id).first()
    assert entry is not None
    snapshot = (entry.action, entry.model, entry.object_repr, entry.before, entry.after)
    total = AuditEntry.select().count()

    assert client.get(f"{URL}/new/").status_code == 403
    assert client.post(f"{URL}/new/", data={"action": "create", "model": "Staff", "source": "panel"}).status_code == 403
    assert client.get(f"{URL}/edit/?id={entry.id}").status_code == 403
    assert client.post(f"{URL}/edit/?id={entry.id}", data={"action": "delete", "object_repr": "x"}).status_code == 403
    assert client.post(f"{URL}/delete/", data={"id": entry.id}).status_code == 403
    assert client.post(f"{URL}/action/", data={"action": "delete", "rowid": [entry.id]}).status_code == 403
    assert client.post(f"{URL}/ajax/update/", data={"list_form_pk": entry.id, "action": "x"}).status_code == 403

    assert AuditEntry.select().count() == total
    fresh = AuditEntry.get_by_id(entry.id)
    assert (fresh.action, fresh.model, fresh.object_repr, fresh.before, fresh.after) == snapshot
    # The list offers no way to write either.
    html = client.get(f"{URL}/").get_data(as_text=True)
    assert f"{URL}/new/" not in html and f"{URL}/edit/" not in html and f"{URL}/delete/" not in html


@pytest.mark.parametrize("role", ["teacher"])
def test_without_permission_gets_403(client, login_as, make_staff, role):
    admin = make_staff("boss", roles=["admin"])
    entry = AuditEntry.select().where(AuditEntry.object_id == str(admin.id)).first()
    login_as(role)
    assert client.get(f"{URL}/").status_code == 403
    assert client.get(f"{URL}/details/?id={entry.id}").status_code == 403
    assert client.get(f"{URL}/new/").status_code == 403
    assert client.post(f"{URL}/delete/", data={"id": entry.id}).status_code == 403
    assert AuditEntry.get_or_none(AuditEntry.id == entry.id) is not None


def test_anonymous_is_sent_to_login(client):
    response = client.get(f"{URL}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_head_reads_the_trail(client, login_as, make_staff):
    make_staff("boss", roles=["admin"])
    login_as("head")
    assert client.get(f"{URL}/").status_code == 200
    assert client.get(f"{URL}/new/").status_code == 403


def test_filters_and_search(client, login_as, make_staff, family):  # noqa: F811
    admin = login_as("admin", login_name="admin1", last_name="Смирнова", first_name="Ольга")
    clerk = make_staff("clerk", roles=["admin"], last_name="Орлов", first_name="Павел", middle_name="")
    application = make_application(clerk, family)
    applications_service.change_status(admin, application, "rejected", reason="дубликат")
    # Stored as naive UTC: 20:59 UTC is 23:59 on 15.01 in Moscow, the school's zone.
    old = AuditEntry.create(
        at=dt.datetime(2024, 1, 15, 20, 59),
        actor=None,
        actor_name="система",
        source="cli",
        action="delete",
        model="Student",
        object_id="99",
        object_repr="Ученик из прошлого",
    )
    created = AuditEntry.get((AuditEntry.model == "DiaryApplication") & (AuditEntry.action == "create"))
    status = AuditEntry.get((AuditEntry.model == "DiaryApplication") & (AuditEntry.action == "status"))

    by_model = filter_index(client, "Объект")
    assert listed_ids(client, f"flt0_{by_model}=DiaryApplication") == sorted([created.id, status.id])
    assert listed_ids(client, f"flt0_{filter_index(client, 'Действие')}=status") == [status.id]
    assert listed_ids(client, f"flt0_{filter_index(client, 'Источник')}=cli") == [old.id]
    # A person is picked from the list of staff, by id; a malformed id is no filter at all.
    actor_ids = listed_ids(client, f"flt0_{filter_index(client, 'Кто')}={clerk.id}")
    assert created.id in actor_ids and status.id not in actor_ids
    assert all(AuditEntry.get_by_id(i).actor_id == clerk.id for i in actor_ids)
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "auditentry")
    with client.application.test_request_context():
        groups = view._get_filter_groups()
    # The staff are read for each page: a person added after the start is a choice too.
    people = dict(groups["Кто"][0]["options"])
    assert people[str(clerk.id)] == "Орлов Павел"
    assert client.get(f"{URL}/?flt0_{filter_index(client, 'Кто')}=1%27%20OR").status_code == 200
    # A date range: both ends are whole days.
    since, until = filter_index(client, "Дата", "с"), filter_index(client, "Дата", "по")
    assert listed_ids(client, f"flt0_{since}=2024-01-15&flt1_{until}=2024-01-15") == [old.id]
    assert listed_ids(client, f"flt0_{since}=2024-01-16&flt1_{until}=2024-12-31") == []
    today = client.application.extensions["clock"].today().isoformat()
    assert old.id not in listed_ids(client, f"flt0_{since}={today}")
    assert status.id in listed_ids(client, f"flt0_{since}={today}&flt1_{until}={today}")
    # Search by what was changed and by who changed it.
    assert listed_ids(client, "search=прошлого") == [old.id]
    assert status.id in listed_ids(client, "search=Смирнова")
    # Filters combine.
    by_actor = filter_index(client, "Кто")
    assert listed_ids(client, f"flt0_{by_model}=DiaryApplication&flt1_{by_actor}={admin.id}") == [status.id]


def _entry(at, actor_name, object_repr, model="Student"):
    return AuditEntry.create(
        at=at, actor=None, actor_name=actor_name, source="panel", action="update", model=model, object_repr=object_repr
    )


def test_search_folds_case_and_yo_needs_every_word_and_refuses_short_words(client, login_as):
    login_as("admin", login_name="admin1", last_name="Смирнова", first_name="Ольга")
    noon = dt.datetime(2026, 11, 2, 9, 0)
    fyodor = _entry(noon, "Фёдорова Алёна", "Ученик Семёнов Пётр")
    other = _entry(noon, "Фёдорова Алёна", "Ученик Иванов Илья")
    assert listed_ids(client, "search=ФЕДОРОВА") == [fyodor.id, other.id]
    assert listed_ids(client, "search=семенов%20фёдорова") == [fyodor.id]
    assert listed_ids(client, "search=семёнов%20иванов") == []
    # The words may come from the person and the record, in any order, inside a word too.
    assert listed_ids(client, "search=ванов%20алён") == [other.id]
    # LIKE's wildcards are letters like any other.
    assert listed_ids(client, "search=%25%25%25") == []
    page = client.get(f"{URL}/?search=5А").get_data(as_text=True)
    assert "не короче 3 букв: «5а»" in page and "/auditentry/details/?id=" not in page


def test_pages_go_by_keyset_newest_first_and_keep_the_filters(client, login_as):
    login_as("admin", login_name="admin1")
    base = dt.datetime(2026, 11, 2, 9, 0)
    # Two entries share an instant: the id orders them.
    entries = [_entry(base + dt.timedelta(minutes=i // 2), "Учитель", f"Запись {i:03}") for i in range(120)]
    AuditEntry.delete().where(AuditEntry.id.not_in([e.id for e in entries])).execute()
    newest_first = [e.id for e in reversed(entries)]
    html = client.get(f"{URL}/?search=запись").get_data(as_text=True)
    seen = []
    while True:
        seen += [int(i) for i in re.findall(r"/auditentry/details/\?id=(\d+)", html)]
        older = re.search(r'href="([^"]+)" id="audit-older"', html)
        if not older:
            break
        assert "search=" in older.group(1)
        html = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert seen == newest_first
    # Back from the last page towards the newest: the same pages in reverse.
    newer = re.search(r'href="([^"]+)" id="audit-newer"', html).group(1).replace("&amp;", "&")
    back = client.get(newer).get_data(as_text=True)
    assert [int(i) for i in re.findall(r"/auditentry/details/\?id=(\d+)", back)] == newest_first[50:100]
    # A cursor that is no entry starts from the newest.
    first = client.get(f"{URL}/?older_than=abc").get_data(as_text=True)
    assert [int(i) for i in re.findall(r"/auditentry/details/\?id=(\d+)", first)] == newest_first[:50]
    assert 'id="audit-newer"' not in first


# --- UIDs are hidden from those who may not open the UID list (issue 7, item 6) -------------------

from app.models import Mark, Staff  # noqa: E402
from app.services import journal_marks, uids  # noqa: E402
from tests.conftest import login  # noqa: E402
from tests.journal.conftest import QueryCounter, school  # noqa: E402, F401

SECRET_UID = "7654321987"


@pytest.fixture
def uid_entries(make_staff):
    """A teacher created with a UID already typed (a create snapshot) and then given another one."""
    admin = make_staff("uidadmin", roles=["admin"], last_name="Админова")
    teacher = make_staff("uidteacher", roles=["teacher"], last_name="Учителева")
    uids.set_uid(teacher, SECRET_UID, admin)
    uids.set_uid(teacher, "1234567", admin)
    Staff.update(portal_uid=None).where(Staff.id == teacher.id).execute()
    teacher = Staff.get_by_id(teacher.id)
    uids.set_uid(teacher, "5550001", admin)
    entries = list(
        AuditEntry.select()
        .where((AuditEntry.model == "Staff") & (AuditEntry.object_id == str(teacher.id)))
        .order_by(AuditEntry.id)
    )
    return admin, teacher, entries


@pytest.mark.parametrize("role", ["head", "deputy"])
def test_audit_hides_uids_from_those_who_cannot_open_the_uid_list(app, make_staff, uid_entries, role):
    _admin, _teacher, entries = uid_entries
    viewer = make_staff(f"{role}1", roles=[role])
    client = app.test_client()
    assert login(client, viewer.login).status_code == 302

    listing = client.get(f"{URL}/").get_data(as_text=True)
    assert SECRET_UID not in listing and "1234567" not in listing
    for entry in entries:
        page = client.get(f"{URL}/details/?id={entry.id}").get_data(as_text=True)
        assert SECRET_UID not in page and "1234567" not in page and "5550001" not in page
        if "portal_uid" in entry.after_data:
            assert re.search(r"UID портала</(?:strong></)?td>\s*<td>(?:скрыт)?</td>\s*<td>скрыт</td>", page)
    # Searching by the UID finds nothing and shows nothing.
    assert listed_ids(client, f"search={SECRET_UID}") == []
    assert "Записей нет." in client.get(f"{URL}/?search={SECRET_UID}").get_data(as_text=True)


def test_audit_shows_uids_to_uid_managers(client, login_as, uid_entries):
    _admin, _teacher, entries = uid_entries
    login_as("admin")
    change = next(e for e in entries if e.after_data.get("portal_uid") == "1234567")
    page = client.get(f"{URL}/details/?id={change.id}").get_data(as_text=True)
    assert re.search(rf"UID портала</strong></td>\s*<td>{SECRET_UID}</td>\s*<td>1234567</td>", page)


# --- the trail reads as people read it (issue 7, item 11) -----------------------------------------


def test_mark_entries_name_the_student_and_the_lesson_in_school_time(app, school, as_user):  # noqa: F811
    student = school.students[0]
    mark = journal_marks.add_mark(
        school.teacher, school.earlier.id, student.id, "4", school.answer.id, clock=school.clock
    )
    Mark.update(created_at=dt.datetime(2026, 10, 30, 13, 34)).where(Mark.id == mark.id).execute()
    entry = AuditEntry.get((AuditEntry.model == "Mark") & (AuditEntry.action == "create"))
    AuditEntry.update(at=dt.datetime(2026, 10, 30, 21, 33, 5)).where(AuditEntry.id == entry.id).execute()
    client = as_user(school.admin)

    listing = client.get(f"{URL}/").get_data(as_text=True)
    lesson_name = str(school.earlier)
    assert f"{student.full_name} — 4 (Ответ на уроке) — {lesson_name}" in listing
    # 21:33 UTC is 00:33 of the next day in Moscow.
    assert "31.10.2026 00:33:05" in listing and "2026-10-30T" not in listing

    page = client.get(f"{URL}/details/?id={entry.id}").get_data(as_text=True)
    assert re.search(rf'id="audit-student">{student.full_name}<', page)
    assert re.search(rf'id="audit-lesson">{re.escape(lesson_name)}<', page)
    cells = dict(
        re.findall(
            r"<tr class=\"[^\"]*\">\s*<td>(?:<strong>)?([^<]+)(?:</strong>)?</td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>",
            page,
        )
    )
    assert cells["Ученик"] == student.full_name
    assert cells["Урок"] == lesson_name
    assert cells["Вид работы"] == "Ответ на уроке"
    assert cells["Кто поставил"] == school.teacher.full_name
    assert "created_by_id" not in page and "work_type_id" not in page and "_id<" not in page


def test_changed_mark_reason_and_values_read_in_russian(app, school, as_user):  # noqa: F811
    student = school.students[1]
    mark = journal_marks.add_mark(
        school.teacher, school.earlier.id, student.id, "3", school.answer.id, clock=school.clock
    )
    mark = Mark.get_by_id(mark.id)
    journal_marks.change_mark(
        school.teacher, mark.id, mark.change_no, "4", school.test.id, reason="typo", clock=school.clock
    )
    entry = AuditEntry.get((AuditEntry.model == "Mark") & (AuditEntry.action == "update"))
    client = as_user(school.deputy)
    page = client.get(f"{URL}/details/?id={entry.id}").get_data(as_text=True)
    assert re.search(r"<strong>Причина изменения</strong></td>\s*<td>—</td>\s*<td>ошибка при вводе</td>", page)
    assert re.search(r"<strong>Вид работы</strong></td>\s*<td>Ответ на уроке</td>\s*<td>Контрольная работа</td>", page)
    # The update entry names whose mark it is, though the stored description does not.
    assert re.search(rf'id="audit-student">{student.full_name}<', page)
    assert ">typo<" not in page and "change_reason" not in page
    # Dates as dd.mm.yyyy, booleans as да/нет (the lesson's date in a lesson entry).
    lesson_entry = AuditEntry.create(
        actor=None,
        actor_name="система",
        source="system",
        action="update",
        model="Lesson",
        object_id=str(school.earlier.id),
        object_repr=str(school.earlier),
        before='{"date": "2026-10-30", "held": false}',
        after='{"date": "2026-10-31", "held": true}',
    )
    page = client.get(f"{URL}/details/?id={lesson_entry.id}").get_data(as_text=True)
    assert re.search(r"<strong>Дата</strong></td>\s*<td>30.10.2026</td>\s*<td>31.10.2026</td>", page)
    assert re.search(r"<strong>Урок проведён</strong></td>\s*<td>нет</td>\s*<td>да</td>", page)


def test_list_query_count_does_not_grow_with_rows(app, school, as_user):  # noqa: F811
    client = as_user(school.admin)

    def queries():
        with QueryCounter() as counter:
            assert client.get(f"{URL}/?page_size=200").status_code == 200
        return counter.count

    for student in school.students[:2]:
        journal_marks.add_mark(school.teacher, school.earlier.id, student.id, "5", school.answer.id, clock=school.clock)
        journal_marks.set_absence(school.teacher, school.lesson.id, student.id, "illness", clock=school.clock)
    few = queries()
    for student in school.students[2:]:
        journal_marks.add_mark(school.teacher, school.lesson.id, student.id, "4", school.test.id, clock=school.clock)
        journal_marks.set_absence(school.teacher, school.earlier.id, student.id, "late", clock=school.clock)
    assert AuditEntry.select().where(AuditEntry.model.in_(["Mark", "Absence"])).count() >= 10
    assert queries() == few


def test_every_field_of_every_model_has_a_russian_label(app):
    from admin_views.audit import labels_of
    from app.models import MODELS

    labels = labels_of(app.extensions["admin"][0])
    missing = []
    for model in MODELS:
        for name, field in model._meta.fields.items():
            if name in model.audit_exclude:
                continue
            key = field.column_name if field.column_name.endswith("_id") else name
            label = labels.label(model.__name__, key)
            if label == key or not re.search("[а-яё№]", label, re.I):
                missing.append(f"{model.__name__}.{name}")
    assert missing == []


RUSSIAN = re.compile("[а-яё№]", re.I)


def test_every_model_has_its_russian_names_in_the_registry():
    from app import labels
    from app.models import MODELS

    missing = [
        model.__name__
        for model in MODELS
        if not all(RUSSIAN.search(name) for name in labels.MODEL_NAMES.get(model.__name__, ("", "")))
    ]
    assert missing == []
    assert set(labels.MODEL_NAMES) == {model.__name__ for model in MODELS}, "a name kept for a model that is gone"


def test_lists_forms_and_the_trail_take_field_labels_from_the_registry(app):
    """A model view names its columns, filters by field and form fields from app.labels, and repeats none of them."""
    from flask_admin.contrib.peewee import ModelView

    from admin_views.audit import labels_of
    from app.labels import field_label

    admin = app.extensions["admin"][0]
    trail = labels_of(admin)
    wrong = []
    with app.test_request_context("/"):
        for view in admin._views:
            if not isinstance(view, ModelView):
                continue
            code = view.model.__name__
            for name, label in (view.column_labels or {}).items():
                if field_label(code, name) == label:
                    wrong.append(f"{type(view).__name__}.column_labels[{name!r}] repeats the registry")
            shown = [*(view._list_columns or []), *(getattr(view, "_details_columns", None) or [])]
            for name, label in shown:
                registered = field_label(code, name)
                if not registered or not RUSSIAN.search(registered):
                    wrong.append(f"{code}.{name}: no Russian label in app.labels")
                elif str(label) != (view.column_labels or {}).get(name, registered):
                    wrong.append(f"{code}.{name}: the list says {label!r}, the registry {registered!r}")
                elif name in view.model._meta.fields and trail.label(code, name) != registered:
                    wrong.append(f"{code}.{name}: the trail says {trail.label(code, name)!r}")
            for form_class in {getattr(view, "_create_form_class", None), getattr(view, "_edit_form_class", None)}:
                if form_class is None:
                    continue
                for form_field in form_class():
                    if form_field.name in view.model._meta.fields and not RUSSIAN.search(str(form_field.label.text)):
                        wrong.append(f"{code} form: {form_field.name} is labelled {form_field.label.text!r}")
    assert wrong == []


def test_scaffolded_forms_read_the_registry(app):
    """A form Flask-Admin builds from the model (work types) labels its fields from app.labels."""
    from app.labels import field_label

    views = app.extensions["admin"][0]._views
    view = next(v for v in views if getattr(getattr(v, "model", None), "__name__", "") == "WorkType")
    with app.test_request_context("/"):
        form = view._create_form_class()
    assert {f.name: str(f.label.text) for f in form if f.name != "csrf_token"} == {
        name: field_label("WorkType", name) for name in ("name", "default_weight", "active")
    }
    assert field_label("WorkType", "default_weight") == "Вес по умолчанию"


def test_the_trail_exports_what_its_search_finds_every_page_of_it(client, login_as):
    login_as("admin", login_name="admin1")
    base = dt.datetime(2026, 11, 2, 9, 0)
    wanted = [_entry(base + dt.timedelta(minutes=i), "Учитель", f"Семёнов {i:03}") for i in range(60)]
    _entry(base, "Учитель", "Петров 000")
    response = client.get(f"{URL}/export/csv/?search=семенов")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count("Семёнов") == len(wanted) and "Петров" not in text
