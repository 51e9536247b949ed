"""Admin views of study groups and journals: groups, their members, journals, teaching load, timetable, splits.

Everyone with school.view reads these lists (in their row scope); the administrator
(school.manage) and the deputy (journal.check) keep them (`groups.may_manage`). A whole-class
group comes and goes with its class: it is shown here but never edited. The split page divides a
class into groups of one split and places its students from a date, keeping the history.
"""

import datetime as dt
import re

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.peewee.filters import BasePeeweeFilter, FilterEqual, FilterLike, IntEqualFilter
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from peewee import JOIN
from wtforms.validators import NumberRange, Optional

from admin_views.base import SecureBaseView, SecureModelView, Writes
from admin_views.forms import choice_field
from admin_views.school import (
    GRADE_OPTIONS,
    WEEKDAY_OPTIONS,
    StaffField,
    SubjectField,
    YearField,
    class_choices,
    class_label,
    school_today,
)
from admin_views.staff import CheckboxListField
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    GROUP_KINDS,
    JOURNAL_KINDS,
    WEEKDAYS,
    ClassGroup,
    GroupMembership,
    Journal,
    Room,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
    TeachingAssignment,
    TimetableSlot,
)
from app.permissions import Perm
from app.services import access, groups
from app.services.errors import AccessDenied, DomainError, NotFound

CATEGORY = "Группы и журналы"
# The dates a page may be asked about: any school year, far from the calendar's ends.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
ISO_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _me():
    return current_user._get_current_object()


def parse_day(value) -> dt.date | None:
    """Return an ISO date (as date inputs send it) within the sane range, else None."""
    if not isinstance(value, str) or not ISO_DAY_RE.match(value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def day_in_year(value, year: SchoolYear) -> dt.date:
    """Return the page's ?date= (today by default, held inside the year), with a Russian note for a bad one."""
    today = school_today()
    default = min(max(today, year.start_date), year.end_date)
    if not value:
        return default
    day = parse_day(value)
    if day is None:
        flash(f"Дата «{str(value)[:20]}» не распознана: показано на {format_date(default)}.", "warning")
        return default
    return day


def student_choices():
    """Return the students the person may see, by surname (for a membership's select)."""
    query = Student.select().order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
    return access.scope(query, _me(), Student)


def student_label(student: Student) -> str:
    """Label a student with the birth date, as namesakes are common."""
    born = f", {format_date(student.birth_date)}" if student.birth_date else ""
    return f"{student.full_name}{born}"


OptionalClassField = choice_field(class_choices, class_label, allow_blank=True)
GroupField = choice_field(groups.group_choices, groups.group_label)
ListedGroupField = choice_field(lambda: groups.group_choices(listed_only=True), groups.group_label)
StudentField = choice_field(student_choices, student_label)
JournalField = choice_field(lambda: groups.journal_choices(school_today()), groups.journal_choice_label)
RoomField = choice_field(lambda: Room.select().order_by(Room.name), allow_blank=True)


class GroupsView(SecureModelView):
    """A view of groups and journals: school.view reads in its scope; the administrator and the deputy write."""

    required_permission = Perm.SCHOOL_VIEW
    # The administrator's code names the owner (the browser tests log in as them); the deputy writes too.
    manage_permission = Perm.SCHOOL_MANAGE

    def _may_manage(self) -> bool:
        return groups.may_manage(current_user)


class _KeepJournalChoice:
    """A form with a journal select that offers the journals of years not over, and the record's own."""

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None:
            form.journal.query = groups.journal_choices(school_today(), keep=obj.journal_id)
        return form


# --- groups ---------------------------------------------------------------------------------


def _member_count(view, context, model, name):
    count = getattr(model, "member_count", None)
    if count is None:  # the details page: one row
        today = school_today()
        count = len(groups.member_spans([model], today, today)[model.id])
    return count


class StudyGroupView(GroupsView):
    """«Группы»: every study group with its kind, class, split and members today; a group's members on a date."""

    writes = Writes(groups.create_group, groups.update_group, groups.delete_group)
    details_template = "groups/group_details.html"
    joined_models = (SchoolYear, ClassGroup)
    column_list = ["name", "kind", "class_group", "split", "grade", "year", "member_count"]
    column_details_list = ["name", "kind", "year", "class_group", "split", "grade", "member_count"]
    column_choices = {"kind": list(GROUP_KINDS)}
    column_sortable_list = [
        "name",
        "kind",
        ("class_group", ClassGroup.grade),
        "split",
        "grade",
        ("year", SchoolYear.start_date),
    ]
    column_default_sort = [(SchoolYear.start_date, True), ("grade", False), ("name", False)]
    column_searchable_list = ["name"]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterEqual(StudyGroup.kind, "Вид группы", options=list(GROUP_KINDS)),
        IntEqualFilter(StudyGroup.grade, "Параллель", options=GRADE_OPTIONS),
        FilterEqual(ClassGroup.letter, "Класс: буква"),
        FilterLike(StudyGroup.split, "Деление"),
        FilterLike(StudyGroup.name, "Название"),
    ]
    column_formatters = {"member_count": _member_count}
    column_formatters_detail = {"member_count": _member_count}
    form_columns = ["kind", "year", "class_group", "split", "name", "grade"]
    form_overrides = {"year": YearField, "class_group": OptionalClassField}
    form_args = {
        "kind": {"choices": list(groups.LISTED_KINDS)},
        "grade": {"validators": [Optional(), NumberRange(1, 11, message="Параллель — число от 1 до 11.")]},
    }
    column_descriptions = {
        "kind": "Группа «весь класс» создаётся вместе с классом; здесь заводят группы класса, сводные и "
        "индивидуальные.",
        "class_group": "Только для группы класса: её год и параллель берутся из класса.",
        "split": "Для группы класса, например «англ.»: ученик может быть только в одной группе деления.",
        "grade": "Пусто — разновозрастная группа.",
    }

    def get_query(self):
        query = (
            super()
            .get_query()
            .select_extend(SchoolYear, ClassGroup)
            .join(SchoolYear)
            .switch(StudyGroup)
            .join(ClassGroup, JOIN.LEFT_OUTER, on=(StudyGroup.class_group == ClassGroup.id))
            .switch(StudyGroup)
        )
        return groups.with_member_count(query, school_today())

    def validate_model(self, model, is_created):
        groups.validate_group(model)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if request.method == "POST":
            self._guard_write()
        group = self.get_one(request.args.get("id"))
        if group is not None and group.is_whole_class:
            flash(
                "Группа «весь класс» меняется вместе с классом (раздел «Классы»), её состав — в разделе «Зачисления».",
                "info",
            )
            return redirect(self.get_url(".details_view", id=group.id, url=get_redirect_target()), 303)
        return super().edit_view()

    def render(self, template, **kwargs):
        # The details page also shows the group's members on a date (?date=) and every span of its history.
        if template == self.details_template and kwargs.get("model") is not None:
            group = kwargs["model"]
            day = day_in_year(request.args.get("date"), group.year)
            kwargs.update(
                members_day=day,
                members=groups.members_on(group, day),
                history=groups.group_history(group),
                may_split=group.kind == "subgroup" and groups.may_manage(current_user),
            )
        return super().render(template, **kwargs)


