"""Admin views: staff accounts, roles and permissions, portal UIDs (the «Администрирование» menu)."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, BooleanEqualFilter
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from peewee import IntegrityError
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from admin_views.base import SecureBaseView, SecureModelView
from admin_views.privacy import PersonDetails
from app.ids import parse_id
from app.models import Role, Staff, StaffRole
from app.permissions import PERMISSIONS, Perm, permission_label
from app.services import access, roles, uids
from app.services import staff as staff_service
from app.services.errors import DomainError
from app.services.records import integrity_message

CATEGORY = "Администрирование"
PASSWORD_HINT = "Не меньше 8 символов, буквы и цифры; не совпадает с логином."


def _actor():
    return current_user._get_current_object()


class CheckboxListWidget(ListWidget):
    # Flask-Admin's field template reads widget.input_type when it shows an error.
    input_type = "checkbox-list"


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = CheckboxListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        known = {str(value) for value, _label in self.choices}
        unknown = [value for value in self.data or () if value not in known]
        if unknown:
            raise ValidationError(f"Такого варианта нет: {', '.join(unknown)}. Обновите страницу и выберите снова.")


def _refuse(form, exc) -> None:
    """Show a refusal beside its field when the form has one, otherwise as a message on top."""
    if isinstance(exc, DomainError):
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*field.errors, exc.message]
            flash("Данные не сохранены: исправьте отмеченные поля.", "error")
        else:
            flash(exc.message, "error")
    else:
        flash(integrity_message(exc), "error")


# --- staff -------------------------------------------------------------------------------


class StaffCreateForm(FlaskForm):
    login = StringField(
        "Логин",
        validators=[DataRequired("Укажите логин.")],
        description="Латинские буквы, цифры, точка, дефис, подчёркивание.",
    )
    last_name = StringField("Фамилия", validators=[DataRequired("Укажите фамилию.")])
    first_name = StringField("Имя", validators=[DataRequired("Укажите имя.")])
    middle_name = StringField("Отчество", validators=[Optional()])
    email = StringField("Электронная почта", validators=[Optional()])
    roles = CheckboxListField("Роли", choices=[])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль.")], description=PASSWORD_HINT)
    confirm = PasswordField(
        "Пароль ещё раз",
        validators=[DataRequired("Повторите пароль."), EqualTo("password", "Пароли не совпадают.")],
    )


class StaffEditForm(FlaskForm):
    # Password, session token and portal UID are deliberately absent: each has its own screen.
    last_name = StringField("Фамилия", validators=[DataRequired("Укажите фамилию.")])
    first_name = StringField("Имя", validators=[DataRequired("Укажите имя.")])
    middle_name = StringField("Отчество", validators=[Optional()])
    email = StringField("Электронная почта", validators=[Optional()])
    active = BooleanField(
        "Активен", description="Снимите отметку, чтобы заблокировать вход; открытые сеансы завершатся."
    )
    roles = CheckboxListField("Роли", choices=[])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("Новый пароль", validators=[DataRequired("Введите новый пароль.")])
    confirm = PasswordField(
        "Новый пароль ещё раз",
        validators=[DataRequired("Повторите новый пароль."), EqualTo("password", "Пароли не совпадают.")],
    )


class StaffRoleFilter(BasePeeweeFilter):
    """Staff members holding a role; the choices are read from the database on every list request."""

    def apply(self, query, value):
        holders = StaffRole.select(StaffRole.staff).join(Role).where(Role.code == value)
        return query.where(Staff.id.in_(holders))

    def operation(self):
        return "равна"


def _roles_formatter(view, context, model, name):
    held = getattr(model, "_roles", None)
    if held is None:  # the details page: one row, one query
        held = roles.roles_by_staff([model.id])[model.id]
    return ", ".join(role.name for role in held) or Markup('<span class="text-danger">нет ролей</span>')


def _yes_no(view, context, model, name):
    return "да" if getattr(model, name) else "нет"


def _uid_formatter(view, context, model, name):
    return "есть" if model.portal_uid else Markup('<span class="text-warning">нет UID</span>')


class StaffView(PersonDetails, SecureModelView):
    subject_access_kind = "staff"
    required_permission = Perm.STAFF_MANAGE
    manage_permission = Perm.STAFF_MANAGE
    edit_template = "staff/edit.html"
    # The base pages by 25, which Flask-Admin's default choices (20, 50, 100) lack.
    column_list = ("full_name", "login", "roles", "active", "has_uid")
    column_details_list = (
        "last_name",
        "first_name",
        "middle_name",
        "login",
        "email",
        "roles",
        "active",
        "portal_uid",
        "created_at",
    )
    column_sortable_list = (("full_name", Staff.last_name), "login", "active")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name", "login")
    column_filters = (
        BooleanEqualFilter(Staff.active, "Активен"),
        StaffRoleFilter(Staff.id, "Роль"),
    )
    column_formatters = {
        "full_name": lambda v, c, m, n: m.full_name,
        "roles": _roles_formatter,
        "has_uid": _uid_formatter,
        "portal_uid": lambda v, c, m, n: m.portal_uid or "нет UID",
        "created_at": lambda v, c, m, n: f"{m.created_at:%d.%m.%Y %H:%M}",
    }
    # The list shows activity as an icon; the details page spells it out.
    column_formatters_detail = {**column_formatters, "active": _yes_no}
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-key", ".password_view", title="Сбросить пароль"),
    ]
    form_widget_args = {"roles": {"class": "list-unstyled mb-0"}}

    # Every staff member is listed to a staff.manage holder by the row scope itself (access.py).

    def decorate_rows(self, rows):
        held = roles.roles_by_staff([row.id for row in rows])
        for row in rows:
            row._roles = held[row.id]

    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                if isinstance(self._filters[item["index"]], StaffRoleFilter):
                    item["options"] = roles.role_choices()
        return groups

    # --- forms: our own, so that secrets and the UID can never be posted here ------------

    def get_create_form(self):
        return StaffCreateForm

    def get_edit_form(self):
        return StaffEditForm

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.roles.choices = roles.role_choices()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.roles.choices = roles.role_choices()
        if request.method != "POST" and obj is not None:
            form.roles.data = sorted(roles.staff_role_codes(obj))
        return form

    def create_model(self, form):
        try:
            staff = staff_service.create_staff(
                _actor(),
                login=form.login.data,
                last_name=form.last_name.data,
                first_name=form.first_name.data,
                middle_name=form.middle_name.data,
                email=form.email.data,
                password=form.password.data,
                role_codes=form.roles.data or [],
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
        except (DomainError, IntegrityError) as exc:
            _refuse(form, exc)
            return False
        if not form.roles.data:
            flash(
                f"Сотрудник {staff.full_name} создан без ролей: он сможет войти, но не увидит ни одного раздела. "
                "Назначьте роли в его карточке.",
                "warning",
            )
        return staff

    def update_model(self, form, model):
        try:
            staff_service.update_staff(
                model,
                _actor(),
                last_name=form.last_name.data,
                first_name=form.first_name.data,
                middle_name=form.middle_name.data,
                email=form.email.data,
                active=form.active.data,
                role_codes=form.roles.data or [],
            )
        except (DomainError, IntegrityError) as exc:
            _refuse(form, exc)
            return False
        return True

    def delete_record(self, model) -> None:
        staff_service.delete_staff(model, _actor())

    # --- administrator's password reset ---------------------------------------------------

    @expose("/password/", methods=["GET", "POST"])
    def password_view(self):
        """Set a new password for a staff member; their open sessions end."""
        self._guard_write()
        staff = self.get_one(request.args.get("id"))
        if staff is None:
            abort(404)
        return_url = get_redirect_target() or self.get_url(".index_view")
        form = ResetPasswordForm()
        if form.validate_on_submit():
            try:
                staff_service.reset_password(
                    staff, form.password.data, _actor(), hash_method=current_app.config["PASSWORD_HASH_METHOD"]
                )
            except DomainError as exc:
                form.password.errors = [*form.password.errors, exc.message]
            else:
                flash(f"Пароль сотрудника {staff.full_name} изменён; все его открытые сеансы завершены.", "success")
                return redirect(return_url)
        return self.render("staff/password.html", form=form, staff=staff, return_url=return_url, hint=PASSWORD_HINT)


# --- roles -------------------------------------------------------------------------------


class RoleForm(FlaskForm):
    name = StringField("Название", validators=[DataRequired("Укажите название роли.")])
    code = StringField(
        "Код",
        validators=[DataRequired("Укажите код роли.")],
        description="Латинскими строчными буквами, например «librarian». У встроенных ролей не меняется.",
    )
    permissions = CheckboxListField("Права", choices=list(PERMISSIONS.items()))


def _permissions_formatter(view, context, model, name):
    codes = getattr(model, "_permissions", None)
    if codes is None:
        codes = roles.permissions_by_role([model.id])[model.id]
    if not codes:
        return Markup('<span class="text-muted">нет прав</span>')
    return Markup("<br>").join(escape(permission_label(code)) for code in codes)


class RoleView(SecureModelView):
    required_permission = Perm.STAFF_MANAGE
    manage_permission = Perm.STAFF_MANAGE
    column_list = ("name", "code", "builtin", "permissions")
    column_details_list = ("name", "code", "builtin", "permissions")
    column_sortable_list = ("name", "code", "builtin")
    column_default_sort = [("builtin", True), ("name", False)]
    column_searchable_list = ("name", "code")
    column_filters = (BooleanEqualFilter(Role.builtin, "Встроенная"),)
    column_formatters = {"permissions": _permissions_formatter}
    column_formatters_detail = {**column_formatters, "builtin": _yes_no}
    form_widget_args = {"permissions": {"class": "list-unstyled mb-0"}}

    # Roles are not personal rows: the row scope (access.py) shows them all to whoever opens this view.

    def decorate_rows(self, rows):
        found = roles.permissions_by_role([row.id for row in rows])
        for row in rows:
            row._permissions = found[row.id]

    def get_create_form(self):
        return RoleForm

    def get_edit_form(self):
        return RoleForm

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None:
            if request.method != "POST":
                form.permissions.data = sorted(roles.role_permission_codes(obj))
            if obj.builtin:
                form.code.render_kw = {"readonly": True}
        return form

    def create_model(self, form):
        try:
            return roles.create_role(
                _actor(), code=form.code.data, name=form.name.data, permission_codes=form.permissions.data or []
            )
        except (DomainError, IntegrityError) as exc:
            _refuse(form, exc)
            return False

    def update_model(self, form, model):
        try:
            roles.update_role(
                model, _actor(), code=form.code.data, name=form.name.data, permission_codes=form.permissions.data or []
            )
        except (DomainError, IntegrityError) as exc:
            _refuse(form, exc)
            return False
        return True

    def delete_record(self, model) -> None:
        roles.delete_role(model, _actor())


# --- portal UIDs -------------------------------------------------------------------------


class UidForm(FlaskForm):
    uid = StringField("UID портала", description=uids.UID_FORMAT_HINT)


class UidView(SecureBaseView):
    """Who has a portal UID, who lacks one, what each UID opens; entering a UID (R7.1–7.2)."""

    required_permission = Perm.UIDS_MANAGE
    page_size = 50

    @expose("/")
    def index(self):
        search = request.args.get("q", "").strip()
        without_uid = request.args.get("without_uid") == "1"
        query = uids.uid_list(search, without_uid)
        total = query.count()
        pages = max((total + self.page_size - 1) // self.page_size, 1)
        page = min(max(request.args.get("page", 1, type=int), 1), pages)
        rows = list(query.paginate(page, self.page_size))
        scopes = uids.uid_scopes([row.id for row in rows])
        return self.render(
            "uids/list.html",
            rows=rows,
            scopes=scopes,
            total=total,
            page=page,
            pages=pages,
            search=search,
            without_uid=without_uid,
        )

    @expose("/missing/")
    def missing(self):
        """Open the list showing only the staff who still lack a UID (linked from the home page)."""
        return redirect(url_for(".index", without_uid=1))

    @expose("/edit/", methods=["GET", "POST"])
    def edit(self):
        """Enter, change or clear one staff member's UID."""
        staff = Staff.get_or_none(Staff.id == (parse_id(request.args.get("id")) or 0))
        if staff is None:
            abort(404)
        return_url = get_redirect_target() or url_for(".index")
        form = UidForm(uid=staff.portal_uid)
        if form.validate_on_submit():
            value = "" if "clear" in request.form else form.uid.data
            try:
                changed = uids.set_uid(staff, value, _actor())
            except DomainError as exc:
                form.uid.errors = [*form.uid.errors, exc.message]
            else:
                if not changed:
                    flash("UID не изменился.", "info")
                elif staff.portal_uid:
                    flash(f"UID портала сотрудника {staff.full_name}: {staff.portal_uid}.", "success")
                else:
                    flash(f"UID портала сотрудника {staff.full_name} удалён.", "success")
                return redirect(return_url)
        scope = uids.UidScope(**access.uid_scope(staff))
        return self.render("uids/edit.html", form=form, staff=staff, scope=scope, return_url=return_url)


def register(admin) -> None:
    """Register staff, roles and the portal UID page under «Администрирование»."""
    admin.add_view(StaffView(Staff, name="Сотрудники", category=CATEGORY, endpoint="staff"))
    admin.add_view(RoleView(Role, name="Роли и права", category=CATEGORY, endpoint="role"))
    admin.add_view(UidView(name="UID портала", category=CATEGORY, endpoint="uids", url="/uids"))
