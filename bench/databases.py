"""The benchmark databases: raw DB-API connections, copies, and the data a bench adds to a copy.

Works on SQLite (a file: `sqlite:///path`) and on PostgreSQL (`postgresql://…/name`), with the
driver the app uses (psycopg2). SQL here is written with `?` placeholders; `sql()` turns them
into `%s` for PostgreSQL.

- `copy_database(url, suffix)` makes a scratch copy (a file copy; `CREATE DATABASE … TEMPLATE`),
  `drop_database(url)` removes it.
- `double_journal(url)` gives the current year a second copy of every lesson, mark, absence and
  homework file, and copies each final mark of a period into the next period of the same kind
  where that one has none: the year's journal at twice its size.
- `change_one_day(connection, url, nth)` re-saves one school day's lessons, marks and absences
  with fresh change numbers, as a day of teaching does.
"""

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def is_postgres(url: str) -> bool:
    """Tell whether a database URL names a PostgreSQL database."""
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_path(url: str) -> Path:
    """Return the file of a `sqlite:///path` URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"Not a SQLite file URL: {url}")
    return Path(url.removeprefix("sqlite:///"))


def database_name(url: str) -> str:
    """Return the database name of a PostgreSQL URL."""
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    """Return a PostgreSQL URL naming another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def sql(url: str, text: str) -> str:
    """Return SQL written with `?` placeholders in the URL's driver's style."""
    return text.replace("?", "%s") if is_postgres(url) else text


def connect(url: str, *, autocommit: bool = False):
    """Open a plain DB-API connection (sqlite3 or psycopg2) to a benchmark database."""
    if is_postgres(url):
        import psycopg2

        connection = psycopg2.connect(url)
        connection.autocommit = autocommit
        return connection
    # Autocommit on SQLite: a write transaction is begun explicitly (BEGIN IMMEDIATE) and ended by commit().
    return sqlite3.connect(sqlite_path(url), isolation_level=None)


def _maintenance(url: str):
    # CREATE/DROP DATABASE run outside a transaction, from another database of the server.
    return connect(with_database(url, "postgres"), autocommit=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_database(url: str, suffix: str, workdir: Path | None = None) -> str:
    """Copy a benchmark database under a name ending in `suffix`; return the copy's URL.

    SQLite: the file (checkpointed first) into `workdir`. PostgreSQL: a new database made from
    the original as its template (nobody may be connected to the original meanwhile).
    """
    if not is_postgres(url):
        source = sqlite_path(url)
        connection = sqlite3.connect(source)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        target = Path(workdir or source.parent) / f"{source.stem}-{suffix}{source.suffix}"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    name = f"{database_name(url)}_{suffix}"
    maintenance = _maintenance(url)
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)}")
            cursor.execute(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(database_name(url))}")
    finally:
        maintenance.close()
    return with_database(url, name)


def drop_database(url: str) -> None:
    """Remove a copy made by copy_database."""
    if not is_postgres(url):
        path = sqlite_path(url)
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        return
    maintenance = _maintenance(url)
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote(database_name(url))}")
    finally:
        maintenance.close()


def recreate_database(url: str) -> None:
    """Drop a PostgreSQL benchmark database and create it empty (`python -m bench --fresh`)."""
    maintenance = _maintenance(url)
    name = _quote(database_name(url))
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
            cursor.execute(f"CREATE DATABASE {name}")
    finally:
        maintenance.close()


# --- writing to a copy ---------------------------------------------------------------------------


def _begin_numbered_write(connection, url: str) -> int:
    """Start a transaction that owns the change counter (as every save does); return its value."""
    cursor = connection.cursor()
    if is_postgres(url):
        cursor.execute("SELECT value FROM change_counter WHERE id = 1 FOR UPDATE")
    else:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT value FROM change_counter WHERE id = 1")
    return cursor.fetchone()[0]


def _scalar(connection, url: str, text: str, params=()):
    cursor = connection.cursor()
    cursor.execute(sql(url, text), params)
    return cursor.fetchone()[0]


def _columns(connection, url: str, table: str) -> list[str]:
    cursor = connection.cursor()
    if is_postgres(url):
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"PRAGMA table_info({table})")
    return [row[1] for row in cursor.fetchall()]


def _copy_rows(connection, url: str, table: str, where: str, overrides: dict) -> int:
    columns = _columns(connection, url, table)
    values = ", ".join(overrides.get(column, f"src.{_quote(column)}") for column in columns)
    cursor = connection.cursor()
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(map(_quote, columns))}) SELECT {values} FROM {table} src WHERE {where}"
    )
    return cursor.rowcount


def _current_year(connection, url: str) -> int:
    true = "TRUE" if is_postgres(url) else "1"
    return _scalar(connection, url, f"SELECT id FROM school_year WHERE is_current = {true}")


def _next_terms(connection, year: int) -> dict[int, int]:
    """Map each term of the year to the next one of the same kind (quarter 1 → quarter 2…)."""
    cursor = connection.cursor()
    cursor.execute(f"SELECT id, kind FROM term WHERE year_id = {int(year)} ORDER BY kind, start_date, id")
    following, previous = {}, None
    for term_id, kind in cursor.fetchall():
        if previous is not None and previous[1] == kind:
            following[previous[0]] = term_id
        previous = (term_id, kind)
    return following


