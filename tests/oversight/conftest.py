"""November 2026 of a small school with deliberate gaps, checked on 1 December 2026 (a Tuesday).

The calendar is fixed, not today's: autumn holidays 26.10–04.11, the 1st quarter closed on 25.10,
the 2nd from 05.11 to 28.12, a five-day week. 5А (grade 5) has a math journal for the whole
class, an English split into two groups with two teachers and a chess course (extracurricular);
a newcomer joins on 20.11. Every gap is made on purpose and named in `gaps`.
"""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.clock import SchoolClock
from app.models import (
    Absence,
    ClassGroup,
    Enrollment,
    FinalMark,
    GroupMembership,
    Holiday,
    HomeworkExpectation,
    HomeworkFile,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    SchoolYear,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
    WorkType,
)
from app.services import groups

TODAY = dt.date(2026, 12, 1)
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
CLOCK = SchoolClock("Europe/Moscow")


def d(day: int, month: int = 11) -> dt.date:
    return dt.date(2026, month, day)


def moscow(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """The stored (naive UTC) form of a wall-clock time in the school."""
    return CLOCK.stored_from_local(day, dt.time(hour, minute))


SET_AT = CLOCK.stored_from_local(dt.date(2026, 11, 2), dt.time(12))


def weekdays(first: dt.date, last: dt.date, holidays=()):
    day = first
    while day <= last:
        if day.isoweekday() <= 5 and not any(a <= day <= b for a, b in holidays):
            yield day
        day += dt.timedelta(days=1)


@pytest.fixture
def month(app, make_staff):
    """Build the school and its November; return the people, journals and the lessons the tests name."""
    year = SchoolYear.create(name="2026/2027", start_date=d(1, 9), end_date=dt.date(2027, 5, 31), is_current=True)
    q1 = Term.create(year=year, kind="quarter", number=1, start_date=d(1, 9), end_date=d(25, 10), closed=True)
    q2 = Term.create(year=year, kind="quarter", number=2, start_date=d(5, 11), end_date=d(28, 12))
    autumn = (d(26, 10), d(4, 11))
    Holiday.create(year=year, name="Осенние каникулы", start_date=autumn[0], end_date=autumn[1])
    settings = SchoolSettings.load()
    settings.min_marks, settings.absence_reason_days = 3, 3
    settings.save()

    math_teacher = make_staff("math", roles=["teacher"], last_name="Смирнова", first_name="Анна")
    english1 = make_staff("eng1", roles=["teacher"], last_name="Кузнецов", first_name="Олег")
    english2 = make_staff("eng2", roles=["teacher"], last_name="Волкова", first_name="Елена")
    substitute = make_staff("sub", roles=["teacher"], last_name="Заменина", first_name="Ольга")
    deputy = make_staff("deputy", roles=["deputy"], last_name="Орлова", first_name="Наталья")

    math, english, chess = (Subject.create(name=n) for n in ("Математика", "Английский язык", "Шахматы"))
    c5a = ClassGroup.create(year=year, grade=5, letter="А")
    c6b = ClassGroup.create(year=year, grade=6, letter="Б")
    students = []
    for last, first in (("Алексеев", "Артём"), ("Борисова", "Вера"), ("Григорьев", "Денис"), ("Егорова", "Жанна")):
        student = Student.create(last_name=last, first_name=first)
        Enrollment.create(student=student, class_group=c5a, start_date=year.start_date)
        students.append(student)
    newcomer = Student.create(last_name="Новенькая", first_name="Яна")
    Enrollment.create(student=newcomer, class_group=c5a, start_date=d(20))

    math_journal = groups.class_journal(c5a, math)
    TeachingAssignment.create(journal=math_journal, teacher=math_teacher)
    chess_journal = groups.class_journal(c5a, chess)
    Journal.update(kind="extracurricular").where(Journal.id == chess_journal.id).execute()
    chess_journal = Journal.get_by_id(chess_journal.id)
    TeachingAssignment.create(journal=chess_journal, teacher=math_teacher)
    english_journals = []
    for number, (teacher, members) in enumerate(((english1, students[:2]), (english2, students[2:])), 1):
        group = StudyGroup.create(
            year=year, kind="subgroup", class_group=c5a, split="англ.", name=f"5А англ. гр. {number}", grade=5
        )
        for student in members:
            GroupMembership.create(group=group, student=student, start_date=year.start_date)
        journal = Journal.create(year=year, group=group, subject=english)
        TeachingAssignment.create(journal=journal, teacher=teacher)
        english_journals.append(journal)
    # The newcomer joins English group 2.
    GroupMembership.create(group=english_journals[1].group, student=newcomer, start_date=d(20))
    for weekday in range(1, 6):
        TimetableSlot.create(
            journal=math_journal,
            weekday=weekday,
            lesson_number=2,
            teacher=math_teacher,
            valid_from=year.start_date,
            valid_to=year.end_date,
        )
    HomeworkExpectation.create(subject=math, grades="5–9")
    answer, _ = WorkType.get_or_create(name="Ответ на уроке", defaults={"default_weight": 1})

    def lesson(journal, day, teacher, number=2, *, held=True, topic="Тема", homework="Задание", **values):
        held_at = values.pop("held_at", moscow(day, 15) if held else None)
        row = Lesson(
            journal=journal,
            term=q2 if day >= q2.start_date else q1,
            date=day,
            number=number,
            planned_teacher=values.pop("planned_teacher", teacher),
            teacher=teacher,
            held=held,
            held_at=held_at,
            topic=topic,
            homework=homework,
            **values,
        )
        row.save(force_insert=True)
        return row

    def mark(row, student, value="4", weight=1):
        return Mark.create(lesson=row, student=student, value=value, work_type=answer, weight=Decimal(weight))

    # The 1st quarter: math marks 4, 4, 5 for everyone; finals given during the holidays.
    for day in (d(6, 10), d(13, 10), d(20, 10)):
        row = lesson(math_journal, day, math_teacher)
        for student in students:
            mark(row, student, "5" if day == d(20, 10) else "4")

    def final(student, journal, value, comment=None):
        """The 1st quarter's final of the journal's subject, given during the holidays."""
        FinalMark.create(
            year=year,
            student=student,
            subject=journal.subject_id,
            kind="term",
            term=q1,
            journal=journal,
            value=value,
            comment=comment,
            set_at=SET_AT,
        )

    final(students[0], math_journal, "2")  # recommended 4, no comment: final_off
    final(students[1], math_journal, "3")  # one point off: fine
    final(students[2], math_journal, "2", "не сдал контрольную работу")  # off, but explained
    final(students[3], math_journal, "4")
    # English: group 1 has both finals, group 2 lacks Григорьев's.
    for student, journal in ((students[0], 0), (students[1], 0), (students[3], 1)):
        final(student, english_journals[journal], "5")

    # November's math, every weekday after the holidays, held and filled the same day ...
    november = {}
    for day in weekdays(d(5), d(30), [autumn]):
        november[day] = lesson(math_journal, day, math_teacher)
    # ... and the rest of the quarter planned.
    for day in weekdays(d(1, 12), d(28, 12)):
        lesson(math_journal, day, math_teacher, held=False, topic=None, homework=None)
    marks_given = {students[0]: [d(5), d(9)], students[1]: [d(5)], students[3]: [d(10)]}
    # Григорьев (students[2]) has no mark in November: few_marks. The newcomer has none either, but
    # joined on 20.11: too few lessons to expect one.
    for student, days in marks_given.items():
        for day in days:
            mark(november[day], student)
    gaps = SimpleNamespace()

    # not_held: a lesson not marked held, with a mark in it (marks_not_held too).
    gaps.not_held = november[d(10)]
    Lesson.update(held=False, held_at=None).where(Lesson.id == gaps.not_held.id).execute()
    # not_held on the month's last day (its day is over on 01.12).
    gaps.not_held_last = november[d(30)]
    Lesson.update(held=False, held_at=None).where(Lesson.id == gaps.not_held_last.id).execute()
    # A lesson planned on a holiday, never held: no finding.
    gaps.on_holiday = lesson(math_journal, d(4), math_teacher, number=3, held=False, topic=None)
    # A cancelled lesson: no finding.
    gaps.cancelled = november[d(11)]
    Lesson.update(held=False, held_at=None, cancelled=True, cancel_reason="карантин", topic=None).where(
        Lesson.id == gaps.cancelled.id
    ).execute()
    # A substitution not held: the substitute's.
    gaps.substitution = november[d(17)]
    Lesson.update(held=False, held_at=None, teacher=substitute).where(Lesson.id == gaps.substitution.id).execute()
    # no_topic: held without a topic, and with a blank one.
    gaps.no_topic = november[d(12)]
    Lesson.update(topic=None).where(Lesson.id == gaps.no_topic.id).execute()
    gaps.blank_topic = november[d(13)]
    Lesson.update(topic="   ").where(Lesson.id == gaps.blank_topic.id).execute()
    # no_homework: neither text nor file; a file alone is homework.
    gaps.no_homework = november[d(18)]
    Lesson.update(homework=None).where(Lesson.id == gaps.no_homework.id).execute()
    gaps.file_only = november[d(19)]
    Lesson.update(homework="").where(Lesson.id == gaps.file_only.id).execute()
    HomeworkFile.create(
        lesson=gaps.file_only,
        original_name="задачи.pdf",
        stored_name="a" * 64,
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    # English and chess expect no homework: none here is fine.
    gaps.english = lesson(english_journals[0], d(18), english1, number=3, homework=None)
    gaps.chess = lesson(chess_journal, d(18), math_teacher, number=7, homework=None)
    # absence_no_reason: «н» on 25.11 (six days ago); one on 30.11 is still in time; a reason given is fine.
    gaps.absent_late = november[d(25)]
    Absence.create(lesson=gaps.absent_late, student=students[1], reason="unknown")
    Absence.create(lesson=november[d(30)], student=students[0], reason="unknown")
    Absence.create(lesson=november[d(24)], student=students[0], reason="illness")
    # filled_late: marked held two days after; a Friday lesson marked on Monday is in time.
    gaps.late = november[d(16)]
    Lesson.update(held_at=moscow(d(18), 9)).where(Lesson.id == gaps.late.id).execute()
    Lesson.update(held_at=moscow(d(23), 10)).where(Lesson.id == november[d(20)].id).execute()
    # Marked held at 23:30 Moscow on the next day (20:30 UTC): in time.
    Lesson.update(held_at=moscow(d(24), 23, 30)).where(Lesson.id == november[d(23)].id).execute()
    # English group 1 lessons of November, so its journal counts too.
    for day in weekdays(d(5), d(30), [autumn]):
        if day.isoweekday() in (2, 4) and day != d(18):
            lesson(english_journals[0], day, english1, number=3)

    return SimpleNamespace(
        year=year,
        q1=q1,
        q2=q2,
        settings=SchoolSettings.load(),
        math_teacher=math_teacher,
        english1=english1,
        english2=english2,
        substitute=substitute,
        deputy=deputy,
        math=math,
        english=english,
        c5a=c5a,
        c6b=c6b,
        students=students,
        newcomer=newcomer,
        math_journal=math_journal,
        chess_journal=chess_journal,
        english_journals=english_journals,
        november=november,
        gaps=gaps,
        lesson=lesson,
        mark=mark,
    )
