"""Admin views of students, guardians, their links and enrollments."""

from flask_admin.contrib.peewee.filters import (
    FilterEmpty,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from flask_admin.form import BaseForm
from flask_admin.model.form import InlineFormAdmin
from wtforms.fields import HiddenField, SelectField
from wtforms.validators import InputRequired

from admin_views.base import SecureModelView, Writes
from admin_views.forms import REQUIRED_MESSAGE, SelectWidget, blank_choices, choice_field
from admin_views.privacy import PersonDetails
from admin_views.school import GRADE_OPTIONS, ClassField, class_filters, school_today
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    RELATIONS,
    ClassGroup,
    Enrollment,
    Guardian,
    SchoolYear,
    Student,
    StudentGuardian,
)
from app.permissions import Perm
from app.services import students


def student_choices():
    """Return the students by surname and name."""
    return Student.select().order_by(Student.last_name, Student.first_name, Student.middle_name)


def student_label(student: Student) -> str:
    """Label a student by full name and birth date, which tells namesakes apart."""
    born = f" ({format_date(student.birth_date)})" if student.birth_date else ""
    return f"{student.full_name}{born}"


def guardian_choices():
    """Return the guardians by surname and name."""
    return Guardian.select().order_by(Guardian.last_name, Guardian.first_name, Guardian.middle_name)


def guardian_label(guardian: Guardian) -> str:
    """Label a guardian by full name and phone, which tells namesakes apart."""
    phone = f" (тел. {guardian.phone})" if guardian.phone else ""
    return f"{guardian.full_name}{phone}"


StudentField = choice_field(student_choices, student_label)
GuardianField = choice_field(guardian_choices, guardian_label)


# --- guardians inline on the student's form ----------------------------------------------------


def guardian_links(field) -> list[students.GuardianLink]:
    """Return the inline rows of the student's form as the guardian links the service saves."""
    return [
        students.GuardianLink(
            link_id=parse_id(entry.get_pk()),
            guardian=entry.form.guardian.data,
            relation=entry.form.relation.data,
            remove=field.should_delete(entry),
        )
        for entry in field.entries
    ]


class GuardianLinkForm(BaseForm):
    id = HiddenField()
    guardian = GuardianField("Родитель", validators=[InputRequired("Выберите родителя.")])
    relation = SelectField(
        "Кем приходится",
        choices=blank_choices(RELATIONS),
        validators=[InputRequired(REQUIRED_MESSAGE)],
        widget=SelectWidget(),
    )


class GuardianLinkInline(InlineFormAdmin):
    """The student's guardians, edited on the student's own form."""

    form_label = "Родители (законные представители)"

    def get_form(self):
        return GuardianLinkForm


# --- views ------------------------------------------------------------------------------------------


class StudentsView(SecureModelView):
    """A view of the students area: everyone with students.view reads, students.manage writes."""

    required_permission = Perm.STUDENTS_VIEW
    manage_permission = Perm.STUDENTS_MANAGE


class StudentView(PersonDetails, StudentsView):
    subject_access_kind = "student"
    writes = Writes(students.create_student, students.update_student, students.delete_student)
    joined_models = (ClassGroup,)
    column_list = ["last_name", "first_name", "middle_name", "birth_date", "current_class"]
    column_details_list = ["last_name", "first_name", "middle_name", "birth_date", "current_class", "notes"]
    column_sortable_list = ["last_name", "first_name", "birth_date", ("current_class", ClassGroup.grade)]
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ["last_name", "first_name", "middle_name"]
    column_filters = [
        IntEqualFilter(ClassGroup.grade, "Класс сейчас: параллель", options=GRADE_OPTIONS),
        FilterEqual(ClassGroup.letter, "Класс сейчас: буква"),
        FilterEmpty(ClassGroup.id, "Класс сейчас"),
    ]
    form_columns = ["last_name", "first_name", "middle_name", "birth_date", "notes"]
    # Saved with the student by the service (students.GuardianLink), in the student's transaction.
    inline_models = (GuardianLinkInline(StudentGuardian),)

    column_formatters = {
        "current_class": lambda view, context, model, name: getattr(model, "current_class", None) or "",
    }

    def get_query(self):
        return students.with_current_class(super().get_query(), school_today())

    def get_one(self, id):
        # The details page shows the current class too; scope is checked by the base.
        student = super().get_one(id)
        if student is not None:
            student.current_class = students.current_class(student, school_today())
        return student

    def write_args(self) -> dict:
        return {"today": school_today()}

    def form_values(self, form, obj=None) -> dict:
        return {**super().form_values(form, obj), "guardians": guardian_links(form.guardian_links)}

    def validate_model(self, model, is_created):
        students.validate_student(model, school_today())


