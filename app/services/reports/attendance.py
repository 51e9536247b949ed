"""«Посещаемость»: lessons and days a class's students missed over a period, by reason.

A day missed is a day the student was absent from every lesson of theirs (every uncancelled
lesson of the groups they were a member of that day). Lateness («опоздание») is counted apart:
the student was at the lesson. Only lessons (урочная деятельность) count, not extracurricular
courses. Read in a fixed number of queries: the absences grouped by student, day and reason, the
lessons grouped by group and day, and who was in which group (`groups.member_spans`).
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from peewee import fn

from app.db import db, id_list
from app.documents import Column, Report, Section
from app.formats import format_date
from app.models import Absence, Journal, Lesson, StudyGroup
from app.models.journal import ABSENCE_REASONS
from app.services import groups
from app.services.reports.common import Pupil, ReportRequest, as_date, period_line, rolls

REASON_LABELS = dict(ABSENCE_REASONS)
LATE = "late"
# The reasons of a missed lesson, in the order the columns show them.
MISSED_REASONS = ("illness", "excused", "unexcused", "unknown")
DAY_REASONS = ("illness", "excused", "unexcused", "unknown")
# Up to this many students the absences are read for their ids; a larger set reads the year's and keeps theirs.
STUDENT_LIST_MAX = 1000


@dataclass
class Missed:
    """One student's absences over a period in one class."""

    lessons: Counter = field(default_factory=Counter)
    late: int = 0
    days: Counter = field(default_factory=Counter)

    @property
    def lesson_total(self) -> int:
        return sum(self.lessons.values())

    @property
    def day_total(self) -> int:
        return sum(self.days.values())

    def merge(self, other: "Missed") -> None:
        self.lessons.update(other.lessons)
        self.days.update(other.days)
        self.late += other.late


def missed_by_pupil(year, by_class: dict[int, list[Pupil]], start, end) -> dict[tuple[int, int], Missed]:
    """{(class id, student id): Missed} of the classes' pupils, an absence counted in the class of its day."""
    class_ids = sorted(by_class)
    found: dict[tuple[int, int], Missed] = defaultdict(Missed)
    if not class_ids:
        return found
    counted = fn.COUNT(Absence.id)
    query = (
        Absence.select(Absence.student, Lesson.date, Absence.reason, counted)
        .join(Lesson, on=(Lesson.id == Absence.lesson))
        .join(Journal, on=(Journal.id == Lesson.journal))
        .where(
            Lesson.date.between(start, end)
            & (Lesson.cancelled == False)  # noqa: E712
            & (Journal.kind == "lesson")
            & (Journal.year == year.id)
        )
        .group_by(Absence.student, Lesson.date, Absence.reason)
    )
    students = sorted({p.student_id for pupils in by_class.values() for p in pupils})
    if len(students) <= STUDENT_LIST_MAX:
        # A flat list: an IN (subquery) made SQLite read the absences through (lesson, student) per lesson.
        query = query.where(Absence.student.in_(id_list(students)))
    pupils_of: dict[int, list[Pupil]] = defaultdict(list)
    for pupils in by_class.values():
        for pupil in pupils:
            pupils_of[pupil.student_id].append(pupil)
    per_day: dict[tuple[int, dt.date], Counter] = defaultdict(Counter)
    day_of = _days()
    for student_id, day, reason, count in _fetched(query):
        per_day[(student_id, day_of(day))][reason] += count
    if not per_day:
        return found
    lessons_of = _lessons_per_student_day(year, start, end, list(per_day))
    for (student_id, day), reasons in per_day.items():
        pupil = next((p for p in pupils_of.get(student_id, ()) if p.on_roll(day)), None)
        if pupil is None:
            continue  # an absence from a day they were not in these classes
        entry = found[(pupil.class_id, student_id)]
        entry.late += reasons.pop(LATE, 0)
        entry.lessons.update(reasons)
        missed = sum(reasons.values())
        if missed and missed >= lessons_of.get((student_id, day), 0) > 0:
            # A day missed goes to the reason of most of its lessons (the earlier one of the list on a tie).
            entry.days[max(DAY_REASONS, key=lambda r: (reasons.get(r, 0), -DAY_REASONS.index(r)))] += 1
    return found


