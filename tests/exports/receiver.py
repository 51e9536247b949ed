"""The reference receiver: a small real HTTP server that plays the portal.

It checks every package against docs/export-package.schema.json and the format's rules
(header first, trailer last, counts and checksum), drops a package it has applied already
(by package id), applies deletes and upserts to its own store — a full package replaces
everything it holds for that school and year — and tells what it holds (GET /state). From what
it holds it works out, as the docs say, who is in each study group on which days, which
journals each staff member's portal UID opens, which guardians may open each student's e-diary,
and each student's final marks by subject and period (`group_members`, `opened_journals`,
`diary_accesses`, `final_marks`).

Homework files' contents (docs: «Homework files»): over HTTP, `HEAD <packages URL>/files/<sha256>`
answers 200 for a content it holds and 404 for one it does not, `PUT` to the same URL stores the
raw bytes after checking their sha256 (a mismatch is refused with 422) and answers 201 (stored)
or 204 (held already). From a directory it reads `files/<sha256>` beside the packages. Either
way a package naming a content it does not hold (or whose bytes do not match) is refused.

Switches for faults, for packages (`mode`) and for contents (`file_mode`) apart: down (connection
refused), slow, 500, busy (503/429/408 with Retry-After), 4xx, and "apply (store), then drop the
connection" (the client never hears that the package or the file arrived).
"""

import datetime as dt
import gzip
import hashlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "export-package.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PackageInvalid(Exception):
    """The package breaks the schema or the format's rules."""


def named_contents(records) -> dict:
    """Return {sha256: size} of the contents a package's homework_file upserts name."""
    return {
        record["fields"]["sha256"]: record["fields"]["size"]
        for record in records
        if record["type"] == "homework_file" and record["op"] == "upsert"
    }


def read_lines(raw: bytes) -> list[dict]:
    """Decompress a package, check every line against the schema and the format's rules; return the lines."""
    try:
        text = gzip.decompress(raw)
    except OSError as exc:
        raise PackageInvalid(f"not gzip: {exc}") from exc
    if not text.endswith(b"\n"):
        raise PackageInvalid("the last line has no newline")
    raw_lines = text.split(b"\n")[:-1]
    lines = []
    for number, raw_line in enumerate(raw_lines, 1):
        try:
            line = json.loads(raw_line)
        except ValueError as exc:
            raise PackageInvalid(f"line {number}: not JSON: {exc}") from exc
        errors = sorted(VALIDATOR.iter_errors(line), key=lambda e: e.path)
        if errors:
            raise PackageInvalid(f"line {number}: {errors[0].message}")
        lines.append(line)
    if len(lines) < 2 or lines[0]["type"] != "header" or lines[-1]["type"] != "trailer":
        raise PackageInvalid("a package is a header, records, a trailer")
    if any(line["type"] in ("header", "trailer") for line in lines[1:-1]):
        raise PackageInvalid("one header and one trailer only")
    header, trailer, records = lines[0], lines[-1], lines[1:-1]
    body = b"".join(line + b"\n" for line in raw_lines[:-1])
    if hashlib.sha256(body).hexdigest() != trailer["sha256"]:
        raise PackageInvalid("the trailer's checksum does not match the body")
    if trailer["records"] != len(records):
        raise PackageInvalid("the trailer's record count is wrong")
    counted = Counter((r["type"], r["op"]) for r in records)
    for type_name, ops in trailer["counts"].items():
        for op, count in ops.items():
            if counted[(type_name, op)] != count:
                raise PackageInvalid(
                    f"the trailer counts {count} {op} of {type_name}, the body {counted[(type_name, op)]}"
                )
    type_order = list(trailer["counts"])
    # Deletes come first (children first), then upserts (parents first), each type by id.
    seen_upsert = False
    previous = None
    for record in records:
        if record["op"] == "upsert":
            seen_upsert = True
        elif seen_upsert:
            raise PackageInvalid("a delete after an upsert")
        rank = type_order.index(record["type"])
        key = (record["op"], -rank if record["op"] == "delete" else rank, record["id"])
        if previous is not None and previous[0] == key[0] and key[1:] <= previous[1:]:
            raise PackageInvalid(f"records out of order at {record['type']} #{record['id']}")
        previous = key
    if header["kind"] == "full" and any(r["op"] == "delete" for r in records):
        raise PackageInvalid("a full package holds no deletes")
    # Every record lies within the package's change range: (from, to] for a daily, up to `to` for a full.
    low, high = header["changes"]["from"], header["changes"]["to"]
    for record in records:
        if record["change"] > high or (low is not None and record["change"] <= low):
            raise PackageInvalid(
                f"{record['type']} #{record['id']} has change {record['change']} outside ({low}, {high}]"
            )
    return lines


