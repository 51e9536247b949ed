"""Login and logout pages, and Flask-Login's wiring (session ids that die with a password change)."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app.models import Staff
from app.services import auth as auth_service
from app.services.errors import DomainError

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин.")])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль.")])


def _safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the home page (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a staff member in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            staff = auth_service.authenticate(
                form.login.data,
                form.password.data,
                request.remote_addr or "",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                window=current_app.config["LOGIN_FAILURE_WINDOW"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            if staff is None:
                error = "Неверный логин или пароль."
            else:
                session.clear()
                session.permanent = True
                login_user(staff)
                return redirect(_safe_next(request.args.get("next")))
    status = 429 if error and "Слишком много" in error else (200 if error is None else 401)
    if request.method == "POST" and error is None and not form.validate():
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out and forget the session."""
    logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


def init_app(app, login_manager):
    """Register the login pages and tell Flask-Login how to find a staff member."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы открыть эту страницу."
    login_manager.login_message_category = "info"
    login_manager.id_attribute = "session_id"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_staff(session_id: str):
        staff_id, _, token = session_id.partition(":")
        if not staff_id.isdigit() or not token:
            return None
        staff = Staff.get_or_none((Staff.id == int(staff_id)) & (Staff.active == True))  # noqa: E712
        return staff if staff is not None and staff.session_token == token else None

    app.register_blueprint(bp)
