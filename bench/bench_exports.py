"""Benchmarks of exports to the portal, each figure beside a baseline measured in the same run.

Run with the others (`make bench`, or `python -m bench --only exports`), or on its own:

    python -m bench.bench_exports            # the same database as `python -m bench` ($BENCH_DB…)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_pg python -m bench.bench_exports

On a copy of the seeded large school, and again on a copy whose school year is doubled
(bench/databases.py `double_journal`: lessons, marks, absences, files and finals):
- full export: wall time and peak memory (RSS) of a process doing `runs.process` into a
  directory, against a baseline process that reads the same rows with the plain driver (sqlite3,
  or psycopg2 through a server-side cursor in one read-only REPEATABLE READ transaction, as the
  builder does) and writes them with orjson + gzip at the same compression level (no header,
  trailer, checksums, counts, access scopes, content list or bookkeeping); FULL_RUNS of each,
  taken in turn, their medians compared; the peak memory also as the growth over the process's
  memory before the export;
- daily export with one school day of changes (the lessons of one day, their marks and
  absences re-saved): median local work of `runs.process` (snapshot, build, write, fsync,
  rename, history) over several days; flat when the 2× median is within FLAT_RATIO of the 1×.
Targets (issue 9): full ≤ 1.1× baseline, peak memory ≤ 60 MB, daily ≤ 30 ms and flat at 2×.
Every measurement runs in a fresh process, so its peak memory is its own. SQLite and
PostgreSQL alike: a PostgreSQL copy is `CREATE DATABASE … TEMPLATE` of the benchmark database.
"""

import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench import databases

ROOT = Path(__file__).resolve().parent.parent
DAILY_RUNS = 9
# Full exports and baselines per size, taken in turn (baseline, full, baseline, full…): on a shared
# machine a burst of load then hits both alike; the figures are the medians.
FULL_RUNS = 3
GZIP_LEVEL = 6  # the builder's level (app/services/exports/format.py GZIP_LEVEL); checked in _specs
FETCH_BATCH = 1000  # the builder's batch (app/services/exports/builder.py FETCH_BATCH); checked in _specs
TARGET_RATIO = 1.1
TARGET_MEMORY_MB = 60
TARGET_DAILY_MS = 30
# The daily export is "flat" when its median at 2× the data is within this factor of the 1× median.
FLAT_RATIO = 1.25


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


def _bind(url: str):
    from app.db import init_db

    return init_db(url)


def _use_directory(out_dir: str) -> None:
    from app.models import ExportSettings

    settings = ExportSettings.load()
    settings.transport, settings.directory, settings.enabled = "directory", out_dir, False
    settings.save()


def measure_full(url: str, out_dir: str) -> dict:
    """Do one full export with the product's code; return time, size and memory."""
    database = _bind(url)
    from app.models import ExportRun
    from app.services.exports import runs

    with database.connection_context():
        _use_directory(out_dir)
        ExportRun.delete().execute()
        run = runs.create_run("full", "manual", None, instance_path=out_dir)
        start_rss = _rss_mb()
        started = time.perf_counter()
        status = runs.process(run.id, instance_path=out_dir)
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


