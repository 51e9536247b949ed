"""Completeness rules (R3.2, R4.1): what the journal of a span of days still lacks, found by set queries.

Each rule is one function with a stable code and a Russian title, registered in RULES. It reads
a `_Run` — the scope (the whole school, a grade, a class or a teacher's work in a school year),
the days checked, today, the school's settings, its holidays and terms — and returns Findings:
what is wrong in Russian, whom it concerns (the teacher responsible, the journal, the lesson or
the students) and where to fix it. A rule costs a fixed number of queries whatever the number of
lessons in its scope: it never asks per lesson or per student.

Whom a finding concerns: a lesson's finding the teacher who gave it (the substitute for a
substitution); a journal's finding (marks, finals) the journal's first teacher, or the teacher
whose work is checked. The rules count only what a person can be held to:
- a lesson on a holiday or cancelled (with its reason) is never «not held»;
- a student counts in a journal only on the days they are a member of its group (a student who
  joined mid-month, moved between the groups of a split or left);
- a replaced lesson counts in the group's journal of the subject given instead;
- the number of marks a student should have by a day is the school's minimum for the period pro
  rata: `min_marks` × (held lessons they attended) / (lessons planned in the period), rounded down;
- a lesson is filled late when it was marked held after the end of the next working day (a day
  of the week the school's timetable has lessons on, not a holiday).
"""

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from peewee import JOIN, fn

from app.db import db, id_list
from app.formats import format_date
from app.models import (
    Absence,
    FinalMark,
    Holiday,
    HomeworkExpectation,
    HomeworkFile,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    Staff,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
)
from app.models.people import short_name
from app.services import access, finals, groups, school
from app.services.journal_marks import NUMERIC_MARKS, WEIGHT_PLACES, format_average

SCOPE_KINDS = (
    ("school", "вся школа"),
    ("grade", "параллель"),
    ("class", "класс"),
    ("teacher", "учитель"),
)
# The days of the week (ISO numbers) counted as working when the year's timetable has no slots.
DEFAULT_WORKING_DAYS = frozenset({1, 2, 3, 4, 5})
# How many students' names a finding of a journal lists before «и ещё N».
NAMES_SHOWN = 5


@dataclass(frozen=True)
class Scope:
    """What a check looks at in a school year: the whole school, a grade, a class or a teacher's work."""

    year_id: int
    kind: str = "school"
    value: int | None = None

    def __post_init__(self):
        if self.kind not in dict(SCOPE_KINDS):
            raise ValueError(f"Unknown scope kind {self.kind!r}")
        if (self.kind == "school") != (self.value is None):
            raise ValueError("A school scope takes no value; the other kinds take one")


@dataclass(frozen=True)
class Finding:
    """One thing a rule found: what is wrong, whom it concerns and where it is fixed.

    `key` identifies it across runs (a dismissed finding is recognised by it): the rule, the
    journal and the lesson, or the journal and the period, or the final's student.
    """

    code: str
    text: str
    journal_id: int
    teacher_id: int | None
    lesson_id: int | None = None
    day: dt.date | None = None
    term_id: int | None = None
    student_ids: tuple[int, ...] = ()
    # Where a lesson's finding is, «05.11.2026, 1 урок» (the start of `text`); None for a journal's.
    place: str | None = None

    @property
    def key(self) -> str:
        place = self.lesson_id if self.lesson_id is not None else f"t{self.term_id or ''}"
        students = ",".join(str(s) for s in self.student_ids) if self.code == "final_off" else ""
        return f"{self.code}:{self.journal_id}:{place}:{students}"

    @property
    def title(self) -> str:
        return RULES[self.code].title

    @property
    def detail(self) -> str:
        """What the text says besides its place, or nothing when that is the rule's title again."""
        what = self.text[len(self.place) + 2 :] if self.place else self.text
        return "" if what.casefold() == self.title.casefold() else what


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    find: Callable[["_Run"], list[Finding]]


RULES: dict[str, Rule] = {}


def rule(code: str, title: str):
    """Register a rule function under its stable code, in the order the rules are listed."""

    def register(function):
        RULES[code] = Rule(code, title, function)
        return function

    return register


