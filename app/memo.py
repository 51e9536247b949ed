"""A per-request memo: what one request reads several times (the school's settings, a person's journals) is read once.

The web opens a fresh memo when a request starts and drops it when the request ends
(`register_request_hooks` in `app/db.py`), so nothing outlives its request: a settings change saved
by one request is what the next one reads. Outside a request (CLI commands, workers, a test calling a
service) no memo is open and every read goes to the database, as before.

An entry names the tables it was read from; a write through a model to one of them (an exported
row's save, update, insert or delete, `SchoolSettings.save`) drops the entry, so a request that
writes and then reads again sees its own write.
"""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


def open_memo() -> None:
    """Start an empty memo for the request that begins (replacing any left over)."""
    _memo.set({})


def close_memo() -> None:
    """Drop the request's memo: later reads go to the database."""
    _memo.set(None)


def remember(key, tables: Iterable[str], load: Callable[[], T]) -> T:
    """Return `load()`, read once per request under `key`; `tables` are the tables it reads (a write drops it)."""
    store = _memo.get()
    if store is None:
        return load()
    if key not in store:
        store[key] = (load(), frozenset(tables))
    return store[key][0]


def touched(table: str) -> None:
    """Forget every remembered read of `table` (a model wrote to it)."""
    store = _memo.get()
    if store:
        for key in [key for key, (_, tables) in store.items() if table in tables]:
            del store[key]
