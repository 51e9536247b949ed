"""Build a package: database cursors → serializer → gzip → a file object, in one snapshot, in constant memory.

Daily package for school code C and year Y: every record whose change number lies in (W, H],
where W is the highest change number already delivered under C for Y and H the counter's value
inside the snapshot; deletions come from tombstones in that range and from changed rows that
left the year's scope. With nothing delivered under C for Y yet, or when the last package
delivered under C for Y was of another format version, there is nothing a daily could continue:
it becomes a full (FullNeeded). Full package: every record in Y's scope as of H.

A record's change number is the latest change of everything its fields are made of: its own
row, the rows it copies fields from (`references`: a mark's work type), the parents its year
scope goes through that may move to another year (`scoped_through`: a teaching assignment's
journal) and, for a type derived from other types (`derived_from`: the staff's access scope),
the latest change of those. So every record of a package lies within the package's range.
Within a package all deletions come first (children before parents), then all upserts (parents
before children), each type by id.

Beside the package the builder writes its content list: every distinct file content its
homework_file upserts name (sha256 → the stored file), which the transports deliver before the
package (contents.py).
"""

import functools
import hashlib
import heapq
import itertools
import json
import operator
import secrets
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path

import orjson
from peewee import SQL, Select, Value, fn

from app.db import db, id_list, is_sqlite
from app.models import ClassGroup, ExportRun, Journal, SchoolSettings, SchoolYear, TeachingAssignment, Tombstone
from app.services.exports import format as fmt
from app.services.exports.contents import ContentRecorder
from app.services.exports.errors import ExportError, FullNeeded

FETCH_BATCH = 1000
BODY_CHUNK = 256 * 1024
JOINED_LINES = 100
PROGRESS_EVERY = 5000
# SQLite page cache while a package is read (negative: KiB).
SQLITE_CACHE_KIB = -4096


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
    # The package format's version (the header's `version`).
    version: int
    # The distinct file contents the package names (its content list) and their total size.
    contents: int = 0
    content_bytes: int = 0


@dataclass
class _Step:
    """One stream of lines: a type's deletions or its upserts."""

    record_type: fmt.RecordType
    op: str
    batches: Callable
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
        self.write_lines([line])

    def write_lines(self, lines: list[bytes]) -> None:
        data = b"".join(lines)
        self._buffer.append(data)
        self._buffered += len(data)
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


def _batches(query):
    """Yield the rows of a query in lists of up to FETCH_BATCH tuples (a server-side cursor on PostgreSQL)."""
    sql, params = query.sql()
    # A batch shorter than FETCH_BATCH is the last: no round trip to find the cursor empty.
    if is_sqlite():
        cursor = db.execute_sql(sql, params)
        while rows := cursor.fetchmany(FETCH_BATCH):
            yield rows
            if len(rows) < FETCH_BATCH:
                break
        return
    name = f"export_cursor_{secrets.token_hex(6)}"
    db.execute_sql(f"DECLARE {name} NO SCROLL CURSOR FOR {sql}", params)
    while rows := db.execute_sql(f"FETCH FORWARD {FETCH_BATCH} FROM {name}").fetchall():
        yield rows
        if len(rows) < FETCH_BATCH:
            break
    db.execute_sql(f"CLOSE {name}")


def _rows(query):
    for rows in _batches(query):
        yield from rows


def _chunked(iterable):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, FETCH_BATCH)):
        yield chunk


def json_number(value):
    """Return a decimal column's value as a JSON number, no digit lost: an int when whole (1), else a float (1.25).

    PostgreSQL hands NUMERIC back as Decimal (orjson encodes no Decimal), SQLite as int or float;
    a weight has at most two decimals, which a float's shortest form keeps exactly.
    """
    if value is None or type(value) is int:
        return value
    if type(value) is float:
        # SQLite's REAL: the double nearest the stored decimal, whose shortest form is that decimal.
        return int(value) if value.is_integer() else value
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _joined(lines) -> list[bytes]:
    """Return encoded lines joined in groups of JOINED_LINES.

    Each orjson output holds a 4 KiB allocation whatever its length: a batch of single lines
    held four megabytes where its text is two hundred kilobytes.
    """
    lines = iter(lines)
    return [b"".join(group) for group in iter(lambda: list(itertools.islice(lines, JOINED_LINES)), [])]


