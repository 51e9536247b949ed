"""Benchmarks of the journal: its pages against the raw SQL they need, and saving one mark.

Run with the others (`make bench`, or `python -m bench --only journal`), or on its own:

    python -m bench.bench_journal            # the same database as `python -m bench` ($BENCH_DB…)

Figures (page times are medians in-process through the test client, no network; every request
runs in its own application context, so it loads its signed-in user as in production, on one
open database connection):
- the journal page of the largest class's whole-class journal over the current term, its size,
  and its SQL query count beside a small class's (the count must be the same);
- the journal page of a study group (the largest subgroup journal a demo login teaches, opened
  by that teacher) and the class's «Итоговые отметки» page (/journal/class-finals/<id>, the class
  with the most students × subjects with finals, opened by the deputy): time, HTML size, query
  count, and a raw-SQL baseline — the same rows fetched with plain cursor SQL on one open
  connection (the minimum the page must read: the signed-in staff row, the settings, the terms
  and the page's data), with the ratio page / baseline (target ≤ 5×). Each query count is
  given beside a smaller group's or class's and beside the same page on a copy of the database
  whose school year is doubled (bench/databases.py `double_journal`: twice the lessons, marks and
  absences, and the first quarter's finals copied into the second): the count must not grow;
- saving one mark through the JSON endpoint the grid uses (and deleting it again);
- the «Замены» page of the school's busiest day: time, size and queries (the same as on a quiet day).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import databases

ROOT = Path(__file__).resolve().parent.parent
PAGE_RUNS = 25
BASELINE_RUNS = 50
MARK_RUNS = 30
SUBSTITUTION_RUNS = 10
TARGET_PAGE_RATIO = 5.0
# The class finals page the issue asks for: 30 students × 15 subjects × 4 periods.
ASKED_FINALS = (30, 15, 4)


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

    warm = client.get(url)  # warm up
    if warm.status_code != 200:
        raise RuntimeError(f"{url} answered {warm.status_code}: {warm.get_data(as_text=True)[-600:]}")
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


def _substitution_target(journal) -> dict:
    """Return what «Замены» is measured on: the busiest and the quietest day and the list's sizes."""
    from app.models import Staff

    (busy_day, busy_lessons), (quiet_day, quiet_lessons) = _substitution_days(journal)
    return {
        "busy": (busy_day, busy_lessons),
        "quiet": (quiet_day, quiet_lessons),
        "teachers": journal.substitute_candidates().count(),
        "staff": Staff.select().count(),
    }


def bench_substitutions(ctx, Result, target: dict) -> list:
    """Measure «Замены» for the busiest day of the term (time, size, queries) against a quiet day."""
    deputy = ctx.client("deputy")
    (busy_day, busy_lessons), (quiet_day, quiet_lessons) = target["busy"], target["quiet"]
    url = f"/journal/substitutions/?date={busy_day.isoformat()}"
    median, queries = _page(deputy, url, SUBSTITUTION_RUNS)
    size = len(deputy.get(url).get_data())
    _, quiet_queries = _page(deputy, f"/journal/substitutions/?date={quiet_day.isoformat()}", 1)
    what = (
        f"{busy_day:%d.%m.%Y}: {busy_lessons} уроков, {target['teachers']} учителей в списке "
        f"({target['staff']} сотрудников)"
    )
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


# --- a study group's journal and a class's finals, against raw SQL -----------------------------


def _raw_timer(url: str, statements):
    """Return a function that runs `statements(cursor)` on one open plain connection and its median ms.

    Each run is one transaction, as one request is; the connection stays open between runs, as
    the app's does inside the benchmark.
    """
    connection = databases.connect(url)

    def run(runs: int = BASELINE_RUNS) -> tuple[float, int]:
        samples, rows = [], 0
        for _ in range(runs + 1):  # the first run warms the caches up and is not counted
            started = time.perf_counter()
            cursor = connection.cursor()
            rows = statements(cursor)
            cursor.close()
            connection.rollback()
            samples.append(time.perf_counter() - started)
        return _median_ms(samples[1:]), rows

    return run, connection


