"""The year's archive of the journal (issue 11, letter АП-147/07): a PDF per class, a manifest, a check.

The administrator asks for a build of a school year (`request_build`); an RQ job draws, for every
class of the year, one PDF holding every journal that has a student of the class (whole-class and
group journals, each printed for the whole year as `journal_print` prints it), the class's finals
sheet (students × subjects × periods) and its attendance summary (lessons missed by reason, per
period), then writes `manifest.json` (year, built_at, the builder, per file: class, name, size,
sha256, pages, journals) and `manifest.json.sha256` beside it. A build lives in
`<instance>/archive/<year>/<build id>/`; a rebuild is a new build and the old ones stay.
`verify` re-reads every file against the manifest kept in the database and names what changed.
"""

import datetime as dt
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from redis.exceptions import RedisError
from rq import Retry
from rq.exceptions import DuplicateJobError

from app import queue as app_queue
from app.db import db
from app.documents import Column, Document, MatrixCell, MatrixColumn, Section
from app.formats import format_date
from app.ids import parse_id
from app.models import (
    Absence,
    ArchiveBuild,
    ClassGroup,
    Enrollment,
    Journal,
    Lesson,
    SchoolSettings,
    SchoolYear,
    Staff,
    Student,
    StudyGroup,
    Subject,
)
from app.services import access, audit, finals, groups, journal_print
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.journal_marks import ABSENCE_CODES, ABSENCE_LABELS

log = logging.getLogger(__name__)

ARCHIVE_DIRNAME = "archive"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
JOB_FUNC = "workers.archive.build_archive"
JOB_TIMEOUT = 4 * 3600
# The order of the attendance summary's columns: the reasons, then the lessons missed (lateness is not one).
SUMMARY_REASONS = ("illness", "excused", "unexcused", "unknown", "late")
MISSED_REASONS = ("illness", "excused", "unexcused", "unknown")


def archive_root(instance_path) -> Path:
    return Path(instance_path) / ARCHIVE_DIRNAME


def _year_dirname(year_name: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "-", year_name).strip("-") or "year"


def _requester_name(actor, source: str) -> str:
    if actor is not None:
        return actor.full_name
    return "командная строка" if source == "cli" else "система"


# --- asking for a build ----------------------------------------------------------------------


def find_year(value) -> SchoolYear:
    """Return a school year by id or by name («2026/2027»), else refuse with a Russian message."""
    year = None
    if isinstance(value, str) and "/" in value:
        year = SchoolYear.get_or_none(SchoolYear.name == value.strip())
    else:
        number = parse_id(value)
        year = SchoolYear.get_or_none(SchoolYear.id == number) if number is not None else None
    if year is None:
        raise DomainError("Такого учебного года нет: выберите год из списка.", "year")
    return year


def request_build(actor, year_value, *, settings, source: str = "panel") -> ArchiveBuild:
    """Record a build of a school year's archive (committed, audited), then hand it to a worker.

    `actor` None is the command line. A year whose build is queued or running is refused.
    """
    if actor is not None and not access.can_build_archive(actor):
        raise AccessDenied("Архив журналов формирует администратор.")
    year = find_year(year_value)
    # A build whose worker died past its tries stays «running»: after the job's time and its
    # retries it no longer holds the year.
    since = settings.clock.utcnow() - dt.timedelta(seconds=JOB_TIMEOUT * 3)
    waiting = (
        ArchiveBuild.select()
        .where(
            (ArchiveBuild.year == year.id)
            & ArchiveBuild.status.in_(["queued", "running"])
            & (ArchiveBuild.created_at >= since)
        )
        .first()
    )
    if waiting is not None:
        raise DomainError(f"Архив за {year.name} уже формируется (сборка № {waiting.id}): дождитесь её окончания.")
    with db.atomic():
        build = ArchiveBuild.create(
            year=year.id,
            year_name=year.name,
            requested_by=actor.id if actor is not None else None,
            requested_by_name=_requester_name(actor, source),
            created_at=settings.clock.utcnow(),
        )
        build.directory = str(archive_root(settings.instance_path) / _year_dirname(year.name) / str(build.id))
        build.save()
        audit.record(actor, "create", build, after=build.snapshot(), source=source)
    return build


