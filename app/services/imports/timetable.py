"""The timetable: a weekly lesson of a journal; the key is group, subject, weekday, lesson number and first day.

Slots are written through `groups.create_slot` / `update_slot`, so the panel's clash checks
(teacher, room, group, class, a shared student) refuse a clashing row; a room not known yet is
added to the list of rooms (`timetable.create_room`).
"""

from peewee import JOIN

from app.models import Journal, Room, Staff, StudyGroup, Subject, TimetableSlot
from app.services import groups as group_service
from app.services import timetable as timetable_service
from app.services.imports.common import WEEKDAY_LABELS, CellError, Change, Context, Field, Kind, record_change
from app.services.imports.load import journal_for

FIELDS = (
    Field("class", "Класс"),
    Field("group", "Группа", aliases=("учебная группа",), max_length=120),
    Field("subject", "Предмет", required=True),
    Field("weekday", "День недели", required=True, type="weekday", aliases=("день",)),
    Field("number", "Урок №", required=True, type="int", aliases=("урок", "номер урока", "№ урока")),
    Field("teacher", "Учитель", required=True),
    Field("room", "Кабинет", aliases=("каб.", "аудитория"), max_length=60),
    Field("valid_from", "Действует с", type="date", aliases=("с",)),
    Field("valid_to", "Действует по", type="date", aliases=("по",)),
)
LABELS = {"teacher": "учитель", "room": "кабинет", "valid_to": "действует по"}


def _norm(text) -> str:
    return " ".join((text or "").split())


def key(values: dict) -> str:
    where = _norm(values.get("group")) or _norm(values.get("class")).upper()
    since = values.get("valid_from")
    day = WEEKDAY_LABELS.get(values.get("weekday"), values.get("weekday"))
    return f"{where} · {_norm(values.get('subject'))} · {day}, {values.get('number')} урок" + (
        f" с {since:%d.%m.%Y}" if since else ""
    )


def _room(ctx: Context, name: str | None, changes: list[Change]) -> Room | None:
    """Return the room of that name (case-blind), adding it to the rooms when the school has none such."""
    name = _norm(name)
    if not name:
        return None
    lowered = name.lower()
    found = ctx._found(("room", lowered), lambda: next((r for r in Room.select() if r.name.lower() == lowered), None))
    if found is None:
        found = timetable_service.create_room(ctx.actor, name=name, source=ctx.source)
        changes.append(Change("Кабинет", name, "new"))
    return found


def apply_row(ctx: Context, values: dict) -> list[Change]:
    journal, group, subject = journal_for(ctx, values)
    if journal is None:
        raise CellError(f"журнала «{group} · {subject}» нет: сначала загрузите учебную нагрузку", "subject")
    teacher: Staff = ctx.staff(values["teacher"], "teacher")
    year = ctx.need_year()
    start = values.get("valid_from") or year.start_date
    end = values.get("valid_to") or year.end_date
    changes: list[Change] = []
    room = _room(ctx, values.get("room"), changes)
    found = TimetableSlot.get_or_none(
        (TimetableSlot.journal == journal.id)
        & (TimetableSlot.weekday == values["weekday"])
        & (TimetableSlot.lesson_number == values["number"])
        & (TimetableSlot.valid_from == start)
    )
    day = WEEKDAY_LABELS[values["weekday"]]
    slot_key = f"{group} · {subject} · {day}, {values['number']} урок с {start:%d.%m.%Y}"
    after = {"teacher": teacher.login, "room": room.name if room else None, "valid_to": end}
    fields = {"teacher": teacher.id, "room": room.id if room else None, "valid_to": end}
    if found is None:
        group_service.create_slot(
            ctx.actor,
            journal=journal.id,
            weekday=values["weekday"],
            lesson_number=values["number"],
            valid_from=start,
            source=ctx.source,
            **fields,
        )
        changes.append(record_change("Урок расписания", slot_key, LABELS, None, after))
        return changes
    old_teacher = Staff.get_by_id(found.teacher_id)
    old_room = Room.get_by_id(found.room_id) if found.room_id else None
    before = {"teacher": old_teacher.login, "room": old_room.name if old_room else None, "valid_to": found.valid_to}
    change = record_change("Урок расписания", slot_key, LABELS, before, after)
    if change.status == "updated":
        group_service.update_slot(ctx.actor, found, source=ctx.source, **fields)
    changes.append(change)
    return changes


def export_rows(year) -> list[dict]:
    if year is None:
        return []
    query = (
        TimetableSlot.select(TimetableSlot, Journal, StudyGroup, Subject, Staff, Room)
        .join(Journal)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(TimetableSlot, Staff, on=(TimetableSlot.teacher == Staff.id))
        .join_from(TimetableSlot, Room, join_type=JOIN.LEFT_OUTER)
        .where(Journal.year == year.id)
        .order_by(
            StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, TimetableSlot.weekday, TimetableSlot.lesson_number
        )
    )
    return [
        {
            "class": s.journal.group.name if s.journal.group.kind == "class" else None,
            "group": s.journal.group.name if s.journal.group.kind != "class" else None,
            "subject": s.journal.subject.name,
            "weekday": WEEKDAY_LABELS.get(s.weekday),
            "number": s.lesson_number,
            "teacher": s.teacher.login,
            "room": s.room.name if s.room_id else None,
            "valid_from": s.valid_from,
            "valid_to": s.valid_to,
        }
        for s in query
    ]


KIND = Kind(
    code="timetable",
    title="Расписание",
    description="Уроки недели: класс или группа, предмет, день недели, номер урока, учитель, кабинет; даты действия — "
    "по умолчанию весь учебный год. Накладки (учитель, кабинет, класс, ученик) не принимаются.",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={
        "class": "5А",
        "subject": "Математика",
        "weekday": "понедельник",
        "number": "1",
        "teacher": "ivanova",
        "room": "204",
    },
)
