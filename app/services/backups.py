"""Backups of the database and their restore (issue 12, letter АП-147/07).

A backup is one file `<instance>/backups/ejournal-<YYYYmmdd-HHMMSS>-<id>.backup`: an uncompressed
tar holding `manifest.json` first, then the copy of the database (`database.sqlite3` or
`database.pgdump`). The manifest names the format, the engine, the schema level (the last applied
migration), the app version when one is set, when and why it was taken, and the copy's size and
sha256. Beside the file, `<file>.sha256` holds the whole file's checksum (`sha256sum -c` reads it),
which the `Backup` row keeps too. The file is self-contained: a restore needs nothing but it, so
a database lost together with its `backup` table can be brought back from the folder.

- SQLite is copied with sqlite3's online backup API in one step: a read transaction over the WAL
  database, so the web and the workers go on reading and writing while it runs.
- PostgreSQL is copied with `pg_dump --format=custom` and restored with
  `pg_restore --clean --if-exists --single-transaction`: a restore that fails changes nothing.

`restore` checks everything before it touches the live database: that the file is one of ours,
that its copy matches its checksum, that it is of this engine and not of a newer schema than the
code, and that no export is running. SQLite is restored into a temporary file first, checked
(`quick_check`, its migration history), then copied into the live database by the backup API
in one transaction. The web and the workers should be stopped for a restore (docs: README).

Public API (the year transition calls `create`):

- `create(*, reason, now, settings, actor=None, slot=None, source="system") -> Backup`
  `reason` is a code of `BACKUP_REASONS` («nightly», «manual», «year_transition», …) or any short
  text; `now` the stored instant (naive UTC, `clock.utcnow()`) or an aware one; `settings` the
  process's `app.settings.Settings` (its `database_url` and `instance_path`; a Flask config
  mapping is accepted too). Returns the finished row; raises `BackupError` (Russian message)
  after recording the failed row when the copy cannot be made.
- `list_backups()`, `last_backup()`, `status(now)`, `get_backup(actor, id)`, `backup_file(actor, id, settings)`
- `inspect(path_or_id, *, settings) -> BackupFile` (all the checks of a restore, nothing changed)
- `restore(path_or_id, *, settings, now, safety_copy=True) -> RestoreResult`
- `prune(keep_days, now, *, settings=None) -> int`, `nightly_tick(*, now, settings) -> Backup | None`
"""

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from peewee import IntegrityError
from playhouse.db_url import parse as parse_db_url

from app.clock import to_stored
from app.db import db
from app.ids import parse_id
from app.migrate import MIGRATIONS_DIR
from app.models import Backup, SchoolSettings
from app.services import access, audit
from app.services.errors import AccessDenied, DomainError, NotFound

log = logging.getLogger(__name__)

BACKUP_DIRNAME = "backups"
FORMAT = "ejournal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SUFFIX = ".backup"
# Overdue on the home page: no successful backup for this long, or the last one failed.
OVERDUE_AFTER = dt.timedelta(hours=36)
# The nightly tick backs up between these school-time hours when the last good copy is older than
# NIGHTLY_MIN_AGE; when it is overdue (the server is off at night) it backs up at any hour.
NIGHT_HOURS = range(1, 6)
NIGHTLY_MIN_AGE = dt.timedelta(hours=20)
# After a failed try the tick waits this long before the next one.
RETRY_AFTER = dt.timedelta(hours=1)
# A backup «running» longer than this was interrupted (the process died).
STALE_AFTER = dt.timedelta(hours=6)
CHUNK = 1024 * 1024
PG_LOCK_TIMEOUT = "60s"
PG_TOOLS_HINT = (
    "Для резервных копий PostgreSQL нужны программы pg_dump и pg_restore: установите пакет "
    "postgresql-client той же или более новой версии, что и сервер (Debian: apt install postgresql-client)."
)


class BackupError(DomainError):
    """A backup could not be made or a file cannot be restored; the message says why, in Russian."""


# --- settings ------------------------------------------------------------------------------


def _settings(settings):
    if isinstance(settings, Mapping):
        from app.settings import Settings

        return Settings.from_config(settings)
    return settings


def backup_root(settings) -> Path:
    """Return the backup folder of the instance (`<instance>/backups`)."""
    return Path(_settings(settings).instance_path) / BACKUP_DIRNAME


def engine_of(url: str) -> str:
    """Return the engine a database URL names: «sqlite» or «postgresql»."""
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith("postgres"):
        return "postgresql"
    raise BackupError(f"Резервные копии умеют только SQLite и PostgreSQL, а не «{scheme}».")


