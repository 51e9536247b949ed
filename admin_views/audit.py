"""Admin views: the audit trail, read-only for everyone (DESIGN 8)."""

import datetime as dt

from flask import abort
from flask_admin import expose
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEqual, FilterLike
from flask_admin.model.filters import BaseDateFilter
from flask_login import current_user
from markupsafe import Markup

from admin_views.base import SecureModelView
from app.models import MODELS, AuditEntry
from app.models.audit import AUDIT_SOURCES
from app.services import access, audit
from app.services.records import MODEL_LABELS

# Singular Russian names of what a change touched (records.MODEL_LABELS holds plurals).
MODEL_NAMES = {
    "Absence": "Пропуск",
    "AuditEntry": "Запись аудита",
    "ChangeCounter": "Счётчик изменений",
    "ClassGroup": "Класс",
    "DiaryApplication": "Заявление родителя",
    "Enrollment": "Зачисление ученика",
    "Guardian": "Родитель",
    "Holiday": "Каникулы, праздник",
    "HomeworkFile": "Файл домашнего задания",
    "Lesson": "Урок",
    "LoginAttempt": "Попытка входа",
    "Mark": "Отметка",
    "Permission": "Право доступа",
    "Role": "Роль",
    "RolePermission": "Право роли",
    "SchoolSettings": "Настройки школы",
    "SchoolYear": "Учебный год",
    "Staff": "Сотрудник",
    "StaffRole": "Роль сотрудника",
    "Student": "Ученик",
    "StudentGuardian": "Связь ученик — родитель",
    "Subject": "Предмет",
    "TeachingAssignment": "Учебная нагрузка",
    "Term": "Учебный период",
    "TimetableSlot": "Урок расписания",
    "Tombstone": "Отметка об удалении",
    "WorkType": "Вид работы",
}

ACTION_NAMES = {
    "create": "создание",
    "update": "изменение",
    "delete": "удаление",
    "status": "смена статуса",
    "password": "смена пароля",
    "permissions": "изменение прав роли",
    "roles": "изменение ролей сотрудника",
}

SOURCE_NAMES = dict(AUDIT_SOURCES)

# Russian names of the fields that snapshots hold most often; the rest show as stored.
FIELD_NAMES = {
    "last_name": "Фамилия",
    "first_name": "Имя",
    "middle_name": "Отчество",
    "login": "Логин",
    "active": "Активен",
    "portal_uid": "UID портала",
    "email": "Эл. почта",
    "phone": "Телефон",
    "birth_date": "Дата рождения",
    "name": "Название",
    "status": "Статус",
    "reject_reason": "Причина отклонения",
    "student_id": "Ученик (id)",
    "guardian_id": "Родитель (id)",
    "received_by_id": "Принял(а) (id)",
    "relation": "Кем приходится",
    "submitted_on": "Дата заявления",
    "portal_number": "№ на портале",
    "passport_presented": "Паспорт предъявлен",
    "names_checked": "ФИО сверены",
    "pd_consent": "Согласие на обработку ПДн",
    "student_last_name": "Фамилия ученика (в заявлении)",
    "student_first_name": "Имя ученика (в заявлении)",
    "student_middle_name": "Отчество ученика (в заявлении)",
    "guardian_last_name": "Фамилия родителя (в заявлении)",
    "guardian_first_name": "Имя родителя (в заявлении)",
    "guardian_middle_name": "Отчество родителя (в заявлении)",
    "permissions": "Права",
    "roles": "Роли",
    "password": "Пароль",
    "start_date": "Начало",
    "end_date": "Окончание",
    "created_at": "Создано",
    "updated_at": "Изменено",
    "change_no": "Номер изменения",
    "id": "Код записи",
}


def model_name(code: str) -> str:
    """Return the Russian singular name of a model (its plural, or the code, when unknown)."""
    return MODEL_NAMES.get(code) or MODEL_LABELS.get(code) or code


def action_name(code: str) -> str:
    """Return the Russian name of an audit action."""
    return ACTION_NAMES.get(code, code)


class DayFromFilter(BasePeeweeFilter, BaseDateFilter):
    """Changes made on or after a day."""

    def apply(self, query, value):
        return query.where(self.column >= dt.datetime.combine(value, dt.time.min))

    def operation(self):
        return "с"


class DayToFilter(BasePeeweeFilter, BaseDateFilter):
    """Changes made on or before a day (the whole day included)."""

    def apply(self, query, value):
        return query.where(self.column < dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min))

    def operation(self):
        return "по"


