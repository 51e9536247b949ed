"""The week-grid timetable editor of one class: cells edited in place, checked, saved from a date (issue 12).

A class's timetable is the set of its journals' slots (whole class and subgroups). A version is
the slots valid on a day; saving a grid "from" a date (valid-from) ends every slot of the class
valid on that day the day before and writes the grid's slots from that date to the day before
the class's next version starts (or the end of the year), so the history stays as it was and
the read-only week grids show, for each week, the slots valid in it. The grid is written in one
transaction: the old slots cut, the new ones written, every new slot checked for a clash with
`groups.first_clash` (the teacher, the room, the group or a student busy at that time), and the
class's lessons re-planned from that date by `journal_planning.plan_lessons`: lessons before it
are not touched, a lesson holding anything stays (flagged `orphaned` when its slot went), empty
lessons of removed slots go and new slots get lessons. The check («Проверить») runs the same
writes and rolls them back, so the preview and the save can never disagree.

A stale grid (another person saved the class's timetable after the page was opened) is told
by the stamp: a digest of the class's slots the page carries and the save compares.
"""

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN

from app.db import write_atomic
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    WEEKDAYS,
    BellTime,
    ClassGroup,
    Journal,
    Room,
    SchoolYear,
    Staff,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from app.services import access, groups, journal_planning, records
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.groups import LESSON_NUMBERS, staff_label
from app.services.timetable import parse_day

DAYS = tuple(number for number, _ in WEEKDAYS)
DAY_LABELS = dict(WEEKDAYS)
MAX_ENTRIES = groups.SPLIT_MAX_GROUPS  # groups side by side in one cell
FIELD_RE = re.compile(r"^e-(\d{1,2})-(\d{1,2})-(\d{1,2})$")
CHOICE_RE = re.compile(r"^(\d{1,18})-(\d{1,18})$")
ONE_DAY = dt.timedelta(days=1)

Key = tuple[int, int]  # (weekday, lesson number)


@dataclass(frozen=True)
class Entry:
    """One lesson of a cell: the journal, its teacher and a room (or none)."""

    journal_id: int
    teacher_id: int
    room_id: int | None = None

    @property
    def choice(self) -> str:
        return f"{self.journal_id}-{self.teacher_id}"


Cells = dict[Key, list[Entry]]


@dataclass
class Choice:
    """An option of a cell's select: a journal of the class with one of its teachers."""

    value: str
    label: str
    journal_id: int
    teacher_id: int
    active: bool = True


