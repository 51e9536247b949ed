"""Marks and absences: the journal grid (students × lessons), cell edits and term averages (R3.2)."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from markupsafe import Markup, escape
from peewee import SQL, Case, IntegrityError

from app.db import db
from app.formats import format_date, month_label
from app.ids import MAX_ID, parse_id
from app.models import (
    ABSENCE_REASONS,
    MARK_VALUES,
    Absence,
    AuditEntry,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    Staff,
    Student,
    Term,
    WorkType,
)
from app.models.changes import one_transaction
from app.models.journal import MARK_CHANGE_REASONS, MARK_COMMENT_MAX
from app.models.people import short_name
from app.services import access, audit, groups
from app.services.errors import DomainError
from app.services.journal import (
    EditConflict,
    NotFound,
    ensure_can_edit,
    ensure_can_see,
    ensure_not_future,
    get_lesson,
    lessons_with_people,
    may_edit,
    with_term,
)

# How each absence reason is written in a grid cell, as in the paper journal: «н» is an absence
# whose reason is not known yet (filled in later), «нп» one without a good reason.
ABSENCE_CODES = {"unknown": "н", "illness": "б", "excused": "уп", "unexcused": "нп", "late": "оп"}
# What a teacher may type into a cell for an absence: the codes, and their short forms.
ABSENCE_INPUT = {
    **{code: reason for reason, code in ABSENCE_CODES.items()},
    "у": "excused",
    "о": "late",
}
ABSENCE_LABELS = dict(ABSENCE_REASONS)
CHANGE_REASON_LABELS = dict(MARK_CHANGE_REASONS)
NUMERIC_MARKS = {"5": 5, "4": 4, "3": 3, "2": 2, "1": 1}
# Words a teacher may type for the credit marks.
MARK_SYNONYMS = {"зачёт": "зч", "зачет": "зч", "незачёт": "нз", "незачет": "нз"}
# A mark's weight: a decimal with at most two places (ур. 1, с.р. 1,2, к.р. 1,5).
WEIGHT_MIN, WEIGHT_MAX = Decimal("0.1"), Decimal("10")
WEIGHT_PLACES = Decimal("0.01")
WEIGHT_MESSAGE = "Вес — число от 0,1 до 10, не больше двух знаков после запятой (например, 1,5)."
# How many marks one entry may type into a cell at once («54» is two).
MARKS_AT_ONCE = 5
# Why a cell cannot be filled, as the grid says it (keys are Grid.table()'s `why`).
READ_ONLY_REASONS = {
    "out": "Ученик не в этой группе (классе) на эту дату.",
    "cancelled": "Урок отменён: отметки и пропуски за него не ставятся.",
    "future": "Урок ещё не наступил: отметки и пропуски ставятся в день урока.",
    "ro": "Этот урок доступен вам только для просмотра.",
}


def entry_rules() -> dict:
    """Return the rules of a cell's entry for the page's script: the scale, the absence codes, weights, reasons.

    The script repeats none of them: what a teacher may type or tap comes from here, the same
    lists the saves check against.
    """
    return {
        "markValues": list(MARK_VALUES),
        "markSynonyms": dict(MARK_SYNONYMS),
        "absenceReasons": [
            {"code": code, "label": label, "short": ABSENCE_CODES[code]} for code, label in ABSENCE_REASONS
        ],
        "absenceInput": dict(ABSENCE_INPUT),
        "changeReasons": [{"code": code, "label": label} for code, label in MARK_CHANGE_REASONS],
        "weight": {"min": format_weight(WEIGHT_MIN), "max": format_weight(WEIGHT_MAX)},
        "commentMax": MARK_COMMENT_MAX,
        "marksAtOnce": MARKS_AT_ONCE,
        "readOnly": dict(READ_ONLY_REASONS),
    }


def journal_condition(group_id, subject_id):
    """Match the lessons that count for a subject in a group: its own unless replaced, and replacements by it.

    A replaced lesson (another subject given in its place) counts for the replacement subject in
    the same group's journal of that subject.

    It leads with the group's journals, so the database reads the lessons through the
    (journal, date) index whatever it knows of the tables' statistics; under the OR, the
    replacement column would tempt it into its own index, which nearly every lesson shares (NULL).
    """
    of_group = Journal.select(Journal.id).where(Journal.group == group_id)
    own = Journal.select(Journal.id).where((Journal.group == group_id) & (Journal.subject == subject_id))
    return Lesson.journal.in_(of_group) & (
        (Lesson.replacement_subject.is_null() & Lesson.journal.in_(own)) | (Lesson.replacement_subject == subject_id)
    )


def effective_subject_id(lesson) -> int:
    """Return the subject a lesson counts for (the replacement subject when one was given)."""
    return lesson.replacement_subject_id or lesson.subject_id


def weighted_mean(pairs) -> float | None:
    """Return the weighted average of (value, weight) pairs to hundredths, halves up (2,595 → 2,6), or None."""
    weights = total = Decimal(0)
    for value, weight in pairs:
        weight = weight if isinstance(weight, Decimal) else Decimal(str(weight))
        weights += weight
        total += value * weight
    if not weights:
        return None
    return float((total / weights).quantize(WEIGHT_PLACES, ROUND_HALF_UP))


def averages(marks) -> tuple[float | None, float | None]:
    """Return the plain and the weighted average of the numeric marks (credit marks do not count)."""
    numeric = [(NUMERIC_MARKS[mark.value], mark.weight) for mark in marks if mark.value in NUMERIC_MARKS]
    if not numeric:
        return None, None
    return round(sum(value for value, _ in numeric) / len(numeric), 2), weighted_mean(numeric)


def format_average(value: float | None) -> str:
    """Write an average the Russian way (4,33), or an empty string when there is none."""
    return "" if value is None else f"{value:.2f}".replace(".", ",")


@lru_cache(maxsize=256)
def format_weight(weight) -> str:
    """Write a weight the Russian way, without trailing zeros: 1, 1,2, 1,25 (a page has a few distinct ones)."""
    text = f"{Decimal(weight).quantize(WEIGHT_PLACES):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def parse_weight(value, default=None) -> Decimal:
    """Return a weight typed or sent (1, 1.5, "1,5") as a Decimal within the limits; `default` when empty.

    Refuses a bool, a value out of WEIGHT_MIN…WEIGHT_MAX or one with more than two decimal places.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise DomainError(WEIGHT_MESSAGE, "weight")
        return Decimal(default)
    number = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    elif isinstance(value, str) and len(value) <= 12:
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or not WEIGHT_MIN <= number <= WEIGHT_MAX:
        raise DomainError(WEIGHT_MESSAGE, "weight")
    if number != number.quantize(WEIGHT_PLACES):
        raise DomainError(WEIGHT_MESSAGE, "weight")
    return number.quantize(WEIGHT_PLACES)


