"""The people and classes the builder holds in memory, with their ids, to link rows before writing them."""

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Person:
    """A student, a guardian or a staff member: an id in their table and a Russian full name."""

    id: int
    last: str
    first: str
    middle: str
    female: bool


@dataclass
class Teacher:
    """A teacher of a department (or a primary class), with the classes and weekly hours given to them."""

    id: int
    person: Person
    dept: str
    login: str
    hours: int = 0
    classes: list = field(default_factory=list)


@dataclass
class SchoolClass:
    """A class with its curriculum, its journals, its roster over the year and the periods its week takes."""

    id: int
    grade: int
    letter: str
    curriculum: dict
    # subject -> [JournalPlan]: the whole class's journal, or one journal per group of a split.
    journals: dict = field(default_factory=dict)
    whole: "Group | None" = None
    class_teacher: int | None = None
    roster: list = field(default_factory=list)  # [student id, first day, last day or None]
    periods: dict = field(default_factory=dict)  # weekday -> {lesson numbers the class or a group of it has}

    @property
    def name(self) -> str:
        """Return the class's name as the school writes it (7Б)."""
        return f"{self.grade}{self.letter}"

    def hours_of(self, teacher_id: int) -> int:
        """Return the weekly hours a teacher gives this class (or its groups)."""
        return sum(j.hours for journals in self.journals.values() for j in journals if j.teacher == teacher_id)


@dataclass
class Group:
    """A study group: a whole class, a group of one class's split («5А, англ., гр. 1»), or a cross-class group."""

    id: int
    kind: str  # "class", "subgroup" or "cross", as StudyGroup.kind
    name: str
    grade: int | None
    school_class: SchoolClass | None = None  # the class of a whole class or a subgroup
    split: str | None = None
    classes: list = field(default_factory=list)  # the classes a cross-class group draws its members from
    listed: list = field(default_factory=list)  # membership rows: [student id, first day, last day or None]

    @property
    def members(self) -> list:
        """Return [student id, first day, last day or None]: a whole class's roster, or the membership rows."""
        return self.school_class.roster if self.kind == "class" else self.listed


@dataclass
class JournalPlan:
    """A journal: a subject taught to a group by one teacher, its weekly hours and its timetable slots."""

    id: int
    group: Group
    subject: str
    teacher: int
    hours: int
    kind: str = "lesson"  # or "extracurricular", as Journal.kind
    slots: list = field(default_factory=list)  # [(weekday, lesson number)]


@dataclass(frozen=True)
class Period:
    """A term of the year as the builder wrote it: a quarter or a half, with its first and last day."""

    id: int
    kind: str  # "quarter" or "half", as Term.kind
    number: int
    first: dt.date
    last: dt.date

    def covers(self, day: dt.date) -> bool:
        """Tell whether a day falls inside the term."""
        return self.first <= day <= self.last


@dataclass
class PlanRowEntry:
    """A plan row as the journal step gives it: its id, hours, topic and homework."""

    id: int
    hours: int
    topic: str
    homework: str | None


class PlanCursor:
    """The rows of a journal's plan that its lessons take in order: the next one not yet given in full."""

    def __init__(self, rows: list[PlanRowEntry]):
        self.rows = rows
        self.index = 0
        self.used = 0

    def take(self) -> PlanRowEntry | None:
        """Return the row the next lesson gives (None once the plan is gone through) and count the hour."""
        if self.index >= len(self.rows):
            return None
        row = self.rows[self.index]
        self.used += 1
        if self.used >= row.hours:
            self.index, self.used = self.index + 1, 0
        return row
