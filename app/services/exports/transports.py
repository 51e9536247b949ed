"""Deliver a finished package: into a directory (atomic rename) or to the portal over HTTP.

Packages are built into a file first (the directory's temporary name, or the HTTP spool), so a
retry after a 5xx, a timeout or a killed worker re-sends the very same bytes under the same
package id, with a known Content-Length.
"""

import http.client
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from app.services.exports import format as fmt
from app.services.exports.errors import ExportError

MAX_BACKOFF = 60.0
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


class HttpTransport:
    """POST packages to the portal: bearer token, gzip, Idempotency-Key, timeouts, bounded retries."""

    name = "http"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 300,
        timeout_per_mib: float = SECONDS_PER_MIB,
        retries: int = 3,
        retry_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        on_attempt: Callable[[int], None] | None = None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ExportError(f"Адрес портала «{url}» не похож на адрес http(s)://…")
        self.url = url
        self._parts = parts
        self._token = token
        self.timeout = timeout
        self.timeout_per_mib = timeout_per_mib
        self.retries = retries
        self.retry_delay = retry_delay
        self._sleep = sleep
        self._on_attempt = on_attempt

    def __repr__(self):
        # Never show the token.
        return f"HttpTransport({self.url!r})"

    def _connection(self, size: int):
        parts = self._parts
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        timeout = answer_timeout(self.timeout, size, self.timeout_per_mib)
        return cls(parts.hostname, parts.port, timeout=timeout, blocksize=UPLOAD_BLOCK)

    def _post_once(self, path: Path, package_id: str) -> tuple[int, str]:
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
            return response.status, text[:RESPONSE_TEXT_LIMIT]
        finally:
            connection.close()

    def deliver(self, built: Path, package_id: str) -> str:
        """Send the package; retry network errors and 5xx with doubling waits; refuse on anything else."""
        if not built.exists():
            raise ExportError(
                f"Файл пакета {built.name} пропал до отправки. Изменения не потеряны: они уйдут со следующей выгрузкой."
            )
        attempt = 0
        while True:
            attempt += 1
            if self._on_attempt:
                self._on_attempt(attempt)
            try:
                status, text = self._post_once(built, package_id)
            except (OSError, http.client.HTTPException) as exc:
                problem = f"портал не ответил ({type(exc).__name__}: {exc})"
            else:
                if 200 <= status < 300:
                    return f"Портал принял пакет (HTTP {status}). {text}".strip()
                if status < 500:
                    raise ExportError(f"Портал отклонил пакет: HTTP {status}. Ответ портала: {text or '(пусто)'}")
                problem = f"ошибка портала HTTP {status}: {text or '(пусто)'}"
            if attempt > self.retries:
                raise ExportError(
                    f"Пакет не доставлен после {attempt} попыток: {problem}. "
                    "Изменения не потеряны: они уйдут со следующей выгрузкой."
                )
            self._sleep(min(self.retry_delay * 2 ** (attempt - 1), MAX_BACKOFF))