@dataclass
class Editor:
    """Everything the editor page shows for a class."""

    class_group: ClassGroup
    year: SchoolYear
    day: dt.date
    valid_from: dt.date
    cells: Cells
    choices: list[Choice]
    rooms: list[Room]
    numbers: list[int]
    bell_times: dict[int, str]
    versions: list[tuple[dt.date, dt.date]]
    stamp: str
    classes: list[ClassGroup]
    # Lessons of cross-class and individual groups with students of the class, valid on the day:
    # shown in their cells, edited with their own class (or in the slot list), checked as clashes.
    others: dict[Key, list[str]] = field(default_factory=dict)
    problems: dict[Key, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    days = tuple(WEEKDAYS)

    def entries(self, weekday: int, number: int) -> list[Entry | None]:
        """Return a cell's entries and one empty place to add a group (while the cell has room)."""
        found: list[Entry | None] = list(self.cells.get((weekday, number), []))
        if len(found) < MAX_ENTRIES:
            found.append(None)
        return found

    def others_of(self, weekday: int, number: int) -> list[str]:
        return self.others.get((weekday, number), [])

    def problems_of(self, weekday: int, number: int) -> list[str]:
        return self.problems.get((weekday, number), [])


class Conflicts(DomainError):
    """A grid refused for its clashes: the messages by cell."""

    def __init__(self, problems: dict[Key, list[str]]):
        count = sum(len(found) for found in problems.values())
        super().__init__(
            f"Расписание не сохранено: конфликтов — {count}. Они показаны в клетках сетки; "
            "исправьте их и сохраните снова."
        )
        self.problems = problems


class _Rollback(Exception):
    """Raised inside the check's transaction to undo its writes."""


def may_edit(staff) -> bool:
    """Answer whether the staff member edits the timetable: the keeper of groups and journals."""
    return groups.may_manage(staff)


def _require_editor(actor) -> None:
    if not may_edit(actor):
        raise AccessDenied("Редактировать расписание может администратор расписания или заместитель директора.")


def get_class(value) -> ClassGroup:
    """Return the class asked for by id, or NotFound in Russian."""
    number = parse_id(getattr(value, "id", value))
    found = ClassGroup.get_or_none(ClassGroup.id == number) if number is not None else None
    if found is None:
        raise NotFound("Класс не найден.")
    return found


# --- reading ------------------------------------------------------------------------------


def class_journals(class_group: ClassGroup) -> list[Journal]:
    """Return the journals of a class's whole-class group and subgroups, with group and subject, in order."""
    return list(
        Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(StudyGroup.class_group == class_group.id)
        .order_by(Subject.name, StudyGroup.name)
    )


def _class_slots(class_group: ClassGroup):
    return (
        TimetableSlot.select()
        .join(Journal, on=(TimetableSlot.journal == Journal.id))
        .join(StudyGroup, on=(Journal.group == StudyGroup.id))
        .where(StudyGroup.class_group == class_group.id)
    )


def stamp_of(class_group: ClassGroup) -> str:
    """Return a digest of the class's slots: another person's save changes it."""
    rows = (
        _class_slots(class_group)
        .select(
            TimetableSlot.id,
            TimetableSlot.journal,
            TimetableSlot.weekday,
            TimetableSlot.lesson_number,
            TimetableSlot.teacher,
            TimetableSlot.room,
            TimetableSlot.valid_from,
            TimetableSlot.valid_to,
        )
        .order_by(TimetableSlot.id)
        .tuples()
    )
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(str(value) for value in row)).encode())
    return digest.hexdigest()[:24]


def week_cells(class_group: ClassGroup, day: dt.date) -> Cells:
    """Return the class's slots valid on a day as the grid's cells."""
    cells: Cells = defaultdict(list)
    slots = (
        _class_slots(class_group)
        .where((TimetableSlot.valid_from <= day) & (TimetableSlot.valid_to >= day))
        .order_by(StudyGroup.name, TimetableSlot.id)
    )
    for slot in slots:
        cells[(slot.weekday, slot.lesson_number)].append(Entry(slot.journal_id, slot.teacher_id, slot.room_id))
    return dict(cells)


def versions_of(class_group: ClassGroup) -> list[tuple[dt.date, dt.date]]:
    """Return the class's timetable versions: (first day, last day) spans its slots begin and end on."""
    spans = (
        _class_slots(class_group)
        .select(TimetableSlot.valid_from, TimetableSlot.valid_to)
        .distinct()
        .order_by(TimetableSlot.valid_from)
        .tuples()
    )
    found: dict[dt.date, dt.date] = {}
    for start, end in spans:
        start, end = _as_date(start), _as_date(end)
        found[start] = max(found.get(start, end), end)
    return sorted(found.items())


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def other_lessons(class_group: ClassGroup, day: dt.date) -> dict[Key, list[str]]:
    """Return the lessons of groups beyond the class with its students (cross-class, individual) valid on a day."""
    found: dict[Key, list[str]] = defaultdict(list)
    slots = (
        TimetableSlot.select(TimetableSlot, Journal, StudyGroup, Subject, Staff, Room)
        .join_from(TimetableSlot, Journal)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .join_from(TimetableSlot, Staff)
        .join_from(TimetableSlot, Room, JOIN.LEFT_OUTER)
        .where(
            TimetableSlot.journal.in_(access.journals_of_classes([class_group.id]))
            & ((StudyGroup.class_group.is_null()) | (StudyGroup.class_group != class_group.id))
            & (TimetableSlot.valid_from <= day)
            & (TimetableSlot.valid_to >= day)
        )
        .order_by(StudyGroup.name, TimetableSlot.id)
    )
    for slot in slots:
        room = f", каб. {slot.room.name}" if slot.room_id else ""
        found[(slot.weekday, slot.lesson_number)].append(
            f"{slot.journal.group.name}: {slot.journal.subject.name}, {staff_label(slot.teacher)}{room}"
        )
    return dict(found)


