"""What every kind of import shares: its columns, the values a cell may hold, the context of a run, a change."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from app.formats import format_date
from app.models import ClassGroup, Role, SchoolYear, Staff, Student, StudyGroup, Subject
from app.services.errors import DomainError

EXCEL_EPOCH = dt.date(1899, 12, 30)
DATE_RE = (
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), ("d", "m", "y")),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2})$"), ("d", "m", "yy")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("d", "m", "y")),
)
WEEKDAY_NAMES = {
    "понедельник": 1,
    "пн": 1,
    "вторник": 2,
    "вт": 2,
    "среда": 3,
    "ср": 3,
    "четверг": 4,
    "чт": 4,
    "пятница": 5,
    "пт": 5,
    "суббота": 6,
    "сб": 6,
}
WEEKDAY_LABELS = {1: "понедельник", 2: "вторник", 3: "среда", 4: "четверг", 5: "пятница", 6: "суббота"}
CLASS_RE = re.compile(r"^\s*(\d{1,2})\s*[-«\"]?\s*([А-ЯЁа-яё])\s*[»\"]?\s*$")


class CellError(DomainError):
    """A value of one cell is wrong; `field` is the code of the column's field."""


@dataclass(frozen=True)
class Field:
    """A column of a kind's template: its code, its heading, whether a row needs it, what it holds."""

    code: str
    heading: str
    required: bool = False
    # text | date | int | weekday
    type: str = "text"
    aliases: tuple[str, ...] = ()
    max_length: int = 200


@dataclass
class Change:
    """What applying one record of a row does: new, updated (the fields changed) or unchanged."""

    record: str
    key: str
    status: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"record": self.record, "key": self.key, "status": self.status, "fields": self.fields}


def compare(labels: dict[str, str], before: dict, after: dict) -> list[tuple[str, str, str]]:
    """Return (label, old text, new text) of every field whose value differs."""
    return [
        (labels[name], show(before.get(name)), show(after.get(name)))
        for name in labels
        if before.get(name) != after.get(name)
    ]


def show(value) -> str:
    """A value as the summary shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def record_change(record: str, key: str, labels: dict[str, str], before: dict | None, after: dict) -> Change:
    """Describe a record's change from `before` (None: it is new) to `after`."""
    if before is None:
        return Change(record, key, "new")
    changed = compare(labels, before, after)
    return Change(record, key, "updated" if changed else "unchanged", changed)


# --- cell values ------------------------------------------------------------------------------


