"""The transfer to a new school year: promotion, repeaters, leavers, graduates, groups, load; idempotent."""

import datetime as dt

from app.clock import app_clock
from app.models import (
    AuditEntry,
    ClassGroup,
    Enrollment,
    GroupMembership,
    Holiday,
    Journal,
    SchoolYear,
    StudyGroup,
    TeachingAssignment,
    Term,
    TimetableSlot,
    YearTransition,
)
from app.services import year_transition
from tests.year.conftest import new_class, roll


def test_the_proposal_is_this_years_structure_a_year_later(school):
    plan = year_transition.propose()
    assert (plan.name, plan.start_date, plan.end_date) == ("2027/2028", dt.date(2027, 9, 1), dt.date(2028, 5, 31))
    assert [(t.kind, t.number, t.start_date) for t in plan.terms][:2] == [
        ("quarter", 1, dt.date(2027, 9, 1)),
        ("quarter", 2, dt.date(2027, 11, 5)),
    ]
    assert [(h.name, h.start_date) for h in plan.holidays] == [("Осенние каникулы", dt.date(2027, 10, 26))]


def test_classes_move_up_graduates_leave_repeaters_stay_and_first_grades_come_empty(school, transfer):
    outcome = transfer(students={school.rep.id: "repeat", school.out.id: "leave"})
    assert outcome.changed
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    assert new.is_current and not SchoolYear.get_by_id(school.year.id).is_current
    names = {str(c) for c in ClassGroup.select().where(ClassGroup.year == new.id)}
    # 11А graduates, 1А and 1Б move up and come again empty, Репин needs a 5А of his own.
    assert names == {"1А", "1Б", "2А", "2Б", "5А", "6А", "6Б", "10А"}
    assert roll("6А") == {"Смирнов", "Соколова"}
    assert roll("5А") == {"Репин"}
    assert roll("10А") == {"Девятов"}
    assert roll("1А") == roll("1Б") == set()
    assert roll("2А") == {"Азбукин"}
    # Graduates and leavers: their enrollment ends on the old year's last day, nothing new.
    for student in (school.g1, school.g2, school.out):
        rows = list(Enrollment.select().where(Enrollment.student == student.id))
        assert [(r.class_group.year_id, r.end_date) for r in rows] == [(school.year.id, dt.date(2027, 5, 31))]
    # Who left in January is not carried, and their old enrollment is as it was.
    assert [e.end_date for e in Enrollment.select().where(Enrollment.student == school.left.id)] == [
        dt.date(2027, 1, 15)
    ]
    # Class teachers stay with their class; 11А's is free.
    assert new_class("6А").class_teacher_id == school.lead_5a.id
    assert (
        not ClassGroup.select()
        .where((ClassGroup.year == new.id) & (ClassGroup.class_teacher == school.lead_11a.id))
        .exists()
    )
    # Periods and holidays of the new year; the old year's open quarter is closed with it.
    assert Term.select().where(Term.year == new.id).count() == 4
    assert Holiday.select().where(Holiday.year == new.id).count() == 1
    assert all(t.closed for t in Term.select().where(Term.year == school.year.id))
    transition = YearTransition.get()
    assert transition.counts["graduates"] == 2 and transition.counts["repeating"] == 1
    assert transition.counts["leaving"] == 1 and transition.counts["left_during_year"] == 1
    assert AuditEntry.select().where(AuditEntry.model == "YearTransition").count() == 1
    # The backup taken first is recorded with it, and its file is there.
    from pathlib import Path

    from app.models import Backup

    backup = Backup.get(Backup.reason == "year_transition")
    assert backup.status == "done" and transition.backup == backup.path and Path(backup.path).exists()


def test_groups_load_and_timetable_are_carried_with_their_members(school, transfer):
    transfer(students={school.rep.id: "repeat"})
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    subgroups = {
        g.name: g for g in StudyGroup.select().where((StudyGroup.year == new.id) & (StudyGroup.kind == "subgroup"))
    }
    assert set(subgroups) == {"6А, англ., гр. 1", "6А, англ., гр. 2"}
    members = lambda g: {m.student.last_name for m in GroupMembership.select().where(GroupMembership.group == g.id)}  # noqa: E731
    # Шапкин left in January, Репин repeats the 5th grade: neither follows 6А's groups.
    assert members(subgroups["6А, англ., гр. 1"]) == {"Смирнов"}
    assert members(subgroups["6А, англ., гр. 2"]) == {"Соколова"}
    choir = StudyGroup.get((StudyGroup.year == new.id) & (StudyGroup.name == "Хор школы"))
    assert members(choir) == {"Смирнов"}
    journals = {str(j) for j in Journal.select().where(Journal.year == new.id)}
    assert journals == {"6А · Математика", "6А, англ., гр. 1 · Английский язык", "Хор школы · Хор"}
    maths = Journal.get(
        (Journal.year == new.id)
        & (Journal.group == new_class("6А").study_groups.where(StudyGroup.kind == "class").get().id)
    )
    assert [a.teacher_id for a in TeachingAssignment.select().where(TeachingAssignment.journal == maths.id)] == [
        school.maths_teacher.id
    ]
    slots = list(TimetableSlot.select().join(Journal).where(Journal.year == new.id))
    assert sorted((s.weekday, s.valid_from, s.valid_to) for s in slots) == [
        (1, dt.date(2027, 9, 1), dt.date(2028, 5, 31)),
        (2, dt.date(2027, 9, 1), dt.date(2028, 5, 31)),
    ]
    # The old year's groups, journals and slots are untouched.
    assert Journal.select().where(Journal.year == school.year.id).count() == 3
    assert TimetableSlot.get(TimetableSlot.journal == school.maths_5a.id).valid_to == dt.date(2027, 5, 31)


