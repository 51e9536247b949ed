"""`flask backup …`: take a backup of the database, list the backups, check one, restore from one."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.settings import app_settings

backup_cli = AppGroup("backup", help="Резервные копии базы данных.")


def _size(size) -> str:
    from app.services.backups import size_label

    return size_label(size)


@backup_cli.command("create")
@click.option("--reason", default="manual", show_default=True, help="Причина: manual, nightly, year_transition…")
def backup_create(reason):
    """Take a backup of the database into the instance's backup folder now."""
    from app.services import backups
    from app.services.errors import DomainError

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            backup = backups.create(reason=reason, now=settings.clock.utcnow(), settings=settings, source="cli")
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"{backup} готова: {backup.path} ({_size(backup.size)}, SHA-256 {backup.sha256}).")


@backup_cli.command("list")
def backup_list():
    """List the recorded backups, newest first."""
    from app.services import backups

    settings = app_settings(current_app)
    with db.connection_context():
        rows = list(backups.list_backups())
        if not rows:
            click.echo("Резервных копий нет.")
            return
        for b in rows:
            when = settings.clock.format(b.created_at)
            line = f"№ {b.id}  {when}  {b.status_label:<9} {b.reason_label:<22} {_size(b.size):>10}  {b.path}"
            click.echo(line + (f"  ({b.error})" if b.error else ""))


@backup_cli.command("verify")
@click.argument("file_or_id")
def backup_verify(file_or_id):
    """Check a backup file (by path or number) the way a restore would, changing nothing."""
    from app.services import backups
    from app.services.errors import DomainError

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            checked = backups.inspect(file_or_id, settings=settings)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    m = checked.manifest
    click.echo(f"Копия в порядке: {checked.path} (база {m['engine']}, схема {m['schema']}, создана {m['created_at']}).")


@backup_cli.command("restore")
@click.argument("file_or_id")
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
@click.option("--no-safety-copy", is_flag=True, help="Не делать копию текущей базы перед восстановлением.")
def backup_restore(file_or_id, yes, no_safety_copy):
    """Replace the database with a backup (by path or number); stop the web and the workers first."""
    from app.services import backups
    from app.services.errors import DomainError

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            checked = backups.inspect(file_or_id, settings=settings)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"Копия проверена: {checked.path} (создана {checked.manifest['created_at']}).")
    if not yes:
        click.confirm(
            "Все данные журнала будут заменены данными этой копии. Веб-сервер и обработчики заданий "
            "должны быть остановлены. Продолжить?",
            abort=True,
        )
    with db.connection_context():
        try:
            result = backups.restore(
                checked.path, settings=settings, now=settings.clock.utcnow(), safety_copy=not no_safety_copy
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    if result.safety_copy is not None:
        click.echo(f"Копия базы до восстановления: {result.safety_copy.path}")
    if result.migrations:
        click.echo("Применены миграции: " + ", ".join(result.migrations))
    click.echo("База данных восстановлена из копии. Запустите веб-сервер и обработчики заданий.")


def register(app) -> None:
    """Register `flask backup …`."""
    app.cli.add_command(backup_cli)
