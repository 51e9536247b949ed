"""The kinds of import in the order a school loads them: each later kind refers to what the earlier ones made."""

from app.services.errors import NotFound
from app.services.imports import classes, groups, load, staff, students, subjects, timetable
from app.services.imports.common import Kind

KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        staff.KIND,
        subjects.KIND,
        classes.KIND,
        students.KIND,
        groups.KIND,
        load.KIND,
        timetable.KIND,
    )
}


def get_kind(code) -> Kind:
    """Return a kind by its code, or refuse with NotFound."""
    kind = KINDS.get(code) if isinstance(code, str) else None
    if kind is None:
        raise NotFound("Такого вида импорта нет.")
    return kind
