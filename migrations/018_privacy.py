"""Personal data duties (152-ФЗ, issue 12): consent withdrawal, retention periods, the subject-access permission.

- `diary_application.withdrawn_on` (the date of the parent's written withdrawal of consent) and
  `diary_application.withdrawal_note`; the new status `withdrawn` needs no schema change.
- `school_settings.login_log_keep_days` (90, the period that was fixed in code) and
  `school_settings.audit_personal_keep_days` (1095): how long the login log and the personal
  values of the audit trail are kept.
- The permission `privacy.subject_access`, granted to an existing school's built-in admin role
  (a fresh school gets it from `app.permissions.BUILTIN_ROLES`).

The rollback turns a withdrawn application into a rejected one (the reason says when consent was
withdrawn, so access is not granted again by an older version), drops the columns and removes the
permission with its grants.
"""

import peewee as pw
from peewee_migrate import Migrator

CODE = "privacy.subject_access"
ROLES = ("admin",)


def _add(database) -> None:
    database.execute_sql("ALTER TABLE diary_application ADD COLUMN withdrawn_on DATE")
    database.execute_sql("ALTER TABLE diary_application ADD COLUMN withdrawal_note TEXT")
    database.execute_sql("ALTER TABLE school_settings ADD COLUMN login_log_keep_days INTEGER NOT NULL DEFAULT 90")
    database.execute_sql(
        "ALTER TABLE school_settings ADD COLUMN audit_personal_keep_days INTEGER NOT NULL DEFAULT 1095"
    )
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


def _remove(database) -> None:
    p = database.param
    database.execute_sql(
        f"DELETE FROM role_permission WHERE permission_id IN (SELECT id FROM permission WHERE code = {p})", (CODE,)
    )
    database.execute_sql(f"DELETE FROM permission WHERE code = {p}", (CODE,))
    # An older version knows no «withdrawn»: a rejected application never gives access again.
    database.execute_sql(
        "UPDATE diary_application SET status = 'rejected',"
        " reject_reason = 'Согласие на обработку персональных данных отозвано'"
        " WHERE status = 'withdrawn'"
    )
    for table, column in (
        ("school_settings", "audit_personal_keep_days"),
        ("school_settings", "login_log_keep_days"),
        ("diary_application", "withdrawal_note"),
        ("diary_application", "withdrawn_on"),
    ):
        database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the withdrawal, the retention periods and the subject-access permission."""
    migrator.run(_add, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop them; a withdrawn application becomes a rejected one."""
    migrator.run(_remove, database)
