"""Measure ejournal on a large demo school and print the figures as a table.

    make bench                          # seed (or reuse) instance/bench.db, run every benchmark
    make bench BENCH_ARGS="--fresh"     # rebuild the database first, so the seeding is measured too
    make bench BENCH_ARGS="--only seed --scale 0.1"
    createdb -h 127.0.0.1 -U postgres bench_pg
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_pg make bench

The database is a SQLite file at $BENCH_DB (default instance/bench.db), or $BENCH_DATABASE_URL
(a PostgreSQL database; `--fresh` drops and recreates it). It is seeded with
`flask seed-demo --size large` when it holds no staff yet; the planner's statistics are refreshed
(ANALYZE) before measuring. Benchmarks that write (exports, the doubled-data
variants) work on copies made by bench/databases.py and leave the benchmark database as it was.

Adding a benchmark: write `def bench_<name>(ctx: Context) -> list[Result]` below and append it
to BENCHMARKS. `ctx.app` is the application bound to the benchmark database, `ctx.client(login)`
a test client logged in as a demo login, `ctx.timed(fn)` runs fn and returns (result, seconds).
Results land in the printed table and in bench/results/<time>.json.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Result:
    """One measured figure."""

    name: str
    value: float | int | str
    unit: str = ""
    note: str = ""


@dataclass
class Context:
    """The benchmark database and what the seeding step measured."""

    url: str
    sqlite_path: Path | None
    scale: float
    seed_seconds: float | None = None
    seed_output: str = ""
    extra: dict = field(default_factory=dict)

    @cached_property
    def app(self):
        """Return the application bound to the benchmark database (CSRF off for test clients)."""
        from app import create_app
        from app.config import Config

        return create_app(
            {
                **{k: getattr(Config, k) for k in dir(Config) if k.isupper()},
                "DATABASE_URL": self.url,
                "WTF_CSRF_ENABLED": False,
            }
        )

    def client(self, login: str):
        """Return a test client logged in with a demo login (password demo)."""
        from app.demo import DEMO_PASSWORD

        client = self.app.test_client()
        response = client.post("/login", data={"login": login, "password": DEMO_PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"Demo login {login!r} failed with {response.status_code}.")
        return client

    @staticmethod
    def timed(fn, *args, **kwargs):
        """Run fn and return (its result, seconds taken)."""
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        return result, time.perf_counter() - started


def _flask(ctx: Context, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": ctx.url}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def _has_staff(ctx: Context) -> bool:
    from app.db import db, init_db
    from app.models import Staff

    database = init_db(ctx.url)
    with database.connection_context():
        return db.table_exists("staff") and Staff.select().exists()


def prepare(ctx: Context, fresh: bool) -> None:
    """Migrate the benchmark database and seed the large school unless it is already there."""
    from bench import databases

    if fresh and ctx.sqlite_path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{ctx.sqlite_path}{suffix}").unlink(missing_ok=True)
    elif fresh:
        databases.recreate_database(ctx.url)
    if ctx.sqlite_path is not None:
        ctx.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    _flask(ctx, "db", "upgrade")
    if not _has_staff(ctx):
        print(f"Seeding the large demo school (scale {ctx.scale}) into {ctx.url} …", flush=True)
        started = time.perf_counter()
        done = _flask(ctx, "seed-demo", "--size", "large", "--scale", str(ctx.scale))
        ctx.seed_seconds = time.perf_counter() - started
        ctx.seed_output = done.stdout
    databases.analyze(ctx.url)


# --- benchmarks ---------------------------------------------------------------------------------


def bench_seed(ctx: Context) -> list[Result]:
    """Time of `flask seed-demo --size large` (when seeded in this run), database size and row counts."""
    from app.db import init_db
    from app.models import Absence, Lesson, Mark, Student

    results = []
    if ctx.seed_seconds is not None:
        results.append(
            Result("seed-demo --size large", round(ctx.seed_seconds, 1), "s", f"scale {ctx.scale}, whole command")
        )
    else:
        results.append(Result("seed-demo --size large", "—", "", "database reused; --fresh measures it"))
    database = init_db(ctx.url)
    with database.connection_context():
        if ctx.sqlite_path is not None:
            size = sum(p.stat().st_size for p in (ctx.sqlite_path, Path(f"{ctx.sqlite_path}-wal")) if p.exists())
            results.append(Result("database size", round(size / 2**20, 1), "MiB", "SQLite file"))
        else:
            size = database.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0]
            results.append(Result("database size", round(size / 2**20, 1), "MiB", "PostgreSQL"))
        for model in (Student, Lesson, Mark, Absence):
            results.append(Result(f"rows: {model._meta.table_name}", model.select().count()))
    return results


def bench_journal(ctx: Context) -> list[Result]:
    """The journal pages (class, study group, class finals) against raw SQL, and saving one mark."""
    from bench import bench_journal as journal_bench

    return journal_bench.run(ctx, Result)


def bench_exports(ctx: Context) -> list[Result]:
    """Full and daily exports against a plain driver + orjson + gzip baseline, at 1× and 2× data."""
    from bench import bench_exports as exports_bench

    return exports_bench.run(ctx, Result)


def bench_oversight(ctx: Context) -> list[Result]:
    """The completeness rules over the whole school for a month, and each role's home page, at 1× and 2×."""
    from bench import bench_oversight as oversight_bench

    return oversight_bench.run(ctx, Result)


