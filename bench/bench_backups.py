"""Benchmarks of backups: take, check and restore a backup of the large school's database.

Run with the others (`make bench`, or `python -m bench --only backups`). Works on a scratch copy
of the benchmark database (bench/databases.py), with its own instance folder for the backup
files, and leaves the benchmark database as it was. Figures: the database's size, the backup's
time and file size, the check of a restore (`inspect`: the checksums) and the restore itself
(without its safety copy), and a backup taken while a writer inserts rows (its writes' worst wait).
"""

import tempfile
import threading
import time
from pathlib import Path


def run(ctx, Result) -> list:
    from app.clock import DEFAULT_TIMEZONE
    from app.db import db, init_db, open_database
    from app.services import backups
    from app.settings import Settings
    from bench.databases import copy_database, drop_database, sqlite_path

    results = []
    copy = copy_database(ctx.url, "backups")
    original = db.obj
    try:
        with tempfile.TemporaryDirectory(prefix="ejournal-bench-backups-") as instance:
            settings = Settings(
                instance_path=Path(instance), database_url=copy, redis_url="", timezone=DEFAULT_TIMEZONE
            )
            init_db(copy)
            with db.connection_context():
                now = settings.clock.utcnow()
                started = time.perf_counter()
                backup = backups.create(reason="manual", now=now, settings=settings, source="cli")
                took = time.perf_counter() - started
                size = sqlite_path(copy).stat().st_size if copy.startswith("sqlite") else None
                note = f"database {size / 2**20:.0f} MiB" if size else "pg_dump --format=custom"
                results.append(Result("backups: take a backup", round(took, 2), "s", note))
                results.append(Result("backups: file size", round(backup.size / 2**20, 1), "MiB", backup.engine))

                started = time.perf_counter()
                backups.inspect(backup.id, settings=settings)
                results.append(Result("backups: check a file", round(time.perf_counter() - started, 2), "s", "sha256"))

                started = time.perf_counter()
                backups.restore(backup.id, settings=settings, now=now, safety_copy=False)
                took = time.perf_counter() - started
                results.append(Result("backups: restore", round(took, 2), "s", "checks, copy back, migrations"))

                # A writer during a backup: how long its worst write waited.
                stop, waits = threading.Event(), []

                def writer():
                    own = open_database(copy)
                    with own.connection_context():
                        while not stop.is_set():
                            began = time.perf_counter()
                            with own.atomic():
                                own.execute_sql(
                                    "INSERT INTO audit_entry (at, actor_name, source, action, model, object_repr)"
                                    f" VALUES ({own.param}, 'bench', 'system', 'update', 'Mark', 'bench')",
                                    (now,),
                                )
                            waits.append(time.perf_counter() - began)
                            time.sleep(0.005)

                thread = threading.Thread(target=writer)
                thread.start()
                try:
                    time.sleep(0.2)
                    before = len(waits)
                    backups.create(reason="manual", now=now, settings=settings, source="cli")
                    during = len(waits) - before
                finally:
                    stop.set()
                    thread.join(60)
                results.append(
                    Result(
                        "backups: worst write wait during a backup",
                        round(max(waits) * 1000, 1),
                        "ms",
                        f"{during} writes during the backup",
                    )
                )
    finally:
        if not db.is_closed():
            db.close()
        db.initialize(original)
        drop_database(copy)
    return results


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    sys.exit(main(["--only", "backups", *sys.argv[1:]]))
