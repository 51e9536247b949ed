"""«Отчёт классного руководителя» for a period: the one-page form a class teacher brings to the parents' meeting.

The class's movement (on the roll at the start, arrived, left, at the end), its standing (counts
and names, the pass and quality rates), its attendance by reason and a summary per subject —
built from the same readers as «Сводная ведомость», «Успеваемость» and «Посещаемость».
"""

from app.documents import Column, Report, Section
from app.formats import format_date
from app.services.reports.attendance import MISSED_REASONS, NOTES, REASON_LABELS, Missed, missed_by_pupil
from app.services.reports.common import (
    COUNTING_NOTES,
    STANDINGS,
    ReportRequest,
    as_of,
    class_subjects,
    period_finals,
    period_line,
    rolls,
    subject_order,
    subjects_by_id,
    tally,
)
from app.services.reports.progress import subject_section


def class_teacher_report(request: ReportRequest) -> Report:
    """One class, one period: movement, standing with names, attendance, per-subject summary, the signature line."""
    class_group = request.class_group
    period = request.require_period_for(class_group)
    day = as_of(period, request.today)
    by_class = rolls([class_group.id], period.start, period.end)
    pupils = by_class.get(class_group.id, [])
    values = period_finals(request.year, period, [class_group.id])
    found = tally(pupils, values, day)

    at_start = [p for p in pupils if p.on_roll(period.start)]
    arrived = [p for p in pupils if period.start < p.start <= day]
    left = [p for p in pupils if p.left_before(day)]
    at_end = [p for p in pupils if p.on_roll(day)]
    movement = Section(
        "Движение учащихся",
        [Column("Показатель", 3), Column("Число", 1, "R"), Column("Ученики", 6)],
        [
            (f"На начало периода ({format_date(period.start)})", len(at_start), ""),
            ("Прибыли", len(arrived), ", ".join(f"{p.short} ({format_date(p.start)})" for p in arrived)),
            ("Выбыли", len(left), ", ".join(f"{p.short} ({format_date(p.end)})" for p in left)),
            (f"На конец периода ({format_date(day)})", len(at_end), ""),
        ],
    )

    subject_ids = set(class_subjects([class_group.id]).get(class_group.id, []))
    subject_ids |= {s for p in pupils for s in values.get(p.student_id, {})}
    subjects = subjects_by_id(subject_ids)
    standing_rows = []
    for code, label, _meaning in STANDINGS:
        items = sorted(found.members.get(code, []), key=lambda item: item[0].name)
        names = []
        for pupil, value in items:
            ids = {"failing": value.failing, "not_attested": value.not_attested}.get(
                code, [value.single] if code in ("one_three", "one_four") else []
            )
            what = ", ".join(subjects[i].name for i in ids if i in subjects)
            names.append(f"{pupil.short} ({what})" if what else pupil.short)
        standing_rows.append((label, len(items), ", ".join(names)))
    standing_rows += [
        ("Без итоговых отметок", found.ungraded, ""),
        ("Успеваемость", found.pass_rate, ""),
        ("Качество знаний", found.quality_rate, ""),
    ]
    standing_section = Section(
        "Успеваемость",
        [Column("Показатель", 3), Column("Число", 1, "R"), Column("Ученики", 6)],
        standing_rows,
        notes=[f"Аттестовано учеников: {found.counted}.", *COUNTING_NOTES],
    )

    missed = missed_by_pupil(request.year, by_class, period.start, period.end)
    whole = Missed()
    for (_class, _student), entry in missed.items():
        whole.merge(entry)
    attendance = Section(
        "Посещаемость",
        [Column("Показатель", 3), Column("Уроков", 1, "R"), Column("Дней", 1, "R")],
        [
            ("Пропущено всего", whole.lesson_total, whole.day_total),
            *((REASON_LABELS[r].capitalize(), whole.lessons.get(r, 0), whole.days.get(r, 0)) for r in MISSED_REASONS),
            ("Опоздания", whole.late, ""),
        ],
        notes=NOTES[:2],
    )
    teacher = class_group.class_teacher.short_name if class_group.class_teacher_id else "не назначен"
    return Report(
        title=f"Отчёт классного руководителя: {class_group} класс, {period.label}",
        header=[
            f"Класс: {class_group}. Классный руководитель: {teacher}".rstrip(".") + ".",
            period_line(request, period),
            f"Сформировано {format_date(request.today)}.",
        ],
        sections=[
            movement,
            standing_section,
            attendance,
            subject_section(subject_order(subjects, subject_ids), pupils, values, day),
        ],
        signatures=[f"Классный руководитель / {teacher} /"],
        filename=f"otchet-klruk-{class_group}-{period.key}",
    )
