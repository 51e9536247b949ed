"""Admin views: parents' applications for access to the e-diary (R6.1)."""

import datetime as dt
import json

from flask import abort, current_app, flash, has_request_context, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.peewee.filters import BasePeeweeFilter
from flask_admin.form import rules
from flask_admin.form.widgets import DatePickerWidget, Select2Widget
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from peewee import IntegrityError
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import Select
from wtfpeewee.fields import SelectQueryField

from admin_views.base import SecureModelView
from admin_views.forms import DATE_FORMATS, DATE_PICKER_FORMAT, REQUIRED_MESSAGE, RefuseForgedIds, blank_choices
from app.clock import app_clock
from app.db import db
from app.models import (
    APPLICATION_STATUSES,
    RELATIONS,
    AuditEntry,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    Guardian,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
)
from app.permissions import Perm
from app.services import access
from app.services import applications as service
from app.services.errors import DomainError

STATUS_BADGES = {
    "accepted": "warning",
    "entered": "info",
    "granted": "success",
    "rejected": "secondary",
    "withdrawn": "dark",
}
WAITING_OPTION = "waiting"
HISTORY_TEXT = {"create": "заявление принято", "update": "заявление исправлено", "delete": "заявление удалено"}
STATUS_BUTTONS = {"entered": "Внесено в систему", "granted": "Доступ предоставлен"}


class SafeSelectQueryField(RefuseForgedIds, SelectQueryField):
    """A select of rows that refuses a forged or out-of-range id instead of querying with it."""


class _Select2(Select2Widget):
    # Flask-Admin's form template reads widget.input_type when a field has an error;
    # select widgets lack it, which StrictUndefined (tests) turns into a crash.
    input_type = "select"


class _Select(Select):
    input_type = "select"


def _school_today() -> dt.date:
    # The form's default date: the school's today, not the server's.
    return app_clock(current_app).today()


def _student_label(student) -> str:
    born = f" ({student.birth_date:%d.%m.%Y})" if student.birth_date else ""
    return f"{student.full_name}{born}"


class ApplicationForm(FlaskForm):
    """What the employee enters from the printed application; there is no passport field on purpose."""

    student = SafeSelectQueryField(
        "Ученик",
        query=Student.select(),
        get_label=_student_label,
        allow_blank=True,
        blank_text="— выберите ученика —",
        widget=_Select2(),
        validators=[DataRequired("Выберите ученика.")],
    )
    guardian = SafeSelectQueryField(
        "Родитель (законный представитель)",
        query=Guardian.select(),
        get_label="full_name",
        allow_blank=True,
        blank_text="— выберите родителя —",
        widget=_Select2(),
        validators=[DataRequired("Выберите родителя (законного представителя).")],
    )
    relation = SelectField(
        "Кем приходится ученику",
        # No default: a guessed «мать» would be saved for a father's application left untouched.
        choices=blank_choices(RELATIONS),
        widget=_Select(),
        validate_choice=True,
        validators=[InputRequired(REQUIRED_MESSAGE)],
    )
    student_last_name = StringField(
        "Фамилия ученика",
        validators=[DataRequired("Введите фамилию ученика, как в заявлении."), Length(max=100)],
    )
    student_first_name = StringField(
        "Имя ученика", validators=[DataRequired("Введите имя ученика, как в заявлении."), Length(max=100)]
    )
    student_middle_name = StringField("Отчество ученика", validators=[Optional(), Length(max=100)])
    guardian_last_name = StringField(
        "Фамилия родителя",
        validators=[DataRequired("Введите фамилию родителя, как в заявлении."), Length(max=100)],
    )
    guardian_first_name = StringField(
        "Имя родителя", validators=[DataRequired("Введите имя родителя, как в заявлении."), Length(max=100)]
    )
    guardian_middle_name = StringField("Отчество родителя", validators=[Optional(), Length(max=100)])
    submitted_on = DateField(
        "Дата заявления",
        default=_school_today,
        format=DATE_FORMATS,
        widget=DatePickerWidget(),
        render_kw={"data-date-format": DATE_PICKER_FORMAT},
        validators=[DataRequired("Укажите дату заявления (ДД.ММ.ГГГГ).")],
    )
    portal_number = StringField(
        "Номер заявления на портале",
        description="Если напечатан на заявлении.",
        validators=[Optional(), Length(max=64, message="Номер заявления — не длиннее 64 символов.")],
    )
    passport_presented = BooleanField(
        "Паспорт предъявлен", description="Паспорт только предъявляется: его данные не записываются."
    )
    names_checked = BooleanField("ФИО сверены с данными школы")
    pd_consent = BooleanField("Согласие на обработку персональных данных получено")


