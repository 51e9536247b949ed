"""Profile one page of the benchmark database: where its time goes, and the SQL it runs.

    python -m bench.profile_page /journal/class-finals/46 --login deputy
    python -m bench.profile_page /journal/grid/678/5 --login teacher --runs 20 --top 30
    BENCH_DATABASE_URL=postgresql://… python -m bench.profile_page /journal/grid/678/5 --login teacher

Prints the page's median time, then cProfile's functions by cumulative and by own time over
`--runs` requests (each in its own request context, the signed-in user loaded each time, one
open connection as in the benchmarks), then how a request's time splits between executing SQL,
building it (peewee), rendering templates and the rest, then every SQL statement of one request
with its time.
The database is the one `python -m bench` uses ($BENCH_DB or $BENCH_DATABASE_URL), seeded.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from bench import databases

ROOT = Path(__file__).resolve().parent.parent


class Split:
    """Time, over the requests made while active, peewee's building of SQL, the template rendering and fsync.

    Building is timed in `Database.execute` (every query run through peewee's query objects);
    rendering is Flask's `render_template` (lazy queries a template triggers count in it too).
    """

    def __init__(self):
        self.building = self.rendering = 0.0

    def __enter__(self):
        import flask.templating
        import peewee

        self._execute, self._render = peewee.Database.execute, flask.templating._render
        split = self

        def execute(database, query, commit=None, **options):
            started = time.perf_counter()
            sql, params = database.get_sql_context(**options).sql(query).query()
            split.building += time.perf_counter() - started
            return database.execute_sql(sql, params)

        def render(*args, **kwargs):
            started = time.perf_counter()
            try:
                return split._render(*args, **kwargs)
            finally:
                split.rendering += time.perf_counter() - started

        peewee.Database.execute, flask.templating._render = execute, render
        return self

    def __exit__(self, *exc):
        import flask.templating
        import peewee

        peewee.Database.execute, flask.templating._render = self._execute, self._render
        return False


class QueryLog:
    """Record every SQL statement the database runs while active, with its time."""

    def __init__(self, database):
        self.database = database
        self.entries: list[tuple[float, str]] = []

    def __enter__(self):
        self._original = self.database.execute_sql

        def logged(sql, params=None, *args, **kwargs):
            started = time.perf_counter()
            cursor = self._original(sql, params, *args, **kwargs)
            self.entries.append((time.perf_counter() - started, sql))
            return cursor

        self.database.execute_sql = logged
        return self

    def __exit__(self, *exc):
        self.database.execute_sql = self._original
        return False


def main(argv=None) -> int:
    """Profile one page; print its time, its hottest functions and its SQL."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="the page's path, e.g. /journal/class-finals/46")
    parser.add_argument("--login", default="deputy", help="a demo login (password demo)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25, help="how many functions to list")
    args = parser.parse_args(argv)

    from app.db import db
    from bench.__main__ import Context

    url = os.environ.get("BENCH_DATABASE_URL")
    path = None
    if not url:
        path = Path(os.environ.get("BENCH_DB", ROOT / "instance" / "bench.db")).resolve()
        url = f"sqlite:///{path}"
    ctx = Context(url=url, sqlite_path=path if not databases.is_postgres(url) else None, scale=1.0)
    client = ctx.client(args.login)
    with db.connection_context():
        first = client.get(args.path)
        if first.status_code != 200:
            print(f"{args.path} answered {first.status_code}", file=sys.stderr)
            return 1
        samples = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(args.path)
            samples.append(time.perf_counter() - started)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.runs):
            client.get(args.path)
        profile.disable()
        with QueryLog(db.obj) as log:
            started = time.perf_counter()
            size = len(client.get(args.path).get_data())
            total = time.perf_counter() - started
        with Split() as split, QueryLog(db.obj) as split_log:
            started = time.perf_counter()
            for _ in range(args.runs):
                client.get(args.path)
            split_total = time.perf_counter() - started
    median = statistics.median(samples) * 1000
    print(f"{args.path} as {args.login}: median {median:.1f} ms of {args.runs}, {size} bytes")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats(order).print_stats(args.top)
        print(f"\n--- by {order} ({args.runs} requests) ---")
        print(out.getvalue().split("\n", 6)[-1] if order == "cumulative" else out.getvalue())
    per_request = 1000 / args.runs
    executing = sum(seconds for seconds, _ in split_log.entries)
    print(
        f"\n--- where a request's time goes (mean of {args.runs}, no profiler) ---\n"
        f"total {split_total * per_request:.1f} ms: SQL executed {executing * per_request:.1f} ms, "
        f"SQL built by peewee {split.building * per_request:.1f} ms, "
        f"templates rendered {split.rendering * per_request:.1f} ms (lazy queries included), "
        f"the rest (view, services, Flask) "
        f"{(split_total - executing - split.building - split.rendering) * per_request:.1f} ms"
    )
    sql_ms = sum(seconds for seconds, _ in log.entries) * 1000
    print(f"\n--- SQL of one request: {len(log.entries)} statements, {sql_ms:.1f} ms of {total * 1000:.1f} ms ---")
    for seconds, sql in log.entries:
        print(f"{seconds * 1000:7.2f} ms  {' '.join(sql.split())[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
