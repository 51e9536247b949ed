"""Staff, roles and permissions, login attempts; students and their guardians."""

import secrets

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    TextField,
)

from app.clock import utcnow
from app.db import BaseModel
from app.models.changes import ExportedModel


def full_name(last: str, first: str, middle: str | None) -> str:
    """Join a Russian full name in its usual order: surname, name, patronymic."""
    return " ".join(part for part in (last, first, middle) if part)


def new_session_token() -> str:
    """Return a fresh random token that identifies a staff member's live sessions."""
    return secrets.token_urlsafe(16)


def short_name(last_name: str, first_name: str | None, middle_name: str | None) -> str:
    """Return a person's surname and initials («Иванова А.П.»), from the parts of the name."""
    initials = "".join(f"{p[0]}." for p in (first_name, middle_name) if p)
    return f"{last_name} {initials}".strip()


class Staff(ExportedModel):
    """A school employee who logs in; roles say what they may do."""

    record_type = "staff"
    audit_exclude = ("password_hash", "session_token")

    login = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=256, default="")
    last_name = CharField(max_length=100)
    first_name = CharField(max_length=100)
    middle_name = CharField(max_length=100, null=True)
    email = CharField(max_length=200, null=True)
    active = BooleanField(default=True)
    portal_uid = CharField(max_length=64, null=True, unique=True)
    # Changing it (password change, deactivation) ends every open session of this person.
    session_token = CharField(max_length=64, default=new_session_token)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "staff"

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)

    # Flask-Login's user protocol (its id attribute is set to session_id: peewee owns get_id).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def session_id(self) -> str:
        """Return the login session id: a new token invalidates every older session."""
        return f"{self.id}:{self.session_token}"

    @property
    def short_name(self) -> str:
        return short_name(self.last_name, self.first_name, self.middle_name)

    @classmethod
    def active_staff(cls):
        return cls.select().where(cls.active == True).order_by(cls.last_name, cls.first_name)  # noqa: E712


class Permission(BaseModel):
    """A permission code (see app/permissions.py) stored so roles can reference it."""

    code = CharField(max_length=64, unique=True)

    class Meta:
        table_name = "permission"

    def __str__(self):
        from app.permissions import permission_label

        return permission_label(self.code)


class Role(BaseModel):
    """A named set of permissions; built-in roles cannot be deleted."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    builtin = BooleanField(default=False)

    class Meta:
        table_name = "role"

    def __str__(self):
        return self.name


class RolePermission(BaseModel):
    role = ForeignKeyField(Role, backref="role_permissions", on_delete="CASCADE")
    permission = ForeignKeyField(Permission, backref="role_permissions")

    class Meta:
        table_name = "role_permission"
        indexes = ((("role", "permission"), True),)

    def __str__(self):
        return f"{self.role} — {self.permission}"


class StaffRole(BaseModel):
    staff = ForeignKeyField(Staff, backref="staff_roles", on_delete="CASCADE")
    role = ForeignKeyField(Role, backref="staff_roles")

    class Meta:
        table_name = "staff_role"
        indexes = ((("staff", "role"), True),)

    def __str__(self):
        return f"{self.staff} — {self.role}"


class LoginAttempt(BaseModel):
    """One try to log in, kept to throttle guessing and to show the administrator."""

    login = CharField(max_length=64, index=True)
    address = CharField(max_length=64, index=True)
    success = BooleanField()
    at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "login_attempt"

    def __str__(self):
        return f"{self.login} {self.at:%d.%m.%Y %H:%M}"


class Student(ExportedModel):
    """A student of the school."""

    record_type = "student"

    last_name = CharField(max_length=100)
    first_name = CharField(max_length=100)
    middle_name = CharField(max_length=100, null=True)
    birth_date = DateField(null=True)
    notes = TextField(null=True)

    class Meta:
        table_name = "student"
        indexes = ((("last_name", "first_name"), False),)

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


class Guardian(ExportedModel):
    """A parent or other legal representative of one or more students."""

    record_type = "guardian"

    last_name = CharField(max_length=100)
    first_name = CharField(max_length=100)
    middle_name = CharField(max_length=100, null=True)
    phone = CharField(max_length=40, null=True)
    email = CharField(max_length=200, null=True)

    class Meta:
        table_name = "guardian"
        indexes = ((("last_name", "first_name"), False),)

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


RELATIONS = (
    ("mother", "мать"),
    ("father", "отец"),
    ("guardian", "опекун"),
    ("trustee", "попечитель"),
    ("other", "иной законный представитель"),
)


class StudentGuardian(ExportedModel):
    """The link between a student and a guardian, with the kind of relation."""

    record_type = "student_guardian"

    student = ForeignKeyField(Student, backref="guardian_links")
    guardian = ForeignKeyField(Guardian, backref="student_links")
    relation = CharField(max_length=20, choices=RELATIONS, default="mother")

    class Meta:
        table_name = "student_guardian"
        indexes = ((("student", "guardian"), True),)

    def __str__(self):
        return f"{self.guardian} → {self.student}"