@dataclass(frozen=True)
class EditWindow:
    """The mark-edit window: a mark older than `days` school days needs a reason to be changed or deleted.

    Days are counted as the school's calendar reads them: a mark given at 00:30 Moscow on
    02.12 (21:30 UTC on 01.12, as stored) was given on 02.12, whatever the process's time zone.
    """

    days: int
    today: dt.date
    clock: object

    @classmethod
    def of(cls, clock, days: int | None = None) -> "EditWindow":
        """Return the window of the school's settings, as of the clock's today."""
        if days is None:
            days = SchoolSettings.load().mark_edit_days
        return cls(days, clock.today(), clock)

    def given_on(self, mark) -> dt.date:
        """Return the school date a mark was given on (created_at is stored as naive UTC)."""
        created = mark.created_at
        return self.clock.local(created).date() if isinstance(created, dt.datetime) else created

    def needs_reason(self, mark) -> bool:
        """Tell whether changing or deleting this mark asks for a reason (it is older than the window)."""
        return self.is_old(self.given_on(mark))

    def is_old(self, given: dt.date) -> bool:
        """Tell whether a mark given on that school date is older than the window."""
        return (self.today - given).days > self.days


class MarkRow(NamedTuple):
    """A mark as the grid needs it: read as a plain row, not a model (hundreds per page)."""

    id: int
    lesson_id: int
    student_id: int
    value: str
    work_type_id: int
    work_type_name: str
    weight: Decimal
    comment: str | None
    change_no: int
    created_at: dt.datetime


class AbsenceRow(NamedTuple):
    """An absence as the grid needs it (a plain row, as MarkRow)."""

    lesson_id: int
    student_id: int
    reason: str


def _moment(value) -> dt.datetime:
    # PostgreSQL's driver gives datetimes; SQLite gives the ISO text peewee wrote.
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def mark_rows(condition) -> list[MarkRow]:
    """Return the marks matching a condition with their work type names, oldest first, in one query.

    Read off the cursor: a grid holds hundreds of marks, and peewee's per-column converters
    (its datetime parser tries format after format) cost more than the query. Only the weight
    and the moment need converting.
    """
    query = (
        Mark.select(
            Mark.id,
            Mark.lesson,
            Mark.student,
            Mark.value,
            Mark.work_type,
            WorkType.name,
            Mark.weight,
            Mark.comment,
            Mark.change_no,
            Mark.created_at,
        )
        .join(WorkType)
        .where(condition)
        .order_by(Mark.created_at, Mark.id)
    )
    return [MarkRow(*row[:6], Decimal(str(row[6])), row[7], row[8], _moment(row[9])) for row in db.execute(query)]


# --- the grid -----------------------------------------------------------------------------


@dataclass
class GridStudent:
    """A row of the grid: a student and the dates they belong to the journal's group."""

    student: Student
    number: int
    spans: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    average: float | None = None
    weighted: float | None = None

    def enrolled_on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or day <= end) for start, end in self.spans)


class LessonRow(NamedTuple):
    """A lesson as the grid's columns need it: read as a plain row, with its teacher's name."""

    id: int
    journal_id: int
    term_id: int | None
    date: dt.date
    number: int
    planned_teacher_id: int
    teacher_id: int
    topic: str | None
    homework: str | None
    held: bool
    cancelled: bool
    cancel_reason: str | None
    teacher_name: str

    @property
    def is_substitution(self) -> bool:
        return self.teacher_id != self.planned_teacher_id


