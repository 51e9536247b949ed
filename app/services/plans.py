"""Thematic plans (КТП, R2.1.2): import from a spreadsheet, copies, approval, lessons that give the rows, hours.

A journal has at most one plan: ordered rows (№, section, topic, hours, an optional date, homework,
notes). A teacher imports it from the XLSX or CSV they already keep: the file is read into a preview
with a Russian reason for every bad row, and applied all or nothing. A re-import of a draft changes
the rows in place by position, so the lessons that gave row 5 still give row 5; it is refused when
it would drop a row a lesson gives. The deputy approves a plan or returns it with a comment; an
approved plan is not re-imported until it is returned.

A lesson gives plan rows through `LessonPlanRow`: the next row not yet given (a row of two hours is
given by two lessons) when the lesson is held, or the one the teacher chooses; a lesson may give two
rows (merged), a row may be skipped. The lesson's topic is filled from its rows while the teacher has
not typed one of their own (`topic_of`).

Hours per journal: planned (the rows' hours), given (held lessons, counted as the completeness rules
count them: a replaced lesson in the journal of the subject given), the curriculum's hours for the
subject and grade, and how many lessons are behind the plan's pace by today. All of it is set
queries over the journals of a list: their number never changes the number of queries.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from peewee import JOIN, Case, fn

from app.db import db, id_list
from app.documents import Column, Report, Section, UnreadableFile, read_table
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    PLAN_STATUSES,
    CurriculumHours,
    Journal,
    Lesson,
    LessonPlanRow,
    PlanRow,
    SchoolYear,
    Staff,
    StudyGroup,
    Subject,
    TeachingAssignment,
    ThematicPlan,
)
from app.models.plans import (
    PLAN_COMMENT_MAX,
    PLAN_HOMEWORK_MAX,
    PLAN_NOTES_MAX,
    PLAN_NUMBER_MAX,
    PLAN_SECTION_MAX,
    PLAN_TOPIC_MAX,
)
from app.services import access, completeness, records
from app.services.errors import AccessDenied, BadInput, DomainError, NotFound
from app.services.plan_rows import (  # noqa: F401 (re-exported)
    homework_of,
    is_from_plan,
    lesson_rows,
    mark_skipped,
    next_rows,
    plan_of,
    rows_of,
    set_lesson_rows,
    topic_of,
    usage,
)

STATUS_LABELS = dict(PLAN_STATUSES)
MAX_PLAN_ROWS = 1000
MAX_HOURS = 99
# The columns a plan's spreadsheet may have, in the order a preview shows them.
ROW_KEYS = ("number", "section", "topic", "hours", "date", "homework", "notes")


# --- access -------------------------------------------------------------------------------------


def get_journal(journal_id) -> Journal:
    """Return a journal with its group and subject, or refuse with NotFound."""
    number = parse_id(journal_id)
    found = (
        Journal.select(Journal, StudyGroup, Subject).join(StudyGroup).switch(Journal).join(Subject)
        if number is not None
        else None
    )
    journal = found.where(Journal.id == number).first() if found is not None else None
    if journal is None:
        raise NotFound("Журнал не найден.")
    return journal


def ensure_can_view(actor, journal) -> None:
    """Refuse unless the person may read the journal's plan."""
    if not access.can_view_plan(actor, journal):
        raise AccessDenied("Тематический план этого журнала вам недоступен.")


def ensure_can_edit(actor, journal) -> None:
    """Refuse unless the person keeps the journal's plan: one of its teachers."""
    ensure_can_view(actor, journal)
    if access.year_is_past(journal.year_id):
        raise AccessDenied("Учебный год этого журнала завершён: тематический план доступен только для чтения.")
    if not access.can_edit_plan(actor, journal):
        raise AccessDenied("Изменять тематический план может только учитель, который ведёт журнал.")


# --- reading a spreadsheet ---------------------------------------------------------------------


