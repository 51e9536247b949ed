"""A small school for the reports, with every figure chosen by hand and written down here.

School year 2026/2027; the 1st quarter 01.09–25.10, autumn holidays 26.10–04.11, the 2nd
quarter 05.11–28.12; the reports are asked on 01.12.2026 (the clock travels there).

5А (class teacher Волкова Е.С., who teaches its Russian): Математика (Смирнова А.И.) and
Русский язык for the whole class, Английский язык split into two groups (гр. 1 Кузнецов О.П.,
гр. 2 Петрова О.В.). Students, all from 01.09:
  S1 Алексеев Артём     — eng гр. 1;  Q1 finals 5 5 5 (math, rus, eng): отличник
  S2 Борисова Вера      — eng гр. 1;  5 4 5: хорошист, с одной «4» (Русский язык)
  S3 Григорьев Денис    — eng гр. 1 until 30.09, гр. 2 from 01.10 (his final set in гр. 2);
                          3 4 4: с одной «3» (Математика)
  S4 Егорова Жанна      — eng гр. 2;  2 3 4: неуспевающая (Математика)
  S5 Зайцев Илья        — eng гр. 2;  4 н/а 4: не аттестован (Русский язык)
  S6 Ушедший Юрий       — eng гр. 2, left the school on 20.10; 4 4 —: shown «выбыл 20.10.2026», not counted
  S7 Новенькая Яна      — arrives 10.11 (the 2nd quarter)
Q1 of 5А: 5 counted, passed 3 (60,0 %), quality 2 (40,0 %).
6Б (class teacher Морозов И.И.): S8 Чужой Пётр, Q1 math 5 (отличник). The school: 6 counted,
passed 4 (66,7 %), quality 3 (50,0 %).

Lessons of 5А in October (for attendance):
  05.10 (Mon): math 1, rus 2, eng 3 (both groups) — S1 absent from all three (болезнь): a day;
               S3 (гр. 2 since 01.10) absent from math, rus and гр. 2's eng (неуважительная): a day
  06.10 (Tue): math 1, rus 2 — S2 math (неуважительная); S5 math опоздание, rus «н» (причина не
               указана); S6 math (болезнь)
  07.10 (Wed): math 1, eng 2 (both groups), rus 3 cancelled — S4 math and гр. 2's eng (уважительная): a day
Q1 attendance of 5А: 11 lessons missed (болезнь 4, уважительная 2, неуважительная 4, не указана 1),
1 опоздание, 3 days (1 by illness).

November (for the fill and the substitutions):
  10.11 math 5А 1: planned Смирнова, given by Кузнецов, held with a topic
  11.11 math 5А 1: Смирнова, held without a topic (no_topic)
  12.11 rus 5А 2: planned Волкова, given by Смирнова, not held (not_held, Смирнова's)
  13.11 rus 5А 2: planned Волкова, given by Петрова, cancelled (neither a substitution nor due)
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from app.clock import SchoolClock
from app.models import (
    Absence,
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Holiday,
    Journal,
    Lesson,
    SchoolSettings,
    SchoolYear,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
)
from app.services import groups

TODAY = dt.date(2026, 12, 1)
CLOCK = SchoolClock("Europe/Moscow")
SET_AT = CLOCK.stored_from_local(dt.date(2026, 10, 26), dt.time(12))


def d(day: int, month: int) -> dt.date:
    return dt.date(2026, month, day)


@pytest.fixture
def on_report_day():
    """The clock on 01.12.2026, 12:00 in Moscow, standing still."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