def _fetch(url: str, cursor, text: str, params=()) -> list:
    cursor.execute(databases.sql(url, text), tuple(params))
    return cursor.fetchall()


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def raw_group_page(url: str, staff_id: int, journal_id: int, term_id: int):
    """Return the statements that read what a study group's journal page shows, with plain SQL.

    The signed-in staff row, the settings (the edit window), the journal with its group and
    subject, the year's terms, the term's lessons with their teachers (the journal's own, and
    lessons of the group's other journals replaced by its subject), the group's members with
    their membership and enrollment spans, the marks with their work types, the absences and the
    active work types (the toolbar).
    """

    def statements(cursor) -> int:
        rows = 0
        staff = _fetch(
            url,
            cursor,
            "SELECT id, login, last_name, first_name, middle_name, active, session_token FROM staff WHERE id = ?",
            (staff_id,),
        )
        settings = _fetch(url, cursor, "SELECT mark_edit_days, round_from FROM school_settings ORDER BY id LIMIT 1")
        journal = _fetch(
            url,
            cursor,
            "SELECT j.id, j.year_id, j.group_id, j.subject_id, g.kind, g.name, g.class_group_id, s.name "
            "FROM journal j JOIN study_group g ON g.id = j.group_id JOIN subject s ON s.id = j.subject_id "
            "WHERE j.id = ?",
            (journal_id,),
        )
        _, year_id, group_id, subject_id, kind, _, class_id, _ = journal[0]
        if kind != "subgroup":
            raise RuntimeError(f"journal {journal_id} is not a subgroup's: the baseline reads a subgroup's members")
        terms = _fetch(
            url,
            cursor,
            "SELECT id, kind, number, start_date, end_date, closed FROM term WHERE year_id = ? ORDER BY start_date",
            (year_id,),
        )
        term = next(t for t in terms if t[0] == term_id)
        start, end = term[3], term[4]
        lessons = _fetch(
            url,
            cursor,
            "SELECT l.id, l.date, l.number, l.held, l.topic, l.term_id, l.teacher_id, l.planned_teacher_id, "
            "t.last_name, t.first_name, t.middle_name FROM lesson l JOIN staff t ON t.id = l.teacher_id "
            "WHERE ((l.journal_id = ? AND l.replacement_subject_id IS NULL) OR "
            "(l.journal_id IN (SELECT id FROM journal WHERE group_id = ?) AND l.replacement_subject_id = ?)) "
            "AND l.date >= ? AND l.date <= ? ORDER BY l.date, l.number, l.id",
            (journal_id, group_id, subject_id, start, end),
        )
        members = _fetch(
            url,
            cursor,
            "SELECT s.id, s.last_name, s.first_name, s.middle_name, m.start_date, m.end_date, e.start_date, "
            "e.end_date FROM group_membership m JOIN student s ON s.id = m.student_id "
            "JOIN enrollment e ON e.student_id = m.student_id AND e.class_group_id = ? "
            "WHERE m.group_id = ? AND m.start_date <= ? AND (m.end_date IS NULL OR m.end_date >= ?) "
            "AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?) "
            "ORDER BY s.last_name, s.first_name, s.middle_name, s.id",
            (class_id, group_id, end, start, end, start),
        )
        ids = [lesson[0] for lesson in lessons]
        marks = absences = []
        if ids:
            marks = _fetch(
                url,
                cursor,
                "SELECT m.id, m.lesson_id, m.student_id, m.value, m.work_type_id, w.name, m.weight, m.change_no, "
                f"m.created_at FROM mark m JOIN work_type w ON w.id = m.work_type_id WHERE m.lesson_id IN "
                f"({_placeholders(len(ids))}) ORDER BY m.created_at, m.id",
                ids,
            )
            absences = _fetch(
                url,
                cursor,
                f"SELECT id, lesson_id, student_id, reason FROM absence WHERE lesson_id IN ({_placeholders(len(ids))})",
                ids,
            )
        true = "TRUE" if databases.is_postgres(url) else "1"
        work_types = _fetch(
            url, cursor, f"SELECT id, name, default_weight FROM work_type WHERE active = {true} ORDER BY id"
        )
        for found in (staff, settings, journal, terms, lessons, members, marks, absences, work_types):
            rows += len(found)
        return rows

    return statements


