"""Admin views: the export history, the "send the full export now" button, package downloads, the settings."""

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional

from admin_views.base import SecureBaseView, SecureModelView
from app.clock import app_clock
from app.labels import field_label
from app.models import ExportRun
from app.models.exports import (
    EXPORT_KINDS,
    EXPORT_STATUSES,
    EXPORT_TRIGGERS,
    TRANSPORTS,
)
from app.permissions import Perm
from app.services import access, exports
from app.services.errors import DomainError
from app.services.exports import runs
from app.settings import app_settings

CATEGORY = "Выгрузка на портал"
STATUS_STYLE = {"queued": "secondary", "running": "info", "delivered": "success", "failed": "danger"}


def _actor():
    return current_user._get_current_object()


def _when(value) -> str:
    # Stored as naive UTC; the clock shows it in the school's time zone.
    return app_clock(current_app).format(value, with_seconds=True)


def _size(value) -> str:
    if value is None:
        return ""
    for unit in ("байт", "КБ", "МБ", "ГБ"):
        if value < 1024 or unit == "ГБ":
            return f"{value:.0f} {unit}" if unit == "байт" else f"{value:.1f} {unit}"
        value /= 1024
    return ""


def _duration(run: ExportRun) -> str:
    span = run.duration
    if span is None:
        return ""
    seconds = span.total_seconds()
    if seconds < 1:
        return "< 1 с"
    return f"{seconds:.0f} с" if seconds < 120 else f"{seconds // 60:.0f} мин {seconds % 60:.0f} с"


def _progress(run) -> Markup:
    total = max(run.total or 0, 1)
    percent = min(100, round(100 * (run.progress or 0) / total))
    return Markup(
        f'<div class="progress mt-1" style="min-width:8em" title="{run.progress} из {run.total}">'
        f'<div class="progress-bar" role="progressbar" style="width:{percent}%">{percent}%</div></div>'
    )


def _status(view, context, run, name):
    badge = Markup(
        f'<span class="badge badge-{STATUS_STYLE.get(run.status, "secondary")}">{escape(run.status_label)}</span>'
    )
    # While it runs, the progress shows under the status (the list reloads itself meanwhile).
    return badge + _progress(run) if run.status == "running" else badge


def _change_range(view, context, run, name):
    if run.change_to is None:
        return ""
    start = "начало" if run.change_from is None else run.change_from
    return f"{start} … {run.change_to}"


TYPE_LABELS = {
    "school_year": "учебный год",
    "term": "учебные периоды",
    "subject": "предметы",
    "staff": "сотрудники",
    "class_group": "классы",
    "student": "ученики",
    "guardian": "родители",
    "student_guardian": "связи ученик — родитель",
    "diary_access": "доступ к дневнику",
    "enrollment": "зачисления",
    "study_group": "группы",
    "group_membership": "составы групп",
    "journal": "журналы",
    "teaching_assignment": "учебная нагрузка",
    "lesson": "уроки",
    "homework_file": "файлы домашних заданий",
    "mark": "отметки",
    "absence": "пропуски",
    "final_mark": "итоговые отметки",
    "plan_row": "строки тематических планов",
    "lesson_plan_row": "строки плана, пройденные на уроках",
}


def _counts(view, context, run, name):
    parts = []
    for type_name, ops in runs.counts_of(run).items():
        if ops.get("upsert") or ops.get("delete"):
            text = f"{TYPE_LABELS.get(type_name, type_name)}: {ops.get('upsert', 0)}"
            if ops.get("delete"):
                text += f", удалений: {ops['delete']}"
            parts.append(escape(text))
    return Markup("<br>".join(parts)) if parts else ""


def _package(view, context, run, name):
    """The package id (details) or a download icon (list), as a download link for those allowed."""
    text = run.package_id if name == "package_id" else ""
    if run.sha256 is None or not run.file_path or not access.can(current_user, Perm.EXPORTS_RUN):
        return text
    url = url_for(".download_view", run_id=run.id)
    return Markup(f'<a href="{url}" title="Скачать пакет"><i class="fa fa-download"></i> {escape(text)}</a>')


