"""The people and classes the builder holds in memory, with their ids, to link rows before writing them."""

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
    """A class with its curriculum, its teachers, its roster over the year and its week's timetable."""

    id: int
    grade: int
    letter: str
    curriculum: dict
    teachers: dict = field(default_factory=dict)  # subject -> teacher id
    class_teacher: int | None = None
    roster: list = field(default_factory=list)  # [student id, first day, last day or None]
    slots: dict = field(default_factory=dict)  # weekday -> [(number, subject, teacher id)]

    @property
    def name(self) -> str:
        """Return the class's name as the school writes it (7Б)."""
        return f"{self.grade}{self.letter}"