def _number(value):
    """Return a decimal column's value as a JSON number: PostgreSQL hands NUMERIC back as Decimal.

    SQLite's int or float stays as it is; a Decimal becomes an int when whole, else a float.
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _baseline_cursor(url: str, connection):
    """Return a function running a query as the builder reads it: batch by batch, in one snapshot."""
    if not databases.is_postgres(url):
        return lambda sql, params: connection.execute(sql, params)
    connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
    names = itertools.count()

    def execute(sql, params):
        cursor = connection.cursor(name=f"baseline_{next(names)}")
        cursor.itersize = FETCH_BATCH
        cursor.execute(sql, params)
        return cursor

    return execute


def measure_baseline(url: str, out_dir: str, specs_path: str) -> dict:
    """Read the same rows with the plain driver and write them with orjson + gzip; return time and memory."""
    import gzip

    import orjson

    specs = json.loads(Path(specs_path).read_text())
    if databases.is_postgres(url):
        import psycopg2  # noqa: F401  (loaded before the start is taken, as the app's process has it loaded)
    start_rss = _rss_mb()
    started = time.perf_counter()
    connection = databases.connect(url)
    execute = _baseline_cursor(url, connection)
    records = 0
    newline = orjson.OPT_APPEND_NEWLINE
    with (
        open(Path(out_dir) / "baseline.ndjson.gz", "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=specs["gzip_level"], mtime=0) as out,
    ):
        for spec in specs["types"]:
            name, keys, booleans, decimals = spec["name"], spec["keys"], spec["booleans"], spec["decimals"]
            # A row is (id, change numbers…, fields…[, the stored file's name]): the change numbers
            # are its own and those of the rows it follows; the file's name is read, never written.
            start = 1 + spec["change_columns"]
            end = start + len(keys)
            cursor = execute(spec["sql"], spec["params"])
            while rows := cursor.fetchmany(FETCH_BATCH):
                lines = []
                for row in rows:
                    fields = dict(zip(keys, row[start:end], strict=True))
                    for key in booleans:
                        if fields[key] is not None:
                            fields[key] = bool(fields[key])
                    for key in decimals:
                        fields[key] = _number(fields[key])
                    lines.append(
                        orjson.dumps(
                            {"type": name, "op": "upsert", "id": row[0], "change": max(row[1:start]), "fields": fields},
                            option=newline,
                        )
                    )
                out.write(b"".join(lines))
                records += len(rows)
            cursor.close()
    connection.rollback()
    connection.close()
    return {
        "seconds": time.perf_counter() - started,
        "records": records,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _peak_mb(),
    }


def measure_daily(url: str, out_dir: str) -> dict:
    """After a delivered full export, do daily exports of one changed school day; return their local work."""
    database = _bind(url)
    from app.models import ExportRun
    from app.services.exports import runs

    seconds, records = [], []
    editor = databases.connect(url)
    with database.connection_context():
        _use_directory(out_dir)
        for nth in range(DAILY_RUNS):
            databases.change_one_day(editor, url, nth)
            run = runs.create_run("daily", "manual", None, instance_path=out_dir)
            started = time.perf_counter()
            status = runs.process(run.id, instance_path=out_dir)
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


def _specs(url: str, specs_path: Path) -> None:
    """Write the SQL of every record type of a full package (as the builder runs it) for the baseline."""
    database = _bind(url)
    from app.models import SchoolYear
    from app.services.exports import builder
    from app.services.exports import format as fmt
    from app.services.exports.builder import _counter_value, _Plan

    if fmt.GZIP_LEVEL != GZIP_LEVEL:
        raise RuntimeError("The baseline must compress at the builder's level.")
    if builder.FETCH_BATCH != FETCH_BATCH:
        raise RuntimeError("The baseline must fetch in the builder's batches.")
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
                    "decimals": list(getattr(rt, "decimals", ())),
                    "change_columns": len(rt.change_columns),
                }
            )
    specs_path.write_text(json.dumps({"gzip_level": GZIP_LEVEL, "types": types}))


def _n(number: int) -> str:
    """Write a count with spaces between thousands (1 900 202)."""
    return f"{number:,}".replace(",", " ")


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _failure(exc: Exception) -> str:
    """Return the last line a failed measurement printed (its exception), for the table."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1][:200] if lines else type(exc).__name__