class GuardianView(PersonDetails, StudentsView):
    subject_access_kind = "guardian"
    writes = Writes(students.create_guardian, students.update_guardian, students.delete_guardian)
    column_list = ["last_name", "first_name", "middle_name", "phone", "email"]
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ["last_name", "first_name", "middle_name", "phone", "email"]

    def validate_model(self, model, is_created):
        students.validate_guardian(model)


class StudentGuardianView(StudentsView):
    writes = Writes(students.create_link, students.update_link, students.delete_link)
    joined_models = (Student, Guardian)
    column_list = ["student", "guardian", "relation"]
    column_choices = {"relation": list(RELATIONS)}
    column_sortable_list = [("student", Student.last_name), ("guardian", Guardian.last_name), "relation"]
    column_default_sort = [(Student.last_name, False), (Student.first_name, False)]
    column_searchable_list = [Student.last_name, Guardian.last_name]
    column_filters = [
        FilterLike(Student.last_name, "Ученик (фамилия)"),
        FilterLike(Guardian.last_name, "Родитель (фамилия)"),
        FilterEqual(StudentGuardian.relation, "Кем приходится", options=list(RELATIONS)),
    ]
    form_columns = ["student", "guardian", "relation"]
    form_overrides = {"student": StudentField, "guardian": GuardianField}

    def get_query(self):
        return (
            super()
            .get_query()
            .select_extend(Student, Guardian)
            .join(Student)
            .switch(StudentGuardian)
            .join(Guardian)
            .switch(StudentGuardian)
        )

    def validate_model(self, model, is_created):
        students.validate_link(model)


class EnrollmentView(StudentsView):
    writes = Writes(students.create_enrollment, students.update_enrollment, students.delete_enrollment)
    joined_models = (Student, ClassGroup, SchoolYear)
    column_list = ["student", "class_group", "class_group.year", "start_date", "end_date"]
    column_descriptions = {"end_date": "Пусто — до конца учебного года класса."}
    column_sortable_list = [
        ("student", Student.last_name),
        ("class_group", ClassGroup.grade),
        ("class_group.year", SchoolYear.start_date),
        "start_date",
        "end_date",
    ]
    column_default_sort = [
        (SchoolYear.start_date, True),
        (ClassGroup.grade, False),
        (ClassGroup.letter, False),
        (Student.last_name, False),
        (Student.first_name, False),
    ]
    column_searchable_list = [Student.last_name, Student.first_name]
    column_filters = [
        *class_filters(),
        FilterLike(Student.last_name, "Ученик (фамилия)"),
    ]
    form_columns = ["student", "class_group", "start_date", "end_date"]
    form_overrides = {"student": StudentField, "class_group": ClassField}

    def get_query(self):
        return (
            super()
            .get_query()
            .select_extend(Student, ClassGroup, SchoolYear)
            .join(Student)
            .switch(Enrollment)
            .join(ClassGroup)
            .join(SchoolYear)
            .switch(Enrollment)
        )

    def validate_model(self, model, is_created):
        students.validate_enrollment(model)


def register(admin) -> None:
    """Register this area's views."""
    category = "Ученики"
    admin.add_view(StudentView(Student, name="Ученики", category=category))
    admin.add_view(GuardianView(Guardian, name="Родители", category=category))
    admin.add_view(StudentGuardianView(StudentGuardian, name="Связи ученик—родитель", category=category))
    admin.add_view(EnrollmentView(Enrollment, name="Зачисления", category=category))
