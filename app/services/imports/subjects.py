"""Subjects: name (the key) and short name."""

from app.models import Subject
from app.services import school
from app.services.imports.common import Change, Context, Field, Kind, record_change

FIELDS = (
    Field("name", "Предмет", required=True, aliases=("название", "наименование", "предмет")),
    Field("short_name", "Краткое название", aliases=("сокращение", "кратко"), max_length=40),
)
LABELS = {"short_name": "краткое название"}


def key(values: dict) -> str:
    return " ".join((values.get("name") or "").split()).lower()


def apply_row(ctx: Context, values: dict) -> list[Change]:
    name = " ".join(values["name"].split())
    found = Subject.get_or_none(Subject.name == name)
    after = {"short_name": values.get("short_name")}
    if found is None:
        school.create_subject(ctx.actor, name=name, short_name=after["short_name"], source=ctx.source)
        return [record_change("Предмет", name, LABELS, None, after)]
    change = record_change("Предмет", name, LABELS, {"short_name": found.short_name}, after)
    if change.status == "updated":
        school.update_subject(ctx.actor, found, source=ctx.source, **after)
    return [change]


def export_rows(year) -> list[dict]:
    return [{"name": s.name, "short_name": s.short_name} for s in Subject.select().order_by(Subject.name)]


KIND = Kind(
    code="subjects",
    title="Предметы",
    description="Предметы и курсы школы; загружаются первыми: нагрузка и расписание ссылаются на них.",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={"name": "Математика", "short_name": "матем."},
)
