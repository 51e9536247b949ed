"""Build a package: database cursors → serializer → gzip → a file object, in one snapshot, in constant memory.

Daily package for year Y: every record whose change number lies in (W, H], where W is the
highest change number already delivered for Y and H the counter's value inside the snapshot;
deletions come from tombstones in that range and from changed rows that left the year's scope.
Full package: every record in Y's scope as of H. Within a package all deletions come first
(children before parents), then all upserts (parents before children), each type by id.
"""

import hashlib
import heapq
import itertools
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from peewee import fn

from app.db import db, is_sqlite
from app.models import ClassGroup, ExportRun, SchoolSettings, SchoolYear, TeachingAssignment, Tombstone
from app.services.exports import format as fmt
from app.services.exports.errors import ExportError

FETCH_BATCH = 2000
BODY_CHUNK = 256 * 1024
PROGRESS_EVERY = 5000

_cursor_names = itertools.count(1)


@dataclass
class BuildResult:
    """What a finished package holds and how to recognise it."""

    year_id: int
    year_name: str
    change_from: int | None
    change_to: int
    counts: dict
    records: int
    bytes: int
    sha256: str
    body_sha256: str


@dataclass
class _Step:
    """One stream of lines: a type's deletions or its upserts."""

    record_type: fmt.RecordType
    op: str
    rows: Callable
    count: Callable


