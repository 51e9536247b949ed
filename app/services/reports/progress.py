"""«Сводная ведомость» (a class × subjects × a period's finals) and «Успеваемость» (by class, grade and school)."""

from collections import defaultdict
from dataclasses import dataclass

from app.documents import Column, Report, Section
from app.formats import format_date
from app.models import ClassGroup
from app.services.errors import BadInput
from app.services.reports.common import (
    COUNTING_NOTES,
    FAILING,
    MARKS,
    NOT_ATTESTED,
    STANDINGS,
    Pupil,
    ReportRequest,
    Tally,
    as_of,
    class_subjects,
    percent,
    period_finals,
    period_line,
    rolls,
    standing,
    subject_order,
    subjects_by_id,
    tally,
)

TALLY_COLUMNS = [
    Column("Аттестовано", 1.2, "R"),
    Column("Отличники", 1.2, "R"),
    Column("Хорошисты", 1.2, "R"),
    Column("С одной «3»", 1.2, "R"),
    Column("С одной «4»", 1.2, "R"),
    Column("Неуспевающие", 1.4, "R"),
    Column("Н/а", 0.8, "R"),
    Column("Успеваемость", 1.4, "R"),
    Column("Качество знаний", 1.4, "R"),
]


def tally_cells(found: Tally) -> tuple:
    return (
        found.counted,
        found.count("excellent"),
        found.count("good"),
        found.count("one_three"),
        found.count("one_four"),
        found.count("failing"),
        found.count("not_attested"),
        found.pass_rate,
        found.quality_rate,
    )


# --- per subject -------------------------------------------------------------------------------


@dataclass
class SubjectSummary:
    fives: int = 0
    fours: int = 0
    threes: int = 0
    twos: int = 0
    not_attested: int = 0
    other: int = 0
    total: int = 0
    points: int = 0
    marks: int = 0

    def add(self, value: str) -> None:
        self.total += 1
        if value in MARKS:
            self.marks += 1
            self.points += int(value)
        if value == "5":
            self.fives += 1
        elif value == "4":
            self.fours += 1
        elif value == "3":
            self.threes += 1
        elif value in FAILING:
            self.twos += 1
        elif value == NOT_ATTESTED:
            self.not_attested += 1
        else:
            self.other += 1

    @property
    def average(self) -> str:
        return f"{self.points / self.marks:.2f}".replace(".", ",") if self.marks else "—"

    def cells(self) -> tuple:
        passed = self.total - self.twos - self.not_attested
        return (
            self.fives,
            self.fours,
            self.threes,
            self.twos,
            self.not_attested,
            self.average,
            percent(passed, self.total),
            percent(self.fives + self.fours, self.total),
        )


SUBJECT_COLUMNS = [
    Column("Предмет", 4),
    Column("«5»", 0.8, "R"),
    Column("«4»", 0.8, "R"),
    Column("«3»", 0.8, "R"),
    Column("«2»", 0.8, "R"),
    Column("«н/а»", 0.8, "R"),
    Column("Средний балл", 1.2, "R"),
    Column("Успеваемость", 1.4, "R"),
    Column("Качество знаний", 1.4, "R"),
]


def subject_section(subjects, pupils: list[Pupil], values: dict, day) -> Section:
    """Per subject: how many of each final among the pupils on the roll, the average and the two rates."""
    summaries = {s.id: SubjectSummary() for s in subjects}
    for pupil in pupils:
        if not pupil.on_roll(day):
            continue
        for subject_id, value in values.get(pupil.student_id, {}).items():
            if subject_id in summaries:
                summaries[subject_id].add(value)
    rows = [(s.name, *summaries[s.id].cells()) for s in subjects if summaries[s.id].total]
    return Section("Итоги по предметам", SUBJECT_COLUMNS, rows, empty="Итоговых отметок за период нет.")


# --- «Сводная ведомость» ---------------------------------------------------------------------------


def summary_sheet(request: ReportRequest) -> Report:
    """A class's finals of a period: a row per student (those who left marked with the day), a column per subject."""
    class_group = request.class_group
    period = request.require_period_for(class_group)
    day = as_of(period, request.today)
    pupils = rolls([class_group.id], period.start, period.end).get(class_group.id, [])
    values = period_finals(request.year, period, [class_group.id])
    subject_ids = set(class_subjects([class_group.id]).get(class_group.id, []))
    subject_ids |= {s for p in pupils for s in values.get(p.student_id, {})}
    subjects = subject_order(subjects_by_id(subject_ids), subject_ids)
    columns = [Column("№", 0.8, "R"), Column("Ученик", 4.5)]
    columns += [Column(s.short_name or s.name, 1.1, "C") for s in subjects]
    columns.append(Column("Итог", 2.6))
    rows = []
    for number, pupil in enumerate(pupils, 1):
        given = values.get(pupil.student_id, {})
        word = "" if pupil.left_before(day) else standing(given).word
        rows.append((number, pupil.label(day), *(_cell(given.get(s.id, "")) for s in subjects), word))
    found = tally(pupils, values, day)
    sheet = Section("", columns, rows, empty="В классе за период нет учеников.")
    totals = Section(
        "Итоги класса",
        [Column("Учеников", 1, "R"), *TALLY_COLUMNS],
        [(found.counted + found.ungraded, *tally_cells(found))],
        notes=COUNTING_NOTES + ([f"Выбыли до конца периода: {found.left}."] if found.left else []),
    )
    return Report(
        title=f"Сводная ведомость итоговых отметок: {class_group} класс",
        header=_header(request, class_group, period),
        sections=[sheet, subject_section(subjects, pupils, values, day), totals],
        signatures=[f"Классный руководитель / {_teacher_name(class_group)} /"],
        landscape=True,
        filename=f"svodnaya-{class_group}-{period.key}",
    )


