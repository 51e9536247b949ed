"""Personal data duties (152-ФЗ): retention of the login log and of the audit's personal values, subject access.

Retention (`apply_retention`, the nightly maintenance job): login attempts older than
`SchoolSettings.login_log_keep_days` are deleted; in audit entries older than
`SchoolSettings.audit_personal_keep_days` the values of personal fields (PERSONAL_FIELDS) are
replaced by RETENTION_MARKER, while who, when, what action and which record stay. Both are
set-based UPDATE/DELETE … WHERE statements, idempotent: a second run finds nothing to change.

Subject access (`subject_access_report`): everything the school holds about one student, guardian
or staff member, as one `Report` (page and PDF), for the administrator.
"""

import datetime as dt
from dataclasses import dataclass

from peewee import PostgresqlDatabase, fn

from app.db import db
from app.documents import Column, Report, Section
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    Absence,
    AuditEntry,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    FinalMark,
    Guardian,
    Journal,
    Lesson,
    Mark,
    Role,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    StudentGuardian,
    Subject,
)
from app.models.people import RELATIONS
from app.services import access, audit, auth
from app.services.errors import AccessDenied, NotFound

RETENTION_MARKER = "[удалено по сроку хранения]"
# Audit snapshot keys holding personal data, by model (names, contacts, birth dates, notes, UIDs).
PERSONAL_FIELDS = {
    "Student": ("last_name", "first_name", "middle_name", "birth_date", "notes"),
    "Guardian": ("last_name", "first_name", "middle_name", "phone", "email"),
    "Staff": ("last_name", "first_name", "middle_name", "email", "portal_uid"),
    "DiaryApplication": (
        "student_last_name",
        "student_first_name",
        "student_middle_name",
        "guardian_last_name",
        "guardian_first_name",
        "guardian_middle_name",
        "reject_reason",
        "withdrawal_note",
    ),
}

KINDS = {"student": Student, "guardian": Guardian, "staff": Staff}
RELATION_LABELS = dict(RELATIONS)


@dataclass(frozen=True)
class RetentionResult:
    """What one retention run changed."""

    login_attempts: int
    # Audit entries whose personal values were blanked.
    audit_entries: int

    @property
    def changed(self) -> bool:
        return bool(self.login_attempts or self.audit_entries)


def _blanked(column: str, keys, postgres: bool) -> tuple[str, str, int]:
    """Return (the column's new value, the condition that it holds a value to blank, marker parameters used)."""
    # The keys are this module's constants, written into the SQL; the marker is a parameter.
    assert all(key.isidentifier() for key in keys)
    col = f'"{column}"'
    if postgres:
        pairs = ", ".join(f"'{key}', CASE WHEN {col}::jsonb ->> '{key}' IS NOT NULL THEN %s::text END" for key in keys)
        value = f"({col}::jsonb || jsonb_strip_nulls(jsonb_build_object({pairs})))::text"
        # ->> is NULL for a missing key and for a JSON null: those stay as they are.
        condition = " OR ".join(f"({col}::jsonb ->> '{key}') <> %s" for key in keys)
        return value, f"({col} IS NOT NULL AND ({condition}))", 2 * len(keys)
    pairs = ", ".join(
        f"'$.{key}', CASE WHEN json_type({col}, '$.{key}') = 'null' THEN json('null') ELSE ? END" for key in keys
    )
    # json_replace changes only keys that are present; a JSON null is put back as it was.
    value = f"json_replace({col}, {pairs})"
    condition = " OR ".join(
        f"(json_type({col}, '$.{key}') NOT IN ('null') AND json_extract({col}, '$.{key}') IS NOT ?)" for key in keys
    )
    return value, f"({col} IS NOT NULL AND ({condition}))", 2 * len(keys)


