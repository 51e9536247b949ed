"""Homework files: type whitelist, size limit, storage outside static/, Cyrillic names, who may download."""

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

from app.models import AuditEntry, HomeworkFile, Tombstone
from app.services import journal_files

PDF = b"%PDF-1.4\n% homework\n" + b"x" * 3000


def upload(client, lesson, name, content, **fields):
    data = {"version": str(lesson.version), "topic": lesson.topic or "", "homework": lesson.homework or ""}
    data.update(fields)
    data["file"] = (io.BytesIO(content), name)
    return client.post(
        f"/journal/lesson/{lesson.id}", data=data, content_type="multipart/form-data", follow_redirects=True
    )


def stored_files(app) -> list[Path]:
    root = journal_files.upload_root(app.config["INSTANCE_PATH"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_keeps_the_cyrillic_name_and_stores_outside_static(school, as_user, app):
    client = as_user(school.teacher)
    page = upload(client, school.lesson, "Домашнее задание №5.pdf", PDF, homework="Решить задачи из файла")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Файл «Домашнее задание №5.pdf» прикреплён." in html and "Урок сохранён." in html

    record = HomeworkFile.get()
    assert record.original_name == "Домашнее задание №5.pdf"
    assert record.size == len(PDF) and record.sha256 == hashlib.sha256(PDF).hexdigest()
    assert record.content_type == "application/pdf" and record.uploaded_by_id == school.teacher.id
    assert record.change_no > 0
    files = stored_files(app)
    assert len(files) == 1 and files[0].name == record.stored_name and files[0].read_bytes() == PDF
    assert "Домашнее" not in str(files[0]) and "static" not in str(files[0])
    assert Path(app.config["INSTANCE_PATH"]) in files[0].parents
    assert AuditEntry.select().where((AuditEntry.model == "HomeworkFile") & (AuditEntry.action == "create")).exists()

    # The class teacher may see the lesson, so may download; the header keeps the name safely.
    response = as_user(school.leader).get(f"/journal/files/{record.id}")
    body = response.data
    response.close()
    assert response.status_code == 200 and body == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Domashnee zadanie _5.pdf"; '
        f"filename*=UTF-8''{quote('Домашнее задание №5.pdf', safe='')}"
    )
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_file_names_cannot_climb_out(school, as_user, app):
    upload(as_user(school.teacher), school.lesson, "../../etc/пароли<1>.txt", "Прочитать параграф".encode("cp1251"))
    record = HomeworkFile.get()
    assert record.original_name == "пароли1.txt"
    assert stored_files(app)[0].name == record.stored_name and len(record.stored_name) == 32


def test_download_only_for_those_who_see_the_lesson(school, as_user, app):
    upload(as_user(school.teacher), school.lesson, "задание.pdf", PDF)
    record = HomeworkFile.get()
    other = as_user(school.other)
    assert other.get(f"/journal/files/{record.id}").status_code == 403
    assert other.post(f"/journal/files/{record.id}/delete").status_code == 403
    assert HomeworkFile.select().count() == 1 and len(stored_files(app)) == 1
    response = as_user(school.head).get(f"/journal/files/{record.id}")
    response.close()
    assert response.status_code == 200
    assert other.get("/journal/files/999999").status_code == 404


def test_size_limit_from_the_settings(school, as_user, app):
    school.settings.upload_max_mb = 1
    school.settings.save()
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    page = upload(as_user(school.teacher), school.lesson, "большой.pdf", big)
    assert "не прикреплён: Файл больше 1 МБ" in page.get_data(as_text=True)
    assert HomeworkFile.select().count() == 0 and stored_files(app) == []
    exact = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    upload(as_user(school.teacher), school.lesson, "ровно.pdf", exact)
    assert HomeworkFile.get().size == 1024 * 1024


def test_type_whitelist_and_content_check(school, as_user, app):
    client = as_user(school.teacher)
    cases = {
        "программа.exe": (b"MZ\x90\x00", "Файлы такого типа прикреплять нельзя"),
        "страница.html": (b"<script>alert(1)</script>", "Файлы такого типа прикреплять нельзя"),
        "фото.png": (PDF, "не похоже на PNG"),
        "текст.txt": (b"abc\x00def", "не похоже на TXT"),
        "пусто.pdf": (b"", "Файл пустой"),
    }
    for name, (content, message) in cases.items():
        html = upload(client, school.lesson, name, content).get_data(as_text=True)
        assert message in html, name
    assert HomeworkFile.select().count() == 0 and stored_files(app) == []
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    upload(client, school.lesson, "схема.PNG", png)
    assert HomeworkFile.get().content_type == "image/png"


def test_remove_leaves_a_tombstone_and_deletes_the_stored_file(school, as_user, app):
    client = as_user(school.teacher)
    upload(client, school.lesson, "задание.pdf", PDF)
    record = HomeworkFile.get()
    response = client.post(f"/journal/files/{record.id}/delete", follow_redirects=True)
    assert "Файл «задание.pdf» удалён." in response.get_data(as_text=True)
    assert HomeworkFile.select().count() == 0 and stored_files(app) == []
    assert (
        Tombstone.select()
        .where((Tombstone.record_type == "homework_file") & (Tombstone.record_id == record.id))
        .exists()
    )
    assert AuditEntry.select().where((AuditEntry.model == "HomeworkFile") & (AuditEntry.action == "delete")).exists()
    assert client.get(f"/journal/files/{record.id}").status_code == 404


def test_read_only_viewer_cannot_upload(school, as_user, app):
    response = upload(as_user(school.leader), school.russian_lesson, "задание.pdf", PDF)
    assert response.status_code == 403
    assert HomeworkFile.select().count() == 0 and stored_files(app) == []


def test_ascii_fallback_name():
    assert journal_files.ascii_name("Щука и ёж.docx") == "Schuka i ezh.docx"
    assert journal_files.ascii_name("№") == "_"
    assert journal_files.clean_name("  .скрытый.pdf ") == "скрытый.pdf"
    assert journal_files.clean_name('C:\\Users\\учитель\\"план"\r\n.docx') == "план.docx"
