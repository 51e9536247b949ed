"""`flask seed-demo`: the demo school (small, for trying the product) or a large one for benchmarks."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.clock import app_clock
from app.db import db


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Ничего не делать, если база не пуста (для make run).")
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="small — демо-школа (5–7 классы); large — большая школа за целый год для замеров.",
)
@click.option(
    "--scale",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    help="Доля большой школы (только для --size large).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Дата «сегодня» демо-школы (по умолчанию — сегодня по времени школы).",
)
@with_appcontext
def seed_demo(if_empty, size, scale, today):
    """Build the demo school with one login per role (password demo) in an empty database."""
    from app import demo
    from app.services.errors import DomainError

    if today is None:
        today = app_clock(current_app).today()
    else:
        today = today.date()
    with db.connection_context():
        if if_empty and not demo.is_empty():
            click.echo("База данных не пуста (есть сотрудники или школьные данные): демо-школа не создаётся.")
            return
        try:
            report = demo.seed(
                size,
                today=today,
                scale=scale,
                source="cli",
                hash_method=current_app.config["PASSWORD_HASH_METHOD"],
            )
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        size_bytes = demo.database_size_bytes()
    for line in report.lines():
        click.echo(line)
    if size_bytes is not None:
        click.echo(f"  размер базы SQLite: {demo.format_size(size_bytes)}")
    click.echo(f"Демо-входы (пароль {demo.DEMO_PASSWORD}): {', '.join(demo.DEMO_LOGINS)}")


def register(app) -> None:
    """Register `flask seed-demo`."""
    app.cli.add_command(seed_demo)