class GroupMembershipView(GroupsView):
    """«Составы групп»: who is in which group, from which day to which (a whole class's are its enrollments)."""

    writes = Writes(groups.create_membership, groups.update_membership, groups.delete_membership)
    joined_models = (StudyGroup, SchoolYear, Student)
    column_list = ["group", "student", "start_date", "end_date"]
    column_sortable_list = [
        ("group", StudyGroup.name),
        ("student", Student.last_name),
        "start_date",
        "end_date",
    ]
    column_default_sort = [
        (SchoolYear.start_date, True),
        (StudyGroup.name, False),
        (Student.last_name, False),
        (Student.first_name, False),
        ("start_date", False),
    ]
    column_searchable_list = [Student.last_name, StudyGroup.name]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterLike(StudyGroup.name, "Группа"),
        FilterLike(StudyGroup.split, "Деление"),
        FilterLike(Student.last_name, "Ученик (фамилия)"),
    ]
    form_columns = ["group", "student", "start_date", "end_date"]
    form_overrides = {"group": ListedGroupField, "student": StudentField}
    column_descriptions = {
        "end_date": "Пусто — до конца учебного года. Ученик, выбывший из класса, выходит и из его групп.",
    }

    def get_query(self):
        return (
            super()
            .get_query()
            .select_extend(StudyGroup, SchoolYear, Student)
            .join(StudyGroup)
            .join(SchoolYear)
            .switch(GroupMembership)
            .join(Student)
            .switch(GroupMembership)
        )

    def validate_model(self, model, is_created):
        groups.validate_membership(model)


# --- journals -------------------------------------------------------------------------------


