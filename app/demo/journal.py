"""The demo school's journal: lessons planned for the planner's school days, the held ones filled in.

Lessons belong to journals, each to a term of its group's grade (a quarter, or a half for the
grades the settings attest by halves) as the planner gives them. A held lesson gets its topic and
homework (in a journal with a thematic plan, those of the plan's next row, and a link to it), the
register of the group's members that day (illnesses of several days, a family day, a missed lesson
now and then) and marks: a test for everybody now and then, otherwise a few answers (those with
the fewest marks in the term first) and homework checks, each student's marks around their own
ability. An extracurricular course gets topics and the register only.
Of the last three weeks a few lessons are left for the journal check to find: a topic not typed,
the held mark forgotten; and now and then a lesson is marked held a few days late.
The small school's journal is filled for the last few weeks, or from the first day once the
first quarter is over (its finals rest on its marks); the large school's for the whole year.
"""

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from app.demo.bulk import BulkInserter
from app.demo.curriculum import PRIMARY, department
from app.demo.entities import JournalPlan, Period, PlanCursor
from app.demo.final_marks import Given
from app.demo.topics import CONTROL_WORK, NO_HOMEWORK, TOPICS, homework_text
from app.models import Absence, Lesson, LessonPlanRow, Mark
from app.services import finals
from app.services.journal_planning import school_days

# Mark and absence rates, tuned so the large school gives about 600,000 marks and 200,000 absences.
ILLNESS_START = 0.022  # chance per school day that a healthy student falls ill
ILLNESS_DAYS = (3, 8)  # how many school days an illness lasts
FAMILY_ABSENCE = 0.002  # chance per school day of a day missed for family reasons
SINGLE_ABSENCE = 0.035  # chance per lesson of one missed lesson
SINGLE_REASONS = (("late", 4), ("unexcused", 3), ("excused", 3))
SUBSTITUTION_RATE = 0.01  # share of held lessons given by a substitute teacher
LATE_SHARE = 0.01  # share of held lessons filled (marked held) a few days late
LATE_DAYS = (2, 4)
# Of the lessons of the last GAP_DAYS days: shares with no topic, and not marked held (but filled).
GAP_DAYS = 21
NO_TOPIC_SHARE = 0.02
NOT_HELD_SHARE = 0.01
# A single missed lesson of the last days whose reason the teacher has not learnt yet («н»).
UNKNOWN_REASON_DAYS = 3
UNKNOWN_REASON_SHARE = 0.5
# The school's first class is in quarantine for a day two weeks before the journal's last filled
# day: its lessons of that day are cancelled.
QUARANTINE_REASON = "карантин в классе"
# What a teacher writes about a weak mark of a test now and then (shown to parents on the portal).
WEAK_COMMENTS = (
    "ошибки в вычислениях — разобрать на консультации",
    "не закончил работу",
    "работа над ошибками — к пятнице",
)
COMMENT_SHARE = 0.3
# How many answers a lesson gets marked: more in a subject of one hour a week, so that every
# student has enough marks for the term's mark.
ANSWERS = (3, 8)
ONE_HOUR_ANSWERS = (8, 14)


@dataclass
class Filling:
    """What the journal step carries from lesson to lesson: the days, the inserters, the rows waiting for lessons."""

    days: list
    fill_from: dt.date
    fill_until: dt.date
    absent_days: dict
    lessons: BulkInserter
    marks: BulkInserter
    absences: BulkInserter
    links: BulkInserter
    planned_at: dt.datetime
    held: int = 0
    pending_marks: list = field(default_factory=list)
    pending_absences: list = field(default_factory=list)
    pending_links: list = field(default_factory=list)  # (lesson, plan row) of the lessons that give a row
    substituting: set = field(default_factory=set)  # (teacher, date, number) of substitutions given
    quarantine: tuple | None = None  # (class id, day) whose lessons are cancelled


