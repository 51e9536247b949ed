"""Taking a backup while the journal is written to, restoring it exactly, and refusing what is not a good backup."""

import datetime as dt
import json
import shutil
import tarfile
import threading
import time

import pytest

from app.db import is_sqlite
from app.models import AuditEntry, Backup, ExportLock, Lesson, Mark, Student
from app.services import backups
from app.services.backups import BackupError
from tests.backups.conftest import DAY, snapshot


def _needs_tools(app):
    if not app.config["DATABASE_URL"].startswith("sqlite") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump/pg_restore are not installed")


def _damage_the_journal():
    """Delete one lesson's marks, rewrite a day of topics, add a stranger: what a bad evening might do."""
    lesson = Lesson.select().join(Mark).order_by(Lesson.id).first()
    deleted = Mark.delete().where(Mark.lesson == lesson.id).execute()
    assert deleted > 0
    changed = Lesson.update(topic="испорчено").where(Lesson.date == lesson.date).execute()
    assert changed > 0
    Student.update(last_name="Испорченная").where(Student.id == Student.select().first().id).execute()


def test_a_backup_is_one_self_contained_file_with_its_manifest_and_checksum(app, small, settings):
    _needs_tools(app)
    backup = backups.create(reason="manual", now=DAY, settings=settings)
    assert backup.status == "done" and backup.size > 0
    assert backup.reason_label == "вручную"
    path = backups.backup_root(settings) / backup.file_name
    assert backup.path == str(path) and path.is_file()
    assert backups.file_sha256(path) == backup.sha256
    assert path.with_name(path.name + ".sha256").read_text() == f"{backup.sha256}  {path.name}\n"
    with tarfile.open(path) as tar:
        assert tar.getnames()[0] == "manifest.json"
        manifest = json.loads(tar.extractfile("manifest.json").read())
    engine = "sqlite" if is_sqlite() else "postgresql"
    assert manifest["format"] == "ejournal-backup" and manifest["engine"] == engine
    assert manifest["schema"] == backups.code_migrations()[-1] == backup.schema
    assert manifest["reason"] == "manual" and manifest["created_at"] == "2026-12-04T09:00:00+00:00"
    assert manifest["backup_id"] == backup.id
    assert [b.id for b in backups.list_backups()] == [backup.id]
    assert backups.last_backup().id == backup.id
    # Recorded in the audit trail, by the system.
    assert AuditEntry.select().where((AuditEntry.model == "Backup") & (AuditEntry.action == "create")).count() == 1


def test_backup_then_damage_then_restore_gives_back_exactly_the_journal(app, small, settings):
    _needs_tools(app)
    before = snapshot()
    backup = backups.create(reason="manual", now=DAY, settings=settings)
    _damage_the_journal()
    assert snapshot() != before

    result = backups.restore(backup.id, settings=settings, now=DAY + dt.timedelta(minutes=5))

    after = snapshot()
    assert {t: c for t, (c, _) in after.items()} == {t: c for t, (c, _) in before.items()}
    assert after == before
    # The live database before the restore was kept, and both copies are listed.
    assert result.safety_copy is not None and result.safety_copy.reason == "before_restore"
    listed = {b.id: b for b in backups.list_backups()}
    assert set(listed) == {backup.id, result.safety_copy.id}
    assert all(b.status == "done" for b in listed.values())
    assert AuditEntry.select().where(AuditEntry.action == "restore").count() == 1
    # The safety copy holds the damaged journal: restoring it brings the damage back.
    backups.restore(result.safety_copy.id, settings=settings, now=DAY + dt.timedelta(minutes=10), safety_copy=False)
    assert Student.select().where(Student.last_name == "Испорченная").count() == 1


def test_a_backup_taken_while_a_writer_writes_neither_breaks_nor_blocks_it(app, small, settings):
    _needs_tools(app)
    url = app.config["DATABASE_URL"]
    stop = threading.Event()
    written, errors, slowest = [], [], [0.0]

    def writer():
        from app.db import open_database

        own = open_database(url)
        with own.connection_context():
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    with own.atomic():
                        own.execute_sql(
                            "INSERT INTO audit_entry (at, actor_name, source, action, model, object_repr)"
                            f" VALUES ({own.param}, 'писатель', 'system', 'update', 'Mark', 'запись')",
                            (dt.datetime(2026, 12, 4, 9, 0),),
                        )
                except Exception as exc:  # any failure of the writer fails the test below
                    errors.append(exc)
                    return
                slowest[0] = max(slowest[0], time.perf_counter() - started)
                written.append(1)
                # A busy school's pace, not a tight loop that would starve every other writer.
                time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        at_start = len(written)
        backup = backups.create(reason="manual", now=DAY, settings=settings)
        during = len(written) - at_start
    finally:
        stop.set()
        thread.join(30)
    assert errors == []
    assert backup.status == "done"
    assert during > 0, "the writer was blocked for the whole backup"
    assert slowest[0] < 5, f"a write waited {slowest[0]:.1f} s"
    # The copy is a consistent state of the journal: it restores and passes its checks.
    assert backups.inspect(backup.id, settings=settings).manifest["sha256"]