def lesson_numbers() -> list[int]:
    """Return the lesson numbers of the normal bell schedule (1–10 when the school has not set it)."""
    numbers = [
        row[0]
        for row in BellTime.select(BellTime.lesson_number)
        .where(BellTime.schedule == "normal")
        .order_by(BellTime.lesson_number)
        .tuples()
    ]
    return numbers or list(range(LESSON_NUMBERS[0], LESSON_NUMBERS[1] + 1))


def _bell_times() -> dict[int, str]:
    return {
        row.lesson_number: f"{row.starts_at:%H:%M}–{row.ends_at:%H:%M}"
        for row in BellTime.select().where(BellTime.schedule == "normal")
    }


def journal_label(journal: Journal) -> str:
    """Label a class's journal in a cell: the subject, and the group when it is a subgroup."""
    if journal.group.is_whole_class:
        return journal.subject.name
    return f"{journal.subject.name} — {journal.group.name}"


def choices_of(journals: list[Journal]) -> list[Choice]:
    """Return the cells' options: each journal of the class with each of its teachers.

    A blocked teacher's option is offered (marked) so a slot of theirs still shows, but a grid
    keeping it is refused until another teacher is chosen.
    """
    rows = (
        TeachingAssignment.select(TeachingAssignment, Staff)
        .join(Staff)
        .where(TeachingAssignment.journal.in_([j.id for j in journals]))
        .order_by(Staff.active.desc(), Staff.last_name, Staff.first_name)
    )
    teachers = defaultdict(list)
    for row in rows:
        teachers[row.journal_id].append(row.teacher)
    return [
        Choice(
            f"{j.id}-{t.id}",
            f"{journal_label(j)} ({staff_label(t)}{'' if t.active else ' — заблокирован(а)'})",
            j.id,
            t.id,
            t.active,
        )
        for j in journals
        for t in teachers[j.id]
    ]


def editor(actor, class_value, day: dt.date, today: dt.date, *, cells: Cells | None = None) -> Editor:
    """Return the editor of a class: the version valid on `day` (or the cells given), in a fixed number of queries."""
    _require_editor(actor)
    class_group = get_class(class_value)
    year = class_group.year
    day = min(max(day, year.start_date), year.end_date)
    journals = class_journals(class_group)
    bell_times = _bell_times()
    numbers = sorted(bell_times) or list(range(LESSON_NUMBERS[0], LESSON_NUMBERS[1] + 1))
    shown = week_cells(class_group, day) if cells is None else cells
    others = other_lessons(class_group, day)
    used = {number for weekday, number in [*shown, *others]}
    return Editor(
        class_group=class_group,
        year=year,
        day=day,
        valid_from=min(max(today, year.start_date, day), year.end_date),
        cells=shown,
        choices=choices_of(journals),
        rooms=list(Room.select().order_by(Room.name)),
        numbers=sorted(set(numbers) | used),
        bell_times=bell_times,
        versions=versions_of(class_group),
        stamp=stamp_of(class_group),
        others=others,
        classes=list(
            ClassGroup.select()
            .where((ClassGroup.year == year.id) & (ClassGroup.id != class_group.id))
            .order_by(ClassGroup.grade, ClassGroup.letter)
        ),
    )


# --- the posted grid ----------------------------------------------------------------------


def parse_cells(form) -> Cells:
    """Read the grid's inputs: `e-<weekday>-<number>-<i>` = "<journal>-<teacher>", `r-…` = room id or empty."""
    cells: Cells = defaultdict(list)
    for name in sorted(form.keys()):
        found = FIELD_RE.match(name)
        if not found:
            continue
        value = str(form.get(name) or "").strip()
        if not value:
            continue
        weekday, number, index = (int(part) for part in found.groups())
        if weekday not in DAY_LABELS or not 0 <= index < MAX_ENTRIES:
            raise DomainError("Клетка сетки не распознана: обновите страницу редактора.")
        choice = CHOICE_RE.match(value)
        if not choice:
            raise DomainError(
                f"{DAY_LABELS[weekday].capitalize()}, {number} урок: урок не распознан — выберите его из списка."
            )
        room_text = str(form.get(f"r-{weekday}-{number}-{index}") or "").strip()
        room_id = None
        if room_text:
            room_id = parse_id(room_text)
            if room_id is None:
                raise DomainError(
                    f"{DAY_LABELS[weekday].capitalize()}, {number} урок: кабинет не распознан — выберите его из списка."
                )
        cells[(weekday, number)].append(Entry(int(choice.group(1)), int(choice.group(2)), room_id))
    return dict(cells)


