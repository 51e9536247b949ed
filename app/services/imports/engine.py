"""One run of an import: read the file, map its columns, check every row, then apply them all or none.

The flow (one code path for the panel, the worker and `flask import`):
1. `create_job` keeps the uploaded file under `<instance>/imports/<id>/` and an `ImportJob` row;
2. `run(job_id, "check")` reads it (`app.documents.read_table`), maps the headings to the kind's
   fields (guessed, or as the person chose, remembered per kind), checks every cell, finds
   duplicate rows, then applies every row through the area's services inside one transaction
   that is rolled back: every rule of the panel (unknown class, a clash in the timetable…) is
   reported with its row, and the summary (new, updated with the fields, unchanged) is exact;
3. `run(job_id, "apply")` does the same and commits only when no row was refused.
Small files run inline; larger ones in an RQ job (`workers.imports.run_import`) with progress.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError

from app import queue as app_queue
from app.db import db, write_atomic
from app.documents import UnreadableFile, _append, read_table
from app.ids import parse_id
from app.models import ImportJob, SchoolSettings, SchoolYear, Staff
from app.services import access, audit
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.imports.common import CellError, Change, Context, Kind, parse_cell
from app.services.imports.registry import KINDS, get_kind

log = logging.getLogger(__name__)

IMPORTS_DIRNAME = "imports"
JOB_FUNC = "workers.imports.run_import"
JOB_TIMEOUT = 3600
MAX_ROWS = 20000
# What the preview keeps to show: the first errors and changes (the counts are always whole).
SHOWN = 1000
PROGRESS_EVERY = 500
SKIP = ""


def _norm(text: str) -> str:
    return re.sub(r"[\s:.*]+", " ", (text or "").lower().replace("ё", "е")).strip()


def imports_root(instance_path) -> Path:
    return Path(instance_path) / IMPORTS_DIRNAME


def upload_limit_mb() -> int:
    return SchoolSettings.load().upload_max_mb


# --- mapping ---------------------------------------------------------------------------------


def remembered_mapping(kind_code: str) -> dict[str, str]:
    """Return {heading: field code or SKIP} the person chose the last time for this kind."""
    last = (
        ImportJob.select(ImportJob.headings, ImportJob.mapping)
        .where((ImportJob.kind == kind_code) & ImportJob.mapping.is_null(False))
        .order_by(ImportJob.id.desc())
        .first()
    )
    if last is None:
        return {}
    return {h: c for h, c in zip(last.heading_list, json.loads(last.mapping), strict=False) if c is not None}


def guess_mapping(kind: Kind, headings: list[str], remembered: dict[str, str]) -> list[str | None]:
    """Return a field code (or SKIP) per column: remembered by heading, else matched by heading; None: unknown."""
    names = {}
    for f in kind.fields:
        for text in (f.heading, f.code, *f.aliases):
            names.setdefault(_norm(text), f.code)
    codes = {f.code for f in kind.fields}
    mapping: list[str | None] = []
    used: set[str] = set()
    for heading in headings:
        code = remembered.get(heading)
        if code is not None and code != SKIP and code not in codes:
            code = None
        if code is None:
            code = names.get(_norm(heading))
        if code and code in used:
            code = None
        if code:
            used.add(code)
        mapping.append(code)
    return mapping


def mapping_problems(kind: Kind, headings: list[str], mapping: list[str | None]) -> list[dict]:
    """Errors of the columns themselves: an unknown (extra) column, a field twice, a required field missing."""
    problems = []
    seen: dict[str, str] = {}
    for heading, code in zip(headings, mapping, strict=True):
        label = heading or "(без заголовка)"
        if code is None:
            problems.append(_error(1, label, "лишний столбец: выберите, какое это поле, или «не загружать»"))
        elif code != SKIP:
            if code in seen:
                problems.append(_error(1, label, f"поле «{kind.field(code).heading}» уже в столбце «{seen[code]}»"))
            seen[code] = label
    for f in kind.fields:
        if f.required and f.code not in seen:
            problems.append(_error(1, f.heading, "нет обязательного столбца"))
    return problems


def _error(line: int, column: str | None, message: str) -> dict:
    return {"line": line, "column": column, "message": message}


def error_text(error: dict) -> str:
    """An error as one Russian sentence: «Строка 5, столбец «Класс»: класса 5Я нет»."""
    where = f"Строка {error['line']}"
    if error.get("column"):
        where += f", столбец «{error['column']}»"
    return f"{where}: {error['message']}"


# --- jobs ---------------------------------------------------------------------------------------


def create_job(actor, kind_code, filename: str, data: bytes, *, settings, source: str = "import") -> ImportJob:
    """Keep an uploaded file and its row (committed, audited); refuse what is empty, too big or not a table."""
    if actor is not None and not access.can_manage_imports(actor):
        raise AccessDenied("Импорт из таблиц доступен администратору.")
    kind = get_kind(kind_code)
    name = Path(filename or "").name
    if not data:
        raise DomainError("Файл пустой или не выбран: выберите таблицу XLSX или CSV.", "file")
    limit = upload_limit_mb()
    if len(data) > limit * 2**20:
        raise DomainError(
            f"Файл больше {limit} МБ: разделите таблицу на части или уменьшите её (лимит задан в настройках школы).",
            "file",
        )
    if not name.lower().endswith((".xlsx", ".csv", ".txt")):
        raise DomainError("Загрузите таблицу XLSX или CSV (файл «.xlsx» или «.csv»).", "file")
    with db.atomic():
        job = ImportJob.create(
            kind=kind.code,
            filename=name[:255],
            size=len(data),
            requested_by=actor.id if actor is not None else None,
            requested_by_name=actor.full_name if actor is not None else "командная строка",
            created_at=settings.clock.utcnow(),
        )
        folder = imports_root(settings.instance_path) / str(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
        path = folder / f"upload{suffix}"
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)
        job.stored_path = str(path)
        job.save()
        audit.record(actor, "create", job, after=job.snapshot(), source=source)
    return job


def get_job(actor, job_id) -> ImportJob:
    """Return an import job for the administrator (`actor` None: the command line), else refuse."""
    if actor is not None and not access.can_manage_imports(actor):
        raise AccessDenied("Импорт из таблиц доступен администратору.")
    number = parse_id(job_id)
    job = ImportJob.get_or_none(ImportJob.id == number) if number is not None else None
    if job is None:
        raise NotFound("Такой загрузки нет.")
    return job


def jobs(kind_code: str | None = None):
    """Return the uploads, newest first."""
    query = ImportJob.select().order_by(ImportJob.id.desc())
    return query.where(ImportJob.kind == kind_code) if kind_code else query


def set_mapping(actor, job_id, choices: dict[int, str]) -> ImportJob:
    """Take the person's column mapping (column index → field code or SKIP) and check the file again."""
    job = get_job(actor, job_id)
    if job.busy or job.status == "done":
        raise DomainError("Эта загрузка уже обрабатывается или применена: загрузите файл заново.")
    kind = get_kind(job.kind)
    codes = {f.code for f in kind.fields} | {SKIP}
    headings = job.heading_list
    mapping = []
    for index in range(len(headings)):
        code = choices.get(index)
        if code is not None and code not in codes:
            raise DomainError("Выберите поле из списка.", "mapping")
        mapping.append(code)
    ImportJob.update(mapping=json.dumps(mapping, ensure_ascii=False), status="queued").where(
        ImportJob.id == job.id
    ).execute()
    return ImportJob.get_by_id(job.id)


