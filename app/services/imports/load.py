"""The teaching load: a teacher of a journal (class or group × subject); the key is group, subject and teacher.

A row names the class (its whole-class journal) or a group, the subject, the teacher; the
journal is made when the school has none yet (`groups.create_journal`), the teacher is added to
it (`groups.assign_teacher`): the same rules and audit as the panel's «Учебная нагрузка».
"""

from app.models import JOURNAL_KINDS, Journal, Staff, StudyGroup, Subject, TeachingAssignment
from app.services import groups as group_service
from app.services.imports.common import CellError, Change, Context, Field, Kind, record_change

FIELDS = (
    Field("class", "Класс"),
    Field("group", "Группа", aliases=("учебная группа",), max_length=120),
    Field("subject", "Предмет", required=True, aliases=("предмет", "курс")),
    Field("kind", "Вид деятельности", aliases=("вид", "вид журнала")),
    Field("teacher", "Учитель", required=True, aliases=("учитель", "преподаватель")),
)
KIND_CODES = {label: code for code, label in JOURNAL_KINDS} | {code: code for code, _label in JOURNAL_KINDS}
KIND_NAMES = dict(JOURNAL_KINDS)
JOURNAL_LABELS = {"kind": "вид деятельности"}


def _norm(text) -> str:
    return " ".join((text or "").split())


def key(values: dict) -> str:
    where = _norm(values.get("group")) or _norm(values.get("class")).upper()
    return f"{where} · {_norm(values.get('subject'))} · {_norm(values.get('teacher')).lower()}"


def journal_for(ctx: Context, values: dict) -> tuple[Journal | None, StudyGroup, Subject]:
    """Return the journal a row names (None when the school has none yet), its group and its subject."""
    group = ctx.group(values.get("class"), values.get("group"), ("class", "group"))
    subject = ctx.subject(values["subject"], "subject")
    journal = Journal.get_or_none((Journal.group == group.id) & (Journal.subject == subject.id))
    return journal, group, subject


def apply_row(ctx: Context, values: dict) -> list[Change]:
    journal, group, subject = journal_for(ctx, values)
    teacher: Staff = ctx.staff(values["teacher"], "teacher")
    kind_text = (values.get("kind") or "").strip().lower()
    if kind_text and kind_text not in KIND_CODES:
        raise CellError(f"«{values['kind']}»: пишите {' или '.join(KIND_NAMES.values())}", "kind")
    kind = KIND_CODES.get(kind_text)
    changes = []
    journal_key = f"{group} · {subject}"
    if journal is None:
        kind = kind or "lesson"
        journal = group_service.create_journal(
            ctx.actor, group=group.id, subject=subject.id, kind=kind, source=ctx.source
        )
        changes.append(record_change("Журнал", journal_key, JOURNAL_LABELS, None, {"kind": KIND_NAMES[kind]}))
    else:
        kind = kind or journal.kind
        change = record_change(
            "Журнал", journal_key, JOURNAL_LABELS, {"kind": KIND_NAMES[journal.kind]}, {"kind": KIND_NAMES[kind]}
        )
        if change.status == "updated":
            group_service.update_journal(ctx.actor, journal, kind=kind, source=ctx.source)
        changes.append(change)
    found = TeachingAssignment.get_or_none(
        (TeachingAssignment.journal == journal.id) & (TeachingAssignment.teacher == teacher.id)
    )
    load_key = f"{journal_key} · {teacher.login}"
    if found is None:
        group_service.create_assignment(ctx.actor, journal=journal.id, teacher=teacher.id, source=ctx.source)
        changes.append(Change("Нагрузка", load_key, "new"))
    else:
        changes.append(Change("Нагрузка", load_key, "unchanged"))
    return changes


def export_rows(year) -> list[dict]:
    if year is None:
        return []
    query = (
        TeachingAssignment.select(TeachingAssignment, Journal, StudyGroup, Subject, Staff)
        .join(Journal)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(TeachingAssignment, Staff, on=(TeachingAssignment.teacher == Staff.id))
        .where(Journal.year == year.id)
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name, Staff.login)
    )
    return [
        {
            "class": a.journal.group.name if a.journal.group.kind == "class" else None,
            "group": a.journal.group.name if a.journal.group.kind != "class" else None,
            "subject": a.journal.subject.name,
            "kind": KIND_NAMES.get(a.journal.kind),
            "teacher": a.teacher.login,
        }
        for a in query
    ]


KIND = Kind(
    code="load",
    title="Учебная нагрузка",
    description="Кто ведёт какой предмет в каком классе или группе. Класс без группы — журнал всего класса; "
    "для группы укажите её название. Вид деятельности: урочная или внеурочная (по умолчанию урочная).",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={"class": "5А", "subject": "Математика", "kind": "урочная деятельность", "teacher": "ivanova"},
)
