"""«Школа → Импорт из таблиц»: templates, the school's data in their format, uploads checked and applied.

Thin: app/services/imports/engine.py reads, checks and applies; this view takes the file, shows
the mapping, the errors and the summary, and sends the spreadsheets.
"""

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.documents import XLSX_MIME
from app.permissions import Perm
from app.services import access, journal_files
from app.services.errors import DomainError
from app.services.imports import engine
from app.services.imports.registry import KINDS, get_kind
from app.settings import app_settings

# A file up to this size is checked and applied within the request; a larger one by a worker.
DEFAULT_INLINE_BYTES = 256 * 1024
STATUS_MESSAGES = {
    "inline": None,
    "queued": "Файл передан на обработку: страница обновится сама, когда она закончится.",
    "failed": "Очередь заданий недоступна: загрузите файл командой «flask import».",
}


def _me():
    return current_user._get_current_object()


def _inline_bytes() -> int:
    return int(current_app.config.get("IMPORT_INLINE_BYTES", DEFAULT_INLINE_BYTES))


def _checked_form():
    form = FlaskForm()
    if not form.validate_on_submit():
        raise DomainError("Форма устарела: обновите страницу и повторите.")


def _xlsx(data: bytes, filename: str):
    response = current_app.response_class(data, mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = journal_files.content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _started(outcome: str) -> None:
    message = STATUS_MESSAGES.get(outcome)
    if message:
        flash(message, "error" if outcome == "failed" else "success")


class ImportView(SecureBaseView):
    """The kinds of import with their templates, the upload form and the recent uploads."""

    required_permission = Perm.IMPORT_MANAGE

    def is_accessible(self):
        return current_user.is_authenticated and access.can_manage_imports(current_user)

    @expose("/")
    def index(self):
        return self.render(
            "imports/index.html",
            kinds=list(KINDS.values()),
            titles={code: kind.title for code, kind in KINDS.items()},
            jobs=list(engine.jobs().limit(30)),
            limit_mb=engine.upload_limit_mb(),
            clock=app_clock(current_app),
        )

    @expose("/upload", methods=["POST"])
    def upload(self):
        _checked_form()
        kind = get_kind(request.form.get("kind"))
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise DomainError("Выберите файл таблицы (XLSX или CSV).", "file")
        limit = engine.upload_limit_mb() * 2**20
        try:
            data = upload.stream.read(limit + 1)
        finally:
            upload.close()
        settings = app_settings(current_app)
        job = engine.create_job(_me(), kind.code, upload.filename, data, settings=settings)
        _started(engine.start(job, "check", settings=settings, inline_bytes=_inline_bytes()))
        return redirect(url_for(".job", job_id=job.id), 303)

    @expose("/<int:job_id>/")
    def job(self, job_id):
        job = engine.get_job(_me(), job_id)
        kind = get_kind(job.kind)
        preview = job.preview_data
        return self.render(
            "imports/job.html",
            job=job,
            kind=kind,
            preview=preview,
            mapping=list(zip(job.heading_list, job.mapping_list, strict=False)),
            error_text=engine.error_text,
            clock=app_clock(current_app),
            counts_total=sum(sum(v.values()) for v in (preview or {}).get("counts", {}).values()),
        )

    @expose("/<int:job_id>/mapping", methods=["POST"])
    def mapping(self, job_id):
        _checked_form()
        job = engine.get_job(_me(), job_id)
        choices = {}
        for index in range(len(job.heading_list)):
            value = request.form.get(f"column-{index}")
            if value is not None:
                choices[index] = value
        job = engine.set_mapping(_me(), job.id, choices)
        settings = app_settings(current_app)
        _started(engine.start(job, "check", settings=settings, inline_bytes=_inline_bytes()))
        return redirect(url_for(".job", job_id=job.id), 303)

    @expose("/<int:job_id>/apply", methods=["POST"])
    def apply(self, job_id):
        _checked_form()
        job = engine.request_apply(_me(), job_id)
        settings = app_settings(current_app)
        _started(engine.start(job, "apply", settings=settings, inline_bytes=_inline_bytes()))
        job = engine.get_job(_me(), job.id)
        if job.status == "done":
            flash("Изменения применены.", "success")
        elif job.status == "checked":
            flash("Ничего не применено: при применении нашлись ошибки, они показаны ниже.", "error")
        return redirect(url_for(".job", job_id=job.id), 303)

    @expose("/template/<kind_code>")
    def template(self, kind_code):
        kind = get_kind(kind_code)
        return _xlsx(engine.template_xlsx(kind.code), engine.file_name(kind, "шаблон"))

    @expose("/export/<kind_code>")
    def export(self, kind_code):
        kind = get_kind(kind_code)
        return _xlsx(engine.export_xlsx(_me(), kind.code), engine.file_name(kind, "данные"))


def register(admin) -> None:
    """Register the import under the «Школа» menu."""
    admin.add_view(ImportView(name="Импорт из таблиц", endpoint="imports", url="/imports", category="Школа"))