def _sqlite_path(url: str) -> Path:
    path = parse_db_url(url)["database"]
    if not path or path == ":memory:":
        raise BackupError("База данных в памяти: копировать нечего.")
    return Path(path)


def _pg_env(url: str) -> dict:
    """The libpq environment for a URL: the password goes in PGPASSWORD, never on a command line."""
    parts = parse_db_url(url)
    env = dict(os.environ)
    for key, name in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD")):
        if parts.get(key):
            env[name] = str(parts[key])
    env["PGDATABASE"] = parts["database"]
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(PG_TOOLS_HINT)
    return path


def _stored(now: dt.datetime) -> dt.datetime:
    return to_stored(now) if now.tzinfo is not None else now.replace(microsecond=0)


# --- schema levels -------------------------------------------------------------------------


def code_migrations() -> list[str]:
    """Return the names of the migrations this code knows, in order («001_initial», …)."""
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.py"))


def live_schema() -> str:
    """Return the last migration applied to the bound database («» when none)."""
    row = db.execute_sql("SELECT name FROM migratehistory ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else ""


def app_version() -> str | None:
    """Return the app's version when the install names one (EJOURNAL_VERSION), else None."""
    return os.environ.get("EJOURNAL_VERSION") or None


# --- files ---------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_package(target: Path, manifest: dict, copy: Path) -> tuple[int, str]:
    """Write the tar (manifest first, then the copy) atomically to target; return its size and sha256."""
    part = target.with_name(target.name + ".part")
    data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(dt.datetime.fromisoformat(manifest["created_at"]).timestamp())
        info.mode = 0o600
        tar.addfile(info, io.BytesIO(data))
        tar.add(copy, arcname=manifest["file"], recursive=False)
    with open(part, "rb+") as handle:
        os.fsync(handle.fileno())
    part.chmod(0o600)
    size, digest = part.stat().st_size, file_sha256(part)
    os.replace(part, target)
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n")
    _fsync_dir(target.parent)
    return size, digest


def _copy_sqlite(url: str, dest: Path) -> None:
    """Copy the live SQLite database into dest with the online backup API, in one step."""
    source = sqlite3.connect(str(_sqlite_path(url)), timeout=30)
    try:
        target = sqlite3.connect(str(dest))
        try:
            # pages=-1: all at once, inside one read transaction. Writers go on meanwhile (WAL);
            # a step-wise copy would start over after each of their commits and might never end.
            source.backup(target, pages=-1)
            # The copy is one self-contained file, not a WAL database waiting for its -wal file.
            target.execute("PRAGMA journal_mode=DELETE").fetchone()
        finally:
            target.close()
    finally:
        source.close()


def _copy_postgres(url: str, dest: Path) -> None:
    """Dump the live PostgreSQL database into dest with pg_dump's custom format."""
    tool = _pg_tool("pg_dump")
    result = subprocess.run(
        [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}"],
        env=_pg_env(url),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump не сделал копию: {result.stderr.strip()[:500]}")


# --- taking a backup -----------------------------------------------------------------------


def _requester_name(actor, source: str) -> str:
    if actor is not None:
        return actor.full_name
    return "командная строка" if source == "cli" else "система"


def create(
    *, reason: str, now: dt.datetime, settings, actor=None, slot: str | None = None, source: str = "system"
) -> Backup:
    """Take a backup of the current database into the instance's backup folder, record it, return the row.

    `reason` is a code of `BACKUP_REASONS` or a short text; `now` is the stored instant (naive UTC)
    or an aware one; `settings` is `app.settings.Settings` (or a Flask config mapping); `slot` a
    unique planner key (a second backup with the same slot raises IntegrityError before anything
    is copied). On failure the row is left «failed» with the reason, no file is left behind and
    `BackupError` is raised. Call it outside a transaction: the copy holds what is committed, so
    changes of a caller's open transaction (and this row, until it commits) are not in it.
    """
    settings = _settings(settings)
    engine = engine_of(settings.database_url)
    stamp = _stored(now)
    root = backup_root(settings)
    with db.atomic():
        backup = Backup.create(
            engine=engine,
            schema=live_schema(),
            reason=(reason or "manual")[:100],
            slot=slot,
            status="running",
            requested_by_name=_requester_name(actor, source),
            created_at=stamp,
        )
        backup.path = str(root / f"ejournal-{stamp:%Y%m%d-%H%M%S}-{backup.id}{SUFFIX}")
        backup.save()
    # The finish is the given instant plus the time the copy took (services do not read the clock).
    started = time.monotonic()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".taking-") as work:
            copy = Path(work) / MEMBERS[engine]
            if engine == "sqlite":
                _copy_sqlite(settings.database_url, copy)
            else:
                _copy_postgres(settings.database_url, copy)
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "engine": engine,
                "schema": backup.schema,
                "app_version": app_version(),
                "school": getattr(settings, "school", ""),
                "backup_id": backup.id,
                "created_at": stamp.replace(tzinfo=dt.UTC).isoformat(),
                "reason": backup.reason,
                "file": MEMBERS[engine],
                "size": copy.stat().st_size,
                "sha256": file_sha256(copy),
            }
            size, digest = _write_package(Path(backup.path), manifest, copy)
    except Exception as exc:
        message = exc.message if isinstance(exc, DomainError) else f"Копия не создана: {exc}"
        log.exception("Backup %s failed", backup.id)
        for leftover in (Path(backup.path), Path(backup.path + ".part"), Path(backup.path + ".sha256")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:  # the folder itself is what failed (not a folder, not writable)
                pass
        finished = stamp + dt.timedelta(seconds=round(time.monotonic() - started))
        Backup.update(status="failed", error=message, slot=None, finished_at=finished).where(
            Backup.id == backup.id
        ).execute()
        raise BackupError(message) from exc
    with db.atomic():
        finished = stamp + dt.timedelta(seconds=round(time.monotonic() - started))
        Backup.update(status="done", size=size, sha256=digest, finished_at=finished).where(
            Backup.id == backup.id
        ).execute()
        backup = Backup.get_by_id(backup.id)
        audit.record(actor, "create", backup, after=backup.snapshot(), source=source)
    return backup


def create_now(actor, *, now: dt.datetime, settings) -> Backup:
    """Take a backup at the administrator's request («Создать копию сейчас»), refusing whoever may not."""
    if not access.can_manage_backups(actor):
        raise AccessDenied("Резервными копиями управляет администратор.")
    return create(reason="manual", now=now, settings=settings, actor=actor, source="panel")


# --- reading -------------------------------------------------------------------------------


def size_label(size: int | None) -> str:
    """Return a file size as a person reads it: «12,3 МБ» («—» when unknown)."""
    if size is None:
        return "—"
    if size < 1024 * 1024:
        return f"{max(size // 1024, 1)} КБ"
    return f"{size / (1024 * 1024):.1f} МБ".replace(".", ",")


def keep_days() -> int:
    """Return the school's retention of backups, in days."""
    return SchoolSettings.load().backup_keep_days


def list_backups():
    """Return every recorded backup, newest first."""
    return Backup.select().order_by(Backup.created_at.desc(), Backup.id.desc())


def last_backup() -> Backup | None:
    """Return the newest recorded backup (whatever its status), or None."""
    return list_backups().first()


def last_successful() -> Backup | None:
    """Return the newest finished backup, or None."""
    return list_backups().where(Backup.status == "done").first()


@dataclass(frozen=True)
class BackupStatus:
    """What the home page says about backups: the newest copy, the newest good one, and whether it is overdue."""

    last: Backup | None
    last_ok: Backup | None
    overdue: bool
    message: str


def installed_at() -> dt.datetime | None:
    """When this database was made (its first migration), naive UTC; None when unknown."""
    value = db.execute_sql("SELECT MIN(migrated_at) FROM migratehistory").fetchone()[0]
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def status(now: dt.datetime) -> BackupStatus:
    """Tell whether backups are in order at `now`: overdue when none succeeded in 36 h or the last one failed.

    A database younger than 36 hours with no backup yet is not overdue: its first night is still ahead.
    """
    stamp = _stored(now)
    last, ok = last_backup(), last_successful()
    if last is not None and last.status == "failed":
        return BackupStatus(last, ok, True, f"Последняя резервная копия не удалась: {last.error or 'ошибка'}")
    if ok is None:
        made = installed_at()
        young = made is not None and stamp - made <= OVERDUE_AFTER
        return BackupStatus(last, ok, not young, "Резервных копий базы данных ещё нет.")
    if stamp - ok.created_at > OVERDUE_AFTER:
        return BackupStatus(last, ok, True, "Резервной копии не было больше 36 часов.")
    return BackupStatus(last, ok, False, "")


def get_backup(actor, backup_id) -> Backup:
    """Return a backup for its manager (`actor` None: the command line), else refuse; a bad id is «not found»."""
    if actor is not None and not access.can_manage_backups(actor):
        raise AccessDenied("Резервными копиями управляет администратор.")
    number = parse_id(backup_id)
    backup = Backup.get_or_none(Backup.id == number) if number is not None else None
    if backup is None:
        raise NotFound("Такой резервной копии нет.")
    return backup


def backup_file(actor, backup_id, *, settings) -> Path:
    """Return the file of a finished backup for download, after checking access and that it is ours and present."""
    backup = get_backup(actor, backup_id)
    path = Path(backup.path)
    root = backup_root(settings).resolve()
    if backup.status != "done" or not path.is_file() or root not in path.resolve().parents:
        raise NotFound("Файла этой резервной копии нет в папке копий.")
    return path


# --- checking a file -----------------------------------------------------------------------


@dataclass
class BackupFile:
    """A backup file that passed every check: where it is, its manifest, and the row when recorded."""

    path: Path
    manifest: dict
    sha256: str
    row: Backup | None = None


def _resolve(path_or_id, settings) -> tuple[Path, Backup | None]:
    if isinstance(path_or_id, Backup):
        return Path(path_or_id.path), path_or_id
    text = str(path_or_id).strip()
    number = parse_id(text) if text.isdigit() else None
    if number is not None and not Path(text).exists():
        row = Backup.get_or_none(Backup.id == number)
        if row is None:
            raise NotFound(f"Резервной копии № {number} нет в списке: укажите путь к файлу копии.")
        if row.status != "done":
            raise BackupError(f"{row} не завершена ({row.status_label}): восстановить из неё нельзя.")
        return Path(row.path), row
    path = Path(text).expanduser()
    row = Backup.get_or_none(Backup.path == str(path.resolve())) or Backup.get_or_none(Backup.path == str(path))
    return path, row


def _read_manifest(tar: tarfile.TarFile, name: str) -> dict:
    """Read the manifest, the tar's first member (a damaged rest of the file is the copy's check)."""
    try:
        member = tar.next()
        if member is None or member.name != MANIFEST:
            raise KeyError(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, AttributeError, ValueError, tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Файл «{name}» — не резервная копия электронного журнала (нет описи).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"Файл «{name}» — не резервная копия электронного журнала.")
    return manifest


def _member_digest(tar: tarfile.TarFile, manifest: dict, name: str) -> tuple[int, str]:
    """Read the copy of the database, the member after the manifest; return its size and sha256."""
    try:
        member = tar.next()
        if member is None or member.name != manifest.get("file"):
            raise KeyError(manifest.get("file"))
        handle = tar.extractfile(member)
        digest, size = hashlib.sha256(), 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    except (KeyError, AttributeError, tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Резервная копия «{name}» повреждена: копия базы в ней не читается.") from exc
    return size, digest.hexdigest()


def inspect(path_or_id, *, settings) -> BackupFile:
    """Check a backup file (by path or by number) the way a restore does, changing nothing; return it.

    Refused, each with its own message: a missing file, a file that is not one of ours, a damaged
    one (its checksum), a backup of another engine, a backup of a newer schema than the code.
    """
    settings = _settings(settings)
    if not db.table_exists(Backup._meta.table_name):
        raise BackupError(
            "В базе данных нет таблиц журнала: сначала выполните «flask db upgrade», затем восстановите копию."
        )
    path, row = _resolve(path_or_id, settings)
    name = path.name
    if not path.is_file():
        raise BackupError(f"Файла «{path}» нет.")
    whole = file_sha256(path)
    if row is not None and row.sha256 and row.sha256 != whole:
        raise BackupError(f"Резервная копия «{name}» повреждена: контрольная сумма файла не совпадает с записанной.")
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.is_file():
        recorded = sidecar.read_text().split()[:1]
        if recorded and recorded[0] != whole:
            raise BackupError(
                f"Резервная копия «{name}» повреждена: контрольная сумма файла не совпадает с {sidecar.name}."
            )
    try:
        tar = tarfile.open(path, "r:")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"Файл «{name}» — не резервная копия электронного журнала.") from exc
    with tar:
        manifest = _read_manifest(tar, name)
        if manifest.get("version") != FORMAT_VERSION:
            raise BackupError(f"Резервная копия «{name}» другого формата (версия {manifest.get('version')}).")
        size, digest = _member_digest(tar, manifest, name)
    if size != manifest.get("size") or digest != manifest.get("sha256"):
        raise BackupError(f"Резервная копия «{name}» повреждена: контрольная сумма не совпадает с описью.")
    engine = engine_of(settings.database_url)
    if manifest.get("engine") != engine:
        theirs = ENGINE_LABELS.get(manifest.get("engine"), manifest.get("engine"))
        raise BackupError(
            f"Резервная копия «{name}» сделана с базы {theirs}, а журнал работает на {ENGINE_LABELS[engine]}."
        )
    known = code_migrations()
    schema = manifest.get("schema") or ""
    if schema not in known:
        raise BackupError(
            f"Резервная копия «{name}» сделана более новой версией программы (схема {schema or 'неизвестна'}, "
            f"программа знает до {known[-1]}): сначала обновите программу."
        )
    return BackupFile(path=path, manifest=manifest, sha256=whole, row=row)


# --- restoring -----------------------------------------------------------------------------


@dataclass
class RestoreResult:
    """What a restore did: the file restored, the safety copy taken before, the migrations applied after."""

    restored: BackupFile
    safety_copy: Backup | None
    migrations: list[str] = field(default_factory=list)


def _extract(tar_path: Path, manifest: dict, dest: Path) -> None:
    with tarfile.open(tar_path, "r:") as tar:
        source = tar.extractfile(tar.getmember(manifest["file"]))
        with open(dest, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)


def _restore_sqlite(checked: BackupFile, url: str) -> None:
    live = _sqlite_path(url)
    fd, name = tempfile.mkstemp(dir=live.parent, prefix=f".{live.name}.restore-")
    os.close(fd)
    temp = Path(name)
    try:
        _extract(checked.path, checked.manifest, temp)
        check = sqlite3.connect(str(temp))
        try:
            # quick_check: every page and row readable, in O(N); the full integrity_check (indexes
            # against their tables) took 10 s of a 15 s restore of the large school, and the
            # checksums already prove the file is the copy that was taken.
            ok = check.execute("PRAGMA quick_check").fetchone()[0]
            names = {r[0] for r in check.execute("SELECT name FROM migratehistory").fetchall()}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"Резервная копия «{checked.path.name}» повреждена: {exc}.") from exc
        finally:
            check.close()
        if ok != "ok" or checked.manifest.get("schema") not in names:
            raise BackupError(f"Резервная копия «{checked.path.name}» повреждена: проверка базы не прошла ({ok}).")
        source = sqlite3.connect(str(temp))
        target = sqlite3.connect(str(live), timeout=30)
        try:
            # One step: the backup API writes the whole live database in one transaction; other
            # connections see the old database or the restored one, never a mix.
            source.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=wal").fetchone()
        except sqlite3.Error as exc:
            raise BackupError(f"База данных не восстановлена (она не изменена): {exc}.") from exc
        finally:
            target.close()
            source.close()
    finally:
        temp.unlink(missing_ok=True)


