"""`flask export …`: run an export (queued or in the foreground) and show how exports stand."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import app_clock
from app.db import db
from app.settings import app_settings

export_cli = AppGroup("export", help="Выгрузка на портал.")


def _when(moment) -> str:
    return app_clock(current_app).format(moment) if moment else "—"


def _range(run) -> str:
    def number(value):
        return "—" if value is None else str(value)

    return f"{number(run.change_from)}…{number(run.change_to)}"


class _Progress:
    """A progress bar on a terminal; in a log, a line at every tenth of the way."""

    def __init__(self):
        self.interactive = sys.stdout.isatty()
        self.bars = {}
        self.reported = {}

    def show(self, run, done, total):
        total = max(total, done, 1)
        if self.interactive:
            bar = self.bars.get(run.id)
            if bar is None:
                bar = self.bars[run.id] = click.progressbar(length=total, label=str(run), show_pos=True)
                bar.__enter__()
            bar.length = total
            bar.update(done - bar.pos)
            return
        step = done * 10 // total
        if self.reported.get(run.id) != step:
            self.reported[run.id] = step
            click.echo(f"{run}: записано {done} из {total}")

    def close(self):
        for bar in self.bars.values():
            bar.__exit__(None, None, None)


@export_cli.command("run")
@click.option(
    "--kind",
    type=click.Choice(["daily", "full"]),
    default="daily",
    show_default=True,
    help="Ежедневная (изменения) или полная (весь учебный год).",
)
@click.option("--now", "foreground", is_flag=True, help="Выполнить сразу, здесь, с индикатором хода.")
def export_run(kind, foreground):
    """Ask for an export: enqueue it for a worker, or with --now build and deliver it here."""
    from app.models import ExportRun
    from app.services import exports
    from app.services.errors import DomainError
    from app.services.exports import runs

    settings = app_settings(current_app)
    with db.connection_context():
        try:
            if not foreground:
                run = exports.request_export(kind, None, settings=settings, source="cli")
                run = ExportRun.get_by_id(run.id)
                if run.job_id:
                    click.echo(f"{run} поставлена в очередь (задание {run.job_id}).")
                else:
                    click.echo(f"{run} записана; очередь заданий недоступна — её поставит планировщик.")
                return
            run = runs.create_run(kind, "manual", None, instance_path=settings.instance_path, source="cli")
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc

        progress = _Progress()
        try:
            # A delivery the portal may take later is retried by the worker, not waited for here.
            status = runs.process(run.id, settings=settings, on_progress=progress.show)
        finally:
            progress.close()
        run = ExportRun.get_by_id(run.id)
    if status == "busy":
        raise click.ClickException(f"Сейчас работает другая выгрузка; {run} выполнится следом за ней.")
    if run.status == "failed":
        raise click.ClickException(f"{run}: ошибка. {run.error}")
    if run.status == "queued":
        click.echo(f"{run}: {run.error} Повтор выполнит обработчик заданий.")
        return
    click.echo(
        f"{run}: {run.status_label}. Пакет {run.package_id}, записей {run.records}, "
        f"{run.bytes} байт, изменения {_range(run)}."
    )


@export_cli.command("status")
@click.option("--limit", default=10, show_default=True, help="Сколько последних выгрузок показать.")
def export_status(limit):
    """Show the settings, the last success, the next scheduled runs and the latest runs."""
    from app.models import ExportRun
    from app.models.exports import TRANSPORTS
    from app.services import exports

    with db.connection_context():
        settings = exports.get_settings()
        state = exports.overview(app_clock(current_app))
        click.echo(
            f"Выгрузка по расписанию: {'включена' if settings.enabled else 'выключена'}; "
            f"ежедневно в {settings.daily_time:%H:%M}, полная — {settings.full_day}-го числа."
        )
        where = settings.portal_url if settings.transport == "http" else (settings.directory or "каталог по умолчанию")
        click.echo(f"Доставка: {dict(TRANSPORTS)[settings.transport]} — {where}.")
        last = state.last_success
        click.echo(f"Последняя успешная: {f'№ {last.id}, ' + _when(last.finished_at) if last else 'не было'}.")
        click.echo(f"Следующая ежедневная: {_when(state.next_daily)}; следующая полная: {_when(state.next_full)}.")
        click.echo(f"В очереди: {state.pending}.")
        if state.alert:
            click.echo(f"ВНИМАНИЕ: {state.alert}")
        runs = ExportRun.select().order_by(ExportRun.id.desc()).limit(limit)
        for run in runs:
            change = _range(run)
            click.echo(
                f"  № {run.id:<5} {_when(run.created_at)}  {run.kind_label:<11} {run.trigger_label:<22} "
                f"{run.status_label:<12} записей {run.records if run.records is not None else '—':<8} "
                f"изменения {change}" + (f"  ошибка: {run.error}" if run.error else "")
            )


def register(app) -> None:
    """Register `flask export …`."""
    app.cli.add_command(export_cli)