def lesson_rows(query) -> list[LessonRow]:
    """Return the lessons of a Lesson query as rows, in its order, with their teachers' short names."""
    query = (
        query.select(
            Lesson.id,
            Lesson.journal,
            Lesson.term,
            Lesson.date,
            Lesson.number,
            Lesson.planned_teacher,
            Lesson.teacher,
            Lesson.topic,
            Lesson.homework,
            Lesson.held,
            Lesson.cancelled,
            Lesson.cancel_reason,
            Staff.last_name,
            Staff.first_name,
            Staff.middle_name,
        )
        .switch(Lesson)
        .join(Staff, on=(Lesson.teacher == Staff.id))
    )
    return [LessonRow(*row[:12], short_name(*row[12:])) for row in query.tuples()]


@dataclass
class GridLesson:
    """A column of the grid: a lesson and whether this staff member may fill it."""

    lesson: LessonRow
    editable: bool
    future: bool

    @property
    def label(self) -> str:
        return f"{self.lesson.date:%d.%m}, {self.lesson.number}-й урок"


@dataclass
class Cell:
    """What one student has for one lesson."""

    marks: list = field(default_factory=list)
    absence: AbsenceRow | Absence | None = None


@dataclass
class Grid:
    """Students × lessons of a journal between two dates, like a page of the paper journal."""

    journal: object
    terms: list  # the periods of the journal's school year, in order
    start: dt.date
    end: dt.date
    students: list[GridStudent]
    lessons: list[GridLesson]
    cells: dict[tuple[int, int], Cell]
    window: EditWindow

    @property
    def today(self) -> dt.date:
        return self.window.today

    @property
    def group(self):
        return self.journal.group

    @property
    def subject(self):
        return self.journal.subject

    def cell(self, student_id: int, lesson_id: int) -> Cell:
        return self.cells.get((student_id, lesson_id)) or Cell()

    def months(self) -> list[tuple[str, int]]:
        """Return (month name, number of lessons) for the header row above the dates."""
        spans: list[list] = []
        for column in self.lessons:
            label = month_label(column.lesson.date)
            if spans and spans[-1][0] == label:
                spans[-1][1] += 1
            else:
                spans.append([label, 1])
        return [(label, count) for label, count in spans]

    def table(self):
        """Yield (row, [(column, why, cell html)]): why a cell cannot be filled ('' if it can), computed once."""
        for row in self.students:
            line = []
            for column in self.lessons:
                lesson = column.lesson
                cell = self.cells.get((row.student.id, lesson.id))
                if not row.enrolled_on(lesson.date):
                    why = "out"
                elif lesson.cancelled:
                    why = "cancelled"
                elif not column.editable:
                    why = "ro"
                elif column.future:
                    why = "future"
                else:
                    why = ""
                line.append((column, why, cell_html(cell.marks, cell.absence) if cell else ""))
            yield row, line

    def dates_html(self, lesson_url) -> Markup:
        """Render the header row of dates: a column header per lesson, linked to its lesson page (grid.html).

        Built in Python for the reason rows_html is; `lesson_url(lesson_id)` gives a lesson page's address.
        A column header tells the lesson's date and number, a substitution, the topic, whether it was
        cancelled or not marked held, and whether this person may only read it.
        """
        out = []
        for column in self.lessons:
            lesson = column.lesson
            css = ["jdate"]
            title = f"{format_date(lesson.date)}, {lesson.number}-й урок"
            if lesson.is_substitution:
                css.append("jsub")
                title += f", замена: {lesson.teacher_name}"
            if column.future:
                css.append("jfuture")
            if lesson.topic:
                title += f" — {lesson.topic}"
            if lesson.cancelled:
                css.append("jcancel")
                title += f" (урок отменён: {lesson.cancel_reason})" if lesson.cancel_reason else " (урок отменён)"
            elif not lesson.held and not column.future:
                css.append("jnotheld")
                title += " (не отмечен как проведённый)"
            if lesson.date == self.today:
                css.append("jtoday-col")
            lock = ""
            if not column.editable:
                css.append("jdate-ro")
                title += " (только просмотр)"
                lock = '<i class="fa fa-lock jlock" aria-hidden="true"></i>'
            out.append(
                f'<th class="{" ".join(css)}" role="columnheader" scope="col" id="l{lesson.id}" '
                f'title="{escape(title)}">'
                f'<a class="jdl" href="{escape(lesson_url(lesson.id))}" tabindex="-1">'
                f'<span aria-hidden="true">{lesson.date.day:02d}</span><span class="sr-only">{column.label}</span></a>'
                f"{lock}</th>"
            )
        return Markup("".join(out))

    def rows_html(self, start_lesson: int | None) -> Markup:
        """Render the grid's body: a row per student, a cell per lesson, the two averages (grid.html).

        Built in Python, not in the template: a page holds a thousand cells, and a Jinja loop
        spends tens of microseconds on each (escaping every attribute, looking names up), several
        times the whole page's SQL. A td of a role=grid table is a gridcell already, so the cells
        carry no role; the one cell in the Tab order is the first student's in `start_lesson`'s column.
        """
        out = []
        for row, line in self.table():
            sid = row.student.id
            name = escape(f"{row.student.last_name} {row.student.first_name}")
            out.append(
                f'<tr role="row" data-s="{sid}" data-name="{name}"><td class="jnum" role="gridcell">{row.number}</td>'
                f'<th class="jname" role="rowheader" scope="row" id="s{sid}">{name}</th>'
            )
            first = row.number == 1
            for column, why, html in line:
                lid = column.lesson.id
                cell = f"c{sid}-{lid}"
                tab = 0 if first and lid == start_lesson else -1
                css = f"jc jc-ro jc-{why}" if why else "jc"
                read_only = f' aria-readonly="true" aria-describedby="why-{why}"' if why else ""
                out.append(
                    f'<td class="{css}" id="{cell}" data-s="{sid}" data-l="{lid}" data-why="{why}" tabindex="{tab}" '
                    f'aria-labelledby="s{sid} l{lid} {cell}"{read_only}>{html}</td>'
                )
            out.append(
                f'<td class="javg javg1" role="gridcell" id="avg-{sid}">{format_average(row.average)}</td>'
                f'<td class="javg javg2" role="gridcell" id="wavg-{sid}">{format_average(row.weighted)}</td></tr>'
            )
        return Markup("".join(out))

    def start_lesson_id(self) -> int | None:
        """Return the lesson whose column takes the keyboard first: the latest this person may fill by today.

        A journal they may only read starts at its latest lesson by today, one of future lessons at the first.
        """
        fillable = [c for c in self.lessons if c.editable and not c.future and not c.lesson.cancelled]
        held = [c for c in self.lessons if not c.future]
        chosen = (fillable or held or self.lessons[:1] or [None])[-1]
        return chosen.lesson.id if chosen else None

    def cells_data(self) -> dict[str, dict]:
        """Return every filled cell as plain data for the page's script, keyed "student:lesson"."""
        return {
            f"{sid}:{lid}": cell_payload(cell.marks, cell.absence, self.window)
            for (sid, lid), cell in self.cells.items()
        }


