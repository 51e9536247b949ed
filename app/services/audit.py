"""Write the audit trail (DESIGN 8): who, when, what, from where, values before and after."""

import json

from app.models import AuditEntry


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
