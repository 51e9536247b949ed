"""Homework files: checked uploads kept outside static/ under random names, served only to who sees the lesson."""

import hashlib
import os
import secrets
import unicodedata
from pathlib import Path
from urllib.parse import quote

from app.db import db
from app.ids import parse_id
from app.models import HomeworkFile, SchoolSettings
from app.services import audit
from app.services.errors import DomainError
from app.services.journal import NotFound, ensure_can_edit, ensure_can_see, get_lesson

CHUNK = 64 * 1024
MAX_FILES_PER_LESSON = 10
NAME_MAX = 255

# The types a teacher may attach: extension → (content type, the file's opening bytes, any of).
# Office formats open as ZIP (docx, xlsx, pptx, odt…) or as OLE2 (doc, xls, ppt).
ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
ALLOWED_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".ppt": ("application/vnd.ms-powerpoint", OLE),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", ZIP),
    ".rtf": ("application/rtf", (b"{\\rtf",)),
    ".txt": ("text/plain; charset=utf-8", None),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
ALLOWED_LABEL = "PDF, Word, Excel, PowerPoint, OpenDocument, RTF, TXT, JPG, PNG"

# Latin spelling for the plain `filename=` fallback of old browsers.
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f h ts ch sh sch  y  e yu ya".split(" "),
        strict=True,
    )
)


def upload_root(instance_path) -> Path:
    """Return the folder homework files live in: inside the instance folder, never under static/."""
    return Path(instance_path) / "uploads"


def stored_path(root: Path, stored_name: str) -> Path:
    """Return where a stored file lies (two-letter subfolders keep folders small)."""
    return Path(root) / stored_name[:2] / stored_name


def clean_name(filename: str) -> str:
    """Return a safe display name: no folders, no control characters, Cyrillic kept."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>|:*?')
    name = name.strip().lstrip(".").strip()
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        name = stem[: NAME_MAX - len(ext)] + ext
    return name


def _is_text(head: bytes) -> bool:
    # Plain text in any of the encodings teachers use has no NUL bytes; binaries almost always do.
    return b"\x00" not in head


def _check_type(name: str, head: bytes) -> str:
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_TYPES:
        raise DomainError(f"Файлы такого типа прикреплять нельзя. Допустимы: {ALLOWED_LABEL}.", "file")
    content_type, signatures = ALLOWED_TYPES[ext]
    if signatures is None:
        ok = _is_text(head)
    else:
        ok = any(head.startswith(sig) for sig in signatures)
    if not ok:
        raise DomainError(f"Содержимое файла не похоже на {ext[1:].upper()}: файл повреждён или переименован.", "file")
    return content_type


def add_file(actor, lesson_id, stream, filename: str, root) -> HomeworkFile:
    """Attach a homework file to a lesson: check type and size, store it under a random name, audited."""
    lesson = get_lesson(lesson_id)
    ensure_can_edit(actor, lesson)
    name = clean_name(filename)
    if not name or not os.path.splitext(name)[0]:
        raise DomainError("Выберите файл.", "file")
    if HomeworkFile.select().where(HomeworkFile.lesson == lesson.id).count() >= MAX_FILES_PER_LESSON:
        raise DomainError(f"К уроку можно прикрепить не больше {MAX_FILES_PER_LESSON} файлов.", "file")
    limit_mb = SchoolSettings.load().upload_max_mb
    limit = limit_mb * 1024 * 1024

    stored_name = secrets.token_hex(16)
    target = stored_path(root, stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(stored_name + ".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(partial, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise DomainError(f"Файл больше {limit_mb} МБ: такой прикрепить нельзя.", "file")
                if len(head) < 2048:
                    head += chunk[: 2048 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise DomainError("Файл пустой.", "file")
        content_type = _check_type(name, head)
        os.replace(partial, target)
        with db.atomic():
            record = HomeworkFile(
                lesson=lesson.id,
                original_name=name,
                stored_name=stored_name,
                content_type=content_type,
                size=size,
                sha256=digest.hexdigest(),
                uploaded_by=actor.id,
            )
            record.save(force_insert=True)
            audit.record(actor, "create", record, after=record.snapshot(), object_repr=f"{name} — {lesson}")
    except BaseException:
        partial.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return record


def _get_file(file_id) -> HomeworkFile:
    number = parse_id(file_id)
    record = HomeworkFile.get_or_none(HomeworkFile.id == number) if number is not None else None
    if record is None:
        raise NotFound("Файл не найден.")
    return record


def remove_file(actor, file_id, root) -> None:
    """Detach a homework file: the row leaves a tombstone, the stored file is removed after the commit."""
    record = _get_file(file_id)
    lesson = get_lesson(record.lesson_id)
    ensure_can_edit(actor, lesson)
    before = record.snapshot()
    with db.atomic():
        record.delete_instance()
        audit.record(actor, "delete", record, before=before, object_repr=f"{record.original_name} — {lesson}")
    stored_path(root, record.stored_name).unlink(missing_ok=True)


def file_for_download(actor, file_id, root) -> tuple[HomeworkFile, Path]:
    """Return a homework file and its path for a staff member who may see its lesson."""
    record = _get_file(file_id)
    ensure_can_see(actor, get_lesson(record.lesson_id))
    path = stored_path(root, record.stored_name)
    if not path.is_file():
        raise NotFound("Файл отсутствует в хранилище. Сообщите администратору.")
    return record, path


def human_size(size: int) -> str:
    """Return a file size the Russian way: 12 КБ, 1,5 МБ."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} КБ"
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


def ascii_name(name: str) -> str:
    """Return a Latin spelling of a file name for clients that ignore filename*."""
    out = []
    for ch in name:
        low = ch.lower()
        if low in TRANSLIT:
            latin = TRANSLIT[low]
            out.append(latin.capitalize() if ch != low else latin)
        elif ch.isascii() and (ch.isalnum() or ch in " ._-()"):
            out.append(ch)
        else:
            out.append("_")
    return "".join(out).strip() or "file"


def content_disposition(name: str) -> str:
    """Return an attachment header keeping the original (Cyrillic) name safely (RFC 6266, RFC 5987)."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