def raw_class_finals(url: str, staff_id: int, class_id: int):
    """Return the statements that read what a class's finals page shows, with plain SQL.

    The signed-in staff row, the class with its year and class teacher, the settings (which
    grades go by halves), the year's terms, the class's students, the subjects of the journals
    that have a student of the class (as `access.journals_of_classes`), and the finals.
    """

    def statements(cursor) -> int:
        staff = _fetch(
            url,
            cursor,
            "SELECT id, login, last_name, first_name, middle_name, active, session_token FROM staff WHERE id = ?",
            (staff_id,),
        )
        found = _fetch(
            url,
            cursor,
            "SELECT c.id, c.grade, c.letter, c.year_id, y.name, t.last_name, t.first_name, t.middle_name "
            "FROM class_group c JOIN school_year y ON y.id = c.year_id "
            "LEFT JOIN staff t ON t.id = c.class_teacher_id WHERE c.id = ?",
            (class_id,),
        )
        year_id = found[0][3]
        settings = _fetch(url, cursor, "SELECT half_year_grades FROM school_settings ORDER BY id LIMIT 1")
        terms = _fetch(
            url,
            cursor,
            "SELECT id, kind, number, start_date, end_date, closed FROM term WHERE year_id = ? ORDER BY start_date",
            (year_id,),
        )
        enrolled = "SELECT student_id FROM enrollment WHERE class_group_id = ?"
        students = _fetch(
            url,
            cursor,
            f"SELECT id, last_name, first_name FROM student WHERE id IN ({enrolled}) "
            "ORDER BY last_name, first_name, middle_name, id",
            (class_id,),
        )
        subjects = _fetch(
            url,
            cursor,
            "SELECT id, name, short_name FROM subject WHERE id IN (SELECT j.subject_id FROM journal j "
            "WHERE j.kind = 'lesson' AND j.group_id IN (SELECT g.id FROM study_group g WHERE g.class_group_id = ? "
            f"OR g.id IN (SELECT group_id FROM group_membership WHERE student_id IN ({enrolled})))) ORDER BY name",
            (class_id, class_id),
        )
        finals = _fetch(
            url,
            cursor,
            f"SELECT student_id, subject_id, kind, term_id, value FROM final_mark WHERE year_id = ? "
            f"AND student_id IN ({enrolled})",
            (year_id, class_id),
        )
        return sum(len(rows) for rows in (staff, found, settings, terms, students, subjects, finals))

    return statements


def _group_targets(journal):
    """Pick the current term and the largest and smallest subgroup journals a demo login teaches.

    Size is members × lessons in the term. Returns (term, [(journal, login, members, lessons), …]).
    """
    from peewee import fn

    from app.demo import DEMO_LOGINS
    from app.models import Journal, Lesson, Staff, StudyGroup, TeachingAssignment
    from app.services import groups

    year = journal.current_year()
    term = journal.default_term(year, _today())
    taught = list(
        TeachingAssignment.select(TeachingAssignment.journal, Staff.login)
        .join(Staff, on=(TeachingAssignment.teacher == Staff.id))
        .switch(TeachingAssignment)
        .join(Journal)
        .join(StudyGroup)
        .where((Journal.year == year.id) & (StudyGroup.kind == "subgroup") & Staff.login.in_(list(DEMO_LOGINS)))
        .order_by(TeachingAssignment.journal, Staff.login)
        .tuples()
    )
    if not taught:
        return term, []
    logins = {}
    for journal_id, login in taught:
        logins.setdefault(journal_id, login)
    lessons = dict(
        Lesson.select(Lesson.journal, fn.COUNT(Lesson.id))
        .where(Lesson.journal.in_(list(logins)) & (Lesson.date >= term.start_date) & (Lesson.date <= term.end_date))
        .group_by(Lesson.journal)
        .tuples()
    )
    books = [journal.get_journal(journal_id) for journal_id in logins]
    spans = groups.member_spans([book.group for book in books], term.start_date, term.end_date)
    ranked = sorted(
        ((book, logins[book.id], len(spans[book.group_id]), lessons.get(book.id, 0)) for book in books),
        key=lambda t: (-t[2] * t[3], t[0].id),
    )
    ranked = [entry for entry in ranked if entry[3]]
    return term, [ranked[0], ranked[-1]] if ranked else []


