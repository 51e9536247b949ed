"""The deputy's monthly journal check (R4.1) and the remarks staff fix (R4.2).

A check covers one month of one scope (the school, a grade, a class or a teacher). Opening it
runs the completeness rules over the month (app/services/completeness.py); the deputy sees the
findings by teacher and journal, dismisses what is no problem (with why: a dismissed finding is
not shown again, in any check), turns findings into remarks or writes remarks of their own,
records per journal whether it was compared with the paper journal, and publishes the check.

A published remark reaches its assignee, who marks it fixed (open or returned → fixed); the
deputy accepts it (fixed → accepted) or returns it with a comment (fixed → returned). A remark
that came from a rule cannot be marked fixed while the rule still finds the problem. Every step
is kept in the remark's history and audited.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from peewee import JOIN, fn

from app.db import db
from app.formats import format_date, month_label
from app.ids import parse_id
from app.models import ClassGroup, Journal, Lesson, SchoolYear, Staff, StudyGroup, Subject
from app.models.oversight import (
    CHECK_SCOPES,
    DISMISS_REASON_MAX,
    REMARK_STATUSES,
    REMARK_TEXT_MAX,
    FindingDismissal,
    JournalCheck,
    PaperComparison,
    Remark,
    RemarkEvent,
)
from app.services import access, audit, completeness, school
from app.services.completeness import Finding, Scope
from app.services.errors import AccessDenied, DomainError, NotFound

SCOPE_LABELS = dict(CHECK_SCOPES)
STATUS_LABELS = dict(REMARK_STATUSES)
# A remark's default time to fix it, in days from the day it is written.
DUE_DAYS = 7
# What an assignee still has to do, and what the deputy still has to look at.
OPEN_STATUSES = ("open", "returned")


# --- checks ------------------------------------------------------------------------------------


def _ensure_checker(actor) -> None:
    if not access.can_run_checks(actor):
        raise AccessDenied("Проверять журнал и давать замечания может заместитель директора по УВР.")


def month_start(value) -> dt.date:
    """Read a month such as "2026-11" (or a date) as its first day; refuse anything else."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return dt.date(year, month, 1)
    except ValueError:
        raise DomainError("Выберите месяц проверки из списка.", "month") from None


def month_end(first: dt.date) -> dt.date:
    """The last day of the month that `first` is in."""
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def previous_month(today: dt.date) -> dt.date:
    """The first day of the month before today's (the month a check on the 1st looks at)."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def check_months(year: SchoolYear, today: dt.date) -> list[dt.date]:
    """The months of a school year that can be checked (begun by today), latest first."""
    months = []
    first = year.start_date.replace(day=1)
    while first <= min(year.end_date, today):
        months.append(first)
        first = month_end(first) + dt.timedelta(days=1)
    return list(reversed(months))


def _scope_value(year: SchoolYear, kind: str, raw) -> int | None:
    if kind not in SCOPE_LABELS:
        raise DomainError("Выберите, что проверяется: вся школа, параллель, класс или учитель.", "scope_kind")
    if kind == "school":
        return None
    value = parse_id(raw)
    if kind == "grade":
        if value is None or not school.GRADES[0] <= value <= school.GRADES[1]:
            raise DomainError("Параллель — число от 1 до 11.", "scope_value")
    elif kind == "class":
        if (
            value is None
            or not ClassGroup.select().where((ClassGroup.id == value) & (ClassGroup.year == year.id)).exists()
        ):
            raise DomainError("Выберите класс этого учебного года.", "scope_value")
    elif value is None or not Staff.select().where(Staff.id == value).exists():
        raise DomainError("Выберите учителя из списка.", "scope_value")
    return value


def classes_of(year: SchoolYear | None) -> list[ClassGroup]:
    """The classes a check may cover: the year's, by grade and letter."""
    if year is None:
        return []
    return list(ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter))


