"""What the school's reports share: their parameters, the periods, the class rolls, the finals and how a student stands.

Every reader here is one set query (or a fixed few) over the whole scope; the reports build
their tables in Python from the tuples, so the query count of a report never grows with the data.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN

from app.formats import format_date
from app.ids import parse_id
from app.models import (
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Journal,
    SchoolSettings,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    Term,
)
from app.models.people import short_name
from app.services import access, finals, journal_check, school
from app.services.errors import AccessDenied, BadInput, DomainError

YEAR_KEY = "year"
# A final that means the subject is not passed, beside «2» and «1»: «нз» (незачёт).
FAILING = frozenset({"2", "1", "нз"})
NOT_ATTESTED = "н/а"
MARKS = frozenset({"5", "4", "3", "2", "1"})


def as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def percent(part: int, whole: int) -> str:
    """«83,3 %», or «—» when there is nobody to count."""
    if not whole:
        return "—"
    return f"{part * 100 / whole:.1f}".replace(".", ",") + " %"


def plural(number: int, one: str, few: str, many: str) -> str:
    """Russian noun after a number: 1 урок, 2 урока, 5 уроков."""
    if number % 10 == 1 and number % 100 != 11:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """An attestation period a report covers: a term (quarter, trimester, half) or the whole school year."""

    key: str
    label: str
    start: dt.date
    end: dt.date
    term: Term | None = None

    @property
    def is_year(self) -> bool:
        return self.term is None

    def covers_grade(self, grade: int | None, kinds: set[str], settings: SchoolSettings) -> bool:
        """Whether a grade is attested by this period (a quarter does not attest grades taught by halves)."""
        return self.term is None or self.term.kind == finals.period_kind(grade, kinds, settings)


def year_period(year: SchoolYear) -> Period:
    return Period(YEAR_KEY, f"{year} учебный год", as_date(year.start_date), as_date(year.end_date))


def term_period(term: Term) -> Period:
    return Period(f"term-{term.id}", str(term), as_date(term.start_date), as_date(term.end_date), term)


def year_terms(year: SchoolYear) -> list[Term]:
    return list(Term.select().where(Term.year == year.id).order_by(Term.kind, Term.start_date))


def periods_of(year: SchoolYear, terms: list[Term], grade: int | None, settings) -> list[Period]:
    """The periods a report may cover: the grade's attestation terms (every term without a grade), the year."""
    if grade is not None:
        kind = finals.period_kind(grade, {t.kind for t in terms}, settings)
        terms = [t for t in terms if t.kind == kind]
    return [term_period(t) for t in sorted(terms, key=lambda t: (t.kind, t.start_date))] + [year_period(year)]


def default_period(periods: list[Period], today: dt.date) -> Period:
    """The last term that has ended (its finals are set), else the term under way, else the year.

    Of terms ending together (a half and its second quarter) the shorter one is taken.
    """
    terms = [p for p in periods if not p.is_year]
    ended = [p for p in terms if p.end < today]
    if ended:
        return max(ended, key=lambda p: (p.end, p.start))
    begun = [p for p in terms if p.start <= today]
    return max(begun, key=lambda p: p.start) if begun else periods[-1]


def period_line(request, period: Period) -> str:
    """«Период: 2 четверть (05.11.2026–28.12.2026), учебный год 2026/2027.»"""
    span = f"{format_date(period.start)}–{format_date(period.end)}"
    return f"Период: {period.label} ({span}), учебный год {request.year}."


def pick_period(periods: list[Period], raw) -> Period:
    found = next((p for p in periods if p.key == raw), None) if isinstance(raw, str) else None
    if found is None:
        raise BadInput("Выберите период из списка: четверть (полугодие) или учебный год.", "period")
    return found


# --- months ----------------------------------------------------------------------------------


def month_options(year: SchoolYear, today: dt.date) -> list[dt.date]:
    """The months of the school year begun by today, latest first (the first one when none has begun)."""
    return journal_check.check_months(year, today) or [as_date(year.start_date).replace(day=1)]


def pick_month(options: list[dt.date], raw) -> dt.date:
    try:
        first = journal_check.month_start(raw if isinstance(raw, str) else "")
    except DomainError:
        first = None
    if first not in options:
        raise BadInput("Выберите месяц текущего учебного года из списка.", "month")
    return first