@dataclass
class _Run:
    """What every rule of one check reads, fetched once: the scope's journals, holidays, terms, settings."""

    scope: Scope
    start: dt.date
    end: dt.date
    today: dt.date
    clock: object
    settings: SchoolSettings
    journals: dict[int, Journal] = field(default_factory=dict)
    holidays: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    # The journals whose marks and finals the scope answers for (a teacher's own; None: all of them).
    own: set[int] | None = None
    _teachers: dict[int, int] | None = None
    _names: dict[int, str] = field(default_factory=dict)

    @property
    def teacher_id(self) -> int | None:
        return self.scope.value if self.scope.kind == "teacher" else None

    # --- lessons ---------------------------------------------------------------------------

    def lesson_condition(self, until: dt.date | None = None):
        """Lessons of the scope between the check's first day and `until` (its last), not on a holiday."""
        condition = Lesson.journal.in_(id_list(self.journals)) & Lesson.date.between(self.start, until or self.end)
        if self.teacher_id is not None:
            condition &= Lesson.teacher == self.teacher_id
        for first, last in self.holidays:
            condition &= ~Lesson.date.between(first, last)
        return condition

    def lessons(self, *columns):
        return Lesson.select(Lesson.id, Lesson.journal, Lesson.teacher, Lesson.date, Lesson.number, *columns)

    def lesson_finding(self, code: str, row, text: str) -> Finding:
        lesson_id, journal_id, teacher_id, day, number = row[:5]
        place = f"{format_date(_date(day))}, {number} урок"
        return Finding(
            code, f"{place}: {text}", journal_id, teacher_id, lesson_id=lesson_id, day=_date(day), place=place
        )

    # --- journals --------------------------------------------------------------------------

    def lesson_journals(self) -> dict[int, Journal]:
        """The scope's journals of lessons (урочная деятельность): extracurricular ones have no marks or finals."""
        return {
            jid: j
            for jid, j in self.journals.items()
            if not j.is_extracurricular and (self.own is None or jid in self.own)
        }

    def responsible(self, journal_id: int) -> int | None:
        """The teacher a journal's finding goes to: the checked teacher, else the journal's first teacher."""
        if self.teacher_id is not None:
            return self.teacher_id
        if self._teachers is None:
            query = (
                TeachingAssignment.select(TeachingAssignment.journal, TeachingAssignment.teacher)
                .where(TeachingAssignment.journal.in_(id_list(self.journals)))
                .order_by(TeachingAssignment.id.desc())
                .tuples()
            )
            self._teachers = dict(query)  # the lowest id, written last, wins
        return self._teachers.get(journal_id)

    def period_terms(self, journal: Journal) -> list[Term]:
        """The terms a journal's group is attested by (quarters or halves, by its grade)."""
        kind = finals.period_kind(journal.group.grade, {t.kind for t in self.terms}, self.settings)
        return [t for t in self.terms if t.kind == kind]

    def names(self, student_ids) -> dict[int, str]:
        """Students' short names, read once for all the findings that list them."""
        missing = sorted(set(student_ids) - self._names.keys())
        if missing:
            query = Student.select(Student.id, Student.last_name, Student.first_name, Student.middle_name)
            for sid, last, first, middle in query.where(Student.id.in_(id_list(missing))).tuples():
                self._names[sid] = short_name(last, first, middle)
        return self._names

    def listing(self, student_ids, detail: dict[int, str] | None = None) -> str:
        """«Иванов И.И., Петрова А.С. и ещё 3», sorted by name, each with its detail when given."""
        names = self.names(student_ids)
        ordered = sorted(student_ids, key=lambda sid: (names.get(sid, ""), sid))
        shown = [names.get(sid, "?") + (f" ({detail[sid]})" if detail and sid in detail else "") for sid in ordered]
        text = ", ".join(shown[:NAMES_SHOWN])
        return text + (f" и ещё {len(shown) - NAMES_SHOWN}" if len(shown) > NAMES_SHOWN else "")

    # --- days ------------------------------------------------------------------------------

    def on_holiday(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.holidays)

    def fill_deadline(self, day: dt.date, working: frozenset[int]) -> dt.datetime:
        """The stored (UTC) instant a lesson of `day` should be filled by: the end of the next working day."""
        following = day + dt.timedelta(days=1)
        for _ in range(60):  # a holiday longer than two months would be a mistake of the calendar
            if following.isoweekday() in working and not self.on_holiday(following):
                break
            following += dt.timedelta(days=1)
        return self.clock.stored_from_local(following + dt.timedelta(days=1))


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _plural(number: int, one: str, few: str, many: str) -> str:
    """Russian noun after a number: 1 ученик, 2 ученика, 5 учеников."""
    if number % 10 == 1 and number % 100 != 11:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


