"""Parents' applications for access to the e-diary (R6.1): checks, acceptance, status flow.

A parent applies in person with a passport; the employee prints the application from the
portal, checks the student's and the parent's full names against the school's records and
enters the application here. The passport is shown, never stored: we keep only the fact that
it was presented and who received the application.
"""

import datetime as dt
import re
from dataclasses import dataclass

from peewee import IntegrityError, fn

from app.clock import utcnow
from app.db import db
from app.models import (
    APPLICATION_STATUSES,
    RELATIONS,
    AuditEntry,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    StudentGuardian,
)
from app.permissions import Perm
from app.services import access, audit
from app.services.errors import AccessDenied, DomainError

MANAGE = Perm.APPLICATIONS_MANAGE

STATUS_LABELS = dict(APPLICATION_STATUSES)
# The only way forward: accepted → entered → granted. Rejection ends a waiting application.
NEXT_STATUS = {"accepted": "entered", "entered": "granted"}
STATUS_ORDER = ("accepted", "entered", "granted")
WAITING = ("accepted", "entered")
FINAL = ("granted", "rejected", "withdrawn")
# How long a withdrawal's note may be.
WITHDRAWAL_NOTE_MAX = 1000

# (application field, record: "student" or "guardian", record field, Russian label)
NAME_FIELDS = (
    ("student_last_name", "student", "last_name", "Фамилия ученика"),
    ("student_first_name", "student", "first_name", "Имя ученика"),
    ("student_middle_name", "student", "middle_name", "Отчество ученика"),
    ("guardian_last_name", "guardian", "last_name", "Фамилия родителя"),
    ("guardian_first_name", "guardian", "first_name", "Имя родителя"),
    ("guardian_middle_name", "guardian", "middle_name", "Отчество родителя"),
)

# Every field an employee enters; received_by and status are the service's to set.
EDITABLE_FIELDS = (
    "student",
    "guardian",
    "student_last_name",
    "student_first_name",
    "student_middle_name",
    "guardian_last_name",
    "guardian_first_name",
    "guardian_middle_name",
    "relation",
    "submitted_on",
    "portal_number",
    "passport_presented",
    "names_checked",
    "pd_consent",
)
_OPTIONAL_TEXT = {"student_middle_name", "guardian_middle_name", "portal_number"}


@dataclass(frozen=True)
class NameCheck:
    """One name field of an application compared with the school's record."""

    field: str
    label: str
    printed: str
    recorded: str
    matches: bool


