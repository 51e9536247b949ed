"""Deliver a finished package: into a directory (atomic rename) or to the portal over HTTP.

Packages are built into a file first (the directory's temporary name, or the HTTP spool), so a
retry after a 5xx, a timeout or a killed worker re-sends the very same bytes under the same
package id, with a known Content-Length.

The homework files' contents a package names (its content list, contents.py) go first: the
directory transport writes each into `files/<sha256>` beside the packages, the HTTP transport
uploads each to `<portal URL>/files/<sha256>` unless the portal says it holds it already. The
package follows only when every one of them is in place (docs/export-format.en.md, «Homework
files»).

A transport makes one attempt and never sleeps: an answer worth trying again later raises
`DeliveryDeferred`, and the run's job comes back after a back-off (`runs.py`); what was
delivered by then is not delivered again.
"""

import datetime as dt
import email.utils
import http.client
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from app.clock import from_stored, utcnow
from app.services.exports import format as fmt
from app.services.exports.contents import Content, ContentReader, ContentUnavailable
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
# Where the contents of homework files go: a folder of the outbox, a path under the portal URL.
FILES_DIRNAME = "files"
CONTENT_TYPE = "application/octet-stream"
# A PUT of a content is done when the portal answers one of these (stored, created, nothing to say).
CONTENT_STORED = frozenset({200, 201, 204})


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
    """Write packages into an outbox directory: built under a temporary name, then renamed at once.

    The contents a package names go first, each into `files/<sha256>` (written under a hidden
    temporary name, synced, renamed): a content present with its size already is not written again.
    """

    name = "directory"

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.files = self.directory / FILES_DIRNAME

    def final_path(self, package_id: str) -> Path:
        return self.directory / package_name(package_id)

    def content_path(self, sha256: str) -> Path:
        return self.files / sha256

    def _prepare_files(self) -> None:
        """Make files/ (durably) if it is not there; remove what killed attempts left half-written in it."""
        if not self.files.is_dir():
            self.files.mkdir(parents=True, exist_ok=True)
            fsync_directory(self.directory)
        # One exporter works at a time: a hidden file here is what a killed attempt left half-written.
        for leftover in self.files.glob(".*.part"):
            leftover.unlink(missing_ok=True)

    def _write_content(self, content: Content) -> bool:
        """Write one content into files/ unless it is there with its size; return whether it was written."""
        final = self.content_path(content.sha256)
        try:
            if final.stat().st_size == content.size:
                return False
        except FileNotFoundError:
            pass
        partial = self.files / f".{content.sha256}.{secrets.token_hex(4)}.part"
        try:
            with ContentReader(content) as reader, open(partial, "xb") as out:
                while block := reader.read():
                    out.write(block)
                reader.verify()
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        return True

    def write_contents(self, contents: Iterable[Content]) -> int:
        """Put every content into files/ (durably) before any package that names it; return how many were written."""
        written = 0
        prepared = False
        for content in contents:
            if not prepared:
                self._prepare_files()
                prepared = True
            written += self._write_content(content)
        if written:
            fsync_directory(self.files)
        return written

    def deliver(self, built: Path, package_id: str, contents: Iterable[Content]) -> str:
        """Write the package's contents into files/, then rename the built file to its final name; return a note."""
        final = self.final_path(package_id)
        if built != final and not built.exists() and not final.exists():
            raise ExportError(
                f"Файл пакета {built.name} пропал до того, как попал в каталог выгрузки. "
                "Изменения не потеряны: они уйдут со следующей выгрузкой."
            )
        written = self.write_contents(contents)
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
        files = f" Файлов к домашним заданиям записано в {FILES_DIRNAME}/: {written}." if written else ""
        return f"Файл {final.name} записан в каталог {self.directory}.{files}"


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
    """POST packages to the portal: bearer token, gzip, Idempotency-Key, timeouts; one attempt per call.

    Before the package, each content it names: `HEAD <portal URL>/files/<sha256>` (200: the portal
    holds it; 404: it does not), and for one it does not hold `PUT` of the raw bytes to the same URL.
    """

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

    def _content_path(self, sha256: str) -> str:
        # The portal URL's path, then /files/<sha256> (the query string goes with every request).
        return f"{self._parts.path.rstrip('/')}/{FILES_DIRNAME}/{sha256}"

    def _target(self, path: str) -> str:
        return path + ("?" + self._parts.query if self._parts.query else "")

    def _headers(self, **extra) -> dict:
        headers = {**extra, "User-Agent": "ejournal-export/1"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def _exchange(self, method: str, path: str, headers: dict, body=None, size: int = 0, sent=None):
        """Make one request on its own connection; return (status, text, Retry-After).

        `sent()`, if given, runs once the body is out and before the answer is read.
        """
        if self._on_attempt:
            self._on_attempt()
        connection = self._connection(size)
        try:
            connection.request(method, self._target(path), body=body, headers=headers)
            if sent:
                sent()
            response = connection.getresponse()
            text = response.read(RESPONSE_TEXT_LIMIT * 4).decode("utf-8", "replace")
            return response.status, text[:RESPONSE_TEXT_LIMIT], response.getheader("Retry-After")
        finally:
            connection.close()

    def _post_once(self, path: Path, package_id: str) -> tuple[int, str, str | None]:
        size = path.stat().st_size
        headers = self._headers(
            **{
                "Content-Type": fmt.MEDIA_TYPE,
                "Content-Encoding": "gzip",
                "Content-Length": str(size),
                "Idempotency-Key": package_id,
            }
        )
        with open(path, "rb") as body:
            return self._exchange("POST", self._parts.path or "/", headers, body, size)

    @staticmethod
    def _later(status: int, text: str, retry_after: str | None, what: str) -> DeliveryDeferred | None:
        """Return the deferral for an answer that says "later" (5xx, 408, 429), else None."""
        if status >= 500 or status in RETRYABLE_STATUSES:
            problem = f"ошибка портала HTTP {status}{what}: {text or '(пусто)'}"
            return DeliveryDeferred(problem, retry_after_seconds(retry_after))
        return None

    def _holds(self, content: Content) -> bool:
        """Ask the portal whether it holds a content (HEAD): True on 200, False on 404."""
        path = self._content_path(content.sha256)
        try:
            status, text, retry_after = self._exchange("HEAD", path, self._headers())
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryDeferred(f"портал не ответил ({type(exc).__name__}: {exc})") from None
        if status == 200:
            return True
        if status == 404:
            return False
        what = f" на запрос файла «{content.name}»"
        later = self._later(status, text, retry_after, what)
        if later is not None:
            raise later
        raise ExportError(
            f"Портал отклонил запрос файла «{content.name}»: HTTP {status}. Ответ портала: {text or '(пусто)'}"
        )

    def _upload(self, content: Content) -> None:
        """PUT one content's raw bytes, checking on the way that they are the recorded ones."""
        try:
            if content.path.stat().st_size != content.size:
                raise ContentUnavailable(content, "changed")
        except FileNotFoundError:
            raise ContentUnavailable(content, "missing") from None
        headers = self._headers(**{"Content-Type": CONTENT_TYPE, "Content-Length": str(content.size)})
        with ContentReader(content) as reader:
            try:
                status, text, retry_after = self._exchange(
                    "PUT", self._content_path(content.sha256), headers, reader, content.size, sent=reader.verify
                )
            except (OSError, http.client.HTTPException) as exc:
                raise DeliveryDeferred(f"портал не ответил ({type(exc).__name__}: {exc})") from None
        if status in CONTENT_STORED:
            return
        later = self._later(status, text, retry_after, f" при отправке файла «{content.name}»")
        if later is not None:
            raise later
        raise ExportError(f"Портал отклонил файл «{content.name}»: HTTP {status}. Ответ портала: {text or '(пусто)'}")

    def send_contents(self, contents: Iterable[Content]) -> int:
        """Upload every content the portal does not hold yet; return how many were uploaded."""
        uploaded = 0
        for content in contents:
            if not self._holds(content):
                self._upload(content)
                uploaded += 1
        return uploaded

    def deliver(self, built: Path, package_id: str, contents: Iterable[Content]) -> str:
        """Send the contents the portal lacks, then the package, once each.

        Raise DeliveryDeferred when the portal may take them later, ExportError on a refusal,
        ContentUnavailable when a content to send is not in the upload folder as recorded.
        """
        if not built.exists():
            raise ExportError(
                f"Файл пакета {built.name} пропал до отправки. Изменения не потеряны: они уйдут со следующей выгрузкой."
            )
        uploaded = self.send_contents(contents)
        try:
            status, text, retry_after = self._post_once(built, package_id)
        except (OSError, http.client.HTTPException) as exc:
            raise DeliveryDeferred(f"портал не ответил ({type(exc).__name__}: {exc})") from None
        if 200 <= status < 300:
            files = f" Файлов к домашним заданиям отправлено: {uploaded}." if uploaded else ""
            return f"Портал принял пакет (HTTP {status}). {text}".strip() + files
        later = self._later(status, text, retry_after, "")
        if later is not None:
            raise later
        raise ExportError(f"Портал отклонил пакет: HTTP {status}. Ответ портала: {text or '(пусто)'}")
