"""Roles and their permissions (R2.1): the built-in set and the administrator's edits."""

import re

from app.db import db, is_sqlite
from app.models import Permission, Role, RolePermission, Staff, StaffRole
from app.permissions import BUILTIN_ROLES, PERMISSIONS, Perm
from app.services import access, audit
from app.services.errors import DomainError

# The permission that lets a person manage staff and rights: someone active must always keep it,
# or nobody could ever give rights again.
MANAGE_STAFF = Perm.STAFF_MANAGE
ROLE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def sync_builtin() -> None:
    """Make sure every permission code and built-in role exists; existing roles keep their edits."""
    with db.atomic():
        for code in PERMISSIONS:
            Permission.get_or_create(code=str(code))
        for code, (name, defaults) in BUILTIN_ROLES.items():
            role, created = Role.get_or_create(code=code, defaults={"name": name, "builtin": True})
            if created:
                set_role_permissions(role, defaults, actor=None, source="system")


# --- the last administrator ---------------------------------------------------------------


def staff_managers():
    """Return a query of the active staff members who hold the staff-management permission."""
    holders = (
        StaffRole.select(StaffRole.staff)
        .join(RolePermission, on=(RolePermission.role == StaffRole.role))
        .join(Permission)
        .where(Permission.code == MANAGE_STAFF)
    )
    return Staff.select().where((Staff.active == True) & Staff.id.in_(holders))  # noqa: E712


def lock_managers() -> int:
    """Lock the current managers' rows for this transaction and return how many there are.

    On PostgreSQL two administrators removing each other's rights at the same moment would
    each still see the other as a manager; locking the rows first makes the second wait for
    the first and then see its result. SQLite lets only one writer in at a time anyway.
    """
    query = staff_managers().order_by(Staff.id)
    if not is_sqlite():
        query = query.for_update()
    return len(list(query.select(Staff.id)))


def ensure_manager_remains(managers_before: int) -> None:
    """Refuse a change (inside its transaction) that left nobody able to manage staff and rights."""
    if managers_before and not staff_managers().exists():
        raise DomainError(
            "Нельзя оставить систему без администратора: хотя бы один активный сотрудник "
            "должен иметь право «" + PERMISSIONS[MANAGE_STAFF] + "»."
        )


# --- roles and their permissions ----------------------------------------------------------


def role_permission_codes(role: Role) -> set[str]:
    """Return the permission codes of a role."""
    rows = Permission.select(Permission.code).join(RolePermission).where(RolePermission.role == role.id)
    return {r.code for r in rows}


def permissions_by_role(role_ids) -> dict[int, list[str]]:
    """Return {role id: sorted permission codes} for many roles in one query."""
    found = {role_id: [] for role_id in role_ids}
    if not found:
        return found
    rows = (
        RolePermission.select(RolePermission.role, Permission.code)
        .join(Permission)
        .where(RolePermission.role.in_(list(found)))
        .order_by(Permission.code)
        .tuples()
    )
    for role_id, code in rows:
        found[role_id].append(code)
    return found


def set_role_permissions(role: Role, codes, actor, *, source="panel") -> None:
    """Replace a role's permissions with `codes`, audited; nobody may lose the last way to manage staff."""
    # Plain strings (Perm members are str too): that is what the database and the audit keep.
    codes = {str(code) for code in codes}
    unknown = codes - set(PERMISSIONS)
    if unknown:
        raise DomainError(f"Неизвестные права: {', '.join(sorted(unknown))}.", "permissions")
    before = sorted(role_permission_codes(role))
    if before == sorted(codes):
        return
    with db.atomic():
        managers = lock_managers()
        RolePermission.delete().where(RolePermission.role == role).execute()
        perms = Permission.select().where(Permission.code.in_(list(codes)))
        rows = [{"role": role.id, "permission": p.id} for p in perms]
        if rows:
            RolePermission.insert_many(rows).execute()
        ensure_manager_remains(managers)
        audit.record(
            actor,
            "permissions",
            role,
            before={"permissions": before},
            after={"permissions": sorted(codes)},
            source=source,
        )