class ExportRunView(SecureModelView):
    """The export history: every run, its progress while it runs, its result."""

    required_permission = Perm.EXPORTS_VIEW
    manage_permission = None
    list_template = "exports/list.html"
    details_template = "exports/details.html"
    page_size_options = (25, 50, 100)
    column_list = (
        "id",
        "created_at",
        "kind",
        "trigger",
        "requested_by_name",
        "status",
        "records",
        "bytes",
        "attempts",
        "error",
        "download",
    )
    column_details_list = (
        "id",
        "package_id",
        "kind",
        "trigger",
        "requested_by_name",
        "status",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "year_name",
        "change_range",
        "records",
        "counts",
        "bytes",
        "sha256",
        "transport",
        "target",
        "attempts",
        "job_id",
        "note",
        "error",
    )
    column_choices = {
        "kind": list(EXPORT_KINDS),
        "trigger": list(EXPORT_TRIGGERS),
        "status": list(EXPORT_STATUSES),
        "transport": list(TRANSPORTS),
    }
    column_formatters = {
        "created_at": lambda v, c, m, n: _when(m.created_at),
        "started_at": lambda v, c, m, n: _when(m.started_at),
        "finished_at": lambda v, c, m, n: _when(m.finished_at),
        "status": _status,
        "download": _package,
        "bytes": lambda v, c, m, n: _size(m.bytes),
        "duration": lambda v, c, m, n: _duration(m),
        "change_range": _change_range,
        "counts": _counts,
        "package_id": _package,
        "error": lambda v, c, m, n: (m.error or "")[:300],
    }
    column_formatters_detail = {**column_formatters, "error": lambda v, c, m, n: m.error or ""}
    column_sortable_list = ("id", "created_at", "kind", "status")
    column_default_sort = ("id", True)
    column_filters = ("kind", "trigger", "status")

    # The runs are nobody's rows: the row scope (access.py) shows them all to whoever opens this view.

    def render(self, template, **kwargs):
        kwargs.setdefault("overview", exports.overview(app_clock(current_app)))
        kwargs.setdefault("may_run", access.can(current_user, Perm.EXPORTS_RUN))
        return super().render(template, **kwargs)

    @expose("/run-full/", methods=("POST",))
    def run_full_view(self):
        """Ask for a full export of the current school year now (R5.2)."""
        if not access.can(current_user, Perm.EXPORTS_RUN):
            abort(403)
        try:
            run = exports.request_export("full", _actor(), settings=app_settings(current_app))
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if ExportRun.get_by_id(run.id).job_id:
                flash(f"{run} поставлена в очередь.", "success")
            else:
                flash(
                    f"{run} записана, но очередь заданий сейчас недоступна: выгрузка начнётся, когда она "
                    "восстановится (планировщик проверяет каждую минуту).",
                    "warning",
                )
        return redirect(url_for(".index_view"))

    @expose("/download/<int:run_id>/")
    def download_view(self, run_id):
        """Send a run's package file to someone allowed to run exports."""
        if not access.can(current_user, Perm.EXPORTS_RUN):
            abort(403)
        try:
            path, name = runs.package_for_download(run_id, _actor())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for(".index_view"))
        return send_file(path, mimetype="application/gzip", as_attachment=True, download_name=name)


def _label(name: str) -> str:
    return field_label("ExportSettings", name)


