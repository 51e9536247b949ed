"""How dates, months and times read in the school's locale, in one place (Babel's Russian data).

Every page, message and file that shows a date goes through these; a time shown to a person is
first put in the school's zone by the clock (`SchoolClock.format`).
"""

import datetime as dt

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime

# The school's locale: Russian names of months, Russian order of day, month and year.
LOCALE = "ru"


def format_date(day: dt.date) -> str:
    """Return a date the way Russian school papers write it: 01.09.2026."""
    return babel_date(day, "dd.MM.yyyy", locale=LOCALE)


def format_span(start: dt.date, end: dt.date | None) -> str:
    """Return a date range as 01.09.2026–31.05.2027 (an open end as an ellipsis)."""
    return f"{format_date(start)}–{format_date(end) if end else '…'}"


def month_name(day: dt.date) -> str:
    """Return the month of a date as a heading names it (nominative, lower case): ноябрь."""
    return babel_date(day, "LLLL", locale=LOCALE)


def month_label(day: dt.date) -> str:
    """Return a month and its year as a heading: ноябрь 2026."""
    return f"{month_name(day)} {day.year}"


def format_local(moment: dt.datetime, with_seconds: bool = False) -> str:
    """Return an aware local moment as the school reads it: 02.12.2026 00:33 (seconds on request)."""
    pattern = "dd.MM.yyyy HH:mm:ss" if with_seconds else "dd.MM.yyyy HH:mm"
    return babel_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=LOCALE)