def _lessons_per_student_day(year, start, end, pairs) -> dict[tuple[int, dt.date], int]:
    """How many uncancelled lessons each (student, day) of `pairs` had: their groups' lessons of that day."""
    student_ids = sorted({student_id for student_id, _ in pairs})
    year_groups = list(StudyGroup.select().where(StudyGroup.year == year.id))
    spans = groups.member_spans(
        year_groups, start, end, students=student_ids if len(student_ids) <= STUDENT_LIST_MAX else None
    )
    wanted = set(student_ids)
    groups_of: dict[int, list[tuple[int, list]]] = defaultdict(list)
    for group_id, members in spans.items():
        for student_id, student_spans in members.items():
            if student_id in wanted:
                groups_of[student_id].append((group_id, student_spans))
    query = (
        Lesson.select(Journal.group, Lesson.date, fn.COUNT(Lesson.id))
        .join(Journal, on=(Journal.id == Lesson.journal))
        .where(
            (Journal.year == year.id)
            & Lesson.date.between(start, end)
            & (Lesson.cancelled == False)  # noqa: E712
            & (Journal.kind == "lesson")
        )
        .group_by(Journal.group, Lesson.date)
    )
    day_of = _days()
    per_group = {(group_id, day_of(day)): count for group_id, day, count in _fetched(query)}
    found = {}
    for student_id, day in pairs:
        found[(student_id, day)] = sum(
            per_group.get((group_id, day), 0)
            for group_id, student_spans in groups_of.get(student_id, ())
            if any(first <= day <= last for first, last in student_spans)
        )
    return found


def _fetched(query) -> list[tuple]:
    """A grouped query's rows as the driver returns them: tens of thousands of plain tuples, no row wrapper."""
    return db.execute(query).fetchall()


def _days():
    """A date parser that reads each distinct stored day once (SQLite returns them as text)."""
    seen: dict = {}

    def day_of(value) -> dt.date:
        found = seen.get(value)
        if found is None:
            found = seen[value] = as_date(value)
        return found

    return day_of


LESSON_COLUMNS = [
    Column("Пропущено уроков", 1.3, "R"),
    *(Column(REASON_LABELS[r].capitalize(), 1.3, "R") for r in MISSED_REASONS),
    Column("Опоздания", 1.1, "R"),
    Column("Пропущено дней", 1.2, "R"),
    Column("Из них по болезни", 1.2, "R"),
]


def missed_cells(missed: Missed) -> tuple:
    return (
        missed.lesson_total,
        *(missed.lessons.get(r, 0) for r in MISSED_REASONS),
        missed.late,
        missed.day_total,
        missed.days.get("illness", 0),
    )


NOTES = [
    "Пропущенный день — день, когда ученик отсутствовал на всех своих уроках (уроках групп, в которых он состоял "
    "в этот день; отменённые уроки не считаются). День относится к причине большинства его пропусков.",
    "Опоздание пропуском урока не считается и показано отдельно; внеурочная деятельность не учитывается.",
    "Пропуски учитываются в классе, в котором ученик числился в день урока.",
]


def attendance(request: ReportRequest) -> Report:
    """A class's students (or, for the whole school, every class) × lessons and days missed in a period, by reason."""
    period = request.period
    day = min(period.end, max(request.today, period.start))
    if request.class_group is not None:
        class_group = request.class_group
        by_class = rolls([class_group.id], period.start, period.end)
        missed = missed_by_pupil(request.year, by_class, period.start, period.end)
        pupils = by_class.get(class_group.id, [])
        rows, whole = [], Missed()
        for number, pupil in enumerate(pupils, 1):
            entry = missed.get((class_group.id, pupil.student_id), Missed())
            whole.merge(entry)
            rows.append((number, pupil.label(day), *missed_cells(entry)))
        section = Section(
            "",
            [Column("№", 0.7, "R"), Column("Ученик", 5), *LESSON_COLUMNS],
            rows,
            totals=("", "Итого", *missed_cells(whole)),
            notes=NOTES,
            empty="В классе за период нет учеников.",
        )
        title, scope = f"Посещаемость: {class_group} класс", str(class_group)
    else:
        classes = request.classes
        by_class = rolls([c.id for c in classes], period.start, period.end)
        missed = missed_by_pupil(request.year, by_class, period.start, period.end)
        per_class: dict[int, Missed] = defaultdict(Missed)
        for (class_id, _student), entry in missed.items():
            per_class[class_id].merge(entry)
        rows, whole, pupils_total = [], Missed(), 0
        for class_group in classes:
            entry = per_class.get(class_group.id, Missed())
            on_roll = sum(1 for p in by_class.get(class_group.id, []) if p.on_roll(day))
            pupils_total += on_roll
            whole.merge(entry)
            rows.append((str(class_group), on_roll, *missed_cells(entry)))
        section = Section(
            "По классам",
            [Column("Класс", 0.8), Column("Учеников", 1, "R"), *LESSON_COLUMNS],
            rows,
            totals=("Итого", pupils_total, *missed_cells(whole)),
            notes=NOTES,
        )
        title, scope = "Посещаемость: вся школа", "school"
    return Report(
        title=title,
        header=[
            period_line(request, period),
            f"Сформировано {format_date(request.today)}.",
        ],
        sections=[section],
        landscape=True,
        filename=f"poseshchaemost-{scope}-{period.key}",
    )