def normalize_name(value) -> str:
    """Return a name in comparable form: no surrounding or doubled spaces, lower case, ё as е."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text.casefold().replace("ё", "е")


def compare_names(application) -> list[NameCheck]:
    """Compare the names printed on the application with the student's and guardian's records, field by field."""
    records = {"student": application.student, "guardian": application.guardian}
    checks = []
    for field, owner, record_field, label in NAME_FIELDS:
        printed = (getattr(application, field) or "").strip()
        recorded = (getattr(records[owner], record_field) or "").strip()
        checks.append(NameCheck(field, label, printed, recorded, normalize_name(printed) == normalize_name(recorded)))
    return checks


def mismatches(application) -> list[NameCheck]:
    """Return only the name fields that differ from the records."""
    return [check for check in compare_names(application) if not check.matches]


def _mismatch_message(found: list[NameCheck]) -> str:
    parts = [
        f"{check.label.lower()} — в заявлении «{check.printed or 'не указано'}», "
        f"в данных школы «{check.recorded or 'не указано'}»"
        for check in found
    ]
    return (
        "ФИО в заявлении не совпадают с данными школы: "
        + "; ".join(parts)
        + ". Проверьте заявление по паспорту или исправьте данные ученика и родителя."
    )


def is_linked(student, guardian) -> bool:
    """Answer whether the guardian is recorded as a parent (representative) of the student."""
    return (
        StudentGuardian.select()
        .where((StudentGuardian.student == student.id) & (StudentGuardian.guardian == guardian.id))
        .exists()
    )


def validate(application, today: dt.date) -> None:
    """Refuse an application that may not be accepted, saying why; the first problem found wins.

    `today` is the school's date (the school clock), never the server's.
    """
    student = application.student if application.student_id else None
    guardian = application.guardian if application.guardian_id else None
    if student is None:
        raise DomainError("Выберите ученика, на которого подано заявление.", "student")
    if guardian is None:
        raise DomainError("Выберите родителя (законного представителя), подавшего заявление.", "guardian")
    if not is_linked(student, guardian):
        raise DomainError(
            f"{guardian.full_name} не указан(а) среди родителей (законных представителей) ученика "
            f"{student.full_name}. Выберите родителя из связанных с учеником или сначала добавьте связь.",
            "guardian",
        )
    if application.relation not in dict(RELATIONS):
        raise DomainError("Укажите, кем заявитель приходится ученику.", "relation")
    for field, _owner, _record, label in NAME_FIELDS:
        if "middle" not in field and not (getattr(application, field) or "").strip():
            raise DomainError(f"Заполните поле «{label}» так, как оно напечатано в заявлении.", field)
    if not application.passport_presented:
        raise DomainError(
            "Заявление нельзя принять без предъявления паспорта родителя (законного представителя): "
            "отметьте «Паспорт предъявлен».",
            "passport_presented",
        )
    if not application.names_checked:
        raise DomainError(
            "Заявление нельзя принять без сверки ФИО ученика и родителя с данными школы: "
            "отметьте «ФИО сверены с данными школы».",
            "names_checked",
        )
    if not application.pd_consent:
        raise DomainError(
            "Заявление нельзя принять без согласия на обработку персональных данных.",
            "pd_consent",
        )
    found = mismatches(application)
    if found:
        raise DomainError(_mismatch_message(found), found[0].field)
    if application.submitted_on is None:
        raise DomainError("Укажите дату заявления.", "submitted_on")
    if application.submitted_on > today:
        raise DomainError("Дата заявления не может быть позже сегодняшнего дня.", "submitted_on")
    if application.portal_number:
        taken = DiaryApplication.select().where(DiaryApplication.portal_number == application.portal_number)
        if application.id is not None:
            taken = taken.where(DiaryApplication.id != application.id)
        if taken.exists():
            raise DomainError(
                f"Заявление с номером портала «{application.portal_number}» уже внесено.", "portal_number"
            )


def _ensure_may_manage(actor) -> None:
    # The system (actor None) works from the CLI or jobs, where the command itself is the permission.
    if actor is not None and not access.can(actor, MANAGE):
        raise AccessDenied("Недостаточно прав для приёма заявлений родителей.")


def _apply(application, values: dict) -> None:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
            if name in _OPTIONAL_TEXT and not value:
                value = None
        setattr(application, name, value)


def _save(application, **kwargs) -> None:
    try:
        with db.atomic():
            application.save(**kwargs)
    except IntegrityError as exc:
        # Another employee entered the same portal number a moment ago.
        raise DomainError(
            f"Заявление с номером портала «{application.portal_number}» уже внесено.", "portal_number"
        ) from exc


def accept(actor, *, today: dt.date, source="panel", **values) -> DiaryApplication:
    """Record an application received by `actor` on the school's date `today` after every check passed; audited."""
    _ensure_may_manage(actor)
    if actor is None:
        raise DomainError("Укажите сотрудника, принявшего заявление.")
    application = DiaryApplication(received_by=actor.id, status="accepted")
    _apply(application, values)
    validate(application, today)
    with db.atomic():
        _save(application, force_insert=True)
        audit.record(actor, "create", application, after=application.snapshot(), source=source)
    return application


def update(actor, application, *, today: dt.date, source="panel", **values) -> DiaryApplication:
    """Correct a waiting application on the school's date `today`; the same checks apply again; audited."""
    _ensure_may_manage(actor)
    if application.status not in WAITING:
        raise DomainError(f"Заявление уже обработано (статус «{application.status_label}»): изменить его нельзя.")
    before = application.snapshot()
    _apply(application, values)
    validate(application, today)
    application.updated_at = utcnow()
    with db.atomic():
        _save(application)
        audit.record(actor, "update", application, before=before, after=application.snapshot(), source=source)
    return application


def next_statuses(application) -> list[str]:
    """Return the statuses the application may move to next (for buttons)."""
    if application.status in FINAL:
        return []
    return [NEXT_STATUS[application.status], "rejected"]


def change_status(actor, application, status: str, *, reason: str | None = None, source="panel") -> DiaryApplication:
    """Move an application forward one step (accepted → entered → granted) or reject it with a reason; audited."""
    _ensure_may_manage(actor)
    current = application.status
    if status not in STATUS_LABELS:
        raise DomainError("Неизвестный статус заявления.", "status")
    if status == current:
        raise DomainError(f"Заявление уже в статусе «{STATUS_LABELS[status]}».", "status")
    if current in FINAL:
        raise DomainError(
            f"Заявление уже обработано (статус «{STATUS_LABELS[current]}»): его статус больше не меняется.",
            "status",
        )
    reason = (reason or "").strip()
    if status == "withdrawn":
        # Withdrawal has its own step (a date and a note): `withdraw_consent`.
        raise DomainError(
            "Отзыв согласия записывается отдельно: «Отзыв согласия на обработку персональных данных».", "status"
        )
    if status == "rejected":
        if not reason:
            raise DomainError("Укажите причину отклонения заявления.", "reject_reason")
    elif STATUS_ORDER.index(status) < STATUS_ORDER.index(current):
        raise DomainError(
            f"Статус нельзя вернуть назад: из «{STATUS_LABELS[current]}» в «{STATUS_LABELS[status]}».", "status"
        )
    elif NEXT_STATUS[current] != status:
        raise DomainError(
            f"Нельзя пропустить шаг: после «{STATUS_LABELS[current]}» заявление переходит "
            f"в статус «{STATUS_LABELS[NEXT_STATUS[current]]}».",
            "status",
        )
    before = application.snapshot()
    application.status = status
    application.reject_reason = reason if status == "rejected" else None
    application.updated_at = utcnow()
    with db.atomic():
        application.save()
        audit.record(actor, "status", application, before=before, after=application.snapshot(), source=source)
    return application