def job_id_for(build: ArchiveBuild) -> str:
    """Return a build's job id: its number and the instant it was asked for (letters, digits, '-' only)."""
    return f"archive-build-{build.id}-{build.created_at:%Y%m%d%H%M%S%f}"


def enqueue_build(build: ArchiveBuild, *, settings, connection=None) -> str | None:
    """Give a build its job; None (and the build failed with why) when the queue cannot be reached."""
    job_id = job_id_for(build)
    try:
        app_queue.enqueue(
            JOB_FUNC,
            settings=settings,
            connection=connection,
            args=(build.id,),
            kwargs={"school": settings.school},
            job_id=job_id,
            timeout=JOB_TIMEOUT,
            retry=Retry(max=2, interval=[60, 300]),
            unique=True,
        )
    except DuplicateJobError:
        # The build's job is queued already (asked twice from the command line and the panel).
        return job_id
    except (RedisError, OSError) as exc:
        log.warning("Archive build %s not enqueued: %s", build.id, exc)
        ArchiveBuild.update(
            status="failed",
            error="Очередь заданий недоступна: сформируйте архив командой «flask archive build --now».",
        ).where(ArchiveBuild.id == build.id).execute()
        return None
    ArchiveBuild.update(job_id=job_id).where(ArchiveBuild.id == build.id).execute()
    return job_id


def builds():
    """Return the builds, newest first."""
    return ArchiveBuild.select().order_by(ArchiveBuild.id.desc())


def get_build(actor, build_id) -> ArchiveBuild:
    """Return a build for someone who may read the archive (`actor` None: the command line), else refuse."""
    if actor is not None and not access.can_read_archive(actor):
        raise AccessDenied("Архив журналов видят администратор, директор и заместитель директора.")
    number = parse_id(build_id)
    build = ArchiveBuild.get_or_none(ArchiveBuild.id == number) if number is not None else None
    if build is None:
        raise NotFound("Такой сборки архива нет.")
    return build


# --- the attendance summary ----------------------------------------------------------------


@dataclass
class AttendanceSummary:
    """Per student of a class: the lessons missed between two dates, by reason (lateness apart)."""

    class_group: ClassGroup
    start: dt.date
    end: dt.date
    students: list[tuple[int, str]]  # (id, «Фамилия Имя»), by surname
    counts: dict[int, dict[str, int]] = field(default_factory=dict)

    def count(self, student_id: int, reason: str) -> int:
        return self.counts.get(student_id, {}).get(reason, 0)

    def missed(self, student_id: int) -> int:
        return sum(self.count(student_id, reason) for reason in MISSED_REASONS)


def class_attendance_summary(class_group: ClassGroup, start: dt.date, end: dt.date) -> AttendanceSummary:
    """Count each student's absences between two dates by reason, in three queries.

    The students are those enrolled in the class on some day of the span; an absence counts when
    its lesson is of a journal that has a student of the class and falls within the student's
    enrollment in the class (a student who moved in counts from the day they came).
    """
    enrolled: dict[int, list] = {}
    query = Enrollment.select(Enrollment.student, Enrollment.start_date, Enrollment.end_date).where(
        (Enrollment.class_group == class_group.id)
        & (Enrollment.start_date <= end)
        & (Enrollment.end_date.is_null() | (Enrollment.end_date >= start))
    )
    for student_id, first, last in query.tuples():
        enrolled.setdefault(student_id, []).append((first, last))
    students = []
    if enrolled:
        names = (
            Student.select(Student.id, Student.last_name, Student.first_name)
            .where(Student.id.in_(list(enrolled)))
            .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)
        )
        students = [(sid, f"{last} {first}") for sid, last, first in names.tuples()]
    summary = AttendanceSummary(class_group, start, end, students)
    if not enrolled:
        return summary
    rows = (
        Absence.select(Absence.student, Absence.reason, Lesson.date)
        .join(Lesson, on=(Lesson.id == Absence.lesson))
        .where(
            Absence.student.in_(list(enrolled))
            & (Lesson.date >= start)
            & (Lesson.date <= end)
            & Lesson.journal.in_(access.journals_of_classes([class_group.id]))
        )
        .tuples()
    )
    for student_id, reason, day in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        if any(first <= day and (last is None or day <= last) for first, last in enrolled[student_id]):
            per = summary.counts.setdefault(student_id, {})
            per[reason] = per.get(reason, 0) + 1
    return summary


