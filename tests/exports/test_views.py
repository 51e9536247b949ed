"""The panel: history, the "send the full export now" button, downloads, settings (token write-only), the banner."""

import datetime as dt
import json
from pathlib import Path

import pytest
from rq import Queue

from app.models import AuditEntry, ExportRun, ExportSettings
from app.services.exports import runs
from tests.conftest import form_errors, login

PAGES = ("/exportrun/", "/export-settings/")


def logout(client):
    client.post("/logout")


def delivered_run(instance_path) -> ExportRun:
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    return ExportRun.get_by_id(run.id)


def test_anonymous_people_are_sent_to_the_login_page(client, app):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/exportrun/run-full/").status_code in (302, 403)
    assert ExportRun.select().count() == 0


def test_a_teacher_sees_no_export_page(client, make_staff, school, outbox, instance_path):
    run = delivered_run(instance_path)
    make_staff("teacher1", roles=["teacher"])
    login(client, "teacher1")
    for page in (*PAGES, f"/exportrun/details/?id={run.id}", f"/exportrun/download/{run.id}/"):
        assert client.get(page).status_code == 403, page
    assert client.post("/exportrun/run-full/").status_code == 403
    assert client.post("/export-settings/", data={"full_day": "3"}).status_code == 403
    assert ExportRun.select().count() == 1 and ExportSettings.load().full_day == 1
    home = client.get("/").get_data(as_text=True)
    assert "Выгрузка на портал" not in home


def test_the_head_watches_but_changes_nothing(client, make_staff, school, outbox, instance_path):
    run = delivered_run(instance_path)
    make_staff("head1", roles=["head"])
    login(client, "head1")
    history = client.get("/exportrun/")
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and "История выгрузок" in html and "доставлена" in html
    assert 'id="run-full"' not in html and "/exportrun/download/" not in html
    settings = client.get("/export-settings/")
    assert settings.status_code == 200 and "disabled" in settings.get_data(as_text=True)
    assert client.post("/export-settings/", data={"full_day": "3", "daily_time": "08:00"}).status_code == 403
    assert client.post("/exportrun/run-full/").status_code == 403
    assert client.get(f"/exportrun/download/{run.id}/").status_code == 403
    assert ExportRun.select().count() == 1 and ExportSettings.load().full_day == 1
    assert client.get(f"/exportrun/details/?id={run.id}").status_code == 200


def test_the_administrator_sends_the_full_export_now_and_downloads_it(
    client, login_as, school, outbox, redis_conn, work
):
    admin = login_as("admin")
    page = client.get("/exportrun/").get_data(as_text=True)
    assert 'id="run-full"' in page and 'id="export-overview"' in page
    response = client.post("/exportrun/run-full/")
    assert response.status_code == 302
    run = ExportRun.get()
    assert (run.kind, run.trigger, run.status, run.requested_by_id) == ("full", "manual", "queued", admin.id)
    assert Queue("exports", connection=redis_conn).job_ids == [run.job_id]
    assert "поставлена в очередь" in client.get("/exportrun/").get_data(as_text=True)
    # A second press while it waits is refused, and nothing is added.
    client.post("/exportrun/run-full/")
    assert "уже ждёт" in client.get("/exportrun/").get_data(as_text=True)
    assert ExportRun.select().count() == 1
    work()
    run = ExportRun.get_by_id(run.id)
    assert f"/exportrun/download/{run.id}/" in client.get("/exportrun/").get_data(as_text=True)
    details = client.get(f"/exportrun/details/?id={run.id}").get_data(as_text=True)
    assert run.sha256 in details and "доставлена" in details and run.package_id in details
    download = client.get(f"/exportrun/download/{run.id}/")
    assert download.status_code == 200 and download.mimetype == "application/gzip"
    assert download.data == Path(run.file_path).read_bytes()
    assert f"{run.package_id}.ndjson.gz" in download.headers["Content-Disposition"]
    download.close()
    assert AuditEntry.select().where(AuditEntry.action == "download", AuditEntry.actor == admin.id).count() == 1


def test_a_package_that_is_gone_cannot_be_downloaded(client, login_as, school, outbox, instance_path):
    login_as("admin")
    run = delivered_run(instance_path)
    Path(run.file_path).unlink()  # the portal's pickup took it from the outbox
    response = client.get(f"/exportrun/download/{run.id}/", follow_redirects=True)
    assert f"Файла пакета выгрузки № {run.id} нет" in response.get_data(as_text=True)
    assert AuditEntry.select().where(AuditEntry.action == "download").count() == 0