def read_content(directory: Path, sha256: str) -> bytes | None:
    """Return the content the directory transport left in `files/<sha256>`, or None (absent, or not those bytes)."""
    path = Path(directory) / "files" / sha256
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def waiting_files(directory: Path) -> list[Path]:
    """Return the packages waiting in a directory, in the order to apply them (docs: «Several waiting files»).

    Only `*.ndjson.gz` (dot-files are still being written), by the header's `changes.to`: the
    file names carry no order. Packages with the same `to` agree on every record they share, so
    among them any order does (here: by name, to be repeatable).
    """
    found = []
    for path in Path(directory).glob("*.ndjson.gz"):
        if path.name.startswith("."):
            continue
        with gzip.open(path, "rb") as stream:
            header = json.loads(stream.readline())
        found.append((header["changes"]["to"], path.name, path))
    return [path for _, _, path in sorted(found)]


# --- what the held records mean (docs: «Study groups and their members», «staff.scope») ---------


def _of_type(held: dict, type_name: str) -> dict:
    return {record_id: fields for (kind, record_id), fields in held.items() if kind == type_name}


def _join_spans(spans) -> list:
    """Return date spans as their union: sorted, overlapping and adjacent ones joined."""
    result = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1] + dt.timedelta(days=1):
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def _intersect(spans, bounds) -> list:
    found = []
    for start, end in spans:
        for low, high in bounds:
            if max(start, low) <= min(end, high):
                found.append((max(start, low), min(end, high)))
    return found


def _span(fields: dict, year_end: dt.date) -> tuple:
    """A record's days: start_date to end_date, or to the end of the school year when end_date is null."""
    end = fields["end_date"]
    return (dt.date.fromisoformat(fields["start_date"]), dt.date.fromisoformat(end) if end else year_end)


def group_members(held: dict) -> dict:
    """Return {group id: {student id: [spans of days]}} of every held study group.

    A whole-class group's members are its class's enrollments. Any other group's members are
    its memberships, counted only on the days the student is enrolled: in the group's class
    (a subgroup), or in any class of the school year (a group without a class). Days outside
    the school year do not count.
    """
    years = {
        year_id: (dt.date.fromisoformat(fields["start_date"]), dt.date.fromisoformat(fields["end_date"]))
        for year_id, fields in _of_type(held, "school_year").items()
    }
    classes = _of_type(held, "class_group")
    in_class: dict = {}
    in_year: dict = {}
    for fields in _of_type(held, "enrollment").values():
        class_year = classes[fields["class_group"]]["year"]
        span = _span(fields, years[class_year][1])
        in_class.setdefault(fields["class_group"], {}).setdefault(fields["student"], []).append(span)
        in_year.setdefault(class_year, {}).setdefault(fields["student"], []).append(span)
    memberships: dict = {}
    for fields in _of_type(held, "group_membership").values():
        memberships.setdefault(fields["group"], []).append(fields)
    members = {}
    for group_id, group in _of_type(held, "study_group").items():
        year = years[group["year"]]
        if group["kind"] == "class":
            spans = in_class.get(group["class_group"], {})
        else:
            enrolled = (
                in_class.get(group["class_group"], {}) if group["class_group"] else in_year.get(group["year"], {})
            )
            spans = {}
            for fields in memberships.get(group_id, []):
                days = _intersect([_span(fields, year[1])], enrolled.get(fields["student"], []))
                spans.setdefault(fields["student"], []).extend(days)
        found = {student: _join_spans(_intersect(days, [year])) for student, days in spans.items()}
        members[group_id] = {student: days for student, days in found.items() if days}
    return members


