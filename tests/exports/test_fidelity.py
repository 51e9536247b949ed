"""Fidelity: whatever happens between the journal and the portal, the portal ends up holding the journal.

Hypothesis drives sequences of journal edits (lessons of whole-class, subgroup and cross-class
journals, marks, absences, homework files, UIDs, teachers of journals, journals made and dropped,
class teachers, applications granted and revoked, last year's marks and finals; marks with
comments and fractional weights, absences whose reason is not known yet, lessons cancelled and
restored; homework files whose content several lessons share, lost from the upload folder,
restored or attached again), final marks (set, changed and cleared by the journal's teacher or
the deputy; terms closed and reopened by the deputy; a locked final refused to the teacher and
changed by the deputy with a reason; a final given in one group's journal changed in another's
after the student moved), group edits (students moved between the groups of a split mid-year,
joining and leaving a cross-class group, leaving a class or moving to another one, groups
renamed), renamed reference data (work types, subjects, classes, staff names) and changes of
the school's code (the portal keeps one state per code and year), interleaved with planner
ticks (sometimes twice), manual exports, days without any tick, and faults of the receiver
(down, 500, 4xx, applied-but-unanswered; for the packages or for the files' contents) and of
Redis (its jobs lost). Every export goes through real Redis, a real RQ worker and real HTTP to
the reference receiver. Whenever the newest export was delivered, and at the end once the
faults are over and the lost files are back, the receiver's store must equal the journal:
nothing missing, nothing extra, no package applied twice, no record older than what it
replaced, every file's content held byte for byte (by its sha256) and none uploaded twice; and
what the receiver works out from it as the docs say (who is in each group on which days, which
journals each UID opens, each student's finals by subject and period) must be what the school
counts and shows. A run that fails while the receiver has no fault must be one that needed a
content lost from the upload folder, and say so. The real process kills (a worker killed
mid-export, Redis restarted) are in test_recovery.py.
"""

import datetime as dt
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from app.clock import app_clock
from app.db import db
from app.models import (
    Absence,
    ChangeCounter,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    ExportLock,
    ExportRun,
    FinalMark,
    GroupMembership,
    Guardian,
    HomeworkFile,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    Tombstone,
    WorkType,
)
from app.models.finals import FINAL_VALUES
from app.models.journal import ABSENCE_REASONS, MARK_CHANGE_REASONS, MARK_VALUES
from app.services import exports, finals, groups
from app.services import school as school_service
from app.services.errors import AccessDenied, DomainError
from app.services.exports import planner
from app.settings import app_settings
from tests.exports.helpers import SCHOOL_CODE, attach_file, set_school, stored_file, use_portal
from tests.exports.journal_state import (
    class_final_marks,
    differences,
    group_members,
    journal_state,
    opened_journals,
)
from tests.exports.receiver import ReferenceReceiver
from tests.exports.receiver import final_marks as held_finals
from tests.exports.receiver import group_members as held_members
from tests.exports.receiver import opened_journals as held_journals

EXAMPLES = int(os.environ.get("EXPORTS_FIDELITY_EXAMPLES", "40"))
STEPS = int(os.environ.get("EXPORTS_FIDELITY_STEPS", "30"))
START = dt.datetime(2026, 9, 14, 16, 0, tzinfo=dt.UTC)  # 19:00 in Moscow
FAULTS = ("down", "error500", "reject", "drop_after_apply")
pick = st.integers(min_value=0, max_value=10**6)
# Any text PostgreSQL can store (its text type holds no NUL character).
topic_text = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12)
# Weights as the journal takes them (0.1–10, two decimals at most), comments as teachers write them.
weights = st.sampled_from([Decimal("1"), Decimal("2"), Decimal("1.5"), Decimal("1.25"), Decimal("0.1"), Decimal("10")])
comments = st.one_of(
    st.none(), st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), min_size=1, max_size=40)
)
CANCEL_REASONS = ("карантин", "актированный день (низкая температура)", "мероприятие школы")
# A day of the first half of the school year.
autumn_day = st.integers(0, 120).map(lambda n: dt.date(2026, 9, 1) + dt.timedelta(days=n))


def _wipe_journal():
    """Empty every table the machine plays with (plain deletes: no tombstones, a fresh start)."""
    for model in (
        FinalMark,
        Mark,
        Absence,
        HomeworkFile,
        Lesson,
        DiaryApplication,
        StudentGuardian,
        GroupMembership,
        TeachingAssignment,
        Journal,
        StudyGroup,
        Enrollment,
        ClassGroup,
        Term,
        SchoolYear,
        Guardian,
        Student,
        Subject,
        WorkType,
        Tombstone,
        ExportRun,
    ):
        model.delete().execute()
    ExportLock.update(owner=None, until=None, run_id=None).execute()


