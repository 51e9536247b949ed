"""Benchmark of the import from spreadsheets: the large school exported to the templates and imported anew.

Run with the others (`make bench`, or `python -m bench --only imports`). The benchmark database is
only read: each kind is exported to its template spreadsheet (`engine.export_xlsx`), then imported
into a fresh SQLite file (migrated, with the current school year made as a school makes it) by
`engine.run(..., "apply")`, kind by kind in the registry's order — the path of the panel's
«Применить» and of `flask import`. Figures: the export, each kind's import, the whole import, a
second check of every file (it must find nothing to change), and whether the counts of staff,
classes, students, guardians, enrollments, groups, members, journals, teaching load and
timetable slots are the same as in the source.
"""

import tempfile
import time
from pathlib import Path

COUNTED = (
    "Staff",
    "ClassGroup",
    "Student",
    "Guardian",
    "StudentGuardian",
    "Enrollment",
    "StudyGroup",
    "GroupMembership",
    "Journal",
    "TeachingAssignment",
    "TimetableSlot",
)


def _counts():
    from app import models

    return {name: getattr(models, name).select().count() for name in COUNTED}


def run(ctx, Result) -> list:
    """Export the benchmark school to the templates, import it into an empty database; return the figures."""
    from app import migrate
    from app.db import db, init_db
    from app.models import SchoolYear
    from app.services import school, setup
    from app.services.imports import engine
    from app.services.imports.registry import KINDS
    from app.settings import Settings

    results = []
    source = init_db(ctx.url)
    with source.connection_context():
        year = SchoolYear.current()
        year_fields = {"name": year.name, "start_date": year.start_date, "end_date": year.end_date}
        started = time.perf_counter()
        files = {code: engine.export_xlsx(None, code) for code in KINDS}
        results.append(Result("imports: export to templates", round(time.perf_counter() - started, 2), "s", "7 kinds"))
        expected = _counts()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'imported.db'}"
        target = init_db(url)
        settings = Settings(instance_path=Path(work), database_url=url, redis_url="", timezone="Europe/Moscow")
        with target.connection_context():
            migrate.upgrade()
            setup.ensure_defaults()
            school.create_school_year(None, is_current=True, source="cli", **year_fields)
            total = 0.0
            for code, data in files.items():
                job = engine.create_job(None, code, f"{code}.xlsx", data, settings=settings, source="cli")
                started = time.perf_counter()
                status = engine.run(job.id, "apply", settings=settings, source="cli")
                took = time.perf_counter() - started
                total += took
                rows = engine.get_job(None, job.id).preview_data["rows"]
                results.append(Result(f"imports: {code}", round(took, 2), "s", f"{rows} rows, {status}"))
            results.append(Result("imports: whole school", round(total, 1), "s", "apply, kind by kind"))
            same = _counts() == expected
            results.append(Result("imports: counts equal", "yes" if same else "NO", "", str(expected)))
            started = time.perf_counter()
            changed = 0
            for code, data in files.items():
                job = engine.create_job(None, code, f"{code}.xlsx", data, settings=settings, source="cli")
                engine.run(job.id, "check", settings=settings, source="cli")
                preview = engine.get_job(None, job.id).preview_data
                changed += preview["error_count"] + sum(p["new"] + p["updated"] for p in preview["counts"].values())
            results.append(
                Result("imports: second check", round(time.perf_counter() - started, 1), "s", f"{changed} changes")
            )
        db.close()
    init_db(ctx.url)
    return results