def parse_date(text, what: str) -> dt.date:
    """Return a date typed ДД.ММ.ГГГГ or ГГГГ-ММ-ДД, or a Russian refusal."""
    value = str(text or "").strip()
    found = parse_day(value) if value else None
    if found is None:
        shown = "".join(ch for ch in value[:20] if ch.isprintable())
        raise DomainError(f"{what}: дата «{shown}» не распознана — укажите её как ДД.ММ.ГГГГ.", "valid_from")
    return found


def parse_weekday(text) -> int:
    number = parse_id(str(text or ""))
    if number not in DAY_LABELS:
        raise DomainError("Выберите день недели из списка.")
    return number


# --- transforms: copy a day, copy another class ---------------------------------------------


def copy_day(cells: Cells, source: int, target: int) -> Cells:
    """Return the cells with the target weekday's lessons replaced by the source weekday's."""
    if source not in DAY_LABELS or target not in DAY_LABELS:
        raise DomainError("Выберите день недели из списка.")
    if source == target:
        raise DomainError("Выберите другой день: день копируется сам в себя.")
    result = {key: list(found) for key, found in cells.items() if key[0] != target}
    for (weekday, number), found in cells.items():
        if weekday == source:
            result[(target, number)] = list(found)
    return result


def copy_class(actor, source_value, target: ClassGroup, day: dt.date) -> tuple[Cells, list[str]]:
    """Map a parallel class's timetable valid on a day onto this class's journals; return the cells and notes.

    A whole-class journal maps to this class's journal of the same subject; a subgroup's, to the
    journal of the same subject of the subgroup in the same place of the same split. The teacher
    stays when they teach the target journal, else it is the target journal's first teacher.
    Rooms are not copied (the other class is in them at that time). A lesson with no such journal
    or no teacher is reported, not invented.
    """
    _require_editor(actor)
    source = get_class(source_value)
    if source.id == target.id:
        raise DomainError("Выберите другой класс: расписание копируется само в себя.")
    if source.year_id != target.year_id:
        raise DomainError(f"Класс {source} относится к другому учебному году.")
    source_journals = {j.id: j for j in class_journals(source)}
    target_journals = class_journals(target)
    target_choices = choices_of(target_journals)
    teachers = defaultdict(list)
    for choice in target_choices:
        if choice.active:
            teachers[choice.journal_id].append(choice.teacher_id)
    split_places = _split_places([j.group for j in source_journals.values()] + [j.group for j in target_journals])
    by_key = {}
    for journal in target_journals:
        by_key[(journal.subject_id, _group_key(journal.group, split_places))] = journal
    cells: Cells = defaultdict(list)
    missing: dict[int, str] = {}
    for key, found in sorted(week_cells(source, day).items()):
        for entry in found:
            journal = source_journals[entry.journal_id]
            mapped = by_key.get((journal.subject_id, _group_key(journal.group, split_places)))
            if mapped is None:
                missing[journal.id] = (
                    f"«{journal_label(journal)}»: у класса {target} нет такого журнала — уроки не перенесены."
                )
                continue
            if not teachers[mapped.id]:
                missing[journal.id] = (
                    f"«{journal_label(mapped)}»: у журнала класса {target} нет учителя — уроки не перенесены. "
                    "Назначьте учителя в разделе «Учебная нагрузка»."
                )
                continue
            teacher = entry.teacher_id if entry.teacher_id in teachers[mapped.id] else teachers[mapped.id][0]
            cells[key].append(Entry(mapped.id, teacher, None))
    notes = [f"Скопировано расписание класса {source} (версия на {format_date(day)}); кабинеты не переносятся."]
    notes += [missing[k] for k in sorted(missing, key=lambda k: missing[k])]
    return dict(cells), notes


