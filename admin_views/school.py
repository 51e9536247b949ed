"""Admin views of the school's structure: settings, years, terms, holidays, classes, subjects.

Groups, journals, the teaching load and the timetable are admin_views/groups.py.
"""

from flask import current_app, flash
from flask_admin.contrib.peewee.filters import (
    BooleanEqualFilter,
    FilterEqual,
    FilterLike,
    IntEqualFilter,
)
from flask_login import current_user
from peewee import JOIN
from wtforms.validators import NumberRange, Regexp

from admin_views.base import SecureModelView, Writes
from admin_views.forms import choice_field
from app.clock import app_clock
from app.models import (
    WEEKDAYS,
    ClassGroup,
    Holiday,
    HomeworkExpectation,
    SchoolSettings,
    SchoolYear,
    Staff,
    Subject,
    Term,
)
from app.models.school import TERM_KINDS
from app.permissions import Perm
from app.services import school, students

GRADE_OPTIONS = [(str(g), str(g)) for g in range(school.GRADES[0], school.GRADES[1] + 1)]
WEEKDAY_OPTIONS = [(str(n), label) for n, label in WEEKDAYS]


def school_today():
    """Return today's date in the school's time zone (the one clock)."""
    return app_clock(current_app).today()


def class_filters() -> list:
    """Return list filters by school year and class, for views whose query joins ClassGroup and SchoolYear."""
    return [
        FilterEqual(SchoolYear.name, "Учебный год"),
        IntEqualFilter(ClassGroup.grade, "Класс: параллель", options=GRADE_OPTIONS),
        FilterEqual(ClassGroup.letter, "Класс: буква"),
    ]


def year_choices():
    """Return the school years, newest first."""
    return SchoolYear.select().order_by(SchoolYear.start_date.desc())


def class_choices():
    """Return the classes with their years, newest year first, then by grade and letter."""
    return (
        ClassGroup.select(ClassGroup, SchoolYear)
        .join(SchoolYear)
        .order_by(SchoolYear.start_date.desc(), ClassGroup.grade, ClassGroup.letter)
    )


def class_label(group: ClassGroup) -> str:
    """Label a class with its year, as classes of different years share names."""
    return f"{group} ({group.year})"


def staff_choices():
    """Return every staff member by surname (blocked ones too, so the rules can explain a refusal)."""
    return Staff.select().order_by(Staff.last_name, Staff.first_name, Staff.middle_name)


def staff_label(staff: Staff) -> str:
    """Label a staff member by full name, marking a blocked account."""
    return staff.full_name if staff.active else f"{staff.full_name} (учётная запись заблокирована)"


def subject_choices():
    """Return the subjects by name."""
    return Subject.select().order_by(Subject.name)


YearField = choice_field(year_choices)
ClassField = choice_field(class_choices, class_label)
StaffField = choice_field(staff_choices, staff_label)
OptionalStaffField = choice_field(staff_choices, staff_label, allow_blank=True)
SubjectField = choice_field(subject_choices)


class SchoolView(SecureModelView):
    """A view of the school area: everyone with school.view reads, school.manage writes."""

    required_permission = Perm.SCHOOL_VIEW
    manage_permission = Perm.SCHOOL_MANAGE


# --- views ----------------------------------------------------------------------------------------