def build_grid(staff, journal, start: dt.date, end: dt.date, *, clock) -> Grid:
    """Build a journal's grid in a fixed number of queries, whatever the size of the group or the term.

    The rows are the group's members between the dates (a class teacher who does not teach the
    journal sees their own class's students only: `access.visible_members`).
    """
    window = EditWindow.of(clock)
    today = window.today
    terms = list(Term.select().where(Term.year == journal.year_id).order_by(Term.start_date))
    term_of = {term.id: term for term in terms}
    lesson_query = (
        Lesson.select()
        .where(journal_condition(journal.group_id, journal.subject_id) & (Lesson.date >= start) & (Lesson.date <= end))
        .order_by(Lesson.date, Lesson.number, Lesson.id)
    )
    lessons = lesson_rows(access.scope(lesson_query, staff, Lesson))
    # A journal of the current year has no past lessons: the current year's start is read only otherwise.
    before = None if journal.year.is_current else access.history_before()
    columns = [
        GridLesson(lesson, may_edit(staff, lesson, term_of.get(lesson.term_id), before), lesson.date > today)
        for lesson in lessons
    ]

    spans = groups.member_spans([journal.group], start, end)[journal.group_id]
    allowed = access.visible_members(staff, journal)
    if allowed is not None:
        spans = {sid: s for sid, s in spans.items() if sid in allowed}
    students = (
        Student.select()
        .where(Student.id.in_(list(spans)))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
        if spans
        else []
    )
    rows = {student.id: GridStudent(student, number, spans[student.id]) for number, student in enumerate(students, 1)}

    cells: dict[tuple[int, int], Cell] = {}
    ids = [lesson.id for lesson in lessons]
    if ids:
        for mark in mark_rows(Mark.lesson.in_(ids)):
            if mark.student_id in rows:
                cells.setdefault((mark.student_id, mark.lesson_id), Cell()).marks.append(mark)
        absences = Absence.select(Absence.lesson, Absence.student, Absence.reason).where(Absence.lesson.in_(ids))
        for absence in map(AbsenceRow._make, absences.tuples()):
            if absence.student_id in rows:
                cells.setdefault((absence.student_id, absence.lesson_id), Cell()).absence = absence
    by_student: dict[int, list] = {}
    for (student_id, _), cell in cells.items():
        by_student.setdefault(student_id, []).extend(cell.marks)
    for row in rows.values():
        row.average, row.weighted = averages(by_student.get(row.student.id, []))

    return Grid(
        journal=journal,
        terms=terms,
        start=start,
        end=end,
        students=list(rows.values()),
        lessons=columns,
        cells=cells,
        window=window,
    )


# --- one cell as data: what the page's script shows and edits -----------------------------


