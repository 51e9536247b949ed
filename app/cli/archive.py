"""`flask archive …`: build the year archive of the journal (queued or here) and check a build against its manifest."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import app_clock
from app.db import db
from app.settings import app_settings

archive_cli = AppGroup("archive", help="Архив журналов за учебный год.")


@archive_cli.command("build")
@click.option("--year", "year_name", required=True, help="Учебный год, например 2026/2027.")
@click.option("--now", "foreground", is_flag=True, help="Сформировать сразу, здесь, а не обработчиком заданий.")
def archive_build(year_name, foreground):
    """Build the archive of a school year: enqueue it for a worker, or with --now build it here."""
    from app.models import ArchiveBuild
    from app.services import archive
    from app.services.errors import DomainError

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            build = archive.request_build(None, year_name, settings=settings, source="cli")
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        if not foreground:
            if archive.enqueue_build(build, settings=settings):
                click.echo(f"{build} поставлен в очередь (задание {archive.job_id_for(build)}).")
                return
            raise click.ClickException("Очередь заданий недоступна: запустите с --now, чтобы сформировать архив здесь.")

        def progress(done, total):
            click.echo(f"{build}: готово классов {done} из {total}")

        status = archive.build(build.id, settings=settings, on_progress=progress)
        build = ArchiveBuild.get_by_id(build.id)
    if status != "done":
        raise click.ClickException(f"{build}: {build.error}")
    click.echo(f"{build} готов: {len(build.file_list)} файлов в {build.directory}, опись {build.manifest_sha256}.")


@archive_cli.command("verify")
@click.argument("build_id", type=int)
def archive_verify(build_id):
    """Check a build's files against its manifest; name what is missing or changed."""
    from app.services import archive
    from app.services.errors import DomainError

    with db.connection_context():
        try:
            problems = archive.verify(None, build_id, clock=app_clock(current_app))
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    if problems:
        raise click.ClickException("Архив повреждён:\n" + "\n".join(problems))
    click.echo("Архив в порядке: все файлы совпадают с описью.")


def register(app) -> None:
    """Register `flask archive …`."""
    app.cli.add_command(archive_cli)
