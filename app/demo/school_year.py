"""The demo school's year: its bounds, vacations and public holidays, its four quarters and two halves.

Which days of it are school days is the planner's rule (`journal_planning.school_days`).
"""

import datetime as dt


def school_year_start(today: dt.date) -> int:
    """Return the calendar year in which the school year around `today` began (June–August: the one just ended)."""
    return today.year if today.month >= 9 else today.year - 1


def year_bounds(start_year: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the school year that begins in `start_year`."""
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 5, 31)


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def holidays_for(start_year: int) -> list[tuple[str, dt.date, dt.date]]:
    """Return the vacations and public holidays of a school year as (name, first day, last day)."""
    autumn = _monday_of(dt.date(start_year, 10, 27))
    spring = _monday_of(dt.date(start_year + 1, 3, 24))
    vacations = [
        ("Осенние каникулы", autumn, autumn + dt.timedelta(days=8)),
        ("Зимние каникулы", dt.date(start_year, 12, 29), dt.date(start_year + 1, 1, 11)),
        ("Весенние каникулы", spring, spring + dt.timedelta(days=8)),
    ]
    public = [
        ("День народного единства", dt.date(start_year, 11, 4)),
        ("День защитника Отечества", dt.date(start_year + 1, 2, 23)),
        ("Международный женский день", dt.date(start_year + 1, 3, 8)),
        ("Праздник Весны и Труда", dt.date(start_year + 1, 5, 1)),
        ("День Победы", dt.date(start_year + 1, 5, 9)),
    ]
    result = list(vacations)
    for name, day in public:
        if any(first <= day <= last for _, first, last in vacations):
            continue
        if day.isoweekday() == 7:
            # A holiday falling on Sunday moves to Monday.
            day += dt.timedelta(days=1)
            name += " (перенос выходного дня)"
        result.append((name, day, day))
    return sorted(result, key=lambda h: h[1])


def quarters(start: dt.date, end: dt.date, holidays) -> list[tuple[dt.date, dt.date]]:
    """Return the four quarters: the stretches between the start, the three vacations and the end."""
    vacations = [(first, last) for name, first, last in holidays if name.endswith("каникулы")]
    bounds, begin = [], start
    for first, last in vacations:
        bounds.append((begin, first - dt.timedelta(days=1)))
        begin = last + dt.timedelta(days=1)
    bounds.append((begin, end))
    return bounds


def halves(quarters: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Return the two halves over the same school days: the first two quarters, and the last two."""
    return [(quarters[0][0], quarters[1][1]), (quarters[2][0], quarters[3][1])]
