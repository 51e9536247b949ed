"""Permission codes, their Russian labels, and the built-in roles' defaults (R2.1).

Code names a permission through `Perm` (`Perm.JOURNAL_CHECK`), never as a bare string: a
misspelt member is an AttributeError at import, and `access.can` refuses any code that is not
listed here (`UnknownPermission`) instead of silently denying.
"""

from enum import StrEnum


class Perm(StrEnum):
    """Every permission code; members are plain strings ("journal.check"), as stored in the database."""

    STAFF_MANAGE = "staff.manage"
    UIDS_MANAGE = "uids.manage"
    SCHOOL_VIEW = "school.view"
    SCHOOL_MANAGE = "school.manage"
    STUDENTS_VIEW = "students.view"
    STUDENTS_MANAGE = "students.manage"
    APPLICATIONS_VIEW = "applications.view"
    APPLICATIONS_MANAGE = "applications.manage"
    JOURNAL_EDIT_OWN = "journal.edit_own"
    JOURNAL_VIEW_ALL = "journal.view_all"
    JOURNAL_CHECK = "journal.check"
    EXPORTS_VIEW = "exports.view"
    EXPORTS_RUN = "exports.run"
    AUDIT_VIEW = "audit.view"
    REPORTS_VIEW = "reports.view"
    ARCHIVE_MANAGE = "archive.manage"
    PRIVACY_SUBJECT_ACCESS = "privacy.subject_access"
    IMPORT_MANAGE = "import.manage"
    YEAR_TRANSITION = "year.transition"
    BACKUPS_MANAGE = "backups.manage"


# A code nobody holds: the secure base's default for a view that names no permission (deny).
NOBODY = "__nobody__"

PERMISSIONS = {
    Perm.STAFF_MANAGE: "Сотрудники, роли и права доступа",
    Perm.UIDS_MANAGE: "Ввод UID портала",
    Perm.SCHOOL_VIEW: "Просмотр классов, предметов, нагрузки и расписания",
    Perm.SCHOOL_MANAGE: "Учебные годы, классы, предметы, нагрузка, расписание",
    Perm.STUDENTS_VIEW: "Просмотр учеников и родителей",
    Perm.STUDENTS_MANAGE: "Ученики, родители, зачисления",
    Perm.APPLICATIONS_VIEW: "Просмотр заявлений родителей",
    Perm.APPLICATIONS_MANAGE: "Приём заявлений родителей",
    Perm.JOURNAL_EDIT_OWN: "Заполнение журнала по своим урокам",
    Perm.JOURNAL_VIEW_ALL: "Просмотр всего журнала",
    Perm.JOURNAL_CHECK: "Проверка журнала, замечания",
    Perm.EXPORTS_VIEW: "Просмотр выгрузок на портал",
    Perm.EXPORTS_RUN: "Выгрузка на портал, настройки выгрузки",
    Perm.AUDIT_VIEW: "Журнал изменений (аудит)",
    Perm.REPORTS_VIEW: "Отчёты по всей школе, архив журналов",
    Perm.ARCHIVE_MANAGE: "Формирование архива журналов за год",
    Perm.PRIVACY_SUBJECT_ACCESS: "Сведения о персональных данных человека по его запросу",
    Perm.IMPORT_MANAGE: "Импорт данных школы из таблиц",
    Perm.YEAR_TRANSITION: "Перевод учебного года",
    Perm.BACKUPS_MANAGE: "Резервные копии базы данных",
}

BUILTIN_ROLES = {
    "admin": (
        "Администратор",
        [
            Perm.STAFF_MANAGE,
            Perm.UIDS_MANAGE,
            Perm.SCHOOL_VIEW,
            Perm.SCHOOL_MANAGE,
            Perm.STUDENTS_VIEW,
            Perm.STUDENTS_MANAGE,
            Perm.APPLICATIONS_VIEW,
            Perm.APPLICATIONS_MANAGE,
            Perm.JOURNAL_VIEW_ALL,
            Perm.EXPORTS_VIEW,
            Perm.EXPORTS_RUN,
            Perm.AUDIT_VIEW,
            Perm.ARCHIVE_MANAGE,
            Perm.PRIVACY_SUBJECT_ACCESS,
            Perm.IMPORT_MANAGE,
            Perm.YEAR_TRANSITION,
            Perm.BACKUPS_MANAGE,
        ],
    ),
    "head": (
        "Руководитель ОУ",
        [
            Perm.SCHOOL_VIEW,
            Perm.STUDENTS_VIEW,
            Perm.APPLICATIONS_VIEW,
            Perm.JOURNAL_VIEW_ALL,
            Perm.EXPORTS_VIEW,
            Perm.AUDIT_VIEW,
            Perm.REPORTS_VIEW,
        ],
    ),
    "deputy": (
        "Заместитель директора по УВР",
        [
            Perm.SCHOOL_VIEW,
            Perm.STUDENTS_VIEW,
            Perm.APPLICATIONS_VIEW,
            Perm.JOURNAL_VIEW_ALL,
            Perm.JOURNAL_CHECK,
            Perm.EXPORTS_VIEW,
            Perm.AUDIT_VIEW,
            Perm.REPORTS_VIEW,
        ],
    ),
    "teacher": ("Учитель", [Perm.SCHOOL_VIEW, Perm.STUDENTS_VIEW, Perm.JOURNAL_EDIT_OWN]),
}

KNOWN_CODES = frozenset(Perm)


class UnknownPermission(ValueError):
    """A permission code that is not in `Perm`: a programming error, never a silent refusal."""


def ensure_known(code) -> str:
    """Return the code when it names a permission (or NOBODY); raise UnknownPermission otherwise."""
    if code in KNOWN_CODES or code == NOBODY:
        return code
    raise UnknownPermission(f"Unknown permission code {code!r}; known: {', '.join(sorted(KNOWN_CODES))}")


def permission_label(code: str) -> str:
    """Return the Russian label of a permission code (the code itself if unknown)."""
    return PERMISSIONS.get(code, code)
