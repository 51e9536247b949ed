"""Roles and permissions in the panel (R2.1, R2.1.3): custom roles, permission edits, the last administrator."""

import logging
import threading
import time

import pytest
from peewee import OperationalError

from app.db import db, is_sqlite
from app.models import AuditEntry, Role, RolePermission, Staff, StaffRole
from app.permissions import BUILTIN_ROLES, PERMISSIONS
from app.services import roles
from app.services.errors import DomainError
from tests.conftest import login


def _role(code) -> Role:
    return Role.get(Role.code == code)


def _state():
    return (
        [(r.id, r.code, r.name, r.builtin) for r in Role.select().order_by(Role.id)],
        sorted((rp.role_id, rp.permission_id) for rp in RolePermission.select()),
        sorted((sr.staff_id, sr.role_id) for sr in StaffRole.select()),
        AuditEntry.select().count(),
    )


def _role_form(role, **overrides):
    data = {"name": role.name, "code": role.code, "permissions": sorted(roles.role_permission_codes(role))}
    data.update(overrides)
    return data


def test_list_shows_roles_with_russian_permission_labels(client, login_as):
    login_as("admin")
    html = client.get("/role/").get_data(as_text=True)
    for name, _defaults in BUILTIN_ROLES.values():
        assert name in html
    assert PERMISSIONS["journal.edit_own"] in html
    assert "journal.edit_own" not in html  # codes stay behind their labels


def test_list_loads_permissions_without_a_query_per_row(client, login_as, caplog):
    login_as("admin")

    def queries():
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="peewee"):
            client.get("/role/")
        return sum(1 for r in caplog.records if r.name == "peewee")

    queries()  # warm up: first requests may create settings rows of other areas
    few = queries()
    for n in range(6):
        roles.create_role(
            None, code=f"extra{n}", name=f"Роль {n}", permission_codes=["school.view", "audit.view"], source="system"
        )
    assert queries() == few


