"""Marks and attendance details: decimal weights, a comment on a mark, cancelled lessons.

- `mark.weight` and `work_type.default_weight` become decimals (NUMERIC(5,2)): 1.0, 1.2, 1.5…
  Every existing whole weight keeps its value.
- `mark.comment`: what the teacher wrote about the mark; empty for every existing mark.
- `lesson.cancelled` and `lesson.cancel_reason`: a lesson that did not and will not take place,
  with why; no existing lesson is cancelled.
- The new absence reason "unknown" («н», why is filled in later) needs no column: `absence.reason`
  is a code of app.models.journal.ABSENCE_REASONS.

SQLite changes a column's type by adding the new column, copying, dropping the old one and
renaming (in place: a rebuild of `mark` or `work_type` would break the foreign keys to them).

The rollback cannot keep what only the new columns can hold: weights are rounded to whole
numbers (at least 1), comments and cancellations are dropped (a cancelled lesson becomes one not
held), and "unknown" absences become "unexcused".
"""

import peewee as pw
from peewee_migrate import Migrator

WEIGHTS = (("mark", "weight"), ("work_type", "default_weight"))


def _retype_sqlite(database, table: str, column: str, sql_type: str, value: str) -> None:
    """Give a SQLite column a new type in place: add, copy `value` (an SQL expression of the old column), swap."""
    database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}_new" {sql_type} NOT NULL DEFAULT 1')
    database.execute_sql(f'UPDATE "{table}" SET "{column}_new" = {value}')
    database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    database.execute_sql(f'ALTER TABLE "{table}" RENAME COLUMN "{column}_new" TO "{column}"')


def _upgrade(database) -> None:
    sqlite = isinstance(database, pw.SqliteDatabase)
    for table, column in WEIGHTS:
        if sqlite:
            _retype_sqlite(database, table, column, "DECIMAL(5, 2)", f'"{column}"')
        else:
            database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE NUMERIC(5, 2)')
    database.execute_sql('ALTER TABLE "mark" ADD COLUMN "comment" VARCHAR(500)')
    false = "0" if sqlite else "FALSE"
    database.execute_sql(f'ALTER TABLE "lesson" ADD COLUMN "cancelled" BOOLEAN NOT NULL DEFAULT {false}')
    database.execute_sql('ALTER TABLE "lesson" ADD COLUMN "cancel_reason" VARCHAR(200)')


def _downgrade(database) -> None:
    sqlite = isinstance(database, pw.SqliteDatabase)
    database.execute_sql("UPDATE absence SET reason = 'unexcused' WHERE reason = 'unknown'")
    database.execute_sql('ALTER TABLE "lesson" DROP COLUMN "cancel_reason"')
    database.execute_sql('ALTER TABLE "lesson" DROP COLUMN "cancelled"')
    database.execute_sql('ALTER TABLE "mark" DROP COLUMN "comment"')
    for table, column in WEIGHTS:
        whole = f'CAST(MAX(1, ROUND("{column}")) AS INTEGER)' if sqlite else f'GREATEST(1, ROUND("{column}"))'
        if sqlite:
            _retype_sqlite(database, table, column, "INTEGER", whole)
        else:
            database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE INTEGER USING {whole}')


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Make the weights decimal, add the mark's comment and the lesson's cancellation."""
    migrator.run(_upgrade, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Round the weights back to whole numbers and drop the comment and the cancellation."""
    migrator.run(_downgrade, database)
