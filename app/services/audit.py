"""The audit trail (DESIGN 8): write who, when, what, from where, values before and after; show it as people read it."""

import datetime as dt
import json
from dataclasses import dataclass, field

from peewee import JOIN, BooleanField, DateField, DateTimeField, ForeignKeyField

from app import labels as registry
from app.formats import format_date
from app.models import MODELS, AuditEntry, Role
from app.models.audit import AUDIT_SOURCES
from app.models.journal import MARK_CHANGE_REASONS
from app.permissions import Perm, permission_label
from app.services import access

# Who may see portal UIDs: the holders of the permission that opens the UID list (R7.1).
UID_PERMISSION = Perm.UIDS_MANAGE
# Snapshot fields that hold a portal UID; shown only to UID_PERMISSION holders.
UID_FIELDS = frozenset({"portal_uid"})
HIDDEN = "скрыт"
EMPTY = "—"

ACTION_NAMES = {
    "create": "создание",
    "update": "изменение",
    "delete": "удаление",
    "status": "смена статуса",
    "password": "смена пароля",
    "permissions": "изменение прав роли",
    "roles": "изменение ролей сотрудника",
    "download": "скачивание пакета",
    "seed-demo": "создание демо-школы",
    "restore": "восстановление из резервной копии",
}

SOURCE_NAMES = dict(AUDIT_SOURCES)

# Codes stored without peewee choices whose Russian names live next to the model.
EXTRA_CHOICES = {("Mark", "change_reason"): dict(MARK_CHANGE_REASONS)}

MODELS_BY_NAME = {model.__name__: model for model in MODELS}


def _dump(data: dict | None) -> str | None:
    return None if data is None else json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def record(
    actor,
    action: str,
    obj=None,
    *,
    before=None,
    after=None,
    source="panel",
    model=None,
    object_id=None,
    object_repr=None,
):
    """Record one change made by `actor` (a Staff or None for the system) to `obj`."""
    return AuditEntry.create(
        actor=actor.id if actor is not None else None,
        actor_name=actor.full_name if actor is not None else "система",
        source=source,
        action=action,
        model=model or type(obj).__name__,
        object_id=str(object_id if object_id is not None else obj.get_id())
        if (obj is not None or object_id is not None)
        else None,
        object_repr=(object_repr if object_repr is not None else str(obj) if obj is not None else "")[:300],
        before=_dump(before),
        after=_dump(after),
    )


def changed_fields(entry) -> list[tuple[str, object, object]]:
    """Return (field, before, after) for every field whose value differs in an entry."""
    before, after = entry.before_data, entry.after_data
    keys = sorted(set(before) | set(after))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


# --- reading the trail ------------------------------------------------------------------------


# What an entry can be about besides a model's row.
OTHER_SUBJECTS = {"DemoSchool": "Демо-школа"}


def model_name(code: str) -> str:
    """Return the Russian singular name of a model (the code when unknown)."""
    return OTHER_SUBJECTS.get(code) or registry.model_name(code)


def action_name(code: str) -> str:
    """Return the Russian name of an audit action."""
    return ACTION_NAMES.get(code, code)


def may_see_uids(viewer) -> bool:
    """Answer whether the viewer may read portal UIDs in the trail (those who may open the UID list)."""
    return access.can(viewer, UID_PERMISSION)


@dataclass
class Labels:
    """Russian field labels (from app.labels, the one registry) and code choices, by model name.

    Choices a panel view declares for a field (`column_choices`) are taken with `add`.
    """

    choices: dict = field(default_factory=dict)

    def add(self, model_code: str, choices: dict | None) -> None:
        """Take a view's column choices for a model (the first view to name a field wins)."""
        mine = self.choices.setdefault(model_code, {})
        for name, pairs in (choices or {}).items():
            if isinstance(name, str):
                mine.setdefault(name, {str(code): str(text) for code, text in pairs})

    def label(self, model_code: str, name: str) -> str:
        """Return the Russian label of a model's field (a snapshot key such as student_id is the field student)."""
        return registry.field_label(model_code, _field_name(model_code, name)) or name

    def choice(self, model_code: str, name: str, value) -> str | None:
        """Return the Russian name of a coded value, or None when the field holds no codes."""
        field_name = _field_name(model_code, name)
        model = MODELS_BY_NAME.get(model_code)
        model_field = model._meta.fields.get(field_name) if model else None
        names = (
            self.choices.get(model_code, {}).get(field_name)
            or EXTRA_CHOICES.get((model_code, field_name))
            or (
                {str(code): text for code, text in model_field.choices} if model_field and model_field.choices else None
            )
        )
        if names is None:
            return None
        return names.get(str(value), str(value))


