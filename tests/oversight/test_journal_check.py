"""The deputy's journal check (R4.1) and its remarks (R4.2): open, dismiss, remark, publish, fix, accept, return."""

import datetime as dt

import pytest
import time_machine

from app.models import AuditEntry, Lesson
from app.models.oversight import FindingDismissal, JournalCheck, PaperComparison, Remark, RemarkEvent
from app.services import journal_check
from app.services.errors import AccessDenied, DomainError, NotFound
from tests.oversight.conftest import CLOCK, d

# 10:00 in Moscow on Tuesday 1 December 2026: the fixture's "today".
NOW = dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def at_noon():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def check(month, at_noon):
    return journal_check.open_check(month.deputy, month="2026-11", clock=CLOCK)


def _keys(review):
    return {f.key for t in review.teachers for j in t.journals for f in j.findings}


def test_the_deputy_opens_a_months_check_once(month, check):
    assert (check.month, check.scope_kind, check.scope_value) == (d(1), "school", None)
    assert journal_check.open_check(month.deputy, month="2026-11", clock=CLOCK).id == check.id
    by_class = journal_check.open_check(
        month.deputy, month=d(1), scope_kind="class", scope_value=month.c5a.id, clock=CLOCK
    )
    assert by_class.id != check.id and JournalCheck.select().count() == 2
    assert journal_check.check_title(by_class) == "Проверка журнала за ноябрь 2026: класс 5А"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"month": "2027-01"}, "который уже начался"),
        ({"month": "2025-11"}, "который уже начался"),
        ({"month": "ноябрь"}, "Выберите месяц"),
        ({"month": "2026-11", "scope_kind": "city"}, "Выберите, что проверяется"),
        ({"month": "2026-11", "scope_kind": "grade", "scope_value": "12"}, "Параллель — число от 1 до 11."),
        ({"month": "2026-11", "scope_kind": "class", "scope_value": "999"}, "Выберите класс"),
        ({"month": "2026-11", "scope_kind": "teacher", "scope_value": "x"}, "Выберите учителя"),
    ],
)
def test_a_bad_check_is_refused_and_nothing_written(month, at_noon, fields, message):
    with pytest.raises(DomainError) as refused:
        journal_check.open_check(month.deputy, clock=CLOCK, **fields)
    assert message in refused.value.message
    assert JournalCheck.select().count() == 0


def test_only_the_deputy_checks(month, at_noon):
    for person in (month.math_teacher, month.english1):
        with pytest.raises(AccessDenied):
            journal_check.open_check(person, month="2026-11", clock=CLOCK)


def test_the_review_groups_findings_by_teacher_and_journal(month, check):
    review = journal_check.review(month.deputy, check, clock=CLOCK)
    names = [t.name for t in review.teachers]
    assert names == sorted(names) and "Заменина О.П." in names
    substitute = next(t for t in review.teachers if t.teacher_id == month.substitute.id)
    assert [f.code for j in substitute.journals for f in j.findings] == ["not_held"]
    math = next(t for t in review.teachers if t.teacher_id == month.math_teacher.id)
    assert {j.journal.id for j in math.journals} == {month.math_journal.id}
    assert review.findings == 14 and review.dismissed == 0


def test_a_dismissed_finding_is_not_shown_again_in_any_check(month, check):
    review = journal_check.review(month.deputy, check, clock=CLOCK)
    key = next(k for k in _keys(review) if k.startswith("no_homework"))
    with pytest.raises(DomainError) as refused:
        journal_check.dismiss(month.deputy, check.id, key, "  ", clock=CLOCK)
    assert refused.value.field == "reason"
    journal_check.dismiss(month.deputy, check.id, key, "контрольная работа: задание не задаётся", clock=CLOCK)
    again = journal_check.review(month.deputy, check, clock=CLOCK)
    assert key not in _keys(again) and again.dismissed == 1
    by_class = journal_check.open_check(
        month.deputy, month="2026-11", scope_kind="class", scope_value=month.c5a.id, clock=CLOCK
    )
    assert key not in _keys(journal_check.review(month.deputy, by_class, clock=CLOCK))
    assert FindingDismissal.get().reason == "контрольная работа: задание не задаётся"
    with pytest.raises(DomainError):
        journal_check.dismiss(month.deputy, check.id, key, "ещё раз", clock=CLOCK)
    with pytest.raises(NotFound):
        journal_check.dismiss(month.deputy, check.id, "nonsense:1:2:", "x", clock=CLOCK)
    with pytest.raises(AccessDenied):
        journal_check.dismiss(month.math_teacher, check.id, key, "x", clock=CLOCK)


def test_remarks_reach_their_teacher_only_once_published(month, check):
    review = journal_check.review(month.deputy, check, clock=CLOCK)
    key = f"no_topic:{month.math_journal.id}:{month.gaps.no_topic.id}:"
    assert key in _keys(review)
    given = journal_check.remarks_from_findings(month.deputy, check.id, [key], "08.12.2026", clock=CLOCK)
    assert given == 1
    # Giving it twice gives nothing more.
    assert journal_check.remarks_from_findings(month.deputy, check.id, [key], "08.12.2026", clock=CLOCK) == 0
    remark = Remark.get()
    assert remark.assignee_id == month.math_teacher.id and remark.due_date == d(8, 12)
    assert remark.text == "12.11.2026, 2 урок: не указана тема урока" and remark.rule_code == "no_topic"
    assert journal_check.open_remark_count(month.math_teacher) == 0
    with pytest.raises(NotFound):
        journal_check.get_remark(month.math_teacher, remark.id)
    journal_check.publish(month.deputy, check.id, clock=CLOCK)
    assert journal_check.open_remark_count(month.math_teacher) == 1
    assert [r.id for r in journal_check.my_remarks(month.math_teacher)] == [remark.id]
    assert journal_check.open_remark_count(month.english1) == 0
    with pytest.raises(NotFound):
        journal_check.get_remark(month.english1, remark.id)


