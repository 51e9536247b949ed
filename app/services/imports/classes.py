"""Classes of the current school year with their class teachers: the class («5А») is the key."""

from peewee import JOIN

from app.models import ClassGroup, Staff
from app.services import school
from app.services.imports.common import CellError, Change, Context, Field, Kind, parse_class_name, record_change

FIELDS = (
    Field("class", "Класс", required=True, aliases=("класс", "название класса")),
    Field(
        "class_teacher",
        "Классный руководитель",
        aliases=("классный руководитель", "кл. руководитель", "руководитель"),
    ),
)
LABELS = {"class_teacher": "классный руководитель"}


def key(values: dict) -> str:
    try:
        grade, letter = parse_class_name(values.get("class") or "", "class")
    except CellError:
        return (values.get("class") or "").strip().upper()
    return f"{grade}{letter}"


def apply_row(ctx: Context, values: dict) -> list[Change]:
    year = ctx.need_year()
    grade, letter = parse_class_name(values["class"], "class")
    teacher = ctx.staff(values["class_teacher"], "class_teacher") if values.get("class_teacher") else None
    found = ClassGroup.get_or_none(
        (ClassGroup.year == year.id) & (ClassGroup.grade == grade) & (ClassGroup.letter == letter)
    )
    after = {"class_teacher": teacher.full_name if teacher else None}
    name = f"{grade}{letter}"
    if found is None:
        school.create_class_group(
            ctx.actor, year=year.id, grade=grade, letter=letter, class_teacher=teacher, source=ctx.source
        )
        return [record_change("Класс", name, LABELS, None, after)]
    old = Staff.get_by_id(found.class_teacher_id) if found.class_teacher_id else None
    change = record_change("Класс", name, LABELS, {"class_teacher": old.full_name if old else None}, after)
    if (old.id if old else None) != (teacher.id if teacher else None):
        change.status = "updated"
        school.update_class_group(ctx.actor, found, class_teacher=teacher, source=ctx.source)
    return [change]


def export_rows(year) -> list[dict]:
    if year is None:
        return []
    query = (
        ClassGroup.select(ClassGroup, Staff)
        .join(Staff, on=(ClassGroup.class_teacher == Staff.id), join_type=JOIN.LEFT_OUTER)
        .where(ClassGroup.year == year.id)
        .order_by(ClassGroup.grade, ClassGroup.letter)
    )
    return [{"class": str(c), "class_teacher": c.class_teacher.login if c.class_teacher_id else None} for c in query]


KIND = Kind(
    code="classes",
    title="Классы",
    description="Классы текущего учебного года и их классные руководители (логин или ФИО сотрудника).",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={"class": "5А", "class_teacher": "ivanova"},
)
