"""The one clock (DESIGN 9).

Convention: every instant is stored as **naive UTC** (a `DateTimeField` holds UTC wall time with no
offset, on SQLite and PostgreSQL alike). "Today", deadlines and every time shown to a person are
computed in the school's time zone here and nowhere else, so nothing depends on the process's `TZ`.

A `SchoolClock` is built once by the factory (`app.extensions["clock"]`) and by the worker's start-up
from the `SCHOOL_TIMEZONE` setting, and is passed to services as an argument.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from app.formats import format_local

DEFAULT_TIMEZONE = "Europe/Moscow"


def utcnow() -> dt.datetime:
    """Return the current instant in the stored form: naive UTC, whole seconds."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def to_stored(instant: dt.datetime) -> dt.datetime:
    """Turn an aware instant into the stored form (naive UTC, whole seconds)."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no time zone to convert from")
    return instant.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def from_stored(stored: dt.datetime) -> dt.datetime:
    """Turn a stored naive-UTC value into an aware UTC instant."""
    return stored.replace(tzinfo=dt.UTC)


class SchoolClock:
    """The school's clock: the current instant, the school's date, and local display of stored instants."""

    def __init__(self, timezone: str = DEFAULT_TIMEZONE):
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)

    def __repr__(self) -> str:
        return f"SchoolClock({self.timezone!r})"

    def now(self) -> dt.datetime:
        """Return the current instant, aware, in the school's zone."""
        return dt.datetime.now(self.zone)

    def utcnow(self) -> dt.datetime:
        """Return the current instant in the stored form (naive UTC)."""
        return utcnow()

    def today(self) -> dt.date:
        """Return the school's current date."""
        return self.now().date()

    def local(self, stored: dt.datetime | None) -> dt.datetime | None:
        """Return a stored naive-UTC value as an aware datetime in the school's zone."""
        if stored is None:
            return None
        if stored.tzinfo is None:
            stored = from_stored(stored)
        return stored.astimezone(self.zone)

    def stored_from_local(self, day: dt.date, at: dt.time = dt.time(0)) -> dt.datetime:
        """Return the stored form of a wall-clock moment in the school (e.g. the start of a school day)."""
        return to_stored(dt.datetime.combine(day, at, tzinfo=self.zone))

    def day_start(self, day: dt.date) -> dt.datetime:
        """Return the stored form of the school's midnight that starts `day` (for day-range queries)."""
        return self.stored_from_local(day)

    def format(self, stored: dt.datetime | None, with_seconds: bool = False) -> str:
        """Return a stored instant as the school reads it: 02.12.2026 00:33."""
        local = self.local(stored)
        if local is None:
            return ""
        return format_local(local, with_seconds)


def app_clock(app) -> SchoolClock:
    """Return the clock the factory built for this application."""
    return app.extensions["clock"]