class ExportSettingsForm(FlaskForm):
    enabled = BooleanField(
        _label("enabled"),
        description="Ежедневная выгрузка изменений и полная выгрузка раз в месяц (п. 5.1, 5.2 регламента).",
    )
    daily_time = TimeField(
        _label("daily_time"),
        format="%H:%M",
        validators=[InputRequired("Укажите время, например 20:00.")],
        description="Школьное время (Москва). В это же время в день полной выгрузки уходит полная.",
    )
    full_day = IntegerField(
        _label("full_day"), validators=[InputRequired("Укажите день месяца.")], description="От 1 до 28."
    )
    transport = SelectField(_label("transport"), choices=list(TRANSPORTS))
    directory = StringField(
        _label("directory"),
        validators=[Optional()],
        description="Полный путь; пусто — каталог exports в папке данных программы.",
    )
    portal_url = StringField(
        _label("portal_url"),
        validators=[Optional()],
        description="Например, https://portal.example/api/ejournal/packages",
    )
    token = PasswordField(
        _label("token"),
        validators=[Optional()],
        description="Только для ввода: сохранённый токен не показывается. Пусто — оставить прежний.",
    )
    clear_token = BooleanField(_label("clear_token"))
    http_timeout = IntegerField(
        _label("http_timeout"),
        validators=[InputRequired("Укажите число секунд.")],
        description="От 1 до 3600, обычно 300. К этому времени добавляется 5 с на каждый МБ пакета: "
        "портал проверяет пакет целиком, прежде чем ответить.",
    )
    http_retries = IntegerField(
        _label("http_retries"),
        validators=[InputRequired("Укажите число попыток.")],
        description="При недоступности портала, ошибке 5xx, 408 или 429; другие ошибки 4xx не повторяются.",
    )
    http_retry_delay = FloatField(
        _label("http_retry_delay"),
        validators=[InputRequired("Укажите паузу в секундах.")],
        description="Каждая следующая пауза вдвое длиннее (до минуты); если портал сам просит "
        "подождать, ждём, сколько он просит, но не дольше часа.",
    )


class ExportSettingsView(SecureBaseView):
    """The export settings (R5.1): readable with exports.view, changed with exports.run."""

    required_permission = Perm.EXPORTS_VIEW

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = exports.get_settings()
        may_edit = access.can(current_user, Perm.EXPORTS_RUN)
        if request.method == "POST" and not may_edit:
            abort(403)
        form = ExportSettingsForm(obj=settings if request.method != "POST" else None)
        if request.method == "POST" and form.validate_on_submit():
            try:
                exports.update_settings(
                    _actor(),
                    enabled=form.enabled.data,
                    daily_time=form.daily_time.data,
                    full_day=form.full_day.data,
                    transport=form.transport.data,
                    directory=form.directory.data or "",
                    portal_url=form.portal_url.data or "",
                    token=form.token.data or None,
                    clear_token=form.clear_token.data,
                    http_timeout=form.http_timeout.data,
                    http_retries=form.http_retries.data,
                    http_retry_delay=form.http_retry_delay.data,
                )
            except DomainError as exc:
                field = getattr(form, exc.field, None) if exc.field else None
                if field is not None:
                    field.errors = [*field.errors, exc.message]
                flash(exc.message if field is None else "Настройки не сохранены: исправьте отмеченные поля.", "error")
            else:
                flash("Настройки выгрузки сохранены.", "success")
                return redirect(url_for(".index"))
        elif request.method == "POST":
            flash("Настройки не сохранены: исправьте отмеченные поля.", "error")
        status = 400 if request.method == "POST" else 200
        page = self.render(
            "exports/settings.html",
            form=form,
            settings=settings,
            may_edit=may_edit,
            overview=exports.overview(app_clock(current_app)),
            default_directory=str(current_app.config["INSTANCE_PATH"]) + "/exports",
        )
        return page, status


def export_alert():
    """Return the export banner (text, level) for the person viewing the page, or None when all is well."""
    if not current_user.is_authenticated or not access.can(current_user, Perm.EXPORTS_VIEW):
        return None
    state = exports.overview(app_clock(current_app))
    return (state.alert, state.alert_level) if state.alert else None


def register(admin) -> None:
    """Register the export history and settings under «Выгрузка на портал», and the banner helper."""
    admin.add_view(ExportRunView(ExportRun, name="История выгрузок", category=CATEGORY, endpoint="exportrun"))
    admin.add_view(
        ExportSettingsView(
            name="Настройки выгрузки", category=CATEGORY, endpoint="exportsettings", url="/export-settings"
        )
    )
    admin.app.jinja_env.globals["export_alert"] = export_alert