def test_admin_creates_a_custom_role(client, login_as):
    admin = login_as("admin")
    response = client.post(
        "/role/new/",
        data={"name": "Библиотекарь", "code": "Librarian ", "permissions": ["students.view", "school.view"]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    role = _role("librarian")
    assert (role.name, role.builtin) == ("Библиотекарь", False)
    assert roles.role_permission_codes(role) == {"students.view", "school.view"}
    actions = {
        e.action for e in AuditEntry.select().where((AuditEntry.model == "Role") & (AuditEntry.actor == admin.id))
    }
    assert actions == {"create", "permissions"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Библиотекарь", "code": "библиотекарь"}, "Код роли: от 2 до 32 символов"),
        ({"name": "Учитель-2", "code": "teacher"}, "Роль с кодом «teacher» уже есть"),
        (
            {"name": "Библиотекарь", "code": "librarian", "permissions": ["root.everything"]},
            "Такого варианта нет: root.everything",
        ),
    ],
)
def test_bad_roles_are_refused(client, login_as, data, message):
    login_as("admin")
    before = _state()
    response = client.post("/role/new/", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _state() == before


def test_builtin_role_is_renamed_and_its_permissions_edited_but_its_code_stays(client, login_as):
    admin = login_as("admin")
    head = _role("head")
    response = client.post(
        f"/role/edit/?id={head.id}", data=_role_form(head, name="Директор", permissions=["school.view", "exports.run"])
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    head = _role("head")
    assert head.name == "Директор"
    assert roles.role_permission_codes(head) == {"school.view", "exports.run"}
    entry = AuditEntry.get((AuditEntry.action == "permissions") & (AuditEntry.actor == admin.id))
    assert entry.before_data["permissions"] == sorted(BUILTIN_ROLES["head"][1])
    assert entry.after_data["permissions"] == ["exports.run", "school.view"]

    before = _state()
    response = client.post(f"/role/edit/?id={head.id}", data=_role_form(head, code="director"))
    assert response.status_code == 200
    assert "Код встроенной роли «Директор» изменить нельзя" in response.get_data(as_text=True)
    assert _state() == before


def test_builtin_role_cannot_be_deleted(client, login_as):
    login_as("admin")
    before = _state()
    html = client.post("/role/delete/", data={"id": _role("deputy").id}, follow_redirects=True).get_data(as_text=True)
    assert "Встроенную роль «Заместитель директора по УВР» удалить нельзя" in html
    assert _state() == before


def test_role_held_by_staff_cannot_be_deleted(client, login_as, make_staff):
    login_as("admin")
    roles.create_role(None, code="librarian", name="Библиотекарь", permission_codes=["school.view"], source="system")
    make_staff("petrov", roles=["librarian"])
    before = _state()
    html = client.post("/role/delete/", data={"id": _role("librarian").id}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "Роль «Библиотекарь» назначена сотрудникам (1)" in html
    assert _state() == before


def test_unused_custom_role_is_deleted_with_its_permission_list(client, login_as):
    admin = login_as("admin")
    role = roles.create_role(
        None, code="librarian", name="Библиотекарь", permission_codes=["school.view"], source="system"
    )
    assert client.post("/role/delete/", data={"id": role.id}).status_code == 302
    assert Role.get_or_none(Role.id == role.id) is None
    assert not RolePermission.select().where(RolePermission.role == role.id).exists()
    entry = AuditEntry.get((AuditEntry.action == "delete") & (AuditEntry.model == "Role"))
    assert entry.actor_id == admin.id and entry.before_data["permissions"] == ["school.view"]


def test_permission_edit_changes_what_a_user_can_open(app, client, login_as, make_staff):
    login_as("admin")
    make_staff("petrov", roles=["teacher"])
    teacher = app.test_client()
    assert login(teacher, "petrov").status_code == 302
    assert teacher.get("/uids/").status_code == 403
    assert 'href="/uids/"' not in teacher.get("/").get_data(as_text=True)

    role = _role("teacher")
    granted = sorted(roles.role_permission_codes(role) | {"uids.manage"})
    assert client.post(f"/role/edit/?id={role.id}", data=_role_form(role, permissions=granted)).status_code == 302
    assert teacher.get("/uids/").status_code == 200
    assert 'href="/uids/"' in teacher.get("/").get_data(as_text=True)

    taken = sorted(set(granted) - {"uids.manage", "school.view"})
    assert client.post(f"/role/edit/?id={role.id}", data=_role_form(role, permissions=taken)).status_code == 302
    assert teacher.get("/uids/").status_code == 403
    assert 'href="/uids/"' not in teacher.get("/").get_data(as_text=True)
    # Every view that asks for school.view now refuses the teacher (those registered so far).
    admin_ext = app.extensions["admin"][0]
    for view in admin_ext._views:
        if getattr(view, "required_permission", None) == "school.view":
            assert teacher.get(view.url.rstrip("/") + "/").status_code == 403, view.endpoint


def test_a_custom_role_with_staff_management_opens_the_staff_screens(app, client, login_as, make_staff):
    login_as("admin")
    roles.create_role(None, code="hr", name="Кадры", permission_codes=["staff.manage"], source="system")
    make_staff("kadry", roles=["hr"])
    other = make_staff("petrov", roles=["teacher"], last_name="Петров")
    hr = app.test_client()
    assert login(hr, "kadry").status_code == 302
    listing = hr.get("/staff/")
    assert listing.status_code == 200 and "Петров" in listing.get_data(as_text=True)
    assert hr.get(f"/staff/edit/?id={other.id}").status_code == 200
    assert hr.get("/role/").status_code == 200
    assert hr.get("/uids/").status_code == 403


def test_removing_the_last_staff_management_right_is_refused(client, login_as):
    login_as("admin")
    admin_role = _role("admin")
    before = _state()
    without = sorted(roles.role_permission_codes(admin_role) - {"staff.manage"})
    response = client.post(f"/role/edit/?id={admin_role.id}", data=_role_form(admin_role, permissions=without))
    assert response.status_code == 200
    assert "Нельзя оставить систему без администратора" in response.get_data(as_text=True)
    assert _state() == before


def test_staff_management_may_move_to_another_role_that_someone_active_holds(client, login_as, make_staff):
    login_as("admin")
    roles.create_role(None, code="hr", name="Кадры", permission_codes=["staff.manage"], source="system")
    make_staff("kadry", roles=["hr"])
    admin_role = _role("admin")
    without = sorted(roles.role_permission_codes(admin_role) - {"staff.manage"})
    response = client.post(f"/role/edit/?id={admin_role.id}", data=_role_form(admin_role, permissions=without))
    assert response.status_code == 302
    assert "staff.manage" not in roles.role_permission_codes(_role("admin"))


def test_two_administrators_removing_each_other_leave_one(make_staff):
    """Each sees the other as a manager when they start; the one who commits second must be refused."""
    first_admin = make_staff("boss-a", roles=["admin"])
    second_admin = make_staff("boss-b", roles=["admin"])
    first_done = threading.Event()
    outcome = {}

    def demote(staff_id, key, hold):
        with db.connection_context():
            try:
                with db.atomic():
                    roles.set_staff_roles(Staff.get_by_id(staff_id), ["teacher"], None, source="system")
                    if hold:
                        first_done.set()
                        time.sleep(0.5)  # keep the transaction open while the other one starts
                outcome[key] = "done"
            except DomainError:
                outcome[key] = "refused"
            except OperationalError:  # SQLite: the second writer's snapshot is stale
                outcome[key] = "busy"

    first = threading.Thread(target=demote, args=(first_admin.id, "first", True))
    first.start()
    assert first_done.wait(10)
    second = threading.Thread(target=demote, args=(second_admin.id, "second", False))
    second.start()
    first.join(20)
    second.join(20)
    assert outcome["first"] == "done"
    assert outcome["second"] in (("refused", "busy") if is_sqlite() else ("refused",))
    assert roles.staff_managers().count() == 1


def test_services_refuse_unknown_codes_and_roles(make_staff):
    staff = make_staff("petrov", roles=["teacher"])
    with pytest.raises(DomainError, match="Неизвестные права"):
        roles.set_role_permissions(_role("teacher"), ["journal.edit_own", "root.all"], None)
    with pytest.raises(DomainError, match="несуществующая роль"):
        roles.set_staff_roles(staff, ["teacher", "wizard"], None)
    assert roles.staff_role_codes(staff) == {"teacher"}


@pytest.mark.parametrize("role", ["teacher", "head"])
def test_non_administrators_get_403_on_roles(client, login_as, role):
    login_as(role)
    target = _role("teacher")
    before = _state()
    for url in ("/role/", f"/role/details/?id={target.id}", "/role/new/", f"/role/edit/?id={target.id}"):
        assert client.get(url).status_code == 403, url
    posts = [
        ("/role/new/", {"name": "X", "code": "xx"}),
        (f"/role/edit/?id={target.id}", _role_form(target, permissions=list(PERMISSIONS))),
        ("/role/delete/", {"id": target.id}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    assert _state() == before


def test_anonymous_is_sent_to_login_from_roles(client):
    target = _role("teacher")
    before = _state()
    for url in ("/role/", "/role/new/", f"/role/edit/?id={target.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    response = client.post(f"/role/edit/?id={target.id}", data=_role_form(target, permissions=list(PERMISSIONS)))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _state() == before
