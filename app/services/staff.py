"""Staff accounts: creation, editing, blocking, deletion and administrator password resets."""

import re

from app.db import db
from app.models import Staff, StaffRole
from app.models.people import new_session_token
from app.services import audit, auth, records, roles
from app.services.auth import DEFAULT_HASH_METHOD, hash_password, validate_password
from app.services.errors import DomainError

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_login(login: str) -> str:
    """Return the login in its stored form (trimmed, lower case), or refuse a malformed one."""
    login = (login or "").strip().lower()
    if not LOGIN_RE.match(login):
        raise DomainError(
            "Логин: от 2 до 64 символов — латинские буквы, цифры, точка, дефис или подчёркивание.", "login"
        )
    return login


def normalize_email(email: str | None) -> str | None:
    """Return the e-mail address trimmed (None when empty), or refuse a malformed one."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > Staff.email.max_length or not EMAIL_RE.match(email):
        raise DomainError("Адрес электронной почты указан неверно (пример: ivanova@school.ru).", "email")
    return email


def _clean_names(last_name, first_name, middle_name) -> tuple[str, str, str | None]:
    last = (last_name or "").strip()
    first = (first_name or "").strip()
    middle = (middle_name or "").strip() or None
    if not last:
        raise DomainError("Укажите фамилию.", "last_name")
    if not first:
        raise DomainError("Укажите имя.", "first_name")
    limit = Staff.last_name.max_length
    if any(len(part) > limit for part in (last, first, middle or "")):
        raise DomainError(f"Фамилия, имя и отчество — не длиннее {limit} символов каждое.", "last_name")
    return last, first, middle


def create_staff(
    actor,
    *,
    login,
    last_name,
    first_name,
    middle_name=None,
    email=None,
    password=None,
    role_codes=(),
    source="panel",
    check_strength=True,
    hash_method=DEFAULT_HASH_METHOD,
) -> Staff:
    """Create a staff member with roles and (optionally) a password, audited."""
    login = normalize_login(login)
    last_name, first_name, middle_name = _clean_names(last_name, first_name, middle_name)
    email = normalize_email(email)
    if Staff.select().where(Staff.login == login).exists():
        raise DomainError(f"Логин «{login}» уже занят.", "login")
    if password is not None and check_strength:
        validate_password(password, login)
    with db.atomic():
        staff = Staff.create(
            login=login,
            last_name=last_name,
            first_name=first_name,
            middle_name=middle_name,
            email=email,
            password_hash=hash_password(password, hash_method) if password else "",
        )
        audit.record(actor, "create", staff, after=staff.snapshot(), source=source)
        if role_codes:
            roles.set_staff_roles(staff, role_codes, actor, source=source)
    return staff


def update_staff(
    staff: Staff,
    actor,
    *,
    last_name,
    first_name,
    middle_name=None,
    email=None,
    active=True,
    role_codes=None,
    source="panel",
) -> None:
    """Change a staff member's names, e-mail, activity and (unless None) roles in one audited transaction.

    Blocking someone ends their sessions; nobody blocks themselves, and the school never
    loses its last active staff member able to manage staff and rights.
    """
    last_name, first_name, middle_name = _clean_names(last_name, first_name, middle_name)
    email = normalize_email(email)
    active = bool(active)
    blocking = staff.active and not active
    if blocking and actor is not None and actor.id == staff.id:
        raise DomainError("Нельзя заблокировать собственную учётную запись.", "active")
    before = staff.snapshot()
    values = {
        "last_name": last_name,
        "first_name": first_name,
        "middle_name": middle_name,
        "email": email,
        "active": active,
    }
    changed = any(getattr(staff, name) != value for name, value in values.items())
    with db.atomic():
        managers = roles.lock_managers()
        if changed:
            for name, value in values.items():
                setattr(staff, name, value)
            if blocking:
                staff.session_token = new_session_token()
            staff.save()
            audit.record(actor, "update", staff, before=before, after=staff.snapshot(), source=source)
        if role_codes is not None:
            roles.set_staff_roles(staff, role_codes, actor, source=source)
        roles.ensure_manager_remains(managers)


def deactivate(staff: Staff, actor, *, source="panel") -> None:
    """Block a staff member's login and end their sessions; their records stay."""
    update_staff(
        staff,
        actor,
        last_name=staff.last_name,
        first_name=staff.first_name,
        middle_name=staff.middle_name,
        email=staff.email,
        active=False,
        source=source,
    )


def reset_password(staff: Staff, password: str, actor, *, source="panel", hash_method=DEFAULT_HASH_METHOD) -> None:
    """Let an administrator give a staff member a new password; that person's sessions end."""
    if actor is not None and actor.id == staff.id:
        raise DomainError(
            "Свой пароль меняйте на странице «Сменить пароль»: там нужно ввести текущий пароль.", "password"
        )
    auth.set_password(staff, password, actor, source=source, hash_method=hash_method)


def delete_staff(staff: Staff, actor, *, source="panel") -> None:
    """Delete a staff member who has no records, audited; suggest blocking instead when they have some."""
    if actor is not None and actor.id == staff.id:
        raise DomainError("Нельзя удалить собственную учётную запись.")
    try:
        records.ensure_deletable(staff)
    except DomainError as exc:
        raise DomainError(
            f"{exc.message} Чтобы закрыть сотруднику доступ, заблокируйте его: снимите отметку «Активен»."
        ) from exc
    before = dict(staff.snapshot(), roles=sorted(roles.staff_role_codes(staff)))
    with db.atomic():
        managers = roles.lock_managers()
        # Their role assignments are part of the account, not records of the school.
        StaffRole.delete().where(StaffRole.staff == staff.id).execute()
        staff.delete_instance()
        roles.ensure_manager_remains(managers)
        audit.record(actor, "delete", staff, before=before, source=source)
