"""«Школа → Резервные копии»: the backups of the database; the administrator takes one now or downloads one."""

from flask import current_app, flash, redirect, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.permissions import Perm
from app.services import backups, journal_files
from app.services.errors import DomainError
from app.settings import app_settings


def _me():
    return current_user._get_current_object()


class BackupsView(SecureBaseView):
    """The backups, newest first, their state, the overdue alert; restore is the command line's."""

    required_permission = Perm.BACKUPS_MANAGE

    @expose("/")
    def index(self):
        clock = app_clock(current_app)
        settings = app_settings(current_app)
        return self.render(
            "backups/index.html",
            backups=list(backups.list_backups().limit(100)),
            state=backups.status(clock.utcnow()),
            folder=backups.backup_root(settings),
            keep_days=backups.keep_days(),
            size_label=backups.size_label,
            clock=clock,
        )

    @expose("/create", methods=["POST"])
    def create(self):
        if not FlaskForm().validate_on_submit():
            raise DomainError("Форма устарела: обновите страницу и повторите.")
        settings = app_settings(current_app)
        try:
            backup = backups.create_now(_me(), now=settings.clock.utcnow(), settings=settings)
        except backups.BackupError as exc:
            flash(exc.message, "error")
        else:
            flash(f"{backup} готова: {backup.file_name}, {backups.size_label(backup.size)}.", "success")
        return redirect(url_for(".index"), 303)

    @expose("/<int:backup_id>/download")
    def download(self, backup_id):
        path = backups.backup_file(_me(), backup_id, settings=app_settings(current_app))
        response = send_file(path, mimetype="application/x-tar", as_attachment=True, max_age=0)
        response.headers["Content-Disposition"] = journal_files.content_disposition(path.name)
        response.headers["Cache-Control"] = "private, no-store"
        return response


def register(admin) -> None:
    """Register the backups under the «Школа» menu."""
    admin.add_view(BackupsView(name="Резервные копии", endpoint="backups", url="/backups", category="Школа"))
