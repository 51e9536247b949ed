"""The package: schema and format rules, what a full and a daily package hold, order, determinism."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from app.models import (
    Absence,
    ChangeCounter,
    DiaryApplication,
    Enrollment,
    ExportRun,
    GroupMembership,
    HomeworkFile,
    Mark,
    SchoolSettings,
    SchoolYear,
    StudyGroup,
)
from app.services import groups
from app.services.exports import format as fmt
from app.services.exports import runs
from app.services.exports.builder import json_number
from tests.exports.helpers import (
    SCHOOL_CODE,
    attach_file,
    build,
    decompress,
    make_lesson,
    package_lines,
    records_of,
    stored_file,
)
from tests.exports.journal_state import differences, group_members, journal_state, opened_journals
from tests.exports.receiver import ReferenceReceiver, read_lines
from tests.exports.receiver import group_members as held_members
from tests.exports.receiver import opened_journals as held_journals


def export_now(kind, instance_path) -> ExportRun:
    """Ask for an export and do it right here (the job function's work, without the queue)."""
    run = runs.create_run(kind, "manual", None, instance_path=instance_path)
    runs.process(run.id, instance_path=instance_path)
    return ExportRun.get_by_id(run.id)


def test_full_package_holds_the_current_year_and_follows_the_schema(school, outbox, instance_path):
    run = export_now("full", instance_path)
    assert run.status == "delivered", run.error
    path = Path(run.file_path)
    assert path == outbox / f"{run.package_id}.ndjson.gz" and path.is_file()
    lines = package_lines(path)  # schema, header/trailer, counts, checksum, order
    header = lines[0]
    assert header["kind"] == "full" and header["package_id"] == run.package_id
    assert header["school"] == {"code": SCHOOL_CODE, "name": "ГБОУ школа № 42"}
    assert header["school_year"]["id"] == school.year.id
    assert header["changes"] == {"from": None, "to": ChangeCounter.current()}
    assert header["generated_at"] == run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    kinds = {(t, op) for t, op, _ in records_of(lines)}
    assert kinds == {(name, "upsert") for name in fmt.TYPE_NAMES}, "one of every record type, no deletes"
    held = {(t, i) for t, _, i in records_of(lines)}
    assert ("class_group", school.old_group.id) not in held and ("lesson", school.old_lesson.id) not in held
    # Last year's group, journal and its teacher are last year's business too.
    assert ("study_group", school.old_math.group_id) not in held and ("journal", school.old_math.id) not in held
    assert not {("teaching_assignment", a.id) for a in school.old_math.assignments} & held
    assert ("diary_access", school.granted.id) in held and ("diary_access", school.waiting.id) not in held
    assert ("final_mark", school.final.id) in held and ("final_mark", school.past_final.id) not in held
    receiver = ReferenceReceiver()
    assert receiver.receive_file(path)[0] == 200
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}
    # The history knows what went out.
    assert run.records == len(lines) - 2 and run.bytes == path.stat().st_size
    assert run.change_to == header["changes"]["to"] and run.year_id == school.year.id
    assert runs.counts_of(run)["mark"] == {"delete": 0, "upsert": 4}
    assert list(runs.counts_of(run)) == list(fmt.TYPE_NAMES)


def test_the_same_run_gives_a_byte_identical_package(school, outbox, instance_path):
    run = export_now("full", instance_path)
    delivered = Path(run.file_path).read_bytes()
    copies = []
    for _ in range(2):
        out = io.BytesIO()
        build(
            out,
            instance_path,
            kind="full",
            package_id=run.package_id,
            generated_at=run.created_at,
            school_code=run.school_code,
        )
        copies.append(out.getvalue())
    assert copies[0] == copies[1] == delivered
    assert delivered[4:8] == b"\x00\x00\x00\x00", "gzip mtime is zero"


