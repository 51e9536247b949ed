"""The journal printed like the paper one (issue 11, letter АП-147/07): a PDF per journal and period.

A4 landscape, as the paper class journal: *marks pages* (students × lesson dates, day numbers
under month headings, marks and absence codes in the cells, the period's finals at the right, a
narrow «№», 30 students a sheet; dates that do not fit one sheet's width go on to the next with
the names repeated) and *topics pages* (date, topic, homework, the kinds of work marked, the teacher
who gave the lesson with substitutions noted, a signature column), the header (school, class or
group, subject, teachers, year, period), the legend of codes under every marks page and the
signature lines at the end. Drawn with `app.documents.Document` (fpdf2, the bundled DejaVu).

The data is read in a fixed number of queries per journal whatever the period (the grid's plain
rows: `journal_marks.lesson_rows`, `mark_rows`, `groups.member_spans`). A person prints a journal
exactly when they may open it (`access.can_open_journal`), and sees its lessons and students as the
grid shows them (`access.scope`, `access.visible_members`); the year archive draws every journal
whole (`draw_journal` with `collect(..., staff=None)`, checked by the archive's own permission).
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from app.documents import Column, Document, MatrixCell, MatrixColumn, Section
from app.formats import format_date, month_label
from app.models import Absence, ClassGroup, FinalMark, Lesson, Mark, SchoolSettings, SchoolYear, Staff, Student
from app.models.people import short_name
from app.services import access, finals, groups, journal
from app.services.errors import NotFound
from app.services.journal_marks import (
    ABSENCE_CODES,
    ABSENCE_LABELS,
    AbsenceRow,
    format_weight,
    journal_condition,
    lesson_rows,
    mark_rows,
)

YEAR_KEY = "year"
# Short headers of the finals columns, narrow enough for a marks page.
TERM_SHORT = {"quarter": "ч.", "trimester": "тр.", "half": "пол."}
YEAR_SHORT = {"year": "Год", "exam": "Экз.", "final": "Итог"}
FINALS_GROUP = "Итоги"
# The sheet: 30 students fit one A4 landscape page under the header, with the legend below.
ROWS_PER_PAGE = 30
ROW_HEIGHT = 4.8
FONT_SIZE = 7.5
NUMBER_WIDTH = 6
NAME_WIDTH = 50
DATE_WIDTH = 6.5
FINAL_WIDTH = 8.5
MARGIN = 10
CREDIT_MARKS = "зч — зачёт, нз — незачёт"


@dataclass(frozen=True)
class Period:
    """What a print covers: a month, an attestation term or the school year, and the finals it shows."""

    key: str
    label: str
    start: dt.date
    end: dt.date
    # The finals columns shown on the marks pages: (key as FinalMark reads it, short header).
    finals: tuple[tuple[str, str], ...] = ()


def _term_short(term) -> str:
    return f"{term.number} {TERM_SHORT.get(term.kind, '')}".strip()


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def periods(book, settings: SchoolSettings) -> list[Period]:
    """Return the periods a journal can be printed for: each month of its year, each attestation term, the year.

    A month shows the finals of the terms that end in it (and the year's in the year's last month);
    a term its own; the year every term's, the year's, the exam's and the итоговая.
    """
    year = SchoolYear.get_by_id(book.year_id)
    terms = finals.attestation_terms(year.id, book.group.grade, settings)
    year_columns = tuple((kind, YEAR_SHORT[kind]) for kind in finals.YEAR_COLUMNS)
    found = []
    for first in _months(year.start_date, year.end_date):
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        shown = tuple((f"term-{t.id}", _term_short(t)) for t in terms if first <= t.end_date <= last)
        if first <= year.end_date <= last:
            shown += year_columns
        found.append(
            Period(f"{first:%Y-%m}", month_label(first), max(first, year.start_date), min(last, year.end_date), shown)
        )
    for term in terms:
        found.append(
            Period(
                f"term-{term.id}", str(term), term.start_date, term.end_date, ((f"term-{term.id}", _term_short(term)),)
            )
        )
    term_columns = tuple((f"term-{t.id}", _term_short(t)) for t in terms)
    found.append(
        Period(YEAR_KEY, f"{year.name} учебный год", year.start_date, year.end_date, term_columns + year_columns)
    )
    return found


def period_of(book, key, settings: SchoolSettings) -> Period:
    """Return the journal's period named by `key` («2026-11», «term-3», «year»), else refuse with NotFound."""
    for period in periods(book, settings):
        if period.key == key:
            return period
    raise NotFound("Такого периода в учебном году журнала нет: выберите месяц, четверть (полугодие) или год.")