def _upsert_lines(
    record_type: fmt.RecordType, rows, scopes: dict, floor: int = 0, contents: ContentRecorder | None = None
) -> list[bytes]:
    """Encode a batch of rows (id, change numbers…, fields…, content column) as upsert lines, one per row, joined.

    The record's change is the latest of its change numbers and `floor` (the latest change of
    the types it is derived from). A type with a content column records each row's content in
    `contents`.
    """
    name, keys, booleans, decimals = record_type.name, record_type.keys, record_type.booleans, record_type.decimals
    start = 1 + len(record_type.change_columns)
    end = start + len(keys)
    with_scope = name == "staff"
    with_content = record_type.content is not None
    if with_content and contents is None:
        raise ValueError(f"{name} records name file contents: the build needs a content list")
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE

    def encoded():
        for row in rows:
            # `_fields` inlined: a call per row costs a few per cent of a full export.
            fields = dict(zip(keys, row[start:end], strict=True))
            for key in booleans:
                if fields[key] is not None:
                    fields[key] = bool(fields[key])
            for key in decimals:
                fields[key] = json_number(fields[key])
            if with_scope:
                fields["scope"] = scopes.get(row[0], {"journals": [], "classes": []})
            if with_content:
                contents.add(row[0], fields["name"], fields["sha256"], fields["size"], row[end])
            change = max(floor, *row[1:start])
            yield dumps(
                {"type": name, "op": "upsert", "id": row[0], "change": change, "fields": fields}, option=newline
            )

    return _joined(encoded())


def _fields(record_type: fmt.RecordType, row, start: int) -> dict:
    """A row's (id, change numbers…, fields…) fields as a package carries them, from position `start`."""
    fields = dict(zip(record_type.keys, row[start : start + len(record_type.keys)], strict=True))
    for key in record_type.booleans:
        if fields[key] is not None:
            fields[key] = bool(fields[key])
    for key in record_type.decimals:
        fields[key] = json_number(fields[key])
    return fields


def current_records(type_name: str, year_id: int, condition) -> dict[int, tuple[int, dict]]:
    """The records of a type a package would carry now for the rows meeting `condition`: {id: (change, fields)}.

    Fields are as in the package's JSON (dates as ISO text): what the portal would hold once the
    next package is delivered. Not for the staff type (its scope is computed for a whole package).
    """
    record_type = fmt.BY_NAME[type_name]
    model = record_type.model
    query = record_type.base_query(model.id, *record_type.change_columns, *record_type.columns)
    scope = record_type.in_scope(year_id)
    query = query.where(condition if scope is None else condition & scope)
    start = 1 + len(record_type.change_columns)
    found = {}
    for row in db.execute(query).fetchall():
        fields = orjson.loads(orjson.dumps(_fields(record_type, row, start)))
        found[row[0]] = (max(row[1:start]), fields)
    return found


def _delete_lines(record_type: fmt.RecordType, rows) -> list[bytes]:
    """Encode a batch of (id, change) as delete lines, one per row, joined."""
    name, dumps, newline = record_type.name, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    return _joined(
        dumps({"type": name, "op": "delete", "id": record_id, "change": change}, option=newline)
        for record_id, change in rows
    )


def history_counts(result: BuildResult) -> str:
    """Return what a run's history keeps of its built package: the format version and the per-type counts.

    The version is what tells the next daily whether it can continue the portal's state
    (docs/export-format.en.md, «Versioning»).
    """
    return json.dumps({"version": result.version, "types": result.counts})


def _recorded(counts_text: str | None) -> dict | None:
    return json.loads(counts_text) if counts_text else None


def recorded_counts(counts_text: str | None) -> dict:
    """Return the per-type counts a run's history keeps ({} before the package is built)."""
    recorded = _recorded(counts_text)
    if recorded is None:
        return {}
    # Runs built before the history kept the version hold the counts alone.
    return recorded["types"] if "version" in recorded else recorded