def _cell(value: str):
    """A mark as a number (a spreadsheet sums it), «н/а», «зч», «осв.» as the text they are."""
    return int(value) if value in MARKS else value


def _teacher_name(class_group: ClassGroup) -> str:
    teacher = class_group.class_teacher if class_group.class_teacher_id else None
    return teacher.short_name if teacher is not None else "не назначен"


def _header(request: ReportRequest, class_group: ClassGroup, period) -> list[str]:
    return [
        f"Класс: {class_group}. Классный руководитель: {_teacher_name(class_group)}".rstrip(".") + ".",
        period_line(request, period),
        f"Сформировано {format_date(request.today)}.",
    ]


# --- «Успеваемость» ------------------------------------------------------------------------------


def progress(request: ReportRequest) -> Report:
    """Counts and names of the period's отличники, хорошисты, «с одной 3/4», неуспевающие, н/а: class, grade, school."""
    period = request.period
    if request.class_group is not None:
        classes, scope = [request.class_group], f"{request.class_group} класс"
    elif request.grade is not None:
        classes, scope = [c for c in request.classes if c.grade == request.grade], f"{request.grade}-е классы"
    else:
        classes, scope = list(request.classes), "вся школа"
    covered = [c for c in classes if period.covers_grade(c.grade, request.term_kinds, request.settings)]
    if classes and not covered:
        raise BadInput(f"Классы отчёта не аттестуются по периоду «{period.label}»: выберите другой период.", "period")
    notes = list(COUNTING_NOTES)
    skipped = sorted({c.grade for c in classes} - {c.grade for c in covered})
    if skipped:
        notes.append(
            f"Не аттестуются по периоду «{period.label}» и в отчёт не входят: "
            + ", ".join(f"{g}-е классы" for g in skipped)
            + "."
        )
    day = as_of(period, request.today)
    class_ids = [c.id for c in covered]
    by_class = rolls(class_ids, period.start, period.end) if class_ids else {}
    everyone = request.class_group is None and request.grade is None
    values = period_finals(request.year, period, None if everyone else class_ids) if class_ids else {}
    tallies = {c.id: tally(by_class.get(c.id, []), values, day) for c in covered}
    class_rows, grade_tallies = [], defaultdict(Tally)
    whole = Tally()
    for class_group in covered:
        found = tallies[class_group.id]
        class_rows.append((str(class_group), *tally_cells(found)))
        grade_tallies[class_group.grade].merge(found)
        whole.merge(found)
    sections = [
        Section(
            "По классам",
            [Column("Класс", 1), *TALLY_COLUMNS],
            class_rows,
            totals=("Итого", *tally_cells(whole)) if len(covered) > 1 else None,
            notes=notes,
        )
    ]
    if len(grade_tallies) > 1:
        sections.append(
            Section(
                "По параллелям",
                [Column("Параллель", 1), *TALLY_COLUMNS],
                [(f"{grade}-е", *tally_cells(found)) for grade, found in sorted(grade_tallies.items())],
                totals=("Вся школа", *tally_cells(whole)),
            )
        )
    subject_ids = {s for items in whole.members.values() for _, value in items for s in _subjects_named(value)}
    names = subjects_by_id(subject_ids)
    class_names = {c.id: str(c) for c in covered}
    sections += name_sections(whole, names, class_names, with_class=len(covered) > 1)
    return Report(
        title=f"Успеваемость за период: {scope}",
        header=[
            period_line(request, period),
            f"Сформировано {format_date(request.today)}.",
        ],
        sections=sections,
        landscape=True,
        filename=f"uspevaemost-{period.key}",
    )


def _subjects_named(value) -> list[int]:
    return [*value.failing, *value.not_attested, *([value.single] if value.single else [])]


def name_sections(found: Tally, subjects: dict, class_names: dict[int, str], *, with_class: bool) -> list[Section]:
    """A list of names per standing: the class, the student, and the subjects that put them there."""
    sections = []
    for code, label, meaning in STANDINGS:
        items = sorted(
            found.members.get(code, []), key=lambda item: (class_names.get(item[0].class_id, ""), item[0].name)
        )
        with_subjects = code in ("one_three", "one_four", "failing", "not_attested")
        columns = [Column("Класс", 1)] if with_class else []
        columns += [Column("Ученик", 4)]
        if with_subjects:
            columns.append(Column("Предметы" if code in ("failing", "not_attested") else "Предмет", 4))
        rows = []
        for pupil, value in items:
            row = [class_names.get(pupil.class_id, "")] if with_class else []
            row.append(pupil.name)
            if with_subjects:
                ids = {"failing": value.failing, "not_attested": value.not_attested}.get(code, [value.single])
                row.append(", ".join(subjects[i].name for i in ids if i in subjects))
            rows.append(tuple(row))
        sections.append(Section(f"{label} ({meaning}): {len(rows)}", columns, rows, empty="Нет."))
    return sections