def _finals_targets():
    """Pick the current year's classes with the most and the fewest students × subjects with finals.

    Returns [(class, students, subjects with finals, periods with finals, finals), …] (largest first).
    """
    from app.models import ClassGroup, Enrollment, FinalMark, SchoolYear

    year = SchoolYear.current()
    enrolled = (
        Enrollment.select(Enrollment.student, Enrollment.class_group).join(ClassGroup).where(ClassGroup.year == year.id)
    )
    classes = {}
    for student_id, class_id in enrolled.tuples():
        classes.setdefault(class_id, set()).add(student_id)
    finals = (
        FinalMark.select(FinalMark.student, FinalMark.subject, FinalMark.kind, FinalMark.term)
        .where(FinalMark.year == year.id)
        .tuples()
    )
    by_student = {}
    for student_id, subject_id, kind, term_id in finals:
        by_student.setdefault(student_id, []).append((subject_id, f"term-{term_id}" if kind == "term" else kind))
    sizes = []
    for class_id, students in classes.items():
        given = [entry for sid in students for entry in by_student.get(sid, [])]
        if not given:
            continue
        subjects = {subject for subject, _ in given}
        periods = {period for _, period in given}
        sizes.append((class_id, len(students), len(subjects), len(periods), len(given)))
    if not sizes:
        return []
    sizes.sort(key=lambda t: (-t[1] * t[2], -t[4], t[0]))
    chosen = [sizes[0], sizes[-1]]
    found = {c.id: c for c in ClassGroup.select().where(ClassGroup.id.in_([c[0] for c in chosen]))}
    return [(found[c[0]], *c[1:]) for c in chosen]


def _staff_id(login: str) -> int:
    from app.models import Staff

    return Staff.get(Staff.login == login).id


def measure_page(ctx, login: str, url: str, baseline, runs: int = PAGE_RUNS) -> dict:
    """Measure one page (median ms, HTML bytes, queries) and its raw-SQL baseline (median ms, rows).

    `baseline(staff_id)` returns the baseline's statements for the signed-in staff member.
    """
    client = ctx.client(login)
    median, queries = _page(client, url, runs)
    size = len(client.get(url).get_data())
    timer, connection = _raw_timer(ctx.url, baseline(_staff_id(login)))
    try:
        baseline, rows = timer()
    finally:
        connection.close()
    return {"ms": median, "queries": queries, "bytes": size, "baseline_ms": baseline, "baseline_rows": rows}


def measure_targets(ctx, spec: dict) -> dict:
    """Measure the study group's journal page and the class's finals page named by `spec` (ids, logins)."""
    found = {}
    group = spec.get("group")
    if group:
        found["group"] = measure_page(
            ctx,
            group["login"],
            f"/journal/grid/{group['journal']}/{group['term']}",
            lambda staff_id: raw_group_page(ctx.url, staff_id, group["journal"], group["term"]),
        )
    finals = spec.get("finals")
    if finals:
        found["finals"] = measure_page(
            ctx,
            finals["login"],
            f"/journal/class-finals/{finals['class']}",
            lambda staff_id: raw_class_finals(ctx.url, staff_id, finals["class"]),
        )
    return found


