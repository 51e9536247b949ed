"""Benchmarks of the journal: the journal page of the largest class over a term, and saving one mark.

Run with the others (`make bench`, or `python -m bench --only journal`), or on its own:

    python -m bench.bench_journal            # the same database as `python -m bench` ($BENCH_DB…)

Figures: median server time of the journal page (in-process, no network), its SQL query
count for the largest class's whole-class journal and for a small class's one (the count must be
the same) and its size, the median
time of saving one mark through the JSON endpoint the grid uses (and of deleting it again), and
the «Замены» page of the school's busiest day: time, size and queries (the same as on a quiet day).
"""

import statistics
import sys
import time

PAGE_RUNS = 25
MARK_RUNS = 30
SUBSTITUTION_RUNS = 10


class QueryCounter:
    """Count the SQL statements the database runs while active."""

    def __init__(self, database):
        self.database = database
        self.count = 0

    def __enter__(self):
        self._original = self.database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self._original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        self.database.execute_sql = self._original
        return False


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _journal_target(journal):
    """Pick the current term, the largest and the smallest class, and each one's busiest whole-class journal."""
    from peewee import fn

    from app.models import ClassGroup, Enrollment, Journal, Lesson, StudyGroup

    year = journal.current_year()
    term = journal.default_term(year, _today())
    sizes = (
        Enrollment.select(Enrollment.class_group, fn.COUNT(Enrollment.id).alias("n"))
        .join(ClassGroup)
        .where(
            (ClassGroup.year == year.id)
            & (Enrollment.start_date <= term.end_date)
            & (Enrollment.end_date.is_null() | (Enrollment.end_date >= term.start_date))
        )
        .group_by(Enrollment.class_group)
        .order_by(fn.COUNT(Enrollment.id).desc(), Enrollment.class_group)
        .tuples()
    )
    ranked = list(sizes)
    largest_id, largest_size = ranked[0]
    smallest_id, smallest_size = ranked[-1]

    def busiest_journal(class_id):
        journal_id, lessons = (
            Lesson.select(Lesson.journal, fn.COUNT(Lesson.id).alias("n"))
            .join(Journal)
            .join(StudyGroup)
            .where(
                (StudyGroup.class_group == class_id)
                & (StudyGroup.kind == "class")
                & (Lesson.date >= term.start_date)
                & (Lesson.date <= term.end_date)
            )
            .group_by(Lesson.journal)
            .order_by(fn.COUNT(Lesson.id).desc(), Lesson.journal)
            .tuples()
            .first()
        )
        return journal.get_journal(journal_id), lessons

    large_journal, large_lessons = busiest_journal(largest_id)
    small_journal, small_lessons = busiest_journal(smallest_id)
    return {
        "term": term,
        "large": (large_journal, largest_size, large_lessons),
        "small": (small_journal, smallest_size, small_lessons),
    }


def _page(client, url: str, runs: int = PAGE_RUNS) -> tuple[float, int]:
    """Return the median time and the query count of one page."""
    from app.db import db

    assert client.get(url).status_code == 200, url  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    with QueryCounter(db.obj) as counter:
        client.get(url)
    return _median_ms(times), counter.count


def _substitution_days(journal):
    """Return the current term's busiest and quietest school days with their lesson counts."""
    from peewee import fn

    from app.models import Lesson

    term = journal.default_term(journal.current_year(), _today())
    per_day = list(
        Lesson.select(Lesson.date, fn.COUNT(Lesson.id).alias("n"))
        .where((Lesson.date >= term.start_date) & (Lesson.date <= term.end_date))
        .group_by(Lesson.date)
        .order_by(fn.COUNT(Lesson.id).desc(), Lesson.date)
        .tuples()
    )
    return per_day[0], per_day[-1]


def bench_substitutions(ctx, Result, journal) -> list:
    """Measure «Замены» for the busiest day of the term (time, size, queries) against a quiet day."""
    from app.models import Staff

    deputy = ctx.client("deputy")
    (busy_day, busy_lessons), (quiet_day, quiet_lessons) = _substitution_days(journal)
    teachers = journal.substitute_candidates().count()
    staff = Staff.select().count()
    url = f"/journal/substitutions/?date={busy_day.isoformat()}"
    median, queries = _page(deputy, url, SUBSTITUTION_RUNS)
    size = len(deputy.get(url).get_data())
    _, quiet_queries = _page(deputy, f"/journal/substitutions/?date={quiet_day.isoformat()}", 1)
    what = f"{busy_day:%d.%m.%Y}: {busy_lessons} уроков, {teachers} учителей в списке ({staff} сотрудников)"
    return [
        Result("substitutions page (busiest day)", median, "ms", f"median of {SUBSTITUTION_RUNS}; {what}"),
        Result("substitutions page size", round(size / 1024, 1), "KB", what),
        Result("substitutions page SQL queries", queries, "", what),
        Result(
            "substitutions page queries constant",
            "yes" if queries == quiet_queries else "NO",
            "",
            f"{queries} vs {quiet_queries} on {quiet_day:%d.%m.%Y} ({quiet_lessons} уроков)",
        ),
    ]