def opened_journals(held: dict) -> dict:
    """Return {staff id: ids of the journals their portal UID opens} for every held staff record.

    The journals of `scope.journals`, and for the classes of `scope.classes` every journal that
    has a student of the class: a journal whose group belongs to the class (`class_group`), or
    whose group has a membership of a student with an enrollment in the class.
    """
    groups = _of_type(held, "study_group")
    journals = _of_type(held, "journal")
    enrolled_in: dict = {}
    for fields in _of_type(held, "enrollment").values():
        enrolled_in.setdefault(fields["student"], set()).add(fields["class_group"])
    member_classes: dict = {}
    for fields in _of_type(held, "group_membership").values():
        member_classes.setdefault(fields["group"], set()).update(enrolled_in.get(fields["student"], ()))
    opened = {}
    for staff_id, fields in _of_type(held, "staff").items():
        scope = fields["scope"]
        led = set(scope["classes"])
        of_classes = {
            journal_id
            for journal_id, journal in journals.items()
            if groups[journal["group"]]["class_group"] in led or member_classes.get(journal["group"], set()) & led
        }
        opened[staff_id] = set(scope["journals"]) | of_classes
    return opened


def diary_accesses(held: dict) -> dict:
    """Return {student id: ids of the guardians who may open the student's e-diary} from the held records.

    As the docs say («Diary access»): a guardian sees a student's diary while a `diary_access`
    record for the two is held; its delete (access ended, consent withdrawn) ends it at once.
    The `guardian` and `student_guardian` records alone give no access.
    """
    found: dict = {}
    for fields in _of_type(held, "diary_access").values():
        found.setdefault(fields["student"], set()).add(fields["guardian"])
    return found


class HeldStateInvalid(Exception):
    """What the receiver holds breaks a rule the docs promise (say, two final marks for one period)."""


def final_marks(held: dict) -> dict:
    """Return {(student, subject, kind, term): value} of the held final marks (docs: «Final marks»).

    A student's finals are read by student and subject, whichever journal they name (a student
    who moved to another group of the subject has one per period). The docs promise one final
    per student, subject, year, kind and term; a term's final naming a held term of the year,
    every final a held journal of the year and of its subject: a state that breaks that raises
    HeldStateInvalid.
    """
    terms, journals = _of_type(held, "term"), _of_type(held, "journal")
    found = {}
    for final_id, fields in sorted(_of_type(held, "final_mark").items()):
        key = (fields["student"], fields["subject"], fields["kind"], fields["term"])
        if key in found:
            raise HeldStateInvalid(f"final_mark #{final_id}: a second final for {key}")
        journal = journals.get(fields["journal"])
        if journal is None or (journal["year"], journal["subject"]) != (fields["year"], fields["subject"]):
            raise HeldStateInvalid(
                f"final_mark #{final_id}: journal {fields['journal']} is not its year's and subject's"
            )
        if fields["term"] is not None and terms.get(fields["term"], {}).get("year") != fields["year"]:
            raise HeldStateInvalid(f"final_mark #{final_id}: term {fields['term']} is not a held term of its year")
        found[key] = fields["value"]
    return found


