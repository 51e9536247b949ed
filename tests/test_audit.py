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
    assert sorted(changed) == sorted(["Статус", "Изменено", "Номер изменения"])
    assert re.search(r"<strong>Статус</strong></td>\s*<td>accepted</td>\s*<td>entered</td>", page)
    assert "Фамилия ученика (в заявлении)" in page  # unchanged fields are shown too, not highlighted
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
    old = AuditEntry.create(
        at=dt.datetime(2024, 1, 15, 23, 59),
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
    actor_ids = listed_ids(client, f"flt0_{filter_index(client, 'Кто')}=Орлов")
    assert created.id in actor_ids and status.id not in actor_ids
    assert all(AuditEntry.get_by_id(i).actor_name.startswith("Орлов") for i in actor_ids)
    # A date range: both ends are whole days.
    since, until = filter_index(client, "Дата", "с"), filter_index(client, "Дата", "по")
    assert listed_ids(client, f"flt0_{since}=2024-01-15&flt1_{until}=2024-01-15") == [old.id]
    assert listed_ids(client, f"flt0_{since}=2024-01-16&flt1_{until}=2024-12-31") == []
    today = dt.date.today().isoformat()
    assert old.id not in listed_ids(client, f"flt0_{since}={today}")
    assert status.id in listed_ids(client, f"flt0_{since}={today}&flt1_{until}={today}")
    # Search by what was changed and by who changed it.
    assert listed_ids(client, "search=прошлого") == [old.id]
    assert status.id in listed_ids(client, "search=Смирнова")
    # Filters combine.
    by_actor = filter_index(client, "Кто")
    assert listed_ids(client, f"flt0_{by_model}=DiaryApplication&flt1_{by_actor}=Смирнова") == [status.id]