def parse_date(text: str, code: str) -> dt.date | None:
    """Read a date as Russian schools write it (31.08.2026, 31.08.26, 2026-08-31, an Excel date number)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit() and 20000 <= int(text) <= 80000:
        return EXCEL_EPOCH + dt.timedelta(days=int(text))
    for pattern, order in DATE_RE:
        found = pattern.match(text)
        if found is None:
            continue
        parts = dict(zip(order, (int(g) for g in found.groups()), strict=True))
        year = parts.get("y") or 2000 + parts["yy"]
        try:
            return dt.date(year, parts["m"], parts["d"])
        except ValueError:
            raise CellError(f"такой даты нет: «{text}»", code) from None
    raise CellError(f"«{text}» — не дата; пишите ДД.ММ.ГГГГ, например 01.09.2026", code)


def parse_int(text: str, code: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,4}", text):
        raise CellError(f"«{text}» — не целое число", code)
    return int(text)


def parse_weekday(text: str, code: str) -> int | None:
    text = (text or "").strip().lower().rstrip(".")
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= 6:
        return int(text)
    if text in WEEKDAY_NAMES:
        return WEEKDAY_NAMES[text]
    raise CellError(f"«{text}» — не день недели (понедельник … суббота или 1–6)", code)


def parse_cell(spec: Field, text: str):
    """Turn a cell's text into the field's value; raise CellError with a Russian message."""
    text = (text or "").strip()
    if spec.type == "date":
        return parse_date(text, spec.code)
    if spec.type == "int":
        return parse_int(text, spec.code)
    if spec.type == "weekday":
        return parse_weekday(text, spec.code)
    if len(text) > spec.max_length:
        raise CellError(f"не длиннее {spec.max_length} символов", spec.code)
    return text or None


def split_full_name(text: str, code: str) -> tuple[str, str, str | None]:
    """Split «Фамилия Имя Отчество» into its parts (the patronymic may be several words or none)."""
    parts = (text or "").split()
    if len(parts) < 2:
        raise CellError(f"«{text}»: укажите фамилию и имя (и отчество, если есть)", code)
    return parts[0], parts[1], " ".join(parts[2:]) or None


def parse_class_name(text: str, code: str) -> tuple[int, str]:
    """Read a class name («5А», «5 А», «5-а») into its grade and letter."""
    found = CLASS_RE.match(text or "")
    if found is None:
        raise CellError(f"«{text}» — не класс; пишите параллель и букву, например 5А", code)
    return int(found.group(1)), found.group(2).upper()


# --- the context of one run ----------------------------------------------------------------------


@dataclass
class Context:
    """One run of an import: who runs it, the school's today, the current year, lookups kept for the run.

    Lookups remember what they found; whatever the run creates is found again by the database.
    """

    actor: Staff | None
    today: dt.date
    year: SchoolYear | None
    source: str = "import"
    _cache: dict = field(default_factory=dict)

    def need_year(self) -> SchoolYear:
        if self.year is None:
            raise DomainError("Нет текущего учебного года: заведите его в разделе «Школа → Учебные годы».")
        return self.year

    def _found(self, key, load: Callable):
        if key in self._cache:
            return self._cache[key]
        value = load()
        if value is not None:
            self._cache[key] = value
        return value

    def forget(self, key) -> None:
        self._cache.pop(key, None)

    # The references a row names, refused with a message naming its column.

    def staff(self, text: str, code: str) -> Staff:
        """Return the staff member a cell names by login or by full name (one of them)."""
        text = " ".join((text or "").split())

        def load():
            found = Staff.get_or_none(Staff.login == text.lower())
            if found is not None:
                return found
            parts = text.split(" ")
            if len(parts) < 2:
                return None
            query = Staff.select().where((Staff.last_name == parts[0]) & (Staff.first_name == parts[1]))
            middle = " ".join(parts[2:]) or None
            matches = [s for s in query if (s.middle_name or None) == middle]
            if len(matches) > 1:
                raise CellError(f"сотрудников «{text}» несколько: укажите логин", code)
            return matches[0] if matches else None

        found = self._found(("staff", text), load)
        if found is None:
            raise CellError(f"сотрудника «{text}» нет (укажите логин или ФИО)", code)
        return found

    def role(self, text: str, code: str) -> Role:
        name = " ".join(text.split())

        def load():
            for role in Role.select():
                if name.lower() in (role.code.lower(), role.name.lower()):
                    return role
            return None

        found = self._found(("role", name.lower()), load)
        if found is None:
            raise CellError(f"роли «{name}» нет", code)
        return found

    def subject(self, text: str, code: str) -> Subject:
        name = " ".join((text or "").split())
        found = self._found(("subject", name.lower()), lambda: _subject_by_name(name))
        if found is None:
            raise CellError(f"предмета «{name}» нет (сначала загрузите предметы)", code)
        return found

    def class_group(self, text: str, code: str) -> ClassGroup:
        grade, letter = parse_class_name(text, code)
        year = self.need_year()
        found = self._found(
            ("class", grade, letter),
            lambda: ClassGroup.get_or_none(
                (ClassGroup.year == year.id) & (ClassGroup.grade == grade) & (ClassGroup.letter == letter)
            ),
        )
        if found is None:
            raise CellError(f"класса {grade}{letter} в {year} учебном году нет", code)
        return found

    def group(self, class_text: str | None, group_text: str | None, codes: tuple[str, str]) -> StudyGroup:
        """Return the study group a row names: the group by name, else the class's whole-class group."""
        year = self.need_year()
        if group_text:
            name = " ".join(group_text.split())
            found = self._found(
                ("group", name),
                lambda: StudyGroup.get_or_none((StudyGroup.year == year.id) & (StudyGroup.name == name)),
            )
            if found is None:
                raise CellError(f"группы «{name}» в {year} учебном году нет", codes[1])
            return found
        if not class_text:
            raise CellError("укажите класс или группу", codes[0])
        class_group = self.class_group(class_text, codes[0])
        found = self._found(
            ("whole", class_group.id),
            lambda: StudyGroup.get_or_none((StudyGroup.class_group == class_group.id) & (StudyGroup.kind == "class")),
        )
        if found is None:
            raise CellError(f"у класса {class_group} нет группы «весь класс»", codes[0])
        return found

    def student(self, last: str, first: str, middle: str | None, birth: dt.date | None, code: str) -> Student:
        key = ("student", last, first, middle, birth)

        def load():
            query = Student.select().where(
                (Student.last_name == last) & (Student.first_name == first) & (Student.birth_date == birth)
            )
            matches = [s for s in query if (s.middle_name or None) == middle]
            return matches[0] if len(matches) == 1 else None

        found = self._found(key, load)
        if found is None:
            born = f", {format_date(birth)} г. р." if birth else ""
            raise CellError(f"ученика «{' '.join(p for p in (last, first, middle) if p)}{born}» нет", code)
        return found


def _subject_by_name(name: str) -> Subject | None:
    found = Subject.get_or_none(Subject.name == name)
    if found is not None:
        return found
    lowered = name.lower()
    return next((s for s in Subject.select() if s.name.lower() == lowered), None)


@dataclass(frozen=True)
class Kind:
    """One kind of import: its template's columns, the key of a row, how a row is applied and how data is exported.

    `apply_row(ctx, values) -> list[Change]` writes one row through the area's services (a dry run
    is rolled back by the caller); `export_rows(year) -> list[dict]` reads the school's current
    data as template rows; `key(values) -> str` names a row's record for duplicates and summaries.
    """

    code: str
    title: str
    description: str
    fields: tuple[Field, ...]
    key: Callable[[dict], str]
    apply_row: Callable[[Context, dict], list[Change]]
    export_rows: Callable[[SchoolYear | None], list[dict]]
    example: dict

    @property
    def headings(self) -> list[str]:
        return [f.heading for f in self.fields]

    def field(self, code: str) -> Field:
        return next(f for f in self.fields if f.code == code)
