"""The demo school's structure: the year and its terms, subjects, classes with their journals and teachers.

The year has quarters and halves over the same school days: the grades the settings list
(`half_year_grades`, "10, 11") are attested by halves, the others by quarters (`finals.period_kind`);
a term that is over is closed. Homework is expected in the core subjects of grades 5–9.
"""

from collections import defaultdict

from app.demo.bulk import BulkInserter
from app.demo.curriculum import (
    CURRICULUM,
    DEPARTMENTS,
    ELECTIVES,
    EXTRACURRICULAR,
    PRIMARY,
    SUBJECTS,
    department,
)
from app.demo.entities import Period, SchoolClass
from app.demo.school_year import halves, quarters
from app.demo.spec import SCHOOL_CODE, SCHOOL_NAME
from app.models import (
    ClassGroup,
    CurriculumHours,
    Holiday,
    HomeworkExpectation,
    SchoolSettings,
    SchoolYear,
    Subject,
    Term,
    WorkType,
)
from app.reference import DEFAULT_WORK_TYPES

# Where the deputy's journal check expects homework after every held lesson (a lesson without
# homework there is a finding of the check).
HOMEWORK_EXPECTED = (("Русский язык", "5–9"), ("Математика", "5–6"), ("Алгебра", "7–9"))


class SchoolStructure:
    """The builder's steps that lay out the school; they run before the people are written and after.

    Reads the builder's spec, rng, ids, year bounds, holidays and teachers; sets settings, year_id,
    terms (Periods: the quarters, then the halves), subject_ids, work_types, teacher_by_id and
    classes, with the groups and journals (StudyGroups' steps make them) and each journal's teacher.
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
        self.settings = settings
        self.terms = []
        terms = BulkInserter(
            Term, [Term.id, Term.year, Term.kind, Term.number, Term.start_date, Term.end_date, Term.closed]
        )
        year_quarters = quarters(self.start, self.end, self.holidays)
        for kind, spans in (("quarter", year_quarters), ("half", halves(year_quarters))):
            for number, (first, last) in enumerate(spans, start=1):
                term = Period(self.ids.take(Term), kind, number, first, last)
                self.terms.append(term)
                # A term that is over has been closed by the deputy.
                terms.add(term.id, self.year_id, kind, number, first, last, last < self.today)
        terms.flush()
        holidays = BulkInserter(Holiday, [Holiday.year, Holiday.name, Holiday.start_date, Holiday.end_date])
        for name, first, last in self.holidays:
            holidays.add(self.year_id, name, first, last)
        holidays.flush()

    def _subjects(self) -> None:
        grades = {g for g, _ in self.spec.classes}
        used = {s for grade_hours in self._curricula().values() for s in grade_hours}
        used |= {ELECTIVES[g][0] for g in self.spec.electives if g in grades}
        used.add(EXTRACURRICULAR)
        self.subject_ids = {}
        rows = BulkInserter(Subject, [Subject.id, Subject.name, Subject.short_name])
        for name, short in SUBJECTS:
            if name in used:
                self.subject_ids[name] = self.ids.take(Subject)
                rows.add(self.subject_ids[name], name, short)
        rows.flush()
        self.counts["subjects"] = rows.count
        expected = BulkInserter(HomeworkExpectation, [HomeworkExpectation.subject, HomeworkExpectation.grades])
        for name, grades in HOMEWORK_EXPECTED:
            if name in self.subject_ids:
                expected.add(self.subject_ids[name], grades)
        expected.flush()
        # The curriculum's hours a year («учебный план»): the weekly hours over 34 school weeks (33 in
        # the first grade), what the thematic plans are compared with.
        fields = [CurriculumHours.year, CurriculumHours.subject, CurriculumHours.grade, CurriculumHours.hours]
        hours = BulkInserter(CurriculumHours, fields)
        self.curriculum_hours = {}
        for grade, grade_hours in self._curricula().items():
            for name, weekly in grade_hours.items():
                if name in self.subject_ids:
                    self.curriculum_hours[(grade, name)] = weekly * (33 if grade == 1 else 34)
                    hours.add(self.year_id, self.subject_ids[name], grade, self.curriculum_hours[(grade, name)])
        hours.flush()

    def _curricula(self) -> dict[int, dict[str, int]]:
        return {grade: CURRICULUM[grade] for grade in sorted({g for g, _ in self.spec.classes})}

    def _work_types(self) -> None:
        # The migrations wrote the reference list: reuse their rows by name, add any that is missing.
        self.work_types = {}
        for name, weight in DEFAULT_WORK_TYPES:
            row, _ = WorkType.get_or_create(name=name, defaults={"default_weight": weight})
            self.work_types[name] = (row.id, row.default_weight)

    # --- classes, their journals and who teaches them ----------------------------------------

    def _classes(self) -> None:
        """Make the classes with their whole-class groups and journals, pick every journal's teacher, write classes."""
        self.classes = [
            SchoolClass(self.ids.take(ClassGroup), grade, letter, CURRICULUM[grade])
            for grade, letter in self.spec.classes
        ]
        self.groups, self.journals = [], []
        self.teacher_by_id = {t.id: t for t in self.teachers}
        by_dept = defaultdict(list)
        for teacher in self.teachers:
            by_dept[teacher.dept].append(teacher)
        splits = set(self.spec.splits)
        for cls in self.classes:
            cls.whole = self._add_group("class", cls.name, cls.grade, school_class=cls)
            for dept in dict.fromkeys(department(cls.grade, s) for s in cls.curriculum):
                pool = by_dept[dept]
                if dept == PRIMARY:
                    # One primary teacher per class, and they lead it.
                    teacher = next(t for t in pool if not t.classes)
                    cls.class_teacher = teacher.id
                else:
                    teacher = min(pool, key=lambda t: (t.hours, pool.index(t)))
                for subject, hours in cls.curriculum.items():
                    if department(cls.grade, subject) != dept:
                        continue
                    if (cls.grade, cls.letter, subject) in splits:
                        cls.journals[subject] = self._split(cls, subject, pool, teacher)
                    else:
                        cls.journals[subject] = [self._add_journal(cls.whole, subject, teacher, hours)]
        self._electives(by_dept)
        self._choose_demo_teachers()
        self._extracurricular()
        self._write_staff()
        rows = BulkInserter(
            ClassGroup, [ClassGroup.id, ClassGroup.year, ClassGroup.grade, ClassGroup.letter, ClassGroup.class_teacher]
        )
        for cls in self.classes:
            rows.add(cls.id, self.year_id, cls.grade, cls.letter, cls.class_teacher)
        rows.flush()
        self.counts["classes"] = rows.count

    def _choose_demo_teachers(self) -> None:
        """Pick the `teacher` login (English group 1 of 5А, leads no class) and class teachers for grades 5–11."""
        specialists = [t for t in self.teachers if t.dept != PRIMARY]
        senior = [cls for cls in self.classes if cls.grade >= 5]
        demo_class = (senior or self.classes)[0]
        english = demo_class.journals.get("Английский язык", [])
        if len(english) > 1:
            demo_teacher = self.teacher_by_id[english[0].teacher]
        else:
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
                chosen = max(candidates, key=lambda t: (cls.hours_of(t.id), -self.teachers.index(t)))
                cls.class_teacher = chosen.id
                leading.add(chosen.id)
        led = next((cls for cls in [demo_class, *self.classes] if cls.class_teacher), None)
        for teacher in self.teachers:
            if teacher is demo_teacher:
                teacher.login = "teacher"
            elif led is not None and teacher.id == led.class_teacher:
                teacher.login = "classteacher"
            else:
                teacher.login = self._login_for(teacher.person)
            self.staff_rows.append((teacher.person, teacher.login, ("teacher",)))
        # Every other teacher has handed in a portal UID; the demo `teacher` has not yet.
        self.uid_logins = {t.login for i, t in enumerate(self.teachers) if i % 2 == 1 and t.login != "teacher"}
        self.uid_logins.add("classteacher")
