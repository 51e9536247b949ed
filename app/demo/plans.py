"""The demo school's thematic plans (КТП): most journals have one, approved by the deputy, a few are drafts.

A plan goes through its subject's topics in order, one section («Раздел N. …») a topic, the year's
hours spread over them: a section opens with its topic, goes on with lessons of practice and, when
long enough, ends with a control work; a row is of one hour, now and then of two. As many hours in
total as the curriculum gives the subject in the grade («учебный план»); the hours the year's
timetable has no lesson for are reserve rows at the end. Most plans have dates (each row's first
lesson by the timetable), some do not. The journal step then links each filled lesson to the next
row not yet given in full, as the lesson panel would have (`plan_rows.next_rows`), and gives the
lesson the row's topic and homework: the lessons of the journal check's gaps (no topic typed) and
cancelled ones take none, and lessons past the plan's last row keep a topic of their own.

The demo `teacher`'s journals all have a plan, one of them a draft; of the others a few have none.
A generator of its own: the school's one draws in a fixed order for the same seed.
"""

import datetime as dt
import random
from collections import Counter

from app.demo.bulk import BulkInserter
from app.demo.entities import JournalPlan, PlanRowEntry
from app.demo.topics import CONTROL_WORK, TOPICS, homework_text
from app.models import PlanRow, ThematicPlan
from app.services.journal_planning import school_days

NO_PLAN_SHARE = 0.08  # of the journals other than the demo teacher's
DRAFT_SHARE = 0.1
DATED_SHARE = 0.75  # plans with a «Дата» column
TWO_HOURS_SHARE = 0.15
CONTROL_FROM_HOURS = 4  # a section of this many hours ends with a control work
RESERVE_TOPIC = "Резервный урок"
RESERVE_SECTION = "Резерв"
# What the middle lessons of a section are, in turn (numbered from their second round on).
PRACTICE = ("Закрепление", "Практикум", "Самостоятельная работа", "Повторение")
# What the deputy wrote when returning a plan to its teacher.
RETURN_COMMENTS = (
    "Добавьте домашние задания к урокам второй четверти.",
    "Уточните даты уроков после осенних каникул.",
    "Разбейте раздел 1 на уроки подробнее.",
)
APPROVAL_DAYS = 14  # the deputy approves plans in the first two weeks of the year


