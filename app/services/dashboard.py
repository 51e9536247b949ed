"""What needs each staff member's attention, for the home page."""

from dataclasses import dataclass

from app.models import DiaryApplication
from app.permissions import Perm
from app.services import access, uids


@dataclass
class Notice:
    """One line on the home page: a count, what it means, where to go."""

    title: str
    count: int
    endpoint: str
    level: str = "warning"


def staff_without_uid():
    """Active staff who fill the journal or lead a class but have no portal UID yet (R7.1)."""
    return uids.uid_list(without_uid=True)


def notices_for(staff, clock) -> list[Notice]:
    """Return the things waiting for this staff member, most urgent first (times on the school's `clock`)."""
    notices = []
    if access.can(staff, Perm.UIDS_MANAGE):
        missing = staff_without_uid().count()
        if missing:
            notices.append(Notice("Сотрудники без UID портала", missing, "uids.missing"))
    if access.can_any(staff, (Perm.APPLICATIONS_MANAGE, Perm.APPLICATIONS_VIEW)):
        waiting = access.scope(DiaryApplication.waiting(), staff).count()
        if waiting:
            notices.append(Notice("Заявления родителей ждут обработки", waiting, "diaryapplication.index_view", "info"))
    if access.can(staff, Perm.EXPORTS_VIEW):
        # Last success and next run of the exports to the portal. A failed or overdue export is
        # the banner's (on every page, this one included): listing it here too showed it twice.
        from app.services.exports.planner import dashboard_notices

        notices.extend(Notice(*line) for line in dashboard_notices(clock))
    return notices