def _refused_and_untouched(path_or_id, settings, message):
    before = snapshot()
    with pytest.raises(BackupError) as refused:
        backups.restore(path_or_id, settings=settings, now=DAY)
    assert message in refused.value.message
    assert snapshot() == before
    # Not even a safety copy is taken for a file refused by its checks.
    return refused.value.message


def test_restore_refuses_what_is_not_one_of_our_backups_changing_nothing(app, small, settings, tmp_path):
    _needs_tools(app)
    stranger = tmp_path / "notes.backup"
    stranger.write_bytes(b"\x00" * 4096)
    _refused_and_untouched(stranger, settings, "не резервная копия")
    other_tar = tmp_path / "other.tar"
    with tarfile.open(other_tar, "w") as tar:
        tar.add(__file__, arcname="manifest.json")
    _refused_and_untouched(other_tar, settings, "не резервная копия")
    _refused_and_untouched(tmp_path / "missing.backup", settings, "нет")
    with pytest.raises(backups.NotFound):
        backups.restore("999", settings=settings, now=DAY)
    assert Backup.select().count() == 0


def test_restore_refuses_a_damaged_backup_changing_nothing(app, small, settings, tmp_path):
    _needs_tools(app)
    backup = backups.create(reason="manual", now=DAY, settings=settings)
    original = backups.backup_root(settings) / backup.file_name
    Mark.delete().where(Mark.id == Mark.select().first().id).execute()

    # Truncated (a copy cut short), by its number: the recorded checksum no longer matches.
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(original.read_bytes()[: backup.size // 2])
    shutil.copyfile(truncated, original)
    _refused_and_untouched(backup.id, settings, "повреждена")
    # The same file elsewhere, without its record or checksum file: the tar itself is cut short.
    _refused_and_untouched(truncated, settings, "повреждена")

    # One byte changed inside the copy of the database, away from its record and checksum file:
    # the manifest's checksum catches it.
    fresh = backups.create(reason="manual", now=DAY + dt.timedelta(minutes=1), settings=settings)
    data = bytearray((backups.backup_root(settings) / fresh.file_name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered = tmp_path / "altered.backup"
    altered.write_bytes(bytes(data))
    message = _refused_and_untouched(altered, settings, "повреждена")
    assert "контрольная сумма" in message
    assert backups.inspect(fresh.id, settings=settings).path.name == fresh.file_name


def test_restore_refuses_another_engine_and_a_newer_schema(app, small, settings, tmp_path):
    _needs_tools(app)
    backup = backups.create(reason="manual", now=DAY, settings=settings)
    path = backups.backup_root(settings) / backup.file_name

    def rewrite(name, **changes):
        with tarfile.open(path) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
            copy = tmp_path / manifest["file"]
            copy.write_bytes(tar.extractfile(manifest["file"]).read())
        manifest.update(changes)
        target = tmp_path / name
        backups._write_package(target, manifest, copy)
        return target

    other = "postgresql" if is_sqlite() else "sqlite"
    message = _refused_and_untouched(rewrite("engine.backup", engine=other), settings, "сделана с базы")
    assert ("PostgreSQL" if is_sqlite() else "SQLite") in message
    message = _refused_and_untouched(rewrite("newer.backup", schema="099_from_the_future"), settings, "более новой")
    assert "099_from_the_future" in message


def test_restore_waits_for_a_running_export(app, small, settings):
    _needs_tools(app)
    backup = backups.create(reason="manual", now=DAY, settings=settings)
    ExportLock.insert(id=1).on_conflict_ignore().execute()
    ExportLock.update(owner="exporter-1", until=DAY + dt.timedelta(minutes=10)).execute()
    _refused_and_untouched(backup.id, settings, "Идёт выгрузка")
    assert Backup.select().count() == 1
    # A lapsed claim is no export.
    ExportLock.update(until=DAY - dt.timedelta(minutes=1)).execute()
    backups.restore(backup.id, settings=settings, now=DAY, safety_copy=False)


def test_a_failed_backup_is_recorded_with_why_and_raises(app, small, tmp_path):
    from app.settings import Settings

    broken = Settings(
        instance_path=tmp_path / "inst",
        database_url="sqlite:////nonexistent/dir/ejournal.db"
        if is_sqlite()
        else "postgresql://nobody@127.0.0.1:1/none",
        redis_url="redis://localhost",
        timezone="Europe/Moscow",
    )
    with pytest.raises(BackupError):
        backups.create(reason="nightly", now=DAY, settings=broken, slot="nightly-20261204")
    failed = Backup.get()
    assert failed.status == "failed" and failed.error and failed.slot is None
    state = backups.status(DAY)
    assert state.overdue and "не удалась" in state.message
