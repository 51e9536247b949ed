"""«Школа → Резервные копии» and the home page's line on backups: who sees them, what they say, what a click does."""

import datetime as dt
from pathlib import Path

from app.clock import app_clock
from app.db import db
from app.models import AuditEntry, Backup
from app.services import backups
from app.settings import app_settings
from tests.journal.conftest import QueryCounter

URL = "/backups/"


def _client(make_staff, as_user, role, login=None):
    return as_user(make_staff(login or f"who-{role}", roles=[role]))


def _row(app, hours_ago: float, status="done", **values) -> Backup:
    at = app_clock(app).utcnow() - dt.timedelta(hours=hours_ago)
    values.setdefault("size", 5 * 1024 * 1024 + 300 * 1024)
    return Backup.create(
        path=f"/nowhere/ejournal-{at:%Y%m%d-%H%M%S}.backup",
        engine="sqlite",
        reason="nightly",
        status=status,
        created_at=at,
        finished_at=at,
        **values,
    )


def test_home_page_shows_the_last_backup_to_the_administrator(app, make_staff, as_user):
    client = _client(make_staff, as_user, "admin")
    row = _row(app, hours_ago=3)
    page = client.get("/").get_data(as_text=True)
    assert 'id="home-backups"' in page
    assert f"Последняя резервная копия: {app_clock(app).format(row.created_at)}, 5,3 МБ." in page
    assert 'id="backup-overdue"' not in page


def installed_days_ago(app, days: float) -> None:
    """Date the database's first migration `days` back: a school installed that long ago."""
    made = app_clock(app).utcnow() - dt.timedelta(days=days)
    db.execute_sql(f"UPDATE migratehistory SET migrated_at = {db.param}", (made,))


def test_home_page_is_loud_when_backups_are_overdue_or_the_last_failed(app, make_staff, as_user):
    client = _client(make_staff, as_user, "admin")
    # Installed today: the first night is still ahead, nothing is overdue yet.
    installed_days_ago(app, 0.5)
    page = client.get("/").get_data(as_text=True)
    assert 'id="backup-overdue"' not in page and "Резервных копий базы данных ещё нет." in page
    installed_days_ago(app, 2)
    page = client.get("/").get_data(as_text=True)
    assert 'id="backup-overdue"' in page and "Резервных копий базы данных ещё нет." in page

    old = _row(app, hours_ago=37)
    page = client.get("/").get_data(as_text=True)
    assert 'id="backup-overdue"' in page and "больше 36 часов" in page
    assert f"Последняя резервная копия: {app_clock(app).format(old.created_at)}" in page

    _row(app, hours_ago=1)
    assert 'id="backup-overdue"' not in client.get("/").get_data(as_text=True)
    _row(app, hours_ago=0.5, status="failed", size=None, error="Нет места на диске.")
    page = client.get("/").get_data(as_text=True)
    assert 'id="backup-overdue"' in page and "не удалась: Нет места на диске." in page


def test_home_page_of_others_says_nothing_about_backups(app, make_staff, as_user):
    _row(app, hours_ago=40)
    for role in ("head", "deputy", "teacher"):
        client = _client(make_staff, as_user, role)
        page = client.get("/").get_data(as_text=True)
        assert 'id="home-backups"' not in page and "Резервн" not in page, role


def test_the_administrator_takes_a_backup_now_and_downloads_it(app, make_staff, as_user):
    client = _client(make_staff, as_user, "admin")
    installed_days_ago(app, 2)
    page = client.get(URL).get_data(as_text=True)
    assert 'id="no-backups"' in page and "Создать копию сейчас" in page
    assert "только из командной строки" in page and 'id="backup-overdue"' in page

    response = client.post(f"{URL}create")
    assert response.status_code == 303
    backup = Backup.get()
    assert backup.status == "done" and backup.reason == "manual"
    assert backup.requested_by_name.startswith("Иванова")
    entry = AuditEntry.get((AuditEntry.model == "Backup") & (AuditEntry.action == "create"))
    assert entry.source == "panel" and entry.actor_name.startswith("Иванова")
    page = client.get(URL).get_data(as_text=True)
    assert "готова" in page and backup.file_name in page and backup.sha256 in page
    assert 'id="backup-overdue"' not in page

    download = client.get(f"{URL}{backup.id}/download")
    assert download.status_code == 200
    assert download.data == Path(backup.path).read_bytes()
    assert (
        "attachment" in download.headers["Content-Disposition"]
        and backup.file_name in download.headers["Content-Disposition"]
    )
    assert download.headers["Cache-Control"] == "private, no-store"
    download.close()


def test_a_failed_backup_on_the_page_is_a_clear_message_not_an_error(app, make_staff, as_user):
    client = _client(make_staff, as_user, "admin")
    # The backup folder cannot be made: a file stands where it should be.
    folder = backups.backup_root(app_settings(app))
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("мешает")
    response = client.post(f"{URL}create", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Копия не создана" in page
    assert Backup.get().status == "failed"
    assert 'id="backup-overdue"' in page


def test_nobody_else_opens_takes_or_downloads_backups(app, client, make_staff, as_user):
    admin = _client(make_staff, as_user, "admin")
    admin.post(f"{URL}create")
    backup = Backup.get()
    # Anonymous: the login page, nothing written.
    for response in (client.get(URL), client.get(f"{URL}{backup.id}/download")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for role in ("head", "deputy", "teacher"):
        other = _client(make_staff, as_user, role)
        assert other.get(URL).status_code == 403, role
        assert other.post(f"{URL}create").status_code == 403, role
        assert other.get(f"{URL}{backup.id}/download").status_code == 403, role
    assert Backup.select().count() == 1
    # A missing or malformed number is «not found», never an error.
    assert admin.get(f"{URL}999/download").status_code == 404
    assert admin.get(f"{URL}abc/download").status_code == 404


def test_the_page_costs_the_same_queries_however_many_backups(app, make_staff, as_user):
    client = _client(make_staff, as_user, "admin")

    def queries():
        with QueryCounter() as counter:
            assert client.get(URL).status_code == 200
        return counter.count

    _row(app, hours_ago=2)
    few = queries()
    for hours in range(3, 40):
        _row(app, hours_ago=hours)
    assert queries() == few