def recorded_version(counts_text: str | None) -> int:
    """Return the format version of a run's built package (1 for runs recorded before versions were kept)."""
    recorded = _recorded(counts_text)
    return recorded["version"] if recorded is not None and "version" in recorded else 1


def _last_delivered(year_id: int, school_code: str):
    """Return the delivered run with the highest change number under a school code for a year, or None."""
    return (
        ExportRun.select(ExportRun.id, ExportRun.change_to, ExportRun.counts)
        .where(
            (ExportRun.status == "delivered")
            & (ExportRun.year == year_id)
            & (ExportRun.school_code == school_code)
            & ExportRun.change_to.is_null(False)
        )
        .order_by(ExportRun.change_to.desc(), ExportRun.id.desc())
        .first()
    )


def _nothing_delivered_reason(year, school_code: str) -> str:
    """Say why a daily for this code and year must be a full: a new code, or the year's first package."""
    others = (
        ExportRun.select(ExportRun.school_code)
        .where((ExportRun.status == "delivered") & (ExportRun.year == year.id))
        .order_by(ExportRun.id.desc())
        .first()
    )
    if others is not None and others.school_code != school_code:
        return (
            f"Отправлена полной вместо ежедневной: сменился код школы ({others.school_code} → {school_code}), "
            "портал начинает данные школы под новым кодом с полной выгрузки."
        )
    return (
        f"Отправлена полной вместо ежедневной: за {year.name} учебный год под кодом {school_code} "
        "на портал ещё ничего не доставлено."
    )


def continued_watermark(year, school_code: str) -> int:
    """Return the change number a daily for this code and year continues from, or raise FullNeeded.

    A daily continues the state the portal built from the last package delivered under the same
    code for the same year. There is none when nothing was delivered yet (a new code, the year's
    first package) or when that package was of another format version: the portal's state is in
    the old shape (and a receiver of the new version may hold none), so a full starts it afresh.
    """
    last = _last_delivered(year.id, school_code)
    if last is None:
        raise FullNeeded(_nothing_delivered_reason(year, school_code))
    version = recorded_version(last.counts)
    if version != fmt.FORMAT_VERSION:
        raise FullNeeded(
            f"Отправлена полной вместо ежедневной: сменилась версия формата пакета ({version} → "
            f"{fmt.FORMAT_VERSION}), портал начинает данные школы в новом формате с полной выгрузки."
        )
    return last.change_to


def _counter_value() -> int:
    row = db.execute_sql("SELECT value FROM change_counter WHERE id = 1").fetchone()
    if row is None:
        raise ExportError("Нет счётчика изменений: выполните `flask db upgrade`.")
    return row[0]


def _counts(queries) -> list[int]:
    """Return the number of rows of each query, counted in one statement (a query repeated, once)."""
    queries = [query.order_by() for query in queries]
    keys = [(sql, tuple(params)) for sql, params in (db.get_sql_context().sql(query).query() for query in queries)]
    distinct = dict(zip(keys, queries, strict=True))
    counts = [
        Select([query.alias(f"counted_{n}")], [Value(n), fn.COUNT(SQL("1"))])
        for n, query in enumerate(distinct.values())
    ]
    found = dict(db.execute(functools.reduce(operator.add, counts)).fetchall())  # UNION ALL
    position = {key: n for n, key in enumerate(distinct)}
    return [found[position[key]] for key in keys]


def _in_range(column, lo, hi):
    condition = column <= hi
    return condition if lo is None else condition & (column > lo)


def _staff_scopes(year_id: int) -> dict:
    """Return each staff member's portal access scope in the year (R7.2), in two queries.

    {"journals": [the year's journals they teach], "classes": [the year's classes they lead]}, by id.
    """
    scopes: dict[int, dict] = {}
    taught = (
        TeachingAssignment.select(TeachingAssignment.teacher, TeachingAssignment.journal)
        .join(Journal)
        .where(Journal.year == year_id)
        .order_by(TeachingAssignment.teacher, TeachingAssignment.journal)
        .tuples()
    )
    for teacher, journal_id in taught:
        scopes.setdefault(teacher, {"journals": [], "classes": []})["journals"].append(journal_id)
    led = (
        ClassGroup.select(ClassGroup.class_teacher, ClassGroup.id)
        .where((ClassGroup.year == year_id) & ClassGroup.class_teacher.is_null(False))
        .order_by(ClassGroup.class_teacher, ClassGroup.id)
        .tuples()
    )
    for teacher, class_id in led:
        scopes.setdefault(teacher, {"journals": [], "classes": []})["classes"].append(class_id)
    return scopes


