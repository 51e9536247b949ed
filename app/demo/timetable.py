"""The demo school's timetable: every journal's weekly lessons, so nobody is in two places at once.

The rules are the panel's (`groups.first_clash`): a teacher gives one lesson at a time; a class
has one lesson a period, except that the groups of one split have theirs in the same period,
each with its own teacher; a whole-class lesson never meets a group lesson of its students.
«Разговоры о важном» opens every class's Monday; an elective comes after the last lesson of all
its classes that day.
"""

from app.demo.bulk import BulkInserter
from app.demo.curriculum import days_per_week
from app.demo.entities import JournalPlan, SchoolClass
from app.models import TimetableSlot
from app.services.groups import LESSON_NUMBERS

MONDAY = 1


class Timetable:
    """The builder's step that lays out the week (reads classes, journals and rng; sets busy)."""

    def _timetable(self) -> None:
        """Give every journal its weekly slots and write them, valid for the whole year."""
        busy: set[tuple[int, int, int]] = set()  # (teacher, weekday, number)
        for journal in self.journals:
            if journal.kind == "extracurricular":
                self._book([journal], MONDAY, 1, busy)
        for cls in self.classes:
            for weekday, subjects in self._spread(cls).items():
                for number, subject in self._order_day(cls, weekday, subjects, busy):
                    self._book(cls.journals[subject], weekday, number, busy)
        for journal in self.journals:
            if journal.group.kind == "cross":
                self._elective_slots(journal, busy)
        rows = BulkInserter(
            TimetableSlot,
            [
                TimetableSlot.journal,
                TimetableSlot.weekday,
                TimetableSlot.lesson_number,
                TimetableSlot.teacher,
                TimetableSlot.valid_from,
                TimetableSlot.valid_to,
            ],
        )
        for journal in self.journals:
            for weekday, number in journal.slots:
                rows.add(journal.id, weekday, number, journal.teacher, self.start, self.end)
        rows.flush()
        self.busy = busy
        self.counts["timetable"] = rows.count

    @staticmethod
    def _book(journals: list[JournalPlan], weekday: int, number: int, busy: set) -> None:
        """Put journals (one, or the groups of a split together) at a period: their teachers and classes are taken."""
        for journal in journals:
            journal.slots.append((weekday, number))
            busy.add((journal.teacher, weekday, number))
            group = journal.group
            for cls in [group.school_class] if group.school_class else group.classes:
                cls.periods.setdefault(weekday, set()).add(number)

    def _spread(self, cls: SchoolClass) -> dict[int, list[str]]:
        """Share a class's weekly hours among its days, each subject on as many different days as it can."""
        n_days = days_per_week(cls.grade)
        total = sum(cls.curriculum.values())
        capacity = {d: total // n_days + (1 if d <= total % n_days else 0) for d in range(1, n_days + 1)}
        days = {d: [] for d in range(1, n_days + 1)}
        order = sorted(cls.curriculum.items(), key=lambda item: (-item[1], item[0]))
        for subject, hours in order:
            for _ in range(hours):
                free = [d for d in days if len(days[d]) < capacity[d]]
                fewest = min(days[d].count(subject) for d in free)
                choices = [d for d in free if days[d].count(subject) == fewest]
                most_room = max(capacity[d] - len(days[d]) for d in choices)
                choices = [d for d in choices if capacity[d] - len(days[d]) == most_room]
                days[self.rng.choice(choices)].append(subject)
        return days

    def _order_day(self, cls: SchoolClass, weekday: int, subjects: list[str], busy) -> list[tuple[int, str]]:
        """Give the day's lessons numbers at which all their teachers are free (a class may start at lesson 2 or 3).

        The day starts after the periods already booked (Monday's «Разговоры о важном»).
        """
        lessons = [(s, tuple(j.teacher for j in cls.journals[s])) for s in subjects]
        self.rng.shuffle(lessons)
        begin = max(cls.periods.get(weekday, ()), default=0) + 1
        for first in (begin, begin + 1, begin + 2):
            numbers = list(range(first, first + len(lessons)))
            found = self._place(lessons, numbers, weekday, busy, [])
            if found is not None:
                return found
        raise RuntimeError(f"Не удалось составить расписание класса {cls.name} на день {weekday}.")

    def _place(self, lessons, numbers, weekday, busy, placed):
        if not numbers:
            return placed
        number = numbers[0]
        tried = set()
        for i, (subject, teachers) in enumerate(lessons):
            if subject in tried or any((t, weekday, number) in busy for t in teachers):
                continue
            tried.add(subject)
            rest = lessons[:i] + lessons[i + 1 :]
            found = self._place(rest, numbers[1:], weekday, busy, placed + [(number, subject)])
            if found is not None:
                return found
        return None

    def _elective_slots(self, journal: JournalPlan, busy: set) -> None:
        """Put a cross-class journal's hours on different days, each right after all its classes' lessons."""
        classes = journal.group.classes
        for _ in range(journal.hours):
            options = []
            taken_days = {weekday for weekday, _ in journal.slots}
            for weekday in range(1, days_per_week(journal.group.grade) + 1):
                if weekday in taken_days:
                    continue
                number = max(max(cls.periods.get(weekday, ()), default=0) for cls in classes) + 1
                while (journal.teacher, weekday, number) in busy:
                    number += 1
                options.append((number, weekday))
            if not options or min(options)[0] > LESSON_NUMBERS[1]:
                raise RuntimeError(f"Не удалось найти время для группы «{journal.group.name}».")
            number, weekday = min(options)
            self._book([journal], weekday, number, busy)