# --- the rules, in the order a check lists them ------------------------------------------------


@rule("not_held", "Урок не отмечен проведённым")
def not_held(run: _Run) -> list[Finding]:
    """A lesson whose day is over, neither marked held nor cancelled (nor on a holiday)."""
    until = min(run.end, run.today - dt.timedelta(days=1))
    if until < run.start:
        return []
    query = run.lessons().where(run.lesson_condition(until) & (Lesson.held == False) & (Lesson.cancelled == False))  # noqa: E712
    return [run.lesson_finding("not_held", row, "урок не отмечен проведённым") for row in query.tuples()]


@rule("no_topic", "Не указана тема урока")
def no_topic(run: _Run) -> list[Finding]:
    """A held lesson without a topic."""
    blank = Lesson.topic.is_null() | (fn.TRIM(Lesson.topic) == "")
    query = run.lessons().where(run.lesson_condition() & (Lesson.held == True) & blank)  # noqa: E712
    return [run.lesson_finding("no_topic", row, "не указана тема урока") for row in query.tuples()]


@rule("no_homework", "Не задано домашнее задание")
def no_homework(run: _Run) -> list[Finding]:
    """A held lesson of a subject and grade the school expects homework in, with neither text nor file."""
    expected = [(e.subject_id, school.grades_in(e.grades)) for e in HomeworkExpectation.select()]
    expected = [(subject_id, grades) for subject_id, grades in expected if grades]
    if not expected:
        return []
    subject = fn.COALESCE(Lesson.replacement_subject, Journal.subject)
    wanted = None
    for subject_id, grades in expected:
        condition = (subject == subject_id) & StudyGroup.grade.in_(sorted(grades))
        wanted = condition if wanted is None else wanted | condition
    query = (
        run.lessons()
        .join(Journal, on=(Journal.id == Lesson.journal))
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .join(HomeworkFile, JOIN.LEFT_OUTER, on=(HomeworkFile.lesson == Lesson.id))
        .where(
            run.lesson_condition()
            & (Lesson.held == True)  # noqa: E712
            & (Journal.kind == "lesson")
            & (Lesson.homework.is_null() | (fn.TRIM(Lesson.homework) == ""))
            & HomeworkFile.id.is_null()
            & wanted
        )
    )
    return [run.lesson_finding("no_homework", row, "не задано домашнее задание") for row in query.tuples()]


@rule("absence_no_reason", "Пропуск без причины")
def absence_no_reason(run: _Run) -> list[Finding]:
    """Absences «н» still without a reason `absence_reason_days` days after the lesson, a finding per lesson."""
    until = min(run.end, run.today - dt.timedelta(days=run.settings.absence_reason_days))
    if until < run.start:
        return []
    query = (
        run.lessons(Absence.student)
        .join(Absence, on=(Absence.lesson == Lesson.id))
        .where(run.lesson_condition(until) & (Absence.reason == "unknown"))
        .order_by(Lesson.date, Lesson.number, Lesson.id)
    )
    by_lesson: dict[int, tuple] = {}
    students: dict[int, list[int]] = {}
    for row in query.tuples():
        by_lesson.setdefault(row[0], row)
        students.setdefault(row[0], []).append(row[5])
    run.names(sid for absent in students.values() for sid in absent)
    findings = []
    for lesson_id, row in by_lesson.items():
        absent = students[lesson_id]
        text = f"не указана причина пропуска — {run.listing(absent)}"
        finding = run.lesson_finding("absence_no_reason", row, text)
        findings.append(_with_students(finding, absent))
    return findings


