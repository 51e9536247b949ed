"""«Архив журналов»: the year archive's builds and their files; the administrator builds one, a check re-reads it."""

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.documents import PDF_MIME
from app.models import SchoolYear
from app.permissions import Perm
from app.services import access, archive, journal_files
from app.services.errors import AccessDenied, DomainError
from app.settings import app_settings


def _me():
    return current_user._get_current_object()


class BuildForm(FlaskForm):
    year = SelectField("Учебный год", validate_choice=False)


class ArchiveView(SecureBaseView):
    """The builds of the year archive, newest first, with their files and the last check."""

    codes = (Perm.ARCHIVE_MANAGE, Perm.REPORTS_VIEW)

    def is_accessible(self):
        return current_user.is_authenticated and access.can_read_archive(current_user)

    def _form(self):
        form = BuildForm()
        years = list(SchoolYear.select().order_by(SchoolYear.start_date.desc()))
        form.year.choices = [(str(y.id), f"{y.name}{' (текущий)' if y.is_current else ''}") for y in years]
        if request.method == "GET":
            current = next((y for y in years if y.is_current), years[0] if years else None)
            form.year.data = str(current.id) if current else None
        return form

    @expose("/")
    def index(self):
        return self.render(
            "archive/index.html",
            builds=list(archive.builds().limit(50)),
            form=self._form(),
            may_build=access.can_build_archive(_me()),
            clock=app_clock(current_app),
        )

    @expose("/build", methods=["POST"])
    def build(self):
        if not access.can_build_archive(_me()):
            raise AccessDenied("Архив журналов формирует администратор.")
        form = self._form()
        if not form.validate_on_submit():
            raise DomainError("Форма устарела: обновите страницу и повторите.")
        settings = app_settings(current_app)
        found = archive.request_build(_me(), form.year.data, settings=settings)
        if archive.enqueue_build(found, settings=settings):
            flash(f"{found} поставлен в очередь: обновите страницу, чтобы увидеть, как он формируется.", "success")
        else:
            flash(
                "Очередь заданий недоступна: архив не поставлен в очередь. "
                "Сформируйте его командой «flask archive build --now».",
                "error",
            )
        return redirect(url_for(".index"), 303)

    @expose("/<int:build_id>/verify", methods=["POST"])
    def verify(self, build_id):
        form = FlaskForm()
        if not form.validate_on_submit():
            raise DomainError("Форма устарела: обновите страницу и повторите.")
        problems = archive.verify(_me(), build_id, clock=app_clock(current_app))
        if problems:
            flash("Архив повреждён: " + " ".join(problems), "error")
        else:
            flash("Архив в порядке: все файлы совпадают с описью.", "success")
        return redirect(url_for(".index") + f"#build-{build_id}", 303)

    @expose("/<int:build_id>/files/<filename>")
    def download(self, build_id, filename):
        path = archive.file_for_download(_me(), build_id, filename)
        mimetype = PDF_MIME if path.suffix == ".pdf" else "application/json" if path.suffix == ".json" else "text/plain"
        response = send_file(path, mimetype=mimetype, as_attachment=False, max_age=0)
        response.headers["Content-Disposition"] = journal_files.content_disposition(path.name)
        response.headers["Cache-Control"] = "private, no-store"
        return response


def register(admin) -> None:
    """Register the archive under the «Журнал» menu."""
    admin.add_view(ArchiveView(name="Архив журналов", endpoint="archive", url="/archive", category="Журнал"))
