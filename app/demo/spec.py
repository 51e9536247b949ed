"""What a demo school is made of: its sizes, its name, and the demo logins with their password."""

from dataclasses import dataclass

from app.services.errors import DomainError

DEMO_PASSWORD = "demo"
# The demo logins and their roles, in the order the README lists them.
DEMO_LOGINS = {
    "admin": ("admin",),
    "deputy": ("deputy",),
    "head": ("head",),
    "teacher": ("teacher",),
    "classteacher": ("teacher",),
}
SIZES = ("small", "large")
# The random seed: the same seed and "today" give the same school.
DEFAULT_SEED = 20262027
SCHOOL_NAME = "ГБОУ «Демонстрационная средняя школа № 1» Санкт-Петербурга"
SCHOOL_CODE = "000001"

# The administration: each demo login of a post and the person who holds it.
STAFF_POSTS = {
    "admin": ("Соколова", "Ирина", "Владимировна"),
    "deputy": ("Миронова", "Елена", "Сергеевна"),
    "head": ("Васильев", "Андрей", "Николаевич"),
}


@dataclass(frozen=True)
class DemoSpec:
    """What to build: classes, their size, teachers, and how much of the year to fill."""

    size: str
    classes: tuple[tuple[int, str], ...]
    class_size: tuple[int, int]
    teachers: int
    full_year: bool
    # Without a full year: the weeks of the journal filled in before today (all of them once the first quarter is over).
    filled_weeks: int
    transfers: int
    applications: int
    # Classes split into two groups for a subject: (grade, letter, subject).
    splits: tuple[tuple[int, str, str], ...] = ()
    # Grades whose classes share an elective course (curriculum.ELECTIVES) in one cross-class group.
    electives: tuple[int, ...] = ()


def spec_for(size: str, scale: float = 1.0) -> DemoSpec:
    """Return the spec of a demo size; `scale` (0–1] shrinks the large school for tests."""
    if size not in SIZES:
        raise DomainError(f"Неизвестный размер демо-школы «{size}»: допустимо {', '.join(SIZES)}.", "size")
    if size == "small":
        classes = tuple((grade, letter) for grade in (5, 6, 7, 10) for letter in "АБ")
        splits = ((5, "А", "Английский язык"), (7, "А", "Информатика"))
        return DemoSpec("small", classes, (23, 27), 16, False, 4, 3, 6, splits, (10,))
    if not 0 < scale <= 1:
        raise DomainError("Масштаб большой демо-школы должен быть больше 0 и не больше 1.", "scale")
    letters = {grade: "АБВГДЕ" if grade <= 9 else "АБВ" for grade in range(1, 12)}
    all_classes = [(grade, letter) for grade in range(1, 12) for letter in letters[grade]]
    count = max(1, round(len(all_classes) * scale))
    # Evenly spaced through the grades: the middle of each of `count` equal stretches.
    picked = tuple(all_classes[((2 * i + 1) * len(all_classes)) // (2 * count)] for i in range(count))
    return DemoSpec(
        "large",
        picked,
        (24, 26),
        max(1, round(120 * scale)),
        True,
        0,
        max(1, round(15 * scale)),
        max(4, round(75 * scale)),
        _large_splits(picked),
        (10, 11),
    )


def _large_splits(classes) -> tuple[tuple[int, str, str], ...]:
    """Split every class from grade 5 up for English, and from grade 7 up for informatics too."""
    splits = [(grade, letter, "Английский язык") for grade, letter in classes if grade >= 5]
    splits += [(grade, letter, "Информатика") for grade, letter in classes if grade >= 7]
    return tuple(splits)