@rule("marks_not_held", "Отметки на непроведённом уроке")
def marks_not_held(run: _Run) -> list[Finding]:
    """A lesson not marked held (or cancelled) that holds marks or absences."""
    counts: dict[int, list] = {}
    rows: dict[int, tuple] = {}
    for position, model in enumerate((Mark, Absence)):
        query = (
            run.lessons(fn.COUNT(model.id))
            .join(model, on=(model.lesson == Lesson.id))
            .where(run.lesson_condition() & (Lesson.held == False))  # noqa: E712
            .group_by(Lesson.id, Lesson.journal, Lesson.teacher, Lesson.date, Lesson.number)
        )
        for row in query.tuples():
            rows.setdefault(row[0], row)
            counts.setdefault(row[0], [0, 0])[position] = row[5]
    findings = []
    for lesson_id in sorted(rows, key=lambda i: (_date(rows[i][3]), rows[i][4], i)):
        marks, absences = counts[lesson_id]
        parts = [f"{n} {_plural(n, *words)}" for n, words in ((marks, MARK_WORDS), (absences, ABSENCE_WORDS)) if n]
        text = f"урок не отмечен проведённым, а в нём {' и '.join(parts)}"
        findings.append(run.lesson_finding("marks_not_held", rows[lesson_id], text))
    return findings


MARK_WORDS = ("отметка", "отметки", "отметок")
ABSENCE_WORDS = ("пропуск", "пропуска", "пропусков")
# «1 четверть закрыта», «1 полугодие закрыто», «1 триместр закрыт».
CLOSED_WORDS = {"quarter": "закрыта", "half": "закрыто", "trimester": "закрыт"}


@rule("filled_late", "Урок заполнен с опозданием")
def filled_late(run: _Run) -> list[Finding]:
    """A lesson marked held after the end of the next working day (R3.2 asks for the same day)."""
    weekdays = {
        day
        for (day,) in TimetableSlot.select(TimetableSlot.weekday)
        .join(Journal)
        .where(Journal.year == run.scope.year_id)
        .distinct()
        .tuples()
    }
    # The timetable's weekdays are 1 (Monday) … 6 (Saturday), as ISO's.
    working = frozenset(weekdays) or DEFAULT_WORKING_DAYS
    late = None
    day = run.start
    while day <= min(run.end, run.today):
        condition = (Lesson.date == day) & (Lesson.held_at > run.fill_deadline(day, working))
        late = condition if late is None else late | condition
        day += dt.timedelta(days=1)
    if late is None:
        return []
    query = run.lessons(Lesson.held_at).where(
        run.lesson_condition() & (Lesson.held == True) & Lesson.held_at.is_null(False) & late  # noqa: E712
    )
    return [
        run.lesson_finding(
            "filled_late", row, f"отмечен проведённым {run.clock.format(row[5])} — позже конца следующего рабочего дня"
        )
        for row in query.tuples()
    ]


def _counted(ids, columns, shape) -> list[tuple]:
    """Rows (journal, *columns) of the lessons that count in the journals `ids`, shaped by `shape(query, journal)`.

    A journal counts its own lessons and the group's lessons replaced by its subject. Read as two
    queries, each through an index (a journal's lessons by (journal, date); the few replaced ones
    by their replacement subject): one join on the counting journal would make the databases
    walk every lesson of the dates. `shape` adds the joins, conditions and grouping; grouped
    counts of the two come back as separate rows for the caller to add up.
    """
    own = Lesson.select(Lesson.journal, *columns).where(
        Lesson.journal.in_(id_list(ids)) & Lesson.replacement_subject.is_null()
    )
    given_in, counted = Journal.alias("given_in"), Journal.alias("counted")
    replaced = (
        Lesson.select(counted.id, *columns)
        .join(given_in, on=(given_in.id == Lesson.journal))
        .join(counted, on=((counted.group == given_in.group) & (counted.subject == Lesson.replacement_subject)))
        .where(Lesson.replacement_subject.is_null(False) & counted.id.in_(id_list(ids)))
    )
    return _fetched(shape(own, Lesson.journal)) + _fetched(shape(replaced, counted.id))


def counted_lessons(ids, columns, shape) -> list[tuple]:
    """Rows (journal, *columns) of the lessons that count in the journals `ids`, as `_counted` reads them."""
    return _counted(ids, columns, shape)


