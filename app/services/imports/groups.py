"""Study groups and their members: a group is keyed by its name in the current year, a member by group and student.

A row names a group (a subgroup of a class with its split, a cross-class group or an individual
one) and, when given, one member with the dates they are in it; a group without members is a
row without a student. Whole-class groups come with their classes and are not listed.
"""

from app.models import GROUP_KINDS, ClassGroup, GroupMembership, Student, StudyGroup
from app.services import groups as group_service
from app.services.imports.common import CellError, Change, Context, Field, Kind, record_change

FIELDS = (
    Field("group", "Группа", required=True, aliases=("название группы",), max_length=120),
    Field("kind", "Вид группы", required=True, aliases=("вид", "тип группы")),
    Field("class", "Класс"),
    Field("split", "Деление", aliases=("деление класса",), max_length=60),
    Field("grade", "Параллель", type="int"),
    Field("last_name", "Фамилия ученика", aliases=("фамилия",)),
    Field("first_name", "Имя ученика", aliases=("имя",)),
    Field("middle_name", "Отчество ученика", aliases=("отчество",)),
    Field("birth_date", "Дата рождения ученика", type="date", aliases=("дата рождения",)),
    Field("start_date", "В группе с", type="date", aliases=("с", "дата входа")),
    Field("end_date", "В группе по", type="date", aliases=("по", "дата выхода")),
)
KIND_LABELS = {label: code for code, label in GROUP_KINDS if code != "class"} | {
    code: code for code, _label in GROUP_KINDS if code != "class"
}
KIND_NAMES = dict(GROUP_KINDS)
GROUP_LABELS = {"kind": "вид", "class": "класс", "split": "деление", "grade": "параллель"}
MEMBER_LABELS = {"end_date": "в группе по"}


def key(values: dict) -> str:
    group = " ".join((values.get("group") or "").split())
    if not values.get("last_name"):
        return group
    born = values.get("birth_date")
    name = " ".join(values.get(k) or "" for k in ("last_name", "first_name", "middle_name")).strip()
    since = values.get("start_date")
    return f"{group} · {name}{f', {born:%d.%m.%Y}' if born else ''}{f' с {since:%d.%m.%Y}' if since else ''}"


def _kind(text: str) -> str:
    lowered = (text or "").strip().lower()
    if lowered not in KIND_LABELS:
        raise CellError(
            f"«{text}»: вид группы — {', '.join(label for code, label in GROUP_KINDS if code != 'class')}", "kind"
        )
    return KIND_LABELS[lowered]


def _group(ctx: Context, values: dict) -> tuple[StudyGroup, Change]:
    year = ctx.need_year()
    name = " ".join(values["group"].split())
    kind = _kind(values["kind"])
    class_group: ClassGroup | None = None
    if kind == "subgroup":
        if not values.get("class"):
            raise CellError("у группы класса укажите класс", "class")
        if not values.get("split"):
            raise CellError("у группы класса укажите деление, например «англ.»", "split")
        class_group = ctx.class_group(values["class"], "class")
    fields = {
        "year": year.id,
        "kind": kind,
        "class_group": class_group.id if class_group else None,
        "split": values.get("split") if kind == "subgroup" else None,
        "name": name,
        "grade": class_group.grade if class_group else values.get("grade"),
    }
    after = {
        "kind": KIND_NAMES[kind],
        "class": str(class_group) if class_group else None,
        "split": fields["split"],
        "grade": fields["grade"],
    }
    found = StudyGroup.get_or_none((StudyGroup.year == year.id) & (StudyGroup.name == name))
    if found is None:
        group = group_service.create_group(ctx.actor, source=ctx.source, **fields)
        return group, record_change("Группа", name, GROUP_LABELS, None, after)
    if found.is_whole_class:
        raise CellError(f"«{name}» — группа «весь класс»: её состав — зачисления класса", "group")
    old_class = ClassGroup.get_by_id(found.class_group_id) if found.class_group_id else None
    before = {
        "kind": KIND_NAMES.get(found.kind),
        "class": str(old_class) if old_class else None,
        "split": found.split,
        "grade": found.grade,
    }
    change = record_change("Группа", name, GROUP_LABELS, before, after)
    if change.status == "updated":
        group_service.update_group(ctx.actor, found, source=ctx.source, **fields)
    return found, change


