"""What a seeding reports: the rows it built, the time it took, and the size of the database."""

import datetime as dt
import os
from dataclasses import dataclass, field

from app.db import db, is_sqlite


@dataclass
class SeedReport:
    """What a seeding built and how long it took."""

    size: str
    year: str
    today: dt.date
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Return the report as Russian lines for the console."""
        labels = {
            "staff": "сотрудников",
            "teachers": "учителей",
            "classes": "классов",
            "subjects": "предметов",
            "students": "учеников",
            "guardians": "родителей",
            "enrollments": "зачислений",
            "groups": "учебных групп",
            "memberships": "записей о составе групп",
            "journals": "журналов",
            "assignments": "строк нагрузки",
            "rooms": "кабинетов",
            "timetable": "уроков в расписании",
            "plans": "тематических планов (КТП)",
            "plans_approved": "из них утверждённых",
            "plans_draft": "из них черновиков",
            "plan_rows": "строк тематических планов",
            "lessons": "уроков",
            "held": "проведённых уроков",
            "marks": "отметок",
            "absences": "пропусков",
            "plan_links": "уроков по строкам КТП",
            "finals": "итоговых отметок за 1 четверть",
            "applications": "заявлений родителей",
        }
        out = [f"Демо-школа ({self.size}), {self.year} учебный год, «сегодня» {self.today:%d.%m.%Y}:"]
        out += [f"  {labels.get(k, k)}: {v:,}".replace(",", " ") for k, v in self.counts.items()]
        out.append(f"  время: {self.seconds:.1f} с")
        return out


def database_size_bytes() -> int | None:
    """Return the SQLite database file's size (with its write-ahead log), or None for other engines."""
    if not is_sqlite():
        return None
    path = db.obj.database
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def format_size(size: int) -> str:
    """Return a byte count in megabytes for people."""
    return f"{size / (1024 * 1024):.1f} МБ"