def bench_archive(ctx: Context) -> list[Result]:
    """One class's year archive file and one journal's year PDF: time, peak memory, queries."""
    from bench import bench_archive as archive_bench

    return archive_bench.run(ctx, Result)


def bench_reports(ctx: Context) -> list[Result]:
    """Every report of the list for the whole large school: time, peak memory, queries, XLSX and PDF (1× and 2×)."""
    from bench import bench_reports as reports_bench

    return reports_bench.run(ctx, Result)


def bench_backups(ctx: Context) -> list[Result]:
    """Take, check and restore a backup of the large school (on a copy); a writer's worst wait meanwhile."""
    from bench import bench_backups as backups_bench

    return backups_bench.run(ctx, Result)


BENCHMARKS = [bench_seed, bench_journal, bench_exports, bench_oversight, bench_reports, bench_archive, bench_backups]


def _name(fn) -> str:
    return fn.__name__.removeprefix("bench_")


def print_table(results: list[Result]) -> None:
    """Print results as an aligned table."""
    rows = [("benchmark", "value", "unit", "note")] + [
        (r.name, f"{r.value:,}".replace(",", " ") if isinstance(r.value, int) else str(r.value), r.unit, r.note)
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for n, row in enumerate(rows):
        print("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]), row[3]]).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main(argv=None) -> int:
    """Prepare the database, run the chosen benchmarks, print and save the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild the SQLite database (measures the seeding)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of the large school to seed (0–1]")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(_name(b) for b in BENCHMARKS)})",
    )
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL")
    path = None
    if not url:
        path = Path(os.environ.get("BENCH_DB", ROOT / "instance" / "bench.db")).resolve()
        url = f"sqlite:///{path}"
    ctx = Context(url=url, sqlite_path=path, scale=args.scale)
    chosen = [b for b in BENCHMARKS if not args.only or _name(b) in args.only]
    if not chosen:
        parser.error("no such benchmark")
    try:
        prepare(ctx, args.fresh)
    except subprocess.CalledProcessError as exc:
        print(exc.stdout, exc.stderr, sep="\n", file=sys.stderr)
        return 1
    results: list[Result] = []
    for bench in chosen:
        results.extend(bench(ctx))
    print_table(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {"url": url, "scale": ctx.scale, "results": [asdict(r) for r in results]}, ensure_ascii=False, indent=2
        )
    )
    print(f"\nSaved to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
