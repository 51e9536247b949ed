"""Imports from spreadsheets (issue 12): the uploaded files' rows, and the permission to import.

New table `import_job`; the new permission `import.manage` is granted to an existing school's
built-in administrator role (a fresh school's roles get it from `app.permissions.BUILTIN_ROLES`),
as migration 013 did; a role the school edited keeps its edits. The rollback drops the table and
removes the permission with its grants (the files under instance/imports/ stay where they are).
"""

import peewee as pw
from peewee_migrate import Migrator

CODE = "import.manage"
ROLES = ("admin",)


def _grant(database) -> None:
    p = database.param
    database.execute_sql(
        f"INSERT INTO permission (code) SELECT {p} WHERE NOT EXISTS (SELECT 1 FROM permission WHERE code = {p})",
        (CODE, CODE),
    )
    for role in ROLES:
        database.execute_sql(
            "INSERT INTO role_permission (role_id, permission_id)"
            " SELECT role.id, permission.id FROM role, permission"
            f" WHERE role.code = {p} AND role.builtin AND permission.code = {p} AND NOT EXISTS"
            " (SELECT 1 FROM role_permission WHERE role_id = role.id AND permission_id = permission.id)",
            (role, CODE),
        )


def _revoke(database) -> None:
    p = database.param
    database.execute_sql(
        f"DELETE FROM role_permission WHERE permission_id IN (SELECT id FROM permission WHERE code = {p})", (CODE,)
    )
    database.execute_sql(f"DELETE FROM permission WHERE code = {p}", (CODE,))


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the import jobs and grant import.manage to the built-in administrator role."""
    orm = migrator.orm

    @migrator.create_model
    class ImportJob(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField(max_length=20, index=True)
        status = pw.CharField(max_length=10, index=True)
        filename = pw.CharField(max_length=255)
        stored_path = pw.CharField(max_length=1000)
        size = pw.BigIntegerField()
        headings = pw.TextField(null=True)
        mapping = pw.TextField(null=True)
        preview = pw.TextField(null=True)
        progress = pw.IntegerField()
        total = pw.IntegerField()
        error = pw.TextField(null=True)
        job_id = pw.CharField(max_length=100, null=True)
        requested_by = pw.ForeignKeyField(
            column_name="requested_by_id", field="id", model=orm["staff"], null=True, on_delete="SET NULL"
        )
        requested_by_name = pw.CharField(max_length=300)
        created_at = pw.DateTimeField(index=True)
        finished_at = pw.DateTimeField(null=True)
        applied_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "import_job"

    migrator.run(_grant, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove import.manage with its grants and drop the import jobs."""
    migrator.run(_revoke, database)
    migrator.remove_model("import_job")
