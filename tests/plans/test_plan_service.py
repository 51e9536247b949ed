"""Thematic plans through their services: import all or nothing, lessons take the rows in order, hours."""

import datetime as dt

import pytest

from app.models import LessonPlanRow, PlanRow, ThematicPlan
from app.services import groups, journal, plans
from app.services.errors import AccessDenied, BadInput, DomainError
from tests.plans.conftest import GOOD_ROWS, make_lesson, plan_xlsx


def _import(school, rows=GOOD_ROWS, actor=None, journal_=None):
    actor = actor or school.teacher
    target = journal_ or school.j5a
    preview = plans.preview_file(actor, target, "ktp.xlsx", plan_xlsx(rows))
    return preview, plans.apply_rows(actor, target, [row.raw for row in preview.rows], clock=school.clock)


def _hold(school, lesson, **changes):
    lesson = journal.get_lesson(lesson.id)
    return journal.save_lesson(school.teacher, lesson.id, lesson.version, {"held": True, **changes}, clock=school.clock)


def test_a_bad_row_is_reported_and_nothing_is_imported(school):
    bad = list(GOOD_ROWS)
    bad[2] = (2, "Десятичная запись числа", "2,5", None, None)
    bad[6] = (5, "", 1, "31.02.2026", None)
    preview = plans.preview_file(school.teacher, school.j5a, "ktp.xlsx", plan_xlsx(bad))
    assert not preview.ok
    # The title is row 1, the headings row 2: the 2,5 hours are on the file's row 5, the empty topic on row 9.
    assert preview.errors == [
        "Строка 5: часы «2,5»: нужно целое число от 1 до 99.",
        "Строка 9: не указана тема; даты «31.02.2026» не существует.",
    ]
    with pytest.raises(BadInput, match="Строка 5: часы «2,5»"):
        plans.apply_rows(school.teacher, school.j5a, [row.raw for row in preview.rows], clock=school.clock)
    assert ThematicPlan.select().count() == 0 and PlanRow.select().count() == 0


def test_the_fixed_file_imports_with_sections_and_hours(school):
    preview, plan = _import(school)
    assert preview.ok and preview.hours == 7
    rows = plans.rows_of(plan)
    assert [(r.position, r.number, r.topic, r.hours) for r in rows] == [
        (1, "1", "Ряд натуральных чисел", 1),
        (2, "2", "Десятичная запись числа", 2),
        (3, "3", "Сравнение чисел", 1),
        (4, "4", "Сложение", 1),
        (5, "5", "Вычитание", 1),
        (6, "6", "Контрольная работа № 1", 1),
    ]
    assert [r.section for r in rows] == ["Раздел 1. Натуральные числа"] * 3 + ["Раздел 2. Действия с числами"] * 3
    assert rows[0].homework == "№ 1–5" and plan.status == "draft"


def test_csv_in_cp1251_with_semicolons_reads_the_same(school):
    text = "№;Тема;Часы\n1;Ряд натуральных чисел;1\n2;Десятичная запись числа;2\n"
    preview = plans.preview_file(school.teacher, school.j5a, "ktp.csv", text.encode("cp1251"))
    assert preview.ok and [(r.topic, r.hours) for r in preview.rows] == [
        ("Ряд натуральных чисел", 1),
        ("Десятичная запись числа", 2),
    ]


def test_a_file_without_headings_is_refused(school):
    with pytest.raises(BadInput, match="не найдена строка заголовков"):
        plans.preview_file(school.teacher, school.j5a, "ktp.csv", b"a;b\n1;2\n")


def test_held_lessons_take_the_rows_in_order_and_a_two_hour_row_takes_two(school):
    _import(school)
    topics = [_hold(school, lesson).topic for lesson in school.lessons[:5]]
    assert topics == [
        "Ряд натуральных чисел",
        "Десятичная запись числа",
        "Десятичная запись числа",
        "Сравнение чисел",
        "Сложение",
    ]
    assert LessonPlanRow.select().count() == 5


def test_a_typed_topic_is_kept(school):
    _import(school)
    lesson = _hold(school, school.lessons[0], topic="Натуральные числа: повторение")
    assert lesson.topic == "Натуральные числа: повторение"
    assert [r.topic for r in plans.lesson_rows(lesson.id)] == ["Ряд натуральных чисел"]


