"""Roles and their permissions (R2.1): the built-in set and the administrator's edits."""

from app.db import db
from app.models import Permission, Role, RolePermission, Staff, StaffRole
from app.permissions import BUILTIN_ROLES, PERMISSIONS
from app.services import access, audit
from app.services.errors import DomainError


def sync_builtin() -> None:
    """Make sure every permission code and built-in role exists; existing roles keep their edits."""
    with db.atomic():
        for code in PERMISSIONS:
            Permission.get_or_create(code=code)
        for code, (name, defaults) in BUILTIN_ROLES.items():
            role, created = Role.get_or_create(code=code, defaults={"name": name, "builtin": True})
            if created:
                set_role_permissions(role, defaults, actor=None, source="system")


def set_role_permissions(role: Role, codes, actor, *, source="panel") -> None:
    """Replace a role's permissions with `codes`, audited."""
    unknown = set(codes) - set(PERMISSIONS)
    if unknown:
        raise DomainError(f"Неизвестные права: {', '.join(sorted(unknown))}.")
    before = sorted(role_permission_codes(role))
    with db.atomic():
        RolePermission.delete().where(RolePermission.role == role).execute()
        perms = Permission.select().where(Permission.code.in_(list(codes)))
        RolePermission.insert_many([{"role": role.id, "permission": p.id} for p in perms]).execute()
        audit.record(actor, "permissions", role, before={"permissions": before}, after={"permissions": sorted(codes)}, source=source)


def role_permission_codes(role: Role) -> set[str]:
    """Return the permission codes of a role."""
    rows = Permission.select(Permission.code).join(RolePermission).where(RolePermission.role == role.id)
    return {r.code for r in rows}


def set_staff_roles(staff: Staff, role_codes, actor, *, source="panel") -> None:
    """Replace the roles a staff member holds, audited."""
    roles = list(Role.select().where(Role.code.in_(list(role_codes))))
    if len(roles) != len(set(role_codes)):
        raise DomainError("Указана несуществующая роль.")
    before = sorted(staff_role_codes(staff))
    with db.atomic():
        StaffRole.delete().where(StaffRole.staff == staff.id).execute()
        if roles:
            StaffRole.insert_many([{"staff": staff.id, "role": r.id} for r in roles]).execute()
        audit.record(actor, "roles", staff, before={"roles": before}, after={"roles": sorted(role_codes)}, source=source)
    access.forget_permissions(staff)


def staff_role_codes(staff: Staff) -> set[str]:
    """Return the role codes a staff member holds."""
    return {r.code for r in Role.select(Role.code).join(StaffRole).where(StaffRole.staff == staff.id)}