class _PackageWriter:
    """Hash the body, gzip it, hash and count the compressed bytes, write them out."""

    def __init__(self, out):
        self.out = out
        self.compressor = zlib.compressobj(fmt.GZIP_LEVEL, zlib.DEFLATED, 31)
        self.body_hash = hashlib.sha256()
        self.file_hash = hashlib.sha256()
        self.size = 0
        self._buffer = []
        self._buffered = 0

    def write(self, line: bytes) -> None:
        self._buffer.append(line)
        self._buffered += len(line)
        if self._buffered >= BODY_CHUNK:
            self._flush_body()

    def _flush_body(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        self.body_hash.update(data)
        self._emit(self.compressor.compress(data))

    def _emit(self, chunk: bytes) -> None:
        if chunk:
            self.file_hash.update(chunk)
            self.out.write(chunk)
            self.size += len(chunk)

    def body_sha256(self) -> str:
        self._flush_body()
        return self.body_hash.hexdigest()

    def finish(self, trailer: bytes) -> None:
        # The trailer is not part of the body it checks.
        self._emit(self.compressor.compress(trailer))
        self._emit(self.compressor.flush())


def _stream(query):
    """Yield the rows of a query as tuples, fetched in batches (a server-side cursor on PostgreSQL)."""
    sql, params = query.sql()
    if is_sqlite():
        cursor = db.execute_sql(sql, params)
        while rows := cursor.fetchmany(FETCH_BATCH):
            yield from rows
        return
    name = f"export_cursor_{next(_cursor_names)}"
    db.execute_sql(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
    while rows := db.execute_sql(f"FETCH FORWARD {FETCH_BATCH} FROM {name}").fetchall():
        yield from rows
    db.execute_sql(f"CLOSE {name}")


def delivered_watermark(year_id: int) -> int:
    """Return the highest change number already delivered to the portal for a school year (0 if none)."""
    value = (
        ExportRun.select(fn.MAX(ExportRun.change_to))
        .where((ExportRun.status == "delivered") & (ExportRun.year == year_id))
        .scalar()
    )
    return value or 0


def _counter_value() -> int:
    row = db.execute_sql("SELECT value FROM change_counter WHERE id = 1").fetchone()
    if row is None:
        raise ExportError("Нет счётчика изменений: выполните `flask db upgrade`.")
    return row[0]


def _in_range(column, lo, hi):
    condition = column <= hi
    return condition if lo is None else condition & (column > lo)


def _staff_scopes(year_id: int) -> dict:
    """Return each staff member's portal access scope in the year (R7.2), in two queries."""
    scopes: dict[int, dict] = {}
    pairs = (
        TeachingAssignment.select(
            TeachingAssignment.teacher, TeachingAssignment.class_group, TeachingAssignment.subject
        )
        .where(TeachingAssignment.year == year_id)
        .order_by(TeachingAssignment.teacher, TeachingAssignment.class_group, TeachingAssignment.subject)
        .tuples()
    )
    for teacher, class_id, subject_id in pairs:
        entry = scopes.setdefault(teacher, {"subjects": [], "classes": []})
        entry["subjects"].append({"class_group": class_id, "subject": subject_id})
    led = (
        ClassGroup.select(ClassGroup.class_teacher, ClassGroup.id)
        .where((ClassGroup.year == year_id) & ClassGroup.class_teacher.is_null(False))
        .order_by(ClassGroup.class_teacher, ClassGroup.id)
        .tuples()
    )
    for teacher, class_id in led:
        scopes.setdefault(teacher, {"subjects": [], "classes": []})["classes"].append(class_id)
    return scopes


class _Plan:
    """The steps of one package, worked out inside the snapshot."""

    def __init__(self, kind: str, year_id: int, lo: int | None, hi: int):
        self.kind, self.year_id, self.lo, self.hi = kind, year_id, lo, hi
        self.steps: list[_Step] = []
        if kind == "daily":
            for rt in reversed(fmt.RECORD_TYPES):
                self.steps.append(_Step(rt, "delete", self._deletes(rt), self._count_deletes(rt)))
        for rt in fmt.RECORD_TYPES:
            query = self._upserts_query(rt)
            self.steps.append(_Step(rt, "upsert", lambda q=query: _stream(q), lambda q=query: q.count()))

    # --- upserts ---------------------------------------------------------------------------

    def _whole_type_changed(self, rt) -> bool:
        """Tell whether a type this one derives fields from changed in the range (daily only)."""
        for name in rt.derived_from:
            source = fmt.BY_NAME[name]
            changed = source.model.select().where(_in_range(source.model.change_no, self.lo, self.hi)).exists()
            removed = (
                Tombstone.select()
                .where(
                    (Tombstone.record_type == source.tombstone_type)
                    & _in_range(Tombstone.change_no, self.lo, self.hi)
                )
                .exists()
            )
            if changed or removed:
                return True
        return False

    def _upserts_query(self, rt):
        model = rt.model
        query = rt.base_query(model.id, model.change_no, *(column for _, column in rt.fields))
        condition = model.change_no <= self.hi
        if self.kind == "daily" and not (rt.derived_from and self._whole_type_changed(rt)):
            condition = _in_range(model.change_no, self.lo, self.hi)
        scope = rt.in_scope(self.year_id)
        if scope is not None:
            condition &= scope
        return query.where(condition).order_by(model.id)

    # --- deletions -------------------------------------------------------------------------

    def _tombstones_query(self, rt):
        return (
            Tombstone.select(Tombstone.record_id, fn.MAX(Tombstone.change_no))
            .where((Tombstone.record_type == rt.tombstone_type) & _in_range(Tombstone.change_no, self.lo, self.hi))
            .group_by(Tombstone.record_id)
            .order_by(Tombstone.record_id)
        )

    def _left_scope_query(self, rt):
        """Rows changed in the range that are outside the year's scope now: the receiver drops them."""
        scope = rt.in_scope(self.year_id)
        if scope is None:
            return None
        model = rt.model
        return (
            rt.base_query(model.id, model.change_no)
            .where(_in_range(model.change_no, self.lo, self.hi) & ~scope)
            .order_by(model.id)
        )

    def _deletes(self, rt):
        def rows():
            streams = [_stream(self._tombstones_query(rt))]
            left = self._left_scope_query(rt)
            if left is not None:
                streams.append(_stream(left))
            # Both streams are ordered by id; one line per id, with its latest change number.
            merged = heapq.merge(*streams, key=lambda row: (row[0], row[1]))
            previous = None
            for row in merged:
                if previous is not None and row[0] != previous[0]:
                    yield previous
                previous = row
            if previous is not None:
                yield previous

        return rows

    def _count_deletes(self, rt):
        def count():
            total = self._tombstones_query(rt).count()
            left = self._left_scope_query(rt)
            return total + (left.count() if left is not None else 0)

        return count


@contextmanager
def _snapshot():
    """Open a read-only transaction that sees one consistent state of the whole database."""
    if db.in_transaction():
        raise RuntimeError("A package is built in its own transaction, not inside another one.")
    with db.atomic():
        if not is_sqlite():
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def build_package(
    out,
    *,
    kind: str,
    package_id: str,
    generated_at,
    school_code: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Write one package to the binary file object `out`; return its range, counts and checksums.

    `on_progress(done, total)` is called now and then; it may raise to stop the build.
    """
    if kind not in ("daily", "full"):
        raise ValueError(f"Unknown export kind {kind!r}")
    if not school_code:
        raise ExportError("Не задан код школы: укажите его в настройках школы — без него портал не примет пакет.")
    with _snapshot():
        hi = _counter_value()
        year = SchoolYear.current()
        if year is None:
            raise ExportError("Не задан текущий учебный год: выгружать нечего. Отметьте текущий год в разделе «Учебные годы».")
        lo = delivered_watermark(year.id) if kind == "daily" else None
        settings = SchoolSettings.load()
        plan = _Plan(kind, year.id, lo, hi)
        total = sum(step.count() for step in plan.steps)
        scopes = _staff_scopes(year.id)

        writer = _PackageWriter(out)
        writer.write(
            fmt.header_line(
                package_id=package_id,
                kind=kind,
                school_code=school_code,
                school_name=settings.name,
                year=year,
                change_from=lo,
                change_to=hi,
                generated_at=generated_at,
            )
        )
        counts = fmt.empty_counts()
        done = 0
        if on_progress:
            on_progress(0, total)
        dumps = fmt.dumps
        for step in plan.steps:
            name = step.record_type.name
            if step.op == "delete":
                for record_id, change in step.rows():
                    writer.write(dumps({"type": name, "op": "delete", "id": record_id, "change": change}))
                    done += 1
                    counts[name]["delete"] += 1
                    if on_progress and done % PROGRESS_EVERY == 0:
                        on_progress(done, total)
                continue
            keys = step.record_type.keys
            booleans = step.record_type.booleans
            with_scope = name == "staff"
            written = 0
            for row in step.rows():
                fields = dict(zip(keys, row[2:], strict=True))
                for key in booleans:
                    if fields[key] is not None:
                        fields[key] = bool(fields[key])
                if with_scope:
                    fields["scope"] = scopes.get(row[0], {"subjects": [], "classes": []})
                writer.write(dumps({"type": name, "op": "upsert", "id": row[0], "change": row[1], "fields": fields}))
                written += 1
                if on_progress and (done + written) % PROGRESS_EVERY == 0:
                    on_progress(done + written, total)
            done += written
            counts[name]["upsert"] += written
        body_sha256 = writer.body_sha256()
        writer.finish(fmt.trailer_line(counts=counts, records=done, body_sha256=body_sha256))
        if on_progress:
            on_progress(done, max(total, done))
    return BuildResult(
        year_id=year.id,
        year_name=year.name,
        change_from=lo,
        change_to=hi,
        counts=counts,
        records=done,
        bytes=writer.size,
        sha256=writer.file_hash.hexdigest(),
        body_sha256=body_sha256,
    )
