"""Permission codes, their Russian labels, and the built-in roles' defaults (R2.1)."""

PERMISSIONS = {
    "staff.manage": "Сотрудники, роли и права доступа",
    "uids.manage": "Ввод UID портала",
    "school.view": "Просмотр классов, предметов, нагрузки и расписания",
    "school.manage": "Учебные годы, классы, предметы, нагрузка, расписание",
    "students.view": "Просмотр учеников и родителей",
    "students.manage": "Ученики, родители, зачисления",
    "applications.view": "Просмотр заявлений родителей",
    "applications.manage": "Приём заявлений родителей",
    "journal.edit_own": "Заполнение журнала по своим урокам",
    "journal.view_all": "Просмотр всего журнала",
    "journal.check": "Проверка журнала, замечания",
    "exports.view": "Просмотр выгрузок на портал",
    "exports.run": "Выгрузка на портал, настройки выгрузки",
    "audit.view": "Журнал изменений (аудит)",
}

BUILTIN_ROLES = {
    "admin": (
        "Администратор",
        [
            "staff.manage",
            "uids.manage",
            "school.view",
            "school.manage",
            "students.view",
            "students.manage",
            "applications.view",
            "applications.manage",
            "journal.view_all",
            "exports.view",
            "exports.run",
            "audit.view",
        ],
    ),
    "head": (
        "Руководитель ОУ",
        [
            "school.view",
            "students.view",
            "applications.view",
            "journal.view_all",
            "exports.view",
            "audit.view",
        ],
    ),
    "deputy": (
        "Заместитель директора по УВР",
        [
            "school.view",
            "students.view",
            "applications.view",
            "journal.view_all",
            "journal.check",
            "exports.view",
            "audit.view",
        ],
    ),
    "teacher": ("Учитель", ["school.view", "students.view", "journal.edit_own"]),
}


def permission_label(code: str) -> str:
    """Return the Russian label of a permission code (the code itself if unknown)."""
    return PERMISSIONS.get(code, code)
