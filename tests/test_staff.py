"""Staff accounts in the panel: creation, editing, blocking, deletion, password resets; CLI password reset."""

import datetime as dt
import logging

import pytest

from admin_views.staff import StaffRoleFilter
from app.models import AuditEntry, ChangeCounter, ClassGroup, SchoolYear, Staff, StaffRole, Tombstone
from app.services import roles
from app.services import staff as staff_service
from app.services.errors import DomainError
from tests.conftest import DEFAULT_PASSWORD, login

NEW_PASSWORD = "Зима2027снег"


def _new_staff_form(**overrides):
    data = {
        "login": "sidorova",
        "last_name": "Сидорова",
        "first_name": "Анна",
        "middle_name": "Ивановна",
        "email": "sidorova@school.ru",
        "roles": ["teacher", "deputy"],
        "password": "Весна2026сад",
        "confirm": "Весна2026сад",
    }
    data.update(overrides)
    return data


def _edit_form(staff, **overrides):
    data = {
        "last_name": staff.last_name,
        "first_name": staff.first_name,
        "middle_name": staff.middle_name or "",
        "email": staff.email or "",
        "active": "y" if staff.active else "",
        "roles": sorted(roles.staff_role_codes(staff)),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def _state():
    """What a refused write must leave untouched."""
    return (
        [s.snapshot() for s in Staff.select().order_by(Staff.id)],
        [(r.staff_id, r.role_id) for r in StaffRole.select().order_by(StaffRole.id)],
        AuditEntry.select().count(),
        ChangeCounter.current(),
    )


def _count_queries(caplog, call):
    """Run call() and return how many SQL statements it sent."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        call()
    return sum(1 for r in caplog.records if r.name == "peewee")


# --- creating -----------------------------------------------------------------------------


def test_admin_creates_staff_with_roles(app, client, login_as):
    admin = login_as("admin")
    response = client.post("/staff/new/", data=_new_staff_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    staff = Staff.get(Staff.login == "sidorova")
    assert (staff.last_name, staff.first_name, staff.middle_name, staff.email) == (
        "Сидорова",
        "Анна",
        "Ивановна",
        "sidorova@school.ru",
    )
    assert roles.staff_role_codes(staff) == {"teacher", "deputy"}
    assert staff.change_no > 0
    entries = AuditEntry.select().where((AuditEntry.model == "Staff") & (AuditEntry.object_id == str(staff.id)))
    assert {e.action for e in entries} == {"create", "roles"}
    assert all(e.actor_id == admin.id for e in entries)
    assert "password_hash" not in next(e for e in entries if e.action == "create").after_data
    # The initial password works.
    assert login(app.test_client(), "sidorova", "Весна2026сад").status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc12", "Пароль слишком короткий"),
        ("абвгдежзик", "и буквы, и цифры"),
        ("sidorova2026", "не должен совпадать с логином"),
    ],
)
def test_weak_password_is_refused_and_nothing_written(client, login_as, password, message):
    login_as("admin")
    before = _state()
    response = client.post("/staff/new/", data=_new_staff_form(password=password, confirm=password))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert not Staff.select().where(Staff.login == "sidorova").exists()
    assert _state() == before


def test_password_confirmation_must_match(client, login_as):
    login_as("admin")
    before = _state()
    response = client.post("/staff/new/", data=_new_staff_form(confirm="Весна2026сад!"))
    assert response.status_code == 200
    assert "Пароли не совпадают" in response.get_data(as_text=True)
    assert _state() == before


def test_duplicate_login_is_refused(client, login_as, make_staff):
    login_as("admin")
    make_staff("sidorova", roles=["teacher"])
    before = _state()
    response = client.post("/staff/new/", data=_new_staff_form(login=" Sidorova "))
    assert response.status_code == 200
    assert "Логин «sidorova» уже занят" in response.get_data(as_text=True)
    assert _state() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("login", "сидорова", "Логин: от 2 до 64 символов"),
        ("email", "sidorova@", "Адрес электронной почты указан неверно"),
        ("roles", ["teacher", "nosuchrole"], "Такого варианта нет: nosuchrole"),
    ],
)
def test_malformed_fields_are_refused(client, login_as, field, value, message):
    login_as("admin")
    before = _state()
    response = client.post("/staff/new/", data=_new_staff_form(**{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert _state() == before


def test_staff_without_roles_is_created_with_a_warning(client, login_as):
    login_as("admin")
    response = client.post("/staff/new/", data=_new_staff_form(roles=[]), follow_redirects=True)
    assert response.status_code == 200
    assert "создан без ролей" in response.get_data(as_text=True)
    assert roles.staff_role_codes(Staff.get(Staff.login == "sidorova")) == set()


# --- the list -----------------------------------------------------------------------------


def test_list_shows_names_roles_activity_and_uid(client, login_as, make_staff):
    login_as("admin")
    make_staff("petrov", roles=["teacher", "deputy"], last_name="Петров", first_name="Пётр", middle_name="Ильич")
    with_uid = make_staff("orlova", roles=["head"], last_name="Орлова")
    Staff.update(portal_uid="1234567").where(Staff.id == with_uid.id).execute()
    html = client.get("/staff/").get_data(as_text=True)
    assert "Петров Пётр Ильич" in html
    assert "Заместитель директора по УВР, Учитель" in html
    assert "нет UID" in html and "есть" in html
    assert "password_hash" not in html and "session_token" not in html


def test_list_loads_roles_without_a_query_per_row(client, login_as, make_staff, caplog):
    login_as("admin")
    for n in range(2):
        make_staff(f"few{n}", roles=["teacher", "deputy"])
    client.get("/staff/")  # warm up: first requests may create settings rows of other areas
    few = _count_queries(caplog, lambda: client.get("/staff/"))
    for n in range(10):
        make_staff(f"many{n}", roles=["teacher", "head"])
    many = _count_queries(caplog, lambda: client.get("/staff/"))
    assert few == many, (few, many)


def test_search_and_filters(app, client, login_as, make_staff):
    login_as("admin")
    make_staff("petrov", roles=["teacher"], last_name="Петров", first_name="Иван", middle_name="Ильич")
    make_staff("orlova", roles=["head"], last_name="Орлова", first_name="Ольга", middle_name="Олеговна")
    blocked = make_staff("zaitsev", roles=["teacher"], last_name="Зайцев", first_name="Захар", middle_name="Ильич")
    Staff.update(active=False).where(Staff.id == blocked.id).execute()

    found = client.get("/staff/?search=Петров").get_data(as_text=True)
    assert "Петров" in found and "Орлова" not in found

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "staff")
    role_arg = next(arg for arg, (_, flt) in view._filter_args.items() if isinstance(flt, StaffRoleFilter))
    by_role = client.get(f"/staff/?flt0_{role_arg}=teacher").get_data(as_text=True)
    assert "Петров" in by_role and "Зайцев" in by_role and "Орлова" not in by_role

    active_arg = next(
        arg
        for arg, (_, flt) in view._filter_args.items()
        if flt.name == "Активен" and "not" not in type(flt).__name__.lower()
    )
    inactive = client.get(f"/staff/?flt0_{active_arg}=0").get_data(as_text=True)
    assert "Зайцев" in inactive and "Петров" not in inactive
    # The role filter offers the roles that exist now, custom ones included.
    roles.create_role(None, code="librarian", name="Библиотекарь", source="system")
    html = client.get("/staff/").get_data(as_text=True)
    assert '["librarian", "\\u0411' in html  # the option (code, name) in the filters' JSON


# --- editing ------------------------------------------------------------------------------


def test_admin_edits_names_email_and_roles(client, login_as, make_staff):
    admin = login_as("admin")
    staff = make_staff("petrov", roles=["teacher"], last_name="Петров")
    response = client.post(
        f"/staff/edit/?id={staff.id}",
        data=_edit_form(staff, last_name="Петров-Водкин", email="p@school.ru", roles=["teacher", "deputy"]),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    staff = Staff.get_by_id(staff.id)
    assert (staff.last_name, staff.email) == ("Петров-Водкин", "p@school.ru")
    assert roles.staff_role_codes(staff) == {"teacher", "deputy"}
    audit_roles = AuditEntry.get((AuditEntry.action == "roles") & (AuditEntry.actor == admin.id))
    assert (audit_roles.before_data, audit_roles.after_data) == (
        {"roles": ["teacher"]},
        {"roles": ["deputy", "teacher"]},
    )
    update = AuditEntry.get((AuditEntry.action == "update") & (AuditEntry.actor == admin.id))
    assert (update.before_data["last_name"], update.after_data["last_name"]) == ("Петров", "Петров-Водкин")


def test_edit_form_ignores_password_token_and_uid(client, login_as, make_staff):
    login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    page = client.get(f"/staff/edit/?id={staff.id}").get_data(as_text=True)
    for name in ("password_hash", "session_token", "portal_uid", 'name="login"'):
        assert name not in page
    before = Staff.get_by_id(staff.id)
    data = _edit_form(staff, password_hash="x", session_token="stolen", portal_uid="7654321", login="hacker")
    assert client.post(f"/staff/edit/?id={staff.id}", data=data).status_code == 302
    after = Staff.get_by_id(staff.id)
    assert (after.password_hash, after.session_token, after.portal_uid, after.login) == (
        before.password_hash,
        before.session_token,
        before.portal_uid,
        before.login,
    )


def test_blocking_ends_the_persons_sessions(app, client, login_as, make_staff):
    login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    theirs = app.test_client()
    assert login(theirs, "petrov").status_code == 302
    assert theirs.get("/").status_code == 200
    assert client.post(f"/staff/edit/?id={staff.id}", data=_edit_form(staff, active="")).status_code == 302
    assert Staff.get_by_id(staff.id).active is False
    response = theirs.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(app.test_client(), "petrov").status_code == 401


def test_cannot_block_yourself(client, login_as, make_staff):
    make_staff("second-admin", roles=["admin"])
    admin = login_as("admin")
    before = _state()
    response = client.post(f"/staff/edit/?id={admin.id}", data=_edit_form(admin, active=""))
    assert response.status_code == 200
    assert "Нельзя заблокировать собственную учётную запись" in response.get_data(as_text=True)
    assert _state() == before
    assert client.get("/").status_code == 200


def test_the_last_administrator_keeps_their_rights(client, login_as):
    admin = login_as("admin")
    before = _state()
    response = client.post(f"/staff/edit/?id={admin.id}", data=_edit_form(admin, roles=["teacher"]))
    assert response.status_code == 200
    assert "Нельзя оставить систему без администратора" in response.get_data(as_text=True)
    assert _state() == before


def test_an_administrator_may_drop_their_role_when_another_remains(client, login_as, make_staff):
    make_staff("second-admin", roles=["admin"])
    admin = login_as("admin")
    response = client.post(f"/staff/edit/?id={admin.id}", data=_edit_form(admin, roles=["teacher"]))
    assert response.status_code == 302
    assert roles.staff_role_codes(admin) == {"teacher"}


def test_blocking_the_last_administrator_is_refused_in_the_service(make_staff):
    only = make_staff("boss", roles=["admin"])
    make_staff("petrov", roles=["teacher"])
    with pytest.raises(DomainError, match="без администратора"):
        staff_service.deactivate(only, None, source="system")
    assert Staff.get_by_id(only.id).active is True
    # With a second active administrator the first may be blocked.
    make_staff("boss2", roles=["admin"])
    staff_service.deactivate(Staff.get_by_id(only.id), None, source="system")
    assert Staff.get_by_id(only.id).active is False


# --- deleting -----------------------------------------------------------------------------


def test_deleting_staff_with_records_is_refused_with_a_hint(client, login_as, make_staff):
    login_as("admin")
    teacher = make_staff("petrov", roles=["teacher"])
    year = SchoolYear.create(name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31))
    ClassGroup.create(year=year, grade=5, letter="А", class_teacher=teacher)
    before = _state()
    response = client.post("/staff/delete/", data={"id": teacher.id}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Нельзя удалить" in html and "классы — 1" in html and "заблокируйте его" in html
    assert _state() == before


def test_deleting_staff_without_records_leaves_a_tombstone(client, login_as, make_staff):
    admin = login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    assert client.post("/staff/delete/", data={"id": staff.id}).status_code == 302
    assert Staff.get_or_none(Staff.id == staff.id) is None
    assert not StaffRole.select().where(StaffRole.staff == staff.id).exists()
    assert Tombstone.select().where((Tombstone.record_type == "staff") & (Tombstone.record_id == staff.id)).exists()
    entry = AuditEntry.get((AuditEntry.action == "delete") & (AuditEntry.model == "Staff"))
    assert entry.actor_id == admin.id and entry.before_data["roles"] == ["teacher"]


def test_cannot_delete_yourself(client, login_as, make_staff):
    make_staff("second-admin", roles=["admin"])
    admin = login_as("admin")
    before = _state()
    html = client.post("/staff/delete/", data={"id": admin.id}, follow_redirects=True).get_data(as_text=True)
    assert "Нельзя удалить собственную учётную запись" in html
    assert _state() == before


# --- administrator's password reset -------------------------------------------------------


def test_reset_password_ends_the_targets_sessions(app, client, login_as, make_staff):
    admin = login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    theirs = app.test_client()
    assert login(theirs, "petrov").status_code == 302
    page = client.get(f"/staff/password/?id={staff.id}")
    assert page.status_code == 200 and "Сбросить пароль" in page.get_data(as_text=True)
    response = client.post(f"/staff/password/?id={staff.id}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert theirs.get("/").status_code == 302  # their session is over
    assert client.get("/").status_code == 200  # the administrator's is not
    assert login(app.test_client(), "petrov", DEFAULT_PASSWORD).status_code == 401
    assert login(app.test_client(), "petrov", NEW_PASSWORD).status_code == 302
    entry = AuditEntry.get((AuditEntry.action == "password") & (AuditEntry.object_id == str(staff.id)))
    assert entry.actor_id == admin.id and NEW_PASSWORD not in (entry.after or "")


def test_reset_is_offered_in_the_list_and_the_edit_page(client, login_as, make_staff):
    login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    assert f"/staff/password/?id={staff.id}" in client.get("/staff/").get_data(as_text=True)
    assert f"/staff/password/?id={staff.id}" in client.get(f"/staff/edit/?id={staff.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [("short1", "short1", "Пароль слишком короткий"), (NEW_PASSWORD, NEW_PASSWORD + "x", "Пароли не совпадают")],
)
def test_reset_refuses_weak_or_mismatched_passwords(client, login_as, make_staff, password, confirm, message):
    login_as("admin")
    staff = make_staff("petrov", roles=["teacher"])
    before = _state()
    response = client.post(f"/staff/password/?id={staff.id}", data={"password": password, "confirm": confirm})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _state() == before


def test_reset_of_own_password_is_sent_to_the_account_page(client, login_as):
    admin = login_as("admin")
    before = _state()
    response = client.post(f"/staff/password/?id={admin.id}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 200
    assert "Свой пароль меняйте на странице «Сменить пароль»" in response.get_data(as_text=True)
    assert _state() == before


def test_reset_of_unknown_staff_is_404(client, login_as):
    login_as("admin")
    assert client.get("/staff/password/?id=999999").status_code == 404
    assert client.get("/staff/password/?id=abc").status_code == 404


def test_malformed_ids_are_answered_not_crashed_on(client, login_as):
    login_as("admin")
    for url in ("/staff/details/?id=abc", "/staff/edit/?id=1x", "/role/details/?id=abc", "/role/edit/?id=%20"):
        response = client.get(url)
        assert response.status_code == 302 and "/details/" not in response.headers["Location"], url


# --- who may open what --------------------------------------------------------------------


def _staff_urls(target_id):
    gets = ["/staff/", f"/staff/details/?id={target_id}", "/staff/new/", f"/staff/password/?id={target_id}"]
    posts = [
        ("/staff/new/", _new_staff_form()),
        (f"/staff/edit/?id={target_id}", {"last_name": "Взлом", "first_name": "Х", "roles": ["admin"]}),
        ("/staff/delete/", {"id": target_id}),
        ("/staff/action/", {"action": "delete", "rowid": target_id}),
        (f"/staff/password/?id={target_id}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ]
    return gets, posts


@pytest.mark.parametrize("role", ["teacher", "head", "deputy"])
def test_non_administrators_get_403(client, login_as, make_staff, role):
    target = make_staff("petrov", roles=["teacher"])
    login_as(role)
    before = _state()
    gets, posts = _staff_urls(target.id)
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    assert client.get(f"/staff/edit/?id={target.id}").status_code == 403
    assert _state() == before
    assert 'href="/staff/"' not in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, make_staff):
    target = make_staff("petrov", roles=["teacher"])
    before = _state()
    gets, posts = _staff_urls(target.id)
    for url in gets + [f"/staff/edit/?id={target.id}"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert _state() == before


def test_menu_shows_the_administration_section_to_the_administrator(client, login_as):
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "Администрирование" in html
    for href in ('href="/staff/"', 'href="/role/"', 'href="/uids/"'):
        assert href in html


# --- command line -------------------------------------------------------------------------


def test_cli_reset_password(app, runner, make_staff):
    staff = make_staff("petrov", roles=["teacher"])
    theirs = app.test_client()
    assert login(theirs, "petrov").status_code == 302
    result = runner.invoke(args=["staff", "reset-password", "Petrov", "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "изменён" in result.output
    assert theirs.get("/").status_code == 302
    assert login(app.test_client(), "petrov", NEW_PASSWORD).status_code == 302
    entry = AuditEntry.get((AuditEntry.action == "password") & (AuditEntry.object_id == str(staff.id)))
    assert entry.source == "cli" and entry.actor_id is None


def test_cli_reset_password_refuses_weak_password_and_unknown_login(runner, make_staff):
    staff = make_staff("petrov", roles=["teacher"])
    before = Staff.get_by_id(staff.id).password_hash
    weak = runner.invoke(args=["staff", "reset-password", "petrov", "--password", "12345"])
    assert weak.exit_code != 0 and "слишком короткий" in weak.output
    assert Staff.get_by_id(staff.id).password_hash == before
    unknown = runner.invoke(args=["staff", "reset-password", "nobody", "--password", NEW_PASSWORD])
    assert unknown.exit_code != 0 and "не найден" in unknown.output
