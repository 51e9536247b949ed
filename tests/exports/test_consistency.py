"""Two real transactions interleaved with an export: a change that commits late is never skipped.

The classic loss: transaction A takes change number 5, B takes 6 and commits first, an export
sees 6 and moves its watermark past 5; A commits 5 — and no later export ever sends it.
Change numbers come from one counter row updated inside the writer's transaction, so B
cannot take its number until A has committed, and an export's snapshot holds exactly the
numbers up to the counter's value it reads.
"""

import datetime as dt
import io
import threading
import time
from pathlib import Path

import pytest

from app.db import db, is_sqlite
from app.models import ChangeCounter, ExportRun, Mark
from app.services.exports import runs
from app.services.exports.builder import history_counts
from tests.exports.helpers import SCHOOL_CODE, build
from tests.exports.journal_state import differences, journal_state
from tests.exports.receiver import ReferenceReceiver, read_lines


def export_now(kind, instance_path) -> ExportRun:
    run = runs.create_run(kind, "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    return ExportRun.get_by_id(run.id)


class Writers:
    """A slow writer that takes a change number and holds its transaction open, and a fast one behind it."""

    def __init__(self, school):
        self.school = school
        self.numbered = threading.Event()
        self.release = threading.Event()
        self.order = []
        self.numbers = {}
        self.errors = []
        self.threads = [threading.Thread(target=self._slow), threading.Thread(target=self._fast)]

    def _write(self, name, student, value):
        with db.connection_context():
            with db.atomic():
                mark = Mark.create(
                    lesson=self.school.substituted, student=student, value=value, work_type=self.school.answer
                )
                self.numbers[name] = mark.change_no
                if name == "slow":
                    self.numbered.set()
                    assert self.release.wait(20)
            self.order.append(name)

    def _slow(self):
        try:
            self._write("slow", self.school.students[0], "3")
        except Exception as exc:  # reported by the test
            self.errors.append(exc)
            self.numbered.set()

    def _fast(self):
        try:
            assert self.numbered.wait(20)
            self._write("fast", self.school.students[1], "2")
        except Exception as exc:
            self.errors.append(exc)

    def start(self):
        for thread in self.threads:
            thread.start()
        assert self.numbered.wait(20)
        time.sleep(0.3)  # the fast writer is now waiting for the counter

    def finish(self):
        self.release.set()
        for thread in self.threads:
            thread.join(30)
        assert not self.errors, self.errors


def test_an_export_between_two_interleaved_transactions_skips_nothing(school, outbox, instance_path):
    full = export_now("full", instance_path)
    writers = Writers(school)
    writers.start()
    try:
        # The fast writer cannot even take its number while the slow one is open.
        assert "fast" not in writers.numbers and writers.order == []
        # An export's snapshot now: the slow writer's number is taken but not committed.
        out = io.BytesIO()
        middle, _ = build(
            out,
            instance_path,
            kind="daily",
            package_id="ej-middle",
            generated_at=dt.datetime(2026, 9, 5, 12),
            school_code=SCHOOL_CODE,
        )
    finally:
        writers.finish()
    assert writers.order == ["slow", "fast"]
    assert writers.numbers["fast"] == writers.numbers["slow"] + 1
    assert middle.change_to < writers.numbers["slow"], "the snapshot stops below the open transaction's number"
    middle_lines = read_lines(out.getvalue())
    assert [r for r in middle_lines[1:-1] if r["type"] == "mark"] == []
    # That package reached the portal: the watermark moves to its end.
    ExportRun.create(
        kind="daily",
        trigger="manual",
        status="delivered",
        school_code=SCHOOL_CODE,
        year=middle.year_id,
        change_from=middle.change_from,
        change_to=middle.change_to,
        counts=history_counts(middle),
        sha256=middle.sha256,
    )
    after = export_now("daily", instance_path)
    after_lines = read_lines(Path(after.file_path).read_bytes())
    marks = {r["id"]: r["change"] for r in after_lines[1:-1] if r["type"] == "mark"}
    assert sorted(marks.values()) == [writers.numbers["slow"], writers.numbers["fast"]]
    assert after.change_from == middle.change_to and after.change_to == ChangeCounter.current()
    receiver = ReferenceReceiver()
    for raw in (Path(full.file_path).read_bytes(), out.getvalue(), Path(after.file_path).read_bytes()):
        assert receiver.receive(raw, directory=outbox)[0] == 200
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_on_postgresql_a_whole_export_runs_beside_an_open_transaction(school, outbox, instance_path):
    if is_sqlite():
        pytest.skip("SQLite lets one writer at a time: its transactions cannot commit out of order")
    export_now("full", instance_path)
    writers = Writers(school)
    writers.start()
    try:
        during = export_now("daily", instance_path)
    finally:
        writers.finish()
    assert during.status == "delivered", during.error
    assert during.change_to < writers.numbers["slow"]
    after = export_now("daily", instance_path)
    lines = read_lines(Path(after.file_path).read_bytes())
    assert sorted(r["change"] for r in lines[1:-1] if r["type"] == "mark") == [
        writers.numbers["slow"],
        writers.numbers["fast"],
    ]
