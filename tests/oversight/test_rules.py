"""The completeness rules find exactly the gaps a month holds: each rule with its edge cases, any scope."""

import datetime as dt

import pytest

from app.models import Absence, FinalMark, Lesson, SchoolSettings, StudyGroup
from app.services import completeness
from app.services.completeness import Scope
from tests.journal.conftest import QueryCounter
from tests.oversight.conftest import CLOCK, NOVEMBER, TODAY, d, moscow


def run(month, kind="school", value=None, *, start=NOVEMBER[0], end=NOVEMBER[1], today=TODAY, codes=None):
    scope = Scope(month.year.id, kind, value)
    return completeness.find(scope, start, end, today=today, clock=CLOCK, settings=SchoolSettings.load(), codes=codes)


def found(month, code, **kwargs):
    return [f for f in run(month, codes={code}, **kwargs) if f.code == code]


def lessons(findings):
    return sorted(f.lesson_id for f in findings)


def test_every_rule_is_registered_once_with_a_russian_title():
    assert list(completeness.RULES) == [
        "not_held",
        "no_topic",
        "no_homework",
        "absence_no_reason",
        "marks_not_held",
        "filled_late",
        "few_marks",
        "missing_finals",
        "final_off",
    ]
    for registered in completeness.RULES.values():
        assert registered.title and registered.title[0].isupper() and registered.title.isascii() is False


def test_the_month_yields_exactly_the_planted_findings(month):
    g = month.gaps
    findings = run(month)
    by_code = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    assert lessons(by_code["not_held"]) == sorted([g.not_held.id, g.not_held_last.id, g.substitution.id])
    assert lessons(by_code["no_topic"]) == sorted([g.no_topic.id, g.blank_topic.id])
    assert lessons(by_code["no_homework"]) == [g.no_homework.id]
    assert lessons(by_code["absence_no_reason"]) == [g.absent_late.id]
    assert lessons(by_code["marks_not_held"]) == sorted([g.not_held.id, g.not_held_last.id])
    assert lessons(by_code["filled_late"]) == [g.late.id]
    assert {(f.journal_id, f.student_ids) for f in by_code["few_marks"]} == {
        (month.math_journal.id, (month.students[2].id,)),
        (month.english_journals[0].id, (month.students[0].id, month.students[1].id)),
    }
    assert [(f.journal_id, f.term_id, f.student_ids) for f in by_code["missing_finals"]] == [
        (month.english_journals[1].id, month.q1.id, (month.students[2].id,))
    ]
    assert [(f.journal_id, f.student_ids) for f in by_code["final_off"]] == [
        (month.math_journal.id, (month.students[0].id,))
    ]
    assert set(by_code) == set(completeness.RULES)
    assert len({f.key for f in findings}) == len(findings), "two findings share a key"


def test_a_lesson_finding_says_the_day_and_goes_to_the_teacher_who_gave_it(month):
    (sub,) = [f for f in found(month, "not_held") if f.lesson_id == month.gaps.substitution.id]
    assert sub.teacher_id == month.substitute.id
    assert sub.text == "17.11.2026, 2 урок: урок не отмечен проведённым"
    assert sub.day == d(17) and sub.title == "Урок не отмечен проведённым"
    others = [f for f in found(month, "not_held") if f.lesson_id != month.gaps.substitution.id]
    assert {f.teacher_id for f in others} == {month.math_teacher.id}


def test_not_held_waits_for_the_day_to_end_and_skips_holidays_and_cancelled_lessons(month):
    g = month.gaps
    # On the 30th itself its lesson is not yet late.
    assert g.not_held_last.id not in lessons(found(month, "not_held", today=d(30)))
    ids = lessons(found(month, "not_held", start=dt.date(2026, 11, 1)))
    assert g.on_holiday.id not in ids and g.cancelled.id not in ids
    # Cancelling the lesson with a reason clears its finding.
    Lesson.update(cancelled=True, cancel_reason="карантин").where(Lesson.id == g.not_held_last.id).execute()
    Absence.delete().where(Absence.lesson == g.not_held_last.id).execute()
    assert g.not_held_last.id not in lessons(found(month, "not_held"))