class _Plan:
    """The steps of one package, worked out inside the snapshot.

    A full package reads each type with one query. A daily one first finds the changed rows of
    a type through its change_no index alone, then reads those rows (with the joins of their
    scope) by id, a batch at a time: its cost follows the number of changes, not the size of
    the tables, whatever join order the database would otherwise choose.
    """

    def __init__(self, kind: str, year_id: int, lo: int | None, hi: int):
        self.kind, self.year_id, self.lo, self.hi = kind, year_id, lo, hi
        self.steps: list[_Step] = []
        self._parents: dict = {}
        # The latest change of the types each derived type is made of (its records' floor).
        self.floors = {rt.name: self._latest_change(rt.derived_from) for rt in fmt.RECORD_TYPES if rt.derived_from}
        if kind == "full":
            for rt in fmt.RECORD_TYPES:
                query = self._rows_query(rt, rt.model.change_no <= hi)
                self.steps.append(_Step(rt, "upsert", partial(_batches, query), partial(self._estimate, rt)))
            return
        # How many rows of each type changed, and how many ids were deleted: types without
        # either cost no further query.
        # Rows that may have left the year: changed themselves or through a parent of their scope
        # (the same rows as `changed` for a type that copies no referenced row's fields).
        # Every count in one statement: a round trip each would cost more than the counting.
        referencing = [rt for rt in fmt.RECORD_TYPES if rt.references]
        counted = _counts(
            [self._changed_ids(rt) for rt in fmt.RECORD_TYPES] + [self._rescoped_ids(rt) for rt in referencing]
        )
        changed, rescoped = counted[: len(fmt.RECORD_TYPES)], counted[len(fmt.RECORD_TYPES) :]
        self.changed = {rt.name: n for rt, n in zip(fmt.RECORD_TYPES, changed, strict=True)}
        self.rescoped = {**self.changed, **{rt.name: n for rt, n in zip(referencing, rescoped, strict=True)}}
        deleted = (
            Tombstone.select(Tombstone.record_type, fn.COUNT(Tombstone.record_id.distinct()))
            .where(_in_range(Tombstone.change_no, lo, hi))
            .group_by(Tombstone.record_type)
            .tuples()
        )
        self.deleted = dict(deleted)
        for rt in reversed(fmt.RECORD_TYPES):
            left = self.rescoped[rt.name] if rt.scope is not None else 0
            count = self.deleted.get(rt.tombstone_type, 0) + left
            if count:
                self.steps.append(_Step(rt, "delete", partial(self._deletes, rt), lambda n=count: n))
        for rt in fmt.RECORD_TYPES:
            if rt.derived_from and self.floors[rt.name] > lo:
                query = self._rows_query(rt, rt.model.change_no <= hi)
                self.steps.append(_Step(rt, "upsert", partial(_batches, query), query.count))
            elif self.changed[rt.name]:
                count = self.changed[rt.name]
                self.steps.append(_Step(rt, "upsert", partial(self._changed_rows, rt), lambda n=count: n))

    def _estimate(self, rt) -> int:
        """Return how many records of a type a full package holds at most, for its progress: the type's rows.

        Counted without the joins of the year's scope, which would cost a sixth of the export
        (rows of earlier years are counted too; the run's total becomes exact when it is built).
        """
        return rt.model.select().where(rt.model.change_no <= self.hi).count()

    # --- what changed in the range ---------------------------------------------------------

    def _own_changed_ids(self, rt):
        model = rt.model
        return model.select(model.id).where(_in_range(model.change_no, self.lo, self.hi))

    def _ids_changed_through(self, rt, parents):
        """Ids of the rows changed in the range themselves or through one of `parents` ((foreign key, model)), by id.

        The parents that changed are read first (a work type renamed is rare): a parent with no
        change adds nothing to the query. Written as `IN (subquery)`, an unchanged parent still
        made SQLite walk every mark in id order for the union's ORDER BY.
        """
        model = rt.model
        query = self._own_changed_ids(rt)
        touched_any = False
        for foreign_key, parent in parents:
            touched = self._changed_parent_ids(parent)
            if touched:
                query = query | model.select(model.id).where(foreign_key.in_(id_list(touched)))
                touched_any = True
        return query.order_by(SQL("1")) if touched_any else query.order_by(model.id)

    def _changed_parent_ids(self, parent) -> list[int]:
        """Return the ids of a parent model's rows changed in the range (read once per package)."""
        if parent not in self._parents:
            query = parent.select(parent.id).where(_in_range(parent.change_no, self.lo, self.hi))
            self._parents[parent] = [row[0] for row in query.tuples()]
        return self._parents[parent]

    def _changed_ids(self, rt):
        """Ids of the rows changed in the range, or whose followed rows (a mark's work type) changed, by id."""
        return self._ids_changed_through(rt, rt.followed)

    def _rescoped_ids(self, rt):
        """Ids of the rows that may have moved out of the year: changed, or their scope's parent changed, by id.

        A change of a referenced row alone (a work type renamed) never moves a record out of the year.
        """
        return self._ids_changed_through(rt, rt.scoped_through)

    def _latest_change(self, type_names) -> int:
        """Return the latest change (a save or a deletion) of the given types' rows, up to the snapshot's end."""
        latest = 0
        for name in type_names:
            model = fmt.BY_NAME[name].model
            value = model.select(fn.MAX(model.change_no)).where(model.change_no <= self.hi).scalar()
            latest = max(latest, value or 0)
        tombstoned = (
            Tombstone.select(fn.MAX(Tombstone.change_no))
            .where(
                Tombstone.record_type.in_([fmt.BY_NAME[name].tombstone_type for name in type_names])
                & (Tombstone.change_no <= self.hi)
            )
            .scalar()
        )
        return max(latest, tombstoned or 0)

    def _changed_id_batches(self, rt, rescoped=False):
        """Yield `id IN (…)` conditions for the changed rows of a type, a batch at a time.

        `rescoped`: only the rows that may have moved out of the year's scope (`_rescoped_ids`).
        """
        ids = self._rescoped_ids(rt) if rescoped else self._changed_ids(rt)
        for batch in _batches(ids):
            yield rt.model.id.in_(id_list(row[0] for row in batch))

    def _deleted_ids(self, rt):
        """Each deleted id once, with the change number of its latest deletion, by id."""
        # `|| ''` keeps the (record_type, record_id) index out: the change_no range is the narrow part.
        return (
            Tombstone.select(Tombstone.record_id, fn.MAX(Tombstone.change_no))
            .where(
                (Tombstone.record_type.concat("") == rt.tombstone_type)
                & _in_range(Tombstone.change_no, self.lo, self.hi)
            )
            .group_by(Tombstone.record_id)
            .order_by(Tombstone.record_id)
        )

    # --- upserts ---------------------------------------------------------------------------

    def _rows_query(self, rt, condition):
        """Return the rows of a type in the year's scope that meet `condition`, with their fields, by id."""
        model = rt.model
        scope = rt.in_scope(self.year_id)
        if scope is not None:
            condition &= scope
        query = rt.base_query(model.id, *rt.change_columns, *rt.columns)
        return query.where(condition).order_by(model.id)

    def _changed_rows(self, rt):
        for ids in self._changed_id_batches(rt):
            rows = db.execute_sql(*self._rows_query(rt, ids).sql()).fetchall()
            if rows:
                yield rows

    # --- deletions -------------------------------------------------------------------------

    def _left_scope(self, rt):
        """Yield (id, change) of rows changed in the range that are outside the year's scope now."""
        scope = rt.in_scope(self.year_id)
        if scope is None:
            return
        model = rt.model
        for ids in self._changed_id_batches(rt, rescoped=True):
            query = rt.base_query(model.id, *rt.scope_change_columns).where(ids & ~scope).order_by(model.id)
            # The delete's change: the one that took the row out (its own, or its scope parent's).
            for row in db.execute_sql(*query.sql()).fetchall():
                yield row[0], max(row[1:])

    def _deletes(self, rt):
        streams = []
        if self.deleted.get(rt.tombstone_type):
            streams.append(_rows(self._deleted_ids(rt)))
        if rt.scope is not None and self.rescoped[rt.name]:
            streams.append(self._left_scope(rt))
        # Both streams are ordered by id; one line per id, with its latest change number.
        merged = heapq.merge(*streams, key=lambda row: (row[0], row[1]))

        def unique():
            previous = None
            for row in merged:
                if previous is not None and row[0] != previous[0]:
                    yield previous
                previous = row
            if previous is not None:
                yield previous

        return _chunked(unique())


