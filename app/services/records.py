"""Generic record rules shared by every area: the one write path, safe deletion, friendly database errors.

Every area's create, update and delete of a record goes through `create_row`, `update_row` and
`delete_row` here (app/services/school.py, students.py, work_types.py wrap them with their rules),
so the panel, the CLI, imports and jobs write alike: one transaction, the area's rules checked
inside it, an audit entry with the values before and after, and no delete that would cascade.
"""

from collections.abc import Callable, Iterable

from peewee import IntegrityError

from app.db import db
from app.labels import model_plural
from app.services import audit
from app.services.errors import DomainError


def dependents(instance) -> list[tuple[str, int]]:
    """Return (label, count) for every kind of row that still points at this one.

    Foreign keys declared ON DELETE CASCADE or SET NULL are the record's own parts
    (a role's permission list) or history that survives it (audit), so they do not block.
    """
    found = []
    for query, fk in instance.dependencies():
        if (fk.on_delete or "").upper() in ("CASCADE", "SET NULL"):
            continue
        count = fk.model.select().where(query).count()
        if count:
            found.append((model_plural(fk.model.__name__), count))
    return found


def ensure_deletable(instance) -> None:
    """Refuse to delete a record others depend on, saying which ones: never cascade."""
    found = dependents(instance)
    if found:
        listed = ", ".join(f"{label} — {count}" for label, count in found)
        raise DomainError(
            f"Нельзя удалить «{instance}»: с этой записью связаны {listed}. "
            "Сначала удалите или измените связанные записи."
        )


def integrity_message(exc: IntegrityError) -> str:
    """Translate a database constraint error into a message for a school employee."""
    text = str(exc).lower()
    if "unique" in text or "duplicate" in text:
        return "Такая запись уже есть: значение должно быть уникальным."
    if "foreign key" in text:
        return "Запись связана с другими данными, изменение невозможно."
    if "not null" in text or "null value" in text:
        return "Заполните все обязательные поля."
    return "Данные не сохранены: они противоречат правилам базы данных."


# --- the one write path -----------------------------------------------------------------------


def _assign(row, fields: dict) -> None:
    """Set the given fields on a row; a name that is not an editable field is a programming error."""
    meta = row._meta
    for name in fields:
        if name not in meta.fields or meta.fields[name] is meta.primary_key:
            raise TypeError(f"{type(row).__name__} has no editable field {name!r}")
    for name, value in fields.items():
        setattr(row, name, value)


def _saving(row, validate, before_save) -> None:
    if validate is not None:
        validate(row)
    if before_save is not None:
        before_save(row)


def create_row(
    actor,
    model,
    fields: dict,
    *,
    validate: Callable | None = None,
    before_save: Callable | None = None,
    source: str = "panel",
):
    """Create a row of `model` from `fields` in one transaction, checked by `validate(row)` and audited.

    `before_save(row)` runs after the check, inside the same transaction (a write the row brings
    along, such as another year losing the "current" mark). A refusal is a DomainError; a
    database constraint is reported as one too, and nothing is written either way.
    """
    row = model()
    _assign(row, fields)
    try:
        with db.atomic():
            _saving(row, validate, before_save)
            row.save(force_insert=True)
            audit.record(actor, "create", row, after=row.snapshot(), source=source)
    except IntegrityError as exc:
        raise DomainError(integrity_message(exc)) from exc
    return row


def update_row(
    actor,
    row,
    fields: dict,
    *,
    validate: Callable | None = None,
    before_save: Callable | None = None,
    source: str = "panel",
):
    """Change the given fields of a row in one transaction, checked by `validate(row)` and audited.

    On a refusal the row keeps the values it had, in the database and in memory.
    """
    before = row.snapshot()
    kept = dict(row.__data__), set(row._dirty), dict(row.__rel__)
    try:
        with db.atomic():
            _assign(row, fields)
            _saving(row, validate, before_save)
            row.save()
            audit.record(actor, "update", row, before=before, after=row.snapshot(), source=source)
    except BaseException as exc:
        row.__data__, row._dirty, row.__rel__ = kept
        if isinstance(exc, IntegrityError):
            raise DomainError(integrity_message(exc)) from exc
        raise
    return row


def delete_row(actor, row, *, check: Callable | None = None, source: str = "panel") -> None:
    """Delete a row in one transaction, audited: refused by `check(row)` or when other rows point at it."""
    try:
        with db.atomic():
            if check is not None:
                check(row)
            ensure_deletable(row)
            before = row.snapshot()
            row.delete_instance()
            audit.record(actor, "delete", row, before=before, source=source)
    except IntegrityError as exc:
        raise DomainError(integrity_message(exc)) from exc


def delete_all(rows: Iterable, delete: Callable) -> int:
    """Delete every row with `delete(row)` in one transaction, all of them or none; return how many.

    A query given as `rows` is read inside the transaction.
    """
    with db.atomic():
        found = list(rows)
        for row in found:
            delete(row)
    return len(found)
