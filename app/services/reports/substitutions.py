"""«Замены» for a month (for payroll): per teacher, the lessons given in place of others and those taken over by others.

A substitution is an uncancelled lesson whose teacher is not its planned teacher (R3.2). One
query reads the month's substitutions with their group, subject (the one given instead, when it
was replaced) and both teachers; a teacher sees the lessons where they are on either side.
"""

from collections import defaultdict

from peewee import JOIN

from app.documents import Column, Report, Section
from app.formats import format_date, month_label
from app.models import Journal, Lesson, Staff, StudyGroup, Subject
from app.models.people import short_name
from app.services import access, journal_check
from app.services.reports.common import ReportRequest, as_date


def month_substitutions(year, first, last, teacher_id=None) -> list[tuple]:
    """The month's substitutions as (date, number, group, subject, given by, planned, held), by date and number."""
    given_by, planned = Staff.alias("given_by"), Staff.alias("planned")
    replacement = Subject.alias("replacement")
    query = (
        Lesson.select(
            Lesson.date,
            Lesson.number,
            StudyGroup.name,
            Subject.name,
            replacement.name,
            given_by.id,
            given_by.last_name,
            given_by.first_name,
            given_by.middle_name,
            planned.id,
            planned.last_name,
            planned.first_name,
            planned.middle_name,
            Lesson.held,
        )
        .join(Journal, on=(Journal.id == Lesson.journal))
        .join(StudyGroup, on=(StudyGroup.id == Journal.group))
        .join_from(Journal, Subject, on=(Subject.id == Journal.subject))
        .join_from(Lesson, replacement, JOIN.LEFT_OUTER, on=(replacement.id == Lesson.replacement_subject))
        .join_from(Lesson, given_by, on=(given_by.id == Lesson.teacher))
        .join_from(Lesson, planned, on=(planned.id == Lesson.planned_teacher))
        .where(
            (Journal.year == year.id)
            & Lesson.date.between(first, last)
            & (Lesson.teacher != Lesson.planned_teacher)
            & (Lesson.cancelled == False)  # noqa: E712
        )
        .order_by(Lesson.date, Lesson.number, StudyGroup.name)
    )
    if teacher_id is not None:
        query = query.where((Lesson.teacher == teacher_id) | (Lesson.planned_teacher == teacher_id))
    rows = []
    for (
        day,
        number,
        group,
        subject,
        instead,
        gid,
        glast,
        gfirst,
        gmiddle,
        pid,
        plast,
        pfirst,
        pmiddle,
        held,
    ) in query.tuples():
        subject_text = f"{instead} (вместо: {subject})" if instead else subject
        rows.append(
            (
                as_date(day),
                number,
                group,
                subject_text,
                (gid, short_name(glast, gfirst, gmiddle)),
                (pid, short_name(plast, pfirst, pmiddle)),
                bool(held),
            )
        )
    return rows


def substitutions(request: ReportRequest) -> Report:
    """Per teacher: lessons given in place of others (whom replaced) and lessons others took over; totals."""
    first = request.month
    last = journal_check.month_end(first)
    teacher_id = access.report_teacher_id(request.actor)
    rows = month_substitutions(request.year, first, last, teacher_id)
    given, taken = defaultdict(list), defaultdict(list)
    for row in rows:
        given[row[4]].append(row)
        taken[row[5]].append(row)
    people = sorted(set(given) | set(taken), key=lambda person: (person[1], person[0]))
    if teacher_id is not None:
        people = [p for p in people if p[0] == teacher_id]
    summary = [
        (
            name,
            len(given.get((sid, name), [])),
            sum(1 for row in given.get((sid, name), []) if row[6]),
            len(taken.get((sid, name), [])),
        )
        for sid, name in people
    ]
    given_rows = [
        (name, format_date(r[0]), r[1], r[2], r[3], r[5][1], r[6])
        for sid, name in people
        for r in given.get((sid, name), [])
    ]
    taken_rows = [
        (name, format_date(r[0]), r[1], r[2], r[3], r[4][1], r[6])
        for sid, name in people
        for r in taken.get((sid, name), [])
    ]
    lesson_columns = [Column("Дата", 1.2), Column("Урок", 0.6, "R"), Column("Класс, группа", 2), Column("Предмет", 3)]
    sections = [
        Section(
            "Итоги по учителям",
            [
                Column("Учитель", 3),
                Column("Провёл за других", 1.2, "R"),
                Column("Из них отмечено проведёнными", 1.4, "R"),
                Column("Отдал другим", 1.2, "R"),
            ],
            summary,
            totals=(
                "Итого",
                sum(r[1] for r in summary),
                sum(r[2] for r in summary),
                sum(r[3] for r in summary),
            )
            if len(summary) > 1
            else None,
            notes=["Замена — неотменённый урок, который провёл не учитель по расписанию."],
            empty="Замен за месяц не было.",
        ),
        Section(
            "Проведённые замены",
            [Column("Учитель", 2), *lesson_columns, Column("Вместо кого", 2), Column("Проведён", 1)],
            given_rows,
            empty="Нет.",
        ),
        Section(
            "Уроки, отданные на замену",
            [Column("Учитель по расписанию", 2), *lesson_columns, Column("Кто провёл", 2), Column("Проведён", 1)],
            taken_rows,
            empty="Нет.",
        ),
    ]
    who = "вся школа" if teacher_id is None else request.actor.short_name
    return Report(
        title=f"Замены за {month_label(first)}: {who}",
        header=[
            f"Месяц: {month_label(first)} ({format_date(first)}–{format_date(last)}), учебный год {request.year}.",
            f"Сформировано {format_date(request.today)}.",
        ],
        sections=sections,
        signatures=["Заместитель директора по УВР"] if teacher_id is None else [],
        landscape=True,
        filename=f"zameny-{first:%Y-%m}",
    )
