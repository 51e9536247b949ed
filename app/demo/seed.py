"""Seeding the demo school: refuse a database that holds a school, build every table, audit once."""

import datetime as dt
import random
import time

from app.clock import SchoolClock
from app.db import db, is_sqlite, refresh_statistics
from app.demo.applications import Applications
from app.demo.audit_trail import AuditTrail
from app.demo.bulk import IdPool, sync_sequences
from app.demo.final_marks import FinalMarks
from app.demo.journal import JournalFilling
from app.demo.people import People
from app.demo.plans import ThematicPlans
from app.demo.report import SeedReport
from app.demo.school import SchoolStructure
from app.demo.school_year import holidays_for, school_year_start, year_bounds
from app.demo.spec import DEFAULT_SEED, DEMO_LOGINS, DemoSpec, spec_for
from app.demo.study_groups import StudyGroups
from app.demo.timetable import Timetable
from app.models import ClassGroup, SchoolYear, Staff, Student, Subject
from app.services import audit, diary_check, roles
from app.services.auth import DEFAULT_HASH_METHOD
from app.services.errors import DomainError


def _existing() -> list[str]:
    """Return 'what: how many' for each kind of school record already in the database."""
    found = [
        (label, model.select().count())
        for label, model in (
            ("сотрудники", Staff),
            ("ученики", Student),
            ("учебные годы", SchoolYear),
            ("классы", ClassGroup),
            ("предметы", Subject),
        )
    ]
    return [f"{label}: {count}" for label, count in found if count]


def is_empty() -> bool:
    """Tell whether the database holds no school yet (no staff, students, years, classes or subjects)."""
    return not _existing()


def ensure_empty() -> None:
    """Refuse to seed a database that already holds a school."""
    found = _existing()
    if found:
        raise DomainError(
            "База данных не пуста (" + ", ".join(found) + "). Демо-школа создаётся только в пустой базе; "
            "для запуска без повторного заполнения используйте --if-empty."
        )


def seed(
    size: str = "small",
    *,
    today: dt.date,
    scale: float = 1.0,
    random_seed: int = DEFAULT_SEED,
    source: str = "system",
    hash_method: str = DEFAULT_HASH_METHOD,
) -> SeedReport:
    """Build the demo school of `size` in an empty database, in one transaction, audited once.

    The demo logins' password is hashed with werkzeug's `hash_method` (the app's PASSWORD_HASH_METHOD).
    """
    spec = spec_for(size, scale)
    started = time.perf_counter()
    with db.atomic():
        ensure_empty()
        roles.sync_builtin()
        builder = Builder(spec, today, random.Random(random_seed), hash_method)
        report = builder.build()
        # The past month's e-diary checks, as the morning job opens them on the 1st.
        diary_check.open_monthly(builder.today, clock=SchoolClock())
        audit.record(
            None,
            "seed-demo",
            None,
            model="DemoSchool",
            object_repr="Демо-школа, " + ("большая" if spec.size == "large" else "малая"),
            after={"size": spec.size, "scale": scale, "year": report.year, "today": today.isoformat(), **report.counts},
            source=source,
        )
        sync_sequences()
    refresh_statistics()
    if is_sqlite():
        # Fold the write-ahead log back so the file size tells the real size of the database.
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    report.seconds = time.perf_counter() - started
    return report


class Builder(
    SchoolStructure, People, StudyGroups, Timetable, ThematicPlans, JournalFilling, FinalMarks, Applications, AuditTrail
):
    """Build one demo school: every table in dependency order, remembering ids to link rows.

    Each step lives in the module of its concern (school, people, study_groups, timetable,
    plans, journal, final_marks, applications; the large school's audit trail) and
    draws from one random generator in a fixed order (the plans from their own, seeded by the year):
    the same seed gives the same school.
    """

    def __init__(self, spec: DemoSpec, today: dt.date, rng: random.Random, hash_method: str = DEFAULT_HASH_METHOD):
        self.spec = spec
        self.hash_method = hash_method
        self.rng = rng
        self.ids = IdPool()
        start_year = school_year_start(today)
        self.start, self.end = year_bounds(start_year)
        self.year_name = f"{start_year}/{start_year + 1}"
        self.today = min(max(today, self.start), self.end)
        self.holidays = holidays_for(start_year)
        self.counts: dict[str, int] = {}
        self.used_logins: set[str] = set(DEMO_LOGINS)
        self.now = dt.datetime.combine(self.today, dt.time(8, 0))

    def build(self) -> SeedReport:
        """Write the whole school and return what was built."""
        self._school()
        self._subjects()
        self._work_types()
        self._staff()
        self._classes()
        self._students()
        self._study_groups()
        self._timetable()
        self._plans()
        self._journal()
        self._finals()
        self._applications()
        if self.spec.size == "large":
            self._audit_trail()
        return SeedReport(self.spec.size, self.year_name, self.today, counts=self.counts)