def open_check(actor, *, month, scope_kind="school", scope_value=None, clock) -> JournalCheck:
    """Open the check of a month and scope of the current school year, or return the one already opened."""
    _ensure_checker(actor)
    year = SchoolYear.current()
    if year is None:
        raise DomainError("Не задан текущий учебный год: проверять нечего.")
    first = month_start(month)
    if first not in check_months(year, clock.today()):
        raise DomainError("Проверить можно месяц текущего учебного года, который уже начался.", "month")
    value = _scope_value(year, scope_kind, scope_value)
    found = JournalCheck.get_or_none(
        (JournalCheck.year == year.id)
        & (JournalCheck.month == first)
        & (JournalCheck.scope_kind == scope_kind)
        & (JournalCheck.scope_value.is_null() if value is None else JournalCheck.scope_value == value)
    )
    if found is not None:
        return found
    with db.atomic():
        check = JournalCheck.create(
            year=year.id,
            month=first,
            scope_kind=scope_kind,
            scope_value=value,
            opened_by=actor.id,
            opened_at=clock.utcnow(),
        )
        audit.record(actor, "create", check, after=check.snapshot(), object_repr=check_title(check))
    return check


def get_check(check_id) -> JournalCheck:
    check = JournalCheck.get_or_none(JournalCheck.id == parse_id(check_id)) if parse_id(check_id) else None
    if check is None:
        raise NotFound("Такой проверки журнала нет.")
    return check


def ensure_can_view(actor, check) -> None:
    if not access.can_view_checks(actor):
        raise AccessDenied("Проверки журнала видят заместитель директора и руководитель школы.")


def scope_label(check: JournalCheck) -> str:
    """«вся школа», «5-е классы», «5А», «Смирнова А.И.»."""
    if check.scope_kind == "grade":
        return f"{check.scope_value}-е классы"
    if check.scope_kind == "class":
        found = ClassGroup.get_or_none(ClassGroup.id == check.scope_value)
        return f"класс {found}" if found else "класс"
    if check.scope_kind == "teacher":
        found = Staff.get_or_none(Staff.id == check.scope_value)
        return f"учитель {found.short_name}" if found else "учитель"
    return SCOPE_LABELS["school"]


def check_title(check: JournalCheck) -> str:
    return f"Проверка журнала за {month_label(check.month)}: {scope_label(check)}"


def scope_of(check: JournalCheck) -> Scope:
    return Scope(check.year_id, check.scope_kind, check.scope_value)


def _span(check: JournalCheck) -> tuple[dt.date, dt.date]:
    return check.month, month_end(check.month)


def _findings(check: JournalCheck, *, clock, codes=None, journal_ids=None) -> list[Finding]:
    start, end = _span(check)
    return completeness.find(
        scope_of(check), start, end, today=clock.today(), clock=clock, codes=codes, journal_ids=journal_ids
    )


# --- the check's page: findings by teacher and journal ---------------------------------------


@dataclass
class JournalFindings:
    journal: Journal
    findings: list[Finding] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    paper: PaperComparison | None = None


@dataclass
class TeacherFindings:
    teacher_id: int | None
    name: str
    journals: list[JournalFindings] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(j.findings) for j in self.journals)


@dataclass
class CheckReview:
    check: JournalCheck
    teachers: list[TeacherFindings]
    dismissed: int
    remarked: dict[str, Remark]
    remarks: list[Remark]

    @property
    def findings(self) -> int:
        return sum(t.count for t in self.teachers)


def _journal_order(journal: Journal):
    """Journals as the school lists them: by grade, group, subject."""
    return (journal.group.grade or 99, journal.group.name, journal.subject.name)


def journals_of(check: JournalCheck) -> list[Journal]:
    """The journals a check covers, by grade, group and subject (the deputy's own remark names one)."""
    return sorted(completeness.scope_journals(scope_of(check)).values(), key=_journal_order)