def default_period_key(book, today: dt.date, settings: SchoolSettings) -> str:
    """Return the month of today when it is in the journal's year, else the whole year."""
    key = f"{today:%Y-%m}"
    return key if any(p.key == key for p in periods(book, settings)) else YEAR_KEY


# --- the data of one print -----------------------------------------------------------------


@dataclass
class PrintStudent:
    number: int
    id: int
    name: str
    note: str
    spans: list

    def member_on(self, day: dt.date) -> bool:
        return any(first <= day and (last is None or day <= last) for first, last in self.spans)


@dataclass
class PrintLesson:
    row: object  # journal_marks.LessonRow
    planned_name: str
    replaced: bool  # given in place of another subject's lesson of the group

    @property
    def date(self) -> dt.date:
        return self.row.date


@dataclass
class JournalPrint:
    """Everything a journal's print shows, read once."""

    school_name: str
    title: str  # «5А · Математика» / «Группа 5А англ. 1 · Английский язык»
    group_line: str
    subject: str
    teachers: list[str]
    year_name: str
    period: Period
    students: list[PrintStudent]
    lessons: list[PrintLesson]
    # (student id, lesson id) -> (absence reason or None, [(value, weight, work type name)])
    cells: dict[tuple[int, int], tuple]
    final_values: dict[tuple[int, str], str]
    today: dt.date
    work_types: dict[str, set] = field(default_factory=dict)

    @property
    def footer(self) -> str:
        return f"{self.title} · {self.year_name} · {self.period.label}"


def _name_note(spans, period: Period, year_end: dt.date) -> str:
    """«выб. 20.11» for a student who left the group before the period's end, «приб. 05.11» for one who came later."""
    notes = []
    first, last = spans[0][0], spans[-1][1]
    if first > period.start:
        notes.append(f"приб. {first:%d.%m}")
    if last is not None and last < period.end and last < year_end:
        notes.append(f"выб. {last:%d.%m}")
    return ", ".join(notes)


def collect(book, period: Period, *, settings: SchoolSettings, today: dt.date, staff=None) -> JournalPrint:
    """Read a journal's print for a period in a fixed number of queries.

    With `staff`, the lessons and students are those the person sees in the grid; without, the
    whole journal (the year archive, whose builder's permission was checked when it was asked for).
    """
    group = book.group
    year = SchoolYear.get_by_id(book.year_id)
    lesson_query = (
        Lesson.select()
        .where(
            journal_condition(book.group_id, book.subject_id)
            & (Lesson.date >= period.start)
            & (Lesson.date <= period.end)
        )
        .order_by(Lesson.date, Lesson.number, Lesson.id)
    )
    if staff is not None:
        lesson_query = access.scope(lesson_query, staff, Lesson)
    rows = lesson_rows(lesson_query)
    planned_ids = {row.planned_teacher_id for row in rows if row.is_substitution}
    planned = {}
    if planned_ids:
        names = Staff.select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name).where(
            Staff.id.in_(sorted(planned_ids))
        )
        planned = {sid: short_name(last, first, middle) for sid, last, first, middle in names.tuples()}
    lessons = [PrintLesson(row, planned.get(row.planned_teacher_id, ""), row.journal_id != book.id) for row in rows]

    spans = groups.member_spans([group], period.start, period.end)[group.id]
    if staff is not None:
        allowed = access.visible_members(staff, book)
        if allowed is not None:
            spans = {sid: s for sid, s in spans.items() if sid in allowed}
    students = []
    if spans:
        query = (
            Student.select(Student.id, Student.last_name, Student.first_name, Student.middle_name)
            .where(Student.id.in_(list(spans)))
            .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
        )
        for number, (sid, last, first, _middle) in enumerate(query.tuples(), 1):
            student_spans = sorted(spans[sid])
            students.append(
                PrintStudent(
                    number, sid, f"{last} {first}", _name_note(student_spans, period, year.end_date), student_spans
                )
            )
    ids = {s.id for s in students}

    cells: dict[tuple[int, int], tuple] = {}
    work_types: dict[str, set] = {}
    lesson_ids = [lesson.row.id for lesson in lessons]
    if lesson_ids and ids:
        for mark in mark_rows(Mark.lesson.in_(lesson_ids)):
            if mark.student_id in ids:
                absence, marks = cells.setdefault((mark.student_id, mark.lesson_id), (None, []))
                marks.append((mark.value, mark.weight, mark.work_type_name))
                work_types.setdefault(mark.work_type_name, set()).add(mark.weight)
        absences = Absence.select(Absence.lesson, Absence.student, Absence.reason).where(Absence.lesson.in_(lesson_ids))
        for absence in map(AbsenceRow._make, absences.tuples()):
            if absence.student_id in ids:
                _, marks = cells.get((absence.student_id, absence.lesson_id), (None, []))
                cells[(absence.student_id, absence.lesson_id)] = (absence.reason, marks)

    final_values = {}
    if period.finals and ids:
        query = FinalMark.select(FinalMark.student, FinalMark.kind, FinalMark.term, FinalMark.value).where(
            (FinalMark.subject == book.subject_id) & (FinalMark.year == year.id) & FinalMark.student.in_(sorted(ids))
        )
        for student_id, kind, term_id, value in query.tuples():
            final_values[(student_id, f"term-{term_id}" if kind == "term" else kind)] = value

    teachers = [t.short_name for t in groups.teachers_of([book.id])[book.id]]
    if group.is_whole_class:
        title = f"{group.name} · {book.subject.name}"
        group_line = f"Класс {group.name}"
    else:
        title = f"{group.name} · {book.subject.name}"
        of_class = ClassGroup.get_or_none(ClassGroup.id == group.class_group_id) if group.class_group_id else None
        group_line = f"Группа «{group.name}»" + (f" ({of_class} класс)" if of_class else "")
    return JournalPrint(
        school_name=settings.name,
        title=title,
        group_line=group_line,
        subject=book.subject.name,
        teachers=teachers,
        year_name=year.name,
        period=period,
        students=students,
        lessons=lessons,
        cells=cells,
        final_values=final_values,
        today=today,
        work_types=work_types,
    )


