"""Benchmarks of the school's reports: every report of the list for the whole large school.

Run with the others (`make bench`, or `python -m bench --only reports`), or on its own:

    python -m bench.bench_reports

Figures (in-process, as the deputy — reports.view, the whole school): for each report of
`app.services.reports.registry.REPORTS` the median time of building its `Report`, the peak
memory of one build (tracemalloc), its SQL query count, and the time of drawing it as XLSX and
as PDF. Class reports are built for the class with most finals, the others for the whole school; the
period is the 1st quarter (the demo's finals), the month the last one that is over. Each is
measured again on a copy of the database whose school year is doubled (bench/databases.py
`double_journal`); the query counts must not grow.
"""

import json
import statistics
import sys
import time
import tracemalloc

from bench import databases
from bench.bench_journal import QueryCounter, measure_doubled

RUNS = 3


def _arguments(year, today):
    """The parameters every report is asked with: the largest class, the 1st quarter, the last month over."""
    from peewee import fn
    from werkzeug.datastructures import MultiDict

    from app.models import ClassGroup, Enrollment, FinalMark, Term
    from app.services.journal_check import previous_month

    first = Term.select().where(Term.year == year.id).order_by(Term.start_date).first()
    # The class with the most finals of the quarter (the demo gives them to grades 5–9).
    largest = (
        ClassGroup.select(ClassGroup.id)
        .join(Enrollment)
        .join(FinalMark, on=(FinalMark.student == Enrollment.student))
        .where((ClassGroup.year == year.id) & (FinalMark.term == first.id))
        .group_by(ClassGroup.id)
        .order_by(fn.COUNT(FinalMark.id).desc(), ClassGroup.id)
        .first()
    ) or ClassGroup.select(ClassGroup.id).where(ClassGroup.year == year.id).order_by(ClassGroup.id).first()
    month = max(previous_month(today), year.start_date.replace(day=1))
    return MultiDict({"class": str(largest.id), "period": f"term-{first.id}", "month": f"{month:%Y-%m}"})


def measure(ctx) -> dict:
    """Measure every report on the context's database; return {code: figures}."""
    from app.clock import app_clock
    from app.db import db
    from app.documents import report_pdf, report_xlsx
    from app.models import SchoolSettings, SchoolYear, Staff
    from app.services import access
    from app.services.reports import registry

    found = {}
    with ctx.app.app_context(), db.connection_context():
        clock = app_clock(ctx.app)
        year = SchoolYear.current()
        deputy = Staff.get(Staff.login == "deputy")
        access.permissions_of(deputy)
        settings = SchoolSettings.load()
        args = _arguments(year, clock.today())
        for code, kind in registry.REPORTS.items():
            asked = args if code in ("summary", "class-teacher") else _whole_school(args)

            def build(kind=kind, asked=asked):
                return registry.build(kind, deputy, asked, clock=clock, settings=settings)

            report = build()  # warm up
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                build()
                times.append(time.perf_counter() - started)
            with QueryCounter(db.obj) as counter:
                build()
            tracemalloc.start()
            build()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            started = time.perf_counter()
            xlsx = report_xlsx(report)
            xlsx_s = time.perf_counter() - started
            started = time.perf_counter()
            pdf = report_pdf(report)
            pdf_s = time.perf_counter() - started
            found[code] = {
                "ms": statistics.median(times) * 1000,
                "queries": counter.count,
                "peak_mib": peak / 2**20,
                "rows": sum(len(s.rows) for s in report.sections),
                "xlsx_ms": xlsx_s * 1000,
                "xlsx_kib": len(xlsx) / 1024,
                "pdf_ms": pdf_s * 1000,
                "pdf_kib": len(pdf) / 1024,
            }
    return found


def _whole_school(args):
    from werkzeug.datastructures import MultiDict

    return MultiDict({name: value for name, value in args.items() if name != "class"})


def run(ctx, Result) -> list:
    """Every report for the whole large school at 1× and 2× the journal: time, memory, queries, files."""
    one = measure(ctx)
    two = measure_doubled(ctx, "bench.bench_reports")
    results = []
    for code, figures in one.items():
        doubled = two.get(code, {})
        same = figures["queries"] == doubled.get("queries")
        results += [
            Result(
                f"report {code}",
                round(figures["ms"], 1),
                "ms",
                f"median of {RUNS}; {figures['rows']} rows; peak {figures['peak_mib']:.1f} MiB; "
                f"2×: {doubled.get('ms', 0):.1f} ms",
            ),
            Result(
                "  SQL queries 1× / 2×",
                f"{figures['queries']} / {doubled.get('queries')}",
                "",
                "constant: ok" if same else "GROWS",
            ),
            Result(
                "  XLSX / PDF",
                f"{figures['xlsx_ms']:.0f} / {figures['pdf_ms']:.0f}",
                "ms",
                f"{figures['xlsx_kib']:.0f} KiB / {figures['pdf_kib']:.0f} KiB",
            ),
        ]
    return results


def _measure_child(url: str) -> int:
    from bench.__main__ import Context

    path = None if databases.is_postgres(url) else databases.sqlite_path(url)
    print(json.dumps(measure(Context(url=url, sqlite_path=path, scale=1.0))))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        sys.exit(_measure_child(sys.argv[2]))
    from bench.__main__ import main

    sys.exit(main(["--only", "reports", *sys.argv[1:]]))