def _clean_role(code: str, name: str) -> tuple[str, str]:
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not ROLE_CODE_RE.match(code):
        raise DomainError(
            "Код роли: от 2 до 32 символов — строчные латинские буквы, цифры и подчёркивание, "
            "начинается с буквы (например, «librarian»).",
            "code",
        )
    if not name:
        raise DomainError("Укажите название роли.", "name")
    if len(name) > Role.name.max_length:
        raise DomainError(f"Название роли длиннее {Role.name.max_length} символов.", "name")
    return code, name


def create_role(actor, *, code: str, name: str, permission_codes=(), source="panel") -> Role:
    """Create a custom role with a permission set, audited."""
    code, name = _clean_role(code, name)
    if Role.select().where(Role.code == code).exists():
        raise DomainError(f"Роль с кодом «{code}» уже есть.", "code")
    with db.atomic():
        role = Role.create(code=code, name=name, builtin=False)
        audit.record(actor, "create", role, after=role.snapshot(), source=source)
        set_role_permissions(role, permission_codes, actor, source=source)
    return role


def update_role(role: Role, actor, *, code: str, name: str, permission_codes, source="panel") -> None:
    """Rename a role (a built-in one keeps its code) and replace its permissions, in one transaction."""
    code, name = _clean_role(code, name)
    if role.builtin and code != role.code:
        raise DomainError(f"Код встроенной роли «{role.name}» изменить нельзя.", "code")
    if Role.select().where((Role.code == code) & (Role.id != role.id)).exists():
        raise DomainError(f"Роль с кодом «{code}» уже есть.", "code")
    before = role.snapshot()
    with db.atomic():
        if (code, name) != (role.code, role.name):
            role.code, role.name = code, name
            role.save()
            audit.record(actor, "update", role, before=before, after=role.snapshot(), source=source)
        set_role_permissions(role, permission_codes, actor, source=source)


def delete_role(role: Role, actor, *, source="panel") -> None:
    """Delete a custom role nobody holds, audited; its permission list goes with it."""
    if role.builtin:
        raise DomainError(f"Встроенную роль «{role.name}» удалить нельзя; её права можно изменить.")
    holders = StaffRole.select().where(StaffRole.role == role.id).count()
    if holders:
        raise DomainError(
            f"Роль «{role.name}» назначена сотрудникам ({holders}). Сначала снимите её с них в разделе «Сотрудники»."
        )
    before = dict(role.snapshot(), permissions=sorted(role_permission_codes(role)))
    with db.atomic():
        RolePermission.delete().where(RolePermission.role == role.id).execute()
        role.delete_instance()
        audit.record(actor, "delete", role, before=before, source=source)


# --- staff members' roles ----------------------------------------------------------------


def set_staff_roles(staff: Staff, role_codes, actor, *, source="panel") -> None:
    """Replace the roles a staff member holds, audited; the last administrator keeps their rights."""
    role_codes = set(role_codes)
    roles = list(Role.select().where(Role.code.in_(list(role_codes))))
    if len(roles) != len(role_codes):
        raise DomainError("Указана несуществующая роль.", "roles")
    before = sorted(staff_role_codes(staff))
    if before == sorted(role_codes):
        return
    with db.atomic():
        managers = lock_managers()
        StaffRole.delete().where(StaffRole.staff == staff.id).execute()
        if roles:
            StaffRole.insert_many([{"staff": staff.id, "role": r.id} for r in roles]).execute()
        ensure_manager_remains(managers)
        audit.record(
            actor, "roles", staff, before={"roles": before}, after={"roles": sorted(role_codes)}, source=source
        )
    access.forget_permissions(staff)


def staff_role_codes(staff: Staff) -> set[str]:
    """Return the role codes a staff member holds."""
    return {r.code for r in Role.select(Role.code).join(StaffRole).where(StaffRole.staff == staff.id)}


def roles_by_staff(staff_ids) -> dict[int, list[Role]]:
    """Return {staff id: roles ordered by name} for many staff members in one query."""
    found = {staff_id: [] for staff_id in staff_ids}
    if not found:
        return found
    rows = StaffRole.select(StaffRole, Role).join(Role).where(StaffRole.staff.in_(list(found))).order_by(Role.name)
    for row in rows:
        found[row.staff_id].append(row.role)
    return found


def role_choices() -> list[tuple[str, str]]:
    """Return (code, name) of every role, built-in first, for forms and filters."""
    return [(r.code, r.name) for r in Role.select().order_by(Role.builtin.desc(), Role.name)]