# --- classes ---------------------------------------------------------------------------------


def classes_for(actor, year: SchoolYear) -> list[ClassGroup]:
    """The year's classes whose reports the person may open (every one for reports.view), by grade and letter."""
    query = (
        ClassGroup.select(ClassGroup, Staff)
        .join(Staff, JOIN.LEFT_OUTER, on=(Staff.id == ClassGroup.class_teacher))
        .where(ClassGroup.year == year.id)
        .order_by(ClassGroup.grade, ClassGroup.letter)
    )
    ids = access.report_class_ids(actor, year.id)
    if ids is not None:
        query = query.where(ClassGroup.id.in_(ids or [0]))
    return list(query)


def pick_class(classes: list[ClassGroup], raw, *, required: bool = True) -> ClassGroup | None:
    """The chosen class among those the person may open; any other id — missing or not theirs — is the same refusal."""
    if (raw is None or raw == "") and not required:
        return None
    number = parse_id(raw)
    found = next((c for c in classes if c.id == number), None)
    if found is None:
        raise AccessDenied("Отчёты этого класса вам недоступны: выберите класс из списка.")
    return found


def grades_of(classes: list[ClassGroup]) -> list[int]:
    return sorted({c.grade for c in classes})


def pick_grade(grades: list[int], raw) -> int | None:
    if raw is None or raw == "":
        return None
    number = parse_id(raw)
    if number not in grades or not school.GRADES[0] <= number <= school.GRADES[1]:
        raise BadInput("Выберите параллель из списка.", "grade")
    return number


# --- rolls -----------------------------------------------------------------------------------


@dataclass
class Pupil:
    """A student on a class's roll during a period: their enrollment's first and last day there."""

    student_id: int
    class_id: int
    last_name: str
    first_name: str
    middle_name: str | None
    start: dt.date
    end: dt.date | None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)

    @property
    def short(self) -> str:
        return short_name(self.last_name, self.first_name, self.middle_name)

    def on_roll(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)

    def left_before(self, day: dt.date) -> bool:
        """Left the class before the day (the period's end): shown «выбыл», not counted."""
        return self.end is not None and self.end < day

    def label(self, day: dt.date) -> str:
        return f"{self.name} (выбыл {format_date(self.end)})" if self.left_before(day) else self.name


def rolls(class_ids, start: dt.date, end: dt.date) -> dict[int, list[Pupil]]:
    """{class id: pupils enrolled at some day of the span, by name}, in one query.

    A student enrolled twice in one class (left and came back) is one pupil from the first day to the last.
    """
    found: dict[tuple[int, int], Pupil] = {}
    if class_ids is not None and not class_ids:
        return {}
    query = (
        Enrollment.select(
            Enrollment.class_group,
            Enrollment.student,
            Enrollment.start_date,
            Enrollment.end_date,
            Student.last_name,
            Student.first_name,
            Student.middle_name,
        )
        .join(Student, on=(Student.id == Enrollment.student))
        .where((Enrollment.start_date <= end) & (Enrollment.end_date.is_null() | (Enrollment.end_date >= start)))
    )
    if class_ids is not None:
        query = query.where(Enrollment.class_group.in_(sorted(class_ids)))
    for class_id, student_id, first, last, last_name, first_name, middle in query.tuples():
        first, last = as_date(first), as_date(last) if last is not None else None
        pupil = found.get((class_id, student_id))
        if pupil is None:
            found[(class_id, student_id)] = Pupil(student_id, class_id, last_name, first_name, middle, first, last)
        else:
            pupil.start = min(pupil.start, first)
            pupil.end = None if pupil.end is None or last is None else max(pupil.end, last)
    by_class: dict[int, list[Pupil]] = defaultdict(list)
    for pupil in found.values():
        by_class[pupil.class_id].append(pupil)
    for pupils in by_class.values():
        pupils.sort(key=lambda p: (p.last_name, p.first_name, p.middle_name or "", p.student_id))
    return by_class


def class_year_condition(year: SchoolYear, class_ids):
    enrolled = Enrollment.select(Enrollment.student).join(ClassGroup).where(ClassGroup.year == year.id)
    if class_ids is not None:
        enrolled = enrolled.where(ClassGroup.id.in_(sorted(class_ids) or [0]))
    return enrolled


