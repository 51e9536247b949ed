"""The deputy's monthly journal check (R4.1) and the remarks it gives the staff (R4.2)."""

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from app.clock import utcnow
from app.db import BaseModel
from app.models.journal import Journal, Lesson
from app.models.people import Staff
from app.models.school import SchoolYear

CHECK_SCOPES = (
    ("school", "вся школа"),
    ("grade", "параллель"),
    ("class", "класс"),
    ("teacher", "учитель"),
)

REMARK_STATUSES = (
    ("open", "открыто"),
    ("fixed", "исправлено"),
    ("accepted", "принято"),
    ("returned", "возвращено"),
)
REMARK_TEXT_MAX = 1000
DISMISS_REASON_MAX = 300


class JournalCheck(BaseModel):
    """A check of the journal for one month and one scope, opened by the deputy; published with its remarks."""

    year = ForeignKeyField(SchoolYear, backref="journal_checks")
    # The first day of the month checked.
    month = DateField()
    scope_kind = CharField(max_length=10, choices=CHECK_SCOPES, default="school")
    # A grade's number, a class's id or a teacher's id; empty for the whole school.
    scope_value = IntegerField(null=True)
    opened_by = ForeignKeyField(Staff, backref="+")
    opened_at = DateTimeField(default=utcnow)
    published_at = DateTimeField(null=True)
    published_by = ForeignKeyField(Staff, null=True, backref="+")

    class Meta:
        table_name = "journal_check"
        indexes = ((("year", "month", "scope_kind", "scope_value"), True),)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class FindingDismissal(BaseModel):
    """A finding the deputy judged no problem, with why: it is not shown again, in any check."""

    key = CharField(max_length=200, unique=True)
    code = CharField(max_length=30)
    journal = ForeignKeyField(Journal, backref="+")
    text = CharField(max_length=500)
    reason = CharField(max_length=DISMISS_REASON_MAX)
    check = ForeignKeyField(JournalCheck, null=True, backref="dismissals")
    dismissed_by = ForeignKeyField(Staff, backref="+")
    dismissed_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "finding_dismissal"


class PaperComparison(BaseModel):
    """Whether a journal of a check was compared with its paper journal (R3.3, R4.1), and what was noted."""

    check = ForeignKeyField(JournalCheck, backref="paper_comparisons")
    journal = ForeignKeyField(Journal, backref="+")
    done = BooleanField(default=False)
    note = CharField(max_length=300, null=True)
    recorded_by = ForeignKeyField(Staff, backref="+")
    recorded_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "paper_comparison"
        indexes = ((("check", "journal"), True),)


class Remark(BaseModel):
    """A remark of a check for a staff member to fix (R4.2): where, what, by when, and how far it has got.

    A remark from a rule keeps the finding's code and key: it cannot be marked fixed while the
    rule still finds the problem. Its assignee sees it once its check is published (at once when
    it belongs to no check).
    """

    # Empty for a remark that came from elsewhere (a problem reported in an e-diary check).
    check = ForeignKeyField(JournalCheck, null=True, backref="remarks")
    assignee = ForeignKeyField(Staff, backref="remarks")
    journal = ForeignKeyField(Journal, null=True, backref="+")
    lesson = ForeignKeyField(Lesson, null=True, backref="+")
    rule_code = CharField(max_length=30, null=True)
    finding_key = CharField(max_length=200, null=True)
    text = TextField()
    due_date = DateField()
    status = CharField(max_length=10, choices=REMARK_STATUSES, default="open")
    created_by = ForeignKeyField(Staff, backref="+")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "remark"
        indexes = ((("assignee", "status"), False), (("check", "finding_key"), False))


class RemarkEvent(BaseModel):
    """A step of a remark's history: made, marked fixed, accepted, returned (with a comment)."""

    remark = ForeignKeyField(Remark, backref="events")
    status = CharField(max_length=10, choices=REMARK_STATUSES)
    comment = TextField(null=True)
    actor = ForeignKeyField(Staff, backref="+")
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "remark_event"
        indexes = ((("remark", "at"), False),)


DIARY_CHECK_STATUSES = (
    ("due", "ждёт проверки"),
    ("confirmed", "данные верны"),
    ("reported", "сообщено о проблеме"),
)


class DiaryCheck(BaseModel):
    """A staff member's monthly check that the e-diary shows their data correctly (R7.1–R7.3).

    Opened on the 1st for the past month for everyone with a portal UID and a scope; answered
    «данные верны» or with a problem, which becomes a remark for the administrator.
    """

    staff = ForeignKeyField(Staff, backref="diary_checks")
    year = ForeignKeyField(SchoolYear, backref="+")
    # The first day of the month checked.
    month = DateField()
    status = CharField(max_length=10, choices=DIARY_CHECK_STATUSES, default="due")
    opened_at = DateTimeField(default=utcnow)
    due_date = DateField()
    answered_at = DateTimeField(null=True)
    comment = TextField(null=True)
    remark = ForeignKeyField(Remark, null=True, backref="+")

    class Meta:
        table_name = "diary_check"
        indexes = ((("staff", "month"), True), (("status", "due_date"), False))