def mark_payload(mark, window: EditWindow) -> dict:
    """Return one mark as plain data for the page's script."""
    given = window.given_on(mark)
    return {
        "id": mark.id,
        "value": mark.value,
        "work_type": mark.work_type_id,
        "work_type_name": mark.work_type_name,
        "weight": format_weight(mark.weight),
        "comment": mark.comment or "",
        "change_no": mark.change_no,
        "needs_reason": window.is_old(given),
        "created": f"{given:%d.%m.%Y}",
    }


def cell_payload(marks, absence, window: EditWindow) -> dict:
    """Return one cell (its marks and absence) as plain data for the page's script."""
    return {
        "marks": [mark_payload(m, window) for m in marks],
        "absence": None
        if absence is None
        else {
            "reason": absence.reason,
            "label": ABSENCE_LABELS.get(absence.reason, absence.reason),
            "code": ABSENCE_CODES.get(absence.reason, "н"),
        },
    }


def cell_html(marks, absence) -> Markup:
    """Render a cell's absence and marks: the one renderer of a cell, for the pages and for the saves' replies.

    The grid and the lesson page print it; after a save the page's script swaps in the `html`
    of the cell that the endpoint returns (cell_state), so the script never draws a cell itself.
    """
    parts = [_absence_html(absence.reason)] if absence is not None else []
    parts.extend(_mark_html(mark.value, mark.work_type_name, mark.weight, mark.comment) for mark in marks)
    return Markup("".join(parts))


# A grid repeats a handful of marks (a value of a work type with a weight) hundreds of times:
# each is rendered once.
@lru_cache(maxsize=4096)
def _mark_html(value: str, work_type_name: str, weight: Decimal, comment: str | None) -> str:
    classes = "jm" + (" jm-heavy" if weight > 1 else "") + (" jm-note" if comment else "")
    title = f"{work_type_name}, вес {format_weight(weight)}"
    if comment:
        title += f". Комментарий: {comment}"
    return f'<span class="{classes}" title="{escape(title)}">{escape(value)}</span>'


@lru_cache(maxsize=64)
def _absence_html(reason: str) -> str:
    label = ABSENCE_LABELS.get(reason, reason)
    code = ABSENCE_CODES.get(reason, "н")
    return f'<span class="jab jab-{escape(reason)}" title="Пропуск: {escape(label)}">{escape(code)}</span>'


def cell_state(staff, lesson, student_id, *, clock) -> dict:
    """Return a cell's current marks and absence (as data and as HTML), and the student's term averages.

    One query for the three: the student's marks of the lesson and of the term in its counting
    journal (flagged apart, the term's within the person's lesson scope), and the cell's absence
    as a row of the same shape (UNION ALL). `lesson` is read with its journal and term (get_lesson).
    """
    term = lesson.term if lesson.term_id else None
    start, end = (term.start_date, term.end_date) if term else (lesson.date, lesson.date)
    counted = (
        journal_condition(lesson.journal.group_id, effective_subject_id(lesson))
        & (Lesson.date >= start)
        & (Lesson.date <= end)
        & access.lesson_condition(staff)
    )
    marks = (
        Mark.select(
            SQL("'m'"),
            Mark.id,
            Mark.lesson,
            Mark.value,
            Mark.work_type,
            WorkType.name,
            Mark.weight,
            Mark.comment,
            Mark.change_no,
            Mark.created_at,
            Case(None, [(counted, 1)], 0),
        )
        .join_from(Mark, Lesson)
        .join_from(Mark, WorkType)
        .where((Mark.student == student_id) & ((Mark.lesson == lesson.id) | counted))
    )
    nothing = SQL("NULL")
    absence_row = Absence.select(
        SQL("'a'"),
        Absence.id,
        Absence.lesson,
        Absence.reason,
        nothing,
        nothing,
        nothing,
        nothing,
        Absence.change_no,
        nothing,
        SQL("0"),
    ).where((Absence.lesson == lesson.id) & (Absence.student == student_id))
    cell_marks, term_marks, absence = [], [], None
    for kind, row_id, lesson_id, value, work_type, name, weight, comment, change_no, created, counts in db.execute(
        marks.union_all(absence_row)
    ):
        if kind == "a":
            absence = AbsenceRow(lesson_id, student_id, value)
            continue
        mark = MarkRow(
            row_id, lesson_id, student_id, value, work_type, name, Decimal(str(weight)), comment, change_no,
            _moment(created),
        )  # fmt: skip
        if lesson_id == lesson.id:
            cell_marks.append(mark)
        if counts:
            term_marks.append(mark)
    cell_marks.sort(key=lambda mark: (mark.created_at, mark.id))
    data = cell_payload(cell_marks, absence, EditWindow.of(clock))
    data.update({"lesson": lesson.id, "student": student_id, "html": str(cell_html(cell_marks, absence))})
    average, weighted = averages(term_marks)
    data["average"], data["weighted"] = format_average(average), format_average(weighted)
    return data


# --- edits ----------------------------------------------------------------------------------


def _not_in_class(lesson) -> DomainError:
    # One answer for a student who is missing, in another group or not enrolled that day: the
    # message names no student, so walking ids through one's own lesson reveals nobody.
    group = lesson.journal.group
    where = f"в классе {group}" if group.is_whole_class else f"в группе «{group}»"
    return DomainError(
        f"Ученик не числится {where} на {format_date(lesson.date)}: "
        "отметки и пропуски ставятся только ученикам этого журнала.",
        "student",
    )