def _heading_key(text: str) -> str | None:
    """Which plan column a heading names («Тема урока», «Кол-во часов», «Д/З»…), or None."""
    h = re.sub(r"\s+", " ", (text or "").lower().replace("ё", "е")).strip(" .:")
    if not h:
        return None
    if h in ("№", "n", "no", "nn", "№№") or h.startswith(("№", "номер", "n п/п", "п/п")):
        return "number"
    if "час" in h:
        return "hours"
    if h.startswith("дата") or " дата" in h:
        return "date"
    if "домашн" in h or h in ("д/з", "дз", "д.з", "задание на дом"):
        return "homework"
    if h.startswith(("раздел", "модуль", "глава", "блок")):
        return "section"
    if h.startswith(("тема", "темы", "наименование", "содержание", "название темы")):
        return "topic"
    if h.startswith(("примеч", "коммент")):
        return "notes"
    return None


def _columns(row: list[str]) -> dict[str, int] | None:
    """The plan columns of a heading row, or None when the row is not one (no topic column)."""
    found: dict[str, int] = {}
    for index, text in enumerate(row):
        key = _heading_key(text)
        if key and key not in found:
            found[key] = index
    return found if "topic" in found else None


def read_plan_file(filename: str, data: bytes) -> list[dict]:
    """Read a plan's XLSX or CSV into raw rows (texts as in the file, with their row numbers), sections carried down.

    The heading row is found among the first ten rows (title lines above it are skipped); a row
    holding one text and no hours or date is a section title and becomes the section of the
    rows after it. Nothing is checked here but the shape: `check_rows` says what is wrong with a row.
    """
    if not data:
        raise BadInput("Файл пустой: выберите файл плана (XLSX или CSV).")
    try:
        numbered = read_table(filename, data, max_rows=MAX_PLAN_ROWS + 20, numbered=True)
    except UnreadableFile as exc:
        raise BadInput(str(exc)) from exc
    columns = None
    start = 0
    for index, (_line, row) in enumerate(numbered[:10]):
        columns = _columns(row)
        if columns:
            start = index + 1
            break
    if columns is None:
        raise BadInput(
            "В файле не найдена строка заголовков: нужны столбцы «№», «Тема» и «Часы» "
            "(например, «№ | Тема урока | Кол-во часов | Дата»)."
        )

    def cell(row, key):
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    rows: list[dict] = []
    section = ""
    for line, row in numbered[start:]:
        values = {key: cell(row, key) for key in ROW_KEYS}
        texts = [value for value in row if value.strip()]
        only_text = len(texts) == 1 and not values["hours"] and not values["date"]
        if only_text and ("hours" in columns or not values["topic"]):
            # A section title: «Раздел 1. Натуральные числа», in whichever column it was typed.
            section = texts[0].strip()
            continue
        values["section"] = values["section"] or section
        if values["section"] and "section" in columns and cell(row, "section"):
            section = values["section"]
        rows.append({"line": line, **values})
    if not rows:
        raise BadInput("В файле нет ни одной строки плана под заголовками.")
    if len(rows) > MAX_PLAN_ROWS:
        raise BadInput(f"В плане больше {MAX_PLAN_ROWS} строк: проверьте файл.")
    return rows


@dataclass
class CheckedRow:
    """A row of a plan as read and checked: its values and what is wrong with it."""

    line: int
    number: str | None
    section: str | None
    topic: str
    hours: int | None
    date: dt.date | None
    homework: str | None
    notes: str | None
    errors: list[str] = field(default_factory=list)
    # The texts as they came (what the preview sends back to be applied).
    raw: dict = field(default_factory=dict)