def double_journal(url: str) -> dict[str, int]:
    """Double the current year's journal on a copy; return how many rows each table gained.

    Lessons, marks, absences and homework files get a second copy (fresh ids and change
    numbers; lesson numbers + 20 keep (journal, date, number) unique, so a grid shows twice the
    columns). Each period's final mark is copied into the next period of its kind where that
    period has none (the demo sets the first quarter's only): twice the finals of the year.
    """
    connection = connect(url)
    year = _current_year(connection, url)
    added = {}
    try:
        base = _begin_numbered_write(connection, url)
        tables = ("lesson", "mark", "absence", "homework_file", "final_mark")
        shift = {t: _scalar(connection, url, f"SELECT COALESCE(MAX(id), 0) FROM {t}") for t in tables}
        journals = f"SELECT id FROM journal WHERE year_id = {year}"
        lessons = f"src.journal_id IN ({journals}) AND src.id <= {shift['lesson']}"
        year_lessons = f"SELECT id FROM lesson WHERE journal_id IN ({journals}) AND id <= {shift['lesson']}"
        children = f"src.lesson_id IN ({year_lessons})"
        plans = [
            ("lesson", lessons, {"number": "src.number + 20"}),
            ("mark", children, {}),
            ("absence", children, {}),
            ("homework_file", children, {"stored_name": "src.stored_name || 'x'"}),
        ]
        for table, where, extra in plans:
            overrides = {"id": f"src.id + {shift[table]}", "change_no": f"{base} + src.id", **extra}
            if table != "lesson":
                overrides["lesson_id"] = f"src.lesson_id + {shift['lesson']}"
            added[table] = _copy_rows(connection, url, table, where, overrides)
            base += 2 * shift[table] + 1
        added["final_mark"] = 0
        # Only the finals there were before: a quarter's copies are not copied on into the next quarter.
        original_finals = shift["final_mark"]
        for term_id, next_id in _next_terms(connection, year).items():
            where = (
                f"src.id <= {original_finals} AND src.year_id = {year} AND src.kind = 'term' "
                f"AND src.term_id = {term_id} AND NOT EXISTS ("
                f"SELECT 1 FROM final_mark f WHERE f.year_id = src.year_id AND f.student_id = src.student_id "
                f"AND f.subject_id = src.subject_id AND f.kind = 'term' AND f.term_id = {next_id})"
            )
            overrides = {
                "id": f"src.id + {shift['final_mark']}",
                "change_no": f"{base} + src.id",
                "term_id": str(next_id),
            }
            added["final_mark"] += _copy_rows(connection, url, "final_mark", where, overrides)
            shift["final_mark"] = _scalar(connection, url, "SELECT COALESCE(MAX(id), 0) FROM final_mark")
            base += 2 * shift["final_mark"] + 1
        cursor = connection.cursor()
        cursor.execute(sql(url, "UPDATE change_counter SET value = ? WHERE id = 1"), (base,))
        if is_postgres(url):
            # Rows were written with their ids: the sequences must move past them for later inserts.
            for table in tables:
                top = f"(SELECT COALESCE(MAX(id), 1) FROM {table})"
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {top})")
        connection.commit()
    finally:
        connection.close()
    analyze(url)
    if not is_postgres(url):
        connection = sqlite3.connect(sqlite_path(url))
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    return added


def analyze(url: str) -> None:
    """Refresh the planner's statistics, as the app does after seeding and nightly (`db.refresh_statistics`).

    The benches run it after seeding and after doubling, so every run plans on fresh statistics.
    """
    if not is_postgres(url):
        connection = sqlite3.connect(sqlite_path(url))
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return
    connection = connect(url, autocommit=True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    finally:
        connection.close()


def school_days(connection, url: str) -> list:
    """Return the current year's school days (dates with lessons), in order."""
    year = _current_year(connection, url)
    cursor = connection.cursor()
    cursor.execute(
        sql(
            url,
            "SELECT DISTINCT l.date FROM lesson l JOIN journal j ON j.id = l.journal_id "
            "WHERE j.year_id = ? ORDER BY l.date",
        ),
        (year,),
    )
    return [row[0] for row in cursor.fetchall()]


def change_one_day(connection, url: str, nth: int) -> int:
    """Re-save the lessons of one school day with their marks and absences, with fresh change numbers.

    `connection` comes from connect(url). The doubled school's copies have lesson numbers above
    20 and are left alone: a day of changes stays one day's worth at any size.
    """
    year = _current_year(connection, url)
    connection.commit()
    days = school_days(connection, url)
    connection.commit()
    day = days[(len(days) // 3 + nth * 7) % len(days)]
    lessons = (
        "SELECT l.id FROM lesson l JOIN journal j ON j.id = l.journal_id "
        "WHERE j.year_id = ? AND l.date = ? AND l.number < 20"
    )
    changed = 0
    try:
        base = _begin_numbered_write(connection, url)
        cursor = connection.cursor()
        for table, where in (
            ("lesson", f"id IN ({lessons})"),
            ("mark", f"lesson_id IN ({lessons})"),
            ("absence", f"lesson_id IN ({lessons})"),
        ):
            top = _scalar(connection, url, f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            cursor.execute(sql(url, f"UPDATE {table} SET change_no = ? + id WHERE {where}"), (base, year, day))
            changed += cursor.rowcount
            base += top + 1
        cursor.execute(sql(url, "UPDATE change_counter SET value = ? WHERE id = 1"), (base,))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return changed