def _has_entries(student_id, lesson) -> bool:
    """Tell whether the student already has a mark or an absence in the lesson."""
    return (
        Mark.select().where((Mark.lesson == lesson.id) & (Mark.student == student_id)).exists()
        or Absence.select().where((Absence.lesson == lesson.id) & (Absence.student == student_id)).exists()
    )


def lesson_student(student_id, lesson, *, enrolled: bool = True) -> Student:
    """Return a member of the lesson's group on its date, else refuse with one message that names nobody.

    With `enrolled=False` a student who is no longer enrolled but already has entries in the
    lesson is accepted too (to read or clear them).
    """
    number = parse_id(student_id)
    student = None
    if number is not None:
        # The student and whether they belong to the group that day, in one query.
        member = groups.membership_test(number, lesson.journal.group, lesson.date)
        student = Student.select(Student, member.alias("is_member")).where(Student.id == number).first()
    if student is None:
        raise _not_in_class(lesson)
    if student.is_member:
        return student
    if not enrolled and _has_entries(student.id, lesson):
        return student
    raise _not_in_class(lesson)


def _value(value) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(f"Такой отметки нет в шкале. Допустимы: {', '.join(MARK_VALUES)}.", "value")
    text = (value or "").strip().lower()
    text = MARK_SYNONYMS.get(text, text)
    if text not in MARK_VALUES:
        raise DomainError(f"Такой отметки нет в шкале. Допустимы: {', '.join(MARK_VALUES)}.", "value")
    return text


def _work_type(work_type_id) -> WorkType:
    number = parse_id(work_type_id)
    work_type = WorkType.get_or_none(WorkType.id == number) if number is not None else None
    if work_type is None or not work_type.active:
        raise DomainError("Выберите вид работы из списка.", "work_type")
    return work_type


def _whole(value) -> int | None:
    """Return value as a whole number (an int or a string of digits, never a bool or a float), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 19:
            return int(text)
    return None


def _comment(value) -> str | None:
    """Return a mark's comment, trimmed (None when empty), else refuse one that is not text or too long."""
    if value is not None and not isinstance(value, str):
        raise DomainError("Комментарий к отметке — это текст.", "comment")
    text = " ".join((value or "").split())
    if len(text) > MARK_COMMENT_MAX:
        raise DomainError(f"Комментарий к отметке — не длиннее {MARK_COMMENT_MAX} знаков.", "comment")
    return text or None


def _values(values) -> list[str]:
    """Return the marks typed into a cell at once («5», or «5», «4» for «54»), each on the scale."""
    if isinstance(values, str) or values is None:
        values = [values]
    if not isinstance(values, list | tuple) or not values:
        raise DomainError(f"Такой отметки нет в шкале. Допустимы: {', '.join(MARK_VALUES)}.", "value")
    if len(values) > MARKS_AT_ONCE:
        raise DomainError(f"За один раз можно поставить не больше {MARKS_AT_ONCE} отметок.", "value")
    return [_value(value) for value in values]


def ensure_not_cancelled(lesson, what: str) -> None:
    """Refuse an entry into a cancelled lesson, saying why it was cancelled."""
    if lesson.cancelled:
        reason = f" ({lesson.cancel_reason})" if lesson.cancel_reason else ""
        raise DomainError(f"Урок {format_date(lesson.date)} отменён{reason}: {what}.", "lesson")