# --- finals ----------------------------------------------------------------------------------


def period_finals(year: SchoolYear, period: Period, class_ids=None) -> dict[int, dict[int, str]]:
    """{student id: {subject id: final}} of the period (a term's, or the year's) for the classes' students, one query.

    A final belongs to the student and the subject (decision 17): whichever group's journal it
    was set in, a student has one per subject. Extracurricular journals carry none.
    """
    query = (
        FinalMark.select(FinalMark.student, FinalMark.subject, FinalMark.value)
        .join(Journal, on=(Journal.id == FinalMark.journal))
        .where((FinalMark.year == year.id) & (Journal.kind == "lesson"))
    )
    if period.term is None:
        query = query.where(FinalMark.kind == "year")
    else:
        query = query.where((FinalMark.kind == "term") & (FinalMark.term == period.term.id))
    if class_ids is not None:
        query = query.where(FinalMark.student.in_(class_year_condition(year, class_ids)))
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for student_id, subject_id, value in query.tuples():
        found[student_id][subject_id] = value
    return found


def class_subjects(class_ids) -> dict[int, list[int]]:
    """{class id: subject ids of its lesson journals (its whole class's, its subgroups', its members' groups)}."""
    of_class = (
        Journal.select(Journal.subject, StudyGroup.class_group)
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .where(StudyGroup.class_group.in_(sorted(class_ids) or [0]) & (Journal.kind == "lesson"))
    )
    found: dict[int, set[int]] = defaultdict(set)
    for subject_id, class_id in of_class.tuples():
        found[class_id].add(subject_id)
    crossing = (
        Journal.select(Journal.subject, Enrollment.class_group)
        .join(GroupMembership, on=(GroupMembership.group == Journal.group))
        .join(Enrollment, on=(Enrollment.student == GroupMembership.student))
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .where(
            Enrollment.class_group.in_(sorted(class_ids) or [0])
            & StudyGroup.class_group.is_null()
            & (Journal.kind == "lesson")
        )
        .distinct()
    )
    for subject_id, class_id in crossing.tuples():
        found[class_id].add(subject_id)
    return {class_id: sorted(ids) for class_id, ids in found.items()}


def subjects_by_id(ids) -> dict[int, Subject]:
    ids = sorted(set(ids))
    return {s.id: s for s in Subject.select().where(Subject.id.in_(ids or [0]))} if ids else {}


def subject_order(subjects: dict[int, Subject], ids) -> list[Subject]:
    return sorted((subjects[i] for i in set(ids) if i in subjects), key=lambda s: (s.name, s.id))


# --- standing --------------------------------------------------------------------------------

# How a student stands over a period's finals, in the order the reports list them.
STANDINGS = (
    ("excellent", "Отличники", "только «5»"),
    ("one_four", "С одной «4»", "одна «4», остальные «5» (входят в хорошистов)"),
    ("good", "Хорошисты", "«4» и «5», хотя бы одна «4»"),
    ("one_three", "С одной «3»", "одна «3», остальные «4» и «5»"),
    ("failing", "Неуспевающие", "хотя бы одна «2» (или «1», «нз»)"),
    ("not_attested", "Не аттестованы", "хотя бы одна «н/а»"),
)
STANDING_LABELS = {code: label for code, label, _ in STANDINGS}
STANDING_WORD = {
    "excellent": "отличник",
    "good": "хорошист",
    "one_three": "с одной «3»",
    "three": "с «3»",
    "failing": "неуспевающий",
    "not_attested": "не аттестован",
    "none": "",
}


@dataclass
class Standing:
    """A student's period at a glance: the categories they fall into and the subjects that put them there."""

    codes: set[str] = field(default_factory=set)
    # The subject of the one «3» or the one «4»; the subjects with «2» and with «н/а».
    single: int | None = None
    failing: list[int] = field(default_factory=list)
    not_attested: list[int] = field(default_factory=list)
    graded: bool = False

    @property
    def passed(self) -> bool:
        return self.graded and not self.failing and not self.not_attested

    @property
    def quality(self) -> bool:
        return "excellent" in self.codes or "good" in self.codes

    @property
    def word(self) -> str:
        for code in ("not_attested", "failing", "excellent", "good", "one_three"):
            if code in self.codes:
                return STANDING_WORD[code]
        return STANDING_WORD["three"] if self.graded else ""


