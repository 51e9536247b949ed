"""Homework files' content: recorded by the builder, delivered by the transports before the package that names it.

A `homework_file` record names its file's bytes by `sha256` and `size`. While it writes a package
the builder records every distinct content its upserts name (sha256 → the stored file) in the
package's content list, a small NDJSON file beside the package (`contents_path`). A transport
delivers every listed content before the package itself (docs/export-format.en.md, «Homework
files»), so a receiver never holds a record whose bytes it cannot have.

Nothing on disk is read while the package is built: a file whose content the receiver holds
already is not needed again, and one lost from the upload folder stops only the delivery that
must send it, with a message naming the file and its lesson (`ContentUnavailable`, `explain`).
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

import orjson

from app.formats import format_date
from app.models import HomeworkFile, Journal, Lesson, StudyGroup, Subject
from app.services.exports.errors import ExportError
from app.services.journal_files import stored_path

READ_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class Content:
    """One file's bytes a package names: its checksum and size, where it is stored, the record naming it."""

    sha256: str
    size: int
    path: Path
    # The first homework_file record of the package naming this content, and its file name.
    file_id: int
    name: str


class ContentUnavailable(ExportError):
    """A content a package names cannot be delivered: the stored file is gone, or its bytes are not the recorded ones.

    `problem` is "missing" or "changed"; `explain()` turns it into the administrator's message.
    """

    def __init__(self, content: Content, problem: str):
        why = "его нет в хранилище" if problem == "missing" else "его содержимое не совпадает с записанным"
        super().__init__(f"Файл «{content.name}» (№ {content.file_id}) не отправлен: {why}.")
        self.content = content
        self.problem = problem


def contents_name(package_id: str) -> str:
    """Return the file name of a package's content list: hidden, beside the package."""
    return f".{package_id}.files.ndjson"


def contents_path(directory: Path, package_id: str) -> Path:
    """Return where the content list of a package built in `directory` lies."""
    return Path(directory) / contents_name(package_id)


class ContentRecorder:
    """Write the content list of a package: each distinct sha256 of its homework_file upserts once, in package order."""

    def __init__(self, upload_root: Path, out):
        self.upload_root = Path(upload_root)
        self.out = out
        self._seen: set[bytes] = set()
        self.count = 0
        self.bytes = 0

    def add(self, file_id: int, name: str, sha256: str, size: int, stored_name: str) -> None:
        digest = bytes.fromhex(sha256)
        if digest in self._seen:
            return
        self._seen.add(digest)
        line = {
            "sha256": sha256,
            "size": size,
            "path": str(stored_path(self.upload_root, stored_name)),
            "file": file_id,
            "name": name,
        }
        self.out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        self.count += 1
        self.bytes += size


def parse_contents(lines) -> list[Content]:
    """Return the contents the lines of a content list name, in their order."""
    found = []
    for line in lines:
        item = orjson.loads(line)
        found.append(Content(item["sha256"], item["size"], Path(item["path"]), item["file"], item["name"]))
    return found


def read_contents(path: Path) -> list[Content]:
    """Return the contents a package's list (a file) names, in its order."""
    with open(path, "rb") as listed:
        return parse_contents(listed)


class ContentReader:
    """Read a stored file once while checking that its bytes are the recorded ones (size and sha256)."""

    def __init__(self, content: Content):
        self.content = content
        self._digest = hashlib.sha256()
        self._size = 0
        try:
            self._stream = open(content.path, "rb")
        except FileNotFoundError:
            raise ContentUnavailable(content, "missing") from None

    def read(self, size: int = READ_BLOCK) -> bytes:
        block = self._stream.read(size)
        self._digest.update(block)
        self._size += len(block)
        if self._size > self.content.size:
            raise ContentUnavailable(self.content, "changed")
        return block

    def verify(self) -> None:
        """Raise ContentUnavailable unless everything read so far is exactly the recorded content."""
        if self._size != self.content.size or self._digest.hexdigest() != self.content.sha256:
            raise ContentUnavailable(self.content, "changed")

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _lesson_label(lesson_id: int) -> str | None:
    row = (
        Lesson.select(Lesson.date, Lesson.number, StudyGroup.name, Subject.name.alias("subject"))
        .join(Journal)
        .join(StudyGroup)
        .switch(Journal)
        .join(Subject)
        .where(Lesson.id == lesson_id)
        .dicts()
        .first()
    )
    if row is None:
        return None
    return f"{row['name']} · {row['subject']} · {format_date(row['date'])}, {row['number']} урок"


def explain(error: ContentUnavailable) -> str:
    """Return the administrator's message for an undeliverable content: which file, which lesson, what to do."""
    content = error.content
    record = HomeworkFile.get_or_none(HomeworkFile.id == content.file_id)
    if record is None:
        # Detached from its lesson after the package was built: the next package carries its delete.
        return (
            f"Файл «{content.name}» открепили от урока, пока выгрузка собиралась и отправлялась, а его "
            "содержимое уже удалено из хранилища. Изменения не потеряны: они уйдут со следующей выгрузкой, "
            "уже без этого файла."
        )
    lesson = _lesson_label(record.lesson_id)
    where = f"«{record.original_name}» (урок {lesson})" if lesson else f"«{record.original_name}»"
    if error.problem == "missing":
        what = f"Файл {where} пропал из хранилища файлов на сервере, и портал его ещё не получал."
    else:
        what = (
            f"Содержимое файла {where} в хранилище на сервере изменилось или повреждено: оно не совпадает "
            "с контрольной суммой, записанной при загрузке."
        )
    return (
        f"{what} Выгрузка с этим файлом не может быть доставлена: откройте урок, удалите файл и прикрепите его "
        "заново (или просто удалите). Изменения не потеряны: они уйдут с первой выгрузкой после этого."
    )