def test_skip_and_merge_and_choose(school):
    _import(school)
    first = _hold(school, school.lessons[0])
    # Skip row 1: the lesson takes row 2 and the next lesson passes row 1 by.
    first = journal.change_lesson_plan(school.teacher, first.id, first.version, "skip", clock=school.clock)
    assert first.topic == "Десятичная запись числа"
    assert PlanRow.get(PlanRow.position == 1).skipped
    # Merge: the second lesson gives the rest of row 2 and row 3.
    second = _hold(school, school.lessons[1])
    assert second.topic == "Десятичная запись числа"
    second = journal.change_lesson_plan(school.teacher, second.id, second.version, "merge", clock=school.clock)
    assert second.topic == "Десятичная запись числа; Сравнение чисел"
    third = _hold(school, school.lessons[2])
    assert third.topic == "Сложение"
    # Choose: the skipped row 1 is given after all; it is back in the order.
    row1 = PlanRow.get(PlanRow.position == 1)
    third = journal.change_lesson_plan(school.teacher, third.id, third.version, "choose", row1.id, clock=school.clock)
    assert third.topic == "Ряд натуральных чисел" and not PlanRow.get_by_id(row1.id).skipped
    fourth = _hold(school, school.lessons[3])
    assert fourth.topic == "Сложение"
    # A row given in full by other lessons is not chosen again.
    with pytest.raises(DomainError, match="уже пройдена"):
        journal.change_lesson_plan(school.teacher, fourth.id, fourth.version, "choose", row1.id, clock=school.clock)
    # A stale version is a conflict, as for the panel.
    with pytest.raises(journal.EditConflict):
        journal.change_lesson_plan(school.teacher, fourth.id, fourth.version - 1, "skip", clock=school.clock)


def test_a_cancelled_lesson_gives_its_row_back(school):
    _import(school)
    first = _hold(school, school.lessons[0])
    first = journal.save_lesson(
        school.teacher,
        first.id,
        first.version,
        {"held": False, "cancelled": True, "cancel_reason": "карантин"},
        clock=school.clock,
    )
    assert plans.lesson_rows(first.id) == []
    assert _hold(school, school.lessons[1]).topic == "Ряд натуральных чисел"


def test_hours_planned_given_and_behind(school):
    _import(school)
    for lesson in school.lessons[:3]:
        _hold(school, lesson)
    (line,) = plans.plan_lines(school.teacher, school.year, today=school.today)
    # Planned 1+2+1+1+1+1 = 7; given 3 held; by today 7 lessons are due (six days ago … today), capped at 7.
    assert (line.planned, line.given, line.curriculum, line.due, line.behind) == (7, 3, 170, 7, 4)
    # A lesson of 5Б replaced by… nothing: 5Б's journal has no plan and no behind.
    lines = {line.journal.id: line for line in plans.plan_lines(school.deputy, school.year, today=school.today)}
    assert lines[school.j5b.id].behind is None and lines[school.j5b.id].status_label == "нет плана"
    assert set(lines) == {school.j5a.id, school.j5b.id, school.j6b.id}


def test_a_plan_with_dates_is_behind_by_its_own_dates(school):
    day = school.today - dt.timedelta(days=3)
    rows = [(1, "Ряд", 1, f"{day:%d.%m.%Y}"), (2, "Запись", 2, f"{school.today:%d.%m.%Y}"), (3, "Сравнение", 1, None)]
    preview = plans.preview_file(
        school.teacher, school.j5a, "ktp.xlsx", plan_xlsx(rows, headings=("№", "Тема", "Часы", "Дата"))
    )
    plans.apply_rows(school.teacher, school.j5a, [r.raw for r in preview.rows], clock=school.clock)
    _hold(school, school.lessons[0])
    (line,) = plans.plan_lines(school.teacher, school.year, today=school.today)
    assert (line.planned, line.due, line.given, line.behind) == (4, 3, 1, 2)


def test_program_report_sums_the_journals(school):
    _import(school)
    _hold(school, school.lessons[0])
    report = plans.program_report(school.deputy, school.year, today=school.today)
    (section,) = report.sections
    assert report.title == "Выполнение программы"
    by_group = {row[0]: row for row in section.rows}
    assert by_group["5А"][3:9] == (170, 7, 7, 1, 6, "черновик")
    assert by_group["5Б"][3:9] == (170, None, None, 0, None, "нет плана")
    assert section.totals[3:8] == (340, 7, 7, 1, 6)
    # A teacher's report holds their own journals only.
    own = plans.program_report(school.teacher, school.year, today=school.today)
    assert [row[0] for row in own.sections[0].rows] == ["5А"]


