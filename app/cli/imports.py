"""`flask import KIND FILE [--dry-run]`: load a spreadsheet of one kind here, through the panel's import path."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.db import db
from app.settings import app_settings

KIND_CODES = ("staff", "subjects", "classes", "students", "groups", "load", "timetable")


@click.command("import")
@click.argument("kind", type=click.Choice(KIND_CODES))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Только проверить и показать, что изменится; ничего не записывать.")
@with_appcontext
def import_file(kind, path, dry_run):
    """Import a spreadsheet (XLSX or CSV) of one kind: all rows or none; with --dry-run only check it."""
    from app.services.errors import DomainError
    from app.services.imports import engine

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            job = engine.create_job(None, kind, path.name, path.read_bytes(), settings=settings, source="cli")
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        status = engine.run(job.id, "check" if dry_run else "apply", settings=settings, source="cli")
        preview = engine.get_job(None, job.id).preview_data
    for record, per in preview["counts"].items():
        click.echo(f"{record}: новых {per['new']}, изменённых {per['updated']}, без изменений {per['unchanged']}")
    if preview["error_count"]:
        for error in preview["errors"]:
            click.echo(engine.error_text(error), err=True)
        raise click.ClickException(f"Ошибок: {preview['error_count']}. Ничего не записано.")
    click.echo("Проверено, ничего не записано (--dry-run)." if dry_run else f"Применено (загрузка № {job.id}).")
    if status not in ("done", "checked"):
        raise click.ClickException(f"Загрузка № {job.id}: {status}")


def register(app) -> None:
    """Register `flask import`."""
    app.cli.add_command(import_file)
