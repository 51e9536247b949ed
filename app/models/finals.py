"""Final marks: a student's mark for a subject over an attestation period, the year, the exam and the итоговая."""

from peewee import CharField, DateTimeField, ForeignKeyField

from app.clock import utcnow
from app.models.changes import ExportedModel
from app.models.journal import Journal
from app.models.people import Staff, Student
from app.models.school import SchoolYear, Subject, Term

FINAL_KINDS = (
    ("term", "за период"),
    ("year", "годовая"),
    ("exam", "экзаменационная"),
    ("final", "итоговая"),
)

# The mark scale and what a final mark may say besides: not attested, exempt.
FINAL_VALUES = ("5", "4", "3", "2", "1", "зч", "нз", "н/а", "осв.")
FINAL_COMMENT_MAX = 300


class FinalMark(ExportedModel):
    """A student's final mark for a subject: for a term (quarter, half), the year, the exam, or the итоговая.

    One per student, subject, year, kind and term (the term only for kind "term"). `journal` is
    where it was given: a student who moved between groups has one mark for the subject.
    """

    record_type = "final_mark"

    year = ForeignKeyField(SchoolYear, backref="final_marks")
    student = ForeignKeyField(Student, backref="final_marks")
    subject = ForeignKeyField(Subject, backref="final_marks")
    kind = CharField(max_length=8, choices=FINAL_KINDS)
    term = ForeignKeyField(Term, backref="final_marks", null=True)
    journal = ForeignKeyField(Journal, backref="final_marks")
    value = CharField(max_length=8)
    # Why the final differs from the recommended mark, for the deputy's check (not sent to the portal).
    comment = CharField(max_length=FINAL_COMMENT_MAX, null=True)
    # Set when a locked final (its period closed) is changed: a code of MARK_CHANGE_REASONS.
    change_reason = CharField(max_length=20, null=True)
    set_by = ForeignKeyField(Staff, null=True, backref="+")
    set_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "final_mark"
        indexes = (
            (("student", "subject", "year", "kind", "term"), True),
            (("journal", "kind"), False),
        )

    def __str__(self):
        label = dict(FINAL_KINDS).get(self.kind, self.kind)
        return f"{self.subject}: {self.value} ({label})"