def _split_places(all_groups) -> dict[int, int]:
    """Return each subgroup's place (0, 1, …) among its split's groups by name."""
    by_split = defaultdict(list)
    for group in all_groups:
        if group.kind == "subgroup":
            by_split[(group.class_group_id, group.split)].append(group)
    places = {}
    for found in by_split.values():
        for place, group in enumerate(sorted({g.id: g for g in found}.values(), key=lambda g: g.name)):
            places[group.id] = place
    return places


def _group_key(group: StudyGroup, places: dict[int, int]) -> tuple:
    if group.is_whole_class:
        return ("class",)
    return ("subgroup", group.split, places.get(group.id))


# --- checking and saving ------------------------------------------------------------------


def _check_dates(year: SchoolYear, valid_from: dt.date, today: dt.date) -> None:
    if not year.contains(valid_from):
        raise DomainError(
            f"Дата начала действия {format_date(valid_from)} вне учебного года {year} "
            f"({format_date(year.start_date)}–{format_date(year.end_date)}).",
            "valid_from",
        )
    if valid_from < today:
        raise DomainError(
            f"Дата начала действия {format_date(valid_from)} уже прошла: расписание меняется с сегодняшнего "
            f"дня ({format_date(today)}) или позже — прошедшие уроки остаются как были.",
            "valid_from",
        )


def _check_entries(class_group: ClassGroup, cells: Cells) -> None:
    """Refuse a lesson number outside the bells, a journal of another class, a teacher or room not offered."""
    numbers = set(lesson_numbers())
    journals = {j.id: j for j in class_journals(class_group)}
    choices = {(c.journal_id, c.teacher_id): c for c in choices_of(list(journals.values()))}
    room_ids = {row[0] for row in Room.select(Room.id).tuples()}
    for (weekday, number), found in sorted(cells.items()):
        where = f"{DAY_LABELS[weekday].capitalize()}, {number} урок"
        if number not in numbers:
            shown = ", ".join(str(n) for n in sorted(numbers))
            raise DomainError(f"{where}: такого урока нет в расписании звонков (уроки: {shown}).")
        seen = set()
        for entry in found:
            journal = journals.get(entry.journal_id)
            if journal is None:
                other = Journal.get_or_none(Journal.id == entry.journal_id)
                if other is None:
                    raise DomainError(f"{where}: журнал не найден — выберите урок из списка.")
                raise DomainError(
                    f"{where}: журнал «{other}» не относится к классу {class_group} — выберите журнал этого класса."
                )
            choice = choices.get((entry.journal_id, entry.teacher_id))
            if choice is None:
                raise DomainError(
                    f"{where}: учитель не ведёт журнал «{journal_label(journal)}» — выберите урок из списка."
                )
            if not choice.active:
                raise DomainError(
                    f"{where}: учитель урока «{choice.label}» заблокирован — выберите урок с действующим учителем."
                )
            if entry.room_id is not None and entry.room_id not in room_ids:
                raise DomainError(f"{where}: кабинет не найден — выберите его из списка.")
            if entry.journal_id in seen:
                raise DomainError(f"{where}: «{journal_label(journal)}» указан в клетке дважды.")
            seen.add(entry.journal_id)


def _version_end(class_group: ClassGroup, year: SchoolYear, start: dt.date) -> dt.date:
    """Return the last day of a version from `start`: the day before the class's next one, else the year's end."""
    later = (
        _class_slots(class_group)
        .select(TimetableSlot.valid_from)
        .where(TimetableSlot.valid_from > start)
        .order_by(TimetableSlot.valid_from)
        .limit(1)
        .tuples()
    )
    found = [_as_date(row[0]) for row in later]
    return found[0] - ONE_DAY if found else year.end_date


