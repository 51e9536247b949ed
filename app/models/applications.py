"""Parents' applications for access to the e-diary (R6.1)."""

from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, TextField

from app.clock import utcnow
from app.models.changes import ExportedModel
from app.models.people import RELATIONS, Guardian, Staff, Student

APPLICATION_STATUSES = (
    ("accepted", "принято"),
    ("entered", "внесено в систему"),
    ("granted", "доступ предоставлен"),
    ("rejected", "отклонено"),
    ("withdrawn", "согласие отозвано"),
)


class DiaryApplication(ExportedModel):
    """A paper application printed from the portal, received in person against a passport.

    The passport is shown, not stored: only the fact that it was presented and who checked it.
    The names are kept as printed on the application, to be compared with our records.
    """

    record_type = "diary_application"

    # Unique when given; several applications may have none (NULLs never collide).
    portal_number = CharField(max_length=64, null=True, unique=True)
    # No default: the service sets the date from the school's clock (a server-date default would be a second clock).
    submitted_on = DateField()
    received_by = ForeignKeyField(Staff, backref="received_applications")
    student = ForeignKeyField(Student, backref="applications")
    guardian = ForeignKeyField(Guardian, backref="applications")
    student_last_name = CharField(max_length=100)
    student_first_name = CharField(max_length=100)
    student_middle_name = CharField(max_length=100, null=True)
    guardian_last_name = CharField(max_length=100)
    guardian_first_name = CharField(max_length=100)
    guardian_middle_name = CharField(max_length=100, null=True)
    relation = CharField(max_length=20, choices=RELATIONS)
    passport_presented = BooleanField(default=False)
    names_checked = BooleanField(default=False)
    pd_consent = BooleanField(default=False)
    status = CharField(max_length=12, choices=APPLICATION_STATUSES, default="accepted", index=True)
    reject_reason = TextField(null=True)
    # The parent's written withdrawal of consent to the processing of personal data (152-ФЗ, art. 9):
    # the date on the paper (the school's date), and the employee's note. Access ends with it.
    withdrawn_on = DateField(null=True)
    withdrawal_note = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "diary_application"

    def __str__(self):
        number = f"№ {self.portal_number}" if self.portal_number else f"#{self.id}"
        return f"Заявление {number} от {self.submitted_on:%d.%m.%Y}"

    @property
    def status_label(self) -> str:
        return dict(APPLICATION_STATUSES).get(self.status, self.status)

    @classmethod
    def waiting(cls):
        return cls.select().where(cls.status.in_(("accepted", "entered")))
