"""`flask backup create | list | verify | restore` end to end through the CLI runner."""

import re
import shutil

import pytest

from app.models import Backup, Mark
from app.services import backups
from tests.backups.conftest import snapshot


@pytest.fixture
def tools(app):
    if not app.config["DATABASE_URL"].startswith("sqlite") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump/pg_restore are not installed")


def test_create_list_verify_and_restore(app, runner, small, settings, tools):
    created = runner.invoke(args=["backup", "create"])
    assert created.exit_code == 0, created.output
    backup = Backup.get()
    assert f"Резервная копия № {backup.id} готова: {backup.path}" in created.output
    assert backup.reason == "manual" and backup.requested_by_name == "командная строка"

    listed = runner.invoke(args=["backup", "list"])
    assert listed.exit_code == 0 and re.search(rf"№ {backup.id} .*готова .*вручную .*[КМ]Б", listed.output)

    verified = runner.invoke(args=["backup", "verify", str(backup.id)])
    assert verified.exit_code == 0 and "Копия в порядке" in verified.output

    before = snapshot()
    Mark.delete().execute()
    # Without --yes the command asks; «no» changes nothing.
    declined = runner.invoke(args=["backup", "restore", str(backup.id)], input="n\n")
    assert declined.exit_code != 0 and "Продолжить?" in declined.output
    assert Mark.select().count() == 0

    restored = runner.invoke(args=["backup", "restore", backup.path, "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "База данных восстановлена" in restored.output and "Копия базы до восстановления" in restored.output
    assert snapshot() == before


def test_errors_are_clear_and_exit_non_zero(app, runner, small, settings, tools, tmp_path):
    before = snapshot()
    junk = tmp_path / "junk.backup"
    junk.write_text("это не копия")
    for args, message in (
        (["backup", "restore", str(junk), "--yes"], "не резервная копия"),
        (["backup", "restore", "12345", "--yes"], "Резервной копии № 12345 нет"),
        (["backup", "verify", str(tmp_path / "nothing.backup")], "нет"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, result.output
    assert snapshot() == before
    assert Backup.select().count() == 0


def test_listing_nothing_says_so(runner):
    result = runner.invoke(args=["backup", "list"])
    assert result.exit_code == 0 and "Резервных копий нет." in result.output


def test_a_restore_refused_by_a_running_export_exits_non_zero(app, runner, small, settings, tools):
    from app.models import ExportLock

    backup = backups.create(reason="manual", now=settings.clock.utcnow(), settings=settings)
    until = settings.clock.utcnow().replace(year=2099)
    ExportLock.insert(id=1).on_conflict_ignore().execute()
    ExportLock.update(owner="exporter", until=until).execute()
    result = runner.invoke(args=["backup", "restore", str(backup.id), "--yes"])
    assert result.exit_code == 1 and "Идёт выгрузка" in result.output
    assert Backup.select().count() == 1