def review(actor, check: JournalCheck, *, clock) -> CheckReview:
    """The check's findings not dismissed, by teacher and journal, with the remarks given and the paper comparisons."""
    ensure_can_view(actor, check)
    findings = _findings(check, clock=clock)
    dismissed = {key for (key,) in FindingDismissal.select(FindingDismissal.key).tuples()}
    shown = [f for f in findings if f.key not in dismissed]
    remarks = list(
        Remark.select(Remark, Staff)
        .join(Staff, on=(Staff.id == Remark.assignee))
        .where(Remark.check == check.id)
        .order_by(Remark.id)
    )
    remarked = {r.finding_key: r for r in remarks if r.finding_key}
    papers = {p.journal_id: p for p in PaperComparison.select().where(PaperComparison.check == check.id)}
    journal_ids = {f.journal_id for f in shown} | {r.journal_id for r in remarks if r.journal_id} | set(papers)
    journals = completeness.scope_journals(scope_of(check))
    missing = journal_ids - journals.keys()
    if missing:  # a remark's journal outside the scope (written by hand)
        journals.update({j.id: j for j in Journal.select().where(Journal.id.in_(sorted(missing)))})
    names = completeness.teacher_names(shown)
    names.update({r.assignee_id: r.assignee.short_name for r in remarks})
    by_teacher: dict[int | None, dict[int, JournalFindings]] = defaultdict(dict)
    for finding in shown:
        entry = by_teacher[finding.teacher_id].setdefault(
            finding.journal_id, JournalFindings(journals[finding.journal_id])
        )
        entry.findings.append(finding)
    for remark in remarks:
        if remark.finding_key is None and remark.journal_id:
            entry = by_teacher[remark.assignee_id].setdefault(
                remark.journal_id, JournalFindings(journals[remark.journal_id])
            )
            entry.remarks.append(remark)
    for entries in by_teacher.values():
        for journal_id, entry in entries.items():
            entry.paper = papers.get(journal_id)
    teachers = [
        TeacherFindings(
            teacher_id,
            names.get(teacher_id, "Учитель не назначен"),
            sorted(
                entries.values(),
                key=lambda e: (e.journal.group.grade or 99, e.journal.group.name, e.journal.subject.name),
            ),
        )
        for teacher_id, entries in by_teacher.items()
    ]
    teachers.sort(key=lambda t: (t.teacher_id is None, t.name))
    return CheckReview(check, teachers, len(findings) - len(shown), remarked, remarks)


def _finding(check: JournalCheck, key: str, *, clock) -> Finding:
    """The finding of a check with that key, found again now; refuse one the rules no longer find."""
    code = str(key or "").split(":", 1)[0]
    if code not in completeness.RULES:
        raise NotFound("Такой находки в проверке нет.")
    for finding in _findings(check, clock=clock, codes={code}):
        if finding.key == key:
            return finding
    raise DomainError("Этой находки больше нет: проблему уже исправили. Обновите страницу.")


def dismiss(actor, check_id, key, reason, *, clock) -> FindingDismissal:
    """Judge a finding no problem, with why; it is not shown again in any check."""
    _ensure_checker(actor)
    check = get_check(check_id)
    reason = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if not reason:
        raise DomainError("Напишите, почему это не замечание: причина сохранится вместе со снятой находкой.", "reason")
    if len(reason) > DISMISS_REASON_MAX:
        raise DomainError(f"Причина — не длиннее {DISMISS_REASON_MAX} знаков.", "reason")
    finding = _finding(check, key, clock=clock)
    if FindingDismissal.select().where(FindingDismissal.key == finding.key).exists():
        raise DomainError("Эта находка уже снята.")
    with db.atomic():
        row = FindingDismissal.create(
            key=finding.key,
            code=finding.code,
            journal=finding.journal_id,
            text=f"{finding.title}: {finding.text}"[:500],
            reason=reason,
            check=check.id,
            dismissed_by=actor.id,
            dismissed_at=clock.utcnow(),
        )
        audit.record(actor, "create", row, after=row.snapshot(), object_repr=row.text[:300])
    return row


def record_paper(actor, check_id, journal_id, *, done: bool, note=None, clock) -> PaperComparison:
    """Record whether a journal of the check was compared with the paper journal, and what was noted."""
    _ensure_checker(actor)
    check = get_check(check_id)
    journal_id = parse_id(journal_id)
    if journal_id is None or journal_id not in completeness.scope_journals(scope_of(check)):
        raise NotFound("Такого журнала в этой проверке нет.")
    note = (" ".join(note.split())[:300] or None) if isinstance(note, str) else None
    row = PaperComparison.get_or_none((PaperComparison.check == check.id) & (PaperComparison.journal == journal_id))
    with db.atomic():
        if row is None:
            row = PaperComparison.create(
                check=check.id,
                journal=journal_id,
                done=bool(done),
                note=note,
                recorded_by=actor.id,
                recorded_at=clock.utcnow(),
            )
            audit.record(actor, "create", row, after=row.snapshot(), object_repr=check_title(check))
        else:
            before = row.snapshot()
            row.done, row.note, row.recorded_by, row.recorded_at = bool(done), note, actor.id, clock.utcnow()
            row.save()
            audit.record(actor, "update", row, before=before, after=row.snapshot(), object_repr=check_title(check))
    return row


# --- remarks -----------------------------------------------------------------------------------


