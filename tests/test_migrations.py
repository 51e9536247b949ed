"""Migrations build exactly the models' schema on an empty database, and roll all the way back."""

import datetime as dt
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from app import migrate
from app.db import db, init_db
from app.models import MODELS


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the suite's engine, bound to the proxy for this test."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        database = init_db(f"sqlite:///{tmp_path / 'empty.db'}")
        with database.connection_context():
            yield database
        return
    parts = urlsplit(url)
    name = f"ej_mig_{uuid.uuid4().hex[:8]}"
    admin = PostgresqlDatabase("postgres", host=parts.hostname, port=parts.port or 5432, user=parts.username)
    admin.execute_sql(f'CREATE DATABASE "{name}"')
    try:
        database = init_db(urlunsplit(parts._replace(path=f"/{name}")))
        with database.connection_context():
            yield database
        database.close()
    finally:
        admin.execute_sql(f'DROP DATABASE "{name}"')
        admin.close()


def _schema(database):
    tables = {}
    for model in MODELS:
        table = model._meta.table_name
        columns = {c.name: c.null for c in database.get_columns(table)}
        indexes = {(tuple(i.columns), i.unique) for i in database.get_indexes(table)}
        tables[table] = (columns, indexes)
    return tables


def _expected(model):
    columns = {f.column_name: f.null for f in model._meta.sorted_fields}
    return columns


def test_upgrade_builds_every_model_table(empty_database):
    applied = migrate.upgrade()
    assert applied, "no migration was applied to an empty database"
    assert migrate.pending() == []
    schema = _schema(empty_database)
    for model in MODELS:
        columns, indexes = schema[model._meta.table_name]
        assert columns == _expected(model), model.__name__
        for fields, unique in model._meta.indexes:
            names = tuple(model._meta.fields[f].column_name for f in fields)
            assert (names, unique) in indexes, (model.__name__, names)
        for field in model._meta.sorted_fields:
            if field.unique:
                assert ((field.column_name,), True) in indexes, (model.__name__, field.name)
    # The change counter starts with its one row.
    assert empty_database.execute_sql("SELECT value FROM change_counter WHERE id = 1").fetchone() == (0,)


def test_rollback_removes_everything_and_upgrade_again(empty_database):
    applied = migrate.upgrade()
    undone = migrate.rollback(steps=len(applied))
    assert undone == list(reversed(applied))
    # SQLite's statistics table (written by the ANALYZE after upgrading) is the database's own.
    remaining = set(empty_database.get_tables()) - {"migratehistory", "sqlite_stat1"}
    assert remaining == set()
    assert migrate.upgrade() == applied