def _last_change(model: str, object_id, clock) -> str:
    entry = (
        AuditEntry.select()
        .where((AuditEntry.model == model) & (AuditEntry.object_id == str(object_id)))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    return f"{entry.actor_name} в {clock.local(entry.at):%H:%M}" if entry else "другой пользователь"


def get_mark(mark_id) -> Mark:
    """Return a mark by id, or refuse with NotFound."""
    number = parse_id(mark_id)
    mark = Mark.get_or_none(Mark.id == number) if number is not None else None
    if mark is None:
        raise NotFound("Отметка не найдена: возможно, её уже удалили. Обновите страницу.")
    return mark


def _mark_with_lesson(mark_id) -> Mark:
    """Return a mark with its work type and its lesson (journal, group, subject, teachers, term) in one query."""
    number = parse_id(mark_id)
    query = Mark.select(Mark, WorkType).join_from(Mark, WorkType).join_from(Mark, Lesson).select_extend(Lesson)
    mark = with_term(lessons_with_people(query)).where(Mark.id == number).first() if number is not None else None
    if mark is None:
        raise NotFound("Отметка не найдена: возможно, её уже удалили. Обновите страницу.")
    return mark


def _ensure_same_mark(mark, change_no, clock) -> None:
    change_no = _whole(change_no)
    if change_no is None or change_no > MAX_ID:
        raise DomainError("Не указана версия отметки: обновите страницу.", "change_no")
    if change_no != mark.change_no:
        raise EditConflict(
            f"Эту отметку уже изменил(а) {_last_change('Mark', mark.id, clock)}: сейчас «{mark.value}», "
            f"{mark.work_type.name.lower()}, вес {mark.weight}. Ваше изменение не сохранено."
        )


def _taken_meanwhile() -> EditConflict:
    # The row no longer holds the version we checked: a concurrent edit changed or deleted it
    # between our read and our write (save_if_unchanged / delete_if_unchanged wrote nothing).
    return EditConflict("Эту отметку только что изменил или удалил другой пользователь. Ваше изменение не сохранено.")


def _reason(mark, reason, window: EditWindow) -> str | None:
    if reason is not None and not isinstance(reason, str):
        raise DomainError("Выберите причину исправления из списка.", "reason")
    reason = (reason or "").strip() or None
    if reason is not None and reason not in CHANGE_REASON_LABELS:
        raise DomainError("Выберите причину исправления из списка.", "reason")
    if reason is None and window.needs_reason(mark):
        raise DomainError(
            f"Отметка поставлена {window.given_on(mark):%d.%m.%Y}, больше {window.days} дн. назад: "
            "чтобы исправить или удалить её, выберите причину.",
            "reason",
        )
    return reason


def enter_marks(
    actor,
    lesson_id,
    student_id,
    values,
    work_type_id,
    weight=None,
    comment=None,
    *,
    replace=(),
    reason=None,
    clock,
) -> list[Mark]:
    """Give a student one or several marks for a lesson in one step, all or nothing, audited.

    `values` is one mark or a list («54» typed is ["5", "4"]); each takes the work type, the
    weight (the work type's default when empty) and the comment. `replace` lists the cell's
    marks the new ones take the place of, as (mark id, change number) the user saw: each must
    still be that student's mark of that lesson as it was, and one older than the edit window
    needs `reason`. Nothing is written unless everything holds.
    """
    lesson = get_lesson(lesson_id)
    ensure_can_edit(actor, lesson)
    ensure_not_future(lesson, clock.today(), "отметки за него ставить нельзя")
    ensure_not_cancelled(lesson, "отметки за него не ставятся")
    student = lesson_student(student_id, lesson)
    values = _values(values)
    work_type = _work_type(work_type_id)
    weight = parse_weight(weight, work_type.default_weight)
    comment = _comment(comment)
    window = EditWindow.of(clock)
    replaced = []
    wanted = [parse_id(mark_id) for mark_id, _ in replace]
    found = {}
    if replace:
        ids = [number for number in wanted if number is not None]
        found = {m.id: m for m in Mark.select(Mark, WorkType).join(WorkType).where(Mark.id.in_(ids))} if ids else {}
    for number, (_, change_no) in zip(wanted, replace, strict=True):
        mark = found.get(number)
        if mark is None or mark.lesson_id != lesson.id or mark.student_id != student.id:
            raise EditConflict("Отметку, которую вы заменяете, уже удалили. Ваше изменение не сохранено.")
        _ensure_same_mark(mark, change_no, clock)
        replaced.append((mark, _reason(mark, reason, window)))
    created = []
    with one_transaction():
        for mark, why in replaced:
            before = mark.snapshot()
            if not mark.delete_if_unchanged(mark.change_no):
                raise _taken_meanwhile()
            after = {"change_reason": why} if why else None
            audit.record(actor, "delete", mark, before=before, after=after)
        now = clock.utcnow()
        for value in values:
            # The rows themselves, not their ids: the audit's text and the caller's reply read them.
            mark = Mark(
                lesson=lesson,
                student=student,
                value=value,
                work_type=work_type,
                weight=weight,
                comment=comment,
                created_by=actor.id,
                created_at=now,
            )
            mark.save(force_insert=True)
            audit.record(
                actor, "create", mark, after=mark.snapshot(), object_repr=f"{student.full_name}: {value}, {lesson}"
            )
            created.append(mark)
    return created


def add_mark(actor, lesson_id, student_id, value, work_type_id, weight=None, comment=None, *, clock) -> Mark:
    """Give a student a mark for a lesson (several marks per lesson are allowed), audited."""
    return enter_marks(actor, lesson_id, student_id, value, work_type_id, weight, comment, clock=clock)[0]


def change_mark(
    actor, mark_id, change_no, value, work_type_id, weight=None, reason=None, comment=None, *, clock
) -> Mark:
    """Change a mark's value, work type, weight or comment; an old mark needs a reason; a stale edit is refused.

    A comment of None leaves the comment as it is; an empty one clears it.
    """
    mark = _mark_with_lesson(mark_id)
    ensure_can_edit(actor, mark.lesson)
    _ensure_same_mark(mark, change_no, clock)
    value = _value(value)
    work_type = _work_type(work_type_id)
    weight = parse_weight(weight, work_type.default_weight)
    comment = mark.comment if comment is None else _comment(comment)
    reason = _reason(mark, reason, EditWindow.of(clock))
    before, seen = mark.snapshot(), mark.change_no
    with one_transaction():
        mark.value, mark.work_type, mark.weight, mark.change_reason = value, work_type, weight, reason
        mark.comment = comment
        if not mark.save_if_unchanged(seen):
            raise _taken_meanwhile()
        audit.record(actor, "update", mark, before=before, after=mark.snapshot())
    return mark


def delete_mark(actor, mark_id, change_no, reason=None, *, clock) -> Mark:
    """Delete a mark (a tombstone remains); an old mark needs a reason; a stale delete is refused.

    Returns the deleted mark, its lesson read with it (`mark.lesson`).
    """
    mark = _mark_with_lesson(mark_id)
    ensure_can_edit(actor, mark.lesson)
    _ensure_same_mark(mark, change_no, clock)
    reason = _reason(mark, reason, EditWindow.of(clock))
    before = mark.snapshot()
    with one_transaction():
        if not mark.delete_if_unchanged(mark.change_no):
            raise _taken_meanwhile()
        audit.record(actor, "delete", mark, before=before, after={"change_reason": reason} if reason else None)
    return mark


def _absence_reason(value, field: str) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError("Выберите причину пропуска из списка.", field)
    reason = (value or "").strip()
    if reason and reason not in ABSENCE_LABELS:
        raise DomainError("Выберите причину пропуска из списка.", field)
    return reason


def set_absence(actor, lesson_id, student_id, reason, expected=None, *, clock) -> Absence | None:
    """Mark a student absent with a reason, change the reason, or clear the absence ('' as reason).

    `expected` is the reason the user saw ('' for none); when the absence changed meanwhile,
    the save is refused with what it is now.
    """
    return save_absence(actor, lesson_id, student_id, reason, expected, clock=clock)[2]


def save_absence(
    actor, lesson_id, student_id, reason, expected=None, *, clock
) -> tuple[Lesson, Student, Absence | None]:
    """Save a cell's absence as set_absence does; return the lesson and student it read, and the absence now."""
    lesson = get_lesson(lesson_id)
    ensure_can_edit(actor, lesson)
    reason = _absence_reason(reason, "reason")
    if expected is not None:
        expected = _absence_reason(expected, "expected")
    # Setting a reason needs a member of the group that day; clearing also reaches one who has left.
    student = lesson_student(student_id, lesson, enrolled=bool(reason))
    current = Absence.get_or_none((Absence.lesson == lesson.id) & (Absence.student == student.id))
    if expected is not None and expected != (current.reason if current else ""):
        now = ABSENCE_LABELS[current.reason] if current else "пропуска нет"
        who = _last_change("Absence", current.id, clock) if current else "другой пользователь"
        raise EditConflict(f"Пропуск уже изменил(а) {who}: сейчас — {now}. Ваше изменение не сохранено.")
    if reason:
        ensure_not_future(lesson, clock.today(), "пропуски за него отмечать нельзя")
        ensure_not_cancelled(lesson, "пропуски за него не отмечаются")
    label = f"{student.full_name}, {lesson}"
    try:
        with one_transaction():
            if current is None and reason:
                current = Absence(lesson=lesson.id, student=student.id, reason=reason)
                current.save(force_insert=True)
                audit.record(actor, "create", current, after=current.snapshot(), object_repr=label)
            elif current is not None and not reason:
                before = current.snapshot()
                current.delete_instance()
                audit.record(actor, "delete", current, before=before, object_repr=label)
                current = None
            elif current is not None and current.reason != reason:
                before = current.snapshot()
                current.reason = reason
                current.save()
                audit.record(actor, "update", current, before=before, after=current.snapshot(), object_repr=label)
    except IntegrityError:
        # Another save created the absence between our read and our insert.
        raise EditConflict("Пропуск этого ученика только что отметил другой пользователь. Обновите ячейку.") from None
    return lesson, student, current


def ensure_cell_visible(staff, lesson_id, student_id):
    """Return the lesson and student of a cell the staff member may see, refusing otherwise.

    The student must belong to the lesson's group that day (or have entries in it): any other
    id, existing or not, gets the same answer.
    """
    lesson = get_lesson(lesson_id)
    ensure_can_see(staff, lesson)
    student = lesson_student(student_id, lesson, enrolled=False)
    return lesson, student


def lesson_students(lesson) -> list[Student]:
    """Return the members of the lesson's group on the lesson's date, by surname."""
    return groups.members_on(lesson.journal.group, lesson.date)


def lesson_sheet(lesson, *, clock) -> tuple[list[Student], dict[str, dict], dict[int, Markup]]:
    """Return the lesson's students, every filled cell as plain data keyed "student:lesson", and as HTML by student."""
    students = lesson_students(lesson)
    cells: dict[int, Cell] = {}
    for mark in mark_rows(Mark.lesson == lesson.id):
        cells.setdefault(mark.student_id, Cell()).marks.append(mark)
    for absence in Absence.select().where(Absence.lesson == lesson.id):
        cells.setdefault(absence.student_id, Cell()).absence = absence
    window = EditWindow.of(clock)
    data = {f"{sid}:{lesson.id}": cell_payload(cell.marks, cell.absence, window) for sid, cell in cells.items()}
    html = {sid: cell_html(cell.marks, cell.absence) for sid, cell in cells.items()}
    return students, data, html