def _fetched(query) -> list[tuple]:
    """A query's rows as the driver returns them (tens of thousands of plain tuples, no row wrapper)."""
    return db.execute(query).fetchall()


def _summed(rows, width: int = 1) -> dict:
    """Add up grouped rows (key…, value…) whose first `len(row) - width` columns are the key."""
    totals: dict = {}
    for row in rows:
        key, values = row[: len(row) - width], row[len(row) - width :]
        key = key[0] if len(key) == 1 else key
        before = totals.get(key)
        totals[key] = values if before is None else tuple(a + (b or 0) for a, b in zip(before, values, strict=True))
    return {key: value[0] if width == 1 else value for key, value in totals.items()}


def _term_of(day: dt.date, terms: list[Term]) -> Term | None:
    return next((t for t in terms if t.start_date <= day <= t.end_date), None)


@rule("few_marks", "Мало отметок за период")
def few_marks(run: _Run) -> list[Finding]:
    """Students of a journal with fewer marks in the period so far than the school's minimum pro rata."""
    if not run.settings.min_marks:
        return []
    as_of = min(run.end, run.today)
    by_term: dict[int, tuple[Term, list[Journal]]] = {}
    for journal in run.lesson_journals().values():
        term = _term_of(as_of, run.period_terms(journal))
        if term is not None:
            by_term.setdefault(term.id, (term, []))[1].append(journal)
    findings = []
    for term, journals in by_term.values():
        findings.extend(_few_marks_in(run, term, journals, as_of))
    return findings


def _few_marks_in(run: _Run, term: Term, journals: list[Journal], as_of: dt.date) -> list[Finding]:
    ids = [j.id for j in journals]
    so_far = Lesson.date.between(term.start_date, as_of)
    planned = _summed(
        _counted(
            ids,
            [fn.COUNT(Lesson.id)],
            lambda q, journal: q.where(
                Lesson.date.between(term.start_date, term.end_date) & (Lesson.cancelled == False)  # noqa: E712
            ).group_by(journal),
        )
    )
    held: dict[int, list[dt.date]] = {}
    for journal_id, day in _counted(
        ids,
        [Lesson.date],
        lambda q, journal: q.where(so_far & (Lesson.held == True)),  # noqa: E712
    ):
        held.setdefault(journal_id, []).append(_date(day))
    per_student = {}
    for model in (Absence, Mark):
        condition = so_far & (Lesson.held == True) if model is Absence else so_far  # noqa: E712
        per_student[model] = _summed(
            _counted(
                ids,
                [model.student, fn.COUNT(model.id)],
                lambda q, journal, model=model, condition=condition: (
                    q.join_from(Lesson, model, on=(model.lesson == Lesson.id))
                    .where(condition)
                    .group_by(journal, model.student)
                ),
            )
        )
    spans = groups.member_spans([j.group for j in journals], term.start_date, as_of)
    minimum = run.settings.min_marks
    shortfalls: list[tuple[Journal, dict[int, str]]] = []
    for journal in journals:
        days = sorted(held.get(journal.id, []))
        if not days or not planned.get(journal.id):
            continue
        short: dict[int, str] = {}
        for student_id, member in spans[journal.group_id].items():
            present = sum(bisect_right(days, last) - bisect_left(days, first) for first, last in member)
            attended = max(0, present - per_student[Absence].get((journal.id, student_id), 0))
            expected = min(minimum, math.floor(minimum * attended / planned[journal.id]))
            marks = per_student[Mark].get((journal.id, student_id), 0)
            if marks < expected:
                short[student_id] = f"{marks} из {expected}"
        if short:
            shortfalls.append((journal, short))
    run.names(sid for _, short in shortfalls for sid in short)
    findings = []
    for journal, short in shortfalls:
        n = len(short)
        text = (
            f"{term}: у {n} {_plural(n, 'ученика', 'учеников', 'учеников')} меньше отметок, "
            f"чем нужно к {format_date(as_of)} — {run.listing(short, short)}"
        )
        findings.append(
            Finding(
                "few_marks",
                text,
                journal.id,
                run.responsible(journal.id),
                term_id=term.id,
                student_ids=tuple(sorted(short)),
            )
        )
    return findings