@contextmanager
def _snapshot(kind: str):
    """Open a read-only transaction that sees one consistent state of the whole database."""
    if db.in_transaction():
        raise RuntimeError("A package is built in its own transaction, not inside another one.")
    if not is_sqlite():
        with db.atomic():
            db.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if kind == "daily":
                # A daily package reads a few thousand rows by id and their parents by primary key.
                # At the default random_page_cost (4, a spinning disk's) PostgreSQL hashes the whole
                # lesson table for each batch instead (20 ms against 2); 1.1 is the usual cost for
                # SSDs and cached data. Only for this transaction: a full package scans every table.
                db.execute_sql("SET LOCAL random_page_cost = 1.1")
            yield
        return
    # Each row is read once: a big page cache would only grow with the year, not speed anything up.
    cache_size = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        with db.atomic():
            yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {int(cache_size)}")


def build_package(
    out,
    *,
    kind: str,
    package_id: str,
    generated_at,
    school_code: str,
    upload_root: Path,
    contents_out,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildResult:
    """Write one package to the binary file object `out`; return its range, counts and checksums.

    Its content list goes to the binary file object `contents_out`: the homework files' contents
    its upserts name, stored under `upload_root` (`journal_files.upload_root`).
    `on_progress(done, total)` is called now and then; it may raise to stop the build.
    """
    if kind not in ("daily", "full"):
        raise ValueError(f"Unknown export kind {kind!r}")
    if not school_code:
        raise ExportError("Не задан код школы: укажите его в настройках школы — без него портал не примет пакет.")
    with _snapshot(kind):
        hi = _counter_value()
        year = SchoolYear.current()
        if year is None:
            raise ExportError(
                "Не задан текущий учебный год: выгружать нечего. Отметьте текущий год в разделе «Учебные годы»."
            )
        lo = continued_watermark(year, school_code) if kind == "daily" else None
        settings = SchoolSettings.load()
        plan = _Plan(kind, year.id, lo, hi)
        total = sum(step.count() for step in plan.steps)
        # The staff's scopes are read only for a package that carries staff records.
        carries_staff = any(step.record_type.name == "staff" and step.op == "upsert" for step in plan.steps)
        scopes = _staff_scopes(year.id) if carries_staff else {}

        writer = _PackageWriter(out)
        contents = ContentRecorder(upload_root, contents_out)
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
        done = reported = 0
        if on_progress:
            on_progress(0, total)
        for step in plan.steps:
            for rows in step.batches():
                if step.op == "delete":
                    lines = _delete_lines(step.record_type, rows)
                else:
                    floor = plan.floors.get(step.record_type.name, 0)
                    lines = _upsert_lines(step.record_type, rows, scopes, floor, contents)
                writer.write_lines(lines)
                counts[step.record_type.name][step.op] += len(rows)
                done += len(rows)
                if on_progress and done - reported >= PROGRESS_EVERY:
                    on_progress(done, total)
                    reported = done
        body_sha256 = writer.body_sha256()
        writer.finish(fmt.trailer_line(counts=counts, records=done, body_sha256=body_sha256))
        if on_progress:
            on_progress(done, done)  # complete: the total is what was written (it was an estimate)
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
        version=fmt.FORMAT_VERSION,
        contents=contents.count,
        content_bytes=contents.bytes,
    )