def _restore_postgres(checked: BackupFile, url: str) -> None:
    tool = _pg_tool("pg_restore")
    env = _pg_env(url)
    with tempfile.TemporaryDirectory(prefix="ejournal-restore-") as work:
        dump = Path(work) / checked.manifest["file"]
        _extract(checked.path, checked.manifest, dump)
        listed = subprocess.run([tool, "--list", str(dump)], env=env, capture_output=True, text=True)
        if listed.returncode != 0:
            raise BackupError(f"Резервная копия «{checked.path.name}» повреждена: {listed.stderr.strip()[:300]}")
        # A session still using a table (a web process left running) would make pg_restore wait
        # for ever to drop it: it gives up after the lock timeout instead, changing nothing.
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={PG_LOCK_TIMEOUT}".strip()
        result = subprocess.run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--dbname={env['PGDATABASE']}",
                str(dump),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"База данных не восстановлена (она не изменена): {result.stderr.strip()[:500]}")


def export_running(now: dt.datetime) -> bool:
    """Tell whether an exporter holds the export claim now (a restore must wait for it)."""
    from app.services.exports import claim

    return claim.held_by_someone(_stored(now))


def restore(path_or_id, *, settings, now: dt.datetime, safety_copy: bool = True) -> RestoreResult:
    """Replace the live database with a backup (by path or by number), after every check; return what was done.

    Nothing is touched when a check fails or an export runs. With `safety_copy` the live database
    is backed up first («перед восстановлением»). After the restore the backup folder is read
    again (the restored `backup` table knows only the copies older than itself) and pending
    migrations are applied when the copy is of an older schema. Stop the web and the workers first.
    """
    settings = _settings(settings)
    checked = inspect(path_or_id, settings=settings)
    if export_running(now):
        raise BackupError("Идёт выгрузка на портал: дождитесь её окончания и восстановите копию потом.")
    safety = create(reason="before_restore", now=now, settings=settings, source="cli") if safety_copy else None
    if checked.manifest["engine"] == "sqlite":
        _restore_sqlite(checked, settings.database_url)
    else:
        _restore_postgres(checked, settings.database_url)
    from app import migrate

    with db.connection_context():
        applied = migrate.upgrade()
        rescan(settings=settings, now=now)
        audit.record(
            None,
            "restore",
            model="Backup",
            object_id=checked.manifest.get("backup_id"),
            object_repr=f"Восстановлена резервная копия {checked.path.name}",
            source="cli",
        )
    return RestoreResult(restored=checked, safety_copy=safety, migrations=applied)


