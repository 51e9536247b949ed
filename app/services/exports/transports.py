"""Deliver a finished package: into a directory (atomic rename) or to the portal over HTTP.

Packages are built into a file first (the directory's temporary name, or the HTTP spool), so a
retry after a 5xx, a timeout or a killed worker re-sends the very same bytes under the same
package id, with a known Content-Length.

A transport makes one attempt and never sleeps: an answer worth trying again later raises
`DeliveryDeferred`, and the run's job comes back after a back-off (`runs.py`).
"""

import datetime as dt
import email.utils
import http.client
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from app.clock import from_stored, utcnow
from app.services.exports import format as fmt
from app.services.exports.errors import DeliveryDeferred, ExportError

# The longest wait between two tries of our own back-off, and the longest Retry-After we follow
# (a portal asking for a day is retried within the hour; the run fails when the tries are spent).
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 3600.0
# Answers that say "later", not "never": a request timeout, too many requests, unavailable (and 5xx).
RETRYABLE_STATUSES = frozenset({408, 429})
# The portal checks the whole package (gzip, schema, counts, checksum) before it answers: the
# wait for its answer grows with the package, on top of the configured timeout.
SECONDS_PER_MIB = 5.0
MIB = 1024 * 1024
RESPONSE_TEXT_LIMIT = 2000
UPLOAD_BLOCK = 64 * 1024


def fsync_directory(path: Path) -> None:
    """Make a rename inside a directory durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def package_name(package_id: str) -> str:
    """Return the file name of a delivered package."""
    return f"{package_id}{fmt.FILE_SUFFIX}"


def temporary_name(package_id: str, owner: str) -> str:
    """Return the name a package is built under: hidden, unique to the exporter that builds it."""
    return f".{package_id}.{owner}.part"


def partial_files(directory: Path, package_id: str) -> list[Path]:
    """Return the temporary files of a package in a directory, whoever was building them."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f".{package_id}.*.part"))


def answer_timeout(base: float, size: int, per_mib: float = SECONDS_PER_MIB) -> float:
    """Return how long to wait for the portal's answer to a package of `size` bytes: `base` plus per_mib a MiB."""
    return base + per_mib * size / MIB


class DirectoryTransport:
    """Write packages into an outbox directory: built under a temporary name, then renamed at once."""

    name = "directory"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def final_path(self, package_id: str) -> Path:
        return self.directory / package_name(package_id)

    def deliver(self, built: Path, package_id: str) -> str:
        """Rename the built file to its final name; return a note for the history."""
        final = self.final_path(package_id)
        try:
            os.replace(built, final)
        except FileNotFoundError:
            # An earlier attempt renamed it already; the portal's pickup may even have taken it.
            if built != final and not final.exists():
                raise ExportError(
                    f"Файл пакета {built.name} пропал до того, как попал в каталог выгрузки. "
                    "Изменения не потеряны: они уйдут со следующей выгрузкой."
                ) from None
        fsync_directory(self.directory)
        return f"Файл {final.name} записан в каталог {self.directory}."


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Return the wait a Retry-After header asks for (seconds or an HTTP date), capped; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment is None or moment.tzinfo is None:
            return None
        now = now or from_stored(utcnow())
        seconds = (moment - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff_seconds(attempt: int, first_delay: float, retry_after: float | None = None) -> float:
    """Return the wait before try `attempt + 1`: the portal's Retry-After if it gave one, else doubling waits."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return min(first_delay * 2 ** (attempt - 1), MAX_BACKOFF)


class HttpTransport:
    """POST packages to the portal: bearer token, gzip, Idempotency-Key, timeouts; one attempt per call."""

    name = "http"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 300,
        timeout_per_mib: float = SECONDS_PER_MIB,
        on_attempt: Callable[[], None] | None = None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ExportError(f"Адрес портала «{url}» не похож на адрес http(s)://…")
        self.url = url
        self._parts = parts
        self._token = token
        self.timeout = timeout
        self.timeout_per_mib = timeout_per_mib
        self._on_attempt = on_attempt

    def __repr__(self):
        # Never show the token.
        return f"HttpTransport({self.url!r})"

    def _connection(self, size: int):
        parts = self._parts
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        timeout = answer_timeout(self.timeout, size, self.timeout_per_mib)
        return cls(parts.hostname, parts.port, timeout=timeout, blocksize=UPLOAD_BLOCK)

    def _post_once(self, path: Path, package_id: str) -> tuple[int, str, str | None]:
        size = path.stat().st_size
        target = self._parts.path or "/"
        if self._parts.query:
            target += "?" + self._parts.query
        headers = {
            "Content-Type": fmt.MEDIA_TYPE,
            "Content-Encoding": "gzip",
            "Content-Length": str(size),
            "Idempotency-Key": package_id,
            "User-Agent": "ejournal-export/1",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        connection = self._connection(size)
        try:
            with open(path, "rb") as body:
                connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(RESPONSE_TEXT_LIMIT * 4).decode("utf-8", "replace")
            return response.status, text[:RESPONSE_TEXT_LIMIT], response.getheader("Retry-After")
        finally:
            connection.close()

    def deliver(self, built: Path, package_id: str) -> str:
        """Send the package once; raise DeliveryDeferred when the portal may take it later, ExportError on a refusal."""
        if not built.exists():
            raise ExportError(
                f"Файл пакета {built.name} пропал до отправки. Изменения не потеряны: они уйдут со следующей выгрузкой."
            )
        if self._on_attempt:
            self._on_attempt()
        try:
            status, text, retry_after = self._post_once(built, package_id)
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryDeferred(f"портал не ответил ({type(exc).__name__}: {exc})") from None
        if 200 <= status < 300:
            return f"Портал принял пакет (HTTP {status}). {text}".strip()
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise DeliveryDeferred(
                f"ошибка портала HTTP {status}: {text or '(пусто)'}", retry_after_seconds(retry_after)
            )
        raise ExportError(f"Портал отклонил пакет: HTTP {status}. Ответ портала: {text or '(пусто)'}")
