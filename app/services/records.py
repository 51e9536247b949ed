"""Generic record rules shared by every area: safe deletion and friendly database errors."""

from peewee import IntegrityError

from app.services.errors import DomainError

# Russian plural names of what can depend on a record, for "cannot delete" messages.
MODEL_LABELS = {
    "Absence": "пропуски",
    "AuditEntry": "записи аудита",
    "ClassGroup": "классы",
    "DiaryApplication": "заявления родителей",
    "Enrollment": "зачисления учеников",
    "Guardian": "родители",
    "HomeworkFile": "файлы домашних заданий",
    "Holiday": "каникулы и праздники",
    "Lesson": "уроки",
    "Mark": "отметки",
    "RolePermission": "права роли",
    "SchoolYear": "учебные годы",
    "Staff": "сотрудники",
    "StaffRole": "назначения ролей сотрудникам",
    "Student": "ученики",
    "StudentGuardian": "связи ученик — родитель",
    "Subject": "предметы",
    "TeachingAssignment": "учебная нагрузка",
    "Term": "учебные периоды",
    "TimetableSlot": "уроки расписания",
}


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
            found.append((MODEL_LABELS.get(fk.model.__name__, fk.model.__name__), count))
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
