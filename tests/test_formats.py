"""Dates, months and times read the Russian way, from one module (app/formats.py, Babel's data)."""

import datetime as dt
from zoneinfo import ZoneInfo

from app import formats
from app.clock import DEFAULT_TIMEZONE, SchoolClock
from app.config import read_environment

NOMINATIVE = "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()


def test_dates_read_as_school_papers_write_them():
    assert formats.format_date(dt.date(2026, 9, 1)) == "01.09.2026"
    assert formats.format_span(dt.date(2026, 9, 1), dt.date(2027, 5, 31)) == "01.09.2026–31.05.2027"
    assert formats.format_span(dt.date(2026, 9, 1), None) == "01.09.2026–…"


def test_months_are_named_in_the_nominative():
    assert [formats.month_name(dt.date(2026, month, 15)) for month in range(1, 13)] == NOMINATIVE
    assert formats.month_label(dt.date(2026, 11, 3)) == "ноябрь 2026"


def test_times_are_shown_in_the_school_zone():
    clock = SchoolClock("Europe/Moscow")
    assert clock.format(dt.datetime(2026, 12, 1, 21, 33, 7)) == "02.12.2026 00:33"
    assert clock.format(dt.datetime(2026, 12, 1, 21, 33, 7), with_seconds=True) == "02.12.2026 00:33:07"
    tokyo = dt.datetime(2026, 12, 2, 6, 33, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert formats.format_local(tokyo) == "02.12.2026 06:33"


def test_the_default_zone_is_declared_once():
    assert read_environment({})["SCHOOL_TIMEZONE"] == DEFAULT_TIMEZONE == SchoolClock().timezone
