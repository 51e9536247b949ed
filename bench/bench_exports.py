"""Benchmarks of exports to the portal, each figure beside a baseline measured in the same run.

Run with the others (`make bench`, or `python -m bench --only exports`), or on its own:

    python -m bench.bench_exports            # the same database as `python -m bench` ($BENCH_DB…)

On the seeded large school, and again on a copy whose school-year journal is doubled:
- full export: wall time and peak memory (RSS) of a process doing `runs.process` into a
  directory, against a baseline process that reads the same rows with raw sqlite3 and writes
  them with orjson + gzip at the same compression level (no header, trailer, checksums,
  access scopes or bookkeeping);
- daily export with one school day of changes (the lessons of one day, their marks and
  absences re-saved): median local work of `runs.process` (snapshot, build, write, fsync,
  rename, history) over several days.
Targets (issue 4): full ≤ 2× baseline, peak memory ≤ 150 MB at any size, daily ≤ 100 ms.
Every measurement runs in a fresh process, so its peak memory is its own. SQLite only: the
baseline reads the file with the sqlite3 module.
"""

import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAILY_RUNS = 7
GZIP_LEVEL = 6  # the builder's level (app/services/exports/format.py GZIP_LEVEL); checked in _specs
TARGET_RATIO = 2.0
TARGET_MEMORY_MB = 150
TARGET_DAILY_MS = 100


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: the latter keeps the high-water mark of the parent we were forked from.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


# --- the measured processes --------------------------------------------------------------------


def _bind(db_path: str):
    from app.db import init_db

    return init_db(f"sqlite:///{db_path}")


def _use_directory(out_dir: str) -> None:
    from app.models import ExportSettings

    settings = ExportSettings.load()
    settings.transport, settings.directory, settings.enabled = "directory", out_dir, False
    settings.save()


def measure_full(db_path: str, out_dir: str) -> dict:
    """Do one full export with the product's code; return time, size and memory."""
    database = _bind(db_path)
    from app.models import ExportRun
    from app.services.exports import runs

    with database.connection_context():
        _use_directory(out_dir)
        ExportRun.delete().execute()
        run = runs.create_run("full", "manual", None, instance_path=out_dir)
        start_rss = _rss_mb()
        started = time.perf_counter()
        status = runs.process(run.id)
        seconds = time.perf_counter() - started
        run = ExportRun.get_by_id(run.id)
    if status != "delivered":
        raise RuntimeError(f"full export {status}: {run.error}")
    return {
        "seconds": seconds,
        "records": run.records,
        "bytes": run.bytes,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _peak_mb(),
    }


