"""The audit at a year's scale: a text index for its search and indexes its filters walk newest first.

A school's year is about a million audit entries. The list shows the newest first, a page at a time
(keyset: the page after an entry, never OFFSET), filtered by day, person or kind of record:
- (at, id) walks the whole trail newest first and takes the day filters;
- (actor_id, at) and (model, at) walk one person's or one kind of record's entries newest first;
  they replace the single-column indexes on actor_id and model, which they lead with.

The search looks for each word typed anywhere in the entry's person and record («Иванов 5А»),
case and ё/е aside, through a trigram index: SQLite's FTS5 `trigram` tokenizer in a contentless
table `audit_search` kept by triggers (rowid = the entry's id), PostgreSQL's pg_trgm GIN index on
the same normalised text. A PostgreSQL database that may not create the pg_trgm extension keeps
working without the index: the search then reads the table (say so in the operations guide).

The rollback drops all of it and restores the single-column indexes.
"""

import peewee as pw
from peewee_migrate import Migrator

# The searched text: the person and the record, lower-case, ё as е (app/services/audit_list.py
# normalises what is typed the same way).
SQLITE_TEXT = "replace(replace(coalesce({r}.actor_name, '') || ' ' || coalesce({r}.object_repr, ''), 'ё', 'е'), 'Ё', 'Е')"
POSTGRES_TEXT = "translate(lower(coalesce(actor_name, '') || ' ' || coalesce(object_repr, '')), 'ё', 'е')"

NEW_INDEXES = (
    ("audit_entry_at_id", "(at, id)"),
    ("audit_entry_actor_id_at", "(actor_id, at)"),
    ("audit_entry_model_at", "(model, at)"),
)
OLD_INDEXES = (
    ("auditentry_actor_id", "(actor_id)"),
    ("auditentry_model", "(model)"),
    ("auditentry_at", "(at)"),
)


def _sqlite_search(database) -> None:
    # SQLite's lower() folds ASCII only: case, Cyrillic's too, is folded by the trigram tokenizer.
    new, old = SQLITE_TEXT.format(r="new"), SQLITE_TEXT.format(r="old")
    database.execute_sql("CREATE VIRTUAL TABLE audit_search USING fts5(text, content='', tokenize='trigram')")
    database.execute_sql(
        f"INSERT INTO audit_search (rowid, text) SELECT id, {SQLITE_TEXT.format(r='audit_entry')} FROM audit_entry"
    )
    database.execute_sql(
        "CREATE TRIGGER audit_search_insert AFTER INSERT ON audit_entry BEGIN"
        f" INSERT INTO audit_search (rowid, text) VALUES (new.id, {new}); END"
    )
    database.execute_sql(
        "CREATE TRIGGER audit_search_delete AFTER DELETE ON audit_entry BEGIN"
        f" INSERT INTO audit_search (audit_search, rowid, text) VALUES ('delete', old.id, {old}); END"
    )
    database.execute_sql(
        "CREATE TRIGGER audit_search_update AFTER UPDATE OF actor_name, object_repr ON audit_entry BEGIN"
        f" INSERT INTO audit_search (audit_search, rowid, text) VALUES ('delete', old.id, {old});"
        f" INSERT INTO audit_search (rowid, text) VALUES (new.id, {new}); END"
    )


def _postgres_search(database) -> None:
    try:
        with database.atomic():
            database.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except pw.DatabaseError:
        return  # no right to create it: the search reads the table
    database.execute_sql(f"CREATE INDEX audit_entry_search ON audit_entry USING gin (({POSTGRES_TEXT}) gin_trgm_ops)")


def _forward(database) -> None:
    for name, columns in NEW_INDEXES:
        database.execute_sql(f"CREATE INDEX {name} ON audit_entry {columns}")
    for name, _ in OLD_INDEXES:
        database.execute_sql(f"DROP INDEX IF EXISTS {name}")
    if isinstance(database, pw.SqliteDatabase):
        _sqlite_search(database)
    else:
        _postgres_search(database)


def _back(database) -> None:
    if isinstance(database, pw.SqliteDatabase):
        for trigger in ("audit_search_insert", "audit_search_delete", "audit_search_update"):
            database.execute_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        database.execute_sql("DROP TABLE IF EXISTS audit_search")
    else:
        database.execute_sql("DROP INDEX IF EXISTS audit_entry_search")
    for name, columns in OLD_INDEXES:
        database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON audit_entry {columns}")
    for name, _ in NEW_INDEXES:
        database.execute_sql(f"DROP INDEX IF EXISTS {name}")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Index the audit for its newest-first pages, its filters and its search."""
    migrator.run(_forward, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the search and the composite indexes; restore the single-column ones."""
    migrator.run(_back, database)
