"""Journal: the default list of work types marks are given for; the administrator edits it later.

No schema change: the journal's tables come with the initial migration. The names are those the
demo school uses too, so seeding the demo reuses these rows.
"""

import peewee as pw
from peewee_migrate import Migrator

WORK_TYPES = (
    ("ответ на уроке", 1),
    ("домашняя работа", 1),
    ("самостоятельная работа", 2),
    ("проверочная работа", 2),
    ("диктант", 3),
    ("контрольная работа", 3),
    ("зачёт", 2),
)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add each default work type that is not there yet."""
    p = database.param
    for name, weight in WORK_TYPES:
        migrator.sql(
            f"INSERT INTO work_type (name, default_weight, active) SELECT {p}, {p}, {p} "
            f"WHERE NOT EXISTS (SELECT 1 FROM work_type WHERE name = {p})",
            name,
            weight,
            True,
            name,
        )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the default work types no mark uses (used ones stay: marks point at them)."""
    p = database.param
    for name, _ in WORK_TYPES:
        migrator.sql(
            f"DELETE FROM work_type WHERE name = {p} AND NOT EXISTS "
            "(SELECT 1 FROM mark WHERE mark.work_type_id = work_type.id)",
            name,
        )
