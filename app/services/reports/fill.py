"""«Заполнение журнала» for a month: per teacher and journal, the completeness rules' findings and the lessons filled.

The findings are those of the deputy's monthly check (`completeness.find` over the month, decision
21), without the ones dismissed as no problem; a lesson's finding is its giver's (a substitute's
for a substitution), a journal's its first teacher's. «Уроков к заполнению» are the journal's
uncancelled lessons of the month up to yesterday outside the holidays; «проведено с темой» those
of them marked held with a topic.
"""

import datetime as dt
from collections import Counter, defaultdict

from peewee import Case, fn

from app.db import id_list
from app.documents import Column, Report, Section
from app.formats import format_date, month_label
from app.models import Holiday, Lesson, Staff
from app.models.oversight import FindingDismissal
from app.models.people import short_name
from app.services import access, completeness, journal_check
from app.services.reports.common import ReportRequest, percent

NOBODY = "без учителя"


def _lesson_counts(journal_ids, start, until, holidays, teacher_id) -> dict[tuple[int, int], tuple[int, int]]:
    """{(teacher id, journal id): (lessons due, held with a topic)} in one grouped query."""
    if until < start or not journal_ids:
        return {}
    with_topic = (Lesson.held == True) & Lesson.topic.is_null(False) & (fn.TRIM(Lesson.topic) != "")  # noqa: E712
    condition = (
        Lesson.journal.in_(id_list(journal_ids)) & Lesson.date.between(start, until) & (Lesson.cancelled == False)  # noqa: E712
    )
    for first, last in holidays:
        condition &= ~Lesson.date.between(first, last)
    if teacher_id is not None:
        condition &= Lesson.teacher == teacher_id
    query = (
        Lesson.select(Lesson.teacher, Lesson.journal, fn.COUNT(Lesson.id), fn.SUM(Case(None, [(with_topic, 1)], 0)))
        .where(condition)
        .group_by(Lesson.teacher, Lesson.journal)
    )
    return {(teacher, journal): (due, int(filled or 0)) for teacher, journal, due, filled in query.tuples()}


def journal_fill(request: ReportRequest) -> Report:
    """The month's fill by teacher and journal: lessons due and filled, findings by rule; a teacher sees their own."""
    first = request.month
    last = journal_check.month_end(first)
    teacher_id = access.report_teacher_id(request.actor)
    scope = (
        completeness.Scope(request.year.id)
        if teacher_id is None
        else completeness.Scope(request.year.id, "teacher", teacher_id)
    )
    findings = completeness.find(
        scope, first, last, today=request.today, clock=request.clock, settings=request.settings
    )
    keys = sorted({f.key for f in findings})
    dismissed = (
        {key for (key,) in FindingDismissal.select(FindingDismissal.key).where(FindingDismissal.key.in_(keys)).tuples()}
        if keys
        else set()
    )
    findings = [f for f in findings if f.key not in dismissed]
    journals = completeness.scope_journals(scope)
    holidays = [
        (first_day, last_day)
        for first_day, last_day in Holiday.select(Holiday.start_date, Holiday.end_date)
        .where((Holiday.year == request.year.id) & (Holiday.start_date <= last) & (Holiday.end_date >= first))
        .tuples()
    ]
    until = min(last, request.today - dt.timedelta(days=1))
    lessons = _lesson_counts(list(journals), first, until, holidays, teacher_id)
    by_rule: dict[tuple[int | None, int], Counter] = defaultdict(Counter)
    for finding in findings:
        by_rule[(finding.teacher_id, finding.journal_id)][finding.code] += 1
    keys = set(lessons) | set(by_rule)
    staff_ids = sorted({t for t, _ in keys if t is not None})
    names = {
        sid: short_name(last_name, first_name, middle)
        for sid, last_name, first_name, middle in Staff.select(
            Staff.id, Staff.last_name, Staff.first_name, Staff.middle_name
        )
        .where(Staff.id.in_(staff_ids or [0]))
        .tuples()
    }
    codes = list(completeness.RULES)

    def order(key):
        teacher, journal_id = key
        journal = journals.get(journal_id)
        return (
            names.get(teacher, NOBODY),
            teacher or 0,
            journal.group.grade or 99 if journal else 99,
            str(journal) if journal else "",
        )

    rows, per_teacher = [], defaultdict(lambda: [set(), 0, 0, Counter()])
    totals = [0, 0, Counter()]
    for key in sorted(keys, key=order):
        teacher, journal_id = key
        due, filled = lessons.get(key, (0, 0))
        found = by_rule.get(key, Counter())
        journal = journals.get(journal_id)
        rows.append(
            (
                names.get(teacher, NOBODY),
                str(journal) if journal else "",
                due,
                filled,
                percent(filled, due),
                *(found.get(code, 0) for code in codes),
                sum(found.values()),
            )
        )
        entry = per_teacher[teacher]
        entry[0].add(journal_id)
        entry[1] += due
        entry[2] += filled
        entry[3].update(found)
        totals[0] += due
        totals[1] += filled
        totals[2].update(found)
    rule_columns = [Column(completeness.RULES[code].title, 1.1, "R") for code in codes]
    detail = Section(
        "По журналам",
        [
            Column("Учитель", 2),
            Column("Журнал", 3),
            Column("Уроков к заполнению", 1.1, "R"),
            Column("Проведено с темой", 1.1, "R"),
            Column("Доля", 1, "R"),
            *rule_columns,
            Column("Всего замечаний", 1.1, "R"),
        ],
        rows,
        totals=(
            "Итого",
            "",
            totals[0],
            totals[1],
            percent(totals[1], totals[0]),
            *(totals[2].get(code, 0) for code in codes),
            sum(totals[2].values()),
        )
        if len(rows) > 1
        else None,
        notes=[
            "Замечания — находки правил проверки журнала за месяц (кроме снятых заместителем директора); "
            "замечание по уроку относится к учителю, который его провёл, по журналу — к учителю журнала.",
            "Уроков к заполнению — неотменённые уроки месяца по вчерашний день, кроме каникул.",
        ],
        empty="За месяц уроков и замечаний нет.",
    )
    teachers = Section(
        "По учителям",
        [
            Column("Учитель", 2),
            Column("Журналов", 1, "R"),
            Column("Уроков к заполнению", 1.1, "R"),
            Column("Проведено с темой", 1.1, "R"),
            Column("Доля", 1, "R"),
            *rule_columns,
            Column("Всего замечаний", 1.1, "R"),
        ],
        [
            (
                names.get(teacher, NOBODY),
                len(entry[0]),
                entry[1],
                entry[2],
                percent(entry[2], entry[1]),
                *(entry[3].get(code, 0) for code in codes),
                sum(entry[3].values()),
            )
            for teacher, entry in sorted(
                per_teacher.items(), key=lambda item: (names.get(item[0], NOBODY), item[0] or 0)
            )
        ],
        empty="За месяц уроков и замечаний нет.",
    )
    who = "вся школа" if teacher_id is None else names.get(teacher_id) or request.actor.short_name
    return Report(
        title=f"Заполнение журнала за {month_label(first)}: {who}",
        header=[
            f"Месяц: {month_label(first)} ({format_date(first)}–{format_date(last)}), учебный год {request.year}.",
            f"Сформировано {format_date(request.today)}.",
        ],
        sections=[teachers, detail],
        landscape=True,
        filename=f"zapolnenie-{first:%Y-%m}",
    )
