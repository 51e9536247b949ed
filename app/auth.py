"""Login and logout pages, and Flask-Login's wiring (session ids that die with a password change)."""

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app.clock import app_clock
from app.services import access
from app.services import auth as auth_service

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[DataRequired("Введите логин.")])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль.")])


def _safe_next(target: str | None) -> str:
    """Return target if it is a plain path on this site, else the home page (no open redirects).

    Only printable ASCII without spaces (our own URLs are percent-encoded): a control character
    could split the Location header, and a backslash reads as a slash to browsers (`/\\evil`).
    """
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith("//")
        and len(target) <= 2048
        and all("!" <= char <= "~" and char != "\\" for char in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("admin.index")


def _backoff() -> auth_service.Backoff:
    config = current_app.config
    return auth_service.Backoff(
        free=config["LOGIN_MAX_FAILURES"],
        address_free=config["LOGIN_ADDRESS_MAX_FAILURES"],
        first=config["LOGIN_BACKOFF"],
        longest=config["LOGIN_BACKOFF_MAX"],
        memory=config["LOGIN_FAILURE_WINDOW"],
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and log a staff member in."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            staff = auth_service.authenticate(
                form.login.data,
                form.password.data,
                request.remote_addr or "",
                now=app_clock(current_app).utcnow(),
                backoff=_backoff(),
                hash_method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"),
            )
        except auth_service.LoginThrottled as exc:
            error, status = exc.message, 429
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after.total_seconds())))
        else:
            if staff is None:
                error, status = "Неверный логин или пароль.", 401
            else:
                session.clear()
                session.permanent = True
                login_user(staff)
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status, headers


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out and end the session on the server: every session of this person, on every device."""
    auth_service.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


class _MaxAgeCookies:
    """A response whose cookies that carry Expires carry the same lifetime as Max-Age too."""

    def __init__(self, response, lifetime):
        self._response, self._lifetime = response, lifetime

    def __getattr__(self, name):
        return getattr(self._response, name)

    def set_cookie(self, *args, **kwargs):
        if kwargs.get("expires") is not None and kwargs.get("max_age") is None:
            kwargs["max_age"] = self._lifetime
        self._response.set_cookie(*args, **kwargs)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its cookie lasting PERMANENT_SESSION_LIFETIME by the browser's clock.

    Flask sends only Expires, a moment by the server's clock: a school computer whose clock is a
    few hours ahead drops the cookie at once and its user can never stay logged in. Browsers
    prefer Max-Age (RFC 6265, 5.3), which counts from when the cookie arrives. The signed
    session's own age check still uses the server's clock.
    """

    def save_session(self, app, session, response):
        super().save_session(app, session, _MaxAgeCookies(response, app.permanent_session_lifetime))


def init_app(app, login_manager):
    """Register the login pages and tell Flask-Login how to find a staff member."""
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы открыть эту страницу."
    login_manager.login_message_category = "info"
    login_manager.id_attribute = "session_id"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_staff(session_id: str):
        staff_id, _, token = session_id.partition(":")
        if not (staff_id.isascii() and staff_id.isdigit() and len(staff_id) <= 18) or not token:
            return None
        # One query: the person and their permissions (access.permissions_of then reads none).
        staff = access.staff_with_permissions(int(staff_id))
        return staff if staff is not None and staff.session_token == token else None

    app.register_blueprint(bp)
