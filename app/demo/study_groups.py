"""The demo school's study groups and journals: whole classes, splits, cross-class electives, an extracurricular course.

Every class has its whole-class group and a journal of it per subject, except that the classes of
the spec's splits learn English (or informatics) in two groups, each with its own teacher and
journal, every student of the class in exactly one of them; a senior grade's elective gathers
volunteers of all its classes in one cross-class group; every class has «Разговоры о важном» with
its class teacher, an extracurricular journal (topics and attendance, no marks).

The rows are written in bulk, but in the shape the groups service gives them: a whole-class group
is what `groups.whole_class_group` makes (named as the class), so `groups.class_journal` finds the
demo's journals instead of making new ones, and subgroups take the panel's names
(`groups.subgroup_name`).
"""

from collections import defaultdict

from app.demo.bulk import BulkInserter
from app.demo.curriculum import DEPARTMENT_OF, ELECTIVES, EXTRACURRICULAR, SPLIT_GROUPS, SPLITS
from app.demo.entities import Group, JournalPlan, SchoolClass, Teacher
from app.models import GroupMembership, Journal, StudyGroup, TeachingAssignment
from app.services.groups import subgroup_name

# A share of a grade's students who take its elective course.
ELECTIVE_SHARE = (0.35, 0.55)


def _smallest(groups: list[Group], day) -> Group:
    """Return the group with the fewest members on a day (the first of them on a tie)."""

    def size(group: Group) -> int:
        return sum(1 for _, first, last in group.listed if first <= day and (last is None or last >= day))

    return min(groups, key=lambda g: (size(g), groups.index(g)))


