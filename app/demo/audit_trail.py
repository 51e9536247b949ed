"""A year of audit for the large demo school: the entries its journal would have left.

The journal's services write one audit entry per mark and absence entered and per lesson marked
held; the seeder writes rows in bulk, past the services, so it writes those entries afterwards the
same way, in three set statements (about 850,000 rows for the whole large school): who, when, what
and the record's name as the services word them («Иванов Пётр: 5, Математика · 12.10.2026»). The
audit's list and search are measured on them (bench/bench_audit.py).
"""

from app.db import db, is_sqlite


def _day(column: str) -> str:
    return f"strftime('%d.%m.%Y', {column})" if is_sqlite() else f"to_char({column}, 'DD.MM.YYYY')"


def _text(expression: str) -> str:
    return expression if is_sqlite() else f"CAST({expression} AS TEXT)"


def _at(day_column: str, number_column: str) -> str:
    """The lesson's day at 8:00 UTC plus its number in hours (11:00 at the school for the 1st lesson)."""
    if is_sqlite():
        return f"datetime({day_column}, '+' || (7 + {number_column}) || ' hours')"
    return f"({day_column} + (7 + {number_column}) * interval '1 hour')"


def write_journal_audit() -> int:
    """Write the audit entries of the journal's marks, absences and held lessons; return how many."""
    staff_name = "s.last_name || ' ' || s.first_name || coalesce(' ' || s.middle_name, '')"
    student_name = "st.last_name || ' ' || st.first_name"
    lesson_name = f"sub.name || ' · ' || {_day('l.date')}"
    columns = "at, actor_id, actor_name, source, action, model, object_id, object_repr, before, after"
    joins = (
        " JOIN lesson l ON l.id = x.lesson_id JOIN journal j ON j.id = l.journal_id"
        " JOIN subject sub ON sub.id = j.subject_id JOIN student st ON st.id = x.student_id"
    )
    counts = {}
    counts["marks"] = db.execute_sql(
        f"INSERT INTO audit_entry ({columns})"
        f" SELECT x.created_at, x.created_by_id, {staff_name}, 'panel', 'create', 'Mark', {_text('x.id')},"
        f" {student_name} || ': ' || x.value || ', ' || {lesson_name}, NULL,"
        f" '{{\"value\": \"' || x.value || '\", \"lesson\": ' || {_text('x.lesson_id')} || '}}'"
        f" FROM mark x {joins} JOIN staff s ON s.id = x.created_by_id"
    ).rowcount
    counts["absences"] = db.execute_sql(
        f"INSERT INTO audit_entry ({columns})"
        f" SELECT {_at('l.date', 'l.number')}, s.id, {staff_name}, 'panel', 'create', 'Absence',"
        f" {_text('x.id')}, {student_name} || ': ' || x.reason || ', ' || {lesson_name}, NULL,"
        f" '{{\"reason\": \"' || x.reason || '\"}}'"
        f" FROM absence x {joins} JOIN staff s ON s.id = coalesce(l.teacher_id, l.planned_teacher_id)"
    ).rowcount
    counts["lessons"] = db.execute_sql(
        f"INSERT INTO audit_entry ({columns})"
        f" SELECT l.held_at, s.id, {staff_name}, 'panel', 'update', 'Lesson', {_text('l.id')},"
        f" {lesson_name} || ', ' || {_text('l.number')} || ' урок', '{{\"held\": false}}', '{{\"held\": true}}'"
        " FROM lesson l JOIN journal j ON j.id = l.journal_id JOIN subject sub ON sub.id = j.subject_id"
        " JOIN staff s ON s.id = coalesce(l.teacher_id, l.planned_teacher_id)"
        " WHERE l.held AND l.held_at IS NOT NULL"
    ).rowcount
    return sum(counts.values())


class AuditTrail:
    """The builder's last step for the large school: the journal's audit entries (reads the journal)."""

    def _audit_trail(self) -> None:
        self.counts["audit_entries"] = write_journal_audit()
