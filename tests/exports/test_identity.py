"""Reference data and identity: renamed work types reach the portal, every record lies within its
package's change range, a new school code (or a year without a delivered package, or a new
format version) gets a full, several waiting files have one order, the portal's answer is
awaited long enough, and a fresh install shows no false alarm (and never one alarm twice)."""

import datetime as dt
import json
import re
from pathlib import Path

import time_machine

from app.models import ExportRun, ExportSettings, Mark, SchoolYear, Staff
from app.services import groups, setup
from app.services.exports import format as fmt
from app.services.exports import runs
from app.services.exports.transports import MIB, HttpTransport, answer_timeout
from tests.exports.helpers import SCHOOL_CODE, TOKEN, build, package_lines, set_school
from tests.exports.journal_state import differences, journal_state
from tests.exports.receiver import ReferenceReceiver, waiting_files


def export_now(kind, instance_path) -> ExportRun:
    run = runs.create_run(kind, "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    return ExportRun.get_by_id(run.id)


def records(run) -> list[dict]:
    return package_lines(run.file_path)[1:-1]


def test_a_renamed_work_type_reaches_the_portal_with_the_next_daily(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    school.answer.name = "Устный ответ"
    school.answer.save()
    daily = export_now("daily", instance_path)
    sent = records(daily)
    marks = {r["id"]: r for r in sent if r["type"] == "mark"}
    # Every mark of that type, this year's only (last year's mark is not the portal's business).
    of_type = Mark.select().where(Mark.work_type == school.answer)
    expected = {m.id for m in of_type if m.lesson_id != school.old_lesson.id}
    assert set(marks) == expected and len(sent) == len(expected)
    assert all(r["fields"]["work_type"] == "Устный ответ" for r in marks.values())
    assert all(r["change"] == school.answer.change_no for r in marks.values())
    receiver.receive_file(daily.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}
    # The same marks in a full carry the same change number.
    again = {r["id"]: r["change"] for r in records(export_now("full", instance_path)) if r["type"] == "mark"}
    assert all(again[i] == marks[i]["change"] for i in marks)


def test_resent_staff_records_lie_within_the_daily_range(school, outbox, instance_path):
    export_now("full", instance_path)
    assignment = groups.assign_teacher(None, groups.class_journal(school.other, school.math), school.teacher)
    daily = export_now("daily", instance_path)
    staff = [r for r in records(daily) if r["type"] == "staff"]
    assert len(staff) == Staff.select().count()
    assert all(daily.change_from < r["change"] <= daily.change_to for r in staff)
    assert {r["change"] for r in staff} == {assignment.change_no}
    # A deletion of an assignment counts as its change too.
    groups.delete_assignment(None, assignment)
    after = export_now("daily", instance_path)
    staff = [r for r in records(after) if r["type"] == "staff"]
    assert staff and all(after.change_from < r["change"] <= after.change_to for r in staff)


def test_reference_data_renamed_everywhere_reaches_the_portal(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    school.math.name = "Алгебра"
    school.math.save()
    school.group.letter = "В"
    school.group.save()
    school.teacher.last_name = "Смирнова"
    school.teacher.save()
    school.test.name = "Итоговая работа"
    school.test.save()
    receiver.receive_file(export_now("daily", instance_path).file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}
    assert receiver.anomalies == [] and receiver.invalid == []


def test_a_new_school_code_starts_with_a_full_package(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    mark.value = "3"
    mark.save()
    set_school(code="spb-0043")
    run = export_now("daily", instance_path)
    assert run.status == "delivered" and run.kind == "full", run.error
    assert "сменился код школы (spb-0042 → spb-0043)" in run.note
    header = package_lines(run.file_path)[0]
    assert header["kind"] == "full" and header["changes"]["from"] is None and header["school"]["code"] == "spb-0043"
    assert run.package_id.startswith("ej-spb-0043-full-")
    receiver.receive_file(run.file_path)
    assert differences(journal_state(school.year), receiver.holding("spb-0043", school.year.id)) == {}
    # Dailies continue under the new code from its own full.
    mark.value = "2"
    mark.save()
    daily = export_now("daily", instance_path)
    assert daily.kind == "daily" and daily.change_from == run.change_to
    receiver.receive_file(daily.file_path)
    assert differences(journal_state(school.year), receiver.holding("spb-0043", school.year.id)) == {}
    # Back to the old code: a daily continues what the portal holds under it.
    set_school(code=SCHOOL_CODE)
    mark.value = "5"
    mark.save()
    back = export_now("daily", instance_path)
    assert back.kind == "daily" and back.change_from == ExportRun.get_by_id(1).change_to
    receiver.receive_file(back.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_the_first_package_of_a_year_is_a_full_one(school, outbox, instance_path):
    run = export_now("daily", instance_path)
    assert run.kind == "full" and f"за {school.year.name} учебный год" in run.note
    assert not list(outbox.glob(".*")), "the daily's temporary file went when it turned into a full"
    receiver = ReferenceReceiver()
    receiver.receive_file(run.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_the_first_package_after_a_format_change_is_a_full_one(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    before = export_now("full", instance_path)
    receiver.receive_file(before.file_path)
    # The school ran version 1 until now: its history kept the counts alone, no version.
    ExportRun.update(counts=json.dumps(runs.counts_of(before))).where(ExportRun.id == before.id).execute()
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    mark.value = "3"
    mark.save()
    run = export_now("daily", instance_path)
    assert run.status == "delivered" and run.kind == "full", run.error
    assert f"сменилась версия формата пакета (1 → {fmt.FORMAT_VERSION})" in run.note
    header = package_lines(run.file_path)[0]
    assert header["kind"] == "full" and header["version"] == fmt.FORMAT_VERSION and header["changes"]["from"] is None
    assert not list(outbox.glob(".*")), "the daily's temporary file went when it turned into a full"
    receiver.receive_file(run.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}
    # Dailies continue the new version's full.
    mark.value = "2"
    mark.save()
    daily = export_now("daily", instance_path)
    assert daily.kind == "daily" and daily.note == "" and daily.change_from == run.change_to
    receiver.receive_file(daily.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_waiting_files_are_applied_by_their_headers_not_their_names(school, outbox, instance_path):
    full = export_now("full", instance_path)
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    for value in ("4", "3"):
        mark.value = value
        mark.save()
        export_now("daily", instance_path)
    names = sorted(p.name for p in outbox.glob("*.ndjson.gz"))
    # By name the dailies come before the full, which would wipe them out.
    assert names[-1] == Path(full.file_path).name
    order = [package_lines(p)[0]["changes"]["to"] for p in waiting_files(outbox)]
    assert order == sorted(order) and Path(waiting_files(outbox)[0]).name == Path(full.file_path).name
    receiver = ReferenceReceiver()
    assert [answer[0] for answer in receiver.receive_directory(outbox)] == [200, 200, 200]
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_the_portal_is_given_time_to_check_a_large_package(school, outbox, instance_path, receiver):
    assert ExportSettings().http_timeout == 300
    assert HttpTransport("https://portal.example/p", "t").timeout == 300
    assert answer_timeout(300, 20 * MIB) == 400
    # A real slow portal: the base wait alone is too short, the part for the package's size is not.
    path, package_id = Path(instance_path) / "large.ndjson.gz", "ej-spb-0042-full-large"
    with open(path, "wb") as out:
        _, contents = build(
            out,
            instance_path,
            kind="full",
            package_id=package_id,
            generated_at=dt.datetime(2026, 9, 5, 17),
            school_code=SCHOOL_CODE,
        )
    receiver.mode, receiver.slow_seconds = "slow", 1.0
    per_mib = 1.5 * MIB / path.stat().st_size  # this package gets 1.5 s on top of the base
    transport = HttpTransport(receiver.url, TOKEN, timeout=0.3, timeout_per_mib=per_mib)
    assert "принял" in transport.deliver(path, package_id, contents)
    assert len(receiver.requests) == 1, "answered after the wait: nothing sent twice"


# --- first start -------------------------------------------------------------------------------

INSTALLED = dt.datetime(2026, 9, 14, 19, 30, tzinfo=dt.UTC)  # 22:30 in Moscow, 2.5 h after the daily's time


def _fresh_install():
    ExportSettings.delete().execute()
    setup.ensure_defaults()


def test_a_fresh_install_shows_no_overdue_alarm(client, login_as, app):
    with time_machine.travel(INSTALLED, tick=False):
        _fresh_install()
        login_as("admin")
        html = client.get("/").get_data(as_text=True)
        # No school code yet: a calm reminder, not a red alarm.
        assert html.count('id="export-alert"') == 1 and "alert-warning" in html and "код школы" in html
        assert "просрочена" not in html
        set_school()
        SchoolYear.create(
            name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
        )
        html = client.get("/").get_data(as_text=True)
        assert 'id="export-alert"' not in html and "просрочена" not in html
    # The next evening's daily had its chance: nothing delivered two hours later is overdue.
    with time_machine.travel(INSTALLED + dt.timedelta(days=1), tick=False):
        login_as("admin")  # a day later the session has lapsed
        html = client.get("/").get_data(as_text=True)
        assert html.count("просрочена") == 1 and html.count('id="export-alert"') == 1


def test_a_failed_export_is_shown_once_on_the_home_page(client, login_as, school, portal, instance_path):
    portal.mode = "reject"
    run = runs.create_run("full", "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert len(re.findall(f"№ {run.id} не удалась", html)) == 1