def _due(raw, today: dt.date) -> dt.date:
    if isinstance(raw, dt.date):
        due = raw
    else:
        text = str(raw or "").strip()
        try:
            due = dt.datetime.strptime(text, "%d.%m.%Y").date() if "." in text else dt.date.fromisoformat(text)
        except ValueError:
            raise DomainError("Срок — дата в виде ДД.ММ.ГГГГ, например 15.12.2026.", "due_date") from None
    if due < today:
        raise DomainError("Срок исправления не может быть в прошлом.", "due_date")
    if due > today + dt.timedelta(days=366):
        raise DomainError("Срок исправления — не дальше чем через год.", "due_date")
    return due


def default_due(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=DUE_DAYS)


def _write_remark(actor, check: JournalCheck | None, *, at, **fields) -> Remark:
    remark = Remark.create(
        check=check.id if check else None, created_by=actor.id, created_at=at, updated_at=at, **fields
    )
    RemarkEvent.create(remark=remark.id, status="open", actor=actor.id, at=at)
    audit.record(actor, "create", remark, after=remark.snapshot(), object_repr=remark.text[:300])
    return remark


def remarks_from_findings(actor, check_id, keys, due_date, *, clock) -> int:
    """Give a remark for each chosen finding to the teacher it concerns; return how many were given.

    All or nothing: a finding no longer found, or one without a teacher, writes nothing.
    """
    _ensure_checker(actor)
    check = get_check(check_id)
    today = clock.today()
    due = _due(due_date, today)
    wanted = list(dict.fromkeys(str(k) for k in keys or () if k))
    if not wanted:
        raise DomainError("Отметьте находки, по которым дать замечания.", "keys")
    findings = {f.key: f for f in _findings(check, clock=clock)}
    given = {
        key
        for (key,) in Remark.select(Remark.finding_key)
        .where((Remark.check == check.id) & Remark.finding_key.in_(wanted))
        .tuples()
    }
    chosen = []
    for key in wanted:
        finding = findings.get(key)
        if finding is None:
            raise DomainError("Одной из отмеченных находок больше нет: обновите страницу и отметьте заново.", "keys")
        if finding.teacher_id is None:
            raise DomainError(f"{finding.title}: у журнала нет учителя — назначьте его в нагрузке.", "keys")
        if key not in given:
            chosen.append(finding)
    at = clock.utcnow()
    with db.atomic():
        for finding in chosen:
            _write_remark(
                actor,
                check,
                at=at,
                assignee=finding.teacher_id,
                journal=finding.journal_id,
                lesson=finding.lesson_id,
                rule_code=finding.code,
                finding_key=finding.key,
                text=finding.text,
                due_date=due,
            )
    return len(chosen)


