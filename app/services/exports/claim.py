"""The exporter's claim: one database row that lets one exporter at a time build and send packages.

The claim lapses at `until`; its holder renews it from a heartbeat thread while it works, so a
killed worker stops renewing and the next exporter takes over once the lease has run out.
Every write of the holder is conditional on still holding it.
"""

import datetime as dt
import logging
import os
import secrets
import socket
import threading

from app.db import db
from app.models import ExportLock, ExportRun
from app.models.exports import safe_token, utcnow

LEASE_SECONDS = 120

log = logging.getLogger(__name__)


def new_owner() -> str:
    """Return a name for this exporter: host, process and a random part (letters, digits, '-', '_')."""
    host = safe_token(socket.gethostname(), "host")[:60]
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def _ensure_row() -> None:
    # The row is made by the migration; recreate it if a truncation removed it.
    ExportLock.insert(id=1).on_conflict_ignore().execute()


def acquire(owner: str, lease_seconds: float = LEASE_SECONDS) -> bool:
    """Take the claim if it is free, lapsed or reserved for `owner` already; tell whether we hold it now."""
    _ensure_row()
    now = utcnow()
    taken = (
        ExportLock.update(owner=owner, until=now + dt.timedelta(seconds=lease_seconds), run_id=None)
        .where(
            (ExportLock.id == 1) & (ExportLock.owner.is_null() | (ExportLock.until < now) | (ExportLock.owner == owner))
        )
        .execute()
    )
    return taken == 1


def reserve(owner: str, seconds: float, run_id: int) -> bool:
    """Keep our claim for `seconds` with no heartbeat, while a run waits to retry; tell whether it is still ours.

    Nobody else exports meanwhile, so no newer package overtakes the waiting one. The job that
    retries comes back with the same `owner` and takes the claim over; if that job is lost, the
    reservation lapses like any lease and the planner's tick hands the run to a worker.
    """
    until = utcnow() + dt.timedelta(seconds=seconds)
    return (
        ExportLock.update(until=until, run_id=run_id)
        .where((ExportLock.id == 1) & (ExportLock.owner == owner))
        .execute()
        == 1
    )


def renew(owner: str, lease_seconds: float = LEASE_SECONDS, run_id: int | None = None) -> bool:
    """Extend our claim; tell whether we still hold it."""
    values = {"until": utcnow() + dt.timedelta(seconds=lease_seconds)}
    if run_id is not None:
        values["run_id"] = run_id
    return ExportLock.update(**values).where((ExportLock.id == 1) & (ExportLock.owner == owner)).execute() == 1


def release(owner: str) -> None:
    """Give the claim up (only if it is still ours)."""
    ExportLock.update(owner=None, until=None, run_id=None).where(
        (ExportLock.id == 1) & (ExportLock.owner == owner)
    ).execute()


def held_by_someone(now: dt.datetime | None = None) -> bool:
    """Tell whether a live exporter holds the claim (a lapsed claim counts as free)."""
    now = now or utcnow()
    row = ExportLock.get_or_none(ExportLock.id == 1)
    return bool(row and row.owner and row.until and row.until >= now)


class Heartbeat:
    """A thread that renews the claim and writes the run's progress while the exporter works."""

    def __init__(self, owner: str, lease_seconds: float = LEASE_SECONDS):
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.interval = max(0.2, min(5.0, lease_seconds / 4))
        self.run_id: int | None = None
        self.progress: tuple[int, int] | None = None
        self.lost = False
        self._written = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="export-heartbeat", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def _loop(self):
        # Its own connection: the exporter's one sits in a long read-only snapshot.
        with db.connection_context():
            while not self._stop.wait(self.interval):
                try:
                    self.beat()
                except Exception:  # a database hiccup: try again next beat, the lease has slack
                    log.exception("Export heartbeat failed")

    def beat(self) -> None:
        """Renew the claim once and write the progress if it moved."""
        if not renew(self.owner, self.lease_seconds, self.run_id):
            self.lost = True
            return
        progress, run_id = self.progress, self.run_id
        if run_id is not None and progress is not None and (run_id, progress) != self._written:
            ExportRun.update(progress=progress[0], total=progress[1]).where(
                (ExportRun.id == run_id) & (ExportRun.claimed_by == self.owner)
            ).execute()
            self._written = (run_id, progress)