def test_marks_not_held_counts_what_the_lesson_holds(month):
    texts = {f.lesson_id: f.text for f in found(month, "marks_not_held")}
    assert texts[month.gaps.not_held.id].endswith("урок не отмечен проведённым, а в нём 1 отметка")
    assert texts[month.gaps.not_held_last.id].endswith("а в нём 1 пропуск")


def test_an_absence_without_reason_is_a_finding_only_after_the_days_allowed(month):
    (finding,) = found(month, "absence_no_reason")
    assert finding.student_ids == (month.students[1].id,)
    assert "Борисова В." in finding.text
    settings = SchoolSettings.load()
    settings.absence_reason_days = 1
    settings.save()
    assert lessons(found(month, "absence_no_reason")) == sorted(
        [month.gaps.absent_late.id, month.gaps.not_held_last.id]
    )
    Absence.update(reason="illness").execute()
    assert found(month, "absence_no_reason") == []


def test_filled_late_counts_working_days_in_the_schools_time(month):
    (late,) = found(month, "filled_late")
    assert late.lesson_id == month.gaps.late.id
    assert "18.11.2026 09:00" in late.text
    # Marked held at 00:30 Moscow after the next working day (21:30 UTC, still that day in UTC): late.
    tuesday = month.november[d(24)]
    Lesson.update(held_at=moscow(d(26), 0, 30)).where(Lesson.id == tuesday.id).execute()
    assert tuesday.id in lessons(found(month, "filled_late"))
    # A lesson on the Friday before the holidays may be filled on the first working day after them.
    friday = month.lesson(month.math_journal, d(23, 10), month.math_teacher, number=4, held_at=moscow(d(5), 18))
    assert friday.id not in lessons(found(month, "filled_late", start=d(1, 10)))
    # Lessons marked held before the instant was recorded are not judged.
    Lesson.update(held_at=None).where(Lesson.id == month.gaps.late.id).execute()
    assert month.gaps.late.id not in lessons(found(month, "filled_late"))


def test_no_homework_follows_the_schools_expectations(month):
    from app.models import HomeworkExpectation

    assert lessons(found(month, "no_homework")) == [month.gaps.no_homework.id]
    HomeworkExpectation.update(grades="6–9").execute()
    assert found(month, "no_homework") == []
    HomeworkExpectation.update(grades="5").execute()
    HomeworkExpectation.create(subject=month.english, grades="5–11")
    assert lessons(found(month, "no_homework")) == sorted([month.gaps.no_homework.id, month.gaps.english.id])


def test_few_marks_is_pro_rata_and_counts_only_days_in_the_group(month):
    math = {f.journal_id: f for f in found(month, "few_marks")}[month.math_journal.id]
    assert math.student_ids == (month.students[2].id,)
    assert "0 из 1" in math.text and "2 четверть" in math.text
    # The newcomer joined on 20.11: six lessons held since, too few to expect a mark (3 × 6 / 37 < 1).
    assert month.newcomer.id not in math.student_ids
    # One mark clears it.
    month.mark(month.november[d(27)], month.students[2])
    assert month.math_journal.id not in {f.journal_id for f in found(month, "few_marks")}
    settings = SchoolSettings.load()
    settings.min_marks = 0
    settings.save()
    assert found(month, "few_marks") == []


def test_missing_finals_asks_only_for_students_in_the_group_at_the_periods_end(month):
    (finding,) = found(month, "missing_finals")
    assert finding.text.startswith("1 четверть закрыта: нет итоговой у 1 ученика — Григорьев Д.")
    # A student who moved from group 2 to group 1 on 20.10 owes group 1 the final, not group 2.
    from app.models import GroupMembership

    moved = month.students[2]
    GroupMembership.update(end_date=d(19, 10)).where(
        (GroupMembership.student == moved.id) & (GroupMembership.group == month.english_journals[1].group_id)
    ).execute()
    GroupMembership.create(group=month.english_journals[0].group_id, student=moved, start_date=d(20, 10))
    (finding,) = found(month, "missing_finals")
    assert finding.journal_id == month.english_journals[0].id
    FinalMark.create(
        year=month.year,
        student=moved,
        subject=month.english,
        kind="term",
        term=month.q1,
        journal=month.english_journals[0],
        value="н/а",
    )
    assert found(month, "missing_finals") == []
    # An open period owes nothing yet.
    assert month.q2.id not in {f.term_id for f in found(month, "missing_finals", end=d(28, 12), today=d(29, 12))}