def rescan(*, settings, now: dt.datetime) -> int:
    """Record the backup files of the folder the `backup` table does not know; mark interrupted ones failed.

    Reads each file's manifest only (its whole checksum comes from its `.sha256`); returns how many were added.
    """
    stamp = _stored(now)
    root = backup_root(settings)
    known = {b.path: b for b in Backup.select()}
    added = 0
    for path in sorted(root.glob(f"*{SUFFIX}")) if root.is_dir() else []:
        try:
            with tarfile.open(path, "r:") as tar:
                manifest = _read_manifest(tar, path.name)
        except BackupError:
            continue
        sidecar = path.with_name(path.name + ".sha256")
        digest = sidecar.read_text().split()[0] if sidecar.is_file() and sidecar.read_text().split() else None
        created = dt.datetime.fromisoformat(manifest["created_at"]).astimezone(dt.UTC).replace(tzinfo=None)
        values = {"size": path.stat().st_size, "sha256": digest, "status": "done", "error": None}
        row = known.get(str(path))
        if row is not None:
            if row.status != "done":
                Backup.update(**values, finished_at=row.finished_at or created).where(Backup.id == row.id).execute()
            continue
        Backup.create(
            path=str(path),
            engine=manifest.get("engine", ""),
            schema=manifest.get("schema", ""),
            reason=manifest.get("reason") or "found",
            requested_by_name="система",
            created_at=created,
            finished_at=created,
            **values,
        )
        added += 1
    Backup.update(status="failed", error="Копия не была завершена (процесс прервался).", slot=None).where(
        (Backup.status == "running") & (Backup.created_at < stamp - STALE_AFTER)
    ).execute()
    return added


