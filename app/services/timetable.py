"""The timetable as people read it: week grids of a class, a teacher and a room, the bell schedule, rooms.

A week grid shows Monday to Saturday × lesson numbers with their bell times. A day on which the
school has lessons planned shows that day's real lessons (`Lesson` rows: a holiday, a cancelled
or a moved lesson and every substitution show as they are); a school day nothing is planned for
yet shows the timetable's slots valid on it, marked as the pattern. A lesson's room is the room
of the slot it was planned from (the journal's slot at that weekday and number on that date);
a moved lesson that matches no slot has none. Each grid is read in a fixed number of queries,
whatever the school's size: the lessons, the slots, the planned days, the holidays, the
shortened days, the bells and (for a person who does not see every journal) their journals.

The bell schedule is one normal and one shortened set of lesson times; the shortened days are
listed by date. Rooms, bells and shortened days are written through records' one write path.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, Case

from app.db import db
from app.documents import Column, Report, Section
from app.formats import format_date, format_time
from app.ids import parse_id
from app.models import (
    BELL_SCHEDULES,
    WEEKDAYS,
    BellTime,
    ClassGroup,
    Holiday,
    Journal,
    Lesson,
    Room,
    SchoolYear,
    ShortDay,
    Staff,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from app.permissions import Perm
from app.services import access, records
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.groups import LESSON_NUMBERS, staff_label
from app.services.journal import lessons_with_people

DAYS_SHOWN = 6  # Monday to Saturday
MIN_ROWS = 6  # a grid shows at least lessons 1–6, so an empty week still reads as a week
ROOM_NAME_MAX = 60
NOTE_MAX = 200
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
SCHEDULE_LABELS = dict(BELL_SCHEDULES)
WEEKDAY_LABELS = dict(WEEKDAYS)


def may_manage(staff) -> bool:
    """Answer whether the staff member keeps the rooms and the bell schedule (school.manage)."""
    return access.can(staff, Perm.SCHOOL_MANAGE)


def _clean_text(value, what: str, field_name: str, limit: int) -> str | None:
    text = " ".join(str(value or "").split())
    if any(not ch.isprintable() for ch in text):
        raise DomainError(f"{what}: уберите непечатаемые символы.", field_name)
    if len(text) > limit:
        raise DomainError(f"{what}: не длиннее {limit} символов.", field_name)
    return text or None


# --- rooms ----------------------------------------------------------------------------------


def validate_room(room: Room) -> None:
    """Check a room: a printable name of at most 60 characters, unique whatever its letter case."""
    room.name = _clean_text(room.name, "Кабинет", "name", ROOM_NAME_MAX)
    room.note = _clean_text(room.note, "Примечание", "note", NOTE_MAX)
    if not room.name:
        raise DomainError("Укажите номер или название кабинета.", "name")
    # Compared in Python: SQLite's LOWER folds ASCII letters only, and a school has a few dozen rooms.
    others = Room.select(Room.id, Room.name)
    if room.get_id() is not None:
        others = others.where(Room.id != room.id)
    if any(other.name.casefold() == room.name.casefold() for other in others):
        raise DomainError(f"Кабинет «{room.name}» уже есть в списке.", "name")


def create_room(actor, *, source="panel", **fields) -> Room:
    """Create a room, checked and audited."""
    return records.create_row(actor, Room, fields, validate=validate_room, source=source)


def update_room(actor, room: Room, *, source="panel", **fields) -> Room:
    """Change a room, checked and audited."""
    return records.update_row(actor, room, fields, validate=validate_room, source=source)


def delete_room(actor, room: Room, *, source="panel") -> None:
    """Delete a room no timetable slot uses, audited."""
    records.delete_row(actor, room, source=source)


# --- the bell schedule ----------------------------------------------------------------------


@dataclass
class Bells:
    """The bell schedule: {schedule: {lesson number: (start, end)}} and the shortened days {date: note}."""

    times: dict[str, dict[int, tuple[dt.time, dt.time]]]
    short_days: dict[dt.date, str | None]

    def of_day(self, day: dt.date) -> dict[int, tuple[dt.time, dt.time]]:
        """Return the lesson times of a day: the shortened ones on a shortened day (when set), else the normal."""
        if day in self.short_days and self.times.get("short"):
            return self.times["short"]
        return self.times.get("normal", {})


def load_bells(start: dt.date | None = None, end: dt.date | None = None) -> Bells:
    """Return the bell schedule, with the shortened days between two dates (all of them without dates)."""
    times: dict[str, dict[int, tuple[dt.time, dt.time]]] = {code: {} for code, _ in BELL_SCHEDULES}
    for row in BellTime.select().order_by(BellTime.schedule, BellTime.lesson_number):
        times.setdefault(row.schedule, {})[row.lesson_number] = (row.starts_at, row.ends_at)
    days = ShortDay.select().order_by(ShortDay.date)
    if start is not None:
        days = days.where((ShortDay.date >= start) & (ShortDay.date <= end))
    return Bells(times, {row.date: row.note for row in days})


def parse_time(text, what: str, field_name: str) -> dt.time | None:
    """Return a time typed as ЧЧ:ММ (None when empty); refuse anything else in Russian."""
    value = str(text or "").strip()
    if not value:
        return None
    found = TIME_RE.match(value)
    if not found:
        shown = "".join(ch for ch in value[:10] if ch.isprintable())
        raise DomainError(f"{what}: время «{shown}» не распознано — укажите его как ЧЧ:ММ, например 08:30.", field_name)
    return dt.time(int(found.group(1)), int(found.group(2)))


def parse_day(text: str) -> dt.date | None:
    """Return a date written ДД.ММ.ГГГГ (or ГГГГ-ММ-ДД) within the sane range, else None."""
    found = DATE_RE.match(text)
    if not found:
        return None
    day, month, year = (found.group(1), found.group(2), found.group(3)) if found.group(1) else found.group(6, 5, 4)
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if FIRST_DAY <= value <= LAST_DAY else None


def field_name(schedule: str, number: int, end: str) -> str:
    """Return the bell page's input name of a lesson's start or end: normal-3-start."""
    return f"{schedule}-{number}-{end}"


def parse_schedule(schedule: str, values: dict) -> dict[int, tuple[dt.time, dt.time]]:
    """Read one schedule from the page's inputs: both times or neither, the end after the start, no overlaps."""
    label = SCHEDULE_LABELS[schedule]
    found = {}
    for number in range(LESSON_NUMBERS[0], LESSON_NUMBERS[1] + 1):
        what = f"{number} урок ({label})"
        start_name, end_name = field_name(schedule, number, "start"), field_name(schedule, number, "end")
        start = parse_time(values.get(start_name), what, start_name)
        end = parse_time(values.get(end_name), what, end_name)
        if start is None and end is None:
            continue
        if start is None or end is None:
            missing = "start" if start is None else "end"
            raise DomainError(f"{what}: укажите и начало, и конец урока.", field_name(schedule, number, missing))
        if end <= start:
            raise DomainError(
                f"{what}: конец урока ({format_time(end)}) должен быть позже начала ({format_time(start)}).",
                field_name(schedule, number, "end"),
            )
        found[number] = (start, end)
    previous = None
    for number in sorted(found):
        if previous is not None and found[number][0] < found[previous][1]:
            raise DomainError(
                f"{number} урок ({label}) начинается в {format_time(found[number][0])}, раньше, чем кончается "
                f"{previous} урок ({format_time(found[previous][1])}): уроки не должны пересекаться.",
                field_name(schedule, number, "start"),
            )
        previous = number
    return found


