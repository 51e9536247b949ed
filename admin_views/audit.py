"""Admin views: the audit trail, read-only for everyone (DESIGN 8)."""

import datetime as dt

from flask import abort, current_app, flash, g, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEqual
from flask_admin.model.filters import BaseDateFilter
from flask_login import current_user

from admin_views.base import SecureModelView
from app.clock import app_clock
from app.labels import model_name
from app.models import MODELS, AuditEntry, Staff
from app.models.audit import AUDIT_SOURCES
from app.permissions import Perm
from app.services import access, audit, audit_list
from app.services.audit import ACTION_NAMES
from app.services.errors import DomainError


def labels_of(admin) -> audit.Labels:
    """Return the audit's labels: field names from app.labels, code choices the panel's model views declare."""
    labels = audit.Labels()
    for view in admin._views:
        model = getattr(view, "model", None)
        if model is not None and isinstance(view, ModelView):
            labels.add(model.__name__, view.column_choices)
    return labels


class DayFromFilter(BasePeeweeFilter, BaseDateFilter):
    """Changes made on or after a day."""

    def apply(self, query, value):
        return query.where(self.column >= app_clock(current_app).day_start(value))

    def operation(self):
        return "с"


class DayToFilter(BasePeeweeFilter, BaseDateFilter):
    """Changes made on or before a day (the whole day included)."""

    def apply(self, query, value):
        return query.where(self.column < app_clock(current_app).day_start(value + dt.timedelta(days=1)))

    def operation(self):
        return "по"


class RussianEqual(FilterEqual):
    """Equality filter named in Russian."""

    def operation(self):
        return "равно"


class ActorFilter(BasePeeweeFilter):
    """The changes one person made (the (actor_id, at) index walks them newest first).

    Its choices, the staff, are read for each page (`AuditEntryView._get_filter_groups`): Flask-Admin
    reads a filter's options once, when the view is made, before the database may even exist.
    """

    @staticmethod
    def people() -> list[tuple[str, str]]:
        people = Staff.select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name)
        return [(str(p.id), p.full_name) for p in people.order_by(Staff.last_name, Staff.first_name, Staff.id)]

    def validate(self, value):
        return str(value).isdigit() and len(str(value)) < 12

    def apply(self, query, value):
        return query.where(self.column == int(value))

    def operation(self):
        return "равно"


def _sorted_options(names: dict, codes) -> list[tuple[str, str]]:
    return sorted(((code, names.get(code, code)) for code in set(codes)), key=lambda pair: pair[1])


MODEL_OPTIONS = _sorted_options({m.__name__: model_name(m.__name__) for m in MODELS}, [m.__name__ for m in MODELS])


class AuditEntryView(SecureModelView):
    """The audit trail: browse and filter; nobody creates, edits or deletes an entry, admins included."""

    required_permission = Perm.AUDIT_VIEW
    manage_permission = None
    # Plain attributes override the base's permission-driven properties: always read-only.
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    page_size = 50
    page_size_options = (50, 100, 200)
    details_template = "audit/details.html"
    list_template = "audit/list.html"
    # Pages go by keyset (app/services/audit_list.py): newest first, no page numbers, no count.
    simple_list_pager = True

    column_list = ("at", "actor_name", "source", "action", "model", "object_repr")
    column_sortable_list = ()
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ("object_repr", "actor_name")
    column_filters = (
        RussianEqual(AuditEntry.model, "Объект", options=MODEL_OPTIONS),
        RussianEqual(AuditEntry.action, "Действие", options=_sorted_options(ACTION_NAMES, ACTION_NAMES)),
        ActorFilter(AuditEntry.actor, "Кто"),
        DayFromFilter(AuditEntry.at, "Дата"),
        DayToFilter(AuditEntry.at, "Дата"),
        RussianEqual(AuditEntry.source, "Источник", options=AUDIT_SOURCES),
    )

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        people = None
        for items in (groups or {}).values():
            for item in items:
                if isinstance(self._filters[item["index"]], ActorFilter):
                    item["options"] = people = people or ActorFilter.people()
        return groups

    def search_placeholder(self):
        return "Запись или сотрудник (от 3 букв)"

    # The list's cells come from audit.describe_entries, computed for the whole page at once (get_list).
    def _shown(self, model):
        shown = getattr(model, "_shown", None)
        if shown is None:
            shown = audit.describe_entries([model], current_user, app_clock(current_app), self.labels())[0]
        return shown

    column_formatters = {
        "at": lambda view, context, model, name: view._shown(model).at,
        "model": lambda view, context, model, name: view._shown(model).model,
        "action": lambda view, context, model, name: view._shown(model).action,
        "source": lambda view, context, model, name: view._shown(model).source,
        "actor_name": lambda view, context, model, name: view._shown(model).actor,
        "object_repr": lambda view, context, model, name: view._shown(model).object,
    }

    def labels(self) -> audit.Labels:
        """Return the panel's field labels (gathered once, after every view is registered)."""
        if getattr(self, "_labels", None) is None:
            self._labels = labels_of(self.admin)
        return self._labels

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """One page by keyset, through the search's text index and the filters' indexes (never a COUNT)."""
        query = self.get_query()
        if search:
            try:
                query = audit_list.search(query, search)
            except DomainError as exc:
                flash(str(exc), "error")
                query = query.where(AuditEntry.id.is_null())
        for index, _name, value in filters or ():
            flt = self._filters[index]
            query = flt.apply(query, flt.clean(value))
        if not execute:
            return None, query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        found = audit_list.page(
            query,
            size=page_size or self.page_size,
            older_than=request.args.get("older_than"),
            newer_than=request.args.get("newer_than"),
        )
        self.decorate_rows(found.rows)
        g.audit_page = found  # the view is shared by every request: the page is this request's
        return None, found.rows

    def pager_links(self) -> tuple[str | None, str | None]:
        """The links to the newer and the older page, keeping the search and the filters."""
        found = g.get("audit_page")
        args = {k: v for k, v in request.args.items() if k not in ("page", "older_than", "newer_than")}

        def link(**cursor):
            return url_for(".index_view", **args, **cursor)

        if found is None:
            return None, None
        newer = link(newer_than=found.newer_than) if found.newer_than else None
        older = link(older_than=found.older_than) if found.older_than else None
        return newer, older

    def decorate_rows(self, rows):
        shown = audit.describe_entries(rows, current_user, app_clock(current_app), self.labels())
        for row, one in zip(rows, shown, strict=True):
            row._shown = one

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

    def describe(self, entry) -> audit.EntryView:
        """Return the entry for the details page: header and every field before and after, in Russian."""
        return audit.describe_entry(entry, current_user, app_clock(current_app), self.labels())


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