# --- retention and the nightly tick --------------------------------------------------------


def prune(keep_days: int, now: dt.datetime, *, settings=None) -> int:
    """Delete backups (file and row) older than `keep_days` days; the newest good one always stays; return how many."""
    stamp = _stored(now)
    cutoff = stamp - dt.timedelta(days=max(int(keep_days), 1))
    newest = last_successful()
    old = Backup.select().where((Backup.created_at < cutoff) & (Backup.status != "running"))
    if newest is not None:
        old = old.where(Backup.id != newest.id)
    root = backup_root(settings).resolve() if settings is not None else None
    removed = 0
    for backup in list(old):
        path = Path(backup.path) if backup.path else None
        if path is not None and (root is None or root in path.resolve().parents):
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".sha256").unlink(missing_ok=True)
        backup.delete_instance()
        removed += 1
    return removed


def nightly_tick(*, now: dt.datetime, settings) -> Backup | None:
    """Take the night's backup when it is due, then prune by the school's retention; None when nothing was due.

    Due: at night (01:00–06:00 school time) when the last good copy is older than 20 h, or at any
    hour when backups are overdue (36 h; a server switched off at night). One per night (its slot),
    and no new try within an hour of the last one, so ticking every few minutes is harmless.
    """
    settings = _settings(settings)
    stamp = _stored(now)
    local = settings.clock.local(stamp)
    ok, last = last_successful(), last_backup()
    age = stamp - ok.created_at if ok is not None else None
    overdue = age is None or age > OVERDUE_AFTER
    if not overdue and not (local.hour in NIGHT_HOURS and age > NIGHTLY_MIN_AGE):
        return None
    if last is not None and stamp - last.created_at < RETRY_AFTER:
        return None
    try:
        backup = create(reason="nightly", now=stamp, settings=settings, slot=f"nightly-{local:%Y%m%d}")
    except IntegrityError:
        return None
    prune(SchoolSettings.load().backup_keep_days, stamp, settings=settings)
    return backup
