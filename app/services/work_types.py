"""The list of work types marks are given for («Виды работ»), kept by the administrator."""

from app.models import WorkType
from app.services import records
from app.services.errors import DomainError
from app.services.journal_marks import parse_weight


def validate_work_type(work_type: WorkType) -> None:
    """Check a work type: a name, and a default weight within the marks' weight range."""
    work_type.name = (work_type.name or "").strip()
    if not work_type.name:
        raise DomainError("Укажите название вида работы.", "name")
    try:
        work_type.default_weight = parse_weight(work_type.default_weight)
    except DomainError as exc:
        raise DomainError(exc.message, "default_weight") from None


def create_work_type(actor, *, source="panel", **fields) -> WorkType:
    """Create a work type, checked and audited."""
    return records.create_row(actor, WorkType, fields, validate=validate_work_type, source=source)


def update_work_type(actor, work_type: WorkType, *, source="panel", **fields) -> WorkType:
    """Change a work type, checked and audited (renaming one re-exports the marks given for it)."""
    return records.update_row(actor, work_type, fields, validate=validate_work_type, source=source)


def delete_work_type(actor, work_type: WorkType, *, source="panel") -> None:
    """Delete a work type no mark was given for, audited."""
    records.delete_row(actor, work_type, source=source)
