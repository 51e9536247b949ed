"""Change numbers and tombstones: what lets an export send only what changed (DESIGN 3).

Every write to an exported table keeps the guarantee, whichever way it is made:

- an instance's `save()` takes one change number, `delete_instance()` leaves one tombstone;
- a class-level `Model.update(...)` gives every row it touches one new change number (an export
  sends everything above the last delivered number, so rows may share one);
- `Model.delete().where(...)` leaves a tombstone for every row it deletes;
- `Model.insert(...)`, `insert_many(...)`, `bulk_create(...)` number their rows from a reserved
  block; an upsert (`on_conflict(update=…/preserve=…)`) renumbers the row it updates;
- what cannot keep it is refused with `UnnumberedWrite`: `replace()`/`replace_many()` and any
  `ON CONFLICT REPLACE` (it deletes a conflicting row without a tombstone), `insert_from()` and
  INSERT … SELECT, `truncate_table()`, `Model.raw()` with anything but a SELECT, and a DELETE with
  RETURNING, LIMIT, ORDER BY or WITH.

SQL written by hand through `db.execute_sql` is outside this net: it must reserve its own numbers
(as the demo seeder does with `ChangeCounter.reserve`).
"""

import re
from collections.abc import Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from peewee import (
    SQL,
    BigIntegerField,
    CharField,
    DateTimeField,
    IntegerField,
    ModelDelete,
    ModelInsert,
    ModelRaw,
    ModelUpdate,
    SelectQuery,
    chunked,
)

from app import memo
from app.clock import utcnow
from app.db import BaseModel, db