@rule("missing_finals", "Не выставлены итоговые отметки")
def missing_finals(run: _Run) -> list[Finding]:
    """A closed period whose journal lacks the final of a student who was in the group at its end."""
    closed = [t for t in run.terms if t.closed and t.end_date <= run.end]
    if not closed:
        return []
    given = set(
        FinalMark.select(FinalMark.student, FinalMark.subject, FinalMark.term)
        .where(
            (FinalMark.year == run.scope.year_id)
            & (FinalMark.kind == "term")
            & FinalMark.term.in_([t.id for t in closed])
        )
        .tuples()
    )
    gaps: list[tuple[Term, Journal, list[int]]] = []
    for term in closed:
        journals = [j for j in run.lesson_journals().values() if term in run.period_terms(j)]
        members = groups.member_spans([j.group for j in journals], term.end_date, term.end_date)
        for journal in journals:
            missing = sorted(
                sid for sid in members[journal.group_id] if (sid, journal.subject_id, term.id) not in given
            )
            if missing:
                gaps.append((term, journal, missing))
    run.names(sid for _, _, missing in gaps for sid in missing)
    findings = []
    for term, journal, missing in gaps:
        n = len(missing)
        text = (
            f"{term} {CLOSED_WORDS.get(term.kind, 'закрыт')}: нет итоговой у {n} "
            f"{_plural(n, 'ученика', 'учеников', 'учеников')} — {run.listing(missing)}"
        )
        findings.append(
            Finding(
                "missing_finals",
                text,
                journal.id,
                run.responsible(journal.id),
                term_id=term.id,
                student_ids=tuple(missing),
            )
        )
    return findings


@rule("final_off", "Итоговая отличается от рекомендуемой без комментария")
def final_off(run: _Run) -> list[Finding]:
    """A period's final more than one point from the recommended mark, with no comment saying why."""
    start, end = run.clock.day_start(run.start), run.clock.day_start(run.end + dt.timedelta(days=1))
    terms = {t.id: t for t in run.terms if t.start_date <= run.end}
    lesson_journals = run.lesson_journals()
    if not terms or not lesson_journals:
        return []
    query = (
        FinalMark.select(FinalMark.journal, FinalMark.student, FinalMark.term, FinalMark.value)
        .join(Term, on=(Term.id == FinalMark.term))
        .where(
            (FinalMark.kind == "term")
            & FinalMark.term.in_(list(terms))
            & FinalMark.journal.in_(id_list(lesson_journals))
            & FinalMark.value.in_(list(NUMERIC_MARKS))
            & (FinalMark.comment.is_null() | (fn.TRIM(FinalMark.comment) == ""))
            & (Term.end_date.between(run.start, run.end) | ((FinalMark.set_at >= start) & (FinalMark.set_at < end)))
        )
    )
    candidates = list(query.tuples())
    run.names(row[1] for row in candidates)
    findings = []
    for term_id in sorted({row[2] for row in candidates}):
        term = terms[term_id]
        rows = [row for row in candidates if row[2] == term_id]
        means = _weighted_means(term, {row[0] for row in rows}, {row[1] for row in rows})
        for journal_id, student_id, _, value in rows:
            mean = means.get((journal_id, student_id))
            recommended = finals.recommend(mean, run.settings.round_from)
            if recommended is None or abs(NUMERIC_MARKS[value] - int(recommended)) <= 1:
                continue
            name = run.names([student_id])[student_id]
            text = (
                f"{term}: {name} — итоговая «{value}» при рекомендуемой «{recommended}» "
                f"(средний балл {format_average(mean)}), без комментария"
            )
            findings.append(
                Finding(
                    "final_off",
                    text,
                    journal_id,
                    run.responsible(journal_id),
                    term_id=term_id,
                    student_ids=(student_id,),
                )
            )
    return findings


