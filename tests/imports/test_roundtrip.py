"""The small demo school exported to the template spreadsheets and imported into an empty database recreates it."""

import datetime as dt
import shutil

from app import demo
from app.db import db, init_db
from app.models import (
    ClassGroup,
    Enrollment,
    GroupMembership,
    Guardian,
    Journal,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    TeachingAssignment,
    TimetableSlot,
)
from app.services import school
from app.services.imports import engine
from app.services.imports.registry import KINDS
from app.settings import app_settings

MODELS = (Staff, ClassGroup, Student, Guardian, StudentGuardian, Enrollment, StudyGroup, GroupMembership)


def _counts():
    return {m.__name__: m.select().count() for m in (*MODELS, Journal, TeachingAssignment, TimetableSlot)}


def _sample():
    students = Student.select().order_by(Student.last_name, Student.first_name).limit(20)
    slots = (
        TimetableSlot.select(TimetableSlot, Journal, StudyGroup, Staff)
        .join(Journal)
        .join(StudyGroup)
        .join_from(TimetableSlot, Staff)
        .order_by(StudyGroup.name, TimetableSlot.weekday, TimetableSlot.lesson_number)
        .limit(30)
    )
    return (
        [(s.full_name, s.birth_date) for s in students],
        [(s.journal.group.name, s.weekday, s.lesson_number, s.teacher.login) for s in slots],
    )


def test_the_small_demo_school_survives_export_and_import(app, template_db, tmp_path):
    settings = app_settings(app)
    demo.seed("small", today=dt.date(2026, 12, 1))
    year = SchoolYear.current()
    year_fields = dict(name=year.name, start_date=year.start_date, end_date=year.end_date)
    files = {code: engine.export_xlsx(None, code) for code in KINDS}
    expected, sample = _counts(), _sample()
    original = db.obj
    try:
        _import_into_empty(template_db, tmp_path, settings, files, year_fields, expected, sample)
    finally:
        db.initialize(original)


def _import_into_empty(template_db, tmp_path, settings, files, year_fields, expected, sample):
    # An empty database of the same schema: the suite's migrated template (SQLite) or the reset PostgreSQL one.
    if template_db["engine"] == "sqlite":
        path = tmp_path / "empty.db"
        shutil.copyfile(template_db["path"], path)
        init_db(f"sqlite:///{path}")
    else:
        from tests.conftest import _reset_postgres

        _reset_postgres(template_db["url"])
        init_db(template_db["url"])
    with db.connection_context():
        school.create_school_year(None, is_current=True, source="cli", **year_fields)
        for code, data in files.items():
            job = engine.create_job(None, code, f"{code}.xlsx", data, settings=settings, source="cli")
            assert engine.run(job.id, "apply", settings=settings, source="cli") == "done", job.id
        assert _counts() == expected
        assert _sample() == sample
        # A second import changes nothing.
        for code, data in files.items():
            job = engine.create_job(None, code, f"{code}.xlsx", data, settings=settings, source="cli")
            engine.run(job.id, "check", settings=settings, source="cli")
            preview = engine.get_job(None, job.id).preview_data
            assert preview["error_count"] == 0
            assert all(per["new"] == per["updated"] == 0 for per in preview["counts"].values()), code
        # A file with a bad row reports it by its number and imports nothing.
        bad = engine.table_xlsx(
            KINDS["students"],
            [
                {
                    "last_name": "Новиков",
                    "first_name": "Ян",
                    "birth_date": "31.02.2015",
                    "class": "5А",
                    "start_date": "01.09.2026",
                }
            ],
        )
        job = engine.create_job(None, "students", "bad.xlsx", bad, settings=settings, source="cli")
        assert engine.run(job.id, "apply", settings=settings, source="cli") == "checked"
        errors = engine.get_job(None, job.id).preview_data["errors"]
        assert [(e["line"], e["column"]) for e in errors] == [(2, "Дата рождения")]
        assert Student.select().count() == expected["Student"]
