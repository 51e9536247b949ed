"""The demo school's first-quarter finals: once the quarter is over, every journal of grades 5–9 has them.

The teacher of each journal enters, for every student in the group during the quarter, the mark
the school's rule recommends (`finals.recommend` of the weighted average, `round_from`), «н/а»
for a student with fewer than three marks, and «осв.» in physical education for a student
exempt from it for the quarter (they get no marks in it). A student who changed classes during
the quarter has one final per subject, given in the journal they finished the quarter in and
recommended from its marks, as its final sheet shows them.

The rows are what `finals.save_finals` writes (kind "term", the quarter, the journal, set by its
teacher), in bulk through `FinalMark.insert_many`, which gives each row its change number for the
export (some 11,000 rows in the large school: peewee composing them costs a few tenths of a
second, no reason for hand-made SQL). Like the marks they are not audited one by one: the
seeding is audited once.
"""

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from peewee import chunked

from app.demo.entities import JournalPlan, Period
from app.models import FinalMark
from app.services import finals
from app.services.journal_marks import NUMERIC_MARKS, averages

# The grades whose first-quarter finals the demo enters.
FINAL_GRADES = range(5, 10)
# Fewer numeric marks than this in the quarter: not attested («н/а»).
MIN_MARKS = 3
NOT_ATTESTED = "н/а"
EXEMPT = "осв."
PHYSICAL_EDUCATION = "Физическая культура"
# The share of students exempt from physical education for the first quarter (a medical certificate).
PE_EXEMPTION = 0.02
FINAL_FIELDS = (
    FinalMark.year,
    FinalMark.student,
    FinalMark.subject,
    FinalMark.kind,
    FinalMark.term,
    FinalMark.journal,
    FinalMark.value,
    FinalMark.set_by,
    FinalMark.set_at,
)
CHUNK = 500  # rows per INSERT


class Given(NamedTuple):
    """A mark given in the first quarter, as the average needs it."""

    value: str
    weight: Decimal


class FinalMarks:
    """The builder's steps for the first quarter's finals: tally its marks while the journal is filled, then write them.

    Reads the builder's rng, today, settings, terms, year_id, subject_ids, students, journals and
    the journal step's school days; sets pe_exempt and tallies (journal id → {student id: [Given]}).
    """

    @cached_property
    def first_quarter(self) -> Period:
        """Return the year's first quarter (the terms are written before anything asks)."""
        return next(t for t in self.terms if (t.kind, t.number) == ("quarter", 1))

    def _finals_due(self) -> bool:
        """Tell whether the first quarter is over (and so closed, with its finals)."""
        return self.first_quarter.last < self.today

    def _choose_exemptions(self) -> None:
        """Pick the few students exempt from physical education for the first quarter; start the tallies."""
        self.tallies: dict[int, dict[int, list[Given]]] = {}
        self.pe_exempt = {s for s in sorted(self.students) if self.rng.random() < PE_EXEMPTION}

    def _final_tally(self, journal: JournalPlan) -> dict[int, list[Given]] | None:
        """Return where to count a journal's first-quarter marks, or None when it gets no finals."""
        if not (
            self._finals_due()
            and journal.kind == "lesson"
            and journal.group.grade in FINAL_GRADES
            and self.first_quarter in self._periods_of(journal)
        ):
            return None
        return self.tallies.setdefault(journal.id, {})

    def _marked_students(self, journal: JournalPlan, day: dt.date, present: list[int]) -> list[int]:
        """Return who of the present may be given a mark: nobody exempt from physical education that quarter."""
        if journal.subject != PHYSICAL_EDUCATION or not self.first_quarter.covers(day):
            return present
        return [s for s in present if s not in self.pe_exempt]

    def _finals(self) -> None:
        """Enter the first quarter's finals of every tallied journal (none before the quarter is over)."""
        rows = []
        if self._finals_due():
            quarter = self.first_quarter
            # Entered on the quarter's last school day, after the lessons.
            last_day = max(d for d in self._filling.days if d <= quarter.last)
            set_at = dt.datetime.combine(last_day, dt.time(12, 0))
            for (student_id, subject), journal in self._final_journals(quarter).items():
                value = self._final_value(journal, student_id)
                which = (self.year_id, student_id, self.subject_ids[subject], "term", quarter.id, journal.id)
                rows.append((*which, value, journal.teacher, set_at))
        for chunk in chunked(rows, CHUNK):
            FinalMark.insert_many(chunk, fields=FINAL_FIELDS).execute()
        self.counts["finals"] = len(rows)

    def _final_journals(self, quarter: Period) -> dict[tuple[int, str], JournalPlan]:
        """Return (student, subject) → the tallied journal the student was last in during the quarter."""
        chosen: dict[tuple[int, str], tuple[dt.date, JournalPlan]] = {}
        for journal in self.journals:
            if journal.id not in self.tallies:
                continue
            for student_id, first, last in journal.group.members:
                reach = min(last or quarter.last, quarter.last)
                if first > quarter.last or reach < quarter.first:
                    continue
                key = (student_id, journal.subject)
                if key not in chosen or reach > chosen[key][0]:
                    chosen[key] = (reach, journal)
        return {key: journal for key, (_, journal) in chosen.items()}

    def _final_value(self, journal: JournalPlan, student_id: int) -> str:
        """Return the final a teacher enters: «осв.», «н/а», or the mark the school's rule recommends."""
        if journal.subject == PHYSICAL_EDUCATION and student_id in self.pe_exempt:
            return EXEMPT
        given = self.tallies[journal.id].get(student_id, [])
        if sum(1 for mark in given if mark.value in NUMERIC_MARKS) < MIN_MARKS:
            return NOT_ATTESTED
        _, weighted = averages(given)
        return finals.recommend(weighted, self.settings.round_from)