def test_a_rule_remark_cannot_be_fixed_while_the_rule_still_finds_it(month, check):
    key = f"no_topic:{month.math_journal.id}:{month.gaps.no_topic.id}:"
    journal_check.remarks_from_findings(month.deputy, check.id, [key], "08.12.2026", clock=CLOCK)
    journal_check.publish(month.deputy, check.id, clock=CLOCK)
    remark = Remark.get()
    with pytest.raises(DomainError) as refused:
        journal_check.mark_fixed(month.math_teacher, remark.id, clock=CLOCK)
    assert "всё ещё находит" in refused.value.message
    with pytest.raises(AccessDenied):
        journal_check.mark_fixed(month.deputy, remark.id, clock=CLOCK)
    Lesson.update(topic="Сложение дробей").where(Lesson.id == month.gaps.no_topic.id).execute()
    journal_check.mark_fixed(month.math_teacher, remark.id, "тема внесена", clock=CLOCK)
    assert Remark.get_by_id(remark.id).status == "fixed"
    assert journal_check.remarks_to_review_count(month.deputy) == 1
    # Returned with a comment, fixed again, accepted.
    with pytest.raises(DomainError):
        journal_check.return_remark(month.deputy, remark.id, "", clock=CLOCK)
    journal_check.return_remark(month.deputy, remark.id, "тема не совпадает с КТП", clock=CLOCK)
    assert journal_check.open_remark_count(month.math_teacher) == 1
    journal_check.mark_fixed(month.math_teacher, remark.id, clock=CLOCK)
    journal_check.accept(month.deputy, remark.id, clock=CLOCK)
    with pytest.raises(DomainError):
        journal_check.accept(month.deputy, remark.id, clock=CLOCK)
    steps = [(e.status, e.comment) for e in journal_check.history(Remark.get_by_id(remark.id))]
    assert steps == [
        ("open", None),
        ("fixed", "тема внесена"),
        ("returned", "тема не совпадает с КТП"),
        ("fixed", None),
        ("accepted", None),
    ]
    assert AuditEntry.select().where(AuditEntry.model == "Remark").count() == 5


def test_the_deputys_own_remark_and_the_paper_comparison(month, check):
    remark = journal_check.add_remark(
        month.deputy,
        check.id,
        assignee_id=month.english1.id,
        journal_id=month.english_journals[0].id,
        text="Бумажный журнал: не совпадают отметки за 19.11",
        due_date=d(10, 12),
        clock=CLOCK,
    )
    assert remark.rule_code is None and remark.status == "open"
    journal_check.record_paper(
        month.deputy, check.id, month.english_journals[0].id, done=True, note="расхождение", clock=CLOCK
    )
    journal_check.record_paper(month.deputy, check.id, month.english_journals[0].id, done=False, note=None, clock=CLOCK)
    assert PaperComparison.select().count() == 1 and not PaperComparison.get().done
    review = journal_check.review(month.deputy, check, clock=CLOCK)
    english = next(t for t in review.teachers if t.teacher_id == month.english1.id)
    assert english.journals[0].remarks[0].id == remark.id and english.journals[0].paper is not None
    # A remark without a rule is fixed when its assignee says so.
    journal_check.publish(month.deputy, check.id, clock=CLOCK)
    journal_check.mark_fixed(month.english1, remark.id, clock=CLOCK)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"text": "   "}, "text"),
        ({"text": "я" * 1001}, "text"),
        ({"assignee_id": "abc"}, "assignee"),
        ({"due_date": "30.11.2026"}, "due_date"),
        ({"due_date": "завтра"}, "due_date"),
        ({"journal_id": "999999"}, "journal"),
    ],
)
def test_a_bad_remark_is_refused_and_nothing_written(month, check, fields, field):
    values = {
        "assignee_id": month.english1.id,
        "journal_id": month.english_journals[0].id,
        "text": "Проверьте отметки",
        "due_date": "10.12.2026",
        **fields,
    }
    with pytest.raises(DomainError) as refused:
        journal_check.add_remark(month.deputy, check.id, clock=CLOCK, **values)
    assert refused.value.field == field
    assert Remark.select().count() == 0 and RemarkEvent.select().count() == 0


def test_overdue_remarks_are_listed_for_the_deputy(month, check, at_noon):
    journal_check.add_remark(
        month.deputy,
        check.id,
        assignee_id=month.english1.id,
        journal_id=None,
        text="Заполните журнал",
        due_date=d(3, 12),
        clock=CLOCK,
    )
    journal_check.publish(month.deputy, check.id, clock=CLOCK)
    assert list(journal_check.overdue_remarks(d(3, 12))) == []
    (late,) = journal_check.overdue_remarks(d(4, 12))
    assert late.assignee.id == month.english1.id
    with pytest.raises(DomainError):
        journal_check.publish(
            month.deputy, journal_check.open_check(month.deputy, month="2026-10", clock=CLOCK).id, clock=CLOCK
        )
