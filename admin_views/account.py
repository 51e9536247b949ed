"""The staff member's own account: change the password."""

from flask import current_app, flash, redirect, url_for
from flask_admin import expose
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from admin_views.base import SecureBaseView
from app.services import auth
from app.services.errors import DomainError


class PasswordForm(FlaskForm):
    current = PasswordField("Текущий пароль", validators=[DataRequired("Введите текущий пароль.")])
    password = PasswordField("Новый пароль", validators=[DataRequired("Введите новый пароль.")])
    confirm = PasswordField(
        "Новый пароль ещё раз",
        validators=[DataRequired("Повторите новый пароль."), EqualTo("password", "Пароли не совпадают.")],
    )


class AccountView(SecureBaseView):
    required_permission = None

    def is_visible(self):
        return False  # reached from the user menu

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = PasswordForm()
        if form.validate_on_submit():
            try:
                auth.change_own_password(
                    current_user._get_current_object(),
                    form.current.data,
                    form.password.data,
                    hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                )
            except DomainError as exc:
                getattr(form, exc.field or "password").errors.append(exc.message)
            else:
                # The password change rotated the session token: log in again with the new one.

                login_user(current_user._get_current_object())
                flash("Пароль изменён.", "success")
                return redirect(url_for("admin.index"))
        return self.render("account/password.html", form=form)


def register(admin) -> None:
    """Register the account page."""
    admin.add_view(AccountView(name="Сменить пароль", endpoint="account", url="/account"))