def _weighted_means(term: Term, journal_ids, student_ids) -> dict[tuple[int, int], float]:
    """Each (journal, student)'s weighted average of the period's marks, as the finals sheet shows it."""
    sums = _summed(
        _counted(
            sorted(journal_ids),
            [Mark.student, fn.SUM(Mark.value.cast("INTEGER") * Mark.weight), fn.SUM(Mark.weight)],
            lambda q, journal: (
                q.join_from(Lesson, Mark, on=(Mark.lesson == Lesson.id))
                .where(
                    Mark.student.in_(id_list(student_ids))
                    & Mark.value.in_(list(NUMERIC_MARKS))
                    & Lesson.date.between(term.start_date, term.end_date)
                )
                .group_by(journal, Mark.student)
            ),
        ),
        width=2,
    )
    means = {}
    for key, (total, weights) in sums.items():
        if weights:
            mean = Decimal(str(total)) / Decimal(str(weights))
            means[key] = float(mean.quantize(WEIGHT_PLACES, ROUND_HALF_UP))
    return means


def _with_students(finding: Finding, student_ids) -> Finding:
    return replace(finding, student_ids=tuple(sorted(set(student_ids))))


# --- running a check -------------------------------------------------------------------------


def scope_journals(scope: Scope) -> dict[int, Journal]:
    """The journals of the scope's year it covers, with their groups and subjects, by id (one or two queries)."""
    query = (
        Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(Journal.year == scope.year_id)
    )
    if scope.kind == "grade":
        query = query.where(StudyGroup.grade == scope.value)
    elif scope.kind == "class":
        of_class = {jid for (jid,) in access.journals_of_classes([scope.value]).tuples()}
        query = query.where(Journal.id.in_(sorted(of_class)))
    elif scope.kind == "teacher":
        # Their journals, and those they gave a lesson in (a substitution).
        taught = TeachingAssignment.select(TeachingAssignment.journal).where(TeachingAssignment.teacher == scope.value)
        given = Lesson.select(Lesson.journal).where(Lesson.teacher == scope.value).distinct()
        query = query.where(Journal.id.in_(taught) | Journal.id.in_(given))
    return {journal.id: journal for journal in query}


def find(
    scope: Scope,
    start: dt.date,
    end: dt.date,
    *,
    today: dt.date,
    clock,
    settings: SchoolSettings | None = None,
    codes=None,
    journal_ids=None,
) -> list[Finding]:
    """Run the rules (all, or those of `codes`) over a scope and the days from `start` to `end`; return the findings.

    `journal_ids` narrows the scope to those journals (a remark's recheck looks at its journal alone).

    Findings come rule by rule in RULES' order, each rule's by date and lesson number. The
    cost is a fixed number of queries per rule, whatever the number of lessons in the scope.
    """
    if end < start:
        raise ValueError("The check's last day is before its first")
    run = _Run(scope, start, end, today, clock, settings or SchoolSettings.load())
    run.journals = scope_journals(scope)
    if journal_ids is not None:
        wanted = set(journal_ids)
        run.journals = {jid: j for jid, j in run.journals.items() if jid in wanted}
    if not run.journals:
        return []
    run.holidays = [
        (_date(first), _date(last))
        for first, last in Holiday.select(Holiday.start_date, Holiday.end_date)
        .where((Holiday.year == scope.year_id) & (Holiday.start_date <= end) & (Holiday.end_date >= start))
        .tuples()
    ]
    run.terms = list(Term.select().where(Term.year == scope.year_id).order_by(Term.start_date))
    if scope.kind == "teacher":
        # Their journals' marks and finals are theirs; of a journal they substituted in, only those lessons.
        run.own = {
            jid
            for (jid,) in TeachingAssignment.select(TeachingAssignment.journal)
            .where((TeachingAssignment.teacher == scope.value) & TeachingAssignment.journal.in_(id_list(run.journals)))
            .tuples()
        }
    findings = []
    for code, registered in RULES.items():
        if codes is None or code in codes:
            findings.extend(registered.find(run))
    return findings


def teacher_names(findings: list[Finding]) -> dict[int, str]:
    """The short names of the teachers the findings concern (one query)."""
    ids = sorted({f.teacher_id for f in findings if f.teacher_id is not None})
    if not ids:
        return {}
    query = Staff.select(Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name).where(Staff.id.in_(ids))
    return {sid: short_name(last, first, middle) for sid, last, first, middle in query.tuples()}
