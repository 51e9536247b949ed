"""The database for a job: the one already bound in this process, or the configured one."""

from contextlib import contextmanager

from app.config import Config
from app.db import db, init_db


@contextmanager
def job_database():
    """Open a connection for one job; bind the configured database first if nothing is bound."""
    if db.obj is None:
        init_db(Config.DATABASE_URL)
    with db.connection_context():
        yield db