def test_daily_sends_only_what_changed_after_the_last_delivery(school, outbox, instance_path):
    full = export_now("full", instance_path)
    mark = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[0])
    mark.value = "4"
    mark.change_reason = "typo"
    mark.save()
    absence = Absence.get(Absence.lesson == school.lesson)
    absence.delete_instance()
    new_lesson = make_lesson(school.russian_b, school.leader, dt.date(2026, 9, 4), 3)
    daily = export_now("daily", instance_path)
    lines = package_lines(daily.file_path)
    assert lines[0]["changes"] == {"from": full.change_to, "to": ChangeCounter.current()}
    assert records_of(lines) == [
        ("absence", "delete", absence.id),
        ("lesson", "upsert", new_lesson.id),
        ("mark", "upsert", mark.id),
    ]
    assert lines[3]["fields"]["value"] == "4" and lines[3]["fields"]["change_reason"] == "typo"
    # Nothing changed since: the next daily is empty but still a valid package.
    empty = export_now("daily", instance_path)
    assert records_of(package_lines(empty.file_path)) == []
    assert empty.change_from == empty.change_to == daily.change_to


def test_deletes_come_first_and_a_reused_id_is_deleted_then_upserted(school, outbox, instance_path):
    export_now("full", instance_path)
    old = Mark.get(Mark.lesson == school.lesson, Mark.student == school.students[1])
    old_id = old.id
    old.delete_instance()
    # SQLite hands a deleted max id out again; force the same on PostgreSQL.
    reborn = Mark.create(
        id=old_id, lesson=school.lesson, student=school.students[1], value="2", work_type=school.answer
    )
    lesson = make_lesson(school.math_a, school.teacher, dt.date(2026, 9, 7), 1)
    lesson.delete_instance()
    daily = export_now("daily", instance_path)
    assert records_of(package_lines(daily.file_path)) == [
        ("mark", "delete", old_id),
        ("lesson", "delete", lesson.id),
        ("mark", "upsert", reborn.id),
    ]
    receiver = ReferenceReceiver()
    receiver.receive_file(Path(ExportRun.get(ExportRun.kind == "full").file_path))
    receiver.receive_file(Path(daily.file_path))
    assert receiver.anomalies == []
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_rows_leaving_the_scope_go_out_as_deletes(school, outbox, instance_path):
    export_now("full", instance_path)
    application = DiaryApplication.get_by_id(school.granted.id)
    application.status = "rejected"  # access withdrawn
    application.save()
    revoked = export_now("daily", instance_path)
    assert records_of(package_lines(revoked.file_path)) == [("diary_access", "delete", application.id)]
    application.status = "granted"
    application.save()
    regranted = export_now("daily", instance_path)
    assert records_of(package_lines(regranted.file_path)) == [("diary_access", "upsert", application.id)]


def test_staff_carry_their_portal_uid_and_scope(school, outbox, instance_path):
    export_now("full", instance_path)
    groups.assign_teacher(None, groups.class_journal(school.other, school.math), school.teacher)
    school.clerk.portal_uid = "5550001"
    school.clerk.save()
    daily = export_now("daily", instance_path)
    lines = package_lines(daily.file_path)
    staff_lines = {line["id"]: line["fields"] for line in lines[1:-1] if line["type"] == "staff"}
    # An assignment changes a scope without touching the staff rows: every staff member is sent again.
    assert set(staff_lines) == {school.teacher.id, school.leader.id, school.clerk.id}
    assert staff_lines[school.clerk.id]["portal_uid"] == "5550001"
    expected = journal_state(school.year)
    for staff in (school.teacher, school.leader, school.clerk):
        assert staff_lines[staff.id]["scope"] == expected[("staff", staff.id)]["scope"]
    assert staff_lines[school.leader.id]["scope"] == {
        "journals": sorted([school.russian_b.id, school.choir_journal.id]),
        "classes": [school.group.id],
    }
    assert staff_lines[school.clerk.id]["scope"] == {"journals": [], "classes": []}
    # A plain UID change sends that staff member alone.
    school.teacher.portal_uid = None
    school.teacher.save()
    only = export_now("daily", instance_path)
    assert records_of(package_lines(only.file_path)) == [("staff", "upsert", school.teacher.id)]