def parse_short_days(text) -> dict[dt.date, str | None]:
    """Read the shortened days: one a line, a date (ДД.ММ.ГГГГ) and an optional note after it."""
    days: dict[dt.date, str | None] = {}
    for n, line in enumerate(str(text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        first, _, rest = line.partition(" ")
        first = first.rstrip(",;—-")
        day = parse_day(first)
        if day is None:
            shown = "".join(ch for ch in first[:20] if ch.isprintable())
            raise DomainError(
                f"Сокращённые дни, строка {n}: дата «{shown}» не распознана — пишите ДД.ММ.ГГГГ, например 30.12.2026.",
                "short_days",
            )
        if day in days:
            raise DomainError(f"Сокращённые дни: {format_date(day)} указан дважды.", "short_days")
        days[day] = _clean_text(rest.strip(" —-,;"), f"Сокращённые дни, строка {n}", "short_days", NOTE_MAX)
    return days


def short_days_text(days: dict[dt.date, str | None]) -> str:
    """Write the shortened days back as the page's text: one a line, the date and its note."""
    return "\n".join(f"{format_date(day)} {note}".strip() for day, note in sorted(days.items()))


def save_bells(actor, values: dict, *, source="panel") -> int:
    """Save the whole bell page (both schedules, the shortened days) in one transaction; return rows changed.

    `values` are the page's inputs (`normal-3-start`: "09:25", …, `short_days`: text). A refusal
    is a DomainError naming the input, and nothing is written.
    """
    if not may_manage(actor):
        raise AccessDenied("Расписание звонков меняет администратор (право «Учебные годы, классы…»).")
    wanted = {code: parse_schedule(code, values) for code, _ in BELL_SCHEDULES}
    days = parse_short_days(values.get("short_days"))
    changed = 0
    with db.atomic():
        existing = {(row.schedule, row.lesson_number): row for row in BellTime.select()}
        for schedule, times in wanted.items():
            for number, (start, end) in times.items():
                row = existing.pop((schedule, number), None)
                if row is None:
                    records.create_row(
                        actor,
                        BellTime,
                        {"schedule": schedule, "lesson_number": number, "starts_at": start, "ends_at": end},
                        source=source,
                    )
                    changed += 1
                elif (row.starts_at, row.ends_at) != (start, end):
                    records.update_row(actor, row, {"starts_at": start, "ends_at": end}, source=source)
                    changed += 1
        for row in existing.values():
            records.delete_row(actor, row, source=source)
            changed += 1
        kept = {row.date: row for row in ShortDay.select()}
        for day, note in days.items():
            row = kept.pop(day, None)
            if row is None:
                records.create_row(actor, ShortDay, {"date": day, "note": note}, source=source)
                changed += 1
            elif row.note != note:
                records.update_row(actor, row, {"note": note}, source=source)
                changed += 1
        for row in kept.values():
            records.delete_row(actor, row, source=source)
            changed += 1
    return changed


def bell_values(bells: Bells) -> dict[str, str]:
    """Return the bell page's inputs filled from the saved schedule."""
    values = {}
    for schedule, times in bells.times.items():
        for number, (start, end) in times.items():
            values[field_name(schedule, number, "start")] = format_time(start)
            values[field_name(schedule, number, "end")] = format_time(end)
    values["short_days"] = short_days_text(bells.short_days)
    return values


# --- week grids -----------------------------------------------------------------------------


def week_of(day: dt.date) -> dt.date:
    """Return the Monday of a date's week (held inside the sane range)."""
    monday = day - dt.timedelta(days=day.weekday())
    return max(monday, FIRST_DAY - dt.timedelta(days=FIRST_DAY.weekday()))


@dataclass
class Entry:
    """One lesson in a cell: what, to whom, by whom, where, and what changed."""

    subject: str
    group: str
    teacher: str
    room: str | None = None
    lesson_id: int | None = None
    openable: bool = False
    # «замена: …» — who gives it instead of whom, or the subject given instead.
    substitution: str | None = None
    # The teacher of this grid gave the lesson away: shown, muted.
    given_away: bool = False
    cancelled: str | None = None
    # A slot of the timetable on a day no lesson is planned for yet.
    pattern: bool = False
    sort_key: tuple = ()


@dataclass
class Day:
    """A column of the grid: a date with its lessons by number, its bell times and what kind of day it is."""

    date: dt.date
    weekday: str
    holiday: str | None = None
    short: bool = False
    short_note: str | None = None
    planned: bool = True
    times: dict[int, tuple[dt.time, dt.time]] = field(default_factory=dict)
    cells: dict[int, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    def time_of(self, number: int) -> str:
        """Return a lesson's time on this day as 08:30–09:15 (empty when the schedule has none)."""
        found = self.times.get(number)
        return f"{format_time(found[0])}–{format_time(found[1])}" if found else ""


@dataclass
class WeekGrid:
    """A week of one class, teacher or room."""

    kind: str  # "class", "teacher" or "room"
    title: str
    monday: dt.date
    days: list[Day]
    numbers: list[int]
    normal_times: dict[int, tuple[dt.time, dt.time]]

    @property
    def saturday(self) -> dt.date:
        return self.monday + dt.timedelta(days=DAYS_SHOWN - 1)

    def row_time(self, number: int) -> str:
        found = self.normal_times.get(number)
        return f"{format_time(found[0])}–{format_time(found[1])}" if found else ""

    @property
    def has_pattern(self) -> bool:
        return any(not day.planned and not day.holiday for day in self.days)

    @property
    def entries(self) -> list[Entry]:
        return [entry for day in self.days for cell in day.cells.values() for entry in cell]


def _slots(condition, own, monday: dt.date, saturday: dt.date):
    """Return the slots matching `condition` valid on a day of the week, with journal, group, subject, teacher, room.

    Each slot's `own` is 1 when it matches `own` too (a slot of the grid's class, teacher or room,
    not only of a journal one of the week's lessons belongs to).
    """
    return list(
        TimetableSlot.select(
            TimetableSlot, Journal, StudyGroup, Subject, Staff, Room, Case(None, [(own, 1)], 0).alias("own")
        )
        .join_from(TimetableSlot, Journal, on=(TimetableSlot.journal == Journal.id), attr="journal")
        .join_from(Journal, StudyGroup, on=(Journal.group == StudyGroup.id), attr="group")
        .join_from(Journal, Subject, on=(Journal.subject == Subject.id), attr="subject")
        .join_from(TimetableSlot, Staff, on=(TimetableSlot.teacher == Staff.id), attr="teacher")
        .join_from(TimetableSlot, Room, JOIN.LEFT_OUTER, on=(TimetableSlot.room == Room.id), attr="room")
        .where(condition & (TimetableSlot.valid_from <= saturday) & (TimetableSlot.valid_to >= monday))
    )


def _slot_at(slots_by_key, journal_id: int, day: dt.date, number: int):
    for slot in slots_by_key.get((journal_id, day.isoweekday(), number), ()):
        if slot.valid_from <= day <= slot.valid_to:
            return slot
    return None


def _group_name(group: StudyGroup) -> str:
    return group.name


def _lesson_entry(lesson, slot, opener, teacher_id: int | None) -> Entry:
    subject = lesson.journal.subject
    shown_subject = lesson.replacement_subject.name if lesson.replacement_subject_id else subject.name
    notes = []
    given_away = False
    if lesson.teacher_id != lesson.planned_teacher_id:
        if teacher_id is not None and lesson.planned_teacher_id == teacher_id and lesson.teacher_id != teacher_id:
            given_away = True
            notes.append(f"урок ведёт {staff_label(lesson.teacher)}")
        else:
            notes.append(f"{staff_label(lesson.teacher)} вместо {staff_label(lesson.planned_teacher)}")
    if lesson.replacement_subject_id:
        notes.append(f"{shown_subject} вместо {subject.name}")
    return Entry(
        subject=shown_subject,
        group=_group_name(lesson.journal.group),
        teacher=staff_label(lesson.planned_teacher if given_away else lesson.teacher),
        room=slot.room.name if slot is not None and slot.room_id else None,
        lesson_id=lesson.id,
        openable=opener(lesson.journal_id, lesson.teacher_id, lesson.planned_teacher_id),
        substitution=("замена: " + "; ".join(notes)) if notes else None,
        given_away=given_away,
        cancelled=(lesson.cancel_reason or "без причины") if lesson.cancelled else None,
        sort_key=(lesson.journal.group.name, subject.name),
    )


def _slot_entry(slot) -> Entry:
    return Entry(
        subject=slot.journal.subject.name,
        group=_group_name(slot.journal.group),
        teacher=staff_label(slot.teacher),
        room=slot.room.name if slot.room_id else None,
        pattern=True,
        sort_key=(slot.journal.group.name, slot.journal.subject.name),
    )


def _week(
    kind: str,
    title: str,
    day: dt.date,
    viewer,
    *,
    lesson_condition,
    slot_condition,
    teacher_id: int | None = None,
    room_id: int | None = None,
) -> WeekGrid:
    """Build a week grid from a condition on lessons and one on slots (a fixed number of queries)."""
    monday = week_of(day)
    saturday = monday + dt.timedelta(days=DAYS_SHOWN - 1)
    lessons = list(
        lessons_with_people(Lesson.select())
        .where(lesson_condition & (Lesson.date >= monday) & (Lesson.date <= saturday))
        .order_by(Lesson.date, Lesson.number)
    )
    journal_ids = sorted({lesson.journal_id for lesson in lessons})
    wanted = slot_condition | TimetableSlot.journal.in_(journal_ids) if journal_ids else slot_condition
    slots = _slots(wanted, slot_condition, monday, saturday)
    by_key = defaultdict(list)
    for slot in slots:
        by_key[(slot.journal_id, slot.weekday, slot.lesson_number)].append(slot)
    planned_days = {
        row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(str(row[0]))
        for row in Lesson.select(Lesson.date)
        .where((Lesson.date >= monday) & (Lesson.date <= saturday))
        .distinct()
        .tuples()
    }
    holidays = list(Holiday.select().where((Holiday.start_date <= saturday) & (Holiday.end_date >= monday)))
    bells = load_bells(monday, saturday)
    opener = access.lesson_opener(viewer)

    days = []
    for offset in range(DAYS_SHOWN):
        date = monday + dt.timedelta(days=offset)
        holiday = next((h.name for h in holidays if h.start_date <= date <= h.end_date), None)
        days.append(
            Day(
                date=date,
                weekday=WEEKDAY_LABELS[date.isoweekday()],
                holiday=holiday,
                short=date in bells.short_days,
                short_note=bells.short_days.get(date),
                planned=date in planned_days,
                times=bells.of_day(date),
            )
        )
    by_date = {d.date: d for d in days}
    for lesson in lessons:
        slot = _slot_at(by_key, lesson.journal_id, lesson.date, lesson.number)
        if room_id is not None and (slot is None or slot.room_id != room_id):
            continue
        by_date[lesson.date].cells[lesson.number].append(_lesson_entry(lesson, slot, opener, teacher_id))
    for slot in slots:
        if not slot.own:
            continue
        for d in days:
            if d.planned or d.holiday or d.date.isoweekday() != slot.weekday:
                continue
            if slot.valid_from <= d.date <= slot.valid_to:
                d.cells[slot.lesson_number].append(_slot_entry(slot))
    for d in days:
        for cell in d.cells.values():
            cell.sort(key=lambda e: e.sort_key)
    used = [n for d in days for n, cell in d.cells.items() if cell]
    top = max([MIN_ROWS, *used])
    return WeekGrid(
        kind=kind,
        title=title,
        monday=monday,
        days=days,
        numbers=list(range(1, top + 1)),
        normal_times=bells.times.get("normal", {}),
    )


def _get(model, value, message: str):
    number = parse_id(getattr(value, "id", value))
    row = model.get_or_none(model.id == number) if number is not None else None
    if row is None:
        raise NotFound(message)
    return row


def class_week(viewer, class_value, day: dt.date) -> WeekGrid:
    """Return a class's week: its whole-class, group and cross-class lessons, groups side by side."""
    if not access.can_view_timetable(viewer):
        raise AccessDenied("Расписание классов доступно сотрудникам с правом просмотра расписания.")
    class_group = _get(ClassGroup, class_value, "Класс не найден.")
    journals = access.journals_of_classes([class_group.id])
    return _week(
        "class",
        f"Класс {class_group}",
        day,
        viewer,
        lesson_condition=Lesson.journal.in_(journals),
        slot_condition=TimetableSlot.journal.in_(journals),
    )


def teacher_week(viewer, teacher_value, day: dt.date) -> WeekGrid:
    """Return a teacher's week: their lessons, those they take over and those they gave away, marked."""
    teacher = _get(Staff, teacher_value, "Учитель не найден.")
    if not access.can_view_teacher_timetable(viewer, teacher.id):
        raise AccessDenied("Вам доступно только ваше собственное расписание.")
    return _week(
        "teacher",
        teacher.full_name,
        day,
        viewer,
        lesson_condition=(Lesson.teacher == teacher.id) | (Lesson.planned_teacher == teacher.id),
        slot_condition=TimetableSlot.teacher == teacher.id,
        teacher_id=teacher.id,
    )


def room_week(viewer, room_value, day: dt.date) -> WeekGrid:
    """Return a room's week: the lessons planned from the slots in that room."""
    if not access.can_view_timetable(viewer):
        raise AccessDenied("Расписание кабинетов доступно сотрудникам с правом просмотра расписания.")
    room = _get(Room, room_value, "Кабинет не найден.")
    in_room = TimetableSlot.select(TimetableSlot.journal).where(TimetableSlot.room == room.id)
    return _week(
        "room",
        f"Кабинет {room}",
        day,
        viewer,
        lesson_condition=Lesson.journal.in_(in_room),
        slot_condition=TimetableSlot.room == room.id,
        room_id=room.id,
    )


def year_of(day: dt.date) -> SchoolYear | None:
    """Return the school year containing a date, else the current one."""
    found = SchoolYear.get_or_none((SchoolYear.start_date <= day) & (SchoolYear.end_date >= day))
    return found or SchoolYear.current()


def class_choices(year: SchoolYear | None) -> list[ClassGroup]:
    """Return a year's classes by grade and letter (the timetable shows every class to school.view)."""
    if year is None:
        return []
    return list(ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter))


def teacher_choices(year: SchoolYear | None) -> list[Staff]:
    """Return the staff who teach a journal of the year, by surname."""
    if year is None:
        return []
    teaching = TeachingAssignment.select(TeachingAssignment.teacher).join(Journal).where(Journal.year == year.id)
    return list(
        Staff.select()
        .where(Staff.id.in_(teaching) & (Staff.active == True))  # noqa: E712
        .order_by(Staff.last_name, Staff.first_name, Staff.middle_name)
    )


def room_choices() -> list[Room]:
    """Return every room by name."""
    return list(Room.select().order_by(Room.name))


# --- the week on paper ----------------------------------------------------------------------


def entry_text(entry: Entry) -> str:
    """Return one lesson of a cell as lines of text: subject, group, teacher and room, what changed."""
    lines = [entry.subject, entry.group, entry.teacher + (f", каб. {entry.room}" if entry.room else "")]
    if entry.substitution:
        lines.append(entry.substitution)
    if entry.cancelled:
        lines.append(f"урок отменён: {entry.cancelled}")
    return "\n".join(lines)


def week_report(grid: WeekGrid, heading: str | None = None) -> Report:
    """Return the week grid as a landscape A4 document (the same cells as the page)."""
    columns = [Column("Урок", 0.8, "C")]
    for day in grid.days:
        label = f"{day.weekday.capitalize()}, {day.date:%d.%m}"
        if day.short:
            label += "\nсокращённый день"
        if day.holiday:
            label += f"\n{day.holiday}"
        elif not day.planned:
            label += "\nпо расписанию"
        columns.append(Column(label, 2))
    rows = []
    for number in grid.numbers:
        row = [f"{number}\n{grid.row_time(number)}".strip()]
        for day in grid.days:
            cell = day.cells.get(number, [])
            parts = [day.time_of(number)] if cell and day.short and day.time_of(number) else []
            parts += [entry_text(entry) for entry in cell]
            row.append("\n\n".join(parts))
        rows.append(tuple(row))
    notes = []
    if grid.has_pattern:
        notes.append("«По расписанию»: уроки этих дней ещё не запланированы, показаны уроки из расписания.")
    title = heading or grid.title
    return Report(
        title=f"Расписание: {title}",
        header=[f"Неделя {format_date(grid.monday)}–{format_date(grid.saturday)}"],
        sections=[Section("", columns, rows, notes=notes)],
        landscape=True,
        filename=f"raspisanie-{grid.kind}-{grid.monday.isoformat()}",
    )
