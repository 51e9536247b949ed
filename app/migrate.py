"""Schema migrations with peewee-migrate: apply, roll back, create."""

from pathlib import Path

from peewee_migrate import Router

from app.db import db, refresh_statistics

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def router() -> Router:
    """Return a migration router bound to the current database."""
    return Router(db.obj, migrate_dir=str(MIGRATIONS_DIR), ignore=["basemodel", "exportedmodel"])


def upgrade() -> list[str]:
    """Apply every pending migration, then refresh the planner's statistics; return their names."""
    done = router().run()
    if done:
        refresh_statistics()
    return done


def rollback(steps: int = 1) -> list[str]:
    """Roll back the last `steps` applied migrations; return their names."""
    r = router()
    undone = []
    for _ in range(steps):
        if not r.done:
            break
        undone.append(r.done[-1])
        r.rollback()
    return undone


def pending() -> list[str]:
    """Return the names of migrations not yet applied."""
    return list(router().diff)