def test_cli_upgrade_and_rollback(app, runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Применено миграций: 0" in result.output
    assert db.obj is not None


def _journal_facts():
    """Every lesson's class, subject, date and number with its marks and absences; the load and the timetable."""
    from app.models import Absence, Journal, Lesson, Mark, StudyGroup, TeachingAssignment, TimetableSlot

    def by_class(query, *columns):
        return sorted(
            query.select(*columns, StudyGroup.class_group, Journal.subject)
            .join_from(query.model, Journal)
            .join_from(Journal, StudyGroup)
            .tuples()
        )

    return (
        by_class(Lesson.select(), Lesson.id, Lesson.date, Lesson.number, Lesson.teacher, Lesson.topic),
        by_class(TeachingAssignment.select(), TeachingAssignment.id, TeachingAssignment.teacher),
        by_class(TimetableSlot.select(), TimetableSlot.id, TimetableSlot.weekday, TimetableSlot.lesson_number),
        sorted(Mark.select(Mark.id, Mark.lesson, Mark.student, Mark.value).tuples()),
        sorted(Absence.select(Absence.id, Absence.lesson, Absence.student).tuples()),
    )


def _drop_group_journals():
    """Delete every journal of a group other than a whole class, with its lessons and their contents."""
    from app.models import (
        Absence,
        GroupMembership,
        HomeworkFile,
        Journal,
        Lesson,
        Mark,
        StudyGroup,
        TeachingAssignment,
        TimetableSlot,
    )

    groups = StudyGroup.select(StudyGroup.id).where(StudyGroup.kind != "class")
    journals = Journal.select(Journal.id).where(Journal.group.in_(groups))
    lessons = Lesson.select(Lesson.id).where(Lesson.journal.in_(journals))
    for model in (Mark, Absence, HomeworkFile):
        model.delete().where(model.lesson.in_(lessons)).execute()
    Lesson.delete().where(Lesson.journal.in_(journals)).execute()
    for model in (TimetableSlot, TeachingAssignment):
        model.delete().where(model.journal.in_(journals)).execute()
    Journal.delete().where(Journal.group.in_(groups)).execute()
    GroupMembership.delete().execute()
    StudyGroup.delete().where(StudyGroup.kind != "class").execute()


def test_later_migrations_roll_back_and_apply_again_on_a_school_with_data(empty_database):
    """A school's journal survives rolling back and re-upgrading; group journals (the old schema has none) refuse it."""
    from app import demo
    from app.models import WorkType
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    applied = migrate.router().done
    later = [name for name in applied if name > "004"]
    with_groups = _journal_facts()
    after_groups = [name for name in applied if name[:3] > "007"]
    assert migrate.rollback(len(after_groups)) == list(reversed(after_groups))
    with pytest.raises(RuntimeError, match="Откат миграции 007 невозможен: журналы групп"):
        migrate.rollback(1)
    assert migrate.router().done == [name for name in applied if name not in after_groups]
    assert _journal_facts() == with_groups

    _drop_group_journals()
    facts, work_types = _journal_facts(), WorkType.select().count()
    assert facts[0] and facts[1] and facts[2] and facts[3] and facts[4]
    rest = [name for name in later if name not in after_groups]
    assert migrate.rollback(len(rest)) == list(reversed(rest))
    columns = {c.name for c in empty_database.get_columns("lesson")}
    assert {"class_group_id", "subject_id"} <= columns and "journal_id" not in columns
    assert migrate.upgrade() == later
    # Every lesson, mark and absence kept its id, its class and its subject.
    assert _journal_facts() == facts
    assert WorkType.select().count() == work_types
    if isinstance(empty_database, SqliteDatabase):
        assert empty_database.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_mark_details_roll_back_to_whole_weights_and_forward_again(empty_database):
    """009 keeps every mark's weight; its rollback rounds decimal weights and drops what the old schema cannot hold."""
    from decimal import Decimal

    from app import demo
    from app.models import Absence, Lesson, Mark, WorkType
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    marks = list(Mark.select().order_by(Mark.id).limit(3))
    Mark.update(weight=Decimal("1.5"), comment="пересказ").where(Mark.id == marks[0].id).execute()
    Mark.update(weight=Decimal("2.25")).where(Mark.id == marks[1].id).execute()
    lesson = (
        Lesson.select()
        .where(~Lesson.id.in_(Mark.select(Mark.lesson)) & ~Lesson.id.in_(Absence.select(Absence.lesson)))
        .first()
    )
    Lesson.update(cancelled=True, cancel_reason="карантин").where(Lesson.id == lesson.id).execute()
    absence = Absence.select().first()
    Absence.update(reason="unknown").where(Absence.id == absence.id).execute()
    untouched = sorted(Mark.select(Mark.id, Mark.weight).where(Mark.id.not_in([m.id for m in marks[:2]])).tuples())

    after_009 = [name for name in migrate.router().done if name[:3] >= "009"]
    assert after_009[0].startswith("009")
    migrate.rollback(len(after_009))
    weights = dict(empty_database.execute_sql("SELECT id, weight FROM mark").fetchall())
    assert (weights[marks[0].id], weights[marks[1].id]) == (2, 2)
    assert all(isinstance(w, int) for w in weights.values())
    assert "comment" not in {c.name for c in empty_database.get_columns("mark")}
    assert not {"cancelled", "cancel_reason"} & {c.name for c in empty_database.get_columns("lesson")}
    assert Absence.select(Absence.reason).where(Absence.id == absence.id).scalar() == "unexcused"

    migrate.upgrade()
    assert (
        sorted(Mark.select(Mark.id, Mark.weight).where(Mark.id.not_in([m.id for m in marks[:2]])).tuples()) == untouched
    )
    assert Mark.get_by_id(marks[0].id).weight == Decimal("2") and Mark.get_by_id(marks[0].id).comment is None
    assert WorkType.select().where(WorkType.default_weight < 1).count() == 0
    Mark.update(weight=Decimal("1.25")).where(Mark.id == marks[2].id).execute()
    assert Mark.get_by_id(marks[2].id).weight == Decimal("1.25")
    if isinstance(empty_database, SqliteDatabase):
        assert empty_database.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_completeness_columns_roll_back_and_forward_again(empty_database):
    """010 adds the held instant, a final's comment, the rules' settings, homework expectations; rollback drops them."""
    from app import demo
    from app.models import FinalMark, HomeworkExpectation, Lesson, SchoolSettings, Subject
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    lessons = Lesson.select().count()
    HomeworkExpectation.get_or_create(subject=Subject.select().first(), defaults={"grades": "5–9"})
    FinalMark.update(comment="болел").execute()
    settings = SchoolSettings.load()
    settings.min_marks = 5
    settings.save()

    applied = [name for name in migrate.router().done if name[:3] >= "010"]
    assert applied[0].startswith("010")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "held_at" not in {c.name for c in empty_database.get_columns("lesson")}
    assert "comment" not in {c.name for c in empty_database.get_columns("final_mark")}
    assert not {"min_marks", "absence_reason_days"} & {c.name for c in empty_database.get_columns("school_settings")}
    assert "homework_expectation" not in empty_database.get_tables()

    assert migrate.upgrade() == applied
    assert Lesson.select().count() == lessons
    assert Lesson.select().where(Lesson.held_at.is_null(False)).count() == 0
    assert SchoolSettings.load().min_marks == 3
    assert FinalMark.select().where(FinalMark.comment.is_null(False)).count() == 0


def test_report_permissions_reach_an_existing_schools_builtin_roles(empty_database):
    """013 grants reports.view to the head and deputy, archive.manage to the admin; an edited role keeps its edits."""
    from app.models import Permission, Role, RolePermission
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    applied = [name for name in migrate.router().done if name[:3] >= "013"]
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert not Permission.select().where(Permission.code.in_(["reports.view", "archive.manage"])).exists()
    # The school's roles as they were before 013; the deputy's role was edited and lost audit.view.
    deputy = Role.get(Role.code == "deputy")
    audit = Permission.get(Permission.code == "audit.view")
    RolePermission.delete().where((RolePermission.role == deputy) & (RolePermission.permission == audit)).execute()

    migrate.upgrade()

    def codes(role_code):
        return set(
            Permission.select(Permission.code)
            .join(RolePermission)
            .join(Role)
            .where(Role.code == role_code)
            .tuples()
            .iterator()
        )

    assert {("reports.view",)} <= codes("head") and ("archive.manage",) not in codes("head")
    assert ("reports.view",) in codes("deputy") and ("audit.view",) not in codes("deputy")
    assert ("archive.manage",) in codes("admin") and ("reports.view",) not in codes("admin")
    assert not codes("teacher") & {("reports.view",), ("archive.manage",)}
    migrate.upgrade()  # nothing left to apply, nothing granted twice
    assert RolePermission.select().join(Permission).where(Permission.code == "reports.view").count() == 2


def test_rooms_and_bells_roll_back_keeping_every_slot_and_forward_again(empty_database):
    """015 adds rooms, a slot's room, the bell schedule and the shortened days; rollback keeps every slot."""
    from app import demo
    from app.models import BellTime, Room, ShortDay, TimetableSlot
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    slots = sorted(
        TimetableSlot.select(
            TimetableSlot.id, TimetableSlot.journal, TimetableSlot.weekday, TimetableSlot.lesson_number
        ).tuples()
    )
    assert TimetableSlot.select().where(TimetableSlot.room.is_null(False)).count() == len(slots) > 0
    assert BellTime.select().count() > 0 and Room.select().count() > 0
    ShortDay.create(date=dt.date(2026, 12, 30), note="предпраздничный день")

    applied = [name for name in migrate.router().done if name[:3] >= "015"]
    assert applied[0].startswith("015")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "room_id" not in {c.name for c in empty_database.get_columns("timetable_slot")}
    assert not {"room", "bell_time", "short_day"} & set(empty_database.get_tables())
    kept = empty_database.execute_sql(
        "SELECT id, journal_id, weekday, lesson_number FROM timetable_slot ORDER BY id"
    ).fetchall()
    assert sorted(tuple(row) for row in kept) == slots
    indexes = {tuple(i.columns) for i in empty_database.get_indexes("timetable_slot")}
    assert {("journal_id",), ("teacher_id",), ("weekday", "lesson_number")} <= indexes

    assert migrate.upgrade() == applied
    assert TimetableSlot.select().count() == len(slots)
    assert TimetableSlot.select().where(TimetableSlot.room.is_null(False)).count() == 0
    assert Room.select().count() == BellTime.select().count() == ShortDay.select().count() == 0
    if isinstance(empty_database, SqliteDatabase):
        assert empty_database.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_year_archive_builds_roll_back_and_forward_again(empty_database):
    """016 adds the archive builds' table; its rollback drops it and the school's journal stays as it was."""
    from app.models import ArchiveBuild, SchoolYear
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    ArchiveBuild.create(year=year, year_name=year.name, status="done", directory="/srv/archive/1")
    applied = [name for name in migrate.router().done if name[:3] >= "016"]
    assert applied[0].startswith("016")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "archive_build" not in empty_database.get_tables()
    assert SchoolYear.select().count() == 1
    assert migrate.upgrade() == applied
    assert ArchiveBuild.select().count() == 0
    ArchiveBuild.create(year=year, year_name=year.name, directory="")
    assert ArchiveBuild.get().status == "queued"


def test_backups_roll_back_and_forward_again(empty_database):
    """017 adds the backups' table, the retention setting and backups.manage for the built-in admin; all roll back."""
    from app.models import Backup, Permission, Role, RolePermission, SchoolSettings
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    settings = SchoolSettings.load()
    assert settings.backup_keep_days == 30
    settings.backup_keep_days = 14
    settings.save()
    Backup.create(path="/srv/backups/1.backup", engine="sqlite", reason="manual", status="done")

    def admin_holds_it():
        return (
            RolePermission.select()
            .join(Permission)
            .switch(RolePermission)
            .join(Role)
            .where((Permission.code == "backups.manage") & (Role.code == "admin"))
            .exists()
        )

    assert admin_holds_it()
    applied = [name for name in migrate.router().done if name[:3] >= "017"]
    assert applied[0].startswith("017")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "backup" not in empty_database.get_tables()
    assert "backup_keep_days" not in {c.name for c in empty_database.get_columns("school_settings")}
    assert not empty_database.execute_sql("SELECT 1 FROM permission WHERE code = 'backups.manage'").fetchone()
    assert empty_database.execute_sql("SELECT name FROM school_settings").fetchone()[0] == settings.name

    # An existing school's admin role gets the permission from the migration itself.
    assert migrate.upgrade() == applied
    assert admin_holds_it()
    assert SchoolSettings.load().backup_keep_days == 30
    assert Backup.select().count() == 0


def test_thematic_plans_roll_back_and_forward_again(empty_database):
    """014 adds the plans, their rows, the lessons' links and the curriculum; rollback drops them, lessons stay."""
    from app import demo
    from app.models import CurriculumHours, Journal, Lesson, LessonPlanRow, PlanRow, Subject, ThematicPlan
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    demo.seed("small", today=dt.date(2026, 12, 1))
    lessons = Lesson.select().count()
    journal = Journal.select().first()
    plan = ThematicPlan.create(journal=journal)
    row = PlanRow.create(plan=plan, position=1, topic="Натуральные числа", hours=2)
    LessonPlanRow.create(lesson=Lesson.select().where(Lesson.journal == journal.id).first(), plan_row=row)
    # The demo writes the curriculum's hours: the weekly hours over 34 weeks (5 a week of mathematics in the 5th grade).
    math = Subject.get(Subject.name == "Математика")
    assert CurriculumHours.get(CurriculumHours.subject == math, CurriculumHours.grade == 5).hours == 170

    applied = [name for name in migrate.router().done if name[:3] >= "014"]
    assert applied[0].startswith("014")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    tables = set(empty_database.get_tables())
    assert not {"thematic_plan", "plan_row", "lesson_plan_row", "curriculum_hours"} & tables
    assert Lesson.select().count() == lessons

    assert migrate.upgrade() == applied
    assert ThematicPlan.select().count() == 0 and CurriculumHours.select().count() == 0
    assert Lesson.select().count() == lessons
    plan = ThematicPlan.create(journal=journal)
    assert PlanRow.create(plan=plan, position=1, topic="Сложение").hours == 1


def test_audit_search_indexes_the_trail_it_finds_and_rolls_back_to_single_column_indexes(empty_database):
    """024 indexes the entries already there; its rollback restores the old indexes, and forward again finds them."""
    from app.models import AuditEntry
    from app.services import audit_list

    migrate.upgrade()
    applied = [name for name in migrate.router().done if name[:3] >= "024"]
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert {("at",), ("model",), ("actor_id",)} <= {tuple(i.columns) for i in empty_database.get_indexes("audit_entry")}
    entry = AuditEntry.create(
        at=dt.datetime(2026, 9, 1, 8, 0), actor_name="Ёлкина Анна", source="panel", action="update", model="Student"
    )
    assert migrate.upgrade() == applied
    assert list(audit_list.search(AuditEntry.select(), "елкина")) == [entry]
    indexes = {tuple(i.columns) for i in empty_database.get_indexes("audit_entry")}
    assert {("at", "id"), ("actor_id", "at"), ("model", "at")} <= indexes and ("at",) not in indexes
    # The triggers (SQLite) and the expression index (PostgreSQL) keep up with changes and deletions.
    AuditEntry.update(actor_name="Сосновская Анна").where(AuditEntry.id == entry.id).execute()
    assert list(audit_list.search(AuditEntry.select(), "елкина")) == []
    assert list(audit_list.search(AuditEntry.select(), "сосновская")) == [entry]
    AuditEntry.delete().execute()
    assert list(audit_list.search(AuditEntry.select(), "сосновская")) == []


def test_privacy_duties_roll_back_to_a_rejection_and_forward_again(empty_database):
    """018 adds the withdrawal, the retention periods, privacy.subject_access; rollback: a withdrawal is a rejection."""
    from app.models import DiaryApplication, Guardian, Permission, Role, RolePermission, SchoolSettings, Staff, Student
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    staff = Staff.create(login="clerk", last_name="Сидорова", first_name="Анна")
    student = Student.create(last_name="Петров", first_name="Иван")
    guardian = Guardian.create(last_name="Петрова", first_name="Анна")
    names = dict(student_last_name="Петров", student_first_name="Иван", guardian_last_name="Петрова")
    common = dict(received_by=staff, student=student, guardian=guardian, relation="mother", guardian_first_name="Анна")
    withdrawn = DiaryApplication.create(
        **common, **names, submitted_on=dt.date(2026, 9, 1), status="withdrawn", withdrawn_on=dt.date(2026, 10, 1)
    )
    granted = DiaryApplication.create(**common, **names, submitted_on=dt.date(2026, 9, 2), status="granted")
    settings = SchoolSettings.load()
    settings.login_log_keep_days = 30
    settings.save()

    def admin_codes():
        return {
            code
            for (code,) in Permission.select(Permission.code)
            .join(RolePermission)
            .join(Role)
            .where(Role.code == "admin")
            .tuples()
        }

    assert "privacy.subject_access" in admin_codes()
    applied = [name for name in migrate.router().done if name[:3] >= "018"]
    assert applied[0].startswith("018")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert not {"withdrawn_on", "withdrawal_note"} & {c.name for c in empty_database.get_columns("diary_application")}
    assert not {"login_log_keep_days", "audit_personal_keep_days"} & {
        c.name for c in empty_database.get_columns("school_settings")
    }
    assert not Permission.select().where(Permission.code == "privacy.subject_access").exists()
    statuses = dict(empty_database.execute_sql("SELECT id, status FROM diary_application").fetchall())
    assert statuses == {withdrawn.id: "rejected", granted.id: "granted"}

    assert migrate.upgrade() == applied
    assert "privacy.subject_access" in admin_codes()
    assert SchoolSettings.load().login_log_keep_days == 90 and SchoolSettings.load().audit_personal_keep_days == 1095
    assert DiaryApplication.get_by_id(withdrawn.id).status == "rejected"
    assert DiaryApplication.get_by_id(withdrawn.id).withdrawn_on is None
    migrate.upgrade()  # nothing left to apply, nothing granted twice
    assert RolePermission.select().join(Permission).where(Permission.code == "privacy.subject_access").count() == 1


def test_imports_roll_back_and_forward_again(empty_database):
    """020 adds the import jobs and grants import.manage to the built-in admin role; its rollback removes both."""
    from app.models import ImportJob, Permission, Role, RolePermission
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    ImportJob.create(kind="staff", filename="staff.csv", size=10)
    applied = [name for name in migrate.router().done if name[:3] >= "020"]
    assert applied[0].startswith("020")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "import_job" not in empty_database.get_tables()
    assert not Permission.select().where(Permission.code == "import.manage").exists()
    assert migrate.upgrade() == applied
    admin = Role.get(Role.code == "admin")
    granted = RolePermission.select().join(Permission).where(Permission.code == "import.manage")
    assert [row.role_id for row in granted] == [admin.id]
    assert ImportJob.select().count() == 0


def test_year_transitions_roll_back_and_forward_again(empty_database):
    """022 adds the transfers' table and year.transition for the built-in administrator; rollback removes both."""
    from app.models import Permission, Role, RolePermission, SchoolYear, YearTransition
    from app.services import setup

    migrate.upgrade()
    setup.ensure_defaults()
    old = SchoolYear.create(name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31))
    new = SchoolYear.create(
        name="2027/2028", start_date=dt.date(2027, 9, 1), end_date=dt.date(2028, 5, 31), is_current=True
    )
    YearTransition.create(from_year=old, to_year=new, summary="{}")

    def admin_has_it():
        return (
            RolePermission.select()
            .join(Permission)
            .switch(RolePermission)
            .join(Role)
            .where((Permission.code == "year.transition") & (Role.code == "admin"))
            .exists()
        )

    assert admin_has_it()
    applied = [name for name in migrate.router().done if name[:3] >= "022"]
    assert applied[0].startswith("022")
    assert migrate.rollback(len(applied)) == list(reversed(applied))
    assert "year_transition" not in empty_database.get_tables()
    assert not Permission.select().where(Permission.code == "year.transition").exists()
    assert SchoolYear.select().count() == 2
    assert migrate.upgrade() == applied
    assert admin_has_it()
    assert YearTransition.select().count() == 0
