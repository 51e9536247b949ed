"""The transfer to a new school year (issue 12 part 5, R5.3): a row per transfer, and the permission to do it.

New table `year_transition` (one row per target year); new permission `year.transition`, granted
to an existing school's built-in administrator role as a new school's would have it (a role the
school edited keeps its edits: only the new code is added). Nothing existing changes.

The rollback drops the table and removes the code with its grants (the years, classes and
enrollments a transfer made stay: they are the school's records).
"""

import peewee as pw
from peewee_migrate import Migrator

GRANTS = {"year.transition": ("admin",)}


def _grant(database) -> None:
    p = database.param
    for code, roles in GRANTS.items():
        database.execute_sql(
            f"INSERT INTO permission (code) SELECT {p} WHERE NOT EXISTS (SELECT 1 FROM permission WHERE code = {p})",
            (code, code),
        )
        for role in roles:
            database.execute_sql(
                "INSERT INTO role_permission (role_id, permission_id)"
                " SELECT role.id, permission.id FROM role, permission"
                f" WHERE role.code = {p} AND role.builtin AND permission.code = {p} AND NOT EXISTS"
                " (SELECT 1 FROM role_permission WHERE role_id = role.id AND permission_id = permission.id)",
                (role, code),
            )


def _revoke(database) -> None:
    p = database.param
    for code in GRANTS:
        database.execute_sql(
            f"DELETE FROM role_permission WHERE permission_id IN (SELECT id FROM permission WHERE code = {p})",
            (code,),
        )
        database.execute_sql(f"DELETE FROM permission WHERE code = {p}", (code,))


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the transfers' table and grant the permission to the built-in administrator."""
    orm = migrator.orm

    @migrator.create_model
    class YearTransition(pw.Model):
        id = pw.AutoField()
        from_year = pw.ForeignKeyField(column_name="from_year_id", field="id", model=orm["school_year"])
        to_year = pw.ForeignKeyField(column_name="to_year_id", field="id", model=orm["school_year"], unique=True)
        applied_by = pw.ForeignKeyField(
            column_name="applied_by_id", field="id", model=orm["staff"], null=True, on_delete="SET NULL"
        )
        applied_by_name = pw.CharField(max_length=300)
        applied_at = pw.DateTimeField()
        summary = pw.TextField()
        backup = pw.CharField(max_length=1000)
        export_run_id = pw.IntegerField(null=True)

        class Meta:
            table_name = "year_transition"

    migrator.run(_grant, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the permission with its grants and drop the transfers' table."""
    migrator.run(_revoke, database)
    migrator.remove_model("year_transition")