# --- one class's file -----------------------------------------------------------------------


def class_journals(class_group: ClassGroup) -> list[Journal]:
    """Return the year's journals that have a student of the class, whole-class ones first, by subject."""
    return list(
        Journal.select(Journal, StudyGroup, Subject)
        .join_from(Journal, StudyGroup)
        .join_from(Journal, Subject)
        .where(Journal.id.in_(access.journals_of_classes([class_group.id])) & (Journal.year == class_group.year_id))
        .order_by(StudyGroup.kind != "class", Subject.name, StudyGroup.name, Journal.id)
    )


def _cover(pdf: Document, class_group, year, school, journals, teachers, built_by: str, built_on: dt.date) -> None:
    pdf.set_margins(journal_print.MARGIN, journal_print.MARGIN, journal_print.MARGIN)
    pdf.footer_text = f"Архив класса {class_group} · {year.name}"
    pdf.add_page()
    pdf.heading(school.name, 13)
    pdf.heading(f"Архив классного журнала: {class_group} класс, {year.name} учебный год", 12)
    leader = Staff.get_or_none(Staff.id == class_group.class_teacher_id) if class_group.class_teacher_id else None
    pdf.line_text(f"Классный руководитель: {leader.full_name if leader else 'не назначен'}")
    pdf.line_text(f"Сформирован {format_date(built_on)}; сформировал(а): {built_by}.")
    pdf.line_text("В файле: журналы класса за учебный год, итоговые отметки класса, сводка посещаемости.")
    rows = []
    for number, book in enumerate(journals, 1):
        kind = "весь класс" if book.group.is_whole_class else groups.GROUP_KIND_LABELS.get(book.group.kind, "")
        names = ", ".join(t.short_name for t in teachers.get(book.id, [])) or "не назначен"
        rows.append((number, book.subject.name, f"{book.group.name} ({kind})", names))
    pdf.table_section(
        Section(
            "Журналы класса",
            [Column("№", 0.5, "C"), Column("Предмет", 3), Column("Группа", 3), Column("Учитель", 3)],
            rows,
            empty="Журналов у класса нет.",
        )
    )


def _class_header(pdf: Document, school, class_group, year, what: str):
    def draw():
        pdf.set_x(pdf.l_margin)
        pdf.fitted_cell(0, 5, school.name, size=10, style="B", new_x="LMARGIN", new_y="NEXT", align="C")
        pdf.fitted_cell(
            0, 4.5, f"{what} · {class_group} класс · {year.name} учебный год", size=9, style="B",
            new_x="LMARGIN", new_y="NEXT", align="C",
        )  # fmt: skip
        pdf.ln(1)

    return draw


def _short_term(column) -> str:
    return journal_print._term_short(column.term) if column.term is not None else journal_print.YEAR_SHORT[column.kind]


def _finals_pages(pdf: Document, report: finals.ClassFinals, school, year) -> None:
    pdf.footer_text = f"Итоговые отметки · {report.class_group} · {year.name}"
    columns = [
        MatrixColumn(_short_term(column), subject.short_name or subject.name, 7)
        for subject in report.subjects
        for column in report.columns
    ]
    keys = [(subject.id, column.key) for subject in report.subjects for column in report.columns]
    rows = [
        ([str(number), f"{student.last_name} {student.first_name}"], [report.value(student.id, s, k) for s, k in keys])
        for number, student in enumerate(report.students, 1)
    ]
    pdf.matrix(
        heads=[Column("№", journal_print.NUMBER_WIDTH, "C"), Column("Фамилия, имя ученика", journal_print.NAME_WIDTH)],
        columns=columns,
        rows=rows,
        keep_groups=True,
        on_page=_class_header(pdf, school, report.class_group, year, "Итоговые отметки"),
    )


