"""The demo school's people: the administration and the teachers, the students, their parents and transfers."""

import datetime as dt
import uuid
from collections import defaultdict

from app.demo.bulk import BulkInserter
from app.demo.curriculum import CURRICULUM, DEPARTMENT_OF, DEPARTMENTS, ELECTIVES, PRIMARY, SPLIT_GROUPS, department
from app.demo.entities import Person, Teacher
from app.demo.names import BOYS, GIRLS, MALE_NAMES, SURNAMES, WOMEN, feminine_surname, transliterate
from app.demo.spec import DEMO_LOGINS, DEMO_PASSWORD, STAFF_POSTS
from app.models import Enrollment, Guardian, Role, Staff, StaffRole, Student, StudentGuardian
from app.services.auth import hash_password


class People:
    """The builder's steps that make people: staff first, students with their families once classes exist.

    Reads the builder's spec, rng, ids, year bounds, classes and hash_method; sets staff_rows,
    teachers, admin_id, students, families, ability and the enrollments in each class's roster.
    """

    def _person(self, model, female: bool, last=None, first=None, middle=None, adult=True) -> Person:
        rng = self.rng
        last = last or rng.choice(SURNAMES)
        if female:
            last = feminine_surname(last)
        if first is None:
            if adult:
                first = rng.choice(WOMEN if female else [name for name, _, _ in MALE_NAMES])
            else:
                first = rng.choice(GIRLS if female else BOYS)
        if middle is None:
            _, son, daughter = rng.choice(MALE_NAMES)
            middle = daughter if female else son
        return Person(self.ids.take(model), last, first, middle, female)

    def _login_for(self, person: Person) -> str:
        base = f"{transliterate(person.last)}.{transliterate(person.first[0] + person.middle[0])}"
        login, n = base, 1
        while login in self.used_logins:
            n += 1
            login = f"{base}{n}"
        self.used_logins.add(login)
        return login

    def _staff(self) -> None:
        """Create the administration and the teachers, with departments sized to the hours."""
        self.staff_rows: list[tuple[Person, str, tuple[str, ...]]] = []
        for login, (last, first, middle) in STAFF_POSTS.items():
            person = Person(self.ids.take(Staff), last, first, middle, last.endswith("а"))
            self.staff_rows.append((person, login, DEMO_LOGINS[login]))
            if login == "admin":
                self.admin_id = person.id
            elif login == "deputy":
                self.deputy_id = person.id
        self.teachers: list[Teacher] = []
        for dept, count in self._department_sizes().items():
            for _ in range(count):
                # Most Russian school teachers are women; physical education is the exception.
                female = self.rng.random() < (0.45 if dept == "pe" else 0.85)
                person = self._person(Staff, female)
                self.teachers.append(Teacher(person.id, person, dept, ""))

    def _department_sizes(self) -> dict[str, int]:
        """Share the teachers among the departments by weekly hours (one per primary class).

        A split class's subject counts once per group, and a department teaching a split has at
        least as many teachers as the split has groups: the groups learn at the same period.
        """
        hours: dict[str, int] = defaultdict(int)
        least: dict[str, int] = {}
        splits = set(self.spec.splits)
        primary = 0
        for grade, letter in self.spec.classes:
            if grade <= 4:
                primary += 1
            for subject, h in CURRICULUM[grade].items():
                dept = department(grade, subject)
                if dept == PRIMARY:
                    continue
                groups = SPLIT_GROUPS if (grade, letter, subject) in splits else 1
                hours[dept] += h * groups
                least[dept] = max(least.get(dept, 1), groups)
        for grade in sorted({g for g, _ in self.spec.classes} & set(self.spec.electives)):
            subject, h = ELECTIVES[grade]
            hours[DEPARTMENT_OF[subject]] += h
        depts = [d for d in DEPARTMENTS if hours[d]]
        sizes = {d: least.get(d, 1) for d in depts}
        # Highest-average method: each next teacher goes where the load per teacher is highest.
        for _ in range(max(0, self.spec.teachers - primary - sum(sizes.values()))):
            busiest = max(depts, key=lambda d: (hours[d] / sizes[d], -depts.index(d)))
            sizes[busiest] += 1
        if primary:
            sizes = {PRIMARY: primary, **sizes}
        return sizes

    def _write_staff(self) -> None:
        demo_hash = {login: hash_password(DEMO_PASSWORD, self.hash_method) for login in DEMO_LOGINS}
        rows = BulkInserter(
            Staff,
            [
                Staff.id,
                Staff.login,
                Staff.password_hash,
                Staff.last_name,
                Staff.first_name,
                Staff.middle_name,
                Staff.email,
                Staff.active,
                Staff.portal_uid,
                Staff.created_at,
            ],
        )
        role_ids = {r.code: r.id for r in Role.select()}
        staff_roles = BulkInserter(StaffRole, [StaffRole.staff, StaffRole.role])
        for n, (person, login, role_codes) in enumerate(self.staff_rows):
            uid = self._portal_uid() if login in self.uid_logins else None
            rows.add(
                person.id,
                login,
                demo_hash.get(login, ""),
                person.last,
                person.first,
                person.middle,
                f"{login.replace('.', '_')}@school.example" if n % 3 else None,
                True,
                uid,
                self.now - dt.timedelta(days=400),
            )
            for code in role_codes:
                staff_roles.add(person.id, role_ids[code])
        rows.flush()
        staff_roles.flush()
        self.counts["staff"] = rows.count
        self.counts["teachers"] = len(self.teachers)

    def _portal_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- students, guardians, enrollments ---------------------------------------------------

    def _birth_date(self, grade: int) -> dt.date:
        first = dt.date(self.start.year - grade - 6, 9, 1)
        return first + dt.timedelta(days=self.rng.randrange(365))

    def _students(self) -> None:
        rng = self.rng
        self.student_rows = BulkInserter(
            Student, [Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.birth_date]
        )
        self.guardian_rows = BulkInserter(
            Guardian,
            [
                Guardian.id,
                Guardian.last_name,
                Guardian.first_name,
                Guardian.middle_name,
                Guardian.phone,
                Guardian.email,
            ],
        )
        self.link_rows = BulkInserter(
            StudentGuardian, [StudentGuardian.student, StudentGuardian.guardian, StudentGuardian.relation], hold=True
        )
        self.families: dict[int, list[tuple[int, str, Person]]] = {}
        self.students: dict[int, Person] = {}
        self.ability: dict[int, float] = {}
        self.households = []  # (surname, mother, father or None, father's names), shared by siblings
        for cls in self.classes:
            for _ in range(rng.randint(*self.spec.class_size)):
                student_id = self._student(cls.grade, sibling=rng.random() < 0.05)
                cls.roster.append([student_id, self.start, None])
        self._transfers()
        # Guardians before the links that point at them and at the students.
        self.student_rows.flush()
        self.guardian_rows.flush()
        self.link_rows.flush()
        enrollments = BulkInserter(
            Enrollment, [Enrollment.student, Enrollment.class_group, Enrollment.start_date, Enrollment.end_date]
        )
        for cls in self.classes:
            for student_id, first, last in cls.roster:
                enrollments.add(student_id, cls.id, first, last)
        enrollments.flush()
        self.counts.update(
            students=self.student_rows.count, guardians=self.guardian_rows.count, enrollments=enrollments.count
        )

    def _student(self, grade: int, sibling: bool) -> int:
        """Add a student with their mother (and usually father); a sibling shares a household already made."""
        rng = self.rng
        if sibling and self.households:
            household = rng.choice(self.households)
        else:
            household = self._household()
            self.households.append(household)
        surname, mother, father, father_names = household
        female = rng.random() < 0.5
        _, son, daughter = father_names
        person = self._person(Student, female, last=surname, middle=daughter if female else son, adult=False)
        self.students[person.id] = person
        self.student_rows.add(person.id, person.last, person.first, person.middle, self._birth_date(grade))
        self.ability[person.id] = min(4.9, max(2.6, rng.gauss(3.9, 0.55)))
        parents = [(mother.id, "mother", mother)] + ([(father.id, "father", father)] if father else [])
        self.families[person.id] = parents
        for guardian_id, relation, _ in parents:
            self.link_rows.add(person.id, guardian_id, relation)
        return person.id

    def _household(self):
        rng = self.rng
        surname = rng.choice(SURNAMES)
        father_names = rng.choice(MALE_NAMES)
        mother = self._person(Guardian, True, last=surname)
        email = None
        if rng.random() < 0.6:
            email = f"{transliterate(mother.first)}.{transliterate(mother.last)}@mail.example"
        self.guardian_rows.add(mother.id, mother.last, mother.first, mother.middle, self._phone(), email)
        father = None
        if rng.random() < 0.7:
            father = self._person(Guardian, False, last=surname, first=father_names[0])
            self.guardian_rows.add(father.id, father.last, father.first, father.middle, self._phone(), None)
        return surname, mother, father, father_names

    def _phone(self) -> str:
        r = self.rng
        return f"+7 (9{r.randint(0, 99):02d}) {r.randint(0, 999):03d}-{r.randint(0, 99):02d}-{r.randint(0, 99):02d}"

    def _transfers(self) -> None:
        """Move a few students to a parallel class mid-year; a few leave and newcomers take their places."""
        rng = self.rng
        last_day = self.end if self.spec.full_year else self.today
        span = (last_day - self.start).days
        if span < 20:
            return
        for n in range(self.spec.transfers):
            day = self.start + dt.timedelta(days=rng.randint(10, span - 5))
            source = rng.choice(self.classes)
            mates = [c for c in self.classes if c.grade == source.grade and c is not source]
            entry = rng.choice([e for e in source.roster if e[1] == self.start and e[2] is None])
            entry[2] = day - dt.timedelta(days=1)
            if n % 3 != 2 and mates:
                rng.choice(mates).roster.append([entry[0], day, None])
            else:
                source.roster.append([self._student(source.grade, sibling=False), day, None])
