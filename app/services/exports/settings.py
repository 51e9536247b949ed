"""The export settings (R5.1): on/off, daily time, day of the monthly full export, transport, token."""

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from app.db import db
from app.models import ExportSettings
from app.models.exports import DEFAULT_HTTP_TIMEOUT, TRANSPORTS, utcnow
from app.permissions import Perm
from app.services import access, audit
from app.services.errors import AccessDenied, DomainError


def get_settings() -> ExportSettings:
    """Return the export settings row."""
    return ExportSettings.load()


def _check_number(value, low, high, message, field, cast=int):
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise DomainError(message, field) from None
    if not low <= number <= high:
        raise DomainError(message, field)
    return number


def update_settings(
    actor,
    *,
    enabled: bool,
    daily_time: dt.time,
    full_day,
    transport: str,
    directory: str = "",
    portal_url: str = "",
    token: str | None = None,
    clear_token: bool = False,
    http_timeout=DEFAULT_HTTP_TIMEOUT,
    http_retries=3,
    http_retry_delay=2.0,
    source: str = "panel",
) -> ExportSettings:
    """Change the export settings, audited; a token is only ever written, never shown or audited.

    `token=None` (or empty) keeps the stored token; `clear_token=True` removes it.
    """
    if actor is not None and not access.can(actor, Perm.EXPORTS_RUN):
        raise AccessDenied()
    if not isinstance(daily_time, dt.time):
        raise DomainError("Укажите время ежедневной выгрузки, например 20:00.", "daily_time")
    full_day = _check_number(
        full_day, 1, 28, "День полной выгрузки — число от 1 до 28 (есть в каждом месяце).", "full_day"
    )
    if transport not in dict(TRANSPORTS):
        raise DomainError("Способ доставки: каталог или портал по HTTP.", "transport")
    directory = (directory or "").strip()
    if directory and not Path(directory).is_absolute():
        raise DomainError(
            "Каталог выгрузки — полный путь (например, /srv/ejournal/outbox) или пусто для каталога по умолчанию.",
            "directory",
        )
    portal_url = (portal_url or "").strip()
    if portal_url:
        parts = urlsplit(portal_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DomainError(
                "Адрес портала должен начинаться с https:// (или http://) и содержать имя сервера.", "portal_url"
            )
    http_timeout = _check_number(
        http_timeout, 1, 3600, "Время ожидания ответа портала — от 1 до 3600 секунд.", "http_timeout"
    )
    http_retries = _check_number(http_retries, 0, 10, "Число повторных попыток — от 0 до 10.", "http_retries")
    http_retry_delay = _check_number(
        http_retry_delay, 0, 60, "Пауза перед повтором — от 0 до 60 секунд.", "http_retry_delay", float
    )

    settings = ExportSettings.load()
    new_token = settings.token
    if clear_token:
        new_token = ""
    elif token:
        new_token = token.strip()
    if transport == "http":
        if not portal_url:
            raise DomainError("Для доставки на портал укажите адрес портала.", "portal_url")
        if not new_token:
            raise DomainError("Для доставки на портал укажите токен доступа, выданный порталом.", "token")

    before = settings.snapshot()
    # A schedule switched on or moved to another time has had no chance to run yet (no false "overdue").
    schedule_moved = (bool(enabled) and not settings.enabled) or (
        bool(enabled) and settings.daily_time != daily_time.replace(second=0, microsecond=0)
    )
    token_changed = new_token != settings.token
    with db.atomic():
        settings.enabled = bool(enabled)
        settings.daily_time = daily_time.replace(second=0, microsecond=0)
        settings.full_day = full_day
        settings.transport = transport
        settings.directory = directory
        settings.portal_url = portal_url
        settings.token = new_token
        settings.http_timeout = http_timeout
        settings.http_retries = http_retries
        settings.http_retry_delay = http_retry_delay
        settings.updated_at = utcnow()
        if schedule_moved:
            settings.schedule_since = settings.updated_at
        settings.updated_by_name = actor.full_name if actor is not None else "система"
        settings.save()
        after = settings.snapshot()
        if token_changed:
            # Only the fact that the token changed, never its value.
            after["token"] = "изменён" if new_token else "удалён"
        audit.record(actor, "update", settings, before=before, after=after, source=source)
    return settings