class StudyGroups:
    """The builder's steps that make groups and journals (with the classes) and their members (with the students).

    Reads the builder's spec, rng, ids, year bounds, classes, teachers and students; sets groups
    and journals (in the order they are written).
    """

    def _add_group(self, kind: str, name: str, grade: int | None, **fields) -> Group:
        group = Group(self.ids.take(StudyGroup), kind, name, grade, **fields)
        self.groups.append(group)
        return group

    def _add_journal(
        self, group: Group, subject: str, teacher: Teacher, hours: int, kind: str = "lesson"
    ) -> JournalPlan:
        """Give a group a journal of a subject with its teacher, counting the hours in the teacher's load."""
        journal = JournalPlan(self.ids.take(Journal), group, subject, teacher.id, hours, kind)
        self.journals.append(journal)
        teacher.hours += hours
        for cls in [group.school_class] if group.school_class else group.classes:
            if cls not in teacher.classes:
                teacher.classes.append(cls)
        return journal

    def _split(self, cls: SchoolClass, subject: str, pool: list[Teacher], first: Teacher) -> list[JournalPlan]:
        """Split a class for a subject: «5А, англ., гр. 1» with the class's teacher, the others with colleagues."""
        split = SPLITS[subject]
        teachers = [first]
        while len(teachers) < SPLIT_GROUPS:
            free = [t for t in pool if t not in teachers]
            if not free:
                raise RuntimeError(f"Для деления {cls.name} ({split}) не хватает учителей: нужно {SPLIT_GROUPS}.")
            teachers.append(min(free, key=lambda t: (t.hours, pool.index(t))))
        journals = []
        for number, teacher in enumerate(teachers, start=1):
            name = subgroup_name(cls.name, split, number)
            group = self._add_group("subgroup", name, cls.grade, school_class=cls, split=split)
            journals.append(self._add_journal(group, subject, teacher, cls.curriculum[subject]))
        return journals

    def _electives(self, by_dept: dict[str, list[Teacher]]) -> None:
        """Give each elective grade one cross-class group of all its classes, with a teacher of the course."""
        for grade in self.spec.electives:
            classes = [cls for cls in self.classes if cls.grade == grade]
            if not classes:
                continue
            subject, hours = ELECTIVES[grade]
            pool = by_dept[DEPARTMENT_OF[subject]]
            teacher = min(pool, key=lambda t: (t.hours, pool.index(t)))
            name = f"{grade}{''.join(cls.letter for cls in classes)}, {subject.lower()}"
            group = self._add_group("cross", name, grade, classes=classes)
            self._add_journal(group, subject, teacher, hours)

    def _extracurricular(self) -> None:
        """Give every class with a class teacher «Разговоры о важном», led by that teacher."""
        for cls in self.classes:
            if cls.class_teacher:
                teacher = self.teacher_by_id[cls.class_teacher]
                self._add_journal(cls.whole, EXTRACURRICULAR, teacher, 1, kind="extracurricular")

    # --- members ----------------------------------------------------------------------------

    def _study_groups(self) -> None:
        """Place students in the splits' and the electives' groups; write groups, members, journals, teachers."""
        for cls in self.classes:
            for subject, journals in cls.journals.items():
                if len(journals) > 1:
                    self._place_split(cls, [j.group for j in journals], by_name=subject == "Английский язык")
        for group in self.groups:
            if group.kind == "cross":
                self._place_elective(group)
        self._write_groups()

    def _place_split(self, cls: SchoolClass, groups: list[Group], by_name: bool) -> None:
        """Put each of the class's enrollments in exactly one group: halves of the list, newcomers to the smaller group.

        English is split by the class list (alphabetically), informatics at random; a membership lasts
        as long as the enrollment, so a student who leaves the class leaves its groups the same day.
        """
        first_day = [entry for entry in cls.roster if entry[1] == self.start]
        if by_name:
            first_day.sort(key=lambda e: (self.students[e[0]].last, self.students[e[0]].first, e[0]))
        else:
            first_day = self.rng.sample(first_day, len(first_day))
        for i, (student_id, first, last) in enumerate(first_day):
            groups[i * len(groups) // len(first_day)].listed.append([student_id, first, last])
        later = sorted((e for e in cls.roster if e[1] != self.start), key=lambda e: (e[1], e[0]))
        for student_id, first, last in later:
            _smallest(groups, first).listed.append([student_id, first, last])

    def _place_elective(self, group: Group) -> None:
        """Enrol some students of the group's classes from the year's first day until they leave the school."""
        stays = defaultdict(list)
        for cls in self.classes:
            for student_id, _, last in cls.roster:
                stays[student_id].append(last)
        candidates = [e[0] for cls in group.classes for e in cls.roster if e[1] == self.start]
        share = self.rng.uniform(*ELECTIVE_SHARE)
        for student_id in sorted(self.rng.sample(candidates, round(len(candidates) * share))):
            ends = stays[student_id]
            group.listed.append([student_id, self.start, None if None in ends else max(ends)])

    def _write_groups(self) -> None:
        groups = BulkInserter(
            StudyGroup,
            [
                StudyGroup.id,
                StudyGroup.year,
                StudyGroup.kind,
                StudyGroup.class_group,
                StudyGroup.split,
                StudyGroup.name,
                StudyGroup.grade,
            ],
        )
        memberships = BulkInserter(
            GroupMembership,
            [GroupMembership.group, GroupMembership.student, GroupMembership.start_date, GroupMembership.end_date],
            hold=True,
        )
        for group in self.groups:
            class_id = group.school_class.id if group.school_class else None
            groups.add(group.id, self.year_id, group.kind, class_id, group.split, group.name, group.grade)
            for student_id, first, last in group.listed:
                memberships.add(group.id, student_id, first, last)
        # Groups before the memberships and journals that point at them, journals before their teachers.
        groups.flush()
        memberships.flush()
        journals = BulkInserter(Journal, [Journal.id, Journal.year, Journal.group, Journal.subject, Journal.kind])
        assignments = BulkInserter(
            TeachingAssignment, [TeachingAssignment.journal, TeachingAssignment.teacher], hold=True
        )
        for journal in self.journals:
            journals.add(journal.id, self.year_id, journal.group.id, self.subject_ids[journal.subject], journal.kind)
            assignments.add(journal.id, journal.teacher)
        journals.flush()
        assignments.flush()
        self.counts.update(
            groups=groups.count, memberships=memberships.count, journals=journals.count, assignments=assignments.count
        )