def _median_run(runs: list[dict]) -> dict:
    """Return the run of median time, with the highest peak memory of all and every time taken."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    chosen["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    return chosen


def _measure_copy(ctx, work: Path, label: str) -> dict:
    """Copy the benchmark database (doubled for 2×), measure baseline, full and daily on it, drop it."""
    from app.db import db

    suffix = f"x{label[0]}_{os.getpid()}"
    # CREATE DATABASE … TEMPLATE needs the original free of connections, ours included.
    if db.obj is not None and not db.is_closed():
        db.close()
    url = databases.copy_database(ctx.url, suffix, work)
    try:
        added = databases.double_journal(url) if label == "2×" else {}
        if label == "1×":
            databases.analyze(url)
        out_dir = work / f"out-{suffix}"
        out_dir.mkdir()
        specs = work / f"specs-{suffix}.json"
        _specs(url, specs)
        db.close()
        found = {"added": added}
        taken = {"baseline": [], "full": []}
        for _ in range(FULL_RUNS):
            for kind, args in (("baseline", (url, str(out_dir), str(specs))), ("full", (url, str(out_dir)))):
                if isinstance(taken[kind], dict):
                    continue
                try:
                    taken[kind].append(_measure(kind, *args))
                except RuntimeError as exc:
                    taken[kind] = {"error": _failure(exc)}
        for kind, runs in taken.items():
            found[kind] = runs if isinstance(runs, dict) else _median_run(runs)
        # The last full export was delivered: the dailies continue from it.
        try:
            found["daily"] = _measure("daily", url, str(out_dir))
        except RuntimeError as exc:
            found["daily"] = {"error": _failure(exc)}
        return found
    finally:
        databases.drop_database(url)


def run(ctx, Result) -> list:
    """Measure exports on copies of the benchmark database at 1× and 2× data; return the figures as Results."""
    backend = "PostgreSQL (psycopg2)" if databases.is_postgres(ctx.url) else "SQLite (sqlite3)"
    results = []
    daily_medians = {}
    parent = ctx.sqlite_path.parent if ctx.sqlite_path is not None else None
    with tempfile.TemporaryDirectory(prefix="ej-bench-exports-", dir=parent) as work:
        work = Path(work)
        for label in ("1×", "2×"):
            found = _measure_copy(ctx, work, label)
            baseline, full, daily = found["baseline"], found["full"], found["daily"]
            if found["added"]:
                added = ", ".join(f"{table} +{_n(n)}" for table, n in found["added"].items())
                results.append(Result(f"doubled data, {label}", "—", "", added))
            if "error" in full:
                results.append(Result(f"full export, {label} data", "FAILED", "", full["error"]))
            else:
                results.append(
                    Result(
                        f"full export, {label} data",
                        round(full["seconds"], 2),
                        "s",
                        f"median of {full['all_seconds']}; {_n(full['records'])} records, "
                        f"{full['bytes'] / 2**20:.1f} MiB gzip; {backend}",
                    )
                )
            if "error" in baseline:
                results.append(Result(f"  baseline, {label}", "FAILED", "", baseline["error"]))
            else:
                results.append(
                    Result(
                        f"  baseline (plain driver + orjson + gzip), {label}",
                        round(baseline["seconds"], 2),
                        "s",
                        f"median of {baseline['all_seconds']}; {_n(baseline['records'])} records; {backend}",
                    )
                )
            if "error" not in full and "error" not in baseline:
                ratio = full["seconds"] / baseline["seconds"]
                results.append(
                    Result(
                        f"  full / baseline, {label}",
                        round(ratio, 2),
                        "×",
                        f"target ≤ {TARGET_RATIO}: {_verdict(ratio <= TARGET_RATIO)}",
                    )
                )
            if "error" not in full:
                results.append(
                    Result(
                        f"full export peak memory, {label}",
                        full["peak_rss_mb"],
                        "MB",
                        f"RSS, highest of {FULL_RUNS}; {full['start_rss_mb']} MB before the export; "
                        f"target ≤ {TARGET_MEMORY_MB}: "
                        f"{_verdict(full['peak_rss_mb'] <= TARGET_MEMORY_MB)}",
                    )
                )
            if "error" not in full:
                growth = round(full["peak_rss_mb"] - full["start_rss_mb"], 1)
                results.append(
                    Result(
                        f"  growth during the full export, {label}",
                        growth,
                        "MB",
                        "peak RSS less the RSS of the process before the export (imports, bound database)",
                    )
                )
            if "error" not in baseline:
                results.append(
                    Result(
                        f"  baseline peak memory, {label}",
                        baseline["peak_rss_mb"],
                        "MB",
                        f"RSS; {baseline['start_rss_mb']} MB before reading",
                    )
                )
            if "error" in daily:
                results.append(Result(f"daily export, one day of changes, {label}", "FAILED", "", daily["error"]))
                continue
            daily_medians[label] = daily["median_ms"]
            results += [
                Result(
                    f"daily export, one day of changes, {label}",
                    round(daily["median_ms"], 1),
                    "ms",
                    f"median of {DAILY_RUNS} (max {daily['max_ms']:.0f}); {daily['records']} records; "
                    f"target ≤ {TARGET_DAILY_MS}: {_verdict(daily['median_ms'] <= TARGET_DAILY_MS)}",
                ),
                Result(f"daily export peak memory, {label}", daily["peak_rss_mb"], "MB", "RSS"),
            ]
    if len(daily_medians) == 2:
        growth = daily_medians["2×"] / daily_medians["1×"]
        results.append(
            Result(
                "daily export 2× / 1×",
                round(growth, 2),
                "×",
                f"flat when ≤ {FLAT_RATIO}: {_verdict(growth <= FLAT_RATIO)}",
            )
        )
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