def test_reimport_keeps_links_by_position_and_refuses_to_drop_a_given_row(school):
    _import(school)
    first = _hold(school, school.lessons[0])
    changed = list(GOOD_ROWS)
    changed[1] = (1, "Натуральный ряд", 1, None, None)
    _import(school, rows=changed)
    assert [r.topic for r in plans.lesson_rows(first.id)] == ["Натуральный ряд"]
    # The lesson keeps the topic it got: the lesson is the journal's record.
    assert journal.get_lesson(first.id).topic == "Ряд натуральных чисел"
    _hold(school, school.lessons[1])
    # A one-row plan would drop row 2, which the second lesson gives: refused, nothing changed.
    with pytest.raises(DomainError, match="по строкам № 2 уже проведены уроки"):
        _import(school, rows=[(1, "Одна строка", 1)])
    assert len(plans.rows_of(plans.plan_of(school.j5a.id))) == 6


def test_copy_to_the_parallel_and_approval(school):
    _import(school)
    # 5Б's journal is Кузнецов's: Смирнова does not write its plan.
    with pytest.raises(AccessDenied):
        plans.copy_to_parallel(school.teacher, school.j5a, [school.j5b.id], clock=school.clock)
    assert plans.plan_of(school.j5b.id) is None
    groups.assign_teacher(None, school.j5b, school.teacher)
    # The 6th grade's journal is not a parallel of 5А's.
    assert [j.id for j in plans.parallel_journals(school.j5a)] == [school.j5b.id]
    with pytest.raises(BadInput):
        plans.copy_to_parallel(school.teacher, school.j5a, [school.j6b.id], clock=school.clock)
    plans.copy_to_parallel(school.teacher, school.j5a, [school.j5b.id], clock=school.clock)
    assert [r.topic for r in plans.rows_of(plans.plan_of(school.j5b.id))][:2] == [
        "Ряд натуральных чисел",
        "Десятичная запись числа",
    ]
    with pytest.raises(AccessDenied):
        plans.approve_plan(school.teacher, school.j5a, clock=school.clock)
    plan = plans.approve_plan(school.deputy, school.j5a, "Согласовано", clock=school.clock)
    assert plan.status == "approved" and plan.approved_by_id == school.deputy.id
    with pytest.raises(DomainError, match="утверждён"):
        _import(school)
    with pytest.raises(BadInput, match="что нужно исправить"):
        plans.return_plan(school.deputy, school.j5a, "  ", clock=school.clock)
    plan = plans.return_plan(school.deputy, school.j5a, "Добавьте резерв", clock=school.clock)
    assert plan.status == "draft" and plan.comment == "Добавьте резерв"


def test_a_replaced_lesson_counts_in_the_journal_of_the_subject_given(school):
    from app.models import Subject

    _import(school)
    russian = Subject.create(name="Русский язык")
    j_russian = groups.class_journal(school.c5a, russian)
    groups.assign_teacher(None, j_russian, school.teacher)
    replaced = make_lesson(j_russian, school.teacher, school.today, number=3, term=school.term)
    # The deputy gives the Russian lesson as mathematics; the teacher marks it held.
    journal.save_lesson(school.deputy, replaced.id, 1, {"replacement_subject_id": school.math.id}, clock=school.clock)
    lesson = journal.get_lesson(replaced.id)
    lesson = journal.save_lesson(school.teacher, lesson.id, lesson.version, {"held": True}, clock=school.clock)
    # It takes mathematics' plan row, and counts among mathematics' given hours, not Russian's.
    assert lesson.topic == "Ряд натуральных чисел"
    lines = {line.journal.id: line for line in plans.plan_lines(school.deputy, school.year, today=school.today)}
    assert lines[school.j5a.id].given == 1 and lines[j_russian.id].given == 0


def test_the_list_takes_the_same_queries_for_one_journal_as_for_many(school):
    from tests.journal.conftest import QueryCounter

    _import(school)
    plans.plan_lines(school.deputy, school.year, today=school.today)  # the deputy's permissions, read once
    with QueryCounter() as few:
        plans.plan_lines(school.deputy, school.year, today=school.today, journal_ids=[school.j5a.id])
    with QueryCounter() as many:
        plans.plan_lines(school.deputy, school.year, today=school.today)
    assert few.count == many.count <= 8