def standing(values: dict[int, str]) -> Standing:
    """Classify a student's finals {subject id: value}; «зч» and «осв.» neither help nor harm.

    A student with no final at all is not graded: they count in no category and in no percentage.
    """
    found = Standing(graded=bool(values))
    found.failing = sorted(s for s, v in values.items() if v in FAILING)
    found.not_attested = sorted(s for s, v in values.items() if v == NOT_ATTESTED)
    if found.failing:
        found.codes.add("failing")
    if found.not_attested:
        found.codes.add("not_attested")
    if found.codes:
        return found
    marks = {s: v for s, v in values.items() if v in MARKS}
    if not marks:
        return found
    fours = [s for s, v in marks.items() if v == "4"]
    threes = [s for s, v in marks.items() if v == "3"]
    if not fours and not threes:
        found.codes.add("excellent")
    elif not threes:
        found.codes.add("good")
        if len(fours) == 1:
            found.codes.add("one_four")
            found.single = fours[0]
    elif len(threes) == 1:
        found.codes.add("one_three")
        found.single = threes[0]
    return found


@dataclass
class Tally:
    """The standing of a set of pupils: counts, names, the percentages."""

    counted: int = 0
    ungraded: int = 0
    left: int = 0
    members: dict[str, list[tuple[Pupil, Standing]]] = field(default_factory=lambda: defaultdict(list))
    passed: int = 0
    quality: int = 0

    def add(self, pupil: Pupil, value: Standing) -> None:
        if not value.graded:
            self.ungraded += 1
            return
        self.counted += 1
        self.passed += value.passed
        self.quality += value.quality
        for code in value.codes:
            self.members[code].append((pupil, value))

    def merge(self, other: "Tally") -> None:
        self.counted += other.counted
        self.ungraded += other.ungraded
        self.left += other.left
        self.passed += other.passed
        self.quality += other.quality
        for code, items in other.members.items():
            self.members[code].extend(items)

    def count(self, code: str) -> int:
        return len(self.members.get(code, ()))

    @property
    def pass_rate(self) -> str:
        return percent(self.passed, self.counted)

    @property
    def quality_rate(self) -> str:
        return percent(self.quality, self.counted)


def tally(pupils: list[Pupil], period_finals_: dict[int, dict[int, str]], as_of: dt.date) -> Tally:
    """Count the pupils on the roll at `as_of` by their standing; those who left before are counted apart."""
    found = Tally()
    for pupil in pupils:
        if pupil.left_before(as_of):
            found.left += 1
            continue
        if pupil.start > as_of:
            continue
        found.add(pupil, standing(period_finals_.get(pupil.student_id, {})))
    return found


def as_of(period: Period, today: dt.date) -> dt.date:
    """The day a period's roll is read on: its last day, or today while it lasts."""
    return min(period.end, max(today, period.start))


COUNTING_NOTES = [
    "Успеваемость — доля учеников без «2» («1», «нз») и «н/а» среди аттестованных; качество знаний — доля учеников "
    "только с «4» и «5».",
    "Выбывшие до конца периода показаны с датой выбытия и в расчёт не входят; прибывшие в течение периода "
    "учитываются. Ученики без итоговых отметок за период в расчёт не входят.",
    "«зч» и «осв.» на категорию ученика не влияют; ученики с одной «4» входят в число хорошистов.",
]


# --- a report's request ------------------------------------------------------------------------


@dataclass
class ReportRequest:
    """What a report is asked for: who asks, when, and its parameters already checked against what they may see."""

    actor: object
    year: SchoolYear
    today: dt.date
    clock: object
    settings: SchoolSettings
    class_group: ClassGroup | None = None
    grade: int | None = None
    period: Period | None = None
    month: dt.date | None = None
    classes: list[ClassGroup] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)

    @property
    def term_kinds(self) -> set[str]:
        return {t.kind for t in self.terms}

    def require_period_for(self, class_group: ClassGroup) -> Period:
        """The period, refused when the class's grade is not attested by it (a quarter for a grade taught by halves)."""
        period = self.period
        if not period.covers_grade(class_group.grade, self.term_kinds, self.settings):
            raise BadInput(
                f"{class_group} класс аттестуется не по периоду «{period.label}»: "
                "выберите другой период или учебный год.",
                "period",
            )
        return period
