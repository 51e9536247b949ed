"""Benchmark of the nightly retention (app/services/privacy.py) on a large audit trail and login log.

    python -m bench.bench_privacy [--entries 400000] [--attempts 200000]

Builds its own SQLite database in a temporary folder (or uses $BENCH_DATABASE_URL, an empty
PostgreSQL database: its tables are created by the migrations and left behind), fills the audit
trail with entries of students, guardians, staff, applications and marks, half of them past the
retention period, and the login log likewise; then times the first run (which blanks and deletes)
and a second run (which finds nothing to do). Figures: seconds, rows changed.
"""

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

MODELS = ("Student", "Guardian", "Staff", "DiaryApplication", "Mark")
SNAPSHOTS = {
    "Student": {
        "last_name": "Петров",
        "first_name": "Иван",
        "middle_name": None,
        "birth_date": "2015-03-01",
        "notes": "аллергия",
        "change_no": 4,
    },
    "Guardian": {"last_name": "Петрова", "first_name": "Анна", "phone": "+7 900 000-00-00", "email": None},
    "Staff": {"last_name": "Иванова", "email": "i@school.ru", "portal_uid": "1234567", "active": True},
    "DiaryApplication": {"status": "granted", "guardian_last_name": "Петрова", "student_last_name": "Петров"},
    "Mark": {"value": "5", "comment": "молодец"},
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=400_000)
    parser.add_argument("--attempts", type=int, default=200_000)
    args = parser.parse_args(argv)

    from app import migrate
    from app.db import db, init_db
    from app.models import AuditEntry, LoginAttempt, SchoolSettings
    from app.services import privacy, setup

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tempfile.mkdtemp()) / 'privacy.db'}"
    init_db(url)
    now = dt.datetime(2026, 12, 4, 0, 30)
    with db.connection_context():
        migrate.upgrade()
        setup.ensure_defaults()
        settings = SchoolSettings.load()
        settings.login_log_keep_days, settings.audit_personal_keep_days = 90, 1095
        started = time.perf_counter()
        with db.atomic():
            batch = []
            for n in range(args.entries):
                model = MODELS[n % len(MODELS)]
                data = json.dumps(SNAPSHOTS[model], ensure_ascii=False, sort_keys=True)
                # Every other entry is older than the period (1095 days).
                age = 2000 if n % 2 else 100
                batch.append(
                    {
                        "at": now - dt.timedelta(days=age, seconds=n),
                        "actor_name": "Орлова Нина",
                        "source": "panel",
                        "action": "update",
                        "model": model,
                        "object_id": str(n % 5000),
                        "object_repr": model,
                        "before": data,
                        "after": data,
                    }
                )
                if len(batch) == 2000:
                    AuditEntry.insert_many(batch).execute()
                    batch = []
            if batch:
                AuditEntry.insert_many(batch).execute()
            attempts = [
                {
                    "login": f"user{n % 300}",
                    "address": "10.0.0.1",
                    "success": bool(n % 3),
                    "at": now - dt.timedelta(days=n % 180),
                }
                for n in range(args.attempts)
            ]
            for offset in range(0, len(attempts), 5000):
                LoginAttempt.insert_many(attempts[offset : offset + 5000]).execute()
        filled = time.perf_counter() - started
        first_started = time.perf_counter()
        first = privacy.apply_retention(settings, now=now)
        first_seconds = time.perf_counter() - first_started
        second_started = time.perf_counter()
        second = privacy.apply_retention(settings, now=now)
        second_seconds = time.perf_counter() - second_started
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{engine}: {args.entries} audit entries, {args.attempts} login attempts (filled in {filled:.1f} s)")
    print(
        f"first run:  {first_seconds:.2f} s, {first.audit_entries} audit entries blanked, "
        f"{first.login_attempts} attempts deleted"
    )
    print(
        f"second run: {second_seconds:.2f} s, {second.audit_entries} audit entries blanked, "
        f"{second.login_attempts} attempts deleted"
    )


if __name__ == "__main__":
    main()
