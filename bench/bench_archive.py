"""Benchmarks of the printed journal: one class's year archive file and one journal's year PDF.

Run with the others (`make bench`, or `python -m bench --only archive`), or on its own:

    python -m bench.bench_archive            # the same database as `python -m bench` ($BENCH_DB…)

Figures (in-process, on one open database connection; nothing is written: the files are drawn in
memory as the archive job draws them, `archive.class_pdf` and `journal_print.journal_pdf`):
- the year archive of the class with the most journals × students: time, peak Python memory
  (tracemalloc), SQL queries, pages, size, journals, and the queries per journal;
- the year PDF of that class's largest whole-class journal, printed by its deputy: time, peak
  memory, queries, pages and size.
"""

import sys
import time
import tracemalloc

RUNS = 3


def _measure(fn, database, runs: int = RUNS):
    """Run fn `runs` times; return (its last result, median seconds, peak MiB of one run, queries of one run)."""
    from bench.bench_journal import QueryCounter

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    with QueryCounter(database) as counter:
        fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, sorted(times)[len(times) // 2], peak / 2**20, counter.count


def _largest_class(year):
    from peewee import fn

    from app.models import ClassGroup, Enrollment
    from app.services import archive

    sizes = dict(
        Enrollment.select(Enrollment.class_group, fn.COUNT(Enrollment.id))
        .join(ClassGroup)
        .where(ClassGroup.year == year.id)
        .group_by(Enrollment.class_group)
        .tuples()
    )
    classes = list(ClassGroup.select().where(ClassGroup.year == year.id))
    return max(classes, key=lambda c: (sizes.get(c.id, 0) * len(archive.class_journals(c)), -c.id))


def run(ctx, Result) -> list:
    from app.clock import app_clock
    from app.db import db
    from app.models import SchoolSettings, SchoolYear, Staff
    from app.services import archive, journal_print

    results = []
    with ctx.app.app_context(), db.connection_context():
        clock = app_clock(ctx.app)
        today = clock.today()
        settings = SchoolSettings.load()
        year = SchoolYear.current()
        class_group = _largest_class(year)
        journals = archive.class_journals(class_group)

        def class_file():
            return archive.class_pdf(class_group, settings=settings, today=today, built_by="bench")

        made, seconds, peak, queries = _measure(class_file, db.obj)
        note = f"class {class_group}, {len(journals)} journals, {made.pages} pages, {len(made.data) / 2**20:.1f} MiB"
        results += [
            Result("archive: one class's year file", round(seconds, 2), "s", note),
            Result("archive: peak memory", round(peak, 1), "MiB", "tracemalloc, one class"),
            Result("archive: queries", queries, "", f"{queries / max(len(journals), 1):.1f} per journal"),
        ]

        book = next((j for j in journals if j.group.is_whole_class), journals[0])
        deputy = Staff.get(Staff.login == "deputy")

        def journal_file():
            return journal_print.journal_pdf(deputy, book.id, "year", clock=clock, settings=settings)

        (data, _name), seconds, peak, queries = _measure(journal_file, db.obj)
        pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
        note = f"{book.group.name} · {book.subject.name}: {pages} pages, {len(data) / 2**10:.0f} KiB"
        results += [
            Result("journal PDF: the year", round(seconds * 1000), "ms", note),
            Result("journal PDF: peak memory", round(peak, 1), "MiB", "tracemalloc"),
            Result("journal PDF: queries", queries, "", "whatever the period"),
        ]
    return results


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["--only", "archive", *sys.argv[1:]]))
