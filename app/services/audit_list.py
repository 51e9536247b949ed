"""The audit trail's list at a year's scale: the search through its text index, pages by keyset.

A school's year is about a million entries (migration 024 has the indexes). The list is newest
first; a page is the entries just older (or newer) than one entry of the page before it — never
OFFSET, never a COUNT of the whole trail — so the thousandth page costs what the first does.

The search finds entries whose person or record holds every word typed, case and ё/е aside,
through the trigram index (SQLite FTS5, PostgreSQL pg_trgm): a word of fewer than three letters
cannot use it and is refused with a message.
"""

from dataclasses import dataclass

from peewee import SQL, Tuple

from app.db import db, is_sqlite
from app.models import AuditEntry
from app.services.errors import DomainError

MIN_WORD = 3
# The searched text on PostgreSQL, exactly as its index (migration 024) is built.
_POSTGRES_TEXT = "translate(lower(coalesce(actor_name, '') || ' ' || coalesce(object_repr, '')), 'ё', 'е')"


def normalise(text: str) -> str:
    """Fold a searched word the way the index folds the text: lower case, ё as е."""
    return text.lower().replace("ё", "е")


def search_words(text: str) -> list[str]:
    """Split what was typed into the words to look for; refuse a word the index cannot find."""
    words = [normalise(word) for word in (text or "").split()]
    short = [word for word in words if len(word) < MIN_WORD]
    if short:
        raise DomainError(f"Для поиска нужны слова не короче {MIN_WORD} букв: «{short[0]}» короче.")
    return words


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query, text: str):
    """Limit an audit query to the entries whose person or record holds every word of `text`."""
    words = search_words(text)
    if not words:
        return query
    p = db.param
    if is_sqlite():
        match = " AND ".join('"' + word.replace('"', '""') + '"' for word in words)
        found = SQL(f"(SELECT rowid FROM audit_search WHERE audit_search MATCH {p})", (match,))
        return query.where(AuditEntry.id.in_(found))
    for word in words:
        query = query.where(SQL(f"{_POSTGRES_TEXT} LIKE {p}", (f"%{_escape_like(word)}%",)))
    return query


@dataclass(frozen=True)
class Page:
    """One page of entries, newest first, and the entries to page from (None: no page that way)."""

    rows: list
    newer_than: int | None  # the first entry shown: the newer page ends just after it
    older_than: int | None  # the last entry shown: the older page starts just before it


def _position(entry_id) -> tuple | None:
    """The (at, id) of an entry, the place a page starts from; None for an id that is no entry."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        return None
    return AuditEntry.select(AuditEntry.at, AuditEntry.id).where(AuditEntry.id == entry_id).tuples().first()


def page(query, *, size: int, older_than=None, newer_than=None) -> Page:
    """Return the page of `query`'s entries just older (or newer) than an entry, or the newest page."""
    key = Tuple(AuditEntry.at, AuditEntry.id)
    newest_first = (AuditEntry.at.desc(), AuditEntry.id.desc())
    start, going_newer = _position(older_than), False
    if start is None and (start := _position(newer_than)) is not None:
        going_newer = True
    if start is None:
        rows = list(query.order_by(*newest_first).limit(size + 1))
        more_older, more_newer = len(rows) > size, False
    elif going_newer:
        rows = list(query.where(key > Tuple(*start)).order_by(AuditEntry.at, AuditEntry.id).limit(size + 1))
        if len(rows) <= size:  # back at the newest entries: the first page, full
            return page(query, size=size)
        more_older, more_newer = True, True
        rows = rows[:size][::-1]
    else:
        rows = list(query.where(key < Tuple(*start)).order_by(*newest_first).limit(size + 1))
        more_older, more_newer = len(rows) > size, True
    rows = rows[:size]
    return Page(
        rows=rows,
        newer_than=rows[0].id if rows and more_newer else None,
        older_than=rows[-1].id if rows and more_older else None,
    )