def _fields_by_key(model_code: str) -> dict:
    # Snapshots key a foreign key by its column (student_id) and any other field by its name.
    model = MODELS_BY_NAME.get(model_code)
    if model is None:
        return {}
    return {(f.column_name if f.column_name.endswith("_id") else name): f for name, f in model._meta.fields.items()}


def _field_name(model_code: str, key: str) -> str:
    model_field = _fields_by_key(model_code).get(key)
    return model_field.name if model_field is not None else key


@dataclass
class Row:
    """One field of an entry, its values as people read them."""

    key: str
    label: str
    before: str
    after: str
    changed: bool
    present_before: bool
    present_after: bool


@dataclass
class EntryView:
    """An audit entry ready to show: names instead of codes and ids, times in school time."""

    entry: object
    at: str
    actor: str
    source: str
    action: str
    model: str
    object: str
    object_id: str
    student: str = ""
    lesson: str = ""
    rows: list = field(default_factory=list)


class _Names:
    """Names of referenced rows, loaded for many entries at once: one query per referenced model."""

    def __init__(self):
        self.wanted: dict = {}
        self.found: dict = {}
        self.roles: dict = {}

    def want(self, model, pk) -> None:
        if model is not None and isinstance(pk, int) and not isinstance(pk, bool):
            self.wanted.setdefault(model, set()).add(pk)

    def load(self, role_codes=()) -> None:
        for model, ids in self.wanted.items():
            for row in _select_with_parents(model).where(model._meta.primary_key.in_(sorted(ids))):
                self.found[(model, row.get_id())] = str(row)
        if role_codes:
            self.roles = {
                r.code: r.name for r in Role.select(Role.code, Role.name).where(Role.code.in_(sorted(role_codes)))
            }

    def name(self, model, pk) -> str:
        found = self.found.get((model, pk))
        if found is not None:
            return found
        return f"{model_name(model.__name__)} (код {pk}, удалён)"


def _select_with_parents(model):
    # The row and, joined, every row it points at: __str__ reads them (a lesson names its class and
    # subject) without a query per row.
    parents = [(f, f.rel_model.alias()) for f in model._meta.sorted_fields if isinstance(f, ForeignKeyField)]
    query = model.select(model, *(alias for _f, alias in parents))
    for fk, alias in parents:
        on = fk == getattr(alias, fk.rel_field.name)
        query = query.join_from(model, alias, JOIN.LEFT_OUTER, on=on, attr=fk.name)
    return query


def _data(entry) -> dict:
    # The state the entry is about: after a create or change, before a deletion.
    return {**entry.before_data, **entry.after_data}


def _context_refs(entry):
    model = MODELS_BY_NAME.get(entry.model)
    data = _data(entry)
    if model is None:
        return None, None
    fields = model._meta.fields
    student = fields.get("student")
    lesson = fields.get("lesson")
    return (
        (student.rel_model, data.get("student_id")) if isinstance(student, ForeignKeyField) else (None, None),
        (lesson.rel_model, data.get("lesson_id")) if isinstance(lesson, ForeignKeyField) else (None, None),
    )


def _want_context(names: _Names, entry) -> None:
    refs = _context_refs(entry)
    if refs[0] is None:
        return
    for model, pk in refs:
        names.want(model, pk)
    if entry.model == "Mark":
        work_type = MODELS_BY_NAME["Mark"]._meta.fields["work_type"].rel_model
        names.want(work_type, _data(entry).get("work_type_id"))


def _summary(entry, names: _Names, labels: Labels) -> str:
    # What a mark or an absence is, named from its values (its stored description may lack them).
    data = _data(entry)
    if entry.model == "Mark" and data.get("value"):
        work_type = MODELS_BY_NAME["Mark"]._meta.fields["work_type"].rel_model
        pk = data.get("work_type_id")
        return f"{data['value']} ({names.name(work_type, pk)})" if pk else str(data["value"])
    if entry.model == "Absence" and data.get("reason"):
        return f"пропуск: {labels.choice('Absence', 'reason', data['reason'])}"
    return entry.object_repr


