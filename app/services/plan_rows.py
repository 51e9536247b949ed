"""The rows of a journal's thematic plan that its lessons give (app/services/plans.py has the plans themselves).

A lesson gives plan rows through `LessonPlanRow`: the next row not yet given in full (a row of two
hours is given by two lessons) and not skipped, or the rows the teacher chooses; a lesson may give
two rows (merged). Kept apart from plans.py so that the journal's lesson panel can use it without the
plans' imports and reports.
"""

from peewee import fn

from app.models import Lesson, LessonPlanRow, PlanRow, ThematicPlan
from app.services import records

# A lesson's topic and homework hold at most this many characters (journal.TOPIC_MAX, HOMEWORK_MAX).
LESSON_TOPIC_MAX = 500
LESSON_HOMEWORK_MAX = 4000


def plan_of(journal_id) -> ThematicPlan | None:
    """Return the journal's plan, or None."""
    return ThematicPlan.get_or_none(ThematicPlan.journal == journal_id)


def rows_of(plan) -> list[PlanRow]:
    """Return a plan's rows in order (none for a missing plan)."""
    if plan is None:
        return []
    return list(PlanRow.select().where(PlanRow.plan == plan.id).order_by(PlanRow.position))


def topic_of(rows) -> str | None:
    """The lesson topic that a lesson giving these rows gets: their topics, joined."""
    text = "; ".join(row.topic for row in rows if row.topic)
    return text[:LESSON_TOPIC_MAX] or None


def homework_of(rows) -> str | None:
    """The homework a lesson giving these rows gets from the plan."""
    text = "; ".join(row.homework for row in rows if row.homework)
    return text[:LESSON_HOMEWORK_MAX] or None


def lesson_rows(lesson_id) -> list[PlanRow]:
    """Return the plan rows a lesson gives, in the plan's order."""
    return list(
        PlanRow.select()
        .join(LessonPlanRow, on=(LessonPlanRow.plan_row == PlanRow.id))
        .where(LessonPlanRow.lesson == lesson_id)
        .order_by(PlanRow.position)
    )


def usage(plan_id, *, except_lesson=None) -> dict[int, int]:
    """Return {row id: how many lessons give it} for a plan's rows (cancelled lessons give nothing)."""
    query = (
        LessonPlanRow.select(LessonPlanRow.plan_row, fn.COUNT(LessonPlanRow.id))
        .join(PlanRow, on=(PlanRow.id == LessonPlanRow.plan_row))
        .join_from(LessonPlanRow, Lesson, on=(Lesson.id == LessonPlanRow.lesson))
        .where((PlanRow.plan == plan_id) & (Lesson.cancelled == False))  # noqa: E712
        .group_by(LessonPlanRow.plan_row)
    )
    if except_lesson is not None:
        query = query.where(LessonPlanRow.lesson != except_lesson)
    return dict(query.tuples())


def next_rows(plan, *, except_lesson=None, after_position: int = 0, count: int = 1) -> list[PlanRow]:
    """Return the next `count` rows not yet given in full and not skipped, after a position."""
    used = usage(plan.id, except_lesson=except_lesson)
    free = [
        row
        for row in rows_of(plan)
        if row.position > after_position and not row.skipped and used.get(row.id, 0) < row.hours
    ]
    return free[:count]


def set_lesson_rows(actor, lesson, rows: list[PlanRow]) -> None:
    """Make the lesson give exactly these rows (links created and deleted, audited), in the caller's transaction."""
    wanted = {row.id for row in rows}
    links = list(LessonPlanRow.select().where(LessonPlanRow.lesson == lesson.id))
    for link in links:
        if link.plan_row_id not in wanted:
            records.delete_row(actor, link)
    have = {link.plan_row_id for link in links}
    for row in rows:
        if row.id not in have:
            records.create_row(actor, LessonPlanRow, {"lesson": lesson.id, "plan_row": row.id})


def mark_skipped(actor, rows, skipped: bool = True) -> None:
    """Mark plan rows skipped (the next lessons pass them by) or take them back into the order."""
    for row in rows:
        if bool(row.skipped) != skipped:
            records.update_row(actor, row, {"skipped": skipped})


def is_from_plan(text, rows, of=None) -> bool:
    """Tell whether a lesson's text is still the plan's (empty, or just what the rows gave): it may be replaced."""
    value = (text or "").strip()
    return not value or value == ((of or topic_of)(rows) or "")
