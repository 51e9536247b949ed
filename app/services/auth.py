"""Passwords, login and its throttling."""

import datetime as dt
import math
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from peewee import fn
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import db
from app.models import LoginAttempt, Staff
from app.models.people import new_session_token
from app.services import audit
from app.services.errors import DomainError

DEFAULT_HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 8
COMMON_PASSWORDS = {"password", "12345678", "123456789", "qwerty123", "password1", "11111111", "йцукенгш"}


class LoginThrottled(DomainError):
    """Too many failed attempts for this login or address: wait `retry_after` before the next try."""

    status = 429

    def __init__(self, message: str, retry_after: dt.timedelta):
        super().__init__(message)
        self.retry_after = retry_after


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


def hash_password(password: str, method: str = DEFAULT_HASH_METHOD) -> str:
    """Return a salted hash of the password, made with werkzeug's `method`."""
    return generate_password_hash(password, method=method)


def set_password(
    staff: Staff, password: str, actor, *, source="panel", check_strength=True, hash_method=DEFAULT_HASH_METHOD
) -> None:
    """Set a staff member's password and end their other sessions."""
    if check_strength:
        validate_password(password, staff.login)
    with db.atomic():
        staff.password_hash = hash_password(password, hash_method)
        staff.session_token = new_session_token()
        staff.save()
        audit.record(actor, "password", staff, after={"password": "изменён"}, source=source)


def change_own_password(staff: Staff, current: str, new: str, *, hash_method=DEFAULT_HASH_METHOD) -> None:
    """Let a staff member change their own password after proving the current one."""
    if not _password_matches(staff, current, hash_method):
        raise DomainError("Текущий пароль введён неверно.", "current")
    if current == new:
        raise DomainError("Новый пароль совпадает с текущим.", "password")
    set_password(staff, new, staff, hash_method=hash_method)


@dataclass(frozen=True)
class Backoff:
    """How failed logins slow down: `free` failures in a row, then `first` doubling up to `longest`."""

    free: int = 5
    address_free: int = 20
    first: dt.timedelta = dt.timedelta(seconds=30)
    longest: dt.timedelta = dt.timedelta(hours=1)
    memory: dt.timedelta = dt.timedelta(days=1)

    def delay(self, failures: int, free: int) -> dt.timedelta:
        """Return how long to wait after `failures` failures in a row when `free` of them cost nothing."""
        if failures < free:
            return dt.timedelta(0)
        # Capped exponent: 2**40 × 30 s is far beyond any cap, and no overflow on a huge count.
        return min(self.first * 2 ** min(failures - free, 40), self.longest)


def _failures_since_success(where, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Count the failures matching `where` after its last success (and after `since`); return the last one's time."""
    last_success = LoginAttempt.select(fn.MAX(LoginAttempt.id)).where(where & (LoginAttempt.success == True))  # noqa: E712
    row = (
        LoginAttempt.select(fn.COUNT(LoginAttempt.id), fn.MAX(LoginAttempt.at))
        .where(
            where
            & (LoginAttempt.success == False)  # noqa: E712
            & (LoginAttempt.at >= since)
            & (LoginAttempt.id > fn.COALESCE(last_success, 0))
        )
        .tuples()
        .first()
    )
    return (row[0], row[1]) if row else (0, None)


def retry_after(login: str, address: str, backoff: Backoff, now: dt.datetime) -> dt.timedelta:
    """Return how long this login from this address must wait before the next try (zero: it may try now)."""
    since = now - backoff.memory
    waits = [dt.timedelta(0)]
    for where, free in (
        ((LoginAttempt.login == login) & (LoginAttempt.address == address), backoff.free),
        (LoginAttempt.address == address, backoff.address_free),
    ):
        failures, last = _failures_since_success(where, since)
        if last is not None:
            waits.append(last + backoff.delay(failures, free) - now)
    return max(waits)


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def wait_text(wait: dt.timedelta) -> str:
    """Return a wait as a person reads it: «40 секунд», «3 минуты» (rounded up)."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} {_plural(seconds, 'секунду', 'секунды', 'секунд')}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} {_plural(minutes, 'минуту', 'минуты', 'минут')}"


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    """Return a hash of a random password made with `method`, computed once per method."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _password_matches(staff: Staff | None, password: str, hash_method: str) -> bool:
    """Check the password against the staff member's hash, or against a dummy one: the same work either way."""
    usable = staff is not None and staff.active and bool(staff.password_hash)
    stored = staff.password_hash if usable else _dummy_hash(hash_method)
    try:
        ok = check_password_hash(stored, password)
    except ValueError:  # a hash in a format werkzeug no longer reads
        ok = False
    return ok and usable


def authenticate(
    login: str,
    password: str,
    address: str,
    *,
    now: dt.datetime,
    backoff: Backoff = Backoff(),
    hash_method: str = DEFAULT_HASH_METHOD,
):
    """Return the active staff member with these credentials, or None; back off repeated failures.

    `now` is the stored form of the current instant (naive UTC). Unknown, inactive and password-less
    logins cost one password check like any other, so timing does not tell which logins exist.
    """
    login = (login or "").strip().lower()[:64]
    address = (address or "")[:64]
    wait = retry_after(login, address, backoff, now)
    if wait > dt.timedelta(0):
        raise LoginThrottled(
            f"Слишком много неудачных попыток входа. Попробуйте снова через {wait_text(wait)} "
            "или обратитесь к администратору.",
            retry_after=wait,
        )
    staff = Staff.get_or_none(Staff.login == login)
    ok = _password_matches(staff, password, hash_method)
    LoginAttempt.create(login=login, address=address, success=ok, at=now)
    return staff if ok else None


def end_sessions(staff: Staff) -> None:
    """End every open session of this staff member (on every device) by rotating the session token."""
    staff.session_token = new_session_token()
    # Only the token (and the change number the save takes): a concurrent edit of the person survives.
    staff.save(only=[Staff.session_token, Staff.change_no])


def purge_login_attempts(settings, *, now: dt.datetime) -> int:
    """Delete login attempts older than the school's retention period before `now` (stored naive UTC)."""
    cutoff = now - dt.timedelta(days=settings.login_log_keep_days)
    return LoginAttempt.delete().where(LoginAttempt.at < cutoff).execute()