def _write(actor, class_group: ClassGroup, year: SchoolYear, cells: Cells, start: dt.date, source: str):
    """Cut the class's slots valid on [start, end], write the grid's; return (end, {cell: problems})."""
    end = _version_end(class_group, year, start)
    overlapping = list(
        _class_slots(class_group)
        .where((TimetableSlot.valid_from <= end) & (TimetableSlot.valid_to >= start))
        .order_by(TimetableSlot.id)
    )
    for slot in overlapping:
        if slot.valid_from < start:
            if slot.valid_to > end:  # a slot across the whole version keeps its days after it
                records.create_row(
                    actor,
                    TimetableSlot,
                    {**_fields(slot), "valid_from": end + ONE_DAY, "valid_to": slot.valid_to},
                    source=source,
                )
            records.update_row(actor, slot, {"valid_to": start - ONE_DAY}, source=source)
        elif slot.valid_to > end:
            records.update_row(actor, slot, {"valid_from": end + ONE_DAY}, source=source)
        else:
            records.delete_row(actor, slot, source=source)
    written = []
    for (weekday, number), found in sorted(cells.items()):
        for entry in found:
            fields = {
                "journal": entry.journal_id,
                "teacher": entry.teacher_id,
                "room": entry.room_id,
                "weekday": weekday,
                "lesson_number": number,
                "valid_from": start,
                "valid_to": end,
            }
            written.append(((weekday, number), records.create_row(actor, TimetableSlot, fields, source=source)))
    problems: dict[Key, list[str]] = defaultdict(list)
    for key, slot in written:
        clash = groups.first_clash(slot)
        if clash is not None and clash[0] not in problems[key]:
            problems[key].append(clash[0])
    return end, {key: found for key, found in problems.items() if found}


def _fields(slot: TimetableSlot) -> dict:
    return {
        "journal": slot.journal_id,
        "teacher": slot.teacher_id,
        "room": slot.room_id,
        "weekday": slot.weekday,
        "lesson_number": slot.lesson_number,
    }


def check(actor, class_value, cells: Cells, valid_from: dt.date, today: dt.date) -> dict[Key, list[str]]:
    """Return the grid's clashes by cell, writing nothing; a refusal of the input is a DomainError."""
    _require_editor(actor)
    class_group = get_class(class_value)
    _check_dates(class_group.year, valid_from, today)
    _check_entries(class_group, cells)
    found: dict[Key, list[str]] = {}
    try:
        with write_atomic():
            _end, found = _write(actor, class_group, class_group.year, cells, valid_from, "panel")
            raise _Rollback
    except _Rollback:
        pass
    return found


@dataclass
class Saved:
    """What a save did: the version's span, the slots written and the lessons re-planned."""

    valid_from: dt.date
    valid_to: dt.date
    slots: int
    plan: journal_planning.PlanResult


def save(actor, class_value, cells: Cells, valid_from: dt.date, stamp: str, today: dt.date, *, source="panel") -> Saved:
    """Save a class's grid from a date in one transaction and re-plan its lessons from then; refuse clashes.

    Nothing is written when the input is refused, the grid is stale or a cell clashes (Conflicts).
    """
    _require_editor(actor)
    class_group = get_class(class_value)
    year = class_group.year
    _check_dates(year, valid_from, today)
    _check_entries(class_group, cells)
    with write_atomic():
        if stamp != stamp_of(class_group):
            raise DomainError(
                f"Расписание класса {class_group} уже изменили, пока страница была открыта: "
                "откройте редактор заново и внесите изменения ещё раз."
            )
        end, problems = _write(actor, class_group, year, cells, valid_from, source)
        if problems:
            raise Conflicts(problems)
        plan = journal_planning.plan_lessons(
            actor, year, class_group=class_group, start=valid_from, end=end, source=source
        )
    return Saved(valid_from, end, sum(len(found) for found in cells.values()), plan)


def copy_week(actor, class_value, source_day: dt.date, valid_from: dt.date, today: dt.date, *, source="panel"):
    """Save the class's version valid on `source_day` again as a new version from `valid_from`."""
    _require_editor(actor)
    class_group = get_class(class_value)
    return save(
        actor, class_group, week_cells(class_group, source_day), valid_from, stamp_of(class_group), today, source=source
    )


def describe(saved: Saved) -> str:
    """Say in Russian what a save did."""
    plan = saved.plan
    return (
        f"Расписание сохранено: действует с {format_date(saved.valid_from)} по {format_date(saved.valid_to)}, "
        f"уроков в неделю: {saved.slots}. Уроки перепланированы с {format_date(saved.valid_from)}: "
        f"добавлено {plan.created}, удалено пустых {plan.removed}, "
        f"оставлено с данными вне расписания {plan.orphaned}."
    )