def make_machine(app, redis_conn, work, staff, deputy):
    class ExportFidelity(RuleBasedStateMachine):
        """One school, one portal, a clock; edits, exports and faults in any order."""

        @initialize()
        def start(self):
            redis_conn.flushdb()
            _wipe_journal()
            set_school("Школа")
            self.receiver = ReferenceReceiver(token="portal-token-123").start()
            use_portal(self.receiver.url, retries=1, retry_delay=0.01, timeout=2)
            self.clock = START
            self.fault_left = 0
            # The homework files' contents as attached ({sha256: bytes}); those lost from the upload folder.
            self.instance = app.config["INSTANCE_PATH"]
            self.contents = {}
            self.lost = {}
            # Journals given last year's group: {journal id: the group they came from}.
            self.moved = {}
            past = SchoolYear.create(name="2025/2026", start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 5, 31))
            self.year = SchoolYear.create(
                name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
            )
            self.term = Term.create(
                year=self.year, number=1, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 25)
            )
            # Two quarters: closing the second locks the year's, the exam's and the итоговая too.
            self.terms = [
                self.term,
                Term.create(year=self.year, number=2, start_date=dt.date(2026, 11, 5), end_date=dt.date(2026, 12, 28)),
            ]
            self.subjects = [Subject.create(name=name) for name in ("Математика", "Русский язык", "История")]
            english, choir = Subject.create(name="Английский язык"), Subject.create(name="Хор")
            self.english = english
            self.classes = [ClassGroup.create(year=self.year, grade=5, letter=letter) for letter in "АБ"]
            for class_group in self.classes:
                groups.whole_class_group(class_group)
            self.old_class = ClassGroup.create(year=past, grade=4, letter="А")
            self.work_types = [WorkType.create(name="Ответ"), WorkType.create(name="Контрольная", default_weight=2)]
            self.students = []
            for n in range(4):
                student = Student.create(last_name=f"Ученик{n}", first_name="Имя", birth_date=dt.date(2015, 1, n + 1))
                Enrollment.create(student=student, class_group=self.classes[n % 2], start_date=dt.date(2026, 9, 1))
                self.students.append(student)
            self.guardians = [Guardian.create(last_name=f"Родитель{n}", first_name="Имя") for n in range(2)]
            for n, guardian in enumerate(self.guardians):
                StudentGuardian.create(student=self.students[n], guardian=guardian, relation="mother")
            # 5А is split in two for English; a choir gathers students of both classes.
            self.split = groups.create_split(None, self.classes[0], "англ.", 2)
            groups.place_students(
                None,
                self.split,
                {self.students[0].id: self.split[0].id, self.students[2].id: self.split[1].id},
                dt.date(2026, 9, 1),
            )
            self.choir = groups.create_group(None, kind="cross", year=self.year.id, name="Хор")
            for student in self.students[:2]:
                groups.create_membership(None, group=self.choir.id, student=student.id, start_date=dt.date(2026, 9, 1))
            # Each English group has its teacher, the choir its own: they set their journals' finals.
            for n, group in enumerate(self.split):
                journal = groups.create_journal(None, group=group.id, subject=english.id)
                groups.assign_teacher(None, journal, staff[n])
            choir_journal = groups.create_journal(None, group=self.choir.id, subject=choir.id, kind="extracurricular")
            groups.assign_teacher(None, choir_journal, staff[2])
            # Every example starts with a filled journal: a lesson with a mark of a fractional weight and
            # a comment, an absence whose reason is not known yet and a homework file; a cancelled lesson.
            lesson = Lesson.create(
                journal=journal,
                date=dt.date(2026, 9, 2),
                number=1,
                term=self.term,
                planned_teacher=staff[1],
                teacher=staff[1],
                held=True,
            )
            Mark.create(
                lesson=lesson,
                student=self.students[2],
                value="4",
                work_type=self.work_types[0],
                weight=Decimal("1.25"),
                comment="Ошибка в артикле",
            )
            Absence.create(lesson=lesson, student=self.students[0], reason="unknown")
            content = "%PDF-1.4\nЗадание 0\n".encode()
            self.contents[attach_file(lesson, "задание.pdf", content, self.instance).sha256] = content
            Lesson.create(
                journal=choir_journal,
                date=dt.date(2026, 9, 3),
                number=7,
                term=self.term,
                planned_teacher=staff[2],
                teacher=staff[2],
                cancelled=True,
                cancel_reason=CANCEL_REASONS[0],
            )
            self.old_journal = groups.class_journal(self.old_class, self.subjects[0])
            old_lesson = Lesson.create(
                journal=self.old_journal,
                date=dt.date(2026, 3, 2),
                number=1,
                planned_teacher=staff[0],
                teacher=staff[0],
            )
            Mark.create(lesson=old_lesson, student=self.students[0], value="4", work_type=self.work_types[0])
            self.old_final = FinalMark.create(
                year=past,
                student=self.students[0],
                subject=self.subjects[0],
                kind="year",
                journal=self.old_journal,
                value="4",
            )
            for person in staff:
                person.portal_uid = None
                person.save()

        def teardown(self):
            receiver = getattr(self, "receiver", None)
            if receiver is None:
                return
            try:
                # The faults are over and the lost files are back: one more scheduled day brings the
                # portal level with the journal.
                receiver.clear_fault()
                self.fault_left = 0
                for file_id in list(self.lost):
                    self._restore(file_id)
                self._tick(hours=24)
                self._assert_level()
            finally:
                receiver.stop()

        # --- helpers ---------------------------------------------------------------------------

        def _choose(self, query, seed):
            rows = list(query.order_by(query.model.id))
            return rows[seed % len(rows)] if rows else None

        def _year_lessons(self):
            return Lesson.select().where(
                Lesson.journal.in_(Journal.select(Journal.id).where(Journal.year == self.year))
            )

        def _open_lessons(self):
            """The year's lessons that may hold marks and absences: every one not cancelled."""
            return self._year_lessons().where(Lesson.cancelled == False)  # noqa: E712

        def _remove_file(self, file):
            """Detach a homework file as the lesson panel does: its row, then its bytes."""
            file.delete_instance()
            stored_file(file, self.instance).unlink(missing_ok=True)
            self.lost.pop(file.id, None)

        def _restore(self, file_id):
            file = HomeworkFile.get_or_none(HomeworkFile.id == file_id)
            content = self.lost.pop(file_id)
            if file is not None:
                stored_file(file, self.instance).write_bytes(content)

        def _journal(self, seed):
            """Pick a journal of the year: a whole class's (made when first used), a subgroup's or the choir's."""
            others = list(
                Journal.select()
                .join(StudyGroup)
                .where((Journal.year == self.year) & (StudyGroup.kind != "class"))
                .order_by(Journal.id)
            )
            options = len(self.classes) * len(self.subjects)
            choice = seed % (options + len(others))
            if choice < options:
                class_group = self.classes[choice // len(self.subjects)]
                return groups.class_journal(class_group, self.subjects[choice % len(self.subjects)])
            return others[choice - options]

        def _year_enrollments(self, student):
            in_year = ClassGroup.select(ClassGroup.id).where(ClassGroup.year == self.year)
            return list(
                Enrollment.select()
                .where((Enrollment.student == student.id) & Enrollment.class_group.in_(in_year))
                .order_by(Enrollment.start_date, Enrollment.id)
            )

        def _after_export(self, newest_before):
            faulty = self.fault_left > 0
            if self.fault_left:
                self.fault_left -= 1
                if not self.fault_left:
                    self.receiver.clear_fault()
            newest = ExportRun.select().order_by(ExportRun.id.desc()).first()
            assert not ExportRun.pending().exists(), "every run ends, delivered or failed"
            if newest is not None and newest.id > newest_before and newest.status == "delivered":
                self._assert_level()
            if newest is not None and newest.id > newest_before and newest.status == "failed" and not faulty:
                # Without a fault of the portal only a lost content stops an export, and it says which.
                assert self.lost and "пропал из хранилища" in newest.error, newest.error

        def _newest_id(self):
            return ExportRun.select(ExportRun.id).order_by(ExportRun.id.desc()).scalar() or 0

        def _tick(self, hours, twice=False):
            before = self._newest_id()
            self.clock += dt.timedelta(hours=hours)
            planner.tick(self.clock, settings=app_settings(app))
            if twice:
                planner.tick(self.clock, settings=app_settings(app))
            work()
            self._after_export(before)

        def _assert_level(self):
            held = self.receiver.holding(SchoolSettings.load().school_code, self.year.id)
            history = [(r.id, r.kind, r.status, r.change_from, r.change_to, r.error) for r in ExportRun.select()]
            assert differences(journal_state(self.year), held) == {}, history
            assert held_members(held) == group_members(self.year)
            assert held_journals(held) == opened_journals(self.year)
            assert held_finals(held) == class_final_marks(self.year, deputy)
            # Every file's content is there, byte for byte, and was uploaded once.
            for (kind, _), fields in held.items():
                if kind == "homework_file":
                    assert self.receiver.files.get(fields["sha256"]) == self.contents[fields["sha256"]]
            assert all(count == 1 for count in self.receiver.uploads.values()), "a content uploaded twice"
            assert all(count == 1 for count in self.receiver.apply_counts.values()), "a package applied twice"
            assert self.receiver.anomalies == [] and self.receiver.invalid == []

        # --- the journal -------------------------------------------------------------------------

        @rule(seed=pick, number=st.integers(1, 7), day=st.integers(1, 30))
        def add_lesson(self, seed, number, day):
            journal = self._journal(seed)
            date = dt.date(2026, 9, day)
            if (
                Lesson.select()
                .where((Lesson.journal == journal) & (Lesson.date == date) & (Lesson.number == number))
                .exists()
            ):
                return
            teacher = staff[seed % len(staff)]
            Lesson.create(
                journal=journal,
                date=date,
                number=number,
                term=self.term,
                planned_teacher=teacher,
                teacher=teacher,
            )

        @rule(seed=pick, topic=topic_text, held=st.booleans(), substitute=st.booleans())
        def fill_lesson(self, seed, topic, held, substitute):
            lesson = self._choose(self._year_lessons(), seed)
            if lesson is None:
                return
            lesson.topic = topic or None
            lesson.homework = f"№ {seed % 100}" if seed % 3 else None
            lesson.held = held and not lesson.cancelled
            if substitute:
                lesson.teacher = staff[(seed + 1) % len(staff)]
                lesson.replacement_subject = self.subjects[(seed + 1) % 3] if seed % 2 else None
            lesson.save()

        @rule(seed=pick)
        def delete_lesson(self, seed):
            lesson = self._choose(self._year_lessons(), seed)
            if lesson is None:
                return
            files = list(lesson.files)
            with db.atomic():
                for child in (*lesson.marks, *lesson.absences, *files):
                    child.delete_instance()
                lesson.delete_instance()
            for file in files:
                stored_file(file, self.instance).unlink(missing_ok=True)
                self.lost.pop(file.id, None)

        @rule(seed=pick)
        def cancel_lesson(self, seed):
            # A lesson is called off (its marks and absences go first), or the cancellation is undone.
            lesson = self._choose(self._year_lessons(), seed)
            if lesson is None:
                return
            with db.atomic():
                if lesson.cancelled:
                    lesson.cancelled, lesson.cancel_reason = False, None
                else:
                    for child in (*lesson.marks, *lesson.absences):
                        child.delete_instance()
                    lesson.cancelled, lesson.held = True, False
                    lesson.cancel_reason = CANCEL_REASONS[seed % len(CANCEL_REASONS)]
                lesson.save()

        @rule(seed=pick, value=st.sampled_from(MARK_VALUES), weight=weights, comment=comments)
        def add_mark(self, seed, value, weight, comment):
            lesson = self._choose(self._open_lessons(), seed)
            if lesson is not None:
                Mark.create(
                    lesson=lesson,
                    student=self.students[seed % 4],
                    value=value,
                    work_type=self.work_types[seed % 2],
                    weight=weight,
                    comment=comment,
                )

        @rule(seed=pick, value=st.sampled_from(MARK_VALUES), weight=weights, comment=comments)
        def change_mark(self, seed, value, weight, comment):
            mark = self._choose(Mark.select(), seed)
            if mark is not None:
                mark.value = value
                mark.change_reason = "typo" if seed % 2 else None
                if seed % 3:
                    mark.weight, mark.comment = weight, comment
                mark.save()

        @rule(seed=pick)
        def delete_mark(self, seed):
            mark = self._choose(Mark.select(), seed)
            if mark is not None:
                mark.delete_instance()

        @rule(seed=pick, reason=st.sampled_from([r for r, _ in ABSENCE_REASONS]))
        def set_absence(self, seed, reason):
            lesson = self._choose(self._open_lessons(), seed)
            if lesson is None:
                return
            student = self.students[seed % 4]
            absence = Absence.get_or_none((Absence.lesson == lesson) & (Absence.student == student))
            if absence is None:
                Absence.create(lesson=lesson, student=student, reason=reason)
            elif seed % 3 == 0:
                absence.delete_instance()
            else:
                absence.reason = reason
                absence.save()

        @rule(seed=pick)
        def attach_file(self, seed):
            lesson = self._choose(self._year_lessons(), seed)
            if lesson is None:
                return
            existing = list(lesson.files)
            if existing and seed % 2:
                self._remove_file(existing[0])
            else:
                # Five distinct contents: the same worksheet is often attached to several lessons.
                content = f"%PDF-1.4\nЗадание {seed % 5}\n".encode() * (1 + seed % 5)
                file = attach_file(lesson, f"файл{seed}.pdf", content, self.instance)
                self.contents[file.sha256] = content

        @rule(seed=pick)
        def lose_file_content(self, seed):
            # A homework file's bytes vanish from the server's upload folder (a disk cleaned by hand).
            file = self._choose(HomeworkFile.select().where(HomeworkFile.id.not_in(list(self.lost) or [0])), seed)
            if file is not None:
                path = stored_file(file, self.instance)
                self.lost[file.id] = path.read_bytes()
                path.unlink()

        @rule(seed=pick, attach_again=st.booleans())
        def repair_lost_content(self, seed, attach_again):
            # The administrator does what the failed export said: the file is removed and attached again
            # (or just removed); or the bytes come back from a backup.
            if not self.lost:
                return
            file_id = sorted(self.lost)[seed % len(self.lost)]
            file = HomeworkFile.get_by_id(file_id)
            if seed % 3 == 0:
                self._restore(file_id)
                return
            content = self.lost[file_id]
            self._remove_file(file)
            if attach_again:
                attach_file(file.lesson_id, file.original_name, content, self.instance)

        @rule(seed=pick, clear=st.booleans())
        def change_uid(self, seed, clear):
            person = staff[seed % len(staff)]
            uid = None if clear else str(1000000 + seed)
            if uid is not None and Staff.select().where((Staff.portal_uid == uid) & (Staff.id != person.id)).exists():
                return
            person.portal_uid = uid
            person.save()

        @rule(seed=pick)
        def change_assignments(self, seed):
            teacher, journal = staff[seed % len(staff)], self._journal(seed // len(staff))
            found = TeachingAssignment.get_or_none(
                (TeachingAssignment.teacher == teacher) & (TeachingAssignment.journal == journal)
            )
            if found is None:
                groups.assign_teacher(None, journal, teacher)
            else:
                groups.delete_assignment(None, found)

        @rule(seed=pick)
        def make_or_drop_journal(self, seed):
            group = (*self.split, self.choir)[seed % 3]
            subject = self.subjects[seed % len(self.subjects)]
            journal = Journal.get_or_none((Journal.group == group.id) & (Journal.subject == subject.id))
            if journal is None:
                groups.create_journal(None, group=group.id, subject=subject.id)
                return
            if (
                Lesson.select().where(Lesson.journal == journal).exists()
                or FinalMark.select().where(FinalMark.journal == journal).exists()
            ):
                return  # a journal with lessons or final marks stays
            for assignment in journal.assignments:
                groups.delete_assignment(None, assignment)
            groups.delete_journal(None, journal)

        @rule(seed=pick)
        def move_journal_to_last_year(self, seed):
            # A journal without lessons given last year's group takes its teachers out of the year (and back).
            if self.moved and seed % 2:
                journal_id, group_id = sorted(self.moved.items())[seed % len(self.moved)]
                try:
                    groups.update_journal(None, Journal.get_by_id(journal_id), group=group_id)
                except DomainError:
                    return  # its old place was taken meanwhile
                del self.moved[journal_id]
                return
            movable = list(
                Journal.select()
                .where(
                    Journal.group.in_([g.id for g in (*self.split, self.choir)])
                    & ~Journal.id.in_(Lesson.select(Lesson.journal))
                    # A journal with final marks stays in its year, as one with lessons does.
                    & ~Journal.id.in_(FinalMark.select(FinalMark.journal))
                )
                .order_by(Journal.id)
            )
            if not movable:
                return
            journal = movable[seed % len(movable)]
            home = journal.group_id
            try:
                groups.update_journal(None, journal, group=self.old_journal.group_id)
            except DomainError:
                return  # last year's class has that subject's journal already
            self.moved[journal.id] = home

        # --- final marks ----------------------------------------------------------------------

        def _save_final(self, journal, column, values, seed):
            """Save finals as the school would: the journal's teacher or the deputy; a locked column by the deputy."""
            assignment = (
                TeachingAssignment.select()
                .where(TeachingAssignment.journal == journal.id)
                .order_by(TeachingAssignment.id)
                .first()
            )
            teacher = assignment.teacher if assignment is not None else None
            if not column.locked:
                actor = teacher if teacher is not None and seed % 3 else deputy
                finals.save_finals(actor, journal.id, column.key, values, clock=app_clock(app))
                return
            if teacher is not None:
                # The period is closed: the teacher is refused, and nothing is written.
                before = ChangeCounter.current()
                with pytest.raises(AccessDenied):
                    finals.save_finals(teacher, journal.id, column.key, values, clock=app_clock(app))
                assert ChangeCounter.current() == before
            reason = MARK_CHANGE_REASONS[seed % len(MARK_CHANGE_REASONS)][0]
            finals.save_finals(deputy, journal.id, column.key, values, reason=reason, clock=app_clock(app))

        @rule(seed=pick, values=st.lists(st.sampled_from(("", *FINAL_VALUES)), min_size=1, max_size=4))
        def set_final(self, seed, values):
            # One pass down a column (a period's, the year's, the exam's or the итоговая): finals set,
            # changed or cleared for the members, in one save.
            journal = self._journal(seed)
            sheet = finals.final_sheet(deputy, journal)
            column = sheet.columns[seed % len(sheet.columns)]
            rows = [row for row in sheet.rows if row.cells[column.key].member]
            if rows:
                given = {row.student.id: values[n % len(values)] for n, row in enumerate(rows)}
                self._save_final(journal, column, given, seed)

        def _change_final(self, final, value, seed):
            """Change or clear a final in a journal of its subject that shows it (another group's after a move)."""
            key = f"term-{final.term_id}" if final.kind == "term" else final.kind
            places = []
            subject_journals = Journal.select().where(
                (Journal.year == self.year) & (Journal.subject == final.subject_id)
            )
            for journal in subject_journals.order_by(Journal.id):
                sheet = finals.final_sheet(deputy, journal)
                column = sheet.column(key)
                row = next((row for row in sheet.rows if row.student.id == final.student_id), None)
                if column is not None and row is not None and row.cells[key].member:
                    assert row.cells[key].value == final.value, "one final per student, subject and period"
                    places.append((journal, column))
            if places:
                journal, column = places[seed % len(places)]
                self._save_final(journal, column, {final.student_id: value}, seed)

        @rule(seed=pick, value=st.one_of(st.just(""), st.sampled_from(FINAL_VALUES)))
        def change_final(self, seed, value):
            final = self._choose(FinalMark.select().where(FinalMark.year == self.year), seed)
            if final is not None:
                self._change_final(final, value, seed)

        @rule(
            seed=pick,
            day=st.integers(1, 54).map(lambda n: dt.date(2026, 9, 1) + dt.timedelta(days=n)),
            first=st.sampled_from(FINAL_VALUES),
            then=st.sampled_from(FINAL_VALUES),
        )
        def final_across_a_move(self, seed, day, first, then):
            # A 5А student's English final for the first quarter is given in their group's journal;
            # they move to the other English group during the quarter, whose teacher changes it there.
            student = (self.students[0], self.students[2])[seed % 2]
            english = Journal.select().where(
                Journal.group.in_([g.id for g in self.split]) & (Journal.subject == self.english.id)
            )
            journals = {journal.group_id: journal for journal in english}
            here = next((g for g in self.split if groups.is_member(student.id, g, day - dt.timedelta(days=1))), None)
            there = next((g for g in self.split if here is not None and g.id != here.id), None)
            if here is None or here.id not in journals or there.id not in journals:
                return  # in no English group before that day, or a group's journal went to last year
            old, new = journals[here.id], journals[there.id]
            key = f"term-{self.term.id}"
            self._save_final(old, finals.final_sheet(deputy, old).column(key), {student.id: first}, seed)
            try:
                groups.place_students(None, self.split, {student.id: there.id}, day)
            except DomainError:
                return  # not in 5А on that day
            self._save_final(new, finals.final_sheet(deputy, new).column(key), {student.id: then}, seed)
            final = FinalMark.get(
                (FinalMark.student == student.id)
                & (FinalMark.subject == self.english.id)
                & (FinalMark.term == self.term.id)
            )
            assert final.value == then
            assert then == first or final.journal_id == new.id, "a final names the journal it was last changed in"

        @rule(seed=pick, value=st.one_of(st.just(""), st.sampled_from(FINAL_VALUES)))
        def close_term(self, seed, value):
            # The deputy closes a quarter: its finals lock (the second's locks the year's, the exam's
            # and the итоговая too). Then one of them is corrected: refused to the journal's teacher,
            # changed (or cleared) by the deputy with a reason.
            term = self._choose(Term.select().where((Term.year == self.year) & (Term.closed == False)), seed)  # noqa: E712
            if term is None:
                return
            school_service.close_term(deputy, term.id, today=app_clock(app).local(self.clock).date(), confirmed=True)
            locked = FinalMark.kind == "term"
            if term.id == self.terms[-1].id:
                locked |= FinalMark.kind.in_(["year", "exam", "final"])
            final = self._choose(
                FinalMark.select().where(
                    (FinalMark.year == self.year) & locked & ((FinalMark.term == term.id) | FinalMark.term.is_null())
                ),
                seed,
            )
            if final is not None:
                self._change_final(final, value, seed)

        @rule(seed=pick)
        def reopen_term(self, seed):
            # The deputy reopens a closed quarter for corrections: its finals are open again.
            term = self._choose(Term.select().where((Term.year == self.year) & (Term.closed == True)), seed)  # noqa: E712
            if term is not None:
                school_service.reopen_term(deputy, term.id, reason="Исправление итоговых отметок")

        # --- groups and their members -----------------------------------------------------------

        @rule(seed=pick, day=autumn_day)
        def move_in_split(self, seed, day):
            # A 5А student changes English group (or leaves the split) from a day on; the history stays.
            student = (self.students[0], self.students[2])[seed % 2]
            target = (*self.split, None)[seed % 3]
            try:
                groups.place_students(None, self.split, {student.id: target.id if target else None}, day)
            except DomainError:
                return  # not in 5А on that day

        @rule(seed=pick, day=autumn_day)
        def choir_membership(self, seed, day):
            student = self.students[seed % 4]
            current = (
                GroupMembership.select()
                .where((GroupMembership.group == self.choir.id) & (GroupMembership.student == student.id))
                .order_by(GroupMembership.start_date.desc())
                .first()
            )
            try:
                if current is not None and current.end_date is None and current.start_date < day:
                    groups.update_membership(None, current, end_date=day)
                elif current is not None and seed % 3 == 0:
                    groups.delete_membership(None, current)
                else:
                    groups.create_membership(None, group=self.choir.id, student=student.id, start_date=day)
            except DomainError:
                return  # overlapping, or not enrolled on those days

        @rule(seed=pick, day=autumn_day)
        def change_enrollment(self, seed, day):
            # A student leaves their class (sometimes for the other one), or the last leaving is undone.
            student = self.students[seed % 4]
            enrollments = self._year_enrollments(student)
            if not enrollments:
                return
            last = enrollments[-1]
            if last.end_date is None:
                if day < last.start_date:
                    return
                last.end_date = day
                last.save()
                if seed % 2:
                    other = next(c for c in self.classes if c.id != last.class_group_id)
                    Enrollment.create(student=student, class_group=other, start_date=day + dt.timedelta(days=1))
            elif len(enrollments) > 1 and seed % 3 == 0:
                last.delete_instance()
            else:
                last.end_date = None
                last.save()

        @rule(seed=pick)
        def rename_group(self, seed):
            group = StudyGroup.get_by_id((*self.split, self.choir)[seed % 3].id)
            name = f"{group.name.split(' #')[0]} #{seed % 100}"
            groups.update_group(None, group, name=name)

        @rule(seed=pick)
        def change_class_teacher(self, seed):
            group = ClassGroup.get_by_id(self.classes[seed % 2].id)
            group.class_teacher = None if seed % 3 == 0 else staff[seed % len(staff)]
            group.save()

        @rule(seed=pick, status=st.sampled_from(["granted", "rejected", "entered"]))
        def application(self, seed, status):
            found = self._choose(DiaryApplication.select(), seed)
            if found is None or seed % 4 == 0:
                student, guardian = self.students[seed % 4], self.guardians[seed % 2]
                DiaryApplication.create(
                    received_by=staff[0],
                    student=student,
                    guardian=guardian,
                    student_last_name=student.last_name,
                    student_first_name=student.first_name,
                    guardian_last_name=guardian.last_name,
                    guardian_first_name=guardian.first_name,
                    relation="mother",
                    status=status,
                    submitted_on=dt.date(2026, 9, 14),
                )
            elif seed % 5 == 0:
                found.delete_instance()
            else:
                found.status = status
                found.save()

        @rule(seed=pick, value=st.sampled_from(MARK_VALUES))
        def edit_last_year(self, seed, value):
            lesson = Lesson.get(Lesson.journal == self.old_journal)
            mark = Mark.get_or_none(Mark.lesson == lesson)
            if mark is None:
                Mark.create(lesson=lesson, student=self.students[seed % 4], value=value, work_type=self.work_types[0])
            else:
                mark.value = value
                mark.save()
            final = FinalMark.get_by_id(self.old_final.id)
            final.value, final.change_reason = value, "appeal" if seed % 2 else None
            final.save()

        # --- reference data and identity --------------------------------------------------------

        @rule(seed=pick)
        def rename_work_type(self, seed):
            work_type = WorkType.get_by_id(self.work_types[seed % 2].id)
            work_type.name = f"Работа {seed}"
            work_type.save()

        @rule(seed=pick)
        def rename_subject(self, seed):
            subject = Subject.get_by_id(self.subjects[seed % 3].id)
            subject.name, subject.short_name = f"Предмет {seed}", (f"П{seed % 100}" if seed % 2 else None)
            subject.save()

        @rule(seed=pick)
        def rename_class(self, seed):
            group = ClassGroup.get_by_id(self.classes[seed % 2].id)
            letters = [c.letter for c in ClassGroup.select().where(ClassGroup.year == self.year)]
            letter = "АБВГДЕЖЗ"[seed % 8]
            if letter not in letters:
                old_name = str(group)
                group.letter = letter
                group.save()
                groups.rename_class_groups(None, group, old_name)

        @rule(seed=pick, name=st.sampled_from(["Иванова", "Петров", "Сидорова", "Кузнецов"]))
        def rename_staff(self, seed, name):
            person = Staff.get_by_id(staff[seed % len(staff)].id)
            person.last_name, person.middle_name = name, (None if seed % 2 else "Ильич")
            person.save()

        @rule(code=st.sampled_from([SCHOOL_CODE, "spb-0043", "spb-0044"]))
        def change_school_code(self, code):
            set_school("Школа", code=code)

        # --- exports and faults ----------------------------------------------------------------

        @rule(hours=st.integers(1, 36), twice=st.booleans())
        def scheduled_tick(self, hours, twice):
            self._tick(hours, twice)

        @rule(days=st.integers(1, 3))
        def machine_off(self, days):
            # Nobody ticks: the due exports wait for the next tick (one daily catches the days up).
            self.clock += dt.timedelta(days=days)

        @rule(kind=st.sampled_from(["daily", "full"]))
        def manual_export(self, kind):
            before = self._newest_id()
            try:
                exports.request_export(kind, None, settings=app_settings(app))
            except exports.ExportError:
                return
            except Exception as exc:  # a run of the same kind is waiting: refused, nothing added
                assert "уже ждёт" in str(exc)
                return
            work()
            self._after_export(before)

        @rule()
        def redis_loses_its_jobs(self):
            before = self._newest_id()
            try:
                exports.request_export("daily", None, settings=app_settings(app))
            except Exception:
                return
            redis_conn.flushdb()
            work()
            assert ExportRun.pending().exists(), "the job is gone, the run waits"
            planner.tick(self.clock, settings=app_settings(app))
            work()
            self._after_export(before)

        @precondition(lambda self: self.fault_left == 0)
        @rule(mode=st.sampled_from(FAULTS), exports_affected=st.integers(1, 3), files=st.booleans())
        def portal_fault(self, mode, exports_affected, files):
            # The fault hits the packages' POSTs, or the contents' HEADs and PUTs.
            self.receiver.set_fault(mode, files=files)
            self.fault_left = exports_affected

    return ExportFidelity


def test_the_portal_ends_up_holding_the_journal(app, redis_conn, work, make_staff):
    set_school("Школа")
    staff = [make_staff(f"teacher{n}", roles=["teacher"], last_name=f"Учитель{n}") for n in range(3)]
    deputy = make_staff("deputy", roles=["deputy"], last_name="Завучева")
    machine = make_machine(app, redis_conn, work, staff, deputy)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
            ],
            database=None,
        ),
    )