@dataclass
class Preview:
    """What an import would write: the rows, their errors, the hours."""

    rows: list[CheckedRow]

    @property
    def errors(self) -> list[str]:
        return [f"Строка {row.line}: {'; '.join(row.errors)}." for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not any(row.errors for row in self.rows)

    @property
    def hours(self) -> int:
        return sum(row.hours or 0 for row in self.rows)


DATE_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?$")
ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _parse_date(text: str, year) -> tuple[dt.date | None, str | None]:
    """Read ДД.ММ.ГГГГ, ДД.ММ.ГГ, ДД.ММ (the school year's) or ГГГГ-ММ-ДД; return (date, error)."""
    text = text.strip()
    if not text:
        return None, None
    found, iso = DATE_RE.match(text), ISO_RE.match(text)
    if found:
        day, month, year_text = int(found.group(1)), int(found.group(2)), found.group(3)
        if year_text is None:
            number = None if year is None else (year.start_date.year if month >= 8 else year.end_date.year)
        else:
            number = int(year_text) + (2000 if len(year_text) == 2 else 0)
    elif iso:
        number, month, day = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    else:
        return None, f"дата «{text[:20]}» не распознана (нужно ДД.ММ.ГГГГ)"
    if number is None:
        return None, f"у даты «{text[:20]}» не указан год"
    try:
        value = dt.date(number, month, day)
    except ValueError:
        return None, f"даты «{text[:20]}» не существует"
    if year is not None and not year.start_date <= value <= year.end_date:
        return None, f"дата {format_date(value)} вне учебного года {year.name}"
    return value, None


def _text(raw: dict, key: str, limit: int, label: str, errors: list[str]) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        errors.append(f"{label}: ожидался текст")
        return None
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        errors.append(f"{label}: не больше {limit} символов (сейчас {len(text)})")
    return text or None


def check_rows(raw_rows, year) -> Preview:
    """Check raw rows (from `read_plan_file`, or sent back by a preview) and say what is wrong with each."""
    if not isinstance(raw_rows, list) or not raw_rows:
        raise BadInput("Нет строк плана: загрузите файл ещё раз.")
    if len(raw_rows) > MAX_PLAN_ROWS:
        raise BadInput(f"В плане больше {MAX_PLAN_ROWS} строк: проверьте файл.")
    rows = []
    for index, raw in enumerate(raw_rows, 1):
        if not isinstance(raw, dict):
            raise BadInput("Строки плана переданы неверно: загрузите файл ещё раз.")
        line = raw.get("line")
        line = line if isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10**6 else index
        errors: list[str] = []
        number = _text(raw, "number", PLAN_NUMBER_MAX, "№", errors)
        section = _text(raw, "section", PLAN_SECTION_MAX, "раздел", errors)
        topic = _text(raw, "topic", PLAN_TOPIC_MAX, "тема", errors)
        if topic is None and not any("тема" in e for e in errors):
            errors.append("не указана тема")
        homework = _text(raw, "homework", PLAN_HOMEWORK_MAX, "домашнее задание", errors)
        notes = _text(raw, "notes", PLAN_NOTES_MAX, "примечание", errors)
        hours_text = _text(raw, "hours", 20, "часы", errors) or ""
        hours = None
        if not hours_text:
            hours = 1
        elif hours_text.isascii() and hours_text.isdigit() and 1 <= int(hours_text) <= MAX_HOURS:
            hours = int(hours_text)
        else:
            errors.append(f"часы «{hours_text[:20]}»: нужно целое число от 1 до {MAX_HOURS}")
        date_text = _text(raw, "date", 20, "дата", errors) or ""
        date, problem = _parse_date(date_text, year)
        if problem:
            errors.append(problem)
        kept = {key: raw.get(key) if isinstance(raw.get(key), str) else "" for key in ROW_KEYS}
        rows.append(
            CheckedRow(
                line=line,
                number=number,
                section=section,
                topic=topic or "",
                hours=hours,
                date=date,
                homework=homework,
                notes=notes,
                errors=errors,
                raw={"line": line, **kept},
            )
        )
    return Preview(rows)


def rows_from_text(text) -> list:
    """Read back the raw rows a preview page sent (JSON), refusing anything else in Russian."""
    import json

    try:
        rows = json.loads(text or "")
    except (TypeError, ValueError, RecursionError) as exc:
        raise BadInput("Строки плана переданы неверно: загрузите файл ещё раз.") from exc
    if not isinstance(rows, list):
        raise BadInput("Строки плана переданы неверно: загрузите файл ещё раз.")
    return rows


def preview_file(actor, journal, filename: str, data: bytes) -> Preview:
    """Read a plan file for the journal and check it, writing nothing."""
    ensure_can_edit(actor, journal)
    return check_rows(read_plan_file(filename, data), journal.year)


# --- writing a plan ------------------------------------------------------------------------------


def _row_fields(row: CheckedRow) -> dict:
    return {
        "number": row.number,
        "section": row.section,
        "topic": row.topic,
        "hours": row.hours,
        "planned_date": row.date,
        "homework": row.homework,
        "notes": row.notes,
    }


def _ensure_plan(actor, journal, clock) -> ThematicPlan:
    plan = plan_of(journal.id)
    if plan is None:
        plan = records.create_row(
            actor, ThematicPlan, {"journal": journal.id, "status": "draft", "updated_at": clock.utcnow()}
        )
    return plan


def _replace_rows(actor, journal, rows: list[dict], clock) -> ThematicPlan:
    """Make the journal's plan hold these rows (field dicts), in place by position; inside the caller's transaction."""
    plan = plan_of(journal.id)
    if plan is not None and plan.is_approved:
        raise DomainError(
            f"План журнала «{journal}» утверждён: чтобы изменить его, попросите заместителя директора вернуть план "
            "на доработку."
        )
    plan = _ensure_plan(actor, journal, clock)
    existing = rows_of(plan)
    extra = existing[len(rows) :]
    if extra:
        linked = (
            PlanRow.select(PlanRow.number, PlanRow.position)
            .join(LessonPlanRow, on=(LessonPlanRow.plan_row == PlanRow.id))
            .where(PlanRow.id.in_([row.id for row in extra]))
            .distinct()
            .order_by(PlanRow.position)
        )
        numbers = [row.number or str(row.position) for row in linked]
        if numbers:
            raise DomainError(
                f"В новом плане журнала «{journal}» {len(rows)} строк, а по строкам № {', '.join(numbers[:10])} "
                "уже проведены уроки. Выберите этим урокам другие строки или дополните план."
            )
    for position, fields in enumerate(rows, 1):
        if position <= len(existing):
            row = existing[position - 1]
            changed = {name: value for name, value in fields.items() if getattr(row, name) != value}
            if changed:
                records.update_row(actor, row, changed)
        else:
            records.create_row(actor, PlanRow, {"plan": plan.id, "position": position, **fields})
    for row in extra:
        records.delete_row(actor, row)
    return records.update_row(actor, plan, {"updated_at": clock.utcnow()})


def apply_rows(actor, journal, raw_rows, *, clock) -> ThematicPlan:
    """Import checked rows into the journal's plan, all or nothing: one bad row and nothing is written."""
    ensure_can_edit(actor, journal)
    preview = check_rows(raw_rows, journal.year)
    if not preview.ok:
        shown = preview.errors[:10]
        more = len(preview.errors) - len(shown)
        tail = f" И ещё строк с ошибками: {more}." if more else ""
        raise BadInput("План не загружен, ни одна строка не сохранена. " + " ".join(shown) + tail)
    with db.atomic():
        return _replace_rows(actor, journal, [_row_fields(row) for row in preview.rows], clock)


def _copied_fields(row: PlanRow, *, keep_dates: bool) -> dict:
    return {
        "number": row.number,
        "section": row.section,
        "topic": row.topic,
        "hours": row.hours,
        "planned_date": row.planned_date if keep_dates else None,
        "homework": row.homework,
        "notes": row.notes,
    }


def parallel_journals(journal) -> list[Journal]:
    """Return this year's other journals of the same subject in the same grade (5А, 5Б… for 5В's)."""
    grade = journal.group.grade
    if grade is None:
        return []
    return list(
        Journal.select(Journal, StudyGroup)
        .join(StudyGroup)
        .where(
            (Journal.year == journal.year_id)
            & (Journal.subject == journal.subject_id)
            & (Journal.kind == journal.kind)
            & (StudyGroup.grade == grade)
            & (Journal.id != journal.id)
        )
        .order_by(StudyGroup.name)
    )


def copy_to_parallel(actor, journal, target_ids, *, clock) -> list[Journal]:
    """Copy the journal's plan to the chosen parallel journals, all of them or none; return them."""
    ensure_can_view(actor, journal)
    rows = rows_of(plan_of(journal.id))
    if not rows:
        raise DomainError("У журнала ещё нет тематического плана: копировать нечего.")
    parallel = {j.id: j for j in parallel_journals(journal)}
    ids = [parse_id(value) for value in target_ids or []]
    targets = [parallel[number] for number in dict.fromkeys(ids) if number in parallel]
    if not targets or len(targets) != len(ids):
        raise BadInput("Отметьте журналы параллели, в которые нужно скопировать план.")
    for target in targets:
        if not access.can_edit_plan(actor, target):
            raise AccessDenied(
                f"План журнала «{target.group}» ведёт его учитель: скопировать в него план вы не можете."
            )
    fields = [_copied_fields(row, keep_dates=True) for row in rows]
    with db.atomic():
        for target in targets:
            _replace_rows(actor, target, fields, clock)
    return targets


def last_year_journals(journal) -> list[Journal]:
    """Return last school year's journals of the same subject and grade that have a plan with rows."""
    year = journal.year
    grade = journal.group.grade
    previous = (
        SchoolYear.select()
        .where(SchoolYear.start_date < year.start_date)
        .order_by(SchoolYear.start_date.desc())
        .first()
    )
    if previous is None or grade is None:
        return []
    with_rows = PlanRow.select(PlanRow.plan).distinct()
    return list(
        Journal.select(Journal, StudyGroup)
        .join(StudyGroup)
        .switch(Journal)
        .join(ThematicPlan, on=(ThematicPlan.journal == Journal.id))
        .where(
            (Journal.year == previous.id)
            & (Journal.subject == journal.subject_id)
            & (StudyGroup.grade == grade)
            & ThematicPlan.id.in_(with_rows)
        )
        .order_by(StudyGroup.name)
    )


def copy_from_last_year(actor, journal, source_id, *, clock) -> ThematicPlan:
    """Take last year's plan of the same subject and grade into this journal (dates are not carried over)."""
    ensure_can_edit(actor, journal)
    sources = {j.id: j for j in last_year_journals(journal)}
    source = sources.get(parse_id(source_id))
    if source is None:
        raise BadInput("Выберите журнал прошлого учебного года с планом по этому предмету.")
    fields = [_copied_fields(row, keep_dates=False) for row in rows_of(plan_of(source.id))]
    with db.atomic():
        return _replace_rows(actor, journal, fields, clock)


def _comment(value) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadInput("Комментарий: ожидался текст.")
    text = (value or "").strip()
    if len(text) > PLAN_COMMENT_MAX:
        raise BadInput(f"Комментарий: не больше {PLAN_COMMENT_MAX} символов (сейчас {len(text)}).")
    return text or None


def approve_plan(actor, journal, comment=None, *, clock) -> ThematicPlan:
    """The deputy approves the journal's plan (with an optional comment)."""
    if not access.can_approve_plans(actor):
        raise AccessDenied("Утверждать тематические планы может заместитель директора.")
    plan = plan_of(journal.id)
    if plan is None or not rows_of(plan):
        raise DomainError("У журнала нет тематического плана: утверждать нечего.")
    fields = {
        "status": "approved",
        "approved_by": actor.id,
        "approved_at": clock.utcnow(),
        "comment": _comment(comment),
    }
    return records.update_row(actor, plan, {**fields, "updated_at": clock.utcnow()})


def return_plan(actor, journal, comment, *, clock) -> ThematicPlan:
    """The deputy returns the journal's plan to its teacher as a draft, saying what to change."""
    if not access.can_approve_plans(actor):
        raise AccessDenied("Возвращать тематические планы на доработку может заместитель директора.")
    plan = plan_of(journal.id)
    if plan is None:
        raise DomainError("У журнала нет тематического плана.")
    text = _comment(comment)
    if text is None:
        raise BadInput("Напишите, что нужно исправить в плане.")
    fields = {"status": "draft", "approved_by": None, "approved_at": None, "comment": text}
    return records.update_row(actor, plan, {**fields, "updated_at": clock.utcnow()})


def validate_curriculum(row) -> None:
    """Check a curriculum row: a grade from 1 to 11 and a positive number of hours a year."""
    if not isinstance(row.grade, int) or not 1 <= row.grade <= 11:
        raise DomainError("Параллель: число от 1 до 11.")
    if not isinstance(row.hours, int) or not 1 <= row.hours <= 2000:
        raise DomainError("Часов в год: целое число от 1 до 2000.")


# --- hours ---------------------------------------------------------------------------------------


@dataclass
class PlanLine:
    """A journal of a list with its plan's state and hours."""

    journal: Journal
    teachers: list[str]
    plan_id: int | None = None
    status: str | None = None
    comment: str | None = None
    rows: int = 0
    planned: int = 0
    curriculum: int | None = None
    given: int = 0
    due: int | None = None
    own: bool = False

    @property
    def state(self) -> str:
        """«none» for a journal without a plan (or with an empty one), else the plan's status."""
        return self.status if self.plan_id and self.rows else "none"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.state, "нет плана")

    @property
    def behind(self) -> int | None:
        return None if self.due is None else max(0, self.due - self.given)