def build_class(year, terms, staff, subjects, letter: str, surname_suffix: str = ""):
    """Make a 5th class with the fixture's students, groups, finals, October absences and November lessons."""
    q1, q2 = terms
    math, russian, english = subjects
    c = ClassGroup.create(year=year, grade=5, letter=letter, class_teacher=staff.leader if not surname_suffix else None)
    names = [
        ("Алексеев", "Артём"),
        ("Борисова", "Вера"),
        ("Григорьев", "Денис"),
        ("Егорова", "Жанна"),
        ("Зайцев", "Илья"),
        ("Ушедший", "Юрий"),
        ("Новенькая", "Яна"),
    ]
    s = []
    for last, first in names:
        student = Student.create(last_name=last + surname_suffix, first_name=first)
        s.append(student)
    for student in s[:5]:
        Enrollment.create(student=student, class_group=c, start_date=year.start_date)
    Enrollment.create(student=s[5], class_group=c, start_date=year.start_date, end_date=d(20, 10))
    Enrollment.create(student=s[6], class_group=c, start_date=d(10, 11))

    math_j = groups.class_journal(c, math)
    rus_j = groups.class_journal(c, russian)
    TeachingAssignment.create(journal=math_j, teacher=staff.math)
    TeachingAssignment.create(journal=rus_j, teacher=staff.leader)
    eng = []
    for number, teacher in ((1, staff.eng1), (2, staff.eng2)):
        group = StudyGroup.create(
            year=year, kind="subgroup", class_group=c, split="англ.", name=f"5{letter} англ. гр. {number}", grade=5
        )
        journal = Journal.create(year=year, group=group, subject=english)
        TeachingAssignment.create(journal=journal, teacher=teacher)
        eng.append(journal)
    g1, g2 = eng[0].group, eng[1].group
    for student in s[:2]:
        GroupMembership.create(group=g1, student=student, start_date=year.start_date)
    GroupMembership.create(group=g1, student=s[2], start_date=year.start_date, end_date=d(30, 9))
    GroupMembership.create(group=g2, student=s[2], start_date=d(1, 10))
    for student in s[3:6]:
        GroupMembership.create(group=g2, student=student, start_date=year.start_date)

    def final(student, journal, value):
        FinalMark.create(
            year=year,
            student=student,
            subject=journal.subject_id,
            kind="term",
            term=q1,
            journal=journal,
            value=value,
            set_at=SET_AT,
        )

    for student, (m, r, e), eng_journal in (
        (s[0], "555", eng[0]),
        (s[1], "545", eng[0]),
        (s[2], "344", eng[1]),
        (s[3], "234", eng[1]),
        (s[4], "4?4", eng[1]),
        (s[5], "44-", eng[1]),
    ):
        final(student, math_j, m)
        final(student, rus_j, "н/а" if r == "?" else r)
        if e != "-":
            final(student, eng_journal, e)

    def lesson(journal, day, number, teacher, *, planned=None, held=True, topic="Тема", **values):
        row = Lesson(
            journal=journal,
            term=q2 if day >= q2.start_date else q1,
            date=day,
            number=number,
            planned_teacher=planned or teacher,
            teacher=teacher,
            held=held,
            topic=topic,
            **values,
        )
        row.save(force_insert=True)
        return row

    def absent(row, student, reason):
        Absence.create(lesson=row, student=student, reason=reason)

    mon = {
        "math": lesson(math_j, d(5, 10), 1, staff.math),
        "rus": lesson(rus_j, d(5, 10), 2, staff.leader),
        "eng1": lesson(eng[0], d(5, 10), 3, staff.eng1),
        "eng2": lesson(eng[1], d(5, 10), 3, staff.eng2),
    }
    for key in ("math", "rus", "eng1"):
        absent(mon[key], s[0], "illness")
    for key in ("math", "rus", "eng2"):
        absent(mon[key], s[2], "unexcused")
    tue = {"math": lesson(math_j, d(6, 10), 1, staff.math), "rus": lesson(rus_j, d(6, 10), 2, staff.leader)}
    absent(tue["math"], s[1], "unexcused")
    absent(tue["math"], s[4], "late")
    absent(tue["rus"], s[4], "unknown")
    absent(tue["math"], s[5], "illness")
    wed = {
        "math": lesson(math_j, d(7, 10), 1, staff.math),
        "eng1": lesson(eng[0], d(7, 10), 2, staff.eng1),
        "eng2": lesson(eng[1], d(7, 10), 2, staff.eng2),
        "rus": lesson(
            rus_j, d(7, 10), 3, staff.leader, held=False, topic=None, cancelled=True, cancel_reason="карантин"
        ),
    }
    absent(wed["math"], s[3], "excused")
    absent(wed["eng2"], s[3], "excused")

    november = SimpleNamespace(
        sub_held=lesson(math_j, d(10, 11), 1, staff.eng1, planned=staff.math, topic="Дроби"),
        no_topic=lesson(math_j, d(11, 11), 1, staff.math, topic=None),
        sub_not_held=lesson(rus_j, d(12, 11), 2, staff.math, planned=staff.leader, held=False, topic=None),
        sub_cancelled=lesson(
            rus_j,
            d(13, 11),
            2,
            staff.eng2,
            planned=staff.leader,
            held=False,
            topic=None,
            cancelled=True,
            cancel_reason="карантин",
        ),
    )
    return SimpleNamespace(
        c=c, s=s, math=math_j, rus=rus_j, eng=eng, november=november, monday=mon, tuesday=tue, wednesday=wed
    )


