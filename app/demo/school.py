"""The demo school's structure: the year and its terms, subjects, classes with their teachers, the timetable."""

from collections import defaultdict

from app.demo.bulk import BulkInserter
from app.demo.curriculum import CURRICULUM, DEPARTMENTS, PRIMARY, SUBJECTS, days_per_week, department
from app.demo.entities import SchoolClass
from app.demo.school_year import quarters
from app.demo.spec import SCHOOL_CODE, SCHOOL_NAME
from app.models import (
    ClassGroup,
    Holiday,
    SchoolSettings,
    SchoolYear,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
    WorkType,
)
from app.reference import DEFAULT_WORK_TYPES


class SchoolStructure:
    """The builder's steps that lay out the school; they run before the people are written and after.

    Reads the builder's spec, rng, ids, year bounds, holidays and teachers; sets year_id, terms,
    subject_ids, work_types, classes (with their teachers and timetable) and busy.
    """

    def _school(self) -> None:
        settings = SchoolSettings.load()
        settings.name, settings.school_code = SCHOOL_NAME, SCHOOL_CODE
        settings.save()
        self.year_id = self.ids.take(SchoolYear)
        years = BulkInserter(
            SchoolYear,
            [SchoolYear.id, SchoolYear.name, SchoolYear.start_date, SchoolYear.end_date, SchoolYear.is_current],
        )
        years.add(self.year_id, self.year_name, self.start, self.end, True)
        years.flush()
        self.terms = []
        terms = BulkInserter(
            Term, [Term.id, Term.year, Term.kind, Term.number, Term.start_date, Term.end_date, Term.closed]
        )
        for number, (first, last) in enumerate(quarters(self.start, self.end, self.holidays), start=1):
            term_id = self.ids.take(Term)
            self.terms.append((term_id, first, last))
            terms.add(term_id, self.year_id, "quarter", number, first, last, last < self.today)
        terms.flush()
        holidays = BulkInserter(Holiday, [Holiday.year, Holiday.name, Holiday.start_date, Holiday.end_date])
        for name, first, last in self.holidays:
            holidays.add(self.year_id, name, first, last)
        holidays.flush()

    def _subjects(self) -> None:
        used = {s for grade_hours in self._curricula().values() for s in grade_hours}
        self.subject_ids = {}
        rows = BulkInserter(Subject, [Subject.id, Subject.name, Subject.short_name])
        for name, short in SUBJECTS:
            if name in used:
                self.subject_ids[name] = self.ids.take(Subject)
                rows.add(self.subject_ids[name], name, short)
        rows.flush()
        self.counts["subjects"] = rows.count

    def _curricula(self) -> dict[int, dict[str, int]]:
        return {grade: CURRICULUM[grade] for grade in sorted({g for g, _ in self.spec.classes})}

    def _work_types(self) -> None:
        # The migrations wrote the reference list: reuse their rows by name, add any that is missing.
        self.work_types = {}
        for name, weight in DEFAULT_WORK_TYPES:
            row, _ = WorkType.get_or_create(name=name, defaults={"default_weight": weight})
            self.work_types[name] = (row.id, row.default_weight)

    # --- classes and teaching assignments -----------------------------------------------------

    def _classes(self) -> None:
        self.classes = [
            SchoolClass(self.ids.take(ClassGroup), grade, letter, CURRICULUM[grade])
            for grade, letter in self.spec.classes
        ]
        by_dept = defaultdict(list)
        for teacher in self.teachers:
            by_dept[teacher.dept].append(teacher)
        for cls in self.classes:
            for dept in dict.fromkeys(department(cls.grade, s) for s in cls.curriculum):
                pool = by_dept[dept]
                if dept == PRIMARY:
                    # One primary teacher per class, and they lead it.
                    teacher = next(t for t in pool if not t.classes)
                    cls.class_teacher = teacher.id
                else:
                    teacher = min(pool, key=lambda t: (t.hours, pool.index(t)))
                hours = sum(h for s, h in cls.curriculum.items() if department(cls.grade, s) == dept)
                teacher.hours += hours
                teacher.classes.append(cls)
                for subject in cls.curriculum:
                    if department(cls.grade, subject) == dept:
                        cls.teachers[subject] = teacher.id
        self._choose_demo_teachers()
        self._write_staff()
        rows = BulkInserter(
            ClassGroup, [ClassGroup.id, ClassGroup.year, ClassGroup.grade, ClassGroup.letter, ClassGroup.class_teacher]
        )
        for cls in self.classes:
            rows.add(cls.id, self.year_id, cls.grade, cls.letter, cls.class_teacher)
        rows.flush()
        self.counts["classes"] = rows.count
        assignments = BulkInserter(
            TeachingAssignment,
            [
                TeachingAssignment.year,
                TeachingAssignment.teacher,
                TeachingAssignment.class_group,
                TeachingAssignment.subject,
            ],
        )
        for cls in self.classes:
            for subject, teacher_id in cls.teachers.items():
                assignments.add(self.year_id, teacher_id, cls.id, self.subject_ids[subject])
        assignments.flush()
        self.counts["assignments"] = assignments.count

    def _choose_demo_teachers(self) -> None:
        """Pick the `teacher` login (many classes, leads none) and class teachers for grades 5–11."""
        specialists = [t for t in self.teachers if t.dept != PRIMARY]
        preference = list(DEPARTMENTS)
        demo_teacher = min(
            specialists, key=lambda t: (preference.index(t.dept), -len(t.classes), self.teachers.index(t))
        )
        leading = {cls.class_teacher for cls in self.classes if cls.class_teacher}
        for cls in self.classes:
            if cls.class_teacher:
                continue
            taught = [t for t in specialists if cls in t.classes and t is not demo_teacher and t.id not in leading]
            others = [t for t in specialists if t is not demo_teacher and t.id not in leading]
            candidates = taught or others
            if candidates:
                chosen = max(
                    candidates,
                    key=lambda t: (
                        sum(h for s, h in cls.curriculum.items() if cls.teachers.get(s) == t.id),
                        -self.teachers.index(t),
                    ),
                )
                cls.class_teacher = chosen.id
                leading.add(chosen.id)
        senior = [cls for cls in self.classes if cls.grade >= 5 and cls.class_teacher]
        led = (senior or [cls for cls in self.classes if cls.class_teacher])[0]
        for teacher in self.teachers:
            if teacher is demo_teacher:
                teacher.login = "teacher"
            elif teacher.id == led.class_teacher:
                teacher.login = "classteacher"
            else:
                teacher.login = self._login_for(teacher.person)
            self.staff_rows.append((teacher.person, teacher.login, ("teacher",)))
        # Every other teacher has handed in a portal UID; the demo `teacher` has not yet.
        self.uid_logins = {t.login for i, t in enumerate(self.teachers) if i % 2 == 1 and t.login != "teacher"}
        self.uid_logins.add("classteacher")

    # --- the timetable ------------------------------------------------------------------------

    def _timetable(self) -> None:
        """Lay out each class's week so no class and no teacher has two lessons at once."""
        busy: set[tuple[int, int, int]] = set()  # (teacher, weekday, number)
        rows = BulkInserter(
            TimetableSlot,
            [
                TimetableSlot.class_group,
                TimetableSlot.weekday,
                TimetableSlot.lesson_number,
                TimetableSlot.subject,
                TimetableSlot.teacher,
                TimetableSlot.valid_from,
                TimetableSlot.valid_to,
            ],
        )
        for cls in self.classes:
            days = self._spread(cls)
            for weekday, subjects in days.items():
                placed = self._order_day(cls, weekday, subjects, busy)
                cls.slots[weekday] = placed
                for number, subject, teacher_id in placed:
                    busy.add((teacher_id, weekday, number))
                    rows.add(cls.id, weekday, number, self.subject_ids[subject], teacher_id, self.start, self.end)
        rows.flush()
        self.busy = busy
        self.counts["timetable"] = rows.count

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

    def _order_day(self, cls: SchoolClass, weekday: int, subjects: list[str], busy) -> list[tuple[int, str, int]]:
        """Give the day's lessons numbers at which their teachers are free (a class may start at lesson 2 or 3)."""
        lessons = [(s, cls.teachers[s]) for s in subjects]
        self.rng.shuffle(lessons)
        for first in (1, 2, 3):
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
        for i, (subject, teacher_id) in enumerate(lessons):
            if (teacher_id, weekday, number) in busy or subject in tried:
                continue
            tried.add(subject)
            found = self._place(
                lessons[:i] + lessons[i + 1 :], numbers[1:], weekday, busy, placed + [(number, subject, teacher_id)]
            )
            if found is not None:
                return found
        return None