def measure_doubled(ctx, module: str, *args: str) -> dict:
    """Run `python -m <module> measure <copy url> <args…>` on a copy of the benchmark database whose school
    year is doubled (a child process); return what it printed as JSON, with the rows the doubling added."""
    from app.db import db

    # CREATE DATABASE … TEMPLATE needs the original free of connections, ours included.
    if db.obj is not None and not db.is_closed():
        db.close()
    parent = ctx.sqlite_path.parent if ctx.sqlite_path is not None else None
    name = module.rsplit(".", 1)[-1]
    with tempfile.TemporaryDirectory(prefix=f"ej-{name}-", dir=parent) as work:
        url = databases.copy_database(ctx.url, f"{name}2x_{os.getpid()}", Path(work))
        try:
            added = databases.double_journal(url)
            done = subprocess.run(
                [sys.executable, "-m", module, "measure", url, *args],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
            )
        finally:
            databases.drop_database(url)
    if done.returncode != 0:
        raise RuntimeError(f"{module} measure failed:\n{done.stdout}\n{done.stderr}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["added"] = added
    return found


def _page_results(Result, title: str, what: str, measured: dict, small: dict, small_what: str, doubled) -> list:
    """Return the figures of one page: time, baseline, ratio, size, and its query counts at three sizes."""
    ratio = measured["ms"] / measured["baseline_ms"] if measured["baseline_ms"] else float("inf")
    results = [
        Result(title, measured["ms"], "ms", f"median of {PAGE_RUNS}; {what}"),
        Result(
            f"  raw SQL baseline, {title}",
            measured["baseline_ms"],
            "ms",
            f"median of {BASELINE_RUNS}; {measured['baseline_rows']} rows, plain cursor, one open connection",
        ),
        Result(
            f"  page / baseline, {title}",
            round(ratio, 1),
            "×",
            f"target ≤ {TARGET_PAGE_RATIO:g}: {'ok' if ratio <= TARGET_PAGE_RATIO else 'MISSED'}",
        ),
        Result(f"  HTML size, {title}", round(measured["bytes"] / 1024, 1), "KB", "uncompressed"),
        Result(f"  SQL queries, {title}", measured["queries"], "", what),
        Result(f"  SQL queries, smaller: {small_what}", small["queries"], "", f"{small['ms']} ms"),
    ]
    if isinstance(doubled, dict):
        results.append(
            Result(
                "  SQL queries, doubled year",
                doubled["queries"],
                "",
                f"{doubled['ms']} ms (baseline {doubled['baseline_ms']} ms), {round(doubled['bytes'] / 1024, 1)} KB",
            )
        )
        counts = {measured["queries"], small["queries"], doubled["queries"]}
        note = f"{measured['queries']} / {small['queries']} smaller / {doubled['queries']} doubled"
    else:
        results.append(Result("  SQL queries, doubled year", "FAILED", "", str(doubled)))
        counts = {measured["queries"], small["queries"]}
        note = f"{measured['queries']} / {small['queries']} smaller"
    results.append(Result(f"  queries constant, {title}", "yes" if len(counts) == 1 else "NO", "", note))
    return results


def _group_and_finals_target(journal) -> dict:
    """Pick the study group journals and the classes the group and finals pages are measured on."""
    target = {"spec": {}, "small_spec": {}, "what": {}, "missing": []}
    spec, small_spec, what = target["spec"], target["small_spec"], target["what"]
    term, groups_found = _group_targets(journal)
    if groups_found:
        (book, login, members, lessons), (small_book, small_login, small_members, small_lessons) = groups_found
        spec["group"] = {"journal": book.id, "term": term.id, "login": login}
        small_spec["group"] = {"journal": small_book.id, "term": term.id, "login": small_login}
        what["group"] = f"{book}, {members} учеников × {lessons} уроков, {term}, открывает {login}"
        what["group_small"] = f"{small_book}, {small_members} × {small_lessons}"
    else:
        target["missing"].append(("study group journal page", "no subgroup journal taught by a demo login"))
    classes = _finals_targets()
    if classes:
        (big, students, subjects, periods, finals), (small, s_students, s_subjects, _, s_finals) = classes
        spec["finals"] = {"class": big.id, "login": "deputy"}
        small_spec["finals"] = {"class": small.id, "login": "deputy"}
        asked = ASKED_FINALS
        what["finals"] = (
            f"{big} класс: {students} учеников × {subjects} предметов × {periods} период(а) с отметками "
            f"({finals} отметок; {_finals_columns(big)} столбцов на предмет); "
            f"задача просит {asked[0]} × {asked[1]} × {asked[2]}"
        )
        what["finals_small"] = f"{small} класс, {s_students} × {s_subjects}, {s_finals} отметок"
    else:
        target["missing"].append(("class finals page", "the demo school has no final marks yet"))
    return target


def _finals_columns(class_group) -> int:
    """Return how many columns a class's finals page has per subject (periods, year, exam, итоговая)."""
    from app.models import SchoolSettings
    from app.services import finals

    return len(finals.attestation_terms(class_group.year_id, class_group.grade, SchoolSettings.load())) + len(
        finals.YEAR_COLUMNS
    )


def bench_group_and_finals(ctx, Result, target: dict) -> list:
    """Measure a study group's journal page and a class's finals page against raw SQL, at three sizes."""
    from app.db import db

    spec, small_spec, what = target["spec"], target["small_spec"], target["what"]
    results = [Result(name, "—", "", note) for name, note in target["missing"]]
    if not spec:
        return results
    with db.connection_context():
        measured = measure_targets(ctx, spec)
        smaller = measure_targets(ctx, small_spec)
    try:
        doubled = measure_doubled(ctx, "bench.bench_journal", json.dumps(spec))
        added = ", ".join(f"{table} +{n}" for table, n in doubled.pop("added").items())
        results.append(Result("doubled year (journal pages)", "—", "", added))
    except RuntimeError as exc:
        doubled = {key: str(exc).splitlines()[-1][:200] for key in spec}
    if "group" in spec:
        results += _page_results(
            Result,
            "study group journal page",
            what["group"],
            measured["group"],
            smaller["group"],
            what["group_small"],
            doubled["group"],
        )
    if "finals" in spec:
        results += _page_results(
            Result,
            "class finals page",
            what["finals"],
            measured["finals"],
            smaller["finals"],
            what["finals_small"],
            doubled["finals"],
        )
    return results


def run(ctx, Result) -> list:
    """Measure the journal pages (time, size, queries, against raw SQL) and saving one mark."""
    from app.db import db
    from app.services import journal

    # What to measure is chosen inside an application context (services read the school's clock).
    # The requests run outside it: Flask then gives each request its own context, so each loads
    # its signed-in user afresh, as in production (one shared context would keep the first user).
    with ctx.app.app_context(), db.connection_context():
        substitutions = _substitution_target(journal)
        target = _journal_target(journal)
        lesson, student_id, work_type = _mark_target("teacher")
        group_and_finals = _group_and_finals_target(journal)

    results = []
    with db.connection_context():
        results.extend(bench_substitutions(ctx, Result, substitutions))
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
        note = f"median of {MARK_RUNS}; {lesson}, by the demo teacher, JSON endpoint, audited"
        results.append(Result("save one mark", _median_ms(saves), "ms", note))
        results.append(
            Result("save one mark: SQL queries", save_queries, "", "incl. login, checks, audit, the cell's reply")
        )
        results.append(
            Result("delete that mark", _median_ms(deletes), "ms", f"median of {MARK_RUNS}; leaves a tombstone")
        )
    results += bench_group_and_finals(ctx, Result, group_and_finals)
    return results


def _measure_child(url: str, spec_json: str) -> int:
    """`measure <url> <spec>`: measure the pages of `spec` on another database; print them as JSON."""
    from app.db import db
    from bench.__main__ import Context

    path = None if databases.is_postgres(url) else databases.sqlite_path(url)
    ctx = Context(url=url, sqlite_path=path, scale=1.0)
    _ = ctx.app  # the factory binds the database
    # No application context around the requests (see run()).
    with db.connection_context():
        print(json.dumps(measure_targets(ctx, json.loads(spec_json))))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        sys.exit(_measure_child(*sys.argv[2:4]))
    from bench.__main__ import main

    sys.exit(main(["--only", "journal", *sys.argv[1:]]))