@pytest.fixture
def school(app, make_staff):
    """Build the school described above; return its people, classes and rows."""
    year = SchoolYear.create(name="2026/2027", start_date=d(1, 9), end_date=dt.date(2027, 5, 31), is_current=True)
    q1 = Term.create(year=year, kind="quarter", number=1, start_date=d(1, 9), end_date=d(25, 10))
    q2 = Term.create(year=year, kind="quarter", number=2, start_date=d(5, 11), end_date=d(28, 12))
    Holiday.create(year=year, name="Осенние каникулы", start_date=d(26, 10), end_date=d(4, 11))
    settings = SchoolSettings.load()
    settings.min_marks = 0
    settings.save()
    staff = SimpleNamespace(
        math=make_staff("math", roles=["teacher"], last_name="Смирнова", first_name="Анна", middle_name="Игоревна"),
        eng1=make_staff("eng1", roles=["teacher"], last_name="Кузнецов", first_name="Олег", middle_name="Петрович"),
        eng2=make_staff("eng2", roles=["teacher"], last_name="Петрова", first_name="Ольга", middle_name="Викторовна"),
        leader=make_staff(
            "leader", roles=["teacher"], last_name="Волкова", first_name="Елена", middle_name="Сергеевна"
        ),
        leader6=make_staff("leader6", roles=["teacher"], last_name="Морозов", first_name="Иван", middle_name="Ильич"),
        deputy=make_staff("deputy", roles=["deputy"], last_name="Орлова", first_name="Наталья", middle_name="Ивановна"),
        head=make_staff("head", roles=["head"], last_name="Соколов", first_name="Игорь", middle_name="Андреевич"),
        admin=make_staff("admin", roles=["admin"], last_name="Лебедев", first_name="Павел", middle_name=None),
    )
    subjects = tuple(Subject.create(name=n) for n in ("Математика", "Русский язык", "Английский язык"))
    a = build_class(year, (q1, q2), staff, subjects, "А")
    c6b = ClassGroup.create(year=year, grade=6, letter="Б", class_teacher=staff.leader6)
    stranger = Student.create(last_name="Чужой", first_name="Пётр")
    Enrollment.create(student=stranger, class_group=c6b, start_date=year.start_date)
    math6 = groups.class_journal(c6b, subjects[0])
    TeachingAssignment.create(journal=math6, teacher=staff.math)
    FinalMark.create(
        year=year, student=stranger, subject=subjects[0], kind="term", term=q1, journal=math6, value="5", set_at=SET_AT
    )
    return SimpleNamespace(
        year=year,
        q1=q1,
        q2=q2,
        settings=SchoolSettings.load(),
        staff=staff,
        subjects=subjects,
        a=a,
        c5a=a.c,
        c6b=c6b,
        stranger=stranger,
        clock=CLOCK,
        double=lambda letter="В", suffix="-2": build_class(year, (q1, q2), staff, subjects, letter, suffix),
    )