def _head(entry, viewer, clock, names: _Names, labels: Labels) -> EntryView:
    view = EntryView(
        entry=entry,
        at=clock.format(entry.at, with_seconds=True),
        actor=entry.actor_name or EMPTY,
        source=SOURCE_NAMES.get(entry.source, entry.source),
        action=action_name(entry.action),
        model=model_name(entry.model),
        object=entry.object_repr,
        object_id=entry.object_id or "",
    )
    refs = _context_refs(entry)
    if refs[0] is not None:
        (student_model, student_id), (lesson_model, lesson_id) = refs
        view.student = names.name(student_model, student_id) if student_id else ""
        view.lesson = names.name(lesson_model, lesson_id) if lesson_id else ""
        what = _summary(entry, names, labels)
        view.object = " — ".join(part for part in (view.student, what, view.lesson) if part)
    if not may_see_uids(viewer):
        # A description written with a UID in it must not show the UID either.
        for data in (entry.before_data, entry.after_data):
            for key in UID_FIELDS:
                if data.get(key):
                    view.object = view.object.replace(str(data[key]), HIDDEN)
    return view


def describe_entries(entries, viewer, clock, labels: Labels) -> list[EntryView]:
    """Return the list's view of many entries: names resolved with one query per referenced model."""
    names = _Names()
    for entry in entries:
        _want_context(names, entry)
    names.load()
    return [_head(entry, viewer, clock, names, labels) for entry in entries]


def describe_entry(entry, viewer, clock, labels: Labels) -> EntryView:
    """Return one entry with every field before and after as people read them (UIDs only for UID holders)."""
    names = _Names()
    _want_context(names, entry)
    fields = _fields_by_key(entry.model)
    before, after = entry.before_data, entry.after_data
    role_codes = set()
    for data in (before, after):
        for key, value in data.items():
            model_field = fields.get(key)
            if isinstance(model_field, ForeignKeyField):
                names.want(model_field.rel_model, value)
            if key == "roles" and isinstance(value, list):
                role_codes.update(str(v) for v in value)
    names.load(role_codes)
    view = _head(entry, viewer, clock, names, labels)
    show_uids = may_see_uids(viewer)
    changed = {name for name, _b, _a in changed_fields(entry)}
    for key in sorted(set(before) | set(after), key=lambda k: (k not in changed, labels.label(entry.model, k))):
        hide = key in UID_FIELDS and not show_uids
        view.rows.append(
            Row(
                key=key,
                label=labels.label(entry.model, key),
                before=_value(entry.model, key, before, fields, names, labels, clock, hide),
                after=_value(entry.model, key, after, fields, names, labels, clock, hide),
                changed=key in changed,
                present_before=key in before,
                present_after=key in after,
            )
        )
    return view


def _value(model_code, key, data, fields, names: _Names, labels: Labels, clock, hide: bool) -> str:
    if key not in data:
        return ""
    value = data[key]
    if hide:
        return HIDDEN
    if value is None or value == "" or value == []:
        return EMPTY
    model_field = fields.get(key)
    if isinstance(model_field, ForeignKeyField):
        return names.name(model_field.rel_model, value)
    if isinstance(value, list):
        if key == "permissions":
            return ", ".join(permission_label(str(v)) for v in value)
        if key == "roles":
            return ", ".join(names.roles.get(str(v), str(v)) for v in value)
        return ", ".join(str(v) for v in value)
    if value is True or isinstance(model_field, BooleanField) and value in (0, 1):
        return "да" if value else "нет"
    if value is False:
        return "нет"
    coded = labels.choice(model_code, key, value)
    if coded is not None:
        return coded
    if isinstance(model_field, DateTimeField):
        return _format_instant(value, clock)
    if isinstance(model_field, DateField):
        return _format_day(value)
    return str(value)


def _format_instant(value, clock) -> str:
    try:
        instant = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if instant.tzinfo is not None:
        instant = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return clock.format(instant)


def _format_day(value) -> str:
    try:
        return format_date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