def blank_audit_personal_values(settings, *, now: dt.datetime) -> int:
    """Replace personal values in audit entries older than the period by the marker; return the entries changed.

    One UPDATE per model, both snapshots at once, only rows holding a value not blanked yet.
    """
    cutoff = now - dt.timedelta(days=settings.audit_personal_keep_days)
    postgres = isinstance(db.obj, PostgresqlDatabase)
    mark = "%s" if postgres else "?"
    changed = 0
    with db.atomic():
        for model, keys in PERSONAL_FIELDS.items():
            before_value, before_holds, before_n = _blanked("before", keys, postgres)
            after_value, after_holds, after_n = _blanked("after", keys, postgres)
            sql = (
                f'UPDATE audit_entry SET "before" = {before_value}, "after" = {after_value}'
                f" WHERE model = {mark} AND at < {mark} AND ({before_holds} OR {after_holds})"
            )
            # Parameters in the order they appear: each value's markers, then model, cutoff, each condition's.
            params = (
                [RETENTION_MARKER] * (before_n // 2)
                + [RETENTION_MARKER] * (after_n // 2)
                + [model, cutoff]
                + [RETENTION_MARKER] * (before_n // 2)
                + [RETENTION_MARKER] * (after_n // 2)
            )
            changed += db.execute_sql(sql, params).rowcount
    return changed


def apply_retention(settings, *, now: dt.datetime) -> RetentionResult:
    """Apply the school's retention periods as of `now` (stored naive UTC); a run that changed anything is audited."""
    with db.atomic():
        result = RetentionResult(
            login_attempts=auth.purge_login_attempts(settings, now=now),
            audit_entries=blank_audit_personal_values(settings, now=now),
        )
        if result.changed:
            audit.record(
                None,
                "retention",
                model="SchoolSettings",
                object_repr="Сроки хранения персональных данных",
                after={"login_attempts_deleted": result.login_attempts, "audit_entries_blanked": result.audit_entries},
                source="system",
            )
    return result


# --- subject access ---------------------------------------------------------------------------


def can_produce(staff) -> bool:
    """Answer whether the staff member may produce a person's subject-access record."""
    return access.can_produce_subject_access(staff)


def find_person(actor, kind: str, person_id):
    """Return the student, guardian or staff member a record is asked for, or refuse (403, then 404)."""
    if not can_produce(actor):
        raise AccessDenied("Недостаточно прав для сведений о персональных данных.")
    model, number = KINDS.get(kind), parse_id(person_id)
    person = model.get_or_none(model.id == number) if model is not None and number is not None else None
    if person is None:
        raise NotFound("Такого человека нет.")
    return person


def _date(value) -> str:
    return format_date(value) if value else "—"


def _text(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _identity(kind: str, person) -> Section:
    rows = [("Фамилия", person.last_name), ("Имя", person.first_name), ("Отчество", _text(person.middle_name))]
    if kind == "student":
        rows += [("Дата рождения", _date(person.birth_date)), ("Примечания", _text(person.notes))]
    elif kind == "guardian":
        rows += [("Телефон", _text(person.phone)), ("Электронная почта", _text(person.email))]
    else:
        roles = Role.select(Role.name).join(StaffRole).where(StaffRole.staff == person.id).order_by(Role.name).tuples()
        rows += [
            ("Логин", person.login),
            ("Электронная почта", _text(person.email)),
            ("Учётная запись", "активна" if person.active else "заблокирована"),
            ("Роли", ", ".join(name for (name,) in roles) or "—"),
            ("UID портала", _text(person.portal_uid)),
        ]
    return Section("Личные данные", [Column("Сведение", 1), Column("Значение", 2)], rows)


def _enrollments(student) -> Section:
    rows = (
        Enrollment.select(
            Enrollment.start_date, Enrollment.end_date, ClassGroup.grade, ClassGroup.letter, SchoolYear.name
        )
        .join(ClassGroup)
        .join(SchoolYear)
        .where(Enrollment.student == student.id)
        .order_by(Enrollment.start_date)
        .tuples()
    )
    return Section(
        "Зачисления в классы",
        [Column("Учебный год"), Column("Класс"), Column("С"), Column("По")],
        [
            (year, f"{grade}{letter}", _date(start), _date(end) if end else "по сей день")
            for start, end, grade, letter, year in rows
        ],
        empty="Зачислений нет.",
    )


def _links(kind: str, person) -> Section:
    if kind == "student":
        rows = (
            StudentGuardian.select(
                StudentGuardian.relation, Guardian.last_name, Guardian.first_name, Guardian.middle_name
            )
            .join(Guardian)
            .where(StudentGuardian.student == person.id)
            .order_by(Guardian.last_name, Guardian.first_name)
            .tuples()
        )
        title, empty = "Родители (законные представители)", "Родители не указаны."
    else:
        rows = (
            StudentGuardian.select(StudentGuardian.relation, Student.last_name, Student.first_name, Student.middle_name)
            .join(Student)
            .where(StudentGuardian.guardian == person.id)
            .order_by(Student.last_name, Student.first_name)
            .tuples()
        )
        title, empty = "Дети (ученики)", "Связанных учеников нет."
    return Section(
        title,
        [Column("ФИО", 2), Column("Кем приходится")],
        [
            (" ".join(p for p in (last, first, middle) if p), RELATION_LABELS.get(rel, rel))
            for rel, last, first, middle in rows
        ],
        empty=empty,
    )


def _applications(kind: str, person) -> Section:
    other = Guardian if kind == "student" else Student
    condition = DiaryApplication.student == person.id if kind == "student" else DiaryApplication.guardian == person.id
    join_on = DiaryApplication.guardian == Guardian.id if kind == "student" else DiaryApplication.student == Student.id
    rows = (
        DiaryApplication.select(DiaryApplication, other)
        .join(other, on=join_on, attr="guardian" if kind == "student" else "student")
        .where(condition)
        .order_by(DiaryApplication.submitted_on, DiaryApplication.id)
    )
    lines = []
    for application in rows:
        named = application.guardian if kind == "student" else application.student
        consent = "получено" if application.pd_consent else "нет"
        if application.status == "withdrawn":
            consent = f"отозвано {_date(application.withdrawn_on)}"
            if application.withdrawal_note:
                consent += f" ({application.withdrawal_note})"
        lines.append(
            (
                _date(application.submitted_on),
                _text(application.portal_number),
                named.full_name,
                application.status_label,
                consent,
            )
        )
    return Section(
        "Заявления на доступ к электронному дневнику",
        [
            Column("Дата"),
            Column("№ на портале"),
            Column("Родитель" if kind == "student" else "Ученик", 2),
            Column("Статус"),
            Column("Согласие на обработку ПДн", 2),
        ],
        lines,
        notes=[
            "На портал «Петербургское образование» передаётся доступ только по заявлениям "
            "со статусом «доступ предоставлен»."
        ],
        empty="Заявлений нет.",
    )


def _journal_summary(student) -> Section:
    # Counts per year and subject: three grouped queries, whatever the number of marks.
    marks = (
        Mark.select(SchoolYear.name, Subject.name, fn.COUNT(Mark.id))
        .join(Lesson)
        .join(Journal)
        .join(SchoolYear, on=(Journal.year == SchoolYear.id))
        .switch(Journal)
        .join(Subject, on=(Journal.subject == Subject.id))
        .where(Mark.student == student.id)
        .group_by(SchoolYear.name, Subject.name)
        .tuples()
    )
    absences = (
        Absence.select(SchoolYear.name, Subject.name, fn.COUNT(Absence.id))
        .join(Lesson)
        .join(Journal)
        .join(SchoolYear, on=(Journal.year == SchoolYear.id))
        .switch(Journal)
        .join(Subject, on=(Journal.subject == Subject.id))
        .where(Absence.student == student.id)
        .group_by(SchoolYear.name, Subject.name)
        .tuples()
    )
    finals = (
        FinalMark.select(SchoolYear.name, Subject.name, fn.COUNT(FinalMark.id))
        .join(SchoolYear, on=(FinalMark.year == SchoolYear.id))
        .switch(FinalMark)
        .join(Subject, on=(FinalMark.subject == Subject.id))
        .where(FinalMark.student == student.id)
        .group_by(SchoolYear.name, Subject.name)
        .tuples()
    )
    table: dict = {}
    for position, query in enumerate((marks, absences, finals)):
        for year, subject, count in query:
            table.setdefault((year, subject), [0, 0, 0])[position] = count
    rows = [(year, subject, *counts) for (year, subject), counts in sorted(table.items())]
    return Section(
        "Данные журнала (количество записей)",
        [
            Column("Учебный год"),
            Column("Предмет", 2),
            Column("Отметок", align="R"),
            Column("Пропусков", align="R"),
            Column("Итоговых отметок", align="R"),
        ],
        rows,
        empty="В журнале записей об ученике нет.",
    )


def _history(model_code: str, person, viewer, clock) -> Section:
    entries = (
        AuditEntry.select()
        .where((AuditEntry.model == model_code) & (AuditEntry.object_id == str(person.id)))
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    labels = audit.Labels()
    show_uids = audit.may_see_uids(viewer)
    rows = []
    for entry in entries:
        changes = []
        for key, before, after in audit.changed_fields(entry):
            hide = key in audit.UID_FIELDS and not show_uids
            was = audit.HIDDEN if hide else _text(before)
            now = audit.HIDDEN if hide else _text(after)
            changes.append(f"{labels.label(model_code, key)}: {was} → {now}")
        rows.append(
            (
                clock.format(entry.at),
                entry.actor_name or "—",
                audit.action_name(entry.action),
                "; ".join(changes) or "—",
            )
        )
    return Section(
        "История изменений записи",
        [Column("Когда"), Column("Кто"), Column("Что"), Column("Изменения", 4)],
        rows,
        notes=[f"Значения персональных данных в старых записях истории заменяются на «{RETENTION_MARKER}»."],
        empty="Изменений не записано.",
    )


KIND_TITLES = {"student": "ученик", "guardian": "родитель (законный представитель)", "staff": "сотрудник"}
MODEL_CODES = {"student": "Student", "guardian": "Guardian", "staff": "Staff"}


def subject_access_report(actor, kind: str, person_id, *, clock, school_name: str = "") -> Report:
    """Return everything the school holds about one person as a Report (page and PDF); for the administrator."""
    person = find_person(actor, kind, person_id)
    sections = [_identity(kind, person)]
    if kind == "student":
        sections += [_enrollments(person), _links(kind, person), _applications(kind, person), _journal_summary(person)]
    elif kind == "guardian":
        sections += [_links(kind, person), _applications(kind, person)]
    sections.append(_history(MODEL_CODES[kind], person, actor, clock))
    header = [
        f"{KIND_TITLES[kind].capitalize()}: {person.full_name}",
        f"Сформировано {clock.format(clock.utcnow())}, {actor.full_name}",
    ]
    if school_name:
        header.insert(0, school_name)
    return Report(
        title="Сведения о персональных данных, обрабатываемых школой",
        header=header,
        sections=sections,
        signatures=["Ответственный за обработку персональных данных"],
        filename=f"personal-data-{kind}-{person.id}",
    )