class ChangeCounter(BaseModel):
    """One row holding the last change number handed out."""

    id = IntegerField(primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "change_counter"

    def __str__(self):
        return str(self.value)

    @classmethod
    def next_value(cls) -> int:
        """Take the next change number inside the caller's transaction.

        The UPDATE holds the counter row's lock until the transaction ends, so change
        numbers become visible in the order they were handed out, on SQLite and on
        PostgreSQL alike: an export that reads the counter never skips a row that
        commits later with a smaller number.
        """
        return cls.reserve(1)

    @classmethod
    def reserve(cls, count: int) -> int:
        """Take a block of `count` change numbers inside the caller's transaction; return the first.

        One UPDATE for the whole block, for bulk inserts: the same row lock as next_value
        keeps the numbers unique and in commit order.
        """
        if count < 1:
            raise ValueError("Reserve at least one change number.")
        cursor = db.execute_sql(
            f"UPDATE change_counter SET value = value + {db.param} WHERE id = 1 RETURNING value",
            (int(count),),
        )
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError("The change counter row is missing: run `flask db upgrade`.")
        return row[0] - count + 1

    @classmethod
    def current(cls) -> int:
        """Return the last change number handed out and committed."""
        row = cls.get_or_none(cls.id == 1)
        return row.value if row else 0


class Tombstone(BaseModel):
    """A deleted exported row: its type, its id and the change number of the deletion."""

    record_type = CharField(max_length=40)
    record_id = IntegerField()
    change_no = BigIntegerField(index=True)
    deleted_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "tombstone"
        indexes = ((("record_type", "record_id"), False),)

    def __str__(self):
        return f"{self.record_type}#{self.record_id} @{self.change_no}"


class UnnumberedWrite(RuntimeError):
    """A write to an exported table that would skip its change numbers or tombstones."""


# Set while an instance method (save, delete_instance, bulk_create, bulk_update) runs the
# statement it has already numbered: its queries then run as they are.
_numbered = ContextVar("exported_write_numbered", default=False)

_TOMBSTONE_CHUNK = 500

# Set inside `one_transaction()`: the numbered writes join the caller's transaction instead of
# each opening a savepoint of its own (two statements more per write).
_joined = ContextVar("exported_write_joined", default=False)


@contextmanager
def one_transaction():
    """Run a block as one transaction that any failure inside rolls back whole; its numbered writes take no savepoints.

    A write's own savepoint only matters to a caller that catches the write's error and goes on in
    the same transaction; inside this block nobody does (an error leaves the block, and the block's
    transaction, or its savepoint when it is itself nested, is rolled back). Code that wants to catch
    a failed write inside the block wraps that write in its own `db.atomic()`.
    """
    with db.atomic():
        token = _joined.set(True)
        try:
            yield
        finally:
            _joined.reset(token)


def _atomic(database=None):
    """Return the transaction a numbered write runs in: the caller's inside `one_transaction()`, else its own."""
    database = database or db
    if _joined.get() and database.in_transaction():
        return nullcontext()
    return database.atomic()


def _is_change_no(key) -> bool:
    return getattr(key, "name", key) == "change_no"


class _Numbered:
    """Mark the statements run inside as already numbered by the caller."""

    def __enter__(self):
        self._token = _numbered.set(True)

    def __exit__(self, *exc):
        _numbered.reset(self._token)


class ExportedUpdate(ModelUpdate):
    """UPDATE of an exported table: every row it touches takes one new change number."""

    def _execute(self, database):
        if _numbered.get():
            return super()._execute(database)
        memo.touched(self.model._meta.table_name)
        with _atomic(database):
            data = {key: value for key, value in (self._update or {}).items() if not _is_change_no(key)}
            data[self.model.change_no] = ChangeCounter.next_value()
            self._update = data
            return super()._execute(database)


class ExportedDelete(ModelDelete):
    """DELETE from an exported table: a tombstone for every row it deletes, in the same transaction."""

    def _execute(self, database):
        if _numbered.get():
            return super()._execute(database)
        if self._returning or self._limit is not None or self._offset is not None or self._order_by or self._cte_list:
            raise UnnumberedWrite(
                f"DELETE with RETURNING, LIMIT, ORDER BY or WITH on {self.model.__name__} is refused: "
                "select the rows, then delete them by id."
            )
        model = self.model
        pk = model._meta.primary_key
        memo.touched(model._meta.table_name)
        with _atomic(database):
            # The counter's row lock first: no other writer of exported rows can commit a row
            # into the set between the SELECT of ids and the DELETE.
            first = ChangeCounter.next_value()
            ids = [row[0] for row in model.select(pk).where(self._where).order_by(pk).tuples()]
            if len(ids) > 1:
                following = ChangeCounter.reserve(len(ids) - 1)
                assert following == first + 1, "the counter moved while its row was locked"
            deleted = 0
            for offset, chunk in enumerate(chunked(ids, _TOMBSTONE_CHUNK)):
                base = first + offset * _TOMBSTONE_CHUNK
                Tombstone.insert_many(
                    [
                        {"record_type": model.record_type, "record_id": record_id, "change_no": base + i}
                        for i, record_id in enumerate(chunk)
                    ]
                ).execute()
                deleted += ModelDelete(model).where(pk.in_(chunk)).execute(database)
            return deleted


class ExportedInsert(ModelInsert):
    """INSERT into an exported table: each row takes its own change number from a reserved block."""

    def _execute(self, database):
        if _numbered.get():
            return super()._execute(database)
        self._refuse_unnumbered()
        memo.touched(self.model._meta.table_name)
        with _atomic(database):
            self._number_rows()
            return super()._execute(database)

    def _refuse_unnumbered(self) -> None:
        name = self.model.__name__
        conflict = self._on_conflict
        if conflict is not None and str(conflict._action or "").upper() == "REPLACE":
            raise UnnumberedWrite(
                f"REPLACE into {name} is refused: it deletes a conflicting row without a tombstone. "
                "Use save(), or insert(...).on_conflict(update=...)."
            )
        if isinstance(self._insert, (SelectQuery, SQL)):
            raise UnnumberedWrite(
                f"INSERT … SELECT into {name} is refused: its rows cannot be given change numbers. "
                "Read the rows and use insert_many()."
            )

    def _number_rows(self) -> None:
        model = self.model
        conflict = self._on_conflict
        if conflict is not None and (conflict._update or conflict._preserve):
            # An upsert that updates the existing row must renumber it too.
            if conflict._update:
                conflict._update = {k: v for k, v in conflict._update.items() if not _is_change_no(k)}
            preserve = tuple(conflict._preserve or ())
            if not any(_is_change_no(p) for p in preserve):
                conflict._preserve = (*preserve, model.change_no)
        if isinstance(self._insert, Mapping) and not self._columns:
            row = {key: value for key, value in self._insert.items() if not _is_change_no(key)}
            row[model.change_no] = ChangeCounter.next_value()
            self._insert = row
            return
        rows = list(self._insert or ())
        if not rows:
            self._insert = rows
            return
        first = ChangeCounter.reserve(len(rows))
        columns = self._columns
        if all(isinstance(row, Mapping) for row in rows):
            self._insert = [
                {**{k: v for k, v in row.items() if not _is_change_no(k)}, "change_no": first + i}
                for i, row in enumerate(rows)
            ]
            if columns and not any(_is_change_no(c) for c in columns):
                self._columns = [*columns, model.change_no]
            return
        if any(isinstance(row, Mapping) for row in rows):
            raise UnnumberedWrite(f"insert_many into {model.__name__}: rows must be all mappings or all tuples.")
        columns = [getattr(model, c) if isinstance(c, str) else c for c in (columns or self.get_default_columns())]
        position = next((i for i, c in enumerate(columns) if _is_change_no(c)), None)
        numbered = []
        for i, row in enumerate(rows):
            values = list(row)
            if position is None:
                values.append(first + i)
            else:
                values[position] = first + i
            numbered.append(tuple(values))
        if position is None:
            columns = [*columns, model.change_no]
        self._columns = columns
        self._insert = numbered


_READ_ONLY_SQL = re.compile(r"^\s*(select|with)\b(?!.*\b(insert|update|delete|merge)\b)", re.I | re.S)


class ExportedModel(BaseModel):
    """A model whose rows go to the portal: every write takes a change number, every delete leaves a tombstone."""

    change_no = BigIntegerField(index=True, default=0)

    # The record type name in export packages; set by each subclass.
    record_type = ""

    def save(self, *args, **kwargs):
        memo.touched(self._meta.table_name)
        with _atomic():
            self.change_no = ChangeCounter.next_value()
            with _Numbered():
                return super().save(*args, **kwargs)

    def delete_instance(self, recursive=False, delete_nullable=False):
        if recursive:
            raise ValueError("Exported rows are never deleted recursively.")
        memo.touched(self._meta.table_name)
        with _atomic():
            Tombstone.create(
                record_type=self.record_type,
                record_id=self.get_id(),
                change_no=ChangeCounter.next_value(),
            )
            with _Numbered():
                return super().delete_instance()

    def save_if_unchanged(self, change_no: int) -> bool:
        """Write the row's values only while it still holds `change_no`, taking a new change number; tell if it did.

        A compare-and-set in one UPDATE: a concurrent writer either waits for the row's lock and
        then finds another number (nothing is written here), or has changed the row already.
        """
        model = type(self)
        pk = model._meta.primary_key
        data = {
            model._meta.fields[name]: value
            for name, value in self.__data__.items()
            if name not in (pk.name, "change_no") and name in model._meta.fields
        }
        memo.touched(self._meta.table_name)
        with _atomic():
            number = ChangeCounter.next_value()
            data[model.change_no] = number
            with _Numbered():
                taken = model.update(data).where((pk == self.get_id()) & (model.change_no == change_no)).execute()
        if taken != 1:
            return False
        self.change_no = number
        self._dirty.clear()
        return True

    def delete_if_unchanged(self, change_no: int) -> bool:
        """Delete the row, leaving its tombstone, only while it still holds `change_no`; tell if it did."""
        model = type(self)
        pk = model._meta.primary_key
        memo.touched(self._meta.table_name)
        with _atomic():
            number = ChangeCounter.next_value()
            with _Numbered():
                deleted = model.delete().where((pk == self.get_id()) & (model.change_no == change_no)).execute()
            if deleted == 1:
                Tombstone.create(record_type=self.record_type, record_id=self.get_id(), change_no=number)
        return deleted == 1

    # --- class-level writes: numbered, or refused ------------------------------------------

    @classmethod
    def update(cls, __data=None, **update):
        return ExportedUpdate(cls, cls._normalize_data(__data, update))

    @classmethod
    def delete(cls):
        return ExportedDelete(cls)

    @classmethod
    def insert(cls, __data=None, **insert):
        return ExportedInsert(cls, cls._normalize_data(__data, insert))

    @classmethod
    def insert_many(cls, rows, fields=None):
        return ExportedInsert(cls, insert=rows, columns=fields)

    @classmethod
    def insert_from(cls, query, fields):
        raise UnnumberedWrite(
            f"{cls.__name__}.insert_from() is refused: INSERT … SELECT rows cannot be given change numbers."
        )

    @classmethod
    def replace(cls, __data=None, **insert):
        raise UnnumberedWrite(
            f"{cls.__name__}.replace() is refused: it deletes a conflicting row without a tombstone. "
            "Use save(), or insert(...).on_conflict(update=...)."
        )

    @classmethod
    def replace_many(cls, rows, fields=None):
        raise UnnumberedWrite(
            f"{cls.__name__}.replace_many() is refused: it deletes conflicting rows without tombstones."
        )

    @classmethod
    def raw(cls, sql, *params):
        if not _READ_ONLY_SQL.match(sql):
            raise UnnumberedWrite(f"{cls.__name__}.raw() runs only SELECT statements on an exported table.")
        return ModelRaw(cls, sql, params)

    @classmethod
    def truncate_table(cls, **options):
        raise UnnumberedWrite(f"{cls.__name__}.truncate_table() is refused: it leaves no tombstones.")

    @classmethod
    def bulk_create(cls, model_list, batch_size=None):
        model_list = list(model_list)
        if not model_list:
            return
        memo.touched(cls._meta.table_name)
        with _atomic():
            first = ChangeCounter.reserve(len(model_list))
            for i, instance in enumerate(model_list):
                instance.change_no = first + i
            with _Numbered():
                return super().bulk_create(model_list, batch_size)

    @classmethod
    def bulk_update(cls, model_list, fields, batch_size=None):
        model_list = list(model_list)
        if not model_list:
            return 0
        memo.touched(cls._meta.table_name)
        with _atomic():
            number = ChangeCounter.next_value()
            for instance in model_list:
                instance.change_no = number
            fields = [f for f in fields if not _is_change_no(f)] + [cls.change_no]
            with _Numbered():
                return super().bulk_update(model_list, fields, batch_size)
