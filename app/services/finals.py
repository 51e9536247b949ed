"""Final marks (R3.2): quarter or half-year marks, the year's, the exam's and the итоговая, per journal and per class.

Each grade is attested by quarters (or trimesters) or by halves: the grades the school lists in
`SchoolSettings.half_year_grades` by the year's halves, the others by its other terms. For each
student the teacher sees the weighted average of the period's marks, their number, and the mark
the school's rounding rule recommends (`SchoolSettings.round_from`: 60 makes 2,60 a 3 and 2,59
a 2); a year mark is recommended from the period marks, the итоговая from the year and exam marks.

A term's finals lock when its term is closed; the year's, the exam's and the итоговая when the
year's last period is closed. The journal's teacher sets the finals of open periods; the deputy
sets any, and a change of a locked one needs a reason. Every save of a column is one transaction,
audited mark by mark, refused whole when one value is wrong.
"""

import datetime as dt
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from app.db import db
from app.ids import parse_id
from app.models import (
    ClassGroup,
    Enrollment,
    FinalMark,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    SchoolYear,
    Student,
    Subject,
    Term,
)
from app.models.finals import FINAL_COMMENT_MAX, FINAL_KINDS, FINAL_VALUES
from app.models.journal import MARK_CHANGE_REASONS
from app.services import access, audit, groups, school
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.journal_marks import NUMERIC_MARKS, journal_condition, weighted_mean

KIND_LABELS = dict(FINAL_KINDS)
REASON_LABELS = dict(MARK_CHANGE_REASONS)
YEAR_COLUMNS = ("year", "exam", "final")
# What a teacher may type for a final besides the scale's own values.
FINAL_SYNONYMS = {
    "на": "н/а",
    "н/a": "н/а",
    "осв": "осв.",
    "освобождён": "осв.",
    "освобождена": "осв.",
    "зачёт": "зч",
    "зачет": "зч",
    "незачёт": "нз",
    "незачет": "нз",
}


# --- periods -------------------------------------------------------------------------------


def half_year_grades(settings: SchoolSettings) -> set[int]:
    """Return the grades the school attests by halves (the setting is a list such as "10, 11")."""
    return school.grades_in(settings.half_year_grades)


def period_kind(grade: int | None, kinds: set[str], settings: SchoolSettings) -> str | None:
    """Return the term kind a grade is attested by in a year that has terms of `kinds`.

    A listed grade takes the halves when the year has them; every other grade (a multi-grade
    group too) the year's quarters or trimesters, else whatever the year has.
    """
    if not kinds:
        return None
    if grade in half_year_grades(settings) and "half" in kinds:
        return "half"
    for kind in ("quarter", "trimester", "half"):
        if kind in kinds:
            return kind
    return None


def attestation_terms(year_id, grade: int | None, settings: SchoolSettings) -> list[Term]:
    """Return the terms a grade is attested by in a school year, in order."""
    terms = list(Term.select().where(Term.year == year_id).order_by(Term.start_date))
    kind = period_kind(grade, {t.kind for t in terms}, settings)
    return [t for t in terms if t.kind == kind]


def term_for_day(day: dt.date, terms: list[Term]) -> Term | None:
    """Return the term among `terms` that contains the day, or None."""
    return next((t for t in terms if t.start_date <= day <= t.end_date), None)


def recommend(average: float | None, round_from: int) -> str | None:
    """Return the mark an average rounds to: up from `round_from` hundredths of a mark (the school's rule)."""
    if average is None:
        return None
    whole = int(average)
    fraction = round((average - whole) * 100)
    return str(max(1, min(5, whole + (1 if fraction >= round_from else 0))))


# --- one journal's finals ------------------------------------------------------------------


@dataclass
class Column:
    """A column of final marks: a term's, the year's, the exam's or the итоговая."""

    kind: str
    term: Term | None = None
    locked: bool = False
    editable: bool = False

    @property
    def key(self) -> str:
        return f"term-{self.term.id}" if self.term is not None else self.kind

    @property
    def label(self) -> str:
        return str(self.term) if self.term is not None else KIND_LABELS[self.kind].capitalize()


@dataclass
class Cell:
    """One student's final in a column, with the recommendation it was weighed against."""

    mark: FinalMark | None = None
    average: float | None = None
    count: int = 0
    recommended: str | None = None
    member: bool = True

    @property
    def value(self) -> str:
        return self.mark.value if self.mark is not None else ""


@dataclass
class Row:
    student: Student
    number: int
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class FinalSheet:
    """Students × final columns of one journal for its school year."""

    journal: Journal
    columns: list[Column]
    rows: list[Row]
    round_from: int

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def _locked(column_kind: str, term: Term | None, terms: list[Term]) -> bool:
    if column_kind == "term":
        return bool(term and term.closed)
    return bool(terms) and bool(terms[-1].closed)