def request_apply(actor, job_id) -> ImportJob:
    """Mark a checked upload without errors to be applied."""
    job = get_job(actor, job_id)
    preview = job.preview_data
    if job.status == "done":
        raise DomainError("Эта загрузка уже применена.")
    if job.status != "checked" or preview is None:
        raise DomainError("Сначала дождитесь окончания проверки файла.")
    if preview["error_count"]:
        raise DomainError("В файле есть ошибки: исправьте их и загрузите файл снова. Ничего не применено.")
    # Claimed by one request only: a second «Применить» (a double click, another administrator) finds it taken.
    claimed = (
        ImportJob.update(status="applying", error=None)
        .where((ImportJob.id == job.id) & (ImportJob.status == "checked"))
        .execute()
    )
    if not claimed:
        raise DomainError("Эта загрузка уже применяется.")
    return ImportJob.get_by_id(job.id)


def start(job: ImportJob, action: str, *, settings, inline_bytes: int) -> str:
    """Run a check or an apply: inline for a small file, else in an RQ job; return "inline", "queued" or "failed"."""
    if job.size <= inline_bytes:
        run(job.id, action, settings=settings)
        return "inline"
    job_id = f"import-{job.id}-{action}-{settings.clock.utcnow():%Y%m%d%H%M%S%f}"
    try:
        app_queue.enqueue(
            JOB_FUNC,
            settings=settings,
            args=(job.id, action),
            kwargs={"school": settings.school},
            job_id=job_id,
            timeout=JOB_TIMEOUT,
            unique=True,
        )
    except DuplicateJobError:
        return "queued"
    except (RedisError, OSError) as exc:
        log.warning("Import %s not enqueued: %s", job.id, exc)
        ImportJob.update(
            status="failed", error="Очередь заданий недоступна: загрузите файл командой «flask import»."
        ).where(ImportJob.id == job.id).execute()
        return "failed"
    ImportJob.update(job_id=job_id).where(ImportJob.id == job.id).execute()
    return "queued"


