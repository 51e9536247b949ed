"""Portal UIDs of staff members (R7.1–7.2): entry, the list of who has one, and what each one opens."""

import re
from dataclasses import dataclass, field

from peewee import IntegrityError

from app.db import db
from app.models import ClassGroup, Permission, RolePermission, Staff, StaffRole, TeachingAssignment
from app.permissions import Perm
from app.services import access, audit
from app.services.errors import DomainError

# The portal shows a teacher their UID after registration; it is either a number or a UUID.
# This is the one place that knows the accepted shapes.
UID_RE = re.compile(r"^(?:[0-9]{5,20}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
UID_FORMAT_HINT = (
    "UID портала — это число из 5–20 цифр (например, 1234567) или идентификатор вида "
    "3f2b8c1e-5a4d-4e6f-9b0a-1c2d3e4f5a6b; скопируйте его из личного кабинета портала."
)
JOURNAL_PERMISSION = Perm.JOURNAL_EDIT_OWN


def normalize_uid(uid: str | None) -> str | None:
    """Return the UID in its stored form (no spaces, lower case), None when empty, or refuse a malformed one."""
    # Spaces (also non-breaking ones) creep in when a UID is copied from a web page or a letter.
    uid = re.sub(r"\s+", "", uid or "").lower()
    if not uid:
        return None
    if not UID_RE.match(uid):
        raise DomainError(f"UID «{uid[:64]}» не подходит. {UID_FORMAT_HINT}", "uid")
    return uid


def set_uid(staff: Staff, uid: str | None, actor, *, source="panel") -> bool:
    """Enter, change or (with an empty value) clear a staff member's portal UID, audited; return whether it changed."""
    new = normalize_uid(uid)
    old = staff.portal_uid
    if new == old:
        return False
    if new is not None:
        if not staff.active:
            raise DomainError(
                f"Сотрудник {staff.full_name} заблокирован: UID портала даёт доступ к данным, "
                "поэтому его можно ввести только активному сотруднику.",
                "uid",
            )
        holder = Staff.get_or_none((Staff.portal_uid == new) & (Staff.id != staff.id))
        if holder is not None:
            raise DomainError(_duplicate_message(new, holder), "uid")
    try:
        with db.atomic():
            staff.portal_uid = new
            staff.save()
            audit.record(actor, "update", staff, before={"portal_uid": old}, after={"portal_uid": new}, source=source)
    except IntegrityError as exc:
        # Someone entered the same UID for another person a moment ago: the unique index caught it.
        staff.portal_uid = old
        holder = Staff.get_or_none((Staff.portal_uid == new) & (Staff.id != staff.id))
        if holder is None:
            raise
        raise DomainError(_duplicate_message(new, holder), "uid") from exc
    return True


def _duplicate_message(uid: str, holder: Staff) -> str:
    return (
        f"UID «{uid}» уже указан у сотрудника {holder.full_name} (логин {holder.login}). "
        "У каждого сотрудника свой UID: проверьте, чей он на самом деле."
    )


def staff_needing_uid():
    """Return a query of active staff who fill the journal, teach a class or lead one: they need a UID."""
    journal_roles = (
        StaffRole.select(StaffRole.staff)
        .join(RolePermission, on=(RolePermission.role == StaffRole.role))
        .join(Permission)
        .where(Permission.code == JOURNAL_PERMISSION)
    )
    teaching = TeachingAssignment.select(TeachingAssignment.teacher)
    leading = ClassGroup.select(ClassGroup.class_teacher).where(ClassGroup.class_teacher.is_null(False))
    return Staff.select().where(
        (Staff.active == True)  # noqa: E712
        & (Staff.id.in_(journal_roles) | Staff.id.in_(teaching) | Staff.id.in_(leading))
    )


def uid_list(search: str = "", without_uid: bool = False):
    """Return the UID page's query: staff who need a UID, optionally only those lacking one, found by name or login."""
    query = staff_needing_uid()
    if without_uid:
        query = query.where(Staff.portal_uid.is_null())
    for word in (search or "").split():
        term = f"%{word}%"
        query = query.where(
            Staff.last_name**term | Staff.first_name**term | Staff.middle_name**term | Staff.login**term
        )
    return query.order_by(Staff.last_name, Staff.first_name, Staff.id)


@dataclass
class UidScope:
    """What a staff member's UID opens on the portal: (group, subject) pairs taught, classes led."""

    subjects: list = field(default_factory=list)
    classes: list = field(default_factory=list)

    def by_group(self) -> list[tuple[object, list]]:
        """Return the taught subjects grouped by study group (a class or its part), in the order found."""
        groups: dict = {}
        for group, subject in self.subjects:
            groups.setdefault(group.id, (group, []))[1].append(subject)
        return list(groups.values())

    @property
    def empty(self) -> bool:
        return not self.subjects and not self.classes


def uid_scopes(staff_ids) -> dict[int, UidScope]:
    """Return each staff member's UID scope for many people in two queries (the rule of access.uid_scope)."""
    scopes = {staff_id: UidScope() for staff_id in staff_ids}
    if not scopes:
        return scopes
    assignments, led = access.uid_scope_queries(scopes)
    for row in assignments:
        scopes[row.teacher_id].subjects.append((row.journal.group, row.journal.subject))
    for class_group in led:
        scopes[class_group.class_teacher_id].classes.append(class_group)
    return scopes
