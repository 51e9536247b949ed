"""What needs each staff member's attention, for the home page."""

from dataclasses import dataclass

from app.models import DiaryApplication, Permission, RolePermission, Staff, StaffRole
from app.services import access


@dataclass
class Notice:
    """One line on the home page: a count, what it means, where to go."""

    title: str
    count: int
    endpoint: str
    level: str = "warning"


def staff_without_uid():
    """Active staff who fill the journal but have no portal UID yet (R7.1)."""
    teachers = (
        StaffRole.select(StaffRole.staff)
        .join(RolePermission, on=(RolePermission.role == StaffRole.role))
        .join(Permission)
        .where(Permission.code == "journal.edit_own")
    )
    return (
        Staff.select()
        .where((Staff.active == True) & Staff.portal_uid.is_null() & Staff.id.in_(teachers))  # noqa: E712
        .order_by(Staff.last_name, Staff.first_name)
    )


def notices_for(staff) -> list[Notice]:
    """Return the things waiting for this staff member, most urgent first."""
    notices = []
    if access.can(staff, "uids.manage"):
        missing = staff_without_uid().count()
        if missing:
            notices.append(Notice("Сотрудники без UID портала", missing, "uids.index_view"))
    if access.can_any(staff, ("applications.manage", "applications.view")):
        waiting = access.scope(DiaryApplication.waiting(), staff).count()
        if waiting:
            notices.append(Notice("Заявления родителей ждут обработки", waiting, "diaryapplication.index_view", "info"))
    return notices