# --- drawing -------------------------------------------------------------------------------


def _cell(data: JournalPrint, student: PrintStudent, lesson: PrintLesson) -> MatrixCell:
    if lesson.row.cancelled or not student.member_on(lesson.date):
        return MatrixCell("", shaded=True)
    reason, marks = data.cells.get((student.id, lesson.row.id), (None, []))
    parts = [ABSENCE_CODES.get(reason, "н")] if reason else []
    if marks:
        parts.append("/".join(value for value, _, _ in marks))
    return MatrixCell(" ".join(parts), bold=any(weight > 1 for _, weight, _ in marks))


def legend_lines(data: JournalPrint) -> list[str]:
    """The legend under a marks page: the absence codes, the marks, the kinds of work marked and their weights."""
    absences = "; ".join(f"{ABSENCE_CODES[code]} — {label}" for code, label in ABSENCE_LABELS.items())
    lines = [
        f"Обозначения. Пропуски: {absences}.",
        f"Отметки: 5, 4, 3, 2, 1; {CREDIT_MARKS}; несколько отметок за урок — через «/»; "
        "жирным — работа с весом больше 1. "
        "Серая клетка — урок отменён или ученик в этот день не в группе (классе).",
    ]
    if data.work_types:
        kinds = "; ".join(
            f"{name} — вес {', '.join(format_weight(w) for w in sorted(weights))}"
            for name, weights in sorted(data.work_types.items())
        )
        lines.append(f"Виды работ: {kinds}.")
    return lines