class TeacherSurnameFilter(BasePeeweeFilter):
    """Journals one of whose teachers has a surname containing the text."""

    def apply(self, query, value):
        taught = (
            TeachingAssignment.select(TeachingAssignment.journal)
            .join(Staff, on=(TeachingAssignment.teacher == Staff.id))
            .where(Staff.last_name.contains(value))
        )
        return query.where(Journal.id.in_(taught))

    def operation(self):
        return "содержит"


def _teachers(view, context, model, name):
    found = getattr(model, "_teachers", None)
    if found is None:  # the details page: one row, one query
        found = groups.teachers_of([model.id])[model.id]
    return ", ".join(staff.short_name for staff in found) or "—"


def teacher_options(journal=None) -> list[tuple[str, str]]:
    """Return (id, name) of the active staff, and of the journal's own teachers if blocked since, by surname."""
    keep = [t.id for t in groups.teachers_of([journal.id])[journal.id]] if journal is not None else []
    query = Staff.select().where((Staff.active == True) | Staff.id.in_(keep or [0]))  # noqa: E712
    rows = query.order_by(Staff.last_name, Staff.first_name, Staff.middle_name, Staff.id)
    return [(str(s.id), s.full_name if s.active else f"{s.full_name} (заблокирован(а))") for s in rows]


class JournalRecordView(GroupsView):
    """«Журналы»: what each group is taught — a subject or a course, its kind and its teachers."""

    writes = Writes(groups.create_journal, groups.update_journal, groups.delete_journal)
    joined_models = (StudyGroup, Subject, SchoolYear)
    column_list = ["group", "subject", "kind", "year", "teachers"]
    column_details_list = ["group", "subject", "kind", "year", "teachers"]
    column_choices = {"kind": list(JOURNAL_KINDS)}
    column_sortable_list = [
        ("group", StudyGroup.name),
        ("subject", Subject.name),
        "kind",
        ("year", SchoolYear.start_date),
    ]
    column_default_sort = [
        (SchoolYear.start_date, True),
        (StudyGroup.grade, False),
        (StudyGroup.name, False),
        (Subject.name, False),
    ]
    column_searchable_list = [StudyGroup.name, Subject.name]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterLike(StudyGroup.name, "Группа"),
        FilterLike(Subject.name, "Предмет"),
        FilterEqual(Journal.kind, "Вид деятельности", options=list(JOURNAL_KINDS)),
        TeacherSurnameFilter(Journal.id, "Учитель (фамилия)"),
    ]
    column_formatters = {"teachers": _teachers}
    column_formatters_detail = {"teachers": _teachers}
    form_columns = ["group", "subject", "kind"]
    form_overrides = {"group": GroupField, "subject": SubjectField}
    form_extra_fields = {"teachers": CheckboxListField("Учителя", choices=[])}
    column_descriptions = {
        "teachers": "Учитель получает журнал в свою нагрузку; снять учителя, по которому составлено расписание, "
        "нельзя.",
    }

    def get_query(self):
        return (
            super()
            .get_query()
            .select_extend(StudyGroup, Subject, SchoolYear)
            .join(StudyGroup, on=(Journal.group == StudyGroup.id))
            .switch(Journal)
            .join(Subject, on=(Journal.subject == Subject.id))
            .switch(Journal)
            .join(SchoolYear, on=(Journal.year == SchoolYear.id))
            .switch(Journal)
        )

    def decorate_rows(self, rows):
        teachers = groups.teachers_of([row.id for row in rows])
        for row in rows:
            row._teachers = teachers[row.id]

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.teachers.choices = teacher_options()
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        form.teachers.choices = teacher_options(obj)
        if request.method != "POST" and obj is not None:
            form.teachers.data = [str(t.id) for t in groups.teachers_of([obj.id])[obj.id]]
        return form

    def form_values(self, form, obj=None) -> dict:
        return {**super().form_values(form, obj), "teachers": list(form.teachers.data or [])}

    def validate_model(self, model, is_created):
        groups.validate_journal(model)


def with_journal_and_teacher(query):
    """Join a load or timetable query with its journal's group, subject and year and its teacher (no N+1)."""
    model = query.model
    return (
        query.select_extend(Journal, StudyGroup, Subject, SchoolYear, Staff)
        .join(Journal, on=(model.journal == Journal.id))
        .join(StudyGroup, on=(Journal.group == StudyGroup.id))
        .switch(Journal)
        .join(Subject, on=(Journal.subject == Subject.id))
        .switch(Journal)
        .join(SchoolYear, on=(Journal.year == SchoolYear.id))
        .switch(model)
        .join(Staff, on=(model.teacher == Staff.id))
        .switch(model)
    )