def _attendance_pages(pdf: Document, class_group, year, school, periods) -> None:
    pdf.footer_text = f"Посещаемость · {class_group} · {year.name}"
    summaries = [(label, class_attendance_summary(class_group, start, end)) for label, start, end in periods]
    students = summaries[-1][1].students if summaries else []
    codes = [(reason, ABSENCE_CODES[reason]) for reason in SUMMARY_REASONS]
    columns = [MatrixColumn(code, label, 7) for label, _ in summaries for code in [c for _, c in codes] + ["всего"]]
    rows = []
    for number, (sid, name) in enumerate(students, 1):
        cells = []
        for _, summary in summaries:
            cells += [str(summary.count(sid, reason) or "") for reason, _ in codes]
            cells.append(MatrixCell(str(summary.missed(sid) or ""), bold=True))
        rows.append(([str(number), name], cells))
    legend = "; ".join(f"{ABSENCE_CODES[r]} — {ABSENCE_LABELS[r]}" for r in SUMMARY_REASONS)

    def after_page():
        pdf.ln(1.5)
        pdf.set_font("DejaVu", size=6.5)
        pdf.multi_cell(
            0, 3, f"Число уроков по причинам: {legend}; «всего» — пропущено уроков (без опозданий).",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip

    pdf.matrix(
        heads=[Column("№", journal_print.NUMBER_WIDTH, "C"), Column("Фамилия, имя ученика", journal_print.NAME_WIDTH)],
        columns=columns,
        rows=rows,
        keep_groups=True,
        on_page=_class_header(pdf, school, class_group, year, "Сводка посещаемости"),
        after_page=after_page,
    )


@dataclass
class ClassFile:
    data: bytes
    pages: int
    journals: list[dict]


def class_pdf(class_group: ClassGroup, *, settings: SchoolSettings, today: dt.date, built_by: str) -> ClassFile:
    """Draw a class's archive file: a cover, every journal of the class for the year, its finals and attendance."""
    year = SchoolYear.get_by_id(class_group.year_id)
    journals = class_journals(class_group)
    teachers = groups.teachers_of([book.id for book in journals])
    pdf = Document(landscape=True)
    pdf.set_title(f"Архив класса {class_group}, {year.name}")
    _cover(pdf, class_group, year, settings, journals, teachers, built_by, today)
    described = []
    for book in journals:
        period = journal_print.period_of(book, journal_print.YEAR_KEY, settings)
        data = journal_print.collect(book, period, settings=settings, today=today)
        first_page = pdf.page_no() + 1
        journal_print.draw_journal(pdf, data)
        described.append(
            {
                "id": book.id,
                "subject": book.subject.name,
                "group": book.group.name,
                "teachers": [t.short_name for t in teachers.get(book.id, [])],
                "lessons": len(data.lessons),
                "pages": [first_page, pdf.page_no()],
            }
        )
    _finals_pages(pdf, finals.class_finals_of(class_group, settings=settings), settings, year)
    terms = finals.attestation_terms(year.id, class_group.grade, settings)
    periods = [(str(t), t.start_date, t.end_date) for t in terms] + [("Год", year.start_date, year.end_date)]
    _attendance_pages(pdf, class_group, year, settings, periods)
    pdf.set_auto_page_break(True, margin=14)
    pdf.signature_lines(["Классный руководитель", "Заместитель директора по УВР", "Директор"])
    return ClassFile(pdf.bytes(), pdf.pages_count, described)


# --- building ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary name, then a rename."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def file_name(class_group: ClassGroup) -> str:
    """The class's file name in a build: «05А.pdf» (the grade two digits wide, so the files sort by grade)."""
    letter = re.sub(r'[/\\:*?"<>|\s]+', "", class_group.letter or "")
    return f"{class_group.grade:02d}{letter}.pdf"


def build(build_id: int, *, settings, on_progress=None) -> str:
    """Build an archive: a PDF per class of the year and the manifest; return the build's status.

    A build already done is left alone; one that failed or was cut short (a worker's crash and
    RQ's retry) starts again from its first class. A failure is recorded on the build, not raised.
    """
    found = ArchiveBuild.get_or_none(ArchiveBuild.id == build_id)
    if found is None or found.status == "done":
        return found.status if found else "gone"
    clock = settings.clock
    folder = Path(found.directory)
    try:
        year = SchoolYear.get_or_none(SchoolYear.id == found.year_id)
        if year is None:
            raise DomainError("Учебный год этой сборки удалён.")
        classes = list(
            ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter)
        )
        ArchiveBuild.update(
            status="running", started_at=clock.utcnow(), progress=0, total=len(classes), error=None
        ).where(ArchiveBuild.id == found.id).execute()
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            if stale.is_file():
                stale.unlink()
        school = SchoolSettings.load()
        today = clock.today()
        files = []
        for done, class_group in enumerate(classes, 1):
            made = class_pdf(class_group, settings=school, today=today, built_by=found.requested_by_name)
            name = file_name(class_group)
            _write(folder / name, made.data)
            files.append(
                {
                    "class": str(class_group),
                    "file": name,
                    "size": len(made.data),
                    "sha256": hashlib.sha256(made.data).hexdigest(),
                    "pages": made.pages,
                    "journals": made.journals,
                }
            )
            ArchiveBuild.update(progress=done).where(ArchiveBuild.id == found.id).execute()
            if on_progress:
                on_progress(done, len(classes))
        built_at = clock.utcnow()
        manifest = {
            "format": 1,
            "school": school.name,
            "year": year.name,
            "build": found.id,
            "built_at": built_at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z"),
            "built_by": found.requested_by_name,
            "files": files,
        }
        text = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        digest = hashlib.sha256(text).hexdigest()
        _write(folder / MANIFEST, text)
        _write(folder / MANIFEST_SUM, f"{digest}  {MANIFEST}\n".encode("ascii"))
        ArchiveBuild.update(
            status="done",
            finished_at=built_at,
            files=json.dumps(files, ensure_ascii=False),
            manifest_sha256=digest,
        ).where(ArchiveBuild.id == found.id).execute()
        return "done"
    except Exception as exc:  # noqa: BLE001 — any failure is the build's, shown on its page
        log.exception("Archive build %s failed", build_id)
        message = (
            exc.message
            if isinstance(exc, DomainError)
            else "Архив не сформирован из-за ошибки на сервере; подробности — в журнале обработчика заданий."
        )
        ArchiveBuild.update(status="failed", finished_at=clock.utcnow(), error=message[:2000]).where(
            ArchiveBuild.id == found.id
        ).execute()
        return "failed"