def add_remark(actor, check_id, *, assignee_id, journal_id, text, due_date, clock) -> Remark:
    """Write a remark of the deputy's own (the paper journal differs, a topic does not match the plan …)."""
    _ensure_checker(actor)
    check = get_check(check_id)
    text = str(text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise DomainError("Напишите, что нужно исправить.", "text")
    if len(text) > REMARK_TEXT_MAX:
        raise DomainError(f"Замечание — не длиннее {REMARK_TEXT_MAX} знаков.", "text")
    journals = completeness.scope_journals(scope_of(check))
    journal_id = parse_id(journal_id) if journal_id not in (None, "") else None
    if journal_id is not None and journal_id not in journals:
        raise DomainError("Выберите журнал из проверяемых.", "journal")
    assignee = Staff.get_or_none(Staff.id == parse_id(assignee_id)) if parse_id(assignee_id) else None
    if assignee is None or not assignee.active:
        raise DomainError("Выберите, кому замечание: сотрудника с действующей учётной записью.", "assignee")
    due = _due(due_date, clock.today())
    with db.atomic():
        return _write_remark(
            actor, check, at=clock.utcnow(), assignee=assignee.id, journal=journal_id, text=text, due_date=due
        )


def publish(actor, check_id, *, clock) -> JournalCheck:
    """Publish a check: its remarks reach their assignees. Remarks given later reach them at once."""
    _ensure_checker(actor)
    check = get_check(check_id)
    if check.is_published:
        return check
    if not Remark.select().where(Remark.check == check.id).exists():
        raise DomainError("В проверке нет замечаний: дайте их по находкам или напишите свои, затем публикуйте.")
    before = check.snapshot()
    with db.atomic():
        check.published_at, check.published_by = clock.utcnow(), actor.id
        check.save()
        audit.record(actor, "update", check, before=before, after=check.snapshot(), object_repr=check_title(check))
    return check


def get_remark(actor, remark_id) -> Remark:
    """A remark the staff member may see, with its check, journal and lesson; NotFound for any other."""
    remark_id = parse_id(remark_id)
    remark = _with_places(Remark.select()).where(Remark.id == remark_id).first() if remark_id else None
    if remark is None or not access.can_see_remark(actor, remark):
        raise NotFound("Такого замечания нет.")
    return remark


def place_of(remark: Remark) -> str:
    """Where a remark points: «5А · Математика, 12.11.2026, 2 урок» (its places joined by `_with_places`)."""
    parts = []
    if remark.journal_id:
        parts.append(f"{remark.journal.group} · {remark.journal.subject}")
    if remark.lesson_id:
        parts.append(f"{format_date(remark.lesson.date)}, {remark.lesson.number} урок")
    return ", ".join(parts)


def _step(actor, remark: Remark, status: str, comment, *, clock) -> Remark:
    before = remark.snapshot()
    at = clock.utcnow()
    with db.atomic():
        taken = (
            Remark.update(status=status, updated_at=at)
            .where((Remark.id == remark.id) & (Remark.status == remark.status))
            .execute()
        )
        if taken != 1:
            raise DomainError("Замечание только что изменили: обновите страницу.")
        remark.status, remark.updated_at = status, at
        RemarkEvent.create(remark=remark.id, status=status, comment=comment, actor=actor.id, at=at)
        audit.record(actor, "update", remark, before=before, after=remark.snapshot(), object_repr=remark.text[:300])
    return remark


def _comment(raw, *, required: bool) -> str | None:
    text = str(raw or "").strip() if isinstance(raw, str) else ""
    if required and not text:
        raise DomainError("Напишите, что ещё не так: комментарий увидит тот, кому замечание.", "comment")
    if len(text) > REMARK_TEXT_MAX:
        raise DomainError(f"Комментарий — не длиннее {REMARK_TEXT_MAX} знаков.", "comment")
    return text or None


def still_found(remark: Remark, *, clock) -> Finding | None:
    """The rule's finding a remark came from, if the rule still finds it (its journal alone is looked at)."""
    if not remark.rule_code or remark.check_id is None:
        return None
    findings = _findings(remark.check, clock=clock, codes={remark.rule_code}, journal_ids=[remark.journal_id])
    return next((f for f in findings if f.key == remark.finding_key), None)


def mark_fixed(actor, remark_id, comment=None, *, clock) -> Remark:
    """The assignee says a remark is fixed; refused while its rule still finds the problem."""
    remark = get_remark(actor, remark_id)
    if remark.assignee_id != actor.id:
        raise AccessDenied("Отметить исправление может только тот, кому замечание.")
    if remark.status not in OPEN_STATUSES:
        raise DomainError(f"Замечание уже «{STATUS_LABELS[remark.status]}».")
    if still_found(remark, clock=clock) is not None:
        raise DomainError("Проверка всё ещё находит эту проблему: исправьте её в журнале, затем отметьте исправление.")
    return _step(actor, remark, "fixed", _comment(comment, required=False), clock=clock)


def accept(actor, remark_id, *, clock) -> Remark:
    """The deputy accepts a fixed remark."""
    _ensure_checker(actor)
    remark = get_remark(actor, remark_id)
    if remark.status != "fixed":
        raise DomainError("Принять можно только исправленное замечание.")
    return _step(actor, remark, "accepted", None, clock=clock)


def return_remark(actor, remark_id, comment, *, clock) -> Remark:
    """The deputy returns a remark marked fixed, saying what is still wrong."""
    _ensure_checker(actor)
    remark = get_remark(actor, remark_id)
    if remark.status != "fixed":
        raise DomainError("Вернуть можно только замечание, отмеченное исправленным.")
    return _step(actor, remark, "returned", _comment(comment, required=True), clock=clock)


# --- lists ---------------------------------------------------------------------------------------


def _with_places(query, *, with_assignee: bool = False):
    """Join a remark query with its check, journal (group, subject), lesson and, if asked, assignee: one query."""
    if with_assignee:
        query = query.select_extend(Staff).join_from(Remark, Staff, on=(Staff.id == Remark.assignee), attr="assignee")
    return (
        query.select_extend(JournalCheck, Journal, StudyGroup, Subject, Lesson)
        .join_from(Remark, JournalCheck, JOIN.LEFT_OUTER, on=(JournalCheck.id == Remark.check), attr="check")
        .join_from(Remark, Journal, JOIN.LEFT_OUTER, on=(Journal.id == Remark.journal), attr="journal")
        .join_from(Journal, StudyGroup, JOIN.LEFT_OUTER, on=(StudyGroup.id == Journal.group), attr="group")
        .join_from(Journal, Subject, JOIN.LEFT_OUTER, on=(Subject.id == Journal.subject), attr="subject")
        .join_from(Remark, Lesson, JOIN.LEFT_OUTER, on=(Lesson.id == Remark.lesson), attr="lesson")
    )


def _visible_to_assignee():
    return Remark.check.is_null() | JournalCheck.published_at.is_null(False)


def my_remarks(staff):
    """The staff member's published remarks, what is still to do first, then by due date."""
    return (
        _with_places(Remark.select())
        .where((Remark.assignee == staff.id) & _visible_to_assignee())
        .order_by(Remark.status.not_in(OPEN_STATUSES), Remark.due_date, Remark.id)
    )


def open_remark_count(staff) -> int:
    """How many published remarks wait for the staff member: open or returned (the menu's count)."""
    return (
        Remark.select()
        .join(JournalCheck, JOIN.LEFT_OUTER, on=(JournalCheck.id == Remark.check))
        .where((Remark.assignee == staff.id) & Remark.status.in_(OPEN_STATUSES) & _visible_to_assignee())
        .count()
    )


def open_remarks():
    """Published remarks not yet fixed (open or returned), the school's whole, by due date."""
    return (
        _with_places(Remark.select(), with_assignee=True)
        .where(Remark.status.in_(OPEN_STATUSES) & _visible_to_assignee())
        .order_by(Remark.due_date, Remark.id)
    )


def remarks_to_review_count(staff) -> int:
    """For the deputy: remarks marked fixed, waiting to be accepted or returned."""
    if not access.can_run_checks(staff):
        return 0
    return Remark.select().where(Remark.status == "fixed").count()


def overdue_remarks(today: dt.date):
    """Published remarks past their due date and not yet fixed, oldest first."""
    return (
        _with_places(Remark.select(), with_assignee=True)
        .where(Remark.status.in_(OPEN_STATUSES) & (Remark.due_date < today) & _visible_to_assignee())
        .order_by(Remark.due_date, Remark.id)
    )


def history(remark: Remark) -> list[RemarkEvent]:
    return list(
        RemarkEvent.select(RemarkEvent, Staff)
        .join(Staff, on=(Staff.id == RemarkEvent.actor))
        .where(RemarkEvent.remark == remark.id)
        .order_by(RemarkEvent.at, RemarkEvent.id)
    )


def checks(actor):
    """Every check, latest month first."""
    ensure_can_view(actor, None)
    return JournalCheck.select().order_by(JournalCheck.month.desc(), JournalCheck.id.desc())


def remarks_waiting_review():
    """Remarks marked fixed, waiting for the deputy to accept or return them, oldest first."""
    return (
        _with_places(Remark.select(), with_assignee=True)
        .where(Remark.status == "fixed")
        .order_by(Remark.updated_at, Remark.id)
    )


def remark_counts(check_ids) -> dict[int, dict[str, int]]:
    """Each check's number of remarks by status, in one query."""
    counts: dict[int, dict[str, int]] = {}
    if not check_ids:
        return counts
    query = (
        Remark.select(Remark.check, Remark.status, fn.COUNT(Remark.id))
        .where(Remark.check.in_(list(check_ids)))
        .group_by(Remark.check, Remark.status)
        .tuples()
    )
    for check_id, status, n in query:
        counts.setdefault(check_id, {})[status] = n
    return counts


def remarks_by_assignee(check: JournalCheck) -> list[tuple[Staff, list[Remark]]]:
    """A check's remarks grouped by whom they are for, by surname: the printed list, a sheet per teacher."""
    remarks = (
        _with_places(Remark.select(), with_assignee=True)
        .where(Remark.check == check.id)
        .order_by(Staff.last_name, Staff.first_name, Remark.due_date, Remark.id)
    )
    grouped: dict[int, tuple[Staff, list[Remark]]] = {}
    for remark in remarks:
        grouped.setdefault(remark.assignee_id, (remark.assignee, []))[1].append(remark)
    return list(grouped.values())