class TeachingAssignmentView(_KeepJournalChoice, GroupsView):
    """«Учебная нагрузка»: which teacher keeps which journal."""

    writes = Writes(groups.create_assignment, groups.update_assignment, groups.delete_assignment)
    joined_models = (Journal, StudyGroup, Subject, SchoolYear, Staff)
    column_list = ["year", "group", "subject", "teacher"]
    column_sortable_list = [
        ("year", SchoolYear.start_date),
        ("group", StudyGroup.name),
        ("subject", Subject.name),
        ("teacher", Staff.last_name),
    ]
    column_default_sort = [
        (SchoolYear.start_date, True),
        (StudyGroup.grade, False),
        (StudyGroup.name, False),
        (Subject.name, False),
    ]
    column_searchable_list = [StudyGroup.name, Subject.name, Staff.last_name]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterLike(StudyGroup.name, "Группа"),
        FilterLike(Subject.name, "Предмет"),
        FilterLike(Staff.last_name, "Учитель (фамилия)"),
    ]
    column_formatters = {
        "year": lambda view, context, model, name: model.journal.year,
        "group": lambda view, context, model, name: model.journal.group,
        "subject": lambda view, context, model, name: model.journal.subject,
    }
    column_formatters_detail = column_formatters
    column_details_list = ["journal", "year", "group", "subject", "teacher"]
    form_columns = ["journal", "teacher"]
    form_overrides = {"journal": JournalField, "teacher": StaffField}

    def get_query(self):
        return with_journal_and_teacher(super().get_query())

    def validate_model(self, model, is_created):
        groups.validate_assignment(model)


class TimetableSlotView(_KeepJournalChoice, GroupsView):
    """«Расписание»: the weekly lessons of each journal, with the group, subject, teacher and dates."""

    writes = Writes(groups.create_slot, groups.update_slot, groups.delete_slot)
    joined_models = (Journal, StudyGroup, Subject, SchoolYear, Staff, Room)
    column_list = ["group", "subject", "weekday", "lesson_number", "teacher", "room", "valid_from", "valid_to"]
    column_details_list = [
        "journal",
        "group",
        "subject",
        "weekday",
        "lesson_number",
        "teacher",
        "room",
        "valid_from",
        "valid_to",
    ]
    column_choices = {"weekday": list(WEEKDAYS)}
    column_sortable_list = [
        ("group", StudyGroup.name),
        ("subject", Subject.name),
        "weekday",
        "lesson_number",
        ("teacher", Staff.last_name),
        ("room", Room.name),
        "valid_from",
        "valid_to",
    ]
    column_default_sort = [
        (SchoolYear.start_date, True),
        (StudyGroup.grade, False),
        (StudyGroup.name, False),
        ("weekday", False),
        ("lesson_number", False),
    ]
    column_searchable_list = [StudyGroup.name, Subject.name, Staff.last_name]
    column_filters = [
        FilterEqual(SchoolYear.name, "Учебный год"),
        FilterLike(StudyGroup.name, "Группа"),
        FilterLike(Subject.name, "Предмет"),
        FilterLike(Staff.last_name, "Учитель (фамилия)"),
        FilterEqual(Room.name, "Кабинет"),
        IntEqualFilter(TimetableSlot.weekday, "День недели", options=WEEKDAY_OPTIONS),
    ]
    column_formatters = {
        "group": lambda view, context, model, name: model.journal.group,
        "subject": lambda view, context, model, name: model.journal.subject,
    }
    column_formatters_detail = column_formatters
    form_columns = ["journal", "weekday", "lesson_number", "teacher", "room", "valid_from", "valid_to"]
    form_overrides = {"journal": JournalField, "teacher": StaffField, "room": RoomField}
    form_args = {
        "lesson_number": {"validators": [NumberRange(*groups.LESSON_NUMBERS, message="Номер урока — от 1 до 10.")]}
    }

    def get_query(self):
        query = with_journal_and_teacher(super().get_query())
        return (
            query.select_extend(Room)
            .join(Room, JOIN.LEFT_OUTER, on=(TimetableSlot.room == Room.id))
            .switch(TimetableSlot)
        )

    def validate_model(self, model, is_created):
        groups.validate_slot(model)


# --- the split page -------------------------------------------------------------------------