class JournalFilling:
    """The builder's step that writes lessons, marks and absences.

    Reads the builder's spec, rng, ids, year bounds, holidays, settings, terms, work_types, journals
    (their timetable and groups' members), students, ability, teachers and busy; tallies the first
    quarter's marks for its finals (FinalMarks' steps).
    """

    def _periods_of(self, journal: JournalPlan) -> list[Period]:
        """Return the terms a journal's lessons belong to: its group's grade's kind, as the planner chooses it."""
        kind = finals.period_kind(journal.group.grade, {t.kind for t in self.terms}, self.settings)
        return [t for t in self.terms if t.kind == kind]

    def _journal_span(self) -> tuple[dt.date, dt.date, dt.date]:
        """Return the last planned day and the first and last filled ones: a whole year, or recent weeks.

        Once the first quarter is over the journal is filled from the year's first day: the
        quarter's finals rest on its marks.
        """
        if self.spec.full_year:
            return self.end, self.start, self.end
        fill_from = max(self.start, self.today - dt.timedelta(weeks=self.spec.filled_weeks))
        if self._finals_due():
            fill_from = self.start
        return self.today, fill_from, self.today - dt.timedelta(days=1)

    def _journal(self) -> None:
        """Plan lessons from the timetable and fill the held ones with topics, marks and absences."""
        plan_until, fill_from, fill_until = self._journal_span()
        days_off = [(first, last) for _, first, last in self.holidays]
        terms = [(t.first, t.last) for t in self.terms]
        self._choose_exemptions()
        self._late = random.Random(f"filled-late {self.start}")
        days = list(school_days(self.start, plan_until, days_off, terms))
        self._filling = Filling(
            days=days,
            fill_from=fill_from,
            fill_until=fill_until,
            absent_days=self._absent_days(days),
            lessons=BulkInserter(
                Lesson,
                [
                    Lesson.id,
                    Lesson.journal,
                    Lesson.term,
                    Lesson.date,
                    Lesson.number,
                    Lesson.planned_teacher,
                    Lesson.teacher,
                    Lesson.topic,
                    Lesson.homework,
                    Lesson.held,
                    Lesson.held_at,
                    Lesson.cancelled,
                    Lesson.cancel_reason,
                    Lesson.orphaned,
                    Lesson.version,
                    Lesson.updated_at,
                    Lesson.updated_by,
                ],
            ),
            marks=BulkInserter(
                Mark,
                [
                    Mark.lesson,
                    Mark.student,
                    Mark.value,
                    Mark.work_type,
                    Mark.weight,
                    Mark.comment,
                    Mark.created_by,
                    Mark.created_at,
                ],
            ),
            absences=BulkInserter(Absence, [Absence.lesson, Absence.student, Absence.reason]),
            links=BulkInserter(LessonPlanRow, [LessonPlanRow.lesson, LessonPlanRow.plan_row]),
            planned_at=dt.datetime.combine(self.start, dt.time(7, 0)),
        )
        self._filling.quarantine = self._quarantine()
        # A class's journals (its whole class's and its groups') at a time, then the cross-class ones.
        batches = defaultdict(list)
        for journal in self.journals:
            batches[journal.group.school_class.id if journal.group.school_class else None].append(journal)
        for batch in batches.values():
            for journal in batch:
                self._fill(journal)
            self._write_filled()
        work = self._filling
        work.lessons.flush()
        work.marks.flush()
        work.absences.flush()
        work.links.flush()
        self.counts.update(
            lessons=work.lessons.count,
            held=work.held,
            marks=work.marks.count,
            absences=work.absences.count,
            plan_links=work.links.count,
        )

    def _write_filled(self) -> None:
        """Write the queued lessons, then the marks and absences that point at them."""
        work = self._filling
        work.lessons.flush()
        for row in work.pending_marks:
            work.marks.add(*row)
        for row in work.pending_absences:
            work.absences.add(*row)
        for row in work.pending_links:
            work.links.add(*row)
        work.pending_marks, work.pending_absences, work.pending_links = [], [], []

    def _fill(self, journal: JournalPlan) -> None:
        """Plan a journal's lessons on its timetable's days; fill the held ones in for the group's members that day."""
        work = self._filling
        numbers = defaultdict(list)
        for weekday, number in sorted(journal.slots):
            numbers[weekday].append(number)
        grade = journal.group.grade
        # First-graders are not given marks; an extracurricular course gives none.
        marked = journal.kind == "lesson" and (grade is None or grade > 1)
        periods = self._periods_of(journal)
        tally = self._final_tally(journal)
        plan = self.plan_rows.get(journal.id)
        cursor = PlanCursor(plan) if plan else None
        k = 0
        term = None
        for day in work.days:
            if term is None or not term.covers(day):
                term = next((t for t in periods if t.covers(day)), None)
                marks_in_term = defaultdict(int)
            cancelled = self._quarantined(journal, day)
            for number in numbers.get(day.isoweekday(), ()):
                lesson_id = self.ids.take(Lesson)
                filled = work.fill_from <= day <= work.fill_until and not cancelled
                held = filled
                if filled:
                    teacher, at, topic, homework = self._given(journal, day, number, k, work.substituting)
                    # The last weeks' gaps the journal check finds: a topic not typed, the held mark forgotten.
                    if (work.fill_until - day).days < GAP_DAYS:
                        gap = self._late.random()
                        if gap < NO_TOPIC_SHARE:
                            topic = None
                        elif gap < NO_TOPIC_SHARE + NOT_HELD_SHARE:
                            held = False
                    # A lesson filled from the panel gives the plan's next row (even if the held mark is
                    # forgotten) and takes its topic and homework; one left without a topic gives none.
                    row = cursor.take() if cursor is not None and topic is not None else None
                    if row is not None:
                        topic, homework = row.topic, row.homework
                        work.pending_links.append((lesson_id, row.id))
                else:
                    teacher, at, topic, homework = journal.teacher, work.planned_at, None, None
                work.lessons.add(
                    lesson_id,
                    journal.id,
                    term.id if term is not None else None,
                    day,
                    number,
                    journal.teacher,
                    teacher,
                    topic,
                    homework,
                    held,
                    at if held else None,
                    cancelled,
                    QUARANTINE_REASON if cancelled else None,
                    False,
                    1,
                    at,
                    teacher if filled else None,
                )
                if filled:
                    work.held += held
                    present = self._register(journal.group.members, lesson_id, day)
                    if marked:
                        self._give_marks(journal, (lesson_id, day, number, k, teacher), present, marks_in_term, tally)
                k += 1

    def _give_marks(self, journal: JournalPlan, lesson: tuple, present: list[int], marks_in_term, tally) -> None:
        """Queue a held lesson's marks, counting them in the term and, in the first quarter, for its finals."""
        lesson_id, day, number, k, teacher = lesson
        given_at = dt.datetime.combine(day, dt.time(8 + number, 40))
        tallied = tally is not None and self.first_quarter.covers(day)
        takers = self._marked_students(journal, day, present)
        for student_id, value, work_type in self._marks(journal, k, takers, marks_in_term):
            marks_in_term[student_id] += 1
            wt_id, weight = self.work_types[work_type]
            comment = None
            if value in ("2", "3") and weight > 1 and self.rng.random() < COMMENT_SHARE:
                comment = self.rng.choice(WEAK_COMMENTS)
            self._filling.pending_marks.append(
                (lesson_id, student_id, value, wt_id, weight, comment, teacher, given_at)
            )
            if tallied:
                tally.setdefault(student_id, []).append(Given(value, weight))

    def _given(self, journal: JournalPlan, day: dt.date, number: int, k: int, substituting):
        """Return who gave a held lesson, when they saved it, its topic and its homework."""
        teacher = self._substitute(journal, day, number, substituting)
        at = dt.datetime.combine(day, dt.time(14, 30)) + dt.timedelta(minutes=self.rng.randrange(300))
        # Now and then a lesson is filled a few days late (a finding of the journal check). A
        # generator of its own: the school's one draws in a fixed order for the same seed.
        if self._late.random() < LATE_SHARE:
            late = at + dt.timedelta(days=self._late.randint(*LATE_DAYS))
            at = min(late, dt.datetime.combine(self.today, dt.time(5, 0)))
        topics = TOPICS[journal.subject]
        homework = self._homework(journal.subject, k) if journal.kind == "lesson" else None
        return teacher, at, topics[k % len(topics)], homework

    def _register(self, members: list, lesson_id: int, day: dt.date) -> list[int]:
        """Take a held lesson's register of the group's members that day: queue the absences, return who was present."""
        work = self._filling
        present = []
        for student_id, first, last in members:
            if day < first or (last is not None and day > last):
                continue
            reason = work.absent_days.get((student_id, day))
            if reason is None and self.rng.random() < SINGLE_ABSENCE:
                reason = self._weighted(SINGLE_REASONS)
                recent = (work.fill_until - day).days < UNKNOWN_REASON_DAYS
                if recent and reason != "late" and self.rng.random() < UNKNOWN_REASON_SHARE:
                    reason = "unknown"
            if reason is None:
                present.append(student_id)
            else:
                work.pending_absences.append((lesson_id, student_id, reason))
        return present

    def _absent_days(self, days: list[dt.date]) -> dict[tuple[int, dt.date], str]:
        """Decide which whole school days each student misses: illnesses of several days, family reasons."""
        rng = self.rng
        result = {}
        for student_id in self.students:
            i = 0
            while i < len(days):
                if rng.random() < ILLNESS_START:
                    for day in days[i : i + rng.randint(*ILLNESS_DAYS)]:
                        result[(student_id, day)] = "illness"
                    i += ILLNESS_DAYS[1] + 1
                    continue
                if rng.random() < FAMILY_ABSENCE:
                    result[(student_id, days[i])] = "excused"
                i += 1
        return result

    def _quarantine(self) -> tuple | None:
        """Choose the quarantined class and its day: the school's first class, ten school days back."""
        work = self._filling
        filled = [d for d in work.days if work.fill_from <= d <= work.fill_until]
        classes = sorted(
            {j.group.school_class.id: j.group.school_class for j in self.journals if j.group.school_class}.values(),
            key=lambda c: (c.grade, c.letter),
        )
        chosen = classes[0] if classes else None
        return (chosen.id, filled[-10]) if chosen and len(filled) > 10 else None

    def _quarantined(self, journal: JournalPlan, day: dt.date) -> bool:
        """Tell whether the journal's group is of the quarantined class on its day of quarantine."""
        quarantine = self._filling.quarantine
        school_class = journal.group.school_class
        return quarantine is not None and school_class is not None and (school_class.id, day) == quarantine

    def _weighted(self, choices) -> str:
        values, weights = zip(*choices, strict=True)
        return self.rng.choices(values, weights)[0]

    def _substitute(self, journal: JournalPlan, day: dt.date, number: int, substituting: set) -> int:
        """Return who gives the lesson: now and then a free colleague substitutes for the planned teacher.

        A colleague of the subject's department, any teacher for a primary class or «Разговоры о важном».
        """
        planned = journal.teacher
        if self.rng.random() >= SUBSTITUTION_RATE:
            return planned
        weekday = day.isoweekday()
        grade = journal.group.grade
        dept = PRIMARY if journal.kind == "extracurricular" else department(grade, journal.subject)
        colleagues = [t.id for t in self.teachers if t.id != planned and (t.dept == dept or dept == PRIMARY)]
        free = [t for t in colleagues if (t, weekday, number) not in self.busy and (t, day, number) not in substituting]
        if not free:
            return planned
        chosen = self.rng.choice(free)
        substituting.add((chosen, day, number))
        return chosen

    def _homework(self, subject: str, k: int) -> str | None:
        return homework_text(self.rng, subject, k // 2 + 1)

    def _marks(self, journal: JournalPlan, k: int, present: list[int], marks_in_term: dict[int, int]):
        """Return (student, value, work type) for one lesson: a test for everybody, or a few answers.

        The teacher calls up those with the fewest marks in the term first (in random order
        among equals), so that everybody has enough for the term's mark.
        """
        rng = self.rng
        subject = journal.subject
        if k % 8 == 7:
            work_type, takers = CONTROL_WORK.get(subject, "контрольная работа"), present
        elif k % 5 == 2:
            work_type = "самостоятельная работа" if k % 2 else "проверочная работа"
            takers = present
        else:
            work_type = None
            takers = []
        marks = []
        if work_type:
            for student_id in takers:
                if rng.random() < 0.95:
                    marks.append((student_id, self._value(student_id, work_type), work_type))
            return marks
        called = sorted(present, key=lambda s: marks_in_term[s] + rng.random())
        for student_id in called[: rng.randint(*(ONE_HOUR_ANSWERS if journal.hours == 1 else ANSWERS))]:
            marks.append((student_id, self._value(student_id, "ответ на уроке"), "ответ на уроке"))
        if subject not in NO_HOMEWORK:
            for student_id in rng.sample(present, min(len(present), rng.randint(1, 3))):
                marks.append((student_id, self._value(student_id, "домашняя работа"), "домашняя работа"))
        return marks

    def _value(self, student_id: int, work_type: str) -> str:
        score = round(self.ability[student_id] + self.rng.gauss(0, 0.7))
        if work_type == "зачёт":
            return "зч" if score >= 3 else "нз"
        return str(min(5, max(2, score)))