def _today():
    from flask import current_app

    from app.clock import app_clock

    return app_clock(current_app).today()


def _mark_target(teacher_login: str):
    """Pick a past lesson the demo teacher gives and a student of its group on its date."""
    from app.models import Lesson, Staff, WorkType
    from app.services import groups, journal

    teacher = Staff.get(Staff.login == teacher_login)
    today = _today()
    term = journal.default_term(journal.current_year(), today)
    lesson = (
        Lesson.select()
        .where(
            (Lesson.teacher == teacher.id)
            & (Lesson.date <= min(today, term.end_date))
            & (Lesson.date >= term.start_date)
        )
        .order_by(Lesson.date.desc(), Lesson.number)
        .first()
    )
    student = groups.members_on(lesson.journal.group, lesson.date)[0]
    work_type = WorkType.select().where(WorkType.active == True).order_by(WorkType.id).first()  # noqa: E712
    return lesson, student.id, work_type


def run(ctx, Result) -> list:
    """Measure the journal page of the largest class over a term (time, queries) and saving one mark."""
    from app.db import db
    from app.services import journal

    results = []
    with ctx.app.app_context(), db.connection_context():
        results.extend(bench_substitutions(ctx, Result, journal))
        target = _journal_target(journal)
        term = target["term"]
        deputy = ctx.client("deputy")
        counts = {}
        for label in ("large", "small"):
            book, size, lessons = target[label]
            url = f"/journal/grid/{book.id}/{term.id}"
            median, queries = _page(deputy, url)
            counts[label] = queries
            what = f"{book}, {size} учеников × {lessons} уроков, {term}"
            results.append(
                Result(
                    f"journal page ({'largest' if label == 'large' else 'smallest'} class)",
                    median,
                    "ms",
                    f"median of {PAGE_RUNS}; {what}",
                )
            )
            results.append(Result(f"journal page SQL queries ({label})", queries, "", what))
            if label == "large":
                page = deputy.get(url).get_data()
                results.append(Result("journal page size", round(len(page) / 1024, 1), "KB", f"{what}, uncompressed"))
        results.append(
            Result(
                "journal page queries constant",
                "yes" if counts["large"] == counts["small"] else "NO",
                "",
                f"{counts['large']} vs {counts['small']}",
            )
        )

        teacher = ctx.client("teacher")
        lesson, student_id, work_type = _mark_target("teacher")
        saves, deletes, save_queries = [], [], 0
        for n in range(MARK_RUNS):
            body = {"lesson": lesson.id, "student": student_id, "value": "5", "work_type": work_type.id}
            if n == 0:
                with QueryCounter(db.obj) as counter:
                    started = time.perf_counter()
                    response = teacher.post("/journal/api/marks", json=body)
                    saves.append(time.perf_counter() - started)
                save_queries = counter.count
            else:
                started = time.perf_counter()
                response = teacher.post("/journal/api/marks", json=body)
                saves.append(time.perf_counter() - started)
            assert response.status_code == 201, response.get_data(as_text=True)
            mark = response.get_json()["cell"]["marks"][-1]
            started = time.perf_counter()
            removed = teacher.post(f"/journal/api/marks/{mark['id']}/delete", json={"change_no": mark["change_no"]})
            deletes.append(time.perf_counter() - started)
            assert removed.status_code == 200, removed.get_data(as_text=True)
        note = f"median of {MARK_RUNS}; {lesson}, JSON endpoint, audited"
        results.append(Result("save one mark", _median_ms(saves), "ms", note))
        results.append(
            Result("save one mark: SQL queries", save_queries, "", "incl. login, checks, audit, the cell's reply")
        )
        results.append(
            Result("delete that mark", _median_ms(deletes), "ms", f"median of {MARK_RUNS}; leaves a tombstone")
        )
    return results


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["--only", "journal", *sys.argv[1:]]))
