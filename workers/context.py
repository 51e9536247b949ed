"""What a job starts from: the worker's settings, read when the job starts, and its school's database."""

from contextlib import contextmanager

from app.db import db, init_db, open_database
from app.settings import Settings


def _bound_to(url: str) -> bool:
    """Tell whether the database bound in this process is the one at `url`."""
    if db.obj is None:
        return False
    wanted = open_database(url)
    # A web process's pooled PostgreSQL counts as the same database (an in-process job in the web).
    return (
        isinstance(db.obj, type(wanted))
        and wanted.database == db.obj.database
        and wanted.connect_params == db.obj.connect_params
    )


@contextmanager
def job_context(school: str):
    """Read the worker's settings, bind the database of the job's school and open a connection; yield the settings.

    RQ forks a work horse per job, so the binding happens in the horse and never crosses a fork
    with an open connection; an in-process worker keeps a database already bound to the same URL.
    """
    settings = Settings.from_env()
    url = settings.database_url_for(school)
    if not _bound_to(url):
        init_db(url)
    with db.connection_context():
        yield settings