# The list's filter: its code, its label, which lines it keeps.
LINE_FILTERS = {
    "": ("Все журналы", lambda line: True),
    "none": ("Без плана", lambda line: line.state == "none"),
    "draft": ("Черновики", lambda line: line.state == "draft"),
    "approved": ("Утверждённые", lambda line: line.state == "approved"),
    "behind": ("С отставанием", lambda line: bool(line.behind)),
}


def line_counts(lines: list[PlanLine]) -> dict[str, int]:
    """How many lines each filter of the list keeps."""
    return {code: sum(1 for line in lines if keep(line)) for code, (_, keep) in LINE_FILTERS.items()}


def filter_lines(lines: list[PlanLine], code, grade) -> list[PlanLine]:
    """The lines one filter and one grade keep (an unknown filter or grade keeps them all)."""
    _, keep = LINE_FILTERS.get(code if isinstance(code, str) else "", LINE_FILTERS[""])
    grade = parse_id(grade)
    return [line for line in lines if keep(line) and (grade is None or line.journal.group.grade == grade)]


def plan_lines(actor, year, *, today: dt.date, journal_ids=None) -> list[PlanLine]:
    """Return the year's journals the person may open (or these ones), with their plans and hours, in set queries.

    Given: held lessons counted as the completeness rules count them. Due by today: the hours of the
    rows dated up to today when the plan has dates, else the counted uncancelled lessons up to today
    (the timetable's pace), never more than the plan holds.
    """
    if year is None:
        return []
    query = (
        Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where((Journal.year == year.id) & (Journal.kind == "lesson"))
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name, Subject.name)
    )
    if journal_ids is not None:
        query = query.where(Journal.id.in_(id_list(journal_ids)))
    lines = {j.id: PlanLine(j, []) for j in access.scope(query, actor, Journal)}
    if not lines:
        return []
    ids = list(lines)
    teachers = (
        TeachingAssignment.select(TeachingAssignment.journal, TeachingAssignment.teacher, Staff)
        .join(Staff)
        .where(TeachingAssignment.journal.in_(id_list(ids)))
        .order_by(Staff.last_name, Staff.first_name)
    )
    for assignment in teachers:
        line = lines[assignment.journal_id]
        line.teachers.append(assignment.teacher.short_name)
        line.own = line.own or assignment.teacher_id == actor.id
    plans = (
        ThematicPlan.select(
            ThematicPlan.journal,
            ThematicPlan.id,
            ThematicPlan.status,
            ThematicPlan.comment,
            fn.COUNT(PlanRow.id),
            fn.COALESCE(fn.SUM(PlanRow.hours), 0),
            fn.COUNT(PlanRow.planned_date),
            fn.COALESCE(
                fn.SUM(PlanRow.hours).filter(PlanRow.planned_date <= today),
                0,
            ),
        )
        .join(PlanRow, JOIN.LEFT_OUTER, on=(PlanRow.plan == ThematicPlan.id))
        .where(ThematicPlan.journal.in_(id_list(ids)))
        .group_by(ThematicPlan.journal, ThematicPlan.id, ThematicPlan.status, ThematicPlan.comment)
    )
    by_dates: dict[int, int] = {}
    for journal_id, plan_id, status, comment, count, hours, with_dates, due_by_dates in plans.tuples():
        line = lines[journal_id]
        line.plan_id, line.status, line.comment, line.rows, line.planned = plan_id, status, comment, count, int(hours)
        if with_dates:
            by_dates[journal_id] = int(due_by_dates or 0)
    held = fn.SUM(Case(None, ((Lesson.held == True, 1),), 0))  # noqa: E712
    scheduled = fn.SUM(Case(None, ((Lesson.date <= today, 1),), 0))
    counted = completeness.counted_lessons(
        ids,
        (held, scheduled),
        lambda query, journal: query.where(Lesson.cancelled == False).group_by(journal),  # noqa: E712
    )
    totals: dict[int, tuple[int, int]] = {}
    for journal_id, given, due in counted:
        before = totals.get(journal_id, (0, 0))
        totals[journal_id] = (before[0] + int(given or 0), before[1] + int(due or 0))
    curriculum = {
        (subject_id, grade): hours
        for subject_id, grade, hours in CurriculumHours.select(
            CurriculumHours.subject, CurriculumHours.grade, CurriculumHours.hours
        )
        .where(CurriculumHours.year == year.id)
        .tuples()
    }
    for journal_id, line in lines.items():
        given, scheduled_by_today = totals.get(journal_id, (0, 0))
        line.given = given
        line.curriculum = curriculum.get((line.journal.subject_id, line.journal.group.grade))
        if line.rows:
            pace = by_dates.get(journal_id)
            line.due = pace if pace is not None else min(scheduled_by_today, line.planned)
    return list(lines.values())