class SchoolSettingsView(SchoolView):
    """The one row of the school's settings: edited, never created twice or deleted."""

    writes = Writes(school.create_settings, school.update_settings)
    can_delete = False
    column_list = [
        "name",
        "school_code",
        "mark_edit_days",
        "upload_max_mb",
        "half_year_grades",
        "round_from",
        "absence_reason_days",
        "min_marks",
        "backup_keep_days",
    ]
    column_sortable_list = []
    # Shown in the list (the header's «?») and under the fields of the form.
    column_descriptions = {
        "half_year_grades": "Номера параллелей через запятую, например «10, 11»: их итоговые отметки ставятся "
        "за полугодия, остальных — за четверти (или триместры). Пусто — все параллели по четвертям.",
        "round_from": "С какой доли балла средний балл округляется вверх в рекомендуемой итоговой отметке: "
        "60 — 2,60 даёт 3, а 2,59 — 2; 50 — обычное округление.",
        "absence_reason_days": "Через сколько дней после урока пропуск «н» без указанной причины попадает "
        "в замечания проверки журнала.",
        "min_marks": "Сколько отметок должно быть у ученика за период; к середине периода — пропорционально "
        "проведённым урокам, на которых он был. 0 — не проверять.",
        "backup_keep_days": "Сколько дней хранить резервные копии базы данных: более старые удаляет ночная "
        "резервная копия (последняя удачная копия остаётся всегда).",
    }
    form_args = {
        "absence_reason_days": {
            "description": column_descriptions["absence_reason_days"],
            "validators": [NumberRange(*school.ABSENCE_REASON_DAYS, message="Срок — от 1 до 60 дней.")],
        },
        "min_marks": {
            "description": column_descriptions["min_marks"],
            "validators": [NumberRange(*school.MIN_MARKS, message="Число отметок — от 0 до 20.")],
        },
        "mark_edit_days": {
            "validators": [NumberRange(*school.MARK_EDIT_DAYS, message="Срок правки отметок — от 0 до 365 дней.")]
        },
        "upload_max_mb": {"validators": [NumberRange(*school.UPLOAD_MAX_MB, message="Размер файла — от 1 до 30 МБ.")]},
        "half_year_grades": {"description": column_descriptions["half_year_grades"]},
        "backup_keep_days": {
            "description": column_descriptions["backup_keep_days"],
            "validators": [NumberRange(*school.BACKUP_KEEP_DAYS, message="Срок хранения — от 1 до 3650 дней.")],
        },
        "round_from": {
            "description": column_descriptions["round_from"],
            "validators": [
                NumberRange(*school.ROUND_FROM, message="Округление вверх — с доли от 1 до 99 сотых балла.")
            ],
        },
    }

    @property
    def can_create(self):
        # The settings row is created once (by the first save); after that it is only edited.
        return self._may_manage() and not SchoolSettings.select().exists()

    def validate_model(self, model, is_created):
        school.validate_settings(model, is_created)


class SchoolYearView(SchoolView):
    writes = Writes(school.create_school_year, school.update_school_year, school.delete_school_year)
    column_list = ["name", "start_date", "end_date", "is_current"]
    column_default_sort = ("start_date", True)
    column_searchable_list = ["name"]
    column_filters = [BooleanEqualFilter(SchoolYear.is_current, "Текущий")]
    column_descriptions = {
        "name": "Например, 2026/2027",
        "is_current": "Отметка у другого года при сохранении снимается: текущий год всегда один.",
    }

    def validate_model(self, model, is_created):
        school.validate_school_year(model)

    def after_model_change(self, form, model, is_created):
        released = getattr(model, "released_years", [])
        if released:
            names = ", ".join(str(y) for y in released)
            flash(f"Текущим стал учебный год {model}; у года {names} отметка «текущий» снята.", "info")


class TermView(SchoolView):
    writes = Writes(school.create_term, school.update_term, school.delete_term)
    joined_models = (SchoolYear,)
    column_list = ["year", "kind", "number", "start_date", "end_date", "closed"]
    column_choices = {"kind": list(TERM_KINDS)}
    column_sortable_list = [("year", SchoolYear.start_date), "kind", "number", "start_date", "end_date"]
    column_default_sort = [(SchoolYear.start_date, True), ("kind", False), ("number", False)]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterEqual(Term.kind, "Вид периода", options=list(TERM_KINDS)),
        BooleanEqualFilter(Term.closed, "Закрыт"),
    ]
    form_overrides = {"year": YearField}
    # A term is closed (and reopened) on its own page, after a look at what is unfilled: never by a bare checkbox.
    form_excluded_columns = ["change_no", "closed"]
    column_descriptions = {
        "closed": "Закрывает и снова открывает период заместитель директора: «Журнал → Закрытие периодов»."
    }

    def get_query(self):
        return super().get_query().select_extend(SchoolYear).join(SchoolYear).switch(Term)

    def validate_model(self, model, is_created):
        school.validate_term(model)


class HolidayView(SchoolView):
    writes = Writes(school.create_holiday, school.update_holiday, school.delete_holiday)
    joined_models = (SchoolYear,)
    column_list = ["year", "name", "start_date", "end_date"]
    column_sortable_list = [("year", SchoolYear.start_date), "name", "start_date", "end_date"]
    column_default_sort = [(SchoolYear.start_date, True), ("start_date", False)]
    column_searchable_list = ["name"]
    column_filters = [FilterEqual(SchoolYear.name, "Учебный год")]
    form_overrides = {"year": YearField}

    def get_query(self):
        return super().get_query().select_extend(SchoolYear).join(SchoolYear).switch(Holiday)

    def validate_model(self, model, is_created):
        school.validate_holiday(model)


