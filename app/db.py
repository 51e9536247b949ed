"""The database handle, the base model and the per-request connection hooks."""

import datetime as dt
import decimal
import functools
import re

from peewee import SQL, DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect
from playhouse.pool import PooledDatabase

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -64 * 1024,
}


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str, escape: str | None) -> re.Pattern:
    parts, chars = [], iter(pattern)
    for ch in chars:
        if escape and ch == escape:
            parts.append(re.escape(next(chars, "")))
        elif ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.S | re.IGNORECASE)


def unicode_like(pattern, value, escape=None):
    """SQLite's LIKE, case-insensitive for Cyrillic too (the built-in one folds only ASCII)."""
    if pattern is None or value is None:
        return None
    return _like_regex(pattern, escape).fullmatch(str(value)) is not None


# A pooled connection unused this long is closed rather than handed out (the server may have dropped it).
POOL_STALE_SECONDS = 300
# How long a request waits for a free pooled connection before it fails.
POOL_WAIT_SECONDS = 10


def open_database(url: str, pool: int = 0):
    """Return a peewee database for a URL, with our SQLite pragmas and Unicode LIKE applied.

    `pool` > 0 keeps up to that many PostgreSQL connections open for reuse (a web process: a new
    connection per request costs ~5 ms); SQLite opens a file and needs no pool.
    """
    if url.startswith("sqlite"):
        database = connect(url, pragmas=SQLITE_PRAGMAS, autoconnect=True)
        # -1: one function for both LIKE forms (with and without ESCAPE).
        database.register_function(unicode_like, "like", -1)
    elif pool > 0:
        scheme, rest = url.split("://", 1)
        database = connect(
            f"{scheme}+pool://{rest}",
            max_connections=pool,
            stale_timeout=POOL_STALE_SECONDS,
            timeout=POOL_WAIT_SECONDS,
            autoconnect=True,
        )
    else:
        database = connect(url, autoconnect=True)
    return database


def init_db(url: str, pool: int = 0):
    """Bind the global proxy to the database at url and return it.

    A pool bound before closes its idle connections; one still in use stays open for its holder,
    who may bind the pool again (a test that visits another database).
    """
    previous = db.obj
    if isinstance(previous, PooledDatabase):
        previous.close_idle()
    database = open_database(url, pool)
    db.initialize(database)
    return database


def refresh_statistics() -> None:
    """Have the database re-read its tables' statistics (ANALYZE), by which its planner picks indexes.

    SQLite keeps none until told, and without them it may read a journal's lessons through the
    replacement-subject index, which nearly every lesson shares (NULL): 40 ms instead of 1 ms on
    the large school. PostgreSQL's autovacuum gets there eventually, not right after a bulk load.
    Run after migrations, after seeding and nightly (workers.maintenance).
    """
    db.execute_sql("ANALYZE")


def write_atomic():
    """A transaction that reads, then writes: on SQLite it takes the write lock at its start (BEGIN IMMEDIATE).

    SQLite lets two deferred transactions read side by side; when both then write, the second cannot
    wait for the first (each holds what the other needs) and fails at once with «database is
    locked». Taking the lock first makes the second wait its turn (busy_timeout) instead. Inside a
    transaction already open it is a savepoint, as `db.atomic()` is.
    """
    return db.atomic("IMMEDIATE") if is_sqlite() and db.transaction_depth() == 0 else db.atomic()


def id_list(ids) -> SQL:
    """Our own integer ids as a literal list `(1,2,3)` for `IN`: hundreds of parameters cost more to build than to run.

    Only for ids the code read or parsed itself (each is passed through int()); an empty list matches nothing.
    """
    return SQL("(" + (",".join(str(int(i)) for i in ids) or "NULL") + ")")


def is_sqlite() -> bool:
    """Tell whether the bound database is SQLite."""
    return isinstance(db.obj, SqliteDatabase)


def register_request_hooks(app):
    """Open a connection and a fresh read memo (`app/memo.py`) for each request; close only the connection we opened."""
    from app import memo

    @app.before_request
    def _db_connect():
        from flask import g

        memo.open_memo()
        g._db_opened = db.connect(reuse_if_open=True)

    @app.teardown_request
    def _db_close(exc):
        from flask import g

        memo.close_memo()
        if getattr(g, "_db_opened", False) and not db.is_closed():
            db.close()


def plain_value(value):
    """Turn a field value into something JSON can hold (for audit snapshots and exports)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # One text for one number, however the engine scaled it: 2, not 2.00 (PostgreSQL) or 2.0.
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, bytes):
        return value.hex()
    return value


class BaseModel(Model):
    """Base of every model: bound to the proxy, able to snapshot its own values."""

    # Fields that never appear in audit snapshots (secrets).
    audit_exclude: tuple[str, ...] = ()

    class Meta:
        database = db
        legacy_table_names = False

    def snapshot(self) -> dict:
        """Return the row's column values as plain JSON-able data, secrets left out."""
        data = {}
        for name, field in self._meta.fields.items():
            if name in self.audit_exclude:
                continue
            data[field.column_name if field.column_name.endswith("_id") else name] = plain_value(
                self.__data__.get(name)
            )
        return data
