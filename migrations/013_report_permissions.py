"""The permissions of reports and of the year archive, granted to an existing school's built-in roles.

A fresh school's roles get them from `app.permissions.BUILTIN_ROLES` when `flask db upgrade` makes
the roles; a school that already has its roles gets `reports.view` for the head and the deputy and
`archive.manage` for the administrator here, as the built-in roles of a new school would. A role
the school has edited keeps its edits: only the two new codes are added.

The rollback removes the two codes and every grant of them.
"""

import peewee as pw
from peewee_migrate import Migrator

GRANTS = {"reports.view": ("head", "deputy"), "archive.manage": ("admin",)}


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
    """Grant the report and archive permissions to the built-in roles that exist."""
    migrator.run(_grant, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Remove the two permissions and their grants."""
    migrator.run(_revoke, database)
