"""The year archive: a PDF per class built by a real RQ worker, its manifest and check, attendance, access."""

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

from pypdf import PdfReader

from app.models import ArchiveBuild, AuditEntry
from app.services import archive

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def _text(path: Path) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_attendance_summary_counts_lessons_missed_by_reason(school):
    first, second, third = school.students[:3]
    summary = archive.class_attendance_summary(school.c5a, *NOVEMBER)
    assert len(summary.students) == 30 and summary.students[0] == (first.id, "Алексеев Артём")
    assert (summary.count(first.id, "illness"), summary.count(first.id, "unexcused")) == (1, 1)
    assert summary.missed(first.id) == 2 and summary.missed(second.id) == 1
    # Lateness is counted apart and is not a lesson missed.
    assert summary.count(third.id, "late") == 1 and summary.missed(third.id) == 0
    autumn = archive.class_attendance_summary(school.c5a, dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    assert autumn.counts == {}
    # Another class's students and absences are not counted.
    assert archive.class_attendance_summary(school.c6b, *NOVEMBER).students[0][1] == "Шестиклассник Пётр"


def test_a_build_by_the_worker_has_a_pdf_per_class_and_a_manifest_that_checks(school, as_user, work):
    admin = as_user(school.admin)
    response = admin.post("/archive/build", data={"year": str(school.year.id)})
    assert response.status_code == 303
    build = ArchiveBuild.get()
    assert build.status == "queued" and build.job_id == archive.job_id_for(build)
    work()
    build = ArchiveBuild.get_by_id(build.id)
    assert build.status == "done", build.error
    assert (build.progress, build.total) == (2, 2)
    folder = Path(build.directory)
    assert folder.parts[-3:] == ("archive", "2026-2027", str(build.id))

    manifest_bytes = (folder / "manifest.json").read_bytes()
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    assert (folder / "manifest.json.sha256").read_text() == f"{digest}  manifest.json\n"
    assert build.manifest_sha256 == digest
    manifest = json.loads(manifest_bytes)
    assert (manifest["year"], manifest["built_by"], manifest["build"]) == ("2026/2027", "Лебедев Павел", build.id)
    assert manifest["built_at"].endswith("Z")
    assert [(f["class"], f["file"]) for f in manifest["files"]] == [("5А", "05А.pdf"), ("6Б", "06Б.pdf")]
    for entry in manifest["files"]:
        data = (folder / entry["file"]).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["pages"] == len(PdfReader(io.BytesIO(data)).pages)
    c5a = manifest["files"][0]
    # Every journal with a student of 5А: the whole class's math, then the English group's.
    assert [(j["subject"], j["group"]) for j in c5a["journals"]] == [
        ("Математика", "5А"),
        ("Английский язык", "5А, англ., гр. 1"),
    ]
    assert c5a["journals"][0]["lessons"] == 8 and c5a["journals"][0]["teachers"] == ["Смирнова А.И."]

    pages, text = _text(folder / "05А.pdf")
    assert pages == c5a["pages"]
    assert "Архив классного журнала: 5А класс, 2026/2027 учебный год" in text
    assert "Тема 1: дроби" in text and "Present Simple" in text
    assert "Итоговые отметки · 5А класс" in text and "Сводка посещаемости · 5А класс" in text
    assert f"стр. 1 из {pages}" in text
    _, other = _text(folder / "06Б.pdf")
    assert "Шестиклассник Пётр" in other and "Алексеев" not in other

    # «Проверить»: all in order.
    check = as_user(school.head).post(f"/archive/{build.id}/verify", follow_redirects=True)
    assert "Архив в порядке" in check.get_data(as_text=True)
    assert ArchiveBuild.get_by_id(build.id).problems == []


def test_a_damaged_or_missing_file_is_named(school, app, as_user):
    from app.settings import app_settings

    settings = app_settings(app)
    build = archive.request_build(school.admin, school.year.id, settings=settings)
    assert archive.build(build.id, settings=settings) == "done"
    folder = Path(ArchiveBuild.get_by_id(build.id).directory)
    damaged = bytearray((folder / "05А.pdf").read_bytes())
    damaged[500] ^= 0xFF
    (folder / "05А.pdf").write_bytes(bytes(damaged))
    (folder / "06Б.pdf").unlink()
    page = as_user(school.deputy).post(f"/archive/{build.id}/verify", follow_redirects=True).get_data(as_text=True)
    assert "Файл «05А.pdf» (класс 5А) изменён" in page
    assert "Нет файла «06Б.pdf» (класс 6Б)" in page
    # A manifest rewritten to match is caught by the checksum kept in the database.
    (folder / "manifest.json").write_text("{}")
    problems = archive.verify(school.head, build.id, clock=settings.clock)
    assert any("Опись manifest.json изменена" in p for p in problems)
    # A rebuild is a new build; the old one stays with its files.
    again = archive.request_build(school.admin, "2026/2027", settings=settings)
    assert again.id != build.id and again.directory != build.directory
    assert ArchiveBuild.select().count() == 2


def test_only_the_administrator_builds_and_the_readers_download(school, as_user, app):
    from app.settings import app_settings

    settings = app_settings(app)
    build = archive.request_build(school.admin, school.year.id, settings=settings)
    archive.build(build.id, settings=settings)
    teacher = as_user(school.teacher)
    assert teacher.get("/archive/").status_code == 403
    assert teacher.post("/archive/build", data={"year": str(school.year.id)}).status_code == 403
    assert teacher.get(f"/archive/{build.id}/files/05А.pdf").status_code == 403
    assert teacher.post(f"/archive/{build.id}/verify").status_code == 403
    head = as_user(school.head)
    assert head.post("/archive/build", data={"year": str(school.year.id)}).status_code == 403
    assert ArchiveBuild.select().count() == 1
    page = head.get("/archive/").get_data(as_text=True)
    assert "Сформировать архив" not in page and f"/archive/{build.id}/files/05" in page
    download = head.get(f"/archive/{build.id}/files/05А.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data[:5] == b"%PDF-"
    download.close()
    assert AuditEntry.select().where(AuditEntry.action == "download").count() == 1
    assert head.get(f"/archive/{build.id}/files/..%2Fsecret").status_code == 404
    manifest = head.get(f"/archive/{build.id}/files/manifest.json")
    assert manifest.status_code == 200 and json.loads(manifest.data)["year"] == "2026/2027"
    manifest.close()
    admin = as_user(school.admin)
    assert "Сформировать архив" in admin.get("/archive/").get_data(as_text=True)


def test_a_year_being_built_is_not_asked_for_twice(school, as_user):
    admin = as_user(school.admin)
    admin.post("/archive/build", data={"year": str(school.year.id)})
    again = admin.post("/archive/build", data={"year": str(school.year.id)})
    assert again.status_code == 400
    assert "уже формируется" in again.get_data(as_text=True)
    assert admin.post("/archive/build", data={"year": "987654"}).status_code == 400
    assert ArchiveBuild.select().count() == 1


def test_the_command_line_builds_and_verifies(school, runner):
    result = runner.invoke(args=["archive", "build", "--year", "2026/2027", "--now"])
    assert result.exit_code == 0, result.output
    assert "готов: 2 файлов" in result.output
    build = ArchiveBuild.get()
    assert build.requested_by_name == "командная строка"
    result = runner.invoke(args=["archive", "verify", str(build.id)])
    assert result.exit_code == 0 and "Архив в порядке" in result.output
    (Path(build.directory) / "06Б.pdf").unlink()
    result = runner.invoke(args=["archive", "verify", str(build.id)])
    assert result.exit_code != 0 and "Нет файла «06Б.pdf»" in result.output
    result = runner.invoke(args=["archive", "build", "--year", "1999/2000"])
    assert result.exit_code != 0 and "Такого учебного года нет" in result.output


def test_a_class_file_reads_a_fixed_number_of_queries_per_journal(school, app):
    from app.models import Lesson, Mark, SchoolSettings
    from tests.journal.conftest import QueryCounter

    settings = SchoolSettings.load()

    def queries():
        with QueryCounter() as counter:
            made = archive.class_pdf(school.c5a, settings=settings, today=dt.date(2026, 12, 1), built_by="тест")
        return counter.count, made

    before, made = queries()
    assert len(made.journals) == 2
    # More lessons and marks: the same number of queries.
    for day in (dt.date(2026, 12, 3), dt.date(2026, 12, 7), dt.date(2026, 12, 10)):
        lesson = Lesson.create(
            journal=school.math_journal, term=school.q2, date=day, number=2,
            planned_teacher=school.teacher, teacher=school.teacher, topic="Повторение", held=True,
        )  # fmt: skip
        for student in school.students[:10]:
            Mark.create(lesson=lesson, student=student, value="4", work_type=school.answer)
    after, made = queries()
    assert after == before
    assert made.journals[0]["lessons"] == 11


def test_a_failed_build_says_why_and_a_stale_one_does_not_hold_the_year(school, app):
    from app.settings import app_settings

    settings = app_settings(app)
    build = archive.request_build(school.admin, school.year.id, settings=settings)
    # The build's folder cannot be made: a file is in its place.
    folder = Path(build.directory)
    folder.parent.mkdir(parents=True)
    folder.write_text("не каталог")
    assert archive.build(build.id, settings=settings) == "failed"
    failed = ArchiveBuild.get_by_id(build.id)
    assert failed.error.startswith("Архив не сформирован из-за ошибки на сервере")
    # A build left «running» by a worker that died long ago does not block a new one.
    ArchiveBuild.update(status="running", created_at=dt.datetime(2026, 1, 1)).where(
        ArchiveBuild.id == build.id
    ).execute()
    assert archive.request_build(school.admin, school.year.id, settings=settings).id != build.id