def _period_columns(terms: list[Term]) -> list[Column]:
    """Return a column per attestation period, then the year's, the exam's and the итоговая, locked as their terms."""
    columns = [Column("term", t, _locked("term", t, terms)) for t in terms]
    return columns + [Column(kind, None, _locked(kind, None, terms)) for kind in YEAR_COLUMNS]


def _columns(staff, journal, terms: list[Term]) -> list[Column]:
    columns = _period_columns(terms)
    may_set = access.can_set_finals(staff, journal)
    for column in columns:
        column.editable = may_set and (not column.locked or access.can_change_locked_finals(staff))
    return columns


def final_sheet(staff, journal: Journal, *, settings: SchoolSettings | None = None) -> FinalSheet:
    """Build a journal's final-mark sheet in a fixed number of queries, whatever the size of the group or year."""
    settings = settings or SchoolSettings.load()
    year = SchoolYear.get_by_id(journal.year_id)
    terms = attestation_terms(year.id, journal.group.grade, settings)
    columns = _columns(staff, journal, terms)
    spans = groups.member_spans([journal.group], year.start_date, year.end_date)[journal.group_id]
    allowed = access.visible_members(staff, journal)
    if allowed is not None:
        spans = {sid: s for sid, s in spans.items() if sid in allowed}
    students = (
        list(
            Student.select()
            .where(Student.id.in_(list(spans)))
            .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
        )
        if spans
        else []
    )
    ids = [s.id for s in students]
    marks: dict[tuple[int, int], list] = {}
    finals: dict[tuple[int, str], FinalMark] = {}
    if ids:
        rows = (
            Mark.select(Mark.student, Mark.value, Mark.weight, Lesson.date)
            .join(Lesson)
            .where(
                journal_condition(journal.group_id, journal.subject_id)
                & Mark.student.in_(ids)
                & (Lesson.date >= year.start_date)
                & (Lesson.date <= year.end_date)
            )
            .tuples()
        )
        for student_id, value, weight, day in rows:
            term = term_for_day(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)), terms)
            if term is not None and value in NUMERIC_MARKS:
                marks.setdefault((student_id, term.id), []).append((NUMERIC_MARKS[value], weight))
        query = FinalMark.select().where(
            (FinalMark.subject == journal.subject_id) & (FinalMark.year == year.id) & FinalMark.student.in_(ids)
        )
        for mark in query:
            key = f"term-{mark.term_id}" if mark.kind == "term" else mark.kind
            finals[(mark.student_id, key)] = mark
    sheet_rows = []
    for number, student in enumerate(students, 1):
        row = Row(student, number)
        for column in columns:
            cell = Cell(mark=finals.get((student.id, column.key)))
            if column.term is not None:
                cell.member = any(
                    first <= column.term.end_date and last >= column.term.start_date
                    for first, last in spans[student.id]
                )
                given = marks.get((student.id, column.term.id), [])
                cell.average, cell.count = weighted_mean(given), len(given)
                cell.recommended = recommend(cell.average, settings.round_from)
            row.cells[column.key] = cell
        _recommend_year(row, columns, settings.round_from)
        sheet_rows.append(row)
    return FinalSheet(journal=journal, columns=columns, rows=sheet_rows, round_from=settings.round_from)


def _recommend_year(row: Row, columns: list[Column], round_from: int) -> None:
    """Recommend the year mark from the period marks, the итоговая from the year and the exam.

    The average shows as soon as one period has its final; a mark is recommended only once every
    period of the student's has one (a year is not judged on its first quarter).
    """
    periods = [row.cells[c.key] for c in columns if c.term is not None and row.cells[c.key].member]
    period = [NUMERIC_MARKS[cell.value] for cell in periods if cell.value in NUMERIC_MARKS]
    year = row.cells["year"]
    year.count = len(period)
    year.average = round(sum(period) / len(period), 2) if period else None
    complete = bool(periods) and all(cell.value for cell in periods)
    year.recommended = recommend(year.average, round_from) if complete else None
    final = row.cells["final"]
    basis = [NUMERIC_MARKS[row.cells[k].value] for k in ("year", "exam") if row.cells[k].value in NUMERIC_MARKS]
    final.count = len(basis)
    final.average = round(sum(basis) / len(basis), 2) if basis else None
    final.recommended = recommend(final.average, round_from) if row.cells["year"].value else None


def default_column(sheet: FinalSheet, today: dt.date) -> Column | None:
    """Return the column a finals page opens for editing: the latest open period with lessons by today.

    Without one, the first column the person may edit; None when they may edit none (one query).
    """
    editable = [c for c in sheet.columns if c.editable]
    if not editable:
        return None
    journal = sheet.journal
    condition = journal_condition(journal.group_id, journal.subject_id) & (Lesson.date <= today)
    days = [row[0] for row in Lesson.select(Lesson.date).where(condition).distinct().tuples()]
    days = [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in days]
    taught = [
        c
        for c in editable
        if c.term is not None and not c.locked and any(c.term.start_date <= d <= c.term.end_date for d in days)
    ]
    return taught[-1] if taught else editable[0]


