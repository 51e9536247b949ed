"""The schedule (R5.1–R5.2): what is due, the planner's minute tick, and how exports stand.

The tick reads the settings and the history, records each due run under a slot key (one run per
slot, however often it ticks), and makes sure the oldest pending run has a job. A daily export
sends everything above the last change number delivered under the school's code for the year
(a full when there is none), so one daily run after an outage catches up every missed day.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from app.clock import SchoolClock, from_stored, utcnow
from app.models import ExportRun, ExportSettings, SchoolSettings, SchoolYear
from app.services.exports import claim, runs
from app.settings import Settings

# A daily export not delivered this long after it fell due is overdue (loud on the dashboard).
OVERDUE_AFTER = dt.timedelta(hours=2)
# HTTP packages are kept this long for download, then removed from the spool.
SPOOL_KEEP_DAYS = 60


def _aware_utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return from_stored(utcnow())
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def blocked_reason() -> str | None:
    """Say why scheduled exports cannot run now (no school code, no current year), or None."""
    school = SchoolSettings.load()
    if not school.school_code:
        return "не задан код школы (раздел «Настройки школы»)"
    if SchoolYear.current() is None:
        return "не отмечен текущий учебный год"
    return None


def last_daily_moment(settings: ExportSettings, now: dt.datetime, clock: SchoolClock) -> dt.datetime:
    """Return the latest moment at or before `now` when a daily export fell due (aware, school time)."""
    local = now.astimezone(clock.zone)
    moment = dt.datetime.combine(local.date(), settings.daily_time, tzinfo=local.tzinfo)
    if moment > local:
        moment = dt.datetime.combine(local.date() - dt.timedelta(days=1), settings.daily_time, tzinfo=local.tzinfo)
    return moment


def due_slots(settings: ExportSettings, now: dt.datetime, clock: SchoolClock) -> list[tuple[str, str]]:
    """Return (kind, slot) of the scheduled runs due at `now`: the latest daily, this month's full."""
    if not settings.enabled:
        return []
    local = now.astimezone(clock.zone)
    daily_day = last_daily_moment(settings, now, clock).date()
    slots = [("daily", f"daily-{daily_day:%Y%m%d}")]
    full_due = local.day > settings.full_day or (local.day == settings.full_day and local.time() >= settings.daily_time)
    if full_due:
        slots.append(("full", f"full-{local:%Y%m}"))
    return slots


def tick(now: dt.datetime | None = None, *, settings: Settings, connection=None) -> list[ExportRun]:
    """Record the scheduled runs that are due and give the oldest pending run a job; return the new runs.

    The job goes to `connection` (the Redis the tick came from) or to the settings' Redis.
    """
    now = _aware_utc(now)
    export = ExportSettings.load()
    created = []
    if export.enabled and blocked_reason() is None:
        for kind, slot in due_slots(export, now, settings.clock):
            run = runs.create_run(
                kind, "schedule", None, instance_path=settings.instance_path, slot=slot, source="system"
            )
            if run is not None:
                created.append(run)
    runs.ensure_worker(settings=settings, connection=connection)
    remove_old_spool_files(now)
    return created


def remove_old_spool_files(now: dt.datetime | None = None, keep_days: int = SPOOL_KEEP_DAYS) -> int:
    """Delete HTTP packages of runs finished long ago (the portal has them); return how many."""
    cutoff = _naive_utc(_aware_utc(now)) - dt.timedelta(days=keep_days)
    old = (
        ExportRun.select()
        .where(
            (ExportRun.transport == "http")
            & ExportRun.status.in_(("delivered", "failed"))
            & (ExportRun.finished_at < cutoff)
            & (ExportRun.file_path != "")
        )
        .order_by(ExportRun.id)
        .limit(100)
    )
    removed = 0
    for run in old:
        Path(run.file_path).unlink(missing_ok=True)
        ExportRun.update(file_path="").where(ExportRun.id == run.id).execute()
        removed += 1
    return removed


# --- how exports stand (dashboard, panel, CLI) -------------------------------------------------