def program_report(actor, year, *, today: dt.date) -> Report:
    """«Выполнение программы»: hours by the curriculum, by the plan, due by today, given and behind, by journal."""
    lines = plan_lines(actor, year, today=today) if year is not None else []
    columns = [
        Column("Класс (группа)", 1.2),
        Column("Предмет", 1.6),
        Column("Учитель", 1.4),
        Column("По учебному плану", 0.9, "R"),
        Column("По КТП", 0.8, "R"),
        Column("Должно быть дано", 0.9, "R"),
        Column("Дано", 0.7, "R"),
        Column("Отставание", 0.9, "R"),
        Column("КТП", 0.9),
    ]
    rows = [
        (
            str(line.journal.group),
            line.journal.subject.name,
            ", ".join(line.teachers),
            line.curriculum,
            line.planned if line.rows else None,
            line.due,
            line.given,
            line.behind,
            line.status_label,
        )
        for line in lines
    ]

    def total(values):
        found = [value for value in values if value is not None]
        return sum(found) if found else None

    totals = (
        "Итого",
        "",
        "",
        total(line.curriculum for line in lines),
        total(line.planned for line in lines if line.rows),
        total(line.due for line in lines),
        sum(line.given for line in lines),
        total(line.behind for line in lines),
        "",
    )
    section = Section(
        "Часы по журналам",
        columns,
        rows,
        totals=totals if rows else None,
        notes=[
            "Дано — проведённые уроки; урок замены считается в журнале предмета, который был дан.",
            "Должно быть дано — часы строк плана с датой до сегодняшнего дня, а если в плане нет дат, "
            "уроки по расписанию до сегодняшнего дня (не больше часов плана).",
        ],
        empty="Нет журналов.",
    )
    return Report(
        title="Выполнение программы",
        header=[f"Учебный год: {year.name}" if year else "Учебный год не выбран", f"На дату: {format_date(today)}"],
        sections=[section],
        landscape=True,
        filename=f"vypolnenie-programmy-{today:%Y-%m-%d}",
    )
