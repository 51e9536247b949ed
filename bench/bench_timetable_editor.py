"""Benchmark of the timetable editor: the page of the class with the most slots and its check.

Run with the others (`make bench`, or `python -m bench --only timetable_editor`). Figures
(medians, in-process): the editor page through the test client (time, SQL queries, size) and
`timetable_editor.check` of that class's grid as it is (the save's writes and clash checks, rolled
back; a save adds the re-planning of the class's lessons from the date).
"""

import statistics
import time

from bench.bench_journal import QueryCounter, _page

PAGE_RUNS = 10
CHECK_RUNS = 5


def measure(ctx, Result) -> list:
    """Return the figures as `Result` rows (the class bench/__main__.py prints)."""
    from app.clock import app_clock
    from app.db import db
    from app.models import Staff, TimetableSlot
    from app.services import timetable_editor as editor

    with ctx.app.app_context(), db.connection_context():
        today = app_clock(ctx.app).today()
        busiest = None
        for class_group in _classes():
            count = (
                editor._class_slots(class_group)
                .where((TimetableSlot.valid_from <= today) & (TimetableSlot.valid_to >= today))
                .count()
            )
            if busiest is None or count > busiest[1]:
                busiest = (class_group, count)
        if busiest is None:
            return [Result("timetable editor", "no classes", "")]
        class_group, slots = busiest
        admin = Staff.get(Staff.login == "admin")
        cells = editor.week_cells(class_group, today)
        valid_from = max(today, class_group.year.start_date)
        editor.check(admin, class_group, cells, valid_from, today)  # warm up
        times = []
        for _ in range(CHECK_RUNS):
            started = time.perf_counter()
            problems = editor.check(admin, class_group, cells, valid_from, today)
            times.append(time.perf_counter() - started)
        with QueryCounter(db.obj) as counter:
            editor.check(admin, class_group, cells, valid_from, today)
    client = ctx.client("admin")
    url = f"/timetable/editor/?class={class_group.id}"
    with db.connection_context():
        ms, queries = _page(client, url, PAGE_RUNS)
        size = len(client.get(url).get_data())
    return [
        Result(f"timetable editor page, class {class_group}", ms, "ms", f"median of {PAGE_RUNS}; {slots} slots"),
        Result("  its SQL queries", queries, "", "constant in the school's size (tests/timetable)"),
        Result("  its HTML size", round(size / 1024), "KiB", ""),
        Result(
            "timetable editor check (the save's writes, rolled back)",
            round(statistics.median(times) * 1000, 1),
            "ms",
            f"median of {CHECK_RUNS}; {counter.count} queries, {sum(map(len, problems.values()))} clashes",
        ),
    ]


def _classes():
    from app.models import ClassGroup, SchoolYear

    year = SchoolYear.current()
    return list(ClassGroup.select().where(ClassGroup.year == year.id)) if year else []