def measure_baseline(db_path: str, out_dir: str, specs_path: str) -> dict:
    """Read the same rows with raw sqlite3 and write them with orjson + gzip; return time and memory."""
    import gzip

    import orjson

    specs = json.loads(Path(specs_path).read_text())
    start_rss = _rss_mb()
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    records = 0
    newline = orjson.OPT_APPEND_NEWLINE
    with (
        open(Path(out_dir) / "baseline.ndjson.gz", "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=specs["gzip_level"], mtime=0) as out,
    ):
        for spec in specs["types"]:
            name, keys, booleans = spec["name"], spec["keys"], spec["booleans"]
            # A row is (id, change numbers…, fields…): its own and those of the rows it follows.
            start = 1 + spec["change_columns"]
            cursor = connection.execute(spec["sql"], spec["params"])
            while rows := cursor.fetchmany(1000):
                lines = []
                for row in rows:
                    fields = dict(zip(keys, row[start:], strict=True))
                    for key in booleans:
                        if fields[key] is not None:
                            fields[key] = bool(fields[key])
                    lines.append(
                        orjson.dumps(
                            {"type": name, "op": "upsert", "id": row[0], "change": max(row[1:start]), "fields": fields},
                            option=newline,
                        )
                    )
                out.write(b"".join(lines))
                records += len(rows)
    connection.close()
    return {
        "seconds": time.perf_counter() - started,
        "records": records,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _peak_mb(),
    }


def change_one_day(connection: sqlite3.Connection, nth: int) -> int:
    """Re-save the lessons of one school day with their marks and absences, with fresh change numbers."""
    year = connection.execute("SELECT id FROM school_year WHERE is_current").fetchone()[0]
    days = [
        row[0]
        for row in connection.execute(
            "SELECT DISTINCT l.date FROM lesson l JOIN journal j ON j.id = l.journal_id "
            "WHERE j.year_id = ? ORDER BY l.date",
            (year,),
        )
    ]
    day = days[(len(days) // 3 + nth * 7) % len(days)]
    # The doubled school's copies have lesson numbers above 20: a day of changes stays one day's worth.
    lessons = (
        "SELECT l.id FROM lesson l JOIN journal j ON j.id = l.journal_id "
        "WHERE j.year_id = ? AND l.date = ? AND l.number < 20"
    )
    with connection:
        connection.execute("BEGIN IMMEDIATE")
        base = connection.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()[0]
        changed = 0
        for table, where in (
            ("lesson", f"id IN ({lessons})"),
            ("mark", f"lesson_id IN ({lessons})"),
            ("absence", f"lesson_id IN ({lessons})"),
        ):
            top = connection.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]
            changed += connection.execute(
                f"UPDATE {table} SET change_no = ? + id WHERE {where}", (base, year, day)
            ).rowcount
            base += top + 1
        connection.execute("UPDATE change_counter SET value = ? WHERE id = 1", (base,))
    return changed


def measure_daily(db_path: str, out_dir: str) -> dict:
    """After a delivered full export, do daily exports of one changed school day; return their local work."""
    database = _bind(db_path)
    from app.models import ExportRun
    from app.services.exports import runs

    seconds, records = [], []
    editor = sqlite3.connect(db_path, isolation_level=None)
    with database.connection_context():
        _use_directory(out_dir)
        for nth in range(DAILY_RUNS):
            change_one_day(editor, nth)
            run = runs.create_run("daily", "manual", None, instance_path=out_dir)
            started = time.perf_counter()
            status = runs.process(run.id)
            seconds.append(time.perf_counter() - started)
            run = ExportRun.get_by_id(run.id)
            if status != "delivered":
                raise RuntimeError(f"daily export {status}: {run.error}")
            records.append(run.records)
    editor.close()
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "max_ms": max(seconds) * 1000,
        "records": int(statistics.median(records)),
        "peak_rss_mb": _peak_mb(),
    }


MEASURES = {"full": measure_full, "baseline": measure_baseline, "daily": measure_daily}


# --- the runner's side ---------------------------------------------------------------------------


def _measure(kind: str, *args: str) -> dict:
    """Run one measurement in a fresh process; return what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_exports", "measure", kind, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.bench_exports measure {kind} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _specs(db_path: str, specs_path: Path) -> None:
    """Write the SQL of every record type of a full package (as the builder runs it) for the baseline."""
    database = _bind(db_path)
    from app.models import SchoolYear
    from app.services.exports import format as fmt
    from app.services.exports.builder import _counter_value, _Plan

    if fmt.GZIP_LEVEL != GZIP_LEVEL:
        raise RuntimeError("The baseline must compress at the builder's level.")
    with database.connection_context():
        year = SchoolYear.current()
        hi = _counter_value()
        plan = _Plan("full", year.id, None, hi)
        types = []
        for rt in fmt.RECORD_TYPES:
            sql, params = plan._rows_query(rt, rt.model.change_no <= hi).sql()
            types.append(
                {
                    "name": rt.name,
                    "sql": sql,
                    "params": list(params),
                    "keys": list(rt.keys),
                    "booleans": list(rt.booleans),
                    "change_columns": len(rt.change_columns),
                }
            )
    specs_path.write_text(json.dumps({"gzip_level": GZIP_LEVEL, "types": types}))


def _copy_rows(connection: sqlite3.Connection, table: str, where: str, overrides: dict) -> None:
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    values = ", ".join(overrides.get(column, column) for column in columns)
    connection.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} WHERE {where}")


def double_journal(db_path: str) -> None:
    """Give the current year a second copy of every lesson, mark, absence and homework file.

    Final marks stay as they are: one per student, subject and period, however many lessons.
    """
    connection = sqlite3.connect(db_path, isolation_level=None)
    year = connection.execute("SELECT id FROM school_year WHERE is_current").fetchone()[0]
    with connection:
        connection.execute("BEGIN IMMEDIATE")
        base = connection.execute("SELECT value FROM change_counter WHERE id = 1").fetchone()[0]
        shift = {
            t: connection.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
            for t in ("lesson", "mark", "absence", "homework_file")
        }
        lessons = f"journal_id IN (SELECT id FROM journal WHERE year_id = {year}) AND id <= {shift['lesson']}"
        children = f"lesson_id IN (SELECT id FROM lesson WHERE {lessons})"
        # Fresh ids and change numbers; lesson numbers + 20 keep (journal, date, number) unique.
        plans = (
            ("lesson", lessons, {"number": "number + 20"}),
            ("mark", children, {}),
            ("absence", children, {}),
            ("homework_file", children, {"stored_name": "stored_name || 'x'"}),
        )
        for table, where, extra in plans:
            overrides = {"id": f"id + {shift[table]}", "change_no": f"{base} + id", **extra}
            if table != "lesson":
                overrides["lesson_id"] = f"lesson_id + {shift['lesson']}"
            _copy_rows(connection, table, where, overrides)
            base += 2 * shift[table] + 1
        connection.execute("UPDATE change_counter SET value = ? WHERE id = 1", (base,))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _copy_database(source: Path, target: Path) -> None:
    connection = sqlite3.connect(source)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    shutil.copyfile(source, target)


def run(ctx, Result) -> list:
    """Measure exports on the benchmark database; return the figures as Results."""
    if ctx.sqlite_path is None:
        return [Result("exports", "—", "", "needs the SQLite benchmark database (the baseline reads it raw)")]
    results = []
    with tempfile.TemporaryDirectory(prefix="ej-bench-exports-", dir=ctx.sqlite_path.parent) as work:
        work = Path(work)
        for label in ("1×", "2×"):
            db_path = work / f"school-{label[0]}.db"
            _copy_database(ctx.sqlite_path, db_path)
            if label == "2×":
                double_journal(str(db_path))
            out_dir = work / f"out-{label[0]}"
            out_dir.mkdir()
            specs = work / f"specs-{label[0]}.json"
            _specs(str(db_path), specs)
            baseline = _measure("baseline", str(db_path), str(out_dir), str(specs))
            full = _measure("full", str(db_path), str(out_dir))
            daily = _measure("daily", str(db_path), str(out_dir))
            ratio = full["seconds"] / baseline["seconds"]
            results += [
                Result(
                    f"full export, {label} data",
                    round(full["seconds"], 2),
                    "s",
                    f"{full['records']:,} records, {full['bytes'] / 2**20:.1f} MiB gzip".replace(",", " "),
                ),
                Result(
                    f"  baseline (raw sqlite3 + orjson + gzip), {label}",
                    round(baseline["seconds"], 2),
                    "s",
                    f"{baseline['records']:,} records".replace(",", " "),
                ),
                Result(
                    f"  full / baseline, {label}",
                    round(ratio, 2),
                    "×",
                    f"target ≤ {TARGET_RATIO}: {'ok' if ratio <= TARGET_RATIO else 'MISSED'}",
                ),
                Result(
                    f"full export peak memory, {label}",
                    full["peak_rss_mb"],
                    "MB",
                    f"RSS; {full['start_rss_mb']} MB before the export; target ≤ {TARGET_MEMORY_MB}: "
                    f"{'ok' if full['peak_rss_mb'] <= TARGET_MEMORY_MB else 'MISSED'}",
                ),
                Result(f"  baseline peak memory, {label}", baseline["peak_rss_mb"], "MB", "RSS"),
                Result(
                    f"daily export, one day of changes, {label}",
                    round(daily["median_ms"], 1),
                    "ms",
                    f"median of {DAILY_RUNS} (max {daily['max_ms']:.0f}); {daily['records']} records; "
                    f"target ≤ {TARGET_DAILY_MS}: {'ok' if daily['median_ms'] <= TARGET_DAILY_MS else 'MISSED'}",
                ),
                Result(f"daily export peak memory, {label}", daily["peak_rss_mb"], "MB", "RSS"),
            ]
    return results


def main(argv: list[str]) -> int:
    """`measure <kind> <args…>` runs one measurement (a child of the runner); otherwise run via bench."""
    if argv[:1] == ["measure"]:
        print(json.dumps(MEASURES[argv[1]](*argv[2:])))
        return 0
    from bench.__main__ import main as bench_main

    return bench_main(["--only", "exports", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
