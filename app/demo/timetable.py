"""The demo school's timetable: every journal's weekly lessons, so nobody is in two places at once.

The rules are the panel's (`groups.first_clash`): a teacher gives one lesson at a time; a class
has one lesson a period, except that the groups of one split have theirs in the same period,
each with its own teacher; a whole-class lesson never meets a group lesson of its students.
«Разговоры о важном» opens every class's Monday; an elective comes after the last lesson of all
its classes that day.

Every teacher has a room of their own (a primary class's teacher their class's room, the PE
teachers a gym each), so a room is never in two lessons at once; the bell schedule is a
believable one: 45-minute lessons from 08:30 with 10–20-minute breaks, 30-minute ones on a
shortened day.
"""

import datetime as dt

from app.demo.bulk import BulkInserter
from app.demo.curriculum import PRIMARY, days_per_week
from app.demo.entities import JournalPlan, SchoolClass
from app.models import BellTime, Room, ShortDay, TimetableSlot
from app.services.groups import LESSON_NUMBERS

MONDAY = 1
# The breaks after each lesson, in minutes: the long ones after the 2nd and 3rd lessons (lunch).
BREAKS = (10, 20, 20, 10, 10, 10, 10, 10, 10)
SHORT_BREAKS = (10, 15, 15, 10, 10, 10, 10, 10, 10)


def bell_times(first: dt.time, minutes: int, breaks) -> list[tuple[int, dt.time, dt.time]]:
    """Return (number, start, end) of lessons 1…10 of `minutes` each, from `first`, with these breaks."""
    times, start = [], dt.datetime.combine(dt.date(2000, 1, 1), first)
    for number in range(LESSON_NUMBERS[0], LESSON_NUMBERS[1] + 1):
        end = start + dt.timedelta(minutes=minutes)
        times.append((number, start.time(), end.time()))
        start = end + dt.timedelta(minutes=breaks[min(number - 1, len(breaks) - 1)])
    return times


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
        rooms = self._rooms()
        rows = BulkInserter(
            TimetableSlot,
            [
                TimetableSlot.journal,
                TimetableSlot.weekday,
                TimetableSlot.lesson_number,
                TimetableSlot.teacher,
                TimetableSlot.valid_from,
                TimetableSlot.valid_to,
                TimetableSlot.room,
            ],
        )
        for journal in self.journals:
            for weekday, number in journal.slots:
                rows.add(journal.id, weekday, number, journal.teacher, self.start, self.end, rooms[journal.teacher])
        rows.flush()
        self._bells()
        self.busy = busy
        self.counts["timetable"] = rows.count

    def _rooms(self) -> dict[int, int]:
        """Write a room for every teacher of a journal and return {teacher id: room id}."""
        teachers = sorted({journal.teacher for journal in self.journals})
        depts = {t.id: t.dept for t in self.teachers}
        rows = BulkInserter(Room, [Room.id, Room.name, Room.note])
        by_teacher, counted = {}, {"pe": 0, PRIMARY: 0, "": 0}
        for teacher in teachers:
            dept = depts.get(teacher, "")
            kind = dept if dept in counted else ""
            counted[kind] += 1
            n = counted[kind]
            room_id = self.ids.take(Room)
            if kind == "pe":
                rows.add(room_id, f"Спортзал {n}", None)
            elif kind == PRIMARY:
                rows.add(room_id, f"1{n:02d}", "начальная школа")
            else:
                rows.add(room_id, f"{2 + (n - 1) // 20}{(n - 1) % 20 + 1:02d}", None)
            by_teacher[teacher] = room_id
        rows.flush()
        self.counts["rooms"] = rows.count
        return by_teacher

    def _bells(self) -> None:
        """Write the normal and the shortened bell schedule, and the day before the winter holidays as shortened."""
        rows = BulkInserter(BellTime, [BellTime.schedule, BellTime.lesson_number, BellTime.starts_at, BellTime.ends_at])
        for schedule, minutes, breaks in (("normal", 45, BREAKS), ("short", 30, SHORT_BREAKS)):
            for number, start, end in bell_times(dt.time(8, 30), minutes, breaks):
                rows.add(schedule, number, start, end)
        rows.flush()
        winter = [start for _name, start, end in self.holidays if start.month in (12, 1) and start <= end]
        if winter:
            eve = min(winter) - dt.timedelta(days=1)
            while eve.isoweekday() == 7:
                eve -= dt.timedelta(days=1)
            ShortDay.insert(date=eve, note="предпраздничный день").execute()

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
