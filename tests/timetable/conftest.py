"""A small school for the timetable: 5А with an English split, three teachers, three rooms, one planned week.

The week of Monday 16.11.2026: Monday and Tuesday have their lessons planned (Tuesday is a
shortened day, and its mathematics is given by the English teacher Смирнова instead of Волкова);
nothing is planned from Wednesday on, so Thursday's mathematics shows from the timetable.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from app.models import BellTime, ClassGroup, Enrollment, Lesson, Room, SchoolYear, ShortDay, Student, Subject
from app.services import groups

MONDAY = dt.date(2026, 11, 16)


def lesson(journal, teacher, day, number, **values) -> Lesson:
    """Create a planned lesson the way planning does (through save, so it takes a change number)."""
    row = Lesson(journal=journal, date=day, number=number, planned_teacher=teacher, teacher=teacher, **values)
    row.save(force_insert=True)
    return row


@pytest.fixture
def tt(app, make_staff):
    """Build the school and its week; every person logs in with the default password."""
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    english = make_staff("english1", roles=["teacher"], last_name="Смирнова", first_name="Анна", middle_name="Игоревна")
    english2 = make_staff("english2", roles=["teacher"], last_name="Кузнецов", first_name="Олег", middle_name="Петр.")
    maths = make_staff("maths", roles=["teacher"], last_name="Волкова", first_name="Елена", middle_name="Сергеевна")
    admin = make_staff("admin", roles=["admin"], last_name="Лебедев", first_name="Павел", middle_name=None)
    math = Subject.create(name="Математика")
    eng = Subject.create(name="Английский язык")
    c5a = ClassGroup.create(year=year, grade=5, letter="А")
    students = []
    for last, first in (("Алексеев", "Артём"), ("Борисова", "Вера"), ("Григорьев", "Денис"), ("Егорова", "Жанна")):
        student = Student.create(last_name=last, first_name=first)
        Enrollment.create(student=student, class_group=c5a, start_date=year.start_date)
        students.append(student)
    group1, group2 = groups.create_split(None, c5a, "англ.", 2)
    for n, student in enumerate(students):
        groups.create_membership(
            None, group=(group1 if n < 2 else group2).id, student=student.id, start_date=year.start_date
        )
    math_journal = groups.class_journal(c5a, math)
    eng1 = groups.create_journal(None, group=group1.id, subject=eng.id, teachers=[english.id])
    eng2 = groups.create_journal(None, group=group2.id, subject=eng.id, teachers=[english2.id])
    groups.assign_teacher(None, math_journal, maths)
    r201, r202, r203 = (Room.create(name=name) for name in ("201", "202", "203"))

    def slot(journal, weekday, number, teacher, room):
        return groups.create_slot(
            None,
            journal=journal.id,
            weekday=weekday,
            lesson_number=number,
            teacher=teacher.id,
            room=room.id,
            valid_from=year.start_date,
            valid_to=year.end_date,
        )

    slots = SimpleNamespace(
        math_mon=slot(math_journal, 1, 1, maths, r201),
        eng1_mon=slot(eng1, 1, 2, english, r202),
        eng2_mon=slot(eng2, 1, 2, english2, r203),
        math_tue=slot(math_journal, 2, 1, maths, r201),
        math_thu=slot(math_journal, 4, 3, maths, r201),
    )
    tuesday = MONDAY + dt.timedelta(days=1)
    lessons = SimpleNamespace(
        math_mon=lesson(math_journal, maths, MONDAY, 1),
        eng1_mon=lesson(eng1, english, MONDAY, 2),
        eng2_mon=lesson(eng2, english2, MONDAY, 2),
        math_tue=lesson(math_journal, maths, tuesday, 1),
    )
    Lesson.update(teacher=english.id).where(Lesson.id == lessons.math_tue.id).execute()
    for schedule, times in (
        ("normal", ((1, "08:30", "09:15"), (2, "09:25", "10:10"), (3, "10:30", "11:15"))),
        ("short", ((1, "08:30", "09:00"), (2, "09:10", "09:40"), (3, "09:50", "10:20"))),
    ):
        for number, start, end in times:
            BellTime.create(
                schedule=schedule,
                lesson_number=number,
                starts_at=dt.time.fromisoformat(start),
                ends_at=dt.time.fromisoformat(end),
            )
    ShortDay.create(date=tuesday, note="предпраздничный день")
    return SimpleNamespace(
        year=year,
        english=english,
        english2=english2,
        maths=maths,
        admin=admin,
        math=math,
        eng=eng,
        c5a=c5a,
        group1=group1,
        group2=group2,
        students=students,
        math_journal=math_journal,
        eng1=eng1,
        eng2=eng2,
        rooms=SimpleNamespace(r201=r201, r202=r202, r203=r203),
        slots=slots,
        lessons=lessons,
        monday=MONDAY,
        tuesday=tuesday,
        thursday=MONDAY + dt.timedelta(days=3),
    )