class RussianEqual(FilterEqual):
    """Equality filter named in Russian."""

    def operation(self):
        return "равно"


class RussianLike(FilterLike):
    """Substring filter named in Russian."""

    def operation(self):
        return "содержит"


def _sorted_options(names: dict, codes) -> list[tuple[str, str]]:
    return sorted(((code, names.get(code, code)) for code in set(codes)), key=lambda pair: pair[1])


class AuditEntryView(SecureModelView):
    """The audit trail: browse and filter; nobody creates, edits or deletes an entry, admins included."""

    required_permission = "audit.view"
    manage_permission = None
    # Plain attributes override the base's permission-driven properties: always read-only.
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False
    can_view_details = True
    page_size = 50
    page_size_options = (50, 100, 200)
    details_template = "audit/details.html"

    column_list = ("at", "actor_name", "source", "action", "model", "object_repr")
    column_labels = {
        "at": "Когда",
        "actor_name": "Кто",
        "source": "Источник",
        "action": "Действие",
        "model": "Объект",
        "object_id": "Код записи",
        "object_repr": "Запись",
    }
    column_sortable_list = ("at", "actor_name", "source", "action", "model")
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ("object_repr", "actor_name")
    column_filters = (
        RussianEqual(AuditEntry.model, "Объект", options=_sorted_options(MODEL_NAMES, [m.__name__ for m in MODELS])),
        RussianEqual(AuditEntry.action, "Действие", options=_sorted_options(ACTION_NAMES, ACTION_NAMES)),
        RussianLike(AuditEntry.actor_name, "Кто"),
        DayFromFilter(AuditEntry.at, "Дата"),
        DayToFilter(AuditEntry.at, "Дата"),
        RussianEqual(AuditEntry.source, "Источник", options=AUDIT_SOURCES),
    )

    def search_placeholder(self):
        return "Запись или сотрудник"

    def _format_at(self, context, model, name):
        return model.at.strftime("%d.%m.%Y %H:%M:%S")

    def _format_model(self, context, model, name):
        return model_name(model.model)

    def _format_action(self, context, model, name):
        return action_name(model.action)

    def _format_source(self, context, model, name):
        return SOURCE_NAMES.get(model.source, model.source)

    def _format_actor(self, context, model, name):
        return model.actor_name or "—"

    column_formatters = {
        "at": _format_at,
        "model": _format_model,
        "action": _format_action,
        "source": _format_source,
        "actor_name": _format_actor,
    }

    def get_query(self):
        return access.scope(AuditEntry.select(), current_user, AuditEntry)

    # Every write URL answers 403 to everyone, whatever their permissions.
    def _may_manage(self) -> bool:
        return False

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        abort(403)

    def is_action_allowed(self, name):
        return False

    # --- details: before and after side by side --------------------------------------------

    def diff_rows(self, entry) -> list[dict]:
        """Return one row per field of the entry: name, before, after, whether it changed."""
        changed = {name for name, _before, _after in audit.changed_fields(entry)}
        before, after = entry.before_data, entry.after_data
        rows = []
        for name in sorted(set(before) | set(after), key=lambda n: (n not in changed, n)):
            rows.append(
                {
                    "field": FIELD_NAMES.get(name, name),
                    "before": _show(before, name),
                    "after": _show(after, name),
                    "changed": name in changed,
                }
            )
        return rows

    def describe(self, entry) -> dict:
        """Return the entry's header in Russian for the details page."""
        return {
            "at": entry.at.strftime("%d.%m.%Y %H:%M:%S"),
            "actor": entry.actor_name or "—",
            "source": SOURCE_NAMES.get(entry.source, entry.source),
            "action": action_name(entry.action),
            "model": model_name(entry.model),
            "object": entry.object_repr,
            "object_id": entry.object_id or "",
        }


def _show(data: dict, name: str) -> Markup | str:
    if name not in data:
        return ""
    value = data[name]
    if value is None or value == "":
        return Markup('<span class="text-muted">—</span>')
    if value is True:
        return "да"
    if value is False:
        return "нет"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or Markup('<span class="text-muted">—</span>')
    return str(value)


def register(admin) -> None:
    """Register this area's views."""
    admin.add_view(
        AuditEntryView(
            AuditEntry,
            name="Журнал изменений",
            category="Администрирование",
            endpoint="auditentry",
            url="/auditentry",
        )
    )