def _value(raw) -> str:
    if raw is not None and not isinstance(raw, str):
        raise DomainError(f"Такой итоговой отметки нет. Допустимы: {', '.join(FINAL_VALUES)}.", "value")
    text = " ".join((raw or "").split()).lower()
    text = FINAL_SYNONYMS.get(text, text)
    if text and text not in FINAL_VALUES:
        raise DomainError(f"«{text[:10]}» — такой итоговой отметки нет. Допустимы: {', '.join(FINAL_VALUES)}.", "value")
    return text


def save_finals(
    actor, journal_id, column_key, values: dict, *, clock, reason=None, comments: dict | None = None, settings=None
) -> int:
    """Set one column of a journal's finals from {student id: value ('' clears)}; return how many changed.

    `comments` ({student id: text}) says why a final differs from the recommended mark; a
    student left out keeps their comment. All or nothing: a value off the scale, a student who is
    not in the group during the period, a comment without a mark, a locked column without the
    right or without a reason — nothing is written.
    """
    journal = groups.get_journal(journal_id)
    if not access.can_open_journal(actor, journal):
        raise AccessDenied("Этот журнал вам недоступен.")
    sheet = final_sheet(actor, journal, settings=settings)
    column = sheet.column(str(column_key or ""))
    if column is None:
        raise NotFound("Такого столбца итоговых отметок в журнале нет.")
    if access.year_is_past(journal.year_id):
        raise AccessDenied("Учебный год этого журнала завершён: итоговые отметки доступны только для чтения.")
    if not access.can_set_finals(actor, journal):
        raise AccessDenied("Итоговые отметки выставляет учитель, который ведёт журнал, или заместитель директора.")
    if column.locked and not column.editable:
        raise AccessDenied(
            f"Период «{column.label}» закрыт: итоговые отметки меняет только заместитель директора с указанием причины."
        )
    rows = {row.student.id: row for row in sheet.rows}
    values = {parse_id(raw_id): raw for raw_id, raw in values.items()}
    comments = {parse_id(raw_id): text for raw_id, text in (comments or {}).items()}
    changes = []
    for student_id in dict.fromkeys([*values, *comments]):
        row = rows.get(student_id)
        cell = row.cells[column.key] if row is not None else None
        if cell is None or not cell.member:
            raise DomainError("Ученик не числится в группе журнала в этот период: итоговая отметка ему не ставится.")
        try:
            value = _value(values.get(student_id, cell.value))
        except DomainError as exc:
            raise DomainError(f"{row.student.full_name}: {exc.message}", f"value-{student_id}") from None
        saved_comment = cell.mark.comment if cell.mark is not None else None
        comment = _comment(comments[student_id], row.student) if student_id in comments else saved_comment
        if comment and not value:
            raise DomainError(
                f"{row.student.full_name}: комментарий без отметки не сохраняется — поставьте отметку или сотрите его.",
                f"comment-{student_id}",
            )
        if value != cell.value or (value and comment != saved_comment):
            changes.append((row.student, cell.mark, value, comment))
    if not changes:
        return 0
    reason = _reason(column, reason)
    with db.atomic():
        for student, mark, value, comment in changes:
            _write(actor, journal, column, student, mark, value, comment, reason, clock.utcnow())
    return len(changes)


def _comment(raw, student) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise DomainError(f"{student.full_name}: комментарий — это текст.", f"comment-{student.id}")
    text = " ".join((raw or "").split())
    if len(text) > FINAL_COMMENT_MAX:
        raise DomainError(
            f"{student.full_name}: комментарий длиннее {FINAL_COMMENT_MAX} знаков — сократите его.",
            f"comment-{student.id}",
        )
    return text or None


def _reason(column: Column, reason) -> str | None:
    if not column.locked:
        return None
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if reason not in REASON_LABELS:
        raise DomainError(
            f"Период «{column.label}» закрыт: чтобы изменить итоговые отметки, выберите причину.", "reason"
        )
    return reason


