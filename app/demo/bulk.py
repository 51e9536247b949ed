"""Bulk writing for the demo school: multi-row INSERTs and ids handed out by the builder.

A large school has about a million rows; one INSERT a row, or peewee composing each statement,
would take minutes. The builder assigns ids itself so rows can point at each other without
reading them back, and moves PostgreSQL's sequences past them at the end.
"""

from app.db import db, is_sqlite
from app.models import (
    ChangeCounter,
    ClassGroup,
    Guardian,
    Journal,
    Lesson,
    PlanRow,
    Room,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    Term,
    ThematicPlan,
)

CHUNK = 1000

EXPLICIT_ID_MODELS = (
    SchoolYear,
    Term,
    Subject,
    Staff,
    ClassGroup,
    Student,
    Guardian,
    StudyGroup,
    Journal,
    Lesson,
    ThematicPlan,
    PlanRow,
    Room,
)


def sync_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids the builder assigned."""
    if is_sqlite():
        return
    for model in EXPLICIT_ID_MODELS:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


class BulkInserter:
    """Collect rows of one model and write them CHUNK rows per multi-row INSERT.

    The statement text is built once per chunk length: peewee's insert_many would spend most of
    a large seeding composing SQL value by value. Values still go through each field's db_value,
    as parameters. Exported models get their change numbers as one reserved block per chunk.
    Columns the builder does not fill but which carry a default are filled with it, so a column
    added later by a migration does not break the seeding. With hold=True rows wait for an
    explicit flush (for rows that point at others not written yet).
    """

    def __init__(self, model, fields, hold: bool = False):
        self.model = model
        self.hold = hold
        named = {f.name for f in fields}
        self.defaults = [
            f
            for f in model._meta.sorted_fields
            if f.name not in named and f.name != "change_no" and not f.primary_key and f.default is not None
        ]
        self.exported = "change_no" in model._meta.fields
        self.fields = list(fields) + self.defaults + ([model.change_no] if self.exported else [])
        self.rows: list[tuple] = []
        self.count = 0
        self._sql: dict[int, str] = {}

    def add(self, *values) -> None:
        """Queue one row (values in the order of the fields given); write a full chunk unless held."""
        self.rows.append(values)
        if not self.hold and len(self.rows) >= CHUNK:
            self.flush()

    def _statement(self, n: int) -> str:
        if n not in self._sql:
            database = db.obj
            quote = database.quote  # the engine's pair of identifier quotes, e.g. '""'
            columns = ", ".join(f"{quote[0]}{f.column_name}{quote[1]}" for f in self.fields)
            row = "(" + ", ".join([database.param] * len(self.fields)) + ")"
            table = f"{quote[0]}{self.model._meta.table_name}{quote[1]}"
            self._sql[n] = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * n)}"
        return self._sql[n]

    def flush(self) -> None:
        """Write every queued row."""
        convert = [f.db_value for f in self.fields]
        while self.rows:
            chunk, self.rows = self.rows[:CHUNK], self.rows[CHUNK:]
            first = ChangeCounter.reserve(len(chunk)) if self.exported else 0
            params = []
            for i, values in enumerate(chunk):
                row = values + tuple(f.default() if callable(f.default) else f.default for f in self.defaults)
                if self.exported:
                    row += (first + i,)
                params.extend(c(v) for c, v in zip(convert, row, strict=True))
            db.execute_sql(self._statement(len(chunk)), params)
            self.count += len(chunk)


class IdPool:
    """Hand out ids for tables whose rows the builder links itself."""

    def __init__(self):
        self.next = {}

    def take(self, model) -> int:
        """Return the next free id of a model's table."""
        if model not in self.next:
            top = model.select(model.id).order_by(model.id.desc()).limit(1).scalar()
            self.next[model] = (top or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value
