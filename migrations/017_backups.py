"""Backups of the database (issue 12): the backups' table, the retention setting, the permission to manage them.

New table `backup`; `school_settings.backup_keep_days` (30 days by default); the permission
`backups.manage`, granted to an existing school's built-in administrator role as
`013_report_permissions` grants its codes (a fresh school's roles get it from
`app.permissions.BUILTIN_ROLES`). The rollback drops the table, the column, the permission and
its grants; the backup files under instance/backups/ stay where they are.
"""

import peewee as pw
from peewee_migrate import Migrator

GRANTS = {"backups.manage": ("admin",)}


def _add_column(database) -> None:
    database.execute_sql("ALTER TABLE school_settings ADD COLUMN backup_keep_days INTEGER NOT NULL DEFAULT 30")


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
    """Create the backups' table, add the retention setting and grant the permission."""

    @migrator.create_model
    class Backup(pw.Model):
        id = pw.AutoField()
        path = pw.CharField(max_length=1000)
        size = pw.BigIntegerField(null=True)
        sha256 = pw.CharField(max_length=64, null=True)
        engine = pw.CharField(max_length=20)
        schema = pw.CharField(max_length=100)
        reason = pw.CharField(max_length=100)
        slot = pw.CharField(max_length=40, null=True, unique=True)
        status = pw.CharField(max_length=10, index=True)
        requested_by_name = pw.CharField(max_length=300)
        created_at = pw.DateTimeField(index=True)
        finished_at = pw.DateTimeField(null=True)
        error = pw.TextField(null=True)

        class Meta:
            table_name = "backup"

    migrator.run(_add_column, database)
    migrator.run(_grant, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the permission and its grants, the retention setting and the backups' table."""
    migrator.run(_revoke, database)
    migrator.sql("ALTER TABLE school_settings DROP COLUMN backup_keep_days")
    migrator.remove_model("backup")