def _header(pdf: Document, data: JournalPrint, what: str) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.fitted_cell(0, 5, data.school_name, size=10, style="B", new_x="LMARGIN", new_y="NEXT", align="C")
    line = f"Классный журнал · {data.group_line} · {data.subject} · {data.year_name} учебный год · {data.period.label}"
    pdf.fitted_cell(0, 4.5, line, size=9, style="B", new_x="LMARGIN", new_y="NEXT", align="C")
    teachers = ", ".join(data.teachers) or "не назначен"
    pdf.fitted_cell(0, 4, f"{what}. Учитель: {teachers}", size=8, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(1)


def _marks_pages(pdf: Document, data: JournalPrint) -> None:
    columns = [MatrixColumn(f"{lesson.date.day:02d}", month_label(lesson.date), DATE_WIDTH) for lesson in data.lessons]
    columns += [MatrixColumn(label, FINALS_GROUP, FINAL_WIDTH) for _, label in data.period.finals]
    rows = []
    for student in data.students:
        name = f"{student.name} ({student.note})" if student.note else student.name
        cells = [_cell(data, student, lesson) for lesson in data.lessons]
        cells += [MatrixCell(data.final_values.get((student.id, key), ""), bold=True) for key, _ in data.period.finals]
        rows.append(([str(student.number), name], cells))
    legend = legend_lines(data)

    def after_page():
        pdf.ln(1.5)
        for line in legend:
            pdf.set_x(pdf.l_margin)
            pdf.set_font("DejaVu", size=6.5)
            pdf.multi_cell(0, 3, line, new_x="LMARGIN", new_y="NEXT")

    pdf.matrix(
        heads=[Column("№", NUMBER_WIDTH, "C"), Column("Фамилия, имя ученика", NAME_WIDTH, "L")],
        columns=columns,
        rows=rows,
        rows_per_page=ROWS_PER_PAGE,
        row_height=ROW_HEIGHT,
        font_size=FONT_SIZE,
        on_page=lambda: _header(pdf, data, "Учёт успеваемости и посещаемости"),
        after_page=after_page,
    )
    if not data.students:
        pdf.line_text("Учеников в этом периоде нет.", 8)


def _teacher_text(lesson: PrintLesson) -> str:
    row = lesson.row
    if row.is_substitution:
        return f"{row.teacher_name} (замена; по расписанию {lesson.planned_name})"
    return row.teacher_name


def _topic_text(data: JournalPrint, lesson: PrintLesson) -> str:
    row = lesson.row
    text = row.topic or ""
    if row.cancelled:
        text = f"Урок отменён: {row.cancel_reason}" if row.cancel_reason else "Урок отменён"
    elif not row.held and row.date <= data.today:
        text = f"{text} (не отмечен как проведённый)".strip()
    if lesson.replaced:
        text = f"{text} (проведён вместо урока другого предмета)".strip()
    return text


def topics_section(data: JournalPrint) -> Section:
    """The topics pages as a table: date, lesson number, topic, homework, kinds of work marked, teacher, signature."""
    kinds_by_lesson: dict[int, dict[str, set]] = {}
    for (_, lesson_id), (_, marks) in data.cells.items():
        for _, weight, name in marks:
            kinds_by_lesson.setdefault(lesson_id, {}).setdefault(name, set()).add(weight)
    rows = []
    for lesson in data.lessons:
        kinds = kinds_by_lesson.get(lesson.row.id, {})
        kinds_text = "; ".join(
            f"{name} ({', '.join(format_weight(w) for w in sorted(weights))})"
            for name, weights in sorted(kinds.items())
        )
        rows.append(
            (
                format_date(lesson.date),
                lesson.row.number,
                _topic_text(data, lesson),
                lesson.row.homework or "",
                kinds_text,
                _teacher_text(lesson),
                "",
            )
        )
    return Section(
        "",
        [
            Column("Дата", 1.6, "C"),
            Column("Урок", 0.9, "C"),
            Column("Что пройдено на уроке", 6),
            Column("Домашнее задание", 4.5),
            Column("Виды работ (вес)", 2.8),
            Column("Урок провёл", 3),
            Column("Подпись", 1.6),
        ],
        rows,
        empty="Уроков в этом периоде нет.",
    )


def draw_journal(pdf: Document, data: JournalPrint) -> None:
    """Draw a journal's print into a document: marks pages, topics pages, signature lines."""
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.footer_text = data.footer
    _marks_pages(pdf, data)
    pdf.add_page()
    _header(pdf, data, "Содержание уроков и домашние задания")
    pdf.table_section(topics_section(data), font_size=7.5)
    teachers = ", ".join(data.teachers)
    pdf.signature_lines([f"Учитель {teachers}".strip(), "Заместитель директора по УВР"])


def file_name(data: JournalPrint) -> str:
    """The PDF's download name: «Журнал 5А Математика ноябрь 2026.pdf» without characters a file system refuses."""
    name = f"Журнал {data.title.replace(' · ', ' ')} {data.period.label}"
    return "".join("-" if ch in '/\\:*?"<>|' else ch for ch in name) + ".pdf"


def journal_pdf(staff, journal_id, period_key, *, clock, settings: SchoolSettings | None = None) -> tuple[bytes, str]:
    """Return a journal's print for a period as PDF bytes and its file name, for a person who may open the journal."""
    book = journal.get_journal(journal_id)
    journal.ensure_may_open_journal(staff, book)
    settings = settings or SchoolSettings.load()
    today = clock.today()
    key = period_key or default_period_key(book, today, settings)
    period = period_of(book, key, settings)
    data = collect(book, period, settings=settings, today=today, staff=staff)
    pdf = Document(landscape=True)
    pdf.set_title(data.footer)
    draw_journal(pdf, data)
    return pdf.bytes(), file_name(data)