def test_the_history_shows_failures_with_the_portal_text(client, login_as, school, portal, instance_path):
    login_as("admin")
    portal.mode = "reject"
    run = runs.create_run("daily", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    html = client.get("/exportrun/").get_data(as_text=True)
    assert "ошибка" in html and "Неизвестный код школы" in html


def test_a_running_export_shows_its_progress(client, login_as, school, outbox, instance_path):
    login_as("admin")
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    ExportRun.update(status="running", progress=30, total=120).where(ExportRun.id == run.id).execute()
    html = client.get("/exportrun/").get_data(as_text=True)
    assert "25%" in html and 'http-equiv="refresh"' in html


SETTINGS = {
    "enabled": "y",
    "daily_time": "19:30",
    "full_day": "3",
    "transport": "http",
    "directory": "",
    "portal_url": "https://portal.example/api/packages",
    "token": "s3cret-portal-token",
    "http_timeout": "20",
    "http_retries": "2",
    "http_retry_delay": "1.5",
}


def test_settings_are_saved_and_the_token_is_write_only(client, login_as, app):
    login_as("admin")
    response = client.post("/export-settings/", data=SETTINGS)
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    settings = ExportSettings.load()
    assert (settings.daily_time, settings.full_day, settings.transport) == (dt.time(19, 30), 3, "http")
    assert settings.token == "s3cret-portal-token" and settings.http_retry_delay == 1.5
    page = client.get("/export-settings/").get_data(as_text=True)
    assert "s3cret-portal-token" not in page and "токен сохранён" in page
    entry = AuditEntry.select().where(AuditEntry.model == "ExportSettings").order_by(AuditEntry.id.desc()).get()
    assert "s3cret" not in (entry.before or "") + (entry.after or "")
    assert json.loads(entry.after)["token"] == "изменён"
    # An empty token field keeps the stored token.
    client.post("/export-settings/", data={**SETTINGS, "token": "", "full_day": "4"})
    settings = ExportSettings.load()
    assert settings.full_day == 4 and settings.token == "s3cret-portal-token"
    # Clearing it is possible once the portal no longer needs it.
    client.post("/export-settings/", data={**SETTINGS, "token": "", "transport": "directory", "clear_token": "y"})
    assert ExportSettings.load().token == ""


@pytest.mark.parametrize(
    "change, message",
    [
        ({"full_day": "31"}, "от 1 до 28"),
        ({"portal_url": ""}, "адрес портала"),
        ({"portal_url": "ftp://portal.example"}, "https://"),
        ({"transport": "directory", "directory": "relative/path"}, "полный путь"),
        ({"http_retries": "50"}, "от 0 до 10"),
        ({"daily_time": "25:99"}, "Неверное значение времени"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(client, login_as, app, change, message):
    login_as("admin")
    before = ExportSettings.load().snapshot()
    response = client.post("/export-settings/", data={**SETTINGS, **change})
    assert response.status_code == 400
    errors = " ".join(form_errors(response.get_data(as_text=True)))
    assert message.lower() in errors.lower(), errors
    assert ExportSettings.load().snapshot() == before


def test_a_failed_export_is_loud_for_the_administrator_and_the_deputy(
    client, make_staff, school, portal, instance_path
):
    portal.mode = "reject"
    runs.process(runs.create_run("daily", "manual", None, instance_path=instance_path).id, instance_path=instance_path)
    for role, sees in (("admin", True), ("deputy", True), ("teacher", False)):
        make_staff(f"{role}9", roles=[role])
        login(client, f"{role}9")
        for page in ("/", "/account/password" if role == "teacher" else "/exportrun/"):
            html = client.get(page).get_data(as_text=True)
            assert ('id="export-alert"' in html) is sees, (role, page)
            if sees:
                assert "не удалась" in html and "Неизвестный код школы" in html
        logout(client)


def test_the_home_page_tells_the_last_success_and_the_next_run(client, login_as, school, outbox, instance_path):
    login_as("admin")
    delivered_run(instance_path)
    html = client.get("/").get_data(as_text=True)
    assert "Выгрузка на портал: последняя успешная" in html and "следующая" in html
    assert 'id="export-alert"' not in html


def test_every_record_type_has_a_russian_label():
    from admin_views.exports import TYPE_LABELS
    from app.services.exports import format as fmt

    assert list(TYPE_LABELS) == list(fmt.TYPE_NAMES)