class ClassGroupView(SchoolView):
    writes = Writes(school.create_class_group, school.update_class_group, school.delete_class_group)
    joined_models = (SchoolYear, Staff)
    column_list = ["name", "year", "class_teacher", "enrolled_count"]
    column_details_list = ["year", "grade", "letter", "class_teacher"]
    column_sortable_list = [
        ("name", ClassGroup.grade),
        ("year", SchoolYear.start_date),
        ("class_teacher", Staff.last_name),
    ]
    column_default_sort = [(SchoolYear.start_date, True), ("grade", False), ("letter", False)]
    column_searchable_list = [Staff.last_name]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        IntEqualFilter(ClassGroup.grade, "Параллель", options=GRADE_OPTIONS),
        FilterEqual(ClassGroup.letter, "Буква"),
        FilterLike(Staff.last_name, "Классный руководитель (фамилия)"),
    ]
    form_columns = ["year", "grade", "letter", "class_teacher"]
    form_overrides = {"year": YearField, "class_teacher": OptionalStaffField}
    form_args = {
        "grade": {"validators": [NumberRange(*school.GRADES, message="Параллель — число от 1 до 11.")]},
        "letter": {
            "filters": [lambda value: value.strip().upper() if isinstance(value, str) else value],
            "validators": [Regexp(r"^[А-ЯЁ]$", message="Буква класса — одна заглавная русская буква, например А.")],
        },
    }
    column_formatters = {"enrolled_count": lambda view, context, model, name: getattr(model, "enrolled_count", 0)}

    def get_query(self):
        query = (
            super()
            .get_query()
            .select_extend(SchoolYear, Staff)
            .join(SchoolYear)
            .switch(ClassGroup)
            .join(Staff, JOIN.LEFT_OUTER, on=ClassGroup.class_teacher)
            .switch(ClassGroup)
        )
        return students.with_enrolled_count(query, school_today())

    def validate_model(self, model, is_created):
        school.validate_class_group(model)


class SubjectView(SchoolView):
    writes = Writes(school.create_subject, school.update_subject, school.delete_subject)
    column_list = ["name", "short_name"]
    column_default_sort = "name"
    column_searchable_list = ["name", "short_name"]

    def validate_model(self, model, is_created):
        school.validate_subject(model)


class HomeworkExpectationView(SchoolView):
    """Where the journal check expects homework: a subject and its grades."""

    writes = Writes(
        school.create_homework_expectation, school.update_homework_expectation, school.delete_homework_expectation
    )
    joined_models = (Subject,)
    column_list = ["subject", "grades"]
    column_sortable_list = [("subject", Subject.name)]
    column_default_sort = [(Subject.name, False)]
    form_columns = ["subject", "grades"]
    form_overrides = {"subject": SubjectField}
    column_descriptions = {
        "grades": "Номера параллелей через запятую или диапазоном, например «5–9, 11»: проведённый урок предмета "
        "в этих параллелях без домашнего задания (ни текста, ни файла) попадёт в замечания проверки журнала.",
    }
    form_args = {"grades": {"description": column_descriptions["grades"]}}

    def _may_manage(self) -> bool:
        return school.may_manage_homework_expectations(current_user)

    def get_query(self):
        return super().get_query().select_extend(Subject).join(Subject).switch(HomeworkExpectation)

    def validate_model(self, model, is_created):
        school.validate_homework_expectation(model)


def register(admin) -> None:
    """Register this area's views."""
    category = "Школа"
    admin.add_view(SchoolSettingsView(SchoolSettings, name="Настройки школы", category=category))
    admin.add_view(SchoolYearView(SchoolYear, name="Учебные годы", category=category))
    admin.add_view(TermView(Term, name="Учебные периоды", category=category))
    admin.add_view(HolidayView(Holiday, name="Каникулы и праздники", category=category))
    admin.add_view(ClassGroupView(ClassGroup, name="Классы", category=category))
    admin.add_view(SubjectView(Subject, name="Предметы", category=category))
    admin.add_view(
        HomeworkExpectationView(HomeworkExpectation, name="Обязательное домашнее задание", category=category)
    )