@dataclass
class ExportOverview:
    """Last success, next runs and whatever is wrong, for people who watch the exports."""

    enabled: bool
    blocked: str | None
    last_success: ExportRun | None
    last_failure: ExportRun | None
    next_daily: dt.datetime | None
    next_full: dt.datetime | None
    pending: int
    overdue: bool
    exporter_busy: bool

    @property
    def failed(self) -> bool:
        """The latest finished run failed and nothing has been delivered since."""
        if self.last_failure is None:
            return False
        return self.last_success is None or self.last_failure.id > self.last_success.id

    @property
    def alert(self) -> str | None:
        """Return the banner text when something needs attention, else None."""
        if self.failed:
            return f"Выгрузка на портал № {self.last_failure.id} не удалась: {self.last_failure.error}"
        if self.overdue:
            return "Выгрузка на портал просрочена: ежедневная выгрузка не доставлена вовремя."
        if self.enabled and self.blocked:
            return f"Выгрузка на портал не выполняется: {self.blocked}."
        return None

    @property
    def alert_level(self) -> str | None:
        """Return "danger" for a failed or overdue export, "warning" for a school not set up yet, else None."""
        if self.failed or self.overdue:
            return "danger"
        return "warning" if self.alert else None


def next_moments(settings: ExportSettings, now: dt.datetime, clock: SchoolClock):
    """Return the next scheduled daily and full export moments after `now` (aware, school time)."""
    if not settings.enabled:
        return None, None
    tz = clock.zone
    local = now.astimezone(tz)
    daily = dt.datetime.combine(local.date(), settings.daily_time, tzinfo=tz)
    if daily <= local or ExportRun.select().where(ExportRun.slot == f"daily-{local:%Y%m%d}").exists():
        daily = dt.datetime.combine(local.date() + dt.timedelta(days=1), settings.daily_time, tzinfo=tz)
    year, month = local.year, local.month
    if (
        ExportRun.select().where(ExportRun.slot == f"full-{local:%Y%m}").exists()
        or local.day > settings.full_day
        or (local.day == settings.full_day and local.time() >= settings.daily_time)
    ):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    full = dt.datetime.combine(dt.date(year, month, settings.full_day), settings.daily_time, tzinfo=tz)
    return daily, full


def overview(clock: SchoolClock, now: dt.datetime | None = None) -> ExportOverview:
    """Return how exports stand now (`now` defaults to the clock's), in the school's time."""
    now = _aware_utc(now)
    settings = ExportSettings.load()
    blocked = blocked_reason()
    last_success = ExportRun.select().where(ExportRun.status == "delivered").order_by(ExportRun.id.desc()).first()
    last_failure = ExportRun.select().where(ExportRun.status == "failed").order_by(ExportRun.id.desc()).first()
    next_daily, next_full = next_moments(settings, now, clock)
    overdue = False
    if settings.enabled and blocked is None:
        due = last_daily_moment(settings, now, clock)
        delivered_since = last_success is not None and last_success.finished_at >= _naive_utc(due)
        # A daily that fell due before the schedule stood as it is (a fresh install, a schedule just
        # switched on or moved) never had a chance to run: not overdue.
        had_a_chance = settings.schedule_since is None or _naive_utc(due) >= settings.schedule_since
        overdue = had_a_chance and not delivered_since and now >= due + OVERDUE_AFTER
    return ExportOverview(
        enabled=settings.enabled,
        blocked=blocked,
        last_success=last_success,
        last_failure=last_failure,
        next_daily=next_daily,
        next_full=next_full,
        pending=ExportRun.pending().count(),
        overdue=overdue,
        exporter_busy=claim.held_by_someone(_naive_utc(now)),
    )


def _local_text(moment: dt.datetime | None, clock: SchoolClock) -> str:
    return clock.format(moment) if moment is not None else "—"


def dashboard_notices(clock: SchoolClock, now: dt.datetime | None = None) -> list[tuple]:
    """Return (title, count, endpoint, level) lines for the home page: how exports stand.

    A failed or overdue export is not among them: the banner on every page says it (once).
    """
    state = overview(clock, now)
    lines = []
    last = _local_text(state.last_success.finished_at, clock) if state.last_success else "ещё не было"
    if state.enabled:
        upcoming = f"следующая — {_local_text(state.next_daily, clock)}"
    else:
        upcoming = "по расписанию выключена"
    lines.append(
        (
            f"Выгрузка на портал: последняя успешная — {last}; {upcoming}; в очереди",
            state.pending,
            "exportrun.index_view",
            "info",
        )
    )
    return lines
