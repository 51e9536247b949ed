"""Week grids of a class, a teacher and a room: the planned lessons, substitutions, rooms, bell times, the pattern."""

import datetime as dt

from app.models import Lesson, Room, TimetableSlot
from app.services import timetable
from tests.journal.conftest import QueryCounter
from tests.timetable.conftest import lesson


def cell(grid, day, number):
    """Return the cell's entries as (subject, group, teacher, room, substitution, given away, pattern)."""
    found = next(d for d in grid.days if d.date == day)
    return [
        (e.subject, e.group, e.teacher, e.room, e.substitution, e.given_away, e.pattern)
        for e in found.cells.get(number, [])
    ]


def filled(grid):
    """Return {(date, number): count} of the cells with lessons."""
    return {(d.date, n): len(c) for d in grid.days for n, c in d.cells.items() if c}


def test_class_week_puts_the_split_groups_side_by_side_and_marks_the_substitution(tt):
    grid = timetable.class_week(tt.admin, tt.c5a.id, tt.thursday)
    assert grid.monday == tt.monday and grid.title == "Класс 5А"
    assert [d.date.isoweekday() for d in grid.days] == [1, 2, 3, 4, 5, 6]
    assert cell(grid, tt.monday, 1) == [("Математика", "5А", "Волкова Е.С.", "201", None, False, False)]
    assert cell(grid, tt.monday, 2) == [
        ("Английский язык", tt.group1.name, "Смирнова А.И.", "202", None, False, False),
        ("Английский язык", tt.group2.name, "Кузнецов О.П.", "203", None, False, False),
    ]
    assert cell(grid, tt.tuesday, 1) == [
        ("Математика", "5А", "Смирнова А.И.", "201", "замена: Смирнова А.И. вместо Волкова Е.С.", False, False)
    ]
    # Nothing is planned from Wednesday on: Thursday's slot shows as the timetable's pattern.
    assert cell(grid, tt.thursday, 3) == [("Математика", "5А", "Волкова Е.С.", "201", None, False, True)]
    assert filled(grid) == {
        (tt.monday, 1): 1,
        (tt.monday, 2): 2,
        (tt.tuesday, 1): 1,
        (tt.thursday, 3): 1,
    }
    days = {d.date: d for d in grid.days}
    assert days[tt.monday].planned and days[tt.tuesday].planned and not days[tt.thursday].planned
    assert grid.has_pattern and grid.numbers == [1, 2, 3, 4, 5, 6]


def test_bell_times_follow_the_shortened_day(tt):
    grid = timetable.class_week(tt.admin, tt.c5a.id, tt.monday)
    days = {d.date: d for d in grid.days}
    assert grid.row_time(1) == "08:30–09:15" and grid.row_time(3) == "10:30–11:15" and grid.row_time(4) == ""
    assert days[tt.monday].time_of(2) == "09:25–10:10" and not days[tt.monday].short
    assert days[tt.tuesday].short and days[tt.tuesday].short_note == "предпраздничный день"
    assert days[tt.tuesday].time_of(1) == "08:30–09:00" and days[tt.tuesday].time_of(2) == "09:10–09:40"


def test_teacher_week_shows_a_lesson_taken_over_and_one_given_away(tt):
    taking = timetable.teacher_week(tt.english, tt.english.id, tt.monday)
    assert filled(taking) == {(tt.monday, 2): 1, (tt.tuesday, 1): 1}
    assert cell(taking, tt.tuesday, 1) == [
        ("Математика", "5А", "Смирнова А.И.", "201", "замена: Смирнова А.И. вместо Волкова Е.С.", False, False)
    ]
    giving = timetable.teacher_week(tt.admin, tt.maths.id, tt.monday)
    assert filled(giving) == {(tt.monday, 1): 1, (tt.tuesday, 1): 1, (tt.thursday, 3): 1}
    assert cell(giving, tt.tuesday, 1) == [
        ("Математика", "5А", "Волкова Е.С.", "201", "замена: урок ведёт Смирнова А.И.", True, False)
    ]
    assert giving.title == "Волкова Елена Сергеевна"