_FORM_RULES = (
    rules.FieldSet(("student", "guardian", "relation"), "Заявитель и ученик"),
    rules.FieldSet(
        (
            "student_last_name",
            "student_first_name",
            "student_middle_name",
            "guardian_last_name",
            "guardian_first_name",
            "guardian_middle_name",
        ),
        "ФИО так, как они напечатаны в заявлении",
    ),
    rules.FieldSet(("submitted_on", "portal_number"), "Заявление"),
    rules.FieldSet(("passport_presented", "names_checked", "pd_consent"), "Проверки при приёме"),
)


class WithdrawalForm(FlaskForm):
    """The parent's written withdrawal of consent: its date and an optional note."""

    withdrawn_on = DateField(
        "Дата письменного отзыва согласия",
        format=DATE_FORMATS,
        widget=DatePickerWidget(),
        render_kw={"data-date-format": DATE_PICKER_FORMAT},
        validators=[DataRequired("Укажите дату письменного отзыва согласия (ДД.ММ.ГГГГ).")],
    )
    withdrawal_note = StringField(
        "Примечание",
        description="Необязательно: например, номер входящего документа.",
        validators=[
            Optional(),
            Length(max=service.WITHDRAWAL_NOTE_MAX, message="Примечание — не длиннее 1000 символов."),
        ],
    )


class StatusFilter(BasePeeweeFilter):
    """Status equals, with one more choice: every application still waiting."""

    def apply(self, query, value):
        if value == WAITING_OPTION:
            return query.where(DiaryApplication.status.in_(service.WAITING))
        return query.where(DiaryApplication.status == value)

    def clean(self, value):
        if value not in dict(self.options):
            raise ValueError(value)
        return value

    def operation(self):
        return "равно"


class ClassFilter(BasePeeweeFilter):
    """Applications for students ever enrolled in the chosen class."""

    def apply(self, query, value):
        enrolled = Enrollment.select(Enrollment.student).where(Enrollment.class_group == value)
        return query.where(DiaryApplication.student.in_(enrolled))

    def clean(self, value):
        return int(value)

    def operation(self):
        return "равно"

    def get_options(self, view):
        # Called once at registration, when there may be no database yet, and again for every list page.
        if not has_request_context():
            return None
        year = SchoolYear.current()
        classes = ClassGroup.select().order_by(ClassGroup.grade, ClassGroup.letter)
        if year is not None:
            classes = classes.where(ClassGroup.year == year.id)
        return [(str(c.id), str(c)) for c in classes]