def test_the_receiver_opens_to_a_class_teacher_every_journal_with_a_student_of_the_class(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    opened = held_journals(held)
    assert opened == opened_journals(school.year)
    # 5А's whole-class journal, its English subgroup's and the choir a 5А student sings in; their own 6Б Russian.
    assert opened[school.leader.id] == {
        school.math_a.id,
        school.english_journal.id,
        school.choir_journal.id,
        school.russian_b.id,
    }
    assert opened[school.teacher.id] == {school.math_a.id, school.english_journal.id}
    assert opened[school.clerk.id] == set()


def test_groups_their_members_and_journals_reach_the_portal(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    whole = StudyGroup.get((StudyGroup.class_group == school.group.id) & (StudyGroup.kind == "class"))
    assert held[("study_group", whole.id)] == {
        "year": school.year.id,
        "kind": "class",
        "class_group": school.group.id,
        "split": None,
        "name": "5А",
        "grade": 5,
    }
    assert held[("study_group", school.choir_group.id)]["class_group"] is None
    assert held[("journal", school.choir_journal.id)] == {
        "year": school.year.id,
        "group": school.choir_group.id,
        "subject": school.choir_journal.subject_id,
        "kind": "extracurricular",
    }
    # A whole class lists no members: they are its enrollments.
    memberships = [fields for (kind, _), fields in held.items() if kind == "group_membership"]
    assert memberships and all(fields["group"] != whole.id for fields in memberships)
    members = held_members(held)
    assert members == group_members(school.year)
    year_end = school.year.end_date
    first_day = dt.date(2026, 9, 1)
    assert members[whole.id] == {s.id: [(first_day, year_end)] for s in school.students[:2]}
    assert members[school.choir_group.id] == {
        s.id: [(first_day, year_end)] for s in (school.students[0], school.students[2])
    }
    assert held[("lesson", school.english_lesson.id)]["journal"] == school.english_journal.id


def test_a_move_to_another_group_of_the_split_mid_year(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    first = GroupMembership.get(
        (GroupMembership.group == school.english_1.id) & (GroupMembership.student == school.students[0].id)
    )
    moved = dt.date(2026, 10, 1)
    groups.place_students(
        None, [school.english_1, school.english_2], {school.students[0].id: school.english_2.id}, moved
    )
    started = GroupMembership.get(
        (GroupMembership.group == school.english_2.id) & (GroupMembership.student == school.students[0].id)
    )
    daily = export_now("daily", instance_path)
    assert records_of(package_lines(daily.file_path)) == [
        ("group_membership", "upsert", first.id),
        ("group_membership", "upsert", started.id),
    ]
    receiver.receive_file(daily.file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    assert held[("group_membership", first.id)]["end_date"] == "2026-09-30"
    members = held_members(held)
    assert members == group_members(school.year)
    assert members[school.english_1.id] == {school.students[0].id: [(dt.date(2026, 9, 1), dt.date(2026, 9, 30))]}
    assert members[school.english_2.id][school.students[0].id] == [(moved, school.year.end_date)]
    assert differences(journal_state(school.year), held) == {}


def test_a_member_counts_only_while_enrolled(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    # Борисова leaves 5А; her open membership of the English subgroup stays as it was.
    enrollment = Enrollment.get(
        (Enrollment.student == school.students[1].id) & (Enrollment.class_group == school.group.id)
    )
    enrollment.end_date = dt.date(2026, 11, 15)
    enrollment.save()
    daily = export_now("daily", instance_path)
    assert records_of(package_lines(daily.file_path)) == [("enrollment", "upsert", enrollment.id)]
    receiver.receive_file(daily.file_path)
    members = held_members(receiver.holding(SCHOOL_CODE, school.year.id))
    assert members == group_members(school.year)
    assert members[school.english_2.id] == {school.students[1].id: [(dt.date(2026, 9, 1), dt.date(2026, 11, 15))]}
    # A cross-class group counts a member enrolled in any class of the year.
    Enrollment.create(student=school.students[1], class_group=school.other, start_date=dt.date(2026, 11, 16))
    groups.create_membership(
        None, group=school.choir_group.id, student=school.students[1].id, start_date=dt.date(2026, 9, 1)
    )
    receiver.receive_file(export_now("daily", instance_path).file_path)
    members = held_members(receiver.holding(SCHOOL_CODE, school.year.id))
    assert members == group_members(school.year)
    assert members[school.choir_group.id][school.students[1].id] == [(dt.date(2026, 9, 1), school.year.end_date)]


def test_a_journal_given_a_group_of_another_year_takes_its_teachers_along(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    journal = groups.create_journal(None, group=school.english_2.id, subject=school.english.id)
    assignment = groups.assign_teacher(None, journal, school.clerk)
    receiver.receive_file(export_now("full", instance_path).file_path)
    assert receiver.holding(SCHOOL_CODE, school.year.id)[("staff", school.clerk.id)]["scope"]["journals"] == [
        journal.id
    ]
    past_group = StudyGroup.get((StudyGroup.class_group == school.old_group.id) & (StudyGroup.kind == "class"))
    groups.update_journal(None, journal, group=past_group.id)
    moved = export_now("daily", instance_path)
    lines = package_lines(moved.file_path)
    deletes = [(t, i) for t, op, i in records_of(lines) if op == "delete"]
    # The assignment did not change itself: it left the year with its journal, at the journal's change.
    assert deletes == [("teaching_assignment", assignment.id), ("journal", journal.id)]
    journal = type(journal).get_by_id(journal.id)
    assert {line["change"] for line in lines[1:-1] if line["op"] == "delete"} == {journal.change_no}
    receiver.receive_file(moved.file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    assert held[("staff", school.clerk.id)]["scope"]["journals"] == []
    assert differences(journal_state(school.year), held) == {}
    # And back: the journal brings its teacher into the year again.
    groups.update_journal(None, journal, group=school.english_2.id)
    back = export_now("daily", instance_path)
    upserts = [(t, i) for t, op, i in records_of(package_lines(back.file_path)) if t != "staff"]
    assert upserts == [("journal", journal.id), ("teaching_assignment", assignment.id)]
    receiver.receive_file(back.file_path)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_a_full_package_replaces_what_the_receiver_held(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.state[(SCHOOL_CODE, school.year.id)] = {("mark", 999): {"change": 1, "fields": {}}}
    receiver.receive_file(Path(export_now("full", instance_path).file_path))
    assert ("mark", 999) not in receiver.holding(SCHOOL_CODE, school.year.id)
    assert differences(journal_state(school.year), receiver.holding(SCHOOL_CODE, school.year.id)) == {}


def test_without_a_current_year_or_a_school_code_the_run_fails_loudly(school, outbox, instance_path):
    SchoolYear.update(is_current=False).execute()
    run = export_now("daily", instance_path)
    assert run.status == "failed" and "текущий учебный год" in run.error
    assert not any(outbox.glob("*")), "no package, not even a half-written one"
    SchoolYear.update(is_current=True).where(SchoolYear.id == school.year.id).execute()
    SchoolSettings.update(school_code="").execute()
    run = export_now("daily", instance_path)
    assert run.status == "failed" and "код школы" in run.error


def test_a_package_is_plain_ndjson_inside_gzip(school, outbox, instance_path):
    run = export_now("full", instance_path)
    text = decompress(run.file_path)
    assert text.endswith(b"\n") and b"\r" not in text
    assert text.count(b"\n") == run.records + 2


def test_a_weight_is_a_json_number_without_lost_digits():
    assert [json_number(v) for v in (Decimal("1.00"), Decimal("2"), Decimal("10.00"))] == [1, 2, 10]
    assert all(type(json_number(v)) is int for v in (Decimal("1.00"), 3, 1.0))
    assert [json_number(v) for v in (Decimal("1.20"), Decimal("1.25"), Decimal("0.10"), 1.2, "1.50")] == [
        1.2,
        1.25,
        0.1,
        1.2,
        1.5,
    ]
    assert json_number(None) is None


def _mark_line(path, mark_id) -> bytes:
    """Return the raw JSON line of a mark in a package, as the receiver reads it."""
    return next(
        line
        for line in decompress(path).splitlines()
        if line.startswith(b'{"type":"mark"') and f'"id":{mark_id},'.encode() in line
    )


def test_marks_carry_their_comment_and_their_decimal_weight(school, outbox, instance_path):
    run = export_now("full", instance_path)
    plain = Mark.get((Mark.lesson == school.lesson) & (Mark.student == school.students[0]))
    test = Mark.get((Mark.lesson == school.lesson) & (Mark.student == school.students[1]))
    noted = Mark.get(Mark.lesson == school.english_lesson)
    assert b'"weight":1,"comment":null,' in _mark_line(run.file_path, plain.id)
    assert b'"weight":2,"comment":null,' in _mark_line(run.file_path, test.id)
    assert '"weight":1.25,"comment":"Отличный пересказ текста",'.encode() in _mark_line(run.file_path, noted.id)
    # Weights are written back through the model as the journal does: a changed one goes out exactly.
    noted.weight, noted.comment = Decimal("1.2"), None
    noted.save()
    test.weight, test.comment = Decimal("0.5"), "Работа сдана с опозданием"
    test.save()
    daily = export_now("daily", instance_path)
    assert b'"weight":1.2,"comment":null,' in _mark_line(daily.file_path, noted.id)
    assert '"weight":0.5,"comment":"Работа сдана с опозданием",'.encode() in _mark_line(daily.file_path, test.id)
    receiver = ReferenceReceiver()
    for path in (run.file_path, daily.file_path):
        assert receiver.receive_file(path)[0] == 200
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    assert held[("mark", noted.id)]["weight"] == 1.2 and held[("mark", test.id)]["weight"] == 0.5
    assert differences(journal_state(school.year), held) == {}


def test_cancelled_lessons_and_absences_without_a_reason_yet(school, outbox, instance_path):
    receiver = ReferenceReceiver()
    receiver.receive_file(export_now("full", instance_path).file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    cancelled = held[("lesson", school.cancelled.id)]
    assert (cancelled["cancelled"], cancelled["cancel_reason"], cancelled["held"]) == (True, "карантин", False)
    ordinary = held[("lesson", school.lesson.id)]
    assert (ordinary["cancelled"], ordinary["cancel_reason"], ordinary["held"]) == (False, None, True)
    unknown = Absence.get(Absence.lesson == school.english_lesson)
    assert held[("absence", unknown.id)]["reason"] == "unknown"
    # The reason is filled in later; a lesson is called off: its mark and absence are deleted first.
    unknown.reason = "illness"
    unknown.save()
    lesson = school.choir_lesson
    (mark,), (absence,) = lesson.marks, lesson.absences
    mark.delete_instance()
    absence.delete_instance()
    lesson.cancelled, lesson.held, lesson.cancel_reason = True, False, "мероприятие школы"
    lesson.save()
    daily = export_now("daily", instance_path)
    assert records_of(package_lines(daily.file_path)) == [
        ("absence", "delete", absence.id),
        ("mark", "delete", mark.id),
        ("lesson", "upsert", lesson.id),
        ("absence", "upsert", unknown.id),
    ]
    receiver.receive_file(daily.file_path)
    held = receiver.holding(SCHOOL_CODE, school.year.id)
    assert held[("lesson", lesson.id)]["cancel_reason"] == "мероприятие школы"
    assert held[("absence", unknown.id)]["reason"] == "illness"
    assert differences(journal_state(school.year), held) == {}


def test_the_content_list_names_each_content_a_package_carries_once(school, outbox, instance_path):
    same = school.homework
    copy = attach_file(
        school.english_lesson, "задачи (копия).pdf", stored_file(same, instance_path).read_bytes(), instance_path
    )
    other = attach_file(
        school.choir_lesson, "ноты.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), instance_path, "image/png"
    )
    assert copy.sha256 == same.sha256 != other.sha256
    out = io.BytesIO()
    result, contents = build(
        out,
        instance_path,
        kind="full",
        package_id="ej-list-1",
        generated_at=dt.datetime(2026, 9, 5),
        school_code=SCHOOL_CODE,
    )
    # One entry per content, in the order the package first names it, where the upload folder keeps it.
    assert [(c.sha256, c.size, c.file_id, c.name) for c in contents] == [
        (same.sha256, same.size, same.id, "задачи.pdf"),
        (other.sha256, other.size, other.id, "ноты.png"),
    ]
    assert [c.path for c in contents] == [stored_file(same, instance_path), stored_file(other, instance_path)]
    assert (result.contents, result.content_bytes) == (2, same.size + other.size)
    files = [r for r in read_lines(out.getvalue())[1:-1] if r["type"] == "homework_file"]
    assert {r["fields"]["sha256"] for r in files} == {c.sha256 for c in contents}
    # A daily names only the contents of the files it sends.
    full = export_now("full", instance_path)
    assert full.status == "delivered", full.error
    renamed = HomeworkFile.get_by_id(other.id)
    renamed.original_name = "ноты хора.png"
    renamed.save()
    _, contents = build(
        io.BytesIO(),
        instance_path,
        kind="daily",
        package_id="ej-list-2",
        generated_at=dt.datetime(2026, 9, 6),
        school_code=SCHOOL_CODE,
    )
    assert [(c.sha256, c.name) for c in contents] == [(other.sha256, "ноты хора.png")]


def test_a_plan_travels_as_its_rows_and_the_rows_lessons_give(school, outbox, instance_path):
    from app.models import LessonPlanRow, PlanRow, ThematicPlan

    full = package_lines(export_now("full", instance_path).file_path)
    rows = {line["id"]: line["fields"] for line in full[1:-1] if line["type"] == "plan_row"}
    assert sorted(field["topic"] for field in rows.values()) == ["Натуральные числа", "Сложение"]
    second = PlanRow.get(PlanRow.topic == "Сложение")
    assert rows[second.id] == {
        "journal": school.math_a.id,
        "position": 2,
        "number": "2",
        "section": None,
        "topic": "Сложение",
        "hours": 2,
        "planned_date": "2026-09-10",
        "homework": None,
        "skipped": False,
    }
    # Returning the plan changes none of its rows' fields but resends them; a lesson giving a row is sent,
    # a link removed is a delete.
    plan = ThematicPlan.get(ThematicPlan.journal == school.math_a)
    plan.status = "draft"
    plan.save()
    old_link = LessonPlanRow.get()
    old_link.delete_instance()
    link = LessonPlanRow.create(lesson=school.substituted, plan_row=second)
    daily = package_lines(export_now("daily", instance_path).file_path)
    first = PlanRow.get(PlanRow.topic == "Натуральные числа")
    assert records_of(daily) == [
        ("lesson_plan_row", "delete", old_link.id),
        ("plan_row", "upsert", min(first.id, second.id)),
        ("plan_row", "upsert", max(first.id, second.id)),
        ("lesson_plan_row", "upsert", link.id),
    ]
