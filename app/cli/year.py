"""`flask year transition --to 2027/2028 [--dry-run]`: the transfer to a new school year (R5.3)."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.clock import app_clock
from app.db import db
from app.settings import app_settings

year_cli = AppGroup("year", help="Учебный год: перевод на новый учебный год.")


@year_cli.command("transition")
@click.option("--to", "name", required=True, help="Новый учебный год, например 2027/2028.")
@click.option("--dry-run", is_flag=True, help="Только показать, что изменится, ничего не записывая.")
@click.option("--repeat", "repeat", multiple=True, type=int, help="Id ученика, оставленного на повторное обучение.")
@click.option("--leave", "leave", multiple=True, type=int, help="Id выбывающего ученика (после 9 класса).")
@click.option("--rename", "renames", multiple=True, help="Новая буква класса: «5Б=В»; «9Б=» — класс не продолжается.")
@click.option("--no-groups", is_flag=True, help="Не переносить группы классов.")
@click.option("--no-load", is_flag=True, help="Не переносить учебную нагрузку (журналы и учителей) и расписание.")
@click.option("--no-timetable", is_flag=True, help="Не переносить расписание.")
@click.option("--confirm", is_flag=True, help="Выполнить несмотря на предупреждения (незакрытые периоды, нет годовых).")
def transition(name, dry_run, repeat, leave, renames, no_groups, no_load, no_timetable, confirm):
    """Transfer the school to a new year with the proposed dates and periods; --dry-run prints the preview only."""
    from app.services import year_transition
    from app.services.errors import DomainError

    clock = app_clock(current_app)
    choices = year_transition.Choices(
        students={**{sid: "repeat" for sid in repeat}, **{sid: "leave" for sid in leave}},
        groups="none" if no_groups else "carry",
        load=not no_load,
        timetable=not (no_load or no_timetable),
        confirmed=confirm,
    )
    with db.connection_context():
        try:
            choices.letters = year_transition.letters_by_name(renames)
            plan = year_transition.propose(name=name)
            seen = year_transition.preview(None, plan, choices, now=clock.now())
            for line in year_transition.preview_lines(seen):
                click.echo(line)
            if dry_run or seen.done is not None:
                if dry_run and seen.done is None:
                    click.echo("Пробный запуск: ничего не изменено.")
                return
            outcome = year_transition.apply(
                None, plan, choices, now=clock.now(), settings=app_settings(current_app), source="cli"
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(outcome.message)


def register(app) -> None:
    """Register `flask year …`."""
    app.cli.add_command(year_cli)