class ThematicPlans:
    """The builder's step that writes the plans and their rows, before the journal step links lessons to them.

    Reads the builder's start and end, holidays, terms, journals, teachers, deputy_id, curriculum_hours
    and now; sets plan_rows (journal id -> [Row]) for the journal step.
    """

    def _plans(self) -> None:
        rng = random.Random(f"plans {self.start}")
        days_off = [(first, last) for _, first, last in self.holidays]
        terms = [(t.first, t.last) for t in self.terms]
        year_days = list(school_days(self.start, self.end, days_off, terms))
        statuses = self._plan_statuses(rng)
        plans = BulkInserter(
            ThematicPlan,
            [
                ThematicPlan.id,
                ThematicPlan.journal,
                ThematicPlan.status,
                ThematicPlan.approved_by,
                ThematicPlan.approved_at,
                ThematicPlan.comment,
                ThematicPlan.updated_at,
            ],
        )
        rows = BulkInserter(
            PlanRow,
            [
                PlanRow.id,
                PlanRow.plan,
                PlanRow.position,
                PlanRow.number,
                PlanRow.section,
                PlanRow.topic,
                PlanRow.hours,
                PlanRow.planned_date,
                PlanRow.homework,
                PlanRow.notes,
                PlanRow.skipped,
            ],
            hold=True,
        )
        self.plan_rows: dict[int, list[PlanRowEntry]] = {}
        for journal in self.journals:
            status = statuses.get(journal.id)
            if status is None:
                continue
            plan_id = self.ids.take(ThematicPlan)
            approved_at = self._school_moment(rng, APPROVAL_DAYS) if status == "approved" else None
            comment = None
            if status == "draft" and rng.random() < 0.5:
                comment = rng.choice(RETURN_COMMENTS)
            # A draft was written in the last days of August (or just after the deputy returned it).
            updated_at = approved_at or (
                self._school_moment(rng, APPROVAL_DAYS)
                if comment
                else dt.datetime.combine(self.start - dt.timedelta(days=rng.randint(2, 10)), dt.time(11, 0))
            )
            plans.add(
                plan_id,
                journal.id,
                status,
                self.deputy_id if approved_at else None,
                approved_at,
                comment,
                min(updated_at, self.now),
            )
            slots = self._slot_dates(journal, year_days)
            dated = rng.random() < DATED_SHARE
            given = []
            for position, (section, topic, hours, homework, first) in enumerate(
                self._plan_lines(rng, journal, len(slots)), start=1
            ):
                row_id = self.ids.take(PlanRow)
                planned = slots[first] if dated and first is not None else None
                rows.add(
                    row_id, plan_id, position, str(position), section, topic, hours, planned, homework, None, False
                )
                given.append(PlanRowEntry(row_id, hours, topic, homework))
            self.plan_rows[journal.id] = given
        plans.flush()
        rows.flush()
        counted = Counter(statuses.values())
        self.counts.update(
            plans=plans.count,
            plans_approved=counted["approved"],
            plans_draft=counted["draft"],
            plan_rows=rows.count,
        )

    def _plan_statuses(self, rng: random.Random) -> dict[int, str]:
        """Return {journal id: "approved" or "draft"} for the journals with a plan; the others have none.

        The demo teacher's journals all have one, the last of them a draft; of the others there is
        at least one of each state.
        """
        demo_teacher = next((t.id for t in self.teachers if t.login == "teacher"), None)
        lessons = [j for j in self.journals if j.kind == "lesson" and j.subject in TOPICS]
        own = [j for j in lessons if j.teacher == demo_teacher]
        statuses = {j.id: "approved" for j in own}
        if own:
            statuses[own[-1].id] = "draft"
        others = [j for j in lessons if j.teacher != demo_teacher]
        for journal in others:
            draw = rng.random()
            if draw >= NO_PLAN_SHARE:
                statuses[journal.id] = "draft" if draw < NO_PLAN_SHARE + DRAFT_SHARE else "approved"
        states = [statuses.get(j.id) for j in others]
        if len(others) >= 3:
            if None not in states:
                statuses.pop(others[len(others) // 2].id)
            if "draft" not in states:
                statuses[others[len(others) // 3].id] = "draft"
        return statuses

    def _school_moment(self, rng: random.Random, days: int) -> dt.datetime:
        """Return a working hour of a weekday among the year's first `days` days (never after the builder's now)."""
        day = self.start + dt.timedelta(days=rng.randrange(days))
        while day.isoweekday() > 5:
            day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time(10, 0)) + dt.timedelta(minutes=rng.randrange(7 * 60))
        return min(moment, self.now)

    def _slot_dates(self, journal: JournalPlan, year_days: list[dt.date]) -> list[dt.date]:
        """Return the date of every lesson the journal's timetable gives over the whole year, in order."""
        per_weekday = Counter(weekday for weekday, _ in journal.slots)
        return [day for day in year_days for _ in range(per_weekday.get(day.isoweekday(), 0))]

    def _year_hours(self, journal: JournalPlan) -> int:
        """The curriculum's hours a year for the journal's subject and grade (an elective: its weekly hours × 34)."""
        hours = self.curriculum_hours.get((journal.group.grade, journal.subject))
        return hours if hours is not None else journal.hours * 34

    def _plan_lines(self, rng: random.Random, journal: JournalPlan, lessons: int):
        """Yield (section, topic, hours, homework, index of the row's first lesson or None) for a journal's plan."""
        topics = TOPICS[journal.subject]
        total = self._year_hours(journal)
        content = min(total, lessons)
        control = CONTROL_WORK.get(journal.subject, "контрольная работа")
        hour = 0
        base, extra = divmod(content, len(topics))
        for n, topic in enumerate(topics):
            left = base + (1 if n < extra else 0)
            if not left:
                continue
            section = f"Раздел {n + 1}. {topic}"
            closing = left >= CONTROL_FROM_HOURS
            m = 0
            while left:
                if closing and left == 1:
                    text, hours, homework = f"{control[0].upper()}{control[1:]} по теме «{topic}»", 1, None
                else:
                    text = topic if m == 0 else f"{topic}. {self._practice(m - 1)}"
                    room = left - (1 if closing else 0)  # the control work keeps its hour
                    hours = 2 if room >= 2 and m > 0 and rng.random() < TWO_HOURS_SHARE else 1
                    homework = homework_text(rng, journal.subject, n + 1)
                yield section, text, hours, homework, hour
                hour += hours
                left -= hours
                m += 1
        for _ in range(total - content):
            yield RESERVE_SECTION, RESERVE_TOPIC, 1, None, None

    @staticmethod
    def _practice(n: int) -> str:
        """The n-th (from 0) middle lesson of a section: «Закрепление», …, then «Закрепление (2)», …"""
        form, rounds = PRACTICE[n % len(PRACTICE)], n // len(PRACTICE)
        return f"{form} ({rounds + 1})" if rounds else form
