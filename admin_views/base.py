"""The secure base every admin view inherits: default deny, row scope, forms that save through services."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.helpers import is_form_submitted
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm
from peewee import DataError, DateField, IntegrityError
from wtforms.widgets import HiddenInput

from admin_views import list_export
from admin_views.forms import (
    DATE_FORMATS,
    DATE_PICKER_FORMAT,
    DETAIL_FORMATTERS,
    EXPORT_FORMATTERS,
    LIST_FORMATTERS,
    SafeModelConverter,
    SelectWidget,
    accept_russian_dates,
    add_form_error,
)
from app import translations
from app.ids import parse_id, parse_ids
from app.labels import field_label
from app.permissions import NOBODY
from app.services import access, records
from app.services.errors import DomainError


def deny(view):
    """Send anonymous people to the login page and answer 403 to the rest."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    abort(403)


class SecureMixin:
    """Access rule shared by model views and plain views: a permission to see, default deny."""

    # Permission to open the view; None means every logged-in staff member.
    required_permission: str | None = NOBODY

    def is_accessible(self):
        if not current_user.is_authenticated:
            return False
        return self.required_permission is None or access.can(current_user, self.required_permission)

    def inaccessible_callback(self, name, **kwargs):
        return deny(self)

    def _handle_view(self, name, **kwargs):
        # Before any of Flask-Admin's messages is translated: its strings in the panel's wording.
        translations.install(get_locale())
        return super()._handle_view(name, **kwargs)


class SecureBaseView(SecureMixin, BaseView):
    """A plain page of the panel."""


class SecureIndexView(SecureMixin, AdminIndexView):
    """The home page: every logged-in staff member."""

    required_permission = None


@dataclass(frozen=True)
class Writes:
    """The area's service functions a model view saves through (app/services); the view handles the form.

    `create_row(actor, **fields)` returns the new row, `update_row(actor, row, **fields)` changes
    one, `delete_row(actor, row)` deletes one (None: the view's records are never deleted). Each
    runs in its own transaction, checks the area's rules, audits, and refuses with DomainError.
    """

    create_row: Callable
    update_row: Callable
    delete_row: Callable | None = None


