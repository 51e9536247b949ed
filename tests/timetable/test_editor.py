"""The timetable editor's service: a grid saved from a date, clashes refused, copies, re-planning, bad input.

The timetable's small school (tests/timetable/conftest.py), with 5Б beside 5А: its mathematics is
taught by Волкова on Wednesday's 1st lesson in room 201. «Today» is Wednesday 18.11.2026.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from app.models import (
    AuditEntry,
    ClassGroup,
    Journal,
    Lesson,
    Mark,
    Staff,
    TimetableSlot,
    WorkType,
)
from app.services import groups, journal_planning, timetable
from app.services import timetable_editor as editor
from app.services.errors import AccessDenied, DomainError
from app.services.timetable_editor import Entry

TODAY = dt.date(2026, 11, 18)
NEXT_MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def school(tt):
    c5b = ClassGroup.create(year=tt.year, grade=5, letter="Б")
    math_5b = groups.class_journal(c5b, tt.math)
    groups.assign_teacher(None, math_5b, tt.maths)
    groups.create_slot(
        None,
        journal=math_5b.id,
        weekday=3,
        lesson_number=1,
        teacher=tt.maths.id,
        room=tt.rooms.r201.id,
        valid_from=tt.year.start_date,
        valid_to=tt.year.end_date,
    )
    return SimpleNamespace(tt=tt, c5b=c5b, math_5b=math_5b)


def current(tt) -> dict:
    return editor.week_cells(tt.c5a, TODAY)


def slots_of(class_group):
    return list(editor._class_slots(class_group).order_by(TimetableSlot.id))


def state():
    """What a refused write must leave as it was."""
    return (
        [s.__data__.copy() for s in TimetableSlot.select().order_by(TimetableSlot.id)],
        Lesson.select().count(),
        AuditEntry.select().count(),
    )


def test_the_editor_shows_the_class_version_valid_on_the_day(school):
    tt = school.tt
    ed = editor.editor(tt.admin, tt.c5a.id, TODAY, TODAY)
    assert ed.cells[(1, 2)] == [
        Entry(tt.eng1.id, tt.english.id, tt.rooms.r202.id),
        Entry(tt.eng2.id, tt.english2.id, tt.rooms.r203.id),
    ]
    assert ed.numbers == [1, 2, 3]
    assert ed.valid_from == TODAY
    labels = [c.label for c in ed.choices]
    assert labels == [
        "Английский язык — 5А, англ., гр. 1 (Смирнова А.И.)",
        "Английский язык — 5А, англ., гр. 2 (Кузнецов О.П.)",
        "Математика (Волкова Е.С.)",
    ]
    assert [c.id for c in ed.classes] == [school.c5b.id]
    assert ed.versions == [(tt.year.start_date, tt.year.end_date)]
    with pytest.raises(AccessDenied):
        editor.editor(tt.english, tt.c5a.id, TODAY, TODAY)


def test_a_saved_grid_is_a_new_version_from_its_date_and_the_old_one_is_kept(school):
    tt = school.tt
    cells = current(tt)
    cells[(5, 2)] = [Entry(tt.math_journal.id, tt.maths.id, tt.rooms.r201.id)]
    del cells[(4, 3)]
    saved = editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    assert (saved.valid_from, saved.valid_to, saved.slots) == (NEXT_MONDAY, tt.year.end_date, 5)
    old = [s for s in slots_of(tt.c5a) if s.valid_from == tt.year.start_date]
    assert len(old) == 5 and {s.valid_to for s in old} == {dt.date(2026, 11, 22)}
    new = [s for s in slots_of(tt.c5a) if s.valid_from == NEXT_MONDAY]
    assert sorted((s.weekday, s.lesson_number) for s in new) == [(1, 1), (1, 2), (1, 2), (2, 1), (5, 2)]
    assert editor.versions_of(tt.c5a) == [
        (tt.year.start_date, dt.date(2026, 11, 22)),
        (NEXT_MONDAY, tt.year.end_date),
    ]
    # The read-only grids show the version of the displayed week.
    this_week = timetable.class_week(tt.admin, tt.c5a, TODAY)
    next_week = timetable.class_week(tt.admin, tt.c5a, NEXT_MONDAY)
    thursday_this = next(d for d in this_week.days if d.date == tt.thursday)
    assert [e.subject for e in thursday_this.cells[3]] == ["Математика"]
    friday_next = next(d for d in next_week.days if d.date.isoweekday() == 5)
    assert [e.subject for e in friday_next.cells[2]] == ["Математика"]
    assert not any(d.cells.get(3) for d in next_week.days)
    # The lessons were planned from the date on; the earlier ones are as they were.
    assert saved.plan.created > 0
    assert Lesson.select().where(Lesson.date < NEXT_MONDAY).count() == 4
    assert Lesson.select().where((Lesson.date == dt.date(2026, 11, 27)) & (Lesson.number == 2)).count() == 1
    # 5Б is not touched.
    assert [s.valid_to for s in slots_of(school.c5b)] == [tt.year.end_date]


def test_saving_again_from_the_same_date_replaces_that_version_only(school):
    tt = school.tt
    stamp = editor.stamp_of(tt.c5a)
    editor.save(tt.admin, tt.c5a, current(tt), NEXT_MONDAY, stamp, TODAY)
    later = dt.date(2027, 1, 11)
    editor.save(tt.admin, tt.c5a, current(tt), later, editor.stamp_of(tt.c5a), TODAY)
    # Re-edit the middle version: it keeps ending the day before the later one.
    cells = editor.week_cells(tt.c5a, NEXT_MONDAY)
    cells[(6, 1)] = [Entry(tt.math_journal.id, tt.maths.id, None)]
    saved = editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    assert saved.valid_to == dt.date(2027, 1, 10)
    assert [v[0] for v in editor.versions_of(tt.c5a)] == [tt.year.start_date, NEXT_MONDAY, later]
    assert (6, 1) in editor.week_cells(tt.c5a, dt.date(2026, 12, 1))
    assert (6, 1) not in editor.week_cells(tt.c5a, dt.date(2027, 1, 12))


def test_replanning_touches_only_future_empty_lessons(school):
    tt = school.tt
    journal_planning.plan_lessons(tt.admin, tt.year, class_group=tt.c5a, start=tt.monday)
    thursdays = lambda: {  # noqa: E731
        lesson.date: lesson
        for lesson in Lesson.select().where((Lesson.journal == tt.math_journal.id) & (Lesson.number == 3))
    }
    before = thursdays()
    assert tt.thursday in before and dt.date(2026, 11, 26) in before
    work = WorkType.create(name="Ответ на уроке")
    marked = before[dt.date(2026, 11, 26)]
    Mark.create(lesson=marked, student=tt.students[0], value="5", work_type=work)
    topic = before[dt.date(2026, 12, 3)]
    Lesson.update(topic="Дроби").where(Lesson.id == topic.id).execute()
    held = before[dt.date(2026, 12, 10)]
    Lesson.update(held=True).where(Lesson.id == held.id).execute()
    cells = current(tt)
    del cells[(4, 3)]  # Thursday's 3rd lesson goes …
    cells[(4, 2)] = [Entry(tt.math_journal.id, tt.maths.id, tt.rooms.r201.id)]  # … to the 2nd
    saved = editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    after = thursdays()
    # Before the date: as it was, in the timetable.
    assert after[tt.thursday].id == before[tt.thursday].id and not after[tt.thursday].orphaned
    # Filled lessons stay, with their data, flagged for the deputy.
    for kept in (marked, topic, held):
        row = after[kept.date]
        assert row.id == kept.id and row.orphaned
    assert Mark.select().where(Mark.lesson == marked.id).count() == 1
    assert Lesson.get_by_id(topic.id).topic == "Дроби" and Lesson.get_by_id(held.id).held
    # The empty ones went; the new slot has its lessons.
    assert set(after) == {tt.thursday, marked.date, topic.date, held.date}
    assert saved.plan.orphaned == 3 and saved.plan.removed == len(before) - 4
    moved = Lesson.select().where((Lesson.journal == tt.math_journal.id) & (Lesson.number == 2))
    assert {lesson.date for lesson in moved} >= {dt.date(2026, 11, 26), dt.date(2026, 12, 3)}
    assert min(lesson.date for lesson in moved) == dt.date(2026, 11, 26)


def test_teacher_room_and_student_clashes_are_shown_and_refused(school):
    tt = school.tt
    cells = current(tt)
    # Волкова teaches 5Б on Wednesday's 1st lesson, in room 201.
    cells[(3, 1)] = [Entry(tt.math_journal.id, tt.maths.id, tt.rooms.r202.id)]
    # Room 201 is 5Б's at Wednesday's 1st… but this is the 2nd lesson: English in 201 against nobody.
    cells[(3, 2)] = [Entry(tt.eng1.id, tt.english.id, tt.rooms.r201.id)]
    # A whole-class lesson beside a group's: the class's students would be in two lessons.
    cells[(2, 1)] = [
        Entry(tt.math_journal.id, tt.maths.id, tt.rooms.r201.id),
        Entry(tt.eng1.id, tt.english.id, tt.rooms.r202.id),
    ]
    problems = editor.check(tt.admin, tt.c5a, cells, NEXT_MONDAY, TODAY)
    assert set(problems) == {(3, 1), (2, 1)}
    assert problems[(3, 1)] == [
        "Учитель Волкова Е.С. в это время уже ведёт урок: 5Б, среда, 1 урок — Математика "
        "(Волкова Е.С., каб. 201, 01.09.2026–31.05.2027)."
    ]
    assert all("У класса 5А в это время уже есть урок" in p for p in problems[(2, 1)])
    # A room taken by 5Б.
    cells[(3, 1)] = [Entry(tt.eng1.id, tt.english.id, tt.rooms.r201.id), Entry(tt.eng2.id, tt.english2.id, None)]
    problems = editor.check(tt.admin, tt.c5a, cells, NEXT_MONDAY, TODAY)
    assert problems[(3, 1)] == [
        "Кабинет 201 в это время занят: 5Б, среда, 1 урок — Математика (Волкова Е.С., каб. 201, 01.09.2026–31.05.2027)."
    ]
    # The check writes nothing; the save with clashes is refused and writes nothing.
    before = state()
    with pytest.raises(editor.Conflicts) as refused:
        editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    assert "конфликтов — 3" in refused.value.message and set(refused.value.problems) == {(3, 1), (2, 1)}
    assert state() == before


def test_a_student_in_a_cross_class_group_at_that_time_is_a_clash(school):
    tt = school.tt
    cross = groups.create_group(None, year=tt.year.id, kind="cross", name="Хор", grade=None)
    groups.create_membership(None, group=cross.id, student=tt.students[2].id, start_date=tt.year.start_date)
    choir = groups.create_journal(None, group=cross.id, subject=tt.eng.id, teachers=[tt.english.id])
    groups.create_slot(
        None,
        journal=choir.id,
        weekday=5,
        lesson_number=3,
        teacher=tt.english.id,
        room=None,
        valid_from=tt.year.start_date,
        valid_to=tt.year.end_date,
    )
    # The grid shows the group's lesson in its cell, not as one of the class's to edit.
    ed = editor.editor(tt.admin, tt.c5a, TODAY, TODAY)
    assert ed.others == {(5, 3): ["Хор: Английский язык, Смирнова А.И."]} and (5, 3) not in ed.cells
    cells = current(tt)
    cells[(5, 3)] = [Entry(tt.eng2.id, tt.english2.id, None)]
    problems = editor.check(tt.admin, tt.c5a, cells, NEXT_MONDAY, TODAY)
    assert problems == {
        (5, 3): [
            "У ученика Григорьев Денис (группа «5А, англ., гр. 2») в это время уже есть урок: "
            "Хор, пятница, 3 урок — Английский язык (Смирнова А.И., 01.09.2026–31.05.2027)."
        ]
    }


def test_a_day_is_copied_to_another_day(tt):
    cells = editor.copy_day(current(tt), 1, 6)
    assert cells[(6, 1)] == cells[(1, 1)] and cells[(6, 2)] == cells[(1, 2)]
    assert cells[(2, 1)] == current(tt)[(2, 1)]
    # The target day's own lessons are replaced.
    cells = editor.copy_day(current(tt), 3, 2)
    assert not any(key[0] == 2 for key in cells)
    with pytest.raises(DomainError, match="сам в себя"):
        editor.copy_day(current(tt), 2, 2)


def test_a_week_pattern_is_copied_into_a_new_version(school):
    tt = school.tt
    cells = current(tt)
    cells[(6, 3)] = [Entry(tt.math_journal.id, tt.maths.id, None)]
    editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    # Back to the first pattern from the new year on.
    saved = editor.copy_week(tt.admin, tt.c5a, dt.date(2026, 11, 20), dt.date(2027, 1, 11), TODAY)
    assert saved.slots == 5
    assert editor.week_cells(tt.c5a, dt.date(2027, 1, 11)) == editor.week_cells(tt.c5a, TODAY)
    assert (6, 3) in editor.week_cells(tt.c5a, dt.date(2026, 12, 1))


def test_a_class_timetable_is_copied_to_the_parallel_class_mapping_journals(school):
    tt = school.tt
    c5b = school.c5b
    g1, g2 = groups.create_split(None, c5b, "англ.", 2)
    eng_5b = groups.create_journal(None, group=g1.id, subject=tt.eng.id, teachers=[tt.english2.id])
    cells, notes = editor.copy_class(tt.admin, tt.c5a.id, c5b, TODAY)
    assert cells == {
        (1, 1): [Entry(school.math_5b.id, tt.maths.id, None)],
        (1, 2): [Entry(eng_5b.id, tt.english2.id, None)],
        (2, 1): [Entry(school.math_5b.id, tt.maths.id, None)],
        (4, 3): [Entry(school.math_5b.id, tt.maths.id, None)],
    }
    assert notes == [
        "Скопировано расписание класса 5А (версия на 18.11.2026); кабинеты не переносятся.",
        "«Английский язык — 5А, англ., гр. 2»: у класса 5Б нет такого журнала — уроки не перенесены.",
    ]
    # The copy is a draft: its clashes with 5А (the same teachers at the same times) show on the check.
    problems = editor.check(tt.admin, c5b, cells, NEXT_MONDAY, TODAY)
    assert set(problems) == {(1, 1), (1, 2), (2, 1), (4, 3)}
    assert "Учитель Волкова Е.С. в это время уже ведёт урок: 5А, понедельник, 1 урок" in problems[(1, 1)][0]
    assert Journal.select().where(Journal.group == g2.id).count() == 0
    with pytest.raises(DomainError, match="само в себя"):
        editor.copy_class(tt.admin, c5b.id, c5b, TODAY)


BAD_CELLS = {
    "bells": (lambda tt: {(1, 4): [Entry(tt.math_journal.id, tt.maths.id)]}, "нет в расписании звонков"),
    "class": (lambda tt: {(6, 1): [Entry(tt.other.id, tt.maths.id)]}, "не относится к классу 5А"),
    "teacher": (lambda tt: {(6, 1): [Entry(tt.eng1.id, tt.maths.id)]}, "учитель не ведёт журнал"),
    "journal": (lambda tt: {(6, 1): [Entry(999999, tt.maths.id)]}, "журнал не найден"),
    "room": (lambda tt: {(6, 1): [Entry(tt.math_journal.id, tt.maths.id, 999999)]}, "кабинет не найден"),
}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_bad_cells_are_refused_in_russian_and_nothing_is_written(school, case):
    tt = school.tt
    tt.other = school.math_5b
    change, message = BAD_CELLS[case]
    cells = {**current(tt), **change(tt)}
    before = state()
    with pytest.raises(DomainError, match=message):
        editor.save(tt.admin, tt.c5a, cells, NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    with pytest.raises(DomainError, match=message):
        editor.check(tt.admin, tt.c5a, cells, NEXT_MONDAY, TODAY)
    assert state() == before


def test_a_blocked_teacher_s_slot_shows_but_must_be_changed_before_saving(school):
    tt = school.tt
    Staff.update(active=False).where(Staff.id == tt.english2.id).execute()
    ed = editor.editor(tt.admin, tt.c5a, TODAY, TODAY)
    assert Entry(tt.eng2.id, tt.english2.id, tt.rooms.r203.id) in ed.cells[(1, 2)]
    assert "Английский язык — 5А, англ., гр. 2 (Кузнецов О.П. — заблокирован(а))" in [c.label for c in ed.choices]
    before = state()
    with pytest.raises(DomainError, match="Понедельник, 2 урок: учитель урока .* заблокирован"):
        editor.save(tt.admin, tt.c5a, current(tt), NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)
    assert state() == before
    # Copied to a parallel class, a journal with only a blocked teacher is reported.
    g1, g2 = groups.create_split(None, school.c5b, "англ.", 2)
    Staff.update(active=True).where(Staff.id == tt.english2.id).execute()
    groups.create_journal(None, group=g2.id, subject=tt.eng.id, teachers=[tt.english2.id])
    Staff.update(active=False).where(Staff.id == tt.english2.id).execute()
    _cells, notes = editor.copy_class(tt.admin, tt.c5a, school.c5b, TODAY)
    assert "«Английский язык — 5Б, англ., гр. 2»: у журнала класса 5Б нет учителя — уроки не перенесены." in notes[2]


def test_dates_outside_the_year_in_the_past_and_a_stale_grid_are_refused(school):
    tt = school.tt
    stamp = editor.stamp_of(tt.c5a)
    before = state()
    with pytest.raises(DomainError, match="вне учебного года 2026/2027"):
        editor.save(tt.admin, tt.c5a, current(tt), dt.date(2027, 6, 1), stamp, TODAY)
    with pytest.raises(DomainError, match="уже прошла"):
        editor.save(tt.admin, tt.c5a, current(tt), dt.date(2026, 11, 17), stamp, TODAY)
    assert state() == before
    # Someone else saved meanwhile.
    other = current(tt)
    other[(6, 1)] = [Entry(tt.math_journal.id, tt.maths.id)]
    editor.save(tt.admin, tt.c5a, other, TODAY, stamp, TODAY)
    before = state()
    with pytest.raises(DomainError, match="уже изменили, пока страница была открыта"):
        editor.save(tt.admin, tt.c5a, current(tt), NEXT_MONDAY, stamp, TODAY)
    assert state() == before
    with pytest.raises(AccessDenied):
        editor.save(tt.english, tt.c5a, current(tt), NEXT_MONDAY, editor.stamp_of(tt.c5a), TODAY)


def test_posted_cells_are_read_and_junk_is_refused():
    form = {"e-1-2-0": "5-7", "r-1-2-0": "3", "e-1-2-1": "6-8", "r-1-2-1": "", "e-2-1-0": "", "csrf_token": "x"}
    assert editor.parse_cells(form) == {(1, 2): [Entry(5, 7, 3), Entry(6, 8, None)]}
    for junk in ({"e-7-1-0": "5-7"}, {"e-1-1-0": "пять"}, {"e-1-1-0": "5-7", "r-1-1-0": "x"}, {"e-1-1-9": "5-7"}):
        with pytest.raises(DomainError):
            editor.parse_cells(junk)
