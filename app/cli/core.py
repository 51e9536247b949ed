"""`flask db …` (migrations) and `flask staff …` (accounts)."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db

db_cli = AppGroup("db", help="Схема базы данных: миграции.")
staff_cli = AppGroup("staff", help="Сотрудники и доступ.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending migrations."""
    from app import migrate
    from app.services import setup

    with db.connection_context():
        done = migrate.upgrade()
        setup.ensure_defaults()
    click.echo(f"Применено миграций: {len(done)}." + (f" ({', '.join(done)})" if done else ""))


@db_cli.command("rollback")
@click.option("--steps", default=1, show_default=True, help="Сколько последних миграций откатить.")
def db_rollback(steps):
    """Roll back the last applied migrations."""
    from app import migrate

    with db.connection_context():
        undone = migrate.rollback(steps)
    click.echo(f"Откачено миграций: {len(undone)}." + (f" ({', '.join(undone)})" if undone else ""))


@db_cli.command("create")
@click.argument("name")
def db_create(name):
    """Write a new migration from the difference between the models and the schema."""
    from app import migrate

    with db.connection_context():
        created = migrate.router().create(name, auto="app.models")
    click.echo(f"Создана миграция: {created}" if created else "Изменений в моделях нет.")


@staff_cli.command("create-admin")
@click.argument("login")
@click.option(
    "--password",
    prompt="Пароль",
    hide_input=True,
    confirmation_prompt="Повторите пароль",
    help="Пароль (без параметра будет запрошен).",
)
@click.option("--last-name", default="Администратор", show_default=True)
@click.option("--first-name", default="Системы", show_default=True)
def staff_create_admin(login, password, last_name, first_name):
    """Create a staff member with the administrator role."""
    from app.services import staff as staff_service
    from app.services.errors import DomainError

    with db.connection_context():
        try:
            staff = staff_service.create_staff(
                None,
                login=login,
                last_name=last_name,
                first_name=first_name,
                password=password,
                role_codes=["admin"],
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
                source="cli",
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"Создан администратор {staff.login} ({staff.full_name}).")


def _staff_by_login(login):
    """Return the staff member with this login or stop the command with a message."""
    from app.models import Staff

    staff = Staff.get_or_none(Staff.login == (login or "").strip().lower())
    if staff is None:
        raise click.ClickException(f"Сотрудник с логином «{login}» не найден.")
    return staff


@staff_cli.command("reset-password")
@click.argument("login")
@click.option(
    "--password",
    prompt="Новый пароль",
    hide_input=True,
    confirmation_prompt="Повторите пароль",
    help="Новый пароль (без параметра будет запрошен).",
)
def staff_reset_password(login, password):
    """Set a new password for a staff member and end their sessions."""
    from app.services import staff as staff_service
    from app.services.errors import DomainError

    with db.connection_context():
        staff = _staff_by_login(login)
        try:
            staff_service.reset_password(
                staff, password, None, source="cli", hash_method=current_app.config["PASSWORD_HASH_METHOD"]
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"Пароль сотрудника {staff.login} ({staff.full_name}) изменён; его сеансы завершены.")


@staff_cli.command("set-uid")
@click.argument("login")
@click.argument("uid", required=False)
@click.option("--clear", is_flag=True, help="Удалить UID портала у сотрудника.")
def staff_set_uid(login, uid, clear):
    """Enter or (with --clear) remove a staff member's portal UID."""
    from app.services import uids
    from app.services.errors import DomainError

    if clear == bool(uid):
        raise click.UsageError("Укажите UID или --clear (одно из двух).")
    with db.connection_context():
        staff = _staff_by_login(login)
        try:
            changed = uids.set_uid(staff, None if clear else uid, None, source="cli")
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    if not changed:
        click.echo("UID не изменился.")
    elif staff.portal_uid:
        click.echo(f"UID портала сотрудника {staff.login} ({staff.full_name}): {staff.portal_uid}.")
    else:
        click.echo(f"UID портала сотрудника {staff.login} ({staff.full_name}) удалён.")


def register(app):
    """Register the command groups."""
    app.cli.add_command(db_cli)
    app.cli.add_command(staff_cli)