def may_withdraw(application) -> bool:
    """Answer whether consent may be withdrawn on this application: only a granted one."""
    return application.status == "granted"


def granted_on(application, clock) -> dt.date:
    """Return the school's date access was granted on (from the audit), or the application's date when not recorded."""
    stamp = (
        AuditEntry.select(fn.MAX(AuditEntry.at))
        .where(
            (AuditEntry.model == "DiaryApplication")
            & (AuditEntry.object_id == str(application.id))
            & (AuditEntry.action == "status")
            & AuditEntry.after.contains('"status": "granted"')
        )
        .scalar()
    )
    if stamp is None:
        return application.submitted_on
    return max(application.submitted_on, clock.local(stamp).date())


def withdraw_consent(
    actor, application, *, withdrawn_on: dt.date | None, clock, note: str | None = None, source="panel"
) -> DiaryApplication:
    """Record the parent's written withdrawal of consent dated `withdrawn_on`: the diary access ends; audited.

    `clock` is the school's clock (today, and the day access was granted). The application
    becomes «согласие отозвано» for good: the next daily export deletes its `diary_access`
    record, and access is given again only on a new application (a withdrawn one never moves
    to another status).
    """
    _ensure_may_manage(actor)
    if application.status == "withdrawn":
        raise DomainError(
            f"Согласие по этому заявлению уже отозвано ({application.withdrawn_on:%d.%m.%Y}).", "withdrawn_on"
        )
    if application.status != "granted":
        raise DomainError(
            f"Отозвать согласие можно только по заявлению, по которому доступ предоставлен; "
            f"у этого заявления статус «{application.status_label}».",
            "status",
        )
    if withdrawn_on is None:
        raise DomainError("Укажите дату письменного отзыва согласия (ДД.ММ.ГГГГ).", "withdrawn_on")
    if withdrawn_on > clock.today():
        raise DomainError("Дата отзыва согласия не может быть позже сегодняшнего дня.", "withdrawn_on")
    granted = granted_on(application, clock)
    if withdrawn_on < granted:
        raise DomainError(
            f"Дата отзыва согласия не может быть раньше дня, когда был предоставлен доступ ({granted:%d.%m.%Y}).",
            "withdrawn_on",
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > WITHDRAWAL_NOTE_MAX:
        raise DomainError(f"Примечание — не длиннее {WITHDRAWAL_NOTE_MAX} символов.", "withdrawal_note")
    before = application.snapshot()
    values = {
        "status": "withdrawn",
        "withdrawn_on": withdrawn_on,
        "withdrawal_note": note,
        "updated_at": clock.utcnow(),
    }
    with db.atomic():
        # Only while still granted: two employees recording the same withdrawal at once write it once.
        changed = (
            DiaryApplication.update(values)
            .where((DiaryApplication.id == application.id) & (DiaryApplication.status == "granted"))
            .execute()
        )
        if not changed:
            raise DomainError(
                "Заявление только что изменил другой сотрудник: обновите страницу и проверьте его статус.", "status"
            )
        fresh = DiaryApplication.get_by_id(application.id)
        application.__data__.update(fresh.__data__)
        audit.record(actor, "withdraw", application, before=before, after=application.snapshot(), source=source)
    return application


def class_names(student_ids) -> dict[int, str]:
    """Return each student's class ("5А"), the latest enrollment winning, in one query."""
    ids = list(set(student_ids))
    if not ids:
        return {}
    rows = (
        Enrollment.select(Enrollment.student, Enrollment.start_date, ClassGroup.grade, ClassGroup.letter)
        .join(ClassGroup)
        .where(Enrollment.student.in_(ids))
        .order_by(Enrollment.start_date)
        .tuples()
    )
    return {student_id: f"{grade}{letter}" for student_id, _start, grade, letter in rows}