def test_room_week_holds_only_that_rooms_lessons(tt):
    grid = timetable.room_week(tt.admin, tt.rooms.r201.id, tt.monday)
    assert filled(grid) == {(tt.monday, 1): 1, (tt.tuesday, 1): 1, (tt.thursday, 3): 1}
    grid = timetable.room_week(tt.admin, tt.rooms.r203.id, tt.monday)
    assert cell(grid, tt.monday, 2) == [("Английский язык", tt.group2.name, "Кузнецов О.П.", "203", None, False, False)]
    assert filled(grid) == {(tt.monday, 2): 1}


def test_a_replacement_subject_and_a_cancelled_lesson_show_as_they_are(tt):
    Lesson.update(replacement_subject=tt.eng.id).where(Lesson.id == tt.lessons.math_mon.id).execute()
    Lesson.update(cancelled=True, cancel_reason="карантин").where(Lesson.id == tt.lessons.eng2_mon.id).execute()
    grid = timetable.class_week(tt.admin, tt.c5a.id, tt.monday)
    monday = next(d for d in grid.days if d.date == tt.monday)
    (first,) = monday.cells[1]
    assert first.subject == "Английский язык" and first.substitution == "замена: Английский язык вместо Математика"
    cancelled = [e for e in monday.cells[2] if e.cancelled]
    assert [(e.group, e.cancelled) for e in cancelled] == [(tt.group2.name, "карантин")]


def test_a_teacher_opens_only_the_lessons_they_may(tt):
    grid = timetable.class_week(tt.english2, tt.c5a.id, tt.monday)
    monday = next(d for d in grid.days if d.date == tt.monday)
    opened = {e.group: e.openable for e in monday.cells[2]}
    assert opened == {tt.group1.name: False, tt.group2.name: True}
    assert [e.openable for e in monday.cells[1]] == [False]
    assert all(e.openable for e in timetable.class_week(tt.admin, tt.c5a.id, tt.monday).entries if e.lesson_id)


def test_a_holiday_shows_no_pattern(tt):
    from app.models import Holiday

    Holiday.create(year=tt.year, name="День народного единства", start_date=tt.thursday, end_date=tt.thursday)
    grid = timetable.class_week(tt.admin, tt.c5a.id, tt.monday)
    thursday = next(d for d in grid.days if d.date == tt.thursday)
    assert thursday.holiday == "День народного единства" and not any(thursday.cells.values())


def test_a_grid_reads_a_fixed_number_of_queries_whatever_the_data(tt):
    def count(make):
        with QueryCounter() as counter:
            grid = make()
        return counter.count, len(grid.entries)

    views = (
        lambda: timetable.class_week(tt.english, tt.c5a.id, tt.monday),
        lambda: timetable.teacher_week(tt.english, tt.maths.id, tt.monday),
        lambda: timetable.room_week(tt.english, tt.rooms.r201.id, tt.monday),
    )
    for make in views:
        make()  # the person's permissions are read once and kept on the object
    before = [count(make) for make in views]
    # Twice the week: every remaining period of Monday to Saturday gets a lesson of its own journal.
    rooms = [Room.create(name=f"3{n:02d}") for n in range(30)]
    k = 0
    for weekday in range(1, 7):
        for number in range(4, 9):
            day = tt.monday + dt.timedelta(days=weekday - 1)
            TimetableSlot.create(
                journal=tt.math_journal,
                weekday=weekday,
                lesson_number=number,
                teacher=tt.maths,
                room=tt.rooms.r201 if k % 2 else rooms[k],
                valid_from=tt.year.start_date,
                valid_to=tt.year.end_date,
            )
            if weekday <= 2:
                lesson(tt.math_journal, tt.maths, day, number)
            k += 1
    after = [count(make) for make in views]
    for (queries_before, shown_before), (queries_after, shown_after) in zip(before, after, strict=True):
        assert shown_after > shown_before
        assert queries_after == queries_before
    assert max(q for q, _ in after) <= 8
