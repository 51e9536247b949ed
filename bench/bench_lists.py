"""Benchmarks of the lists' «Выгрузить: CSV | XLSX»: the large school's marks and its largest lists, whole.

Run with the others (`make bench`, or `python -m bench --only lists`), or on its own:

    python -m bench.bench_lists

Figures (in-process, as the deputy — journal.view_all, the whole school): for each list the rows,
the time of the whole CSV and XLSX answer read to its end, the peak Python memory of each
(tracemalloc) and the SQL query count. The marks have no list of their own in the panel; they are
exported through a model view over `Mark` built here on the same base (admin_views/base.py), so the
same code path (admin_views/list_export.py) reads the same 600k rows. The peak must stay flat as
the rows grow: the rows are read in batches, never all at once.
"""

import sys
import time
import tracemalloc

from bench.bench_journal import QueryCounter

# Registered lists to export besides the marks (the largest of the demo school).
LISTS = ("groupmembership", "enrollment", "student", "auditentry")


def _mark_view():
    """Return a model view over Mark on the panel's base, as a marks list would be declared."""
    from admin_views.base import SecureModelView
    from app.models import Lesson, Mark, Student, WorkType
    from app.permissions import Perm

    class MarkListView(SecureModelView):
        required_permission = Perm.JOURNAL_VIEW_ALL
        joined_models = (Student, Lesson, WorkType)
        column_list = ["lesson.date", "student", "value", "weight", "work_type", "created_at"]
        column_labels = {"lesson.date": "Дата урока", "student": "Ученик", "work_type": "Вид работы"}
        column_default_sort = [("id", False)]

        def get_query(self):
            return (
                super()
                .get_query()
                .select_extend(Student, Lesson, WorkType)
                .join(Student)
                .switch(Mark)
                .join(Lesson)
                .switch(Mark)
                .join(WorkType)
                .switch(Mark)
            )

    return MarkListView(Mark, name="Отметки", endpoint="bench_marks")


def _read(response) -> int:
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def _measure(ctx, export) -> dict:
    """Run export() (returning a response) twice: timed and counted, then traced; return the figures."""
    from app.db import db

    with QueryCounter(db.obj) as counter:
        started = time.perf_counter()
        size = _read(export())
        seconds = time.perf_counter() - started
    tracemalloc.start()
    _read(export())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"s": seconds, "kib": size / 1024, "queries": counter.count, "peak_mib": peak / 2**20}


def measure(ctx) -> dict:
    """Export the marks and the largest lists as CSV and XLSX; return {(list, type): figures}."""
    from flask_login import login_user

    from admin_views import list_export
    from app.db import db
    from app.models import Mark, Staff

    found = {}
    app = ctx.app
    admin = app.extensions["admin"][0]
    views = {v.endpoint: v for v in admin._views if getattr(v, "endpoint", None) in LISTS}
    with app.app_context(), db.connection_context():
        deputy = Staff.get(Staff.login == "deputy")
        marks = Mark.select().count()
        rows = {"bench_marks": marks} | {name: views[name].model.select().count() for name in LISTS}
    plan = [("bench_marks", _mark_view())] + [(name, views[name]) for name in LISTS]
    for name, view in plan:
        for kind in list_export.EXPORT_TYPES:
            with app.test_request_context(f"/{name}/export/{kind}/"), db.connection_context():
                login_user(deputy)
                figures = _measure(ctx, lambda view=view, kind=kind: list_export.respond(view, kind))
            found[(name, kind)] = {**figures, "rows": rows[name]}
    return found


def run(ctx, Result) -> list:
    """The marks and the largest lists exported whole as CSV and XLSX: time, peak memory, queries."""
    results = []
    for (name, kind), figures in measure(ctx).items():
        label = "marks" if name == "bench_marks" else name
        results += [
            Result(
                f"list export {label} {kind.upper()}",
                round(figures["s"], 2),
                "s",
                f"{figures['rows']} rows; {figures['kib']:.0f} KiB; peak {figures['peak_mib']:.1f} MiB; "
                f"{figures['queries']} queries",
            )
        ]
    return results


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["--only", "lists", *sys.argv[1:]]))
