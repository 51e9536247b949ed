"""Passwords, login and its throttling."""

import datetime as dt
import re

from werkzeug.security import check_password_hash, generate_password_hash

from app.db import db
from app.models import LoginAttempt, Staff
from app.models.people import new_session_token
from app.services import audit
from app.services.errors import DomainError

MIN_PASSWORD_LENGTH = 8
COMMON_PASSWORDS = {"password", "12345678", "123456789", "qwerty123", "password1", "11111111", "йцукенгш"}


class LoginThrottled(DomainError):
    """Too many failed attempts for this login or address."""


def validate_password(password: str, login: str = "") -> None:
    """Refuse a weak password with a message saying what is wrong."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_LENGTH} символов.", "password")
    if not re.search(r"[A-Za-zА-Яа-яЁё]", password) or not re.search(r"\d", password):
        raise DomainError("Пароль должен содержать и буквы, и цифры.", "password")
    if password.lower() in COMMON_PASSWORDS or (login and login.lower() in password.lower()):
        raise DomainError(
            "Пароль слишком простой: он не должен совпадать с логином или быть распространённым.", "password"
        )


def hash_password(password: str) -> str:
    """Return a salted hash of the password."""
    return generate_password_hash(password)


def set_password(staff: Staff, password: str, actor, *, source="panel", check_strength=True) -> None:
    """Set a staff member's password and end their other sessions."""
    if check_strength:
        validate_password(password, staff.login)
    with db.atomic():
        staff.password_hash = hash_password(password)
        staff.session_token = new_session_token()
        staff.save()
        audit.record(actor, "password", staff, after={"password": "изменён"}, source=source)


def change_own_password(staff: Staff, current: str, new: str) -> None:
    """Let a staff member change their own password after proving the current one."""
    if not check_password_hash(staff.password_hash or "", current):
        raise DomainError("Текущий пароль введён неверно.", "current")
    if current == new:
        raise DomainError("Новый пароль совпадает с текущим.", "password")
    set_password(staff, new, staff)


def _recent_failures(field, value, since) -> int:
    return (
        LoginAttempt.select()
        .where((field == value) & (LoginAttempt.success == False) & (LoginAttempt.at >= since))  # noqa: E712
        .count()
    )


def authenticate(login: str, password: str, address: str, *, max_failures: int, window: dt.timedelta, now=None):
    """Return the active staff member with these credentials, or None; throttle repeated failures."""
    now = now or dt.datetime.now()
    login = (login or "").strip().lower()
    since = now - window
    if (
        _recent_failures(LoginAttempt.login, login, since) >= max_failures
        or _recent_failures(LoginAttempt.address, address, since) >= max_failures * 4
    ):
        minutes = int(window.total_seconds() // 60)
        raise LoginThrottled(
            f"Слишком много неудачных попыток входа. Попробуйте снова через {minutes} минут "
            "или обратитесь к администратору."
        )
    staff = Staff.get_or_none(Staff.login == login)
    ok = bool(staff and staff.active and staff.password_hash and check_password_hash(staff.password_hash, password))
    LoginAttempt.create(login=login[:64], address=address[:64], success=ok, at=now)
    return staff if ok else None


LOGIN_ATTEMPT_RETENTION = dt.timedelta(days=90)


def purge_login_attempts(now=None) -> int:
    """Delete login attempts older than the retention period (personal data is kept no longer than needed)."""
    cutoff = (now or dt.datetime.now()) - LOGIN_ATTEMPT_RETENTION
    return LoginAttempt.delete().where(LoginAttempt.at < cutoff).execute()