class ReferenceReceiver:
    """The portal's side of exports, for tests: a real HTTP server with its own store."""

    def __init__(self, token: str = "portal-token-123"):
        self.token = token
        self.mode = "ok"
        self.slow_seconds = 2.0
        self.fail_next = 0
        self.reject_status = 422
        # The "busy" fault: a status that says "later" (503, 429, 408) and the Retry-After to send.
        self.busy_status = 503
        self.retry_after: str | None = None
        self.state: dict[tuple[str, int], dict[tuple[str, int], dict]] = {}
        self.applied: list[str] = []
        self.apply_counts: Counter = Counter()
        self.duplicates = 0
        self.requests: list[dict] = []
        # Contents: {sha256: bytes} held; how many times each was stored; every HEAD/PUT in order.
        self.file_mode = "ok"
        # Which of the contents' requests `file_mode` hits.
        self.file_fault_methods = ("HEAD", "PUT")
        # Uploads (PUT) to answer with 500 before serving them again.
        self.file_fail_next = 0
        self.files: dict[str, bytes] = {}
        self.uploads: Counter = Counter()
        self.file_requests: list[dict] = []
        # Every request in arrival order: ("HEAD" | "PUT", sha256) or ("POST", package id or None).
        self.events: list[tuple[str, str | None]] = []
        self.anomalies: list[str] = []
        self.invalid: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = None
        self._thread = None
        self.port = 0

    # --- the server ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/packages"

    def content_url(self, sha256: str) -> str:
        """Return where a content is asked for and uploaded: the packages URL, then /files/<sha256>."""
        return f"{self.url}/files/{sha256}"

    def _content_sha(self, path: str) -> str | None:
        """Return the sha256 a request path names under the packages URL's /files/, or None for another path."""
        prefix = urlsplit(self.url).path + "/files/"
        path = urlsplit(path).path
        return path[len(prefix) :] if path.startswith(prefix) else None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/state":
                    receiver._answer(self, 200, receiver.state_json())
                else:
                    receiver._answer(self, 404, {"error": "not found"})

            def do_POST(self):
                receiver._handle_post(self)

            def do_HEAD(self):
                receiver._handle_content(self, "HEAD")

            def do_PUT(self):
                receiver._handle_content(self, "PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # A short poll keeps down() quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def down(self):
        """Stop listening: the client's connection is refused (the same port comes back with up())."""
        self.stop()

    def up(self):
        if self._server is None:
            self.start()

    def set_fault(self, mode: str, *, files: bool = False) -> None:
        """Switch a fault on: "down", "slow", "error500", "busy" (503/429/408), "reject" (4xx) or "drop_after_apply".

        `files`: the fault hits the contents' HEAD and PUT requests instead of the packages' POSTs
        ("drop_after_apply" then stores the content and drops the connection).
        """
        if mode == "down":
            self.down()
        elif files:
            self.file_mode = mode
        else:
            self.mode = mode

    def clear_fault(self) -> None:
        """Back to normal service."""
        self.mode = self.file_mode = "ok"
        self.up()

    @staticmethod
    def _answer(handler, status, payload, headers=None):
        body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if payload is not None:
            handler.send_header("Content-Type", "application/json; charset=utf-8")
        if "Content-Length" not in (headers or {}):
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _handle_post(self, handler):
        headers = {k.lower(): v for k, v in handler.headers.items()}
        raw = handler.rfile.read(int(headers.get("content-length", "0")))
        with self._lock:
            self.events.append(("POST", headers.get("idempotency-key")))
            self.requests.append({"headers": headers, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()})
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            mode = self.mode
            if self.fail_next > 0:
                self.fail_next -= 1
                mode = "error500"
        try:
            return self._respond(handler, headers, raw, mode)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _respond(self, handler, headers, raw, mode):
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "error500":
            return self._answer(handler, 500, {"error": "временная ошибка портала"})
        if mode == "busy":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return self._answer(handler, self.busy_status, {"error": "портал занят, повторите позже"}, headers)
        if mode == "reject":
            return self._answer(handler, self.reject_status, {"error": "Неизвестный код школы"})
        if headers.get("authorization") != f"Bearer {self.token}":
            return self._answer(handler, 401, {"error": "нужен верный токен"})
        if headers.get("content-encoding") != "gzip":
            return self._answer(handler, 415, {"error": "ожидается Content-Encoding: gzip"})
        status, payload = self.receive(raw, headers.get("idempotency-key"))
        if mode == "drop_after_apply":
            # The package is in; the answer never reaches the sender.
            handler.close_connection = True
            handler.connection.shutdown(2)
            return None
        return self._answer(handler, status, payload)

    def _handle_content(self, handler, method):
        headers = {k.lower(): v for k, v in handler.headers.items()}
        sha256 = self._content_sha(handler.path)
        raw = b""
        if method == "PUT" and "content-length" in headers:
            raw = handler.rfile.read(int(headers["content-length"]))
        with self._lock:
            self.events.append((method, sha256))
            self.file_requests.append(
                {"method": method, "path": handler.path, "sha256": sha256, "headers": headers, "size": len(raw)}
            )
            mode = self.file_mode if method in self.file_fault_methods else "ok"
            if method == "PUT" and self.file_fail_next > 0:
                self.file_fail_next -= 1
                mode = "error500"
        if sha256 is None:
            return self._answer(handler, 404, {"error": "not found"})
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "error500":
            return self._answer(handler, 500, {"error": "временная ошибка портала"})
        if mode == "busy":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            return self._answer(handler, self.busy_status, {"error": "портал занят, повторите позже"}, headers)
        if mode == "reject":
            return self._answer(handler, self.reject_status, {"error": "файл не принят"})
        if headers.get("authorization") != f"Bearer {self.token}":
            return self._answer(handler, 401, {"error": "нужен верный токен"})
        if not SHA256.match(sha256):
            return self._answer(handler, 400, {"error": "адрес файла — /files/<sha256 строчными hex>"})
        if method == "HEAD":
            with self._lock:
                held = self.files.get(sha256)
            if held is None:
                return self._answer(handler, 404, None)
            return self._answer(handler, 200, None, {"Content-Length": str(len(held))})
        status, payload = self.store_content(sha256, raw, headers)
        if mode == "drop_after_apply" and status < 300:
            handler.close_connection = True
            handler.connection.shutdown(2)
            return None
        return self._answer(handler, status, payload)

    def store_content(self, sha256: str, raw: bytes, headers: dict) -> tuple[int, dict | None]:
        """Check and keep one uploaded content; return an HTTP status and answer."""
        if "content-length" not in headers:
            return 411, {"error": "нужен Content-Length"}
        if headers.get("content-type") != "application/octet-stream":
            return 415, {"error": "ожидается Content-Type: application/octet-stream"}
        if hashlib.sha256(raw).hexdigest() != sha256:
            with self._lock:
                self.invalid.append(f"content {sha256}: the bytes have another sha256")
            return 422, {"error": "sha256 содержимого не совпадает с адресом"}
        with self._lock:
            if sha256 in self.files:
                return 204, None
            self.files[sha256] = raw
            self.uploads[sha256] += 1
        return 201, {"status": "stored", "sha256": sha256, "size": len(raw)}

    # --- the store -------------------------------------------------------------------------

    def receive(
        self, raw: bytes, idempotency_key: str | None = None, directory: Path | None = None
    ) -> tuple[int, dict]:
        """Check and apply one package; return an HTTP status and answer.

        The contents it names must be held already: uploaded before it, or (`directory`) in the
        directory's files/ beside it, whence they are taken into the store.
        """
        try:
            lines = read_lines(raw)
        except PackageInvalid as exc:
            with self._lock:
                self.invalid.append(str(exc))
            return 400, {"error": f"пакет отклонён: {exc}"}
        header = lines[0]
        if idempotency_key is not None and idempotency_key != header["package_id"]:
            return 400, {"error": "Idempotency-Key не совпадает с package_id"}
        named = named_contents(lines[1:-1])
        if directory is not None:
            for sha256 in named:
                data = read_content(directory, sha256)
                if data is not None:
                    with self._lock:
                        self.files.setdefault(sha256, data)
        with self._lock:
            if header["package_id"] in self.apply_counts:
                self.duplicates += 1
                return 200, {"status": "duplicate", "package_id": header["package_id"]}
            lacking = sorted(sha for sha, size in named.items() if len(self.files.get(sha, b"")) != size)
            if lacking:
                self.invalid.append(f"{header['package_id']}: contents not delivered before the package: {lacking}")
                return 422, {"error": f"пакет ссылается на файлы, которых портал не получил: {', '.join(lacking)}"}
            self._apply(header, lines[1:-1])
            self.applied.append(header["package_id"])
            self.apply_counts[header["package_id"]] += 1
        return 200, {"status": "applied", "package_id": header["package_id"], "records": len(lines) - 2}

    def receive_file(self, path: Path) -> tuple[int, dict]:
        """Apply a package found in the directory transport's outbox (its contents in files/ beside it)."""
        path = Path(path)
        return self.receive(path.read_bytes(), directory=path.parent)

    def receive_directory(self, directory: Path) -> list[tuple[int, dict]]:
        """Apply every package waiting in an outbox, in the documented order, and take them away."""
        answers = []
        for path in waiting_files(directory):
            answers.append(self.receive_file(path))
            path.unlink()
        return answers

    def _apply(self, header, records):
        key = (header["school"]["code"], header["school_year"]["id"])
        if header["kind"] == "full":
            # A full package is everything of the school year: it replaces what we held.
            store = {}
            self.state[key] = store
        else:
            store = self.state.setdefault(key, {})
        for record in records:
            ident = (record["type"], record["id"])
            held = store.get(ident)
            if held is not None and record["change"] < held["change"]:
                self.anomalies.append(
                    f"{header['package_id']}: {record['op']} of {ident} at change {record['change']} "
                    f"older than the held {held['change']}"
                )
            if record["op"] == "delete":
                store.pop(ident, None)
            else:
                store[ident] = {"change": record["change"], "fields": record["fields"]}

    def holding(self, school_code: str, year_id: int) -> dict:
        """Return {(type, id): fields} held for a school year."""
        with self._lock:
            store = self.state.get((school_code, year_id), {})
            return {ident: value["fields"] for ident, value in store.items()}

    def state_json(self) -> dict:
        with self._lock:
            return {
                f"{code}/{year}": {f"{t}/{i}": v["fields"] for (t, i), v in store.items()}
                for (code, year), store in self.state.items()
            }