# --- the run ----------------------------------------------------------------------------------


def _progress(job_id: int, **fields) -> None:
    ImportJob.update(**fields).where(ImportJob.id == job_id).execute()


def read_rows(job: ImportJob) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the headings and the numbered rows of a job's file; refuse an unreadable one in Russian."""
    try:
        data = Path(job.stored_path).read_bytes()
    except OSError as exc:
        raise DomainError("Файл загрузки не найден на сервере: загрузите его снова.") from exc
    try:
        rows = read_table(job.filename, data, max_rows=MAX_ROWS + 1, numbered=True)
    except UnreadableFile as exc:
        raise DomainError(str(exc)) from exc
    if not rows:
        raise DomainError("В файле нет ни одной строки: нужна строка заголовков и строки данных.")
    (_line, headings), *body = rows
    width = len(headings)
    while width and not headings[width - 1]:
        width -= 1
    headings = [h.strip() for h in headings[:width]]
    if not body:
        raise DomainError("В файле только строка заголовков: нет ни одной строки данных.")
    return headings, body


def _values(kind: Kind, headings, mapping, row: list[str], line: int, errors: list) -> dict | None:
    values: dict = {f.code: None for f in kind.fields}
    ok = True
    for index, code in enumerate(mapping):
        if not code:
            continue
        spec = kind.field(code)
        text = row[index] if index < len(row) else ""
        try:
            values[code] = parse_cell(spec, text)
        except CellError as exc:
            errors.append(_error(line, headings[index], exc.message))
            ok = False
            continue
        if spec.required and values[code] is None:
            errors.append(_error(line, headings[index], "пустая ячейка: поле обязательно"))
            ok = False
    extra = [text for text in row[len(mapping) :] if text.strip()]
    if extra:
        errors.append(_error(line, None, f"значение «{extra[0]}» вне столбцов с заголовками"))
        ok = False
    return values if ok else None


def check_rows(kind: Kind, headings, mapping, body, errors: list, job_id: int | None = None) -> list[tuple[int, dict]]:
    """Read every row's cells into values; collect errors (bad cells, empty required ones, duplicate rows)."""
    checked = []
    seen: dict[str, int] = {}
    for count, (line, row) in enumerate(body, 1):
        values = _values(kind, headings, mapping, row, line, errors)
        if job_id is not None and count % PROGRESS_EVERY == 0:
            _progress(job_id, progress=count)
        if values is None:
            continue
        key = kind.key(values)
        if key in seen:
            errors.append(_error(line, None, f"повторяет строку {seen[key]} («{key}»)"))
            continue
        seen[key] = line
        checked.append((line, values))
    return checked


def _column_of(kind: Kind, headings, mapping, field_code: str | None) -> str | None:
    for heading, code in zip(headings, mapping, strict=True):
        if code and code == field_code:
            return heading
    return None


def apply_rows(kind: Kind, ctx: Context, rows, headings, mapping, errors: list, *, commit: bool) -> list[Change]:
    """Apply every row through the services in one transaction; commit only with `commit` and no error."""
    changes: list[Change] = []
    with write_atomic() as transaction:
        for line, values in rows:
            try:
                with db.atomic():
                    changes.extend(kind.apply_row(ctx, values))
            except DomainError as exc:
                errors.append(_error(line, _column_of(kind, headings, mapping, exc.field), exc.message))
        if errors or not commit:
            transaction.rollback()
    return changes