def test_groups_re_split_empty_and_load_cleared_by_choice(school, transfer):
    transfer(groups="resplit", load=False, class_teachers=False, timetable=False)
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    subgroups = list(StudyGroup.select().where((StudyGroup.year == new.id) & (StudyGroup.kind == "subgroup")))
    assert len(subgroups) == 2
    assert not GroupMembership.select().where(GroupMembership.group.in_([g.id for g in subgroups])).exists()
    assert not StudyGroup.select().where((StudyGroup.year == new.id) & (StudyGroup.kind == "cross")).exists()
    assert Journal.select().where(Journal.year == new.id).count() == 0
    assert new_class("6А").class_teacher_id is None


def test_groups_not_carried(school, transfer):
    transfer(groups="none")
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    assert set(StudyGroup.select(StudyGroup.kind).where(StudyGroup.year == new.id).tuples()) == {("class",)}
    assert {str(j) for j in Journal.select().where(Journal.year == new.id)} == {"6А · Математика"}


def test_a_class_may_change_its_letter(school, transfer):
    transfer(letters={school.classes["5Б"].id: "В"})
    assert roll("6В") == {"Бэшкина"}
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    assert (
        not ClassGroup.select()
        .where((ClassGroup.year == new.id) & (ClassGroup.grade == 6) & (ClassGroup.letter == "Б"))
        .exists()
    )


def _table_counts():
    from app.models import MODELS

    return {model.__name__: model.select().count() for model in MODELS}


def test_a_second_run_changes_nothing_and_says_so(school, transfer, app):
    transfer(students={school.rep.id: "repeat"})
    before = _table_counts()
    again = transfer(students={school.rep.id: "repeat"})
    assert not again.changed
    assert "уже выполнен" in again.message
    assert _table_counts() == before
    # The preview says so too.
    seen = year_transition.preview(school.admin, year_transition.propose(name="2027/2028"), now=app_clock(app).now())
    assert seen.done is not None
    assert year_transition.preview_lines(seen) == ["Перевод в учебный год 2027/2028 уже выполнен: ничего не изменено."]


def test_the_preview_lists_every_class_and_writes_nothing(school, app):
    before = _table_counts()
    plan = year_transition.propose(name="2027/2028")
    choices = year_transition.Choices(students={school.rep.id: "repeat", school.out.id: "leave"})
    seen = year_transition.preview(school.admin, plan, choices, now=app_clock(app).now())
    assert _table_counts() == before
    moves = {c.name: c for c in seen.classes}
    assert (moves["5А"].new_name, moves["11А"].action, moves["9А"].count("leave")) == ("6А", "graduate", 1)
    assert moves["5А"].left == ["Шапкин Глеб Иванович"]
    assert [s.target for s in moves["5А"].students if s.choice == "repeat"] == ["5А"]
    assert seen.counts["promoted"] == 6 and seen.counts["graduates"] == 2
    assert seen.errors == []
    # The 4th quarter is open and 5Б, 9А… have no year marks: warnings the administrator confirms.
    assert any("4 четверть" in w for w in seen.warnings)
    assert any("Нет годовых отметок" in w and "5Б — 1" in w for w in seen.warnings)
    text = "\n".join(year_transition.preview_lines(seen))
    assert (
        "5А → 6А" in text
        and "11А: выпуск" in text
        and "Репин Илья Иванович: остаётся на повторное обучение → 5А" in text
    )


def test_the_preview_reads_a_fixed_number_of_queries_whatever_the_size_of_the_school(app, school):
    from app.models import ClassGroup, Enrollment, Student
    from app.services import groups
    from tests.journal.conftest import QueryCounter

    def count():
        plan = year_transition.propose(name="2027/2028")
        with QueryCounter() as counter:
            year_transition.preview(school.admin, plan, year_transition.Choices(), now=app_clock(app).now())
        return counter.count

    count()  # the administrator's permissions are read once and kept on the object
    small = count()
    for letter in "ВГД":
        klass = ClassGroup.create(year=school.year, grade=7, letter=letter, class_teacher=school.maths_teacher)
        groups.whole_class_group(klass)
        groups.class_journal(klass, school.maths)
        for n in range(5):
            student = Student.create(last_name=f"Новиков{letter}{n}", first_name="Иван")
            Enrollment.create(student=student, class_group=klass, start_date=school.year.start_date)
    assert count() == small