def apply_row(ctx: Context, values: dict) -> list[Change]:
    group, change = _group(ctx, values)
    changes = [change]
    if not values.get("last_name"):
        return changes
    if not values.get("first_name"):
        raise CellError("укажите имя ученика", "first_name")
    if values.get("birth_date") is None:
        raise CellError("укажите дату рождения ученика", "birth_date")
    student: Student = ctx.student(
        values["last_name"], values["first_name"], values.get("middle_name"), values["birth_date"], "last_name"
    )
    start = values.get("start_date") or group.year.start_date
    found = GroupMembership.get_or_none(
        (GroupMembership.group == group.id)
        & (GroupMembership.student == student.id)
        & (GroupMembership.start_date == start)
    )
    member_key = f"{group.name} · {student.full_name}, {student.birth_date:%d.%m.%Y} с {start:%d.%m.%Y}"
    after = {"end_date": values.get("end_date")}
    if found is None:
        group_service.create_membership(
            ctx.actor,
            group=group.id,
            student=student.id,
            start_date=start,
            end_date=after["end_date"],
            source=ctx.source,
        )
        changes.append(record_change("Член группы", member_key, MEMBER_LABELS, None, after))
        return changes
    member_change = record_change("Член группы", member_key, MEMBER_LABELS, {"end_date": found.end_date}, after)
    if member_change.status == "updated":
        group_service.update_membership(ctx.actor, found, end_date=after["end_date"], source=ctx.source)
    changes.append(member_change)
    return changes


def export_rows(year) -> list[dict]:
    if year is None:
        return []
    groups = list(
        StudyGroup.select(StudyGroup)
        .where((StudyGroup.year == year.id) & (StudyGroup.kind != "class"))
        .order_by(StudyGroup.grade.asc(nulls="LAST"), StudyGroup.name)
    )
    classes = {c.id: str(c) for c in ClassGroup.select().where(ClassGroup.year == year.id)}
    members: dict[int, list] = {}
    if groups:
        query = (
            GroupMembership.select(GroupMembership, Student)
            .join(Student)
            .where(GroupMembership.group.in_([g.id for g in groups]))
            .order_by(Student.last_name, Student.first_name, GroupMembership.start_date)
        )
        for m in query:
            members.setdefault(m.group_id, []).append(m)
    out = []
    for g in groups:
        base = {
            "group": g.name,
            "kind": KIND_NAMES.get(g.kind, g.kind),
            "class": classes.get(g.class_group_id),
            "split": g.split,
            "grade": g.grade,
        }
        if not members.get(g.id):
            out.append(base)
        for m in members.get(g.id, []):
            s = m.student
            out.append(
                {
                    **base,
                    "last_name": s.last_name,
                    "first_name": s.first_name,
                    "middle_name": s.middle_name,
                    "birth_date": s.birth_date,
                    "start_date": m.start_date,
                    "end_date": m.end_date,
                }
            )
    return out


KIND = Kind(
    code="groups",
    title="Учебные группы и их состав",
    description="Группы класса (с делением, например «англ.»), сводные и индивидуальные группы; строка на каждого "
    "ученика группы. Вид группы: группа класса, сводная группа, индивидуальное обучение.",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={
        "group": "5А, англ., гр. 1",
        "kind": "группа класса",
        "class": "5А",
        "split": "англ.",
        "grade": "5",
        "last_name": "Петров",
        "first_name": "Пётр",
        "middle_name": "Иванович",
        "birth_date": "15.03.2015",
        "start_date": "01.09.2026",
    },
)