def _write(actor, journal, column: Column, student, mark: FinalMark | None, value: str, comment, reason, at) -> None:
    label = f"{student.full_name}, {journal.subject}, {column.label}"
    if mark is not None and not value:
        before = mark.snapshot()
        mark.delete_instance()
        audit.record(
            actor, "delete", mark, before=before, after={"change_reason": reason} if reason else None, object_repr=label
        )
        return
    if mark is None:
        mark = FinalMark(
            year=journal.year_id,
            student=student.id,
            subject=journal.subject_id,
            kind=column.kind,
            term=column.term.id if column.term is not None else None,
            journal=journal.id,
            value=value,
            comment=comment,
            change_reason=reason,
            set_by=actor.id,
            set_at=at,
        )
        mark.save(force_insert=True)
        audit.record(actor, "create", mark, after=mark.snapshot(), object_repr=label)
        return
    before = mark.snapshot()
    mark.value, mark.comment, mark.journal, mark.change_reason = value, comment, journal.id, reason
    mark.set_by, mark.set_at = actor.id, at
    mark.save()
    audit.record(actor, "update", mark, before=before, after=mark.snapshot(), object_repr=label)


# --- a class's finals: students × subjects × periods ---------------------------------------


@dataclass
class ClassFinals:
    """A class's final marks for a school year: its students × the subjects of their journals × the columns."""

    class_group: ClassGroup
    columns: list[Column]
    subjects: list[Subject]
    students: list[Student]
    values: dict[tuple[int, int, str], str]

    def value(self, student_id: int, subject_id: int, key: str) -> str:
        return self.values.get((student_id, subject_id, key), "")

    def rows_html(self, weak) -> Markup:
        """Render the page's body: a row per student, a cell per subject and column, `weak` values marked.

        Built in Python, not in the template: 30 students × 15 subjects × 7 columns are three
        thousand cells, and a Jinja loop costs several times the page's SQL on them.
        """
        classes = [
            "cval" + (" cstart" if index == 0 else "") + (" cyear" if column.term is None else "")
            for index, column in enumerate(self.columns)
        ]
        # A column holds a handful of distinct values: each cell's HTML is made once per column.
        columns = [(column.key, css, {}) for column, css in zip(self.columns, classes, strict=True)]
        values, out = self.values, []
        for number, student in enumerate(self.students, 1):
            sid = student.id
            out.append(
                f'<tr data-s="{sid}"><td class="cnum">{number}</td>'
                f'<th class="cname" scope="row">{escape(student.last_name)} {escape(student.first_name)}</th>'
            )
            for subject in self.subjects:
                for key, css, made in columns:
                    value = values.get((sid, subject.id, key), "")
                    html = made.get(value)
                    if html is None:
                        weak_css = " cweak" if value in weak else ""
                        html = made[value] = f'<td class="{css}{weak_css}">{escape(value)}</td>'
                    out.append(html)
            out.append("</tr>")
        return Markup("".join(out))


def get_class(class_id) -> ClassGroup:
    number = parse_id(class_id)
    found = ClassGroup.get_or_none(ClassGroup.id == number) if number is not None else None
    if found is None:
        raise NotFound("Класс не найден.")
    return found


def class_finals(staff, class_id, *, settings: SchoolSettings | None = None) -> ClassFinals:
    """Return a class's finals page in a fixed number of queries; for the class teacher, the deputy and the head."""
    class_group = get_class(class_id)
    if not access.can_view_class_finals(staff, class_group):
        raise AccessDenied("Итоговые отметки класса видят классный руководитель, заместитель директора и директор.")
    return class_finals_of(class_group, settings=settings or SchoolSettings.load())


def class_finals_of(class_group: ClassGroup, *, settings: SchoolSettings) -> ClassFinals:
    """Read a class's finals (students × subjects × periods) in a fixed number of queries; the caller checked access."""
    year = SchoolYear.get_by_id(class_group.year_id)
    terms = attestation_terms(year.id, class_group.grade, settings)
    columns = _period_columns(terms)
    enrolled = Enrollment.select(Enrollment.student).where(Enrollment.class_group == class_group.id)
    students = list(
        Student.select()
        .where(Student.id.in_(enrolled))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
    )
    subject_ids = (
        Journal.select(Journal.subject)
        .where(Journal.id.in_(access.journals_of_classes([class_group.id])) & (Journal.kind == "lesson"))
        .distinct()
    )
    subjects = list(Subject.select().where(Subject.id.in_(subject_ids)).order_by(Subject.name))
    values = {}
    query = FinalMark.select(
        FinalMark.student, FinalMark.subject, FinalMark.kind, FinalMark.term, FinalMark.value
    ).where((FinalMark.year == year.id) & FinalMark.student.in_(enrolled))
    for student_id, subject_id, kind, term_id, value in query.tuples():
        values[(student_id, subject_id, f"term-{term_id}" if kind == "term" else kind)] = value
    return ClassFinals(class_group, columns, subjects, students, values)


def class_groups_of(staff, year) -> list[ClassGroup]:
    """Return the classes of a year whose finals page the staff member may open, by grade and letter."""
    query = ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter)
    if not access.can_view_every_class_finals(staff):
        query = query.where(ClassGroup.class_teacher == staff.id)
    return list(query)