class SplitView(SecureBaseView):
    """«Деление класса на группы»: make the groups of a split, then tick each student's group from a date."""

    codes = groups.MANAGE_PERMISSIONS

    def is_accessible(self):
        return current_user.is_authenticated and groups.may_manage(current_user)

    def _class(self, value) -> ClassGroup:
        number = parse_id(value)
        class_group = ClassGroup.get_or_none(ClassGroup.id == number) if number is not None else None
        if class_group is None:
            raise NotFound("Класс не найден.")
        if not access.can_see(_me(), class_group):
            raise AccessDenied("Этот класс вам не виден.")
        return class_group

    def _split(self, class_group: ClassGroup, value) -> tuple[str, list[StudyGroup]]:
        split = value if isinstance(value, str) else ""
        found = groups.split_groups(class_group, split) if split.isprintable() else []
        if not found:
            shown = "".join(ch for ch in split[:60] if ch.isprintable())
            raise NotFound(f"У класса {class_group} нет деления «{shown}».")
        return split, found

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.args.get("class"):
            return self._placement_page(request.args.get("class"), request.args.get("split"), request.args.get("date"))
        year = SchoolYear.get_or_none(SchoolYear.is_current == True)  # noqa: E712
        status = 200
        values = {"class_group": "", "split": "", "count": "2"}
        if request.method == "POST":
            values = {name: request.form.get(name, "") for name in values}
            try:
                if not values["class_group"]:
                    raise DomainError("Выберите класс, который делится на группы.", "class_group")
                class_group = self._class(values["class_group"])
                groups.create_split(_me(), class_group, values["split"], values["count"])
            except (AccessDenied, NotFound):
                raise
            except DomainError as exc:
                flash(exc.message, "error")
                status = 400
            else:
                split = groups.clean_split(values["split"])
                flash(f"Группы деления «{split}» класса {class_group} готовы: отметьте, кто в какой группе.", "success")
                return redirect(url_for(".index", **{"class": class_group.id, "split": split}), 303)
        classes = (
            list(ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter))
            if year
            else []
        )
        if year is None:
            flash("Не выбран текущий учебный год: отметьте его в разделе «Учебные годы».", "warning")
        return self.render(
            "groups/split.html",
            year=year,
            classes=classes,
            splits=groups.splits_of_year(year) if year else [],
            split_names=groups.split_names(),
            values=values,
            max_groups=groups.SPLIT_MAX_GROUPS,
        ), status

    def _placement_page(self, class_value, split_value, date_value, status=200):
        class_group = self._class(class_value)
        split, split_groups = self._split(class_group, split_value)
        day = day_in_year(date_value, class_group.year)
        placement = groups.split_placement(class_group, split, day)
        return self.render(
            "groups/split_placement.html",
            class_group=class_group,
            split=split,
            day=day,
            placement=placement,
            history=groups.split_history(class_group, split),
        ), status

    @expose("/place", methods=("POST",))
    def place(self):
        class_group = self._class(request.form.get("class"))
        split, split_groups = self._split(class_group, request.form.get("split"))
        day = parse_day(request.form.get("day", ""))
        try:
            if day is None:
                raise DomainError("Укажите, с какого дня действует распределение.", "day")
            moves = groups.place_students(_me(), split_groups, self._ticked_changes(), day)
        except (AccessDenied, NotFound):
            raise
        except DomainError as exc:
            flash(exc.message, "error")
            return self._placement_page(class_group.id, split, request.form.get("day"), status=400)
        if moves:
            flash(f"Сохранено с {format_date(day)}: переведено учеников — {moves}.", "success")
        else:
            flash("Ничего не изменилось: отметки совпадают с составом групп на эту дату.", "info")
        return redirect(url_for(".index", **{"class": class_group.id, "split": split, "date": day.isoformat()}), 303)

    @staticmethod
    def _ticked_changes() -> dict[str, str]:
        """Return {student id: group id or "0"} for every row whose tick differs from what the page showed."""
        changes = {}
        for key, value in request.form.items():
            if key.startswith("place-"):
                student = key.removeprefix("place-")
                if value != request.form.get(f"was-{student}"):
                    changes[student] = value
        return changes


def register(admin) -> None:
    """Register this area's views."""
    admin.add_view(StudyGroupView(StudyGroup, name="Группы", category=CATEGORY))
    admin.add_view(
        SplitView(name="Деление класса на группы", endpoint="groups_split", url="/groups/split", category=CATEGORY)
    )
    admin.add_view(GroupMembershipView(GroupMembership, name="Составы групп", category=CATEGORY))
    admin.add_view(JournalRecordView(Journal, name="Журналы", endpoint="journals", url="/journals", category=CATEGORY))
    admin.add_view(TeachingAssignmentView(TeachingAssignment, name="Учебная нагрузка", category=CATEGORY))
    admin.add_view(TimetableSlotView(TimetableSlot, name="Расписание", category=CATEGORY))