def summarize(changes: list[Change]) -> tuple[dict, list[dict]]:
    """Count each record once (its first change wins): {record: {new, updated, unchanged}}, and the changes to show."""
    seen: dict[tuple[str, str], Change] = {}
    for change in changes:
        seen.setdefault((change.record, change.key), change)
    counts: dict[str, dict[str, int]] = {}
    shown = []
    for change in seen.values():
        per = counts.setdefault(change.record, {"new": 0, "updated": 0, "unchanged": 0})
        per[change.status] += 1
        if change.status != "unchanged" and len(shown) < SHOWN:
            shown.append(change.as_dict())
    return counts, shown


def run(job_id: int, action: str, *, settings, source: str = "import") -> str:
    """Check (`action` "check") or apply ("apply") an upload; store the preview; return the job's status."""
    job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None:
        return "gone"
    kind = KINDS[job.kind]
    commit = action == "apply"
    _progress(job.id, status="applying" if commit else "checking", progress=0, error=None)
    actor = Staff.get_or_none(Staff.id == job.requested_by_id) if job.requested_by_id else None
    errors: list[dict] = []
    counts: dict = {}
    shown: list = []
    headings: list[str] = []
    mapping: list = []
    rows = 0
    try:
        headings, body = read_rows(job)
        rows = len(body)
        if rows > MAX_ROWS:
            raise DomainError(f"В файле больше {MAX_ROWS} строк: разделите его на части.")
        mapping = json.loads(job.mapping) if job.mapping else None
        if mapping is None or len(mapping) != len(headings):
            mapping = guess_mapping(kind, headings, remembered_mapping(kind.code))
        _progress(
            job.id,
            headings=json.dumps(headings, ensure_ascii=False),
            mapping=json.dumps(mapping, ensure_ascii=False),
            total=rows,
        )
        errors.extend(mapping_problems(kind, headings, mapping))
        if not errors:
            checked = check_rows(kind, headings, mapping, body, errors, job.id)
            if not errors:
                _progress(job.id, progress=rows)
                ctx = Context(actor, settings.clock.today(), SchoolYear.current(), source=source)
                changes = apply_rows(kind, ctx, checked, headings, mapping, errors, commit=commit)
                counts, shown = summarize(changes)
    except DomainError as exc:
        errors.append(_error(1, None, exc.message))
    applied = commit and not errors
    preview = {
        "rows": rows,
        "error_count": len(errors),
        "errors": errors[:SHOWN],
        "counts": counts,
        "changes": shown,
        "applied": applied,
    }
    now = settings.clock.utcnow()
    status = "done" if applied else "checked"
    _progress(
        job.id,
        status=status,
        preview=json.dumps(preview, ensure_ascii=False, default=str),
        finished_at=now,
        applied_at=now if applied else None,
        error="Ничего не применено: в файле есть ошибки." if commit and errors else None,
    )
    if applied:
        job = ImportJob.get_by_id(job.id)
        audit.record(actor, "update", job, after={"applied": True, "counts": counts}, source=source)
    return status


def fail(job_id: int, message: str) -> None:
    """Mark a job failed with a message for the person (an unexpected error in the worker)."""
    _progress(job_id, status="failed", error=message)


# --- templates and the school's data in their format ---------------------------------------------


def table_xlsx(kind: Kind, rows: list[dict]) -> bytes:
    """A sheet with the kind's headings (bold) and one row per dict: dates as ДД.ММ.ГГГГ, texts never formulas."""
    book = Workbook()
    sheet = book.active
    sheet.title = kind.title[:31]
    _append(sheet, kind.headings)
    for index in range(1, len(kind.fields) + 1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12, min(40, len(kind.fields[index - 1].heading) + 4)
        )
    for row in rows:
        _append(sheet, [_cell(row.get(f.code)) for f in kind.fields])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if value is None:
        return None
    return value if isinstance(value, int) else str(value)


def template_xlsx(kind_code) -> bytes:
    """The kind's empty template: the headings and one example row."""
    kind = get_kind(kind_code)
    return table_xlsx(kind, [kind.example])


def export_xlsx(actor, kind_code) -> bytes:
    """The school's current data of a kind in its template's format (the current year's)."""
    if actor is not None and not access.can_manage_imports(actor):
        raise AccessDenied("Выгрузка данных в формате шаблона доступна администратору.")
    kind = get_kind(kind_code)
    return table_xlsx(kind, kind.export_rows(SchoolYear.current()))


def file_name(kind: Kind, what: str) -> str:
    return f"{what}-{kind.code}.xlsx"