# --- checking and reading -----------------------------------------------------------------------


def verify(actor, build_id, *, clock) -> list[str]:
    """Re-read a build's files against its manifest; return what is missing or changed ([] when all is in order).

    The manifest's own checksum is kept in the database, so a manifest rewritten to match a
    changed file is caught too. The result is recorded on the build.
    """
    found = get_build(actor, build_id)
    if found.status != "done":
        raise DomainError("Проверить можно только готовый архив.")
    folder = Path(found.directory)
    problems = []
    manifest, listed = folder / MANIFEST, folder / MANIFEST_SUM
    if not manifest.is_file():
        problems.append(f"Нет описи {MANIFEST}.")
    elif _sha256(manifest) != found.manifest_sha256:
        problems.append(f"Опись {MANIFEST} изменена: её контрольная сумма не совпадает с записанной при сборке.")
    if not listed.is_file():
        problems.append(f"Нет файла контрольной суммы описи {MANIFEST_SUM}.")
    elif listed.read_text("ascii", errors="replace").split()[:1] != [found.manifest_sha256]:
        problems.append(f"Файл {MANIFEST_SUM} изменён: контрольная сумма в нём не та, что при сборке.")
    expected = {MANIFEST, MANIFEST_SUM}
    for entry in found.file_list:
        path = folder / entry["file"]
        expected.add(entry["file"])
        if not path.is_file():
            problems.append(f"Нет файла «{entry['file']}» (класс {entry['class']}).")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(f"Файл «{entry['file']}» (класс {entry['class']}) изменён: он не совпадает с описью.")
    if folder.is_dir():
        for extra in sorted(p.name for p in folder.iterdir() if p.name not in expected):
            problems.append(f"Лишний файл «{extra}»: его нет в описи.")
    ArchiveBuild.update(checked_at=clock.utcnow(), check_problems=json.dumps(problems, ensure_ascii=False)).where(
        ArchiveBuild.id == found.id
    ).execute()
    return problems


def file_for_download(actor, build_id, name) -> Path:
    """Return a file of a build (a class's PDF, the manifest or its checksum) for someone who may read it (audited)."""
    found = get_build(actor, build_id)
    names = {entry["file"] for entry in found.file_list} | (
        {MANIFEST, MANIFEST_SUM} if found.status == "done" else set()
    )
    path = Path(found.directory) / name if isinstance(name, str) and name in names else None
    if path is None or not path.is_file():
        raise NotFound("Такого файла в этой сборке архива нет.")
    audit.record(actor, "download", found, after={"file": name})
    return path
