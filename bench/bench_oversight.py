"""Benchmarks of the oversight: the completeness rules over the whole school for a month, and each role's home page.

Run with the others (`make bench`, or `python -m bench --only oversight`), or on its own:

    python -m bench.bench_oversight

Figures (medians, in-process; the home pages through the test client, each request in its own
application context as in production):
- every completeness rule over the whole large school for the last month that is over (the
  deputy's monthly check): time, SQL queries, findings, and the slowest rule;
- the home page of each demo login (deputy, head, teacher, class teacher, administrator): time
  and queries.
Each is measured again on a copy of the database whose school year is doubled
(bench/databases.py `double_journal`); the query counts must not grow.
"""

import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

from bench import databases
from bench.bench_journal import QueryCounter, _page, measure_doubled

ROOT = Path(__file__).resolve().parent.parent
RULE_RUNS = 5
PAGE_RUNS = 15
LOGINS = ("deputy", "head", "teacher", "classteacher", "admin")


def _checked_month(year, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last month that is over (the one a check on the 1st looks at), inside the school year."""
    end = min(today.replace(day=1) - dt.timedelta(days=1), year.end_date)
    return max(end.replace(day=1), year.start_date), end


def measure(ctx) -> dict:
    """Measure the rules and the home pages on the context's database; return the figures."""
    from app.clock import app_clock
    from app.db import db
    from app.models import SchoolYear
    from app.services import completeness

    found: dict = {"pages": {}}
    with ctx.app.app_context(), db.connection_context():
        clock = app_clock(ctx.app)
        today = clock.today()
        year = SchoolYear.current()
        start, end = _checked_month(year, today)
        scope = completeness.Scope(year.id)

        def run(codes=None):
            return completeness.find(scope, start, end, today=today, clock=clock, codes=codes)

        run()  # warm up
        times = []
        for _ in range(RULE_RUNS):
            started = time.perf_counter()
            findings = run()
            times.append(time.perf_counter() - started)
        with QueryCounter(db.obj) as counter:
            run()
        slowest = []
        for code in completeness.RULES:
            started = time.perf_counter()
            run({code})
            slowest.append((time.perf_counter() - started, code))
        seconds, code = max(slowest)
        found["rules"] = {
            "ms": statistics.median(times) * 1000,
            "queries": counter.count,
            "findings": len(findings),
            "month": f"{start:%d.%m.%Y}–{end:%d.%m.%Y}",
            "slowest": f"{code} {seconds * 1000:.0f} ms",
        }
    with db.connection_context():
        for login in LOGINS:
            ms, queries = _page(ctx.client(login), "/", PAGE_RUNS)
            found["pages"][login] = {"ms": ms, "queries": queries}
    return found


def run(ctx, Result) -> list:
    """The rules over the whole school for a month and each role's home page, at 1× and 2× the journal."""
    one = measure(ctx)
    two = measure_doubled(ctx, "bench.bench_oversight")
    rules, rules2 = one["rules"], two["rules"]
    results = [
        Result(
            "completeness rules, whole school, 1 month",
            round(rules["ms"], 1),
            "ms",
            f"median of {RULE_RUNS}; {rules['month']}; {rules['findings']} findings; slowest: {rules['slowest']}",
        ),
        Result("  at 2× the journal", round(rules2["ms"], 1), "ms", f"{rules2['findings']} findings"),
        Result(
            "  SQL queries 1× / 2×",
            f"{rules['queries']} / {rules2['queries']}",
            "",
            "constant: ok" if rules["queries"] == rules2["queries"] else "GROWS",
        ),
    ]
    for login in LOGINS:
        page, page2 = one["pages"][login], two["pages"][login]
        results.append(
            Result(
                f"home page: {login}",
                round(page["ms"], 1),
                "ms",
                f"median of {PAGE_RUNS}; 2×: {page2['ms']:.1f} ms; queries {page['queries']} / {page2['queries']}"
                + ("" if page["queries"] == page2["queries"] else " GROWS"),
            )
        )
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

    sys.exit(main(["--only", "oversight", *sys.argv[1:]]))
