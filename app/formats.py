"""How dates, months and times read in the school's locale, in one place (Babel's Russian data).

Every page, message and file that shows a date goes through these; a time shown to a person is
first put in the school's zone by the clock (`SchoolClock.format`).
"""

import datetime as dt
from functools import lru_cache

# The school's locale: Russian names of months, Russian order of day, month and year.
LOCALE = "ru"


def format_date(day: dt.date) -> str:
    """Return a date the way Russian school papers write it: 01.09.2026 (all digits: no locale data needed)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def format_span(start: dt.date, end: dt.date | None) -> str:
    """Return a date range as 01.09.2026–31.05.2027 (an open end as an ellipsis)."""
    return f"{format_date(start)}–{format_date(end) if end else '…'}"


def month_name(day: dt.date) -> str:
    """Return the month of a date as a heading names it (nominative, lower case): ноябрь."""
    return _month_name(day.month)


@lru_cache(maxsize=12)
def _month_name(month: int) -> str:
    # Babel looks its data up on every call (a page names a month once per lesson column), and is
    # imported only here: the rest of this module is digits, which need no locale data.
    from babel.dates import format_date

    return format_date(dt.date(2000, month, 1), "LLLL", locale=LOCALE)


def month_label(day: dt.date) -> str:
    """Return a month and its year as a heading: ноябрь 2026."""
    return f"{month_name(day)} {day.year}"


def format_local(moment: dt.datetime, with_seconds: bool = False) -> str:
    """Return an aware local moment as the school reads it: 02.12.2026 00:33 (seconds on request)."""
    return moment.strftime("%d.%m.%Y %H:%M:%S" if with_seconds else "%d.%m.%Y %H:%M")


def format_time(moment: dt.time) -> str:
    """Return a time of day as a bell schedule writes it: 08:30."""
    return f"{moment.hour:02d}:{moment.minute:02d}"