class SecureModelView(SecureMixin, ModelView):
    """A list/form view of one model, with the peewee backend's traps mended (CONVENTIONS 7)."""

    form_base_class = FlaskForm
    model_form_converter = SafeModelConverter
    # Permission to create, edit and delete; without it the view is read-only.
    manage_permission: str | None = None
    can_view_details = True
    # «Выгрузить: CSV | XLSX» over every list: the rows the person's list shows, streamed (list_export.py).
    can_export = True
    export_types = list_export.EXPORT_TYPES
    column_type_formatters_export = EXPORT_FORMATTERS
    page_size = 25
    page_size_options = (25, 50, 100)
    can_set_page_size = True
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    column_details_exclude_list = ["change_no"]
    form_excluded_columns = ["change_no"]
    # Models that get_query already joins: search, filters and sorting on their fields reuse
    # those joins instead of joining the same table a second time.
    joined_models: tuple = ()
    # The area's write functions; None: the generic ones of app/services/records.py, checked by
    # the view's validate_model (for views whose area has no service functions of its own yet).
    writes: Writes | None = None

    @property
    def can_create(self):
        return self._may_manage()

    @property
    def can_edit(self):
        return self._may_manage()

    @property
    def can_delete(self):
        return self._may_manage()

    def _may_manage(self) -> bool:
        return bool(self.manage_permission) and access.can(current_user, self.manage_permission)

    def is_accessible(self):
        if not current_user.is_authenticated:
            return False
        codes = [c for c in (self.required_permission, self.manage_permission) if c]
        return access.can_any(current_user, codes)

    # --- lists and forms ---------------------------------------------------------------------

    # The deepest list page anyone can ask for: past it the offset would overflow the database.
    max_page = 100_000

    def _get_list_extra_args(self):
        # Bound the numbers Flask-Admin takes from the query string (a ?page= of 2**63 is not a page).
        args = super()._get_list_extra_args()
        if not 0 <= (args.page or 0) <= self.max_page:
            args.page = 0
        if args.page_size not in (0, *self.page_size_options):
            args.page_size = 0
        if args.sort is not None and not 0 <= args.sort < len(self._list_columns or ()):
            args.sort = None
        return args

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # A hand-made ?sort= may point at a column that cannot be sorted: use the default order.
        if sort_column is not None and sort_column not in self._sortable_columns:
            sort_column = None
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        if execute:
            rows = list(rows)
            self.decorate_rows(rows)
        return count, rows

    def decorate_rows(self, rows: list) -> None:
        """Give a page of rows what the list shows beyond their columns (names, counts), in a fixed number of queries.

        The list page calls it for its page, the export for each batch.
        """

    def search_placeholder(self):
        # Flask-Admin's default is None, which its template prints as the word "None".
        return "Поиск"

    def get_column_name(self, field):
        # A column without a label of its own takes the shared Russian one (id → «Код записи»)
        # instead of Flask-Admin's prettified English field name («Id»).
        if self.column_labels and field in self.column_labels:
            return self.column_labels[field]
        return field_label(self.model.__name__, field) or super().get_column_name(field)

    def get_filters(self):
        # Date filters read ДД.ММ.ГГГГ, which the Russian date picker writes (static/datepicker-ru.js).
        filters = super().get_filters()
        for flt in filters or ():
            accept_russian_dates(flt)
        return filters

    def _handle_join(self, query, field, joins):
        if getattr(field, "model", None) in self.joined_models:
            return query
        return super()._handle_join(query, field, joins)

    def scaffold_form(self):
        # Peewee forms take labels only from form_args: give them the Russian column labels,
        # let date fields read and show dd.mm.yyyy, and give select boxes the widget Flask-Admin's
        # templates can render errors for.
        args = {name: dict(options) for name, options in (self.form_args or {}).items()}
        widgets = {name: dict(options) for name, options in (self.form_widget_args or {}).items()}
        for name, field in self.model._meta.fields.items():
            label = (self.column_labels or {}).get(name) or field_label(self.model.__name__, name)
            if label:
                args.setdefault(name, {}).setdefault("label", label)
            if field.choices:
                args.setdefault(name, {}).setdefault("widget", SelectWidget())
            if isinstance(field, DateField):
                args.setdefault(name, {}).setdefault("format", DATE_FORMATS)
                widgets.setdefault(name, {}).setdefault("data-date-format", DATE_PICKER_FORMAT)
        self.form_args, self.form_widget_args = args, widgets
        return super().scaffold_form()

    # --- row scope: the list and every single-row lookup ---------------------------------

    def get_query(self):
        return access.scope(self.model.select(), current_user, self.model)

    def get_one(self, id):
        # A malformed, repeated or out-of-range ?id= is no record, like a missing one.
        id = parse_id(id)
        if id is None:
            return None
        obj = super().get_one(id)
        if obj is not None and not access.can_see(current_user, obj):
            abort(403)
        return obj

    # Overriding an exposed view drops its URL unless it is exposed again (Flask-Admin's
    # metaclass collects only decorated methods), hence the repeated @expose below.

    def _guard_write(self):
        # Flask-Admin checks can_create/can_edit itself but answers a redirect; a guessed
        # write URL deserves a plain 403.
        if not self._may_manage():
            abort(403)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        self._guard_write()
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if request.method == "POST":
            self._guard_write()
        elif not self._may_manage():
            id_ = get_mdict_item_or_list(request.args, "id")
            return redirect(self.get_url(".details_view", id=id_, url=request.args.get("url")))
        return super().edit_view()

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        self._guard_write()
        return super().delete_view()

    @expose("/action/", methods=("POST",))
    def action_view(self):
        self._guard_write()
        if parse_ids(request.form.getlist("rowid")) is None:
            abort(404)
        return super().action_view()

    @expose("/export/<export_type>/")
    def export(self, export_type):
        # Flask-Admin's export loads every row and answers an unknown type with a redirect: ours
        # streams the list as filtered and searched, and an unknown type is no page.
        if not self.can_export or export_type not in self.export_types:
            abort(404)
        return list_export.respond(self, export_type)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        self._guard_write()
        return super().ajax_update()

    def _get_ruleset_missing_fields(self, ruleset, form):
        # Flask-Admin drops every field a view's form rules do not list — the CSRF token too, which
        # would make such a form impossible to save. Hidden fields are rendered by hidden_tag().
        missing = super()._get_ruleset_missing_fields(ruleset, form)
        return [name for name in missing if not isinstance(form[name].widget, HiddenInput)]

    # --- domain validation hook -------------------------------------------------------------

    def validate_model(self, model, is_created: bool) -> None:
        """Check the area's rules on an unsaved copy (the service checks them again when it saves).

        Raise DomainError with a Russian message to refuse; a view calls its service's validator.
        """

    # validate_form checks the area's rules on the create and edit forms only (not on the delete
    # and action forms it also validates), and for an edit on a copy of the record.
    def create_form(self, obj=None):
        form = super().create_form(obj)
        form._checks_rules, form._edited = True, None
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form._checks_rules, form._edited = True, obj
        return form

    def validate_form(self, form):
        """Check the fields and the area's rules together, so that one answer shows every error."""
        valid = super().validate_form(form)
        if not is_form_submitted() or not getattr(form, "_checks_rules", False):
            return valid
        edited = form._edited
        scratch = self.model(**edited.__data__) if edited is not None else self.model()
        try:
            form.populate_obj(scratch)
            self.validate_model(scratch, edited is None)
        except DomainError as exc:
            add_form_error(form, exc.field, exc.message)
            return False
        except (TypeError, ValueError, AttributeError, LookupError, OverflowError, DataError):
            # The rules met a value the field checks already refused: their errors explain it.
            if valid:
                raise
        return valid

    # --- writes: the form's values handed to the area's service -----------------------------

    def _actor(self):
        return current_user._get_current_object()

    def _writes(self) -> Writes:
        if self.writes is not None:
            return self.writes
        model = self.model

        def create(actor, **fields):
            return records.create_row(actor, model, fields, validate=lambda row: self.validate_model(row, True))

        def update(actor, row, **fields):
            return records.update_row(actor, row, fields, validate=lambda row: self.validate_model(row, False))

        return Writes(create, update, lambda actor, row: records.delete_row(actor, row))

    def form_values(self, form, obj=None) -> dict:
        """Return what the form says of the model's fields, as keyword arguments for the service."""
        scratch = self.model(**obj.__data__) if obj is not None else self.model()
        form.populate_obj(scratch)
        fields = self.model._meta.fields
        return {name: getattr(scratch, name) for name in form._fields if name in fields}

    def write_args(self) -> dict:
        """Return what the area's create and update functions need besides the fields (today, …)."""
        return {}

    def _report(self, exc) -> None:
        if isinstance(exc, DomainError):
            flash(exc.message, "error")
        else:
            flash(records.integrity_message(exc), "error")

    def create_model(self, form):
        try:
            model = self._writes().create_row(self._actor(), **self.form_values(form), **self.write_args())
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return False
        self.after_model_change(form, model, True)
        return model

    def update_model(self, form, model):
        try:
            values = self.form_values(form, model)
            self._writes().update_row(self._actor(), model, **values, **self.write_args())
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return False
        self.after_model_change(form, model, False)
        return True

    def delete_record(self, model) -> None:
        """Delete one row through the area's service (inside the caller's transaction, if any)."""
        self.on_model_delete(model)
        delete = self._writes().delete_row
        if delete is None:
            raise DomainError("Эту запись удалить нельзя.")
        delete(self._actor(), model)

    def delete_model(self, model):
        try:
            self.delete_record(model)
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return False
        self.after_model_delete(model)
        return True

    @action("delete", "Удалить", "Удалить выбранные записи?")
    def action_delete(self, ids):
        """Delete the selected rows all together or not at all."""
        pk = self.model._meta.primary_key
        try:
            count = records.delete_all(self.get_query().where(pk.in_(ids)), self.delete_record)
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return
        flash(f"Удалено записей: {count}.", "success")