def test_final_off_needs_a_comment_only_beyond_one_point(month):
    (finding,) = found(month, "final_off")
    assert "Алексеев А." in finding.text and "«2» при рекомендуемой «4»" in finding.text
    FinalMark.update(comment="пропустил контрольные").where(FinalMark.student == month.students[0].id).execute()
    assert found(month, "final_off") == []


def test_scopes_cover_their_journals_and_lessons(month):
    everything = run(month)
    assert run(month, "class", month.c5a.id) == everything
    assert run(month, "grade", 5) == everything
    assert run(month, "grade", 6) == []
    assert run(month, "class", month.c6b.id) == []
    substitute = run(month, "teacher", month.substitute.id)
    assert [(f.code, f.lesson_id) for f in substitute] == [("not_held", month.gaps.substitution.id)]
    english2 = run(month, "teacher", month.english2.id)
    assert {f.code for f in english2} == {"missing_finals"}
    assert {f.teacher_id for f in english2} == {month.english2.id}
    teacher = run(month, "teacher", month.math_teacher.id)
    assert month.gaps.substitution.id not in {f.lesson_id for f in teacher}
    assert {f.journal_id for f in teacher} == {month.math_journal.id}


def test_extracurricular_journals_are_checked_for_topics_not_marks(month):
    chess = month.lesson(month.chess_journal, d(19), month.math_teacher, number=7, topic=None)
    findings = run(month)
    assert chess.id in {f.lesson_id for f in findings if f.code == "no_topic"}
    assert month.chess_journal.id not in {f.journal_id for f in findings if f.code in ("few_marks", "missing_finals")}


def test_the_rules_cost_the_same_queries_whatever_the_lessons(month):
    with QueryCounter() as small:
        run(month)
    # Twice the classes' lessons and marks: another class with its own gaps.
    group = StudyGroup.get_by_id(month.english_journals[1].group_id)
    for day in (d(24), d(26)):
        month.lesson(month.english_journals[1], day, month.english2, number=4, held=False, topic=None)
    for student in month.students:
        month.mark(month.november[d(26)], student, "3")
    for day in (d(9), d(16), d(23)):
        lesson = month.lesson(month.english_journals[0], day, month.english1, number=5, topic=None, homework=None)
        Absence.create(lesson=lesson, student=month.students[0], reason="unknown")
    assert group.id
    with QueryCounter() as large:
        bigger = run(month)
    assert len(bigger) > 0
    assert large.count == small.count, (small.count, large.count)


@pytest.mark.parametrize("kind,value", [("school", 1), ("class", None), ("nowhere", 1)])
def test_a_scope_is_refused_unless_well_formed(kind, value):
    with pytest.raises(ValueError):
        Scope(1, kind, value)


def test_a_replaced_lesson_counts_in_the_journal_of_the_subject_given(month):
    """A chess lesson of 5А given as maths counts in 5А's maths: its mark lifts Григорьев out of few_marks there."""
    given = month.lesson(month.chess_journal, d(26), month.math_teacher, number=7, replacement_subject=month.math)
    month.mark(given, month.students[2])
    assert month.math_journal.id not in {f.journal_id for f in found(month, "few_marks")}


def test_a_moved_lesson_is_judged_on_its_new_day(month):
    """A lesson moved from 10.11 to 03.12 is no longer a past lesson not held; moved into the month, it is."""
    moved = month.gaps.not_held
    Lesson.update(date=d(3, 12), number=6).where(Lesson.id == moved.id).execute()
    assert moved.id not in lessons(found(month, "not_held"))
    # A December lesson moved back to Friday 27.11, marked held on Tuesday 01.12: late, found there.
    december = Lesson.get((Lesson.journal == month.math_journal.id) & (Lesson.date == d(1, 12)))
    Lesson.update(date=d(27), number=5, held=True, topic="Перенесённый урок", held_at=moscow(d(1, 12), 9)).where(
        Lesson.id == december.id
    ).execute()
    assert december.id in lessons(found(month, "filled_late"))
