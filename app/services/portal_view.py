"""What the portal holds of a month's journal, read back from the packages delivered to it (R7.1–R7.3).

The portal's state is what the delivered packages built: the last full package delivered for
the school year under the school's code, then every daily delivered after it, in change order
(docs/export-format.en.md: an upsert replaces, a delete removes). `portal_month` replays them
and keeps the lessons of one month with their marks and absences. Reading the full package is
the costly part (every line of the year): its month is kept beside it under the instance folder
(`portal-view/`), keyed by the run, and only the dailies after it are read on each look.

A package whose file is gone (a portal that moves its inbox away, a spool cleared by hand)
cannot be read back: `PortalMonth.unreadable` names it, and the comparison says so.
"""

import datetime as dt
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from app.models import ExportRun

LESSON, MARK, ABSENCE = b'{"type":"lesson"', b'{"type":"mark"', b'{"type":"absence"'
CACHE_VERSION = 1


@dataclass
class PortalMonth:
    """The lessons of a month as the portal holds them, with their marks and absences, by record id."""

    lessons: dict[int, dict] = field(default_factory=dict)
    marks: dict[int, dict] = field(default_factory=dict)
    absences: dict[int, dict] = field(default_factory=dict)
    # The change number the portal's state is as of, and the run that brought it (None: nothing delivered).
    change: int | None = None
    last_run: ExportRun | None = None
    unreadable: list[str] = field(default_factory=list)


def delivered_chain(year_id: int, school_code: str) -> list[ExportRun]:
    """The delivered runs whose packages built the portal's state: the last full, then the dailies after it."""
    delivered = (
        ExportRun.select()
        .where(
            (ExportRun.status == "delivered")
            & (ExportRun.year == year_id)
            & (ExportRun.school_code == school_code)
            & ExportRun.change_to.is_null(False)
        )
        .order_by(ExportRun.change_to, ExportRun.id)
    )
    runs = list(delivered)
    fulls = [i for i, run in enumerate(runs) if run.kind == "full"]
    if not fulls:
        return []
    start = fulls[-1]
    return runs[start:]


def _lines(path: Path):
    with gzip.open(path, "rb") as stream:
        yield from stream


def _in_month(fields: dict, first: str, last: str) -> bool:
    return first <= fields["date"] <= last


def _replay(paths, first: str, last: str, month: PortalMonth) -> None:
    """Apply packages to a month: its lessons first (from every package), then their marks and absences."""
    for path in paths:
        for line in _lines(path):
            if line.startswith(LESSON):
                record = orjson.loads(line)
                if record["op"] == "upsert" and _in_month(record["fields"], first, last):
                    month.lessons[record["id"]] = record["fields"]
                else:  # deleted, or moved out of the month
                    month.lessons.pop(record["id"], None)
    for path in paths:
        for line in _lines(path):
            for prefix, held in ((MARK, month.marks), (ABSENCE, month.absences)):
                if line.startswith(prefix):
                    record = orjson.loads(line)
                    if record["op"] == "upsert" and record["fields"]["lesson"] in month.lessons:
                        held[record["id"]] = record["fields"]
                    else:
                        held.pop(record["id"], None)
                    break
    # A mark kept from an earlier package whose lesson later left the month.
    for held in (month.marks, month.absences):
        for record_id in [i for i, fields in held.items() if fields["lesson"] not in month.lessons]:
            del held[record_id]


def _cache_path(cache_dir: Path, run: ExportRun, first: dt.date) -> Path:
    return cache_dir / f"{run.id}-{run.package_id}-{first:%Y-%m}.json.gz"


def _from_full(run: ExportRun, first: dt.date, last: dt.date, cache_dir: Path) -> PortalMonth | None:
    """The month as the full package holds it, read once and kept beside the instance; None if its file is gone."""
    cached = _cache_path(cache_dir, run, first)
    if cached.exists():
        data = orjson.loads(gzip.decompress(cached.read_bytes()))
        if data.get("version") == CACHE_VERSION:
            return PortalMonth(
                lessons={int(k): v for k, v in data["lessons"].items()},
                marks={int(k): v for k, v in data["marks"].items()},
                absences={int(k): v for k, v in data["absences"].items()},
            )
    path = Path(run.file_path) if run.file_path else None
    if path is None or not path.exists():
        return None
    month = PortalMonth()
    _replay([path], first.isoformat(), last.isoformat(), month)
    cache_dir.mkdir(parents=True, exist_ok=True)
    body = {"version": CACHE_VERSION, "lessons": month.lessons, "marks": month.marks, "absences": month.absences}
    partial = cached.with_suffix(".part")
    partial.write_bytes(gzip.compress(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), compresslevel=1))
    partial.replace(cached)
    return month


def portal_month(year_id: int, school_code: str, first: dt.date, last: dt.date, cache_dir: Path) -> PortalMonth:
    """Replay the delivered packages into the month's lessons, marks and absences as the portal holds them."""
    chain = delivered_chain(year_id, school_code)
    if not chain:
        return PortalMonth()
    month = _from_full(chain[0], first, last, cache_dir)
    if month is None:
        return PortalMonth(change=chain[-1].change_to, last_run=chain[-1], unreadable=[chain[0].package_id])
    dailies = chain[1:]
    readable = []
    for run in dailies:
        path = Path(run.file_path) if run.file_path else None
        if path is None or not path.exists():
            month.unreadable.append(run.package_id)
        else:
            readable.append(path)
    if readable:
        _replay(readable, first.isoformat(), last.isoformat(), month)
    month.change, month.last_run = chain[-1].change_to, chain[-1]
    return month
