"""Staff accounts: creation, login names, deactivation."""

import re

from app.db import db
from app.models import Staff
from app.models.people import new_session_token
from app.services import audit, roles
from app.services.auth import hash_password, validate_password
from app.services.errors import DomainError

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def normalize_login(login: str) -> str:
    """Return the login in its stored form (trimmed, lower case), or refuse a malformed one."""
    login = (login or "").strip().lower()
    if not LOGIN_RE.match(login):
        raise DomainError(
            "Логин: от 2 до 64 символов — латинские буквы, цифры, точка, дефис или подчёркивание.", "login"
        )
    return login


def create_staff(actor, *, login, last_name, first_name, middle_name=None, password=None, role_codes=(), source="panel", check_strength=True) -> Staff:
    """Create a staff member with roles and (optionally) a password, audited."""
    login = normalize_login(login)
    if Staff.select().where(Staff.login == login).exists():
        raise DomainError(f"Логин «{login}» уже занят.", "login")
    if password is not None and check_strength:
        validate_password(password, login)
    with db.atomic():
        staff = Staff.create(
            login=login,
            last_name=last_name.strip(),
            first_name=first_name.strip(),
            middle_name=(middle_name or "").strip() or None,
            password_hash=hash_password(password) if password else "",
        )
        audit.record(actor, "create", staff, after=staff.snapshot(), source=source)
        if role_codes:
            roles.set_staff_roles(staff, role_codes, actor, source=source)
    return staff


def deactivate(staff: Staff, actor, *, source="panel") -> None:
    """Block a staff member's login and end their sessions; their records stay."""
    if actor is not None and staff.id == actor.id:
        raise DomainError("Нельзя заблокировать собственную учётную запись.")
    before = staff.snapshot()
    with db.atomic():
        staff.active = False
        staff.session_token = new_session_token()
        staff.save()
        audit.record(actor, "update", staff, before=before, after=staff.snapshot(), source=source)