class DiaryApplicationView(SecureModelView):
    """Parents' applications: accepted against the checks, moved forward only through the service."""

    required_permission = Perm.APPLICATIONS_VIEW
    manage_permission = Perm.APPLICATIONS_MANAGE

    form = ApplicationForm
    form_create_rules = _FORM_RULES
    form_edit_rules = _FORM_RULES
    create_template = "applications/create.html"
    edit_template = "applications/edit.html"
    details_template = "applications/details.html"
    list_template = "applications/list.html"

    column_list = (
        "submitted_on",
        "portal_number",
        "student",
        "class_name",
        "guardian",
        "relation",
        "status",
        "received_by",
    )
    column_details_list = (
        "submitted_on",
        "portal_number",
        "student",
        "class_name",
        "guardian",
        "relation",
        "passport_presented",
        "names_checked",
        "pd_consent",
        "status",
        "reject_reason",
        "withdrawn_on",
        "withdrawal_note",
        "received_by",
        "created_at",
        "updated_at",
    )
    column_choices = {"relation": RELATIONS}
    column_sortable_list = (
        "submitted_on",
        "portal_number",
        ("student", Student.last_name),
        ("guardian", Guardian.last_name),
        "status",
        ("received_by", Staff.last_name),
    )
    column_default_sort = [("submitted_on", True), ("id", True)]
    column_searchable_list = (
        Student.last_name,
        Guardian.last_name,
        DiaryApplication.student_last_name,
        DiaryApplication.guardian_last_name,
        DiaryApplication.portal_number,
    )
    column_filters = (
        StatusFilter(
            DiaryApplication.status,
            "Статус",
            options=((WAITING_OPTION, "ждут обработки"),) + APPLICATION_STATUSES,
        ),
        ClassFilter(DiaryApplication.student, "Класс"),
        "submitted_on",
    )

    def search_placeholder(self):
        return "Фамилия ученика или родителя, № заявления"

    # Models joined in get_query: Flask-Admin must not join them a second time for search or sort.
    _joined_models = frozenset({"Student", "Guardian", "Staff"})

    # --- list: one query for the rows, one for their classes ------------------------------

    def get_query(self):
        query = (
            DiaryApplication.select(DiaryApplication, Student, Guardian, Staff)
            .join(Student)
            .switch(DiaryApplication)
            .join(Guardian)
            .switch(DiaryApplication)
            .join(Staff)
            .switch(DiaryApplication)
        )
        return access.scope(query, current_user, DiaryApplication)

    def _handle_join(self, query, field, joins):
        joins.update(self._joined_models)
        return super()._handle_join(query, field, joins)

    def decorate_rows(self, rows):
        names = service.class_names(row.student_id for row in rows)
        for row in rows:
            row.class_name = names.get(row.student_id, "")

    def get_one(self, id):
        application = super().get_one(id)
        if application is not None:
            application.class_name = service.class_names([application.student_id]).get(application.student_id, "")
        return application

    def _get_filter_groups(self):
        # Class options come from the database, so they are read per page, not at start-up.
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, ClassFilter):
                    item["options"] = flt.get_options(self)
        return groups

    def status_badge(self, application) -> Markup:
        """Return the application's status as a coloured badge."""
        label = escape(application.status_label)
        badge = STATUS_BADGES.get(application.status, "light")
        return Markup(f'<span class="badge badge-{badge} status-{application.status}">{label}</span>')

    def _format_status(self, context, model, name):
        return self.status_badge(model)

    def _format_class(self, context, model, name):
        return getattr(model, "class_name", "")

    column_formatters = {"status": _format_status, "class_name": _format_class}

    def waiting_url(self) -> str:
        """Return the list URL filtered to the applications still waiting."""
        for index, flt in enumerate(self._filters or ()):
            if isinstance(flt, StatusFilter):
                return self.get_url(".index_view", **{f"flt0_{index}": WAITING_OPTION})
        return self.get_url(".index_view")

    def is_waiting_filter(self) -> bool:
        """Tell whether the list is showing only the waiting applications."""
        return WAITING_OPTION in request.args.values()

    # --- forms ---------------------------------------------------------------------------

    def _limit_choices(self, form):
        students = Student.select().order_by(Student.last_name, Student.first_name, Student.middle_name)
        guardians = Guardian.select().order_by(Guardian.last_name, Guardian.first_name, Guardian.middle_name)
        form.student.query = access.scope(students, current_user, Student)
        form.guardian.query = access.scope(guardians, current_user, Guardian)
        return form

    def create_form(self, obj=None):
        form = self._limit_choices(super().create_form(obj))
        student_id = request.args.get("student_id", type=int)
        if request.method == "GET" and student_id:
            form.student.data = form.student.get_model(student_id)
        return form

    def edit_form(self, obj=None):
        return self._limit_choices(super().edit_form(obj))

    def guardian_links_json(self) -> Markup:
        """Return {student id: [[guardian id, relation], …]} for the form's guardian filter, as JSON."""
        links = access.scope(
            StudentGuardian.select(StudentGuardian.student, StudentGuardian.guardian, StudentGuardian.relation),
            current_user,
            StudentGuardian,
        )
        data = {}
        for student_id, guardian_id, relation in links.tuples():
            data.setdefault(str(student_id), []).append([str(guardian_id), relation])
        # Escaped for a <script> element: no "</" can close it early.
        return Markup(json.dumps(data).replace("</", "<\\/"))

    def name_checks_for_form(self, form):
        """Return the name comparison for what the form holds, or None until both people are chosen."""
        student, guardian = form.student.data, form.guardian.data
        # An unknown id leaves the raw value in .data: compare only real records.
        if not isinstance(student, Student) or not isinstance(guardian, Guardian):
            return None
        draft = DiaryApplication(student=student, guardian=guardian)
        for field, *_ in service.NAME_FIELDS:
            setattr(draft, field, form[field].data)
        return service.compare_names(draft)

    def name_checks(self, application):
        """Return the name comparison of a saved application."""
        return service.compare_names(application)

    def _values(self, form) -> dict:
        return {name: form[name].data for name in service.EDITABLE_FIELDS}

    def create_model(self, form):
        try:
            application = service.accept(
                current_user._get_current_object(), today=_school_today(), **self._values(form)
            )
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return False
        self.after_model_change(form, application, True)
        return application

    def update_model(self, form, model):
        try:
            service.update(current_user._get_current_object(), model, today=_school_today(), **self._values(form))
        except (DomainError, IntegrityError) as exc:
            self._report(exc)
            return False
        self.after_model_change(form, model, False)
        return True

    def get_save_return_url(self, model, is_created=False):
        return self.get_url(".details_view", id=model.id)

    # --- status: buttons on the details page and list actions, all through the service ----

    def next_statuses(self, application) -> list[tuple[str, str]]:
        """Return (status, button text) for the forward step this person may take now."""
        if not self._may_manage():
            return []
        return [(s, STATUS_BUTTONS[s]) for s in service.next_statuses(application) if s in STATUS_BUTTONS]

    def may_reject(self, application) -> bool:
        """Tell whether the reject form is shown for this application."""
        return self._may_manage() and "rejected" in service.next_statuses(application)

    def history(self, application) -> list[tuple[AuditEntry, str]]:
        """Return (audit entry, what happened) for this application, oldest first, to those who may read the audit."""
        if not access.can(current_user, Perm.AUDIT_VIEW):
            return []
        entries = (
            AuditEntry.select()
            .where((AuditEntry.model == "DiaryApplication") & (AuditEntry.object_id == str(application.id)))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        rows = []
        for entry in entries:
            if entry.action == "withdraw":
                after = entry.after_data
                text = f"согласие на обработку персональных данных отозвано ({_date_text(after.get('withdrawn_on'))})"
                if after.get("withdrawal_note"):
                    text += f" — {after['withdrawal_note']}"
            elif entry.action == "status":
                after = entry.after_data
                text = f"статус: «{service.STATUS_LABELS.get(after.get('status'), after.get('status'))}»"
                if after.get("reject_reason"):
                    text += f" — {after['reject_reason']}"
            else:
                text = HISTORY_TEXT.get(entry.action, entry.action)
            rows.append((entry, text))
        return rows

    @expose("/status/", methods=("POST",))
    def status_view(self):
        """Move one application to the next status or reject it."""
        self._guard_write()
        application_id = request.form.get("id", type=int)
        application = self.get_one(application_id) if application_id else None
        if application is None:
            abort(404)
        status = request.form.get("status", "")
        try:
            service.change_status(
                current_user._get_current_object(), application, status, reason=request.form.get("reason")
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Статус заявления: «{application.status_label}».", "success")
        return redirect(self.get_url(".details_view", id=application_id))

    def may_withdraw(self, application) -> bool:
        """Tell whether the withdrawal form is shown for this application."""
        return self._may_manage() and service.may_withdraw(application)

    def withdrawal_form(self):
        """Return an empty withdrawal form, dated the school's today."""
        return WithdrawalForm(formdata=None, withdrawn_on=_school_today())

    @expose("/withdraw/", methods=("POST",))
    def withdraw_view(self):
        """Record the parent's withdrawal of consent: access ends, the portal is told by the next export."""
        self._guard_write()
        application_id = request.form.get("id", type=int)
        application = self.get_one(application_id) if application_id else None
        if application is None:
            abort(404)
        details_url = self.get_url(".details_view", id=application.id)
        form = WithdrawalForm()
        if not form.validate():
            for errors in form.errors.values():
                for error in errors:
                    flash(error, "error")
            return redirect(details_url)
        try:
            service.withdraw_consent(
                current_user._get_current_object(),
                application,
                withdrawn_on=form.withdrawn_on.data,
                clock=app_clock(current_app),
                note=form.withdrawal_note.data,
            )
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(
                "Отзыв согласия записан: доступ к электронному дневнику прекращён, портал получит это "
                "со следующей ежедневной выгрузкой.",
                "success",
            )
        return redirect(details_url)

    def is_action_allowed(self, name):
        if name in ("mark_entered", "mark_granted"):
            return self._may_manage()
        return super().is_action_allowed(name)

    def _bulk_status(self, ids, status) -> None:
        pk = DiaryApplication._meta.primary_key
        actor = current_user._get_current_object()
        try:
            with db.atomic():
                rows = list(self.get_query().where(pk.in_(ids)))
                for row in rows:
                    service.change_status(actor, row, status)
        except DomainError as exc:
            flash(f"Ничего не изменено. {exc.message}", "error")
            return
        flash(f"Заявлений переведено в статус «{service.STATUS_LABELS[status]}»: {len(rows)}.", "success")

    @action("mark_entered", "Внесено в систему", "Отметить выбранные заявления как внесённые в систему?")
    def action_mark_entered(self, ids):
        """Mark the selected applications as entered, all or none."""
        self._bulk_status(ids, "entered")

    @action("mark_granted", "Доступ предоставлен", "Отметить, что по выбранным заявлениям доступ предоставлен?")
    def action_mark_granted(self, ids):
        """Mark access granted for the selected applications, all or none."""
        self._bulk_status(ids, "granted")


def _date_text(value) -> str:
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d.%m.%Y")
    except ValueError:
        return str(value or "")


def register(admin) -> None:
    """Register this area's views."""
    admin.add_view(
        DiaryApplicationView(
            DiaryApplication,
            name="Заявления родителей",
            category="Ученики",
            endpoint="diaryapplication",
            url="/diaryapplication",
        )
    )
