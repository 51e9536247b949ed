"""The one write path: every create, update and delete of the school's and students' records through services.

These tests call the services as the CLI, an import or a job would: no Flask application, no
request, the acting staff member passed in. Each write is checked in the database and in the
audit trail; each refusal leaves the database (and the row in memory) as it was.
"""

import datetime as dt
import json

import pytest

from app.db import db, init_db
from app.models import (
    AuditEntry,
    ChangeCounter,
    ClassGroup,
    Enrollment,
    GroupMembership,
    Guardian,
    Holiday,
    Journal,
    Lesson,
    Mark,
    SchoolSettings,
    SchoolYear,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
    Tombstone,
    WorkType,
)
from app.services import groups, records, school, students, timetable, work_types
from app.services import staff as staff_service
from app.services.errors import DomainError

FIRST = 2030
TODAY = dt.date(FIRST, 10, 1)


def day(month: int, dom: int) -> dt.date:
    """Return a date of the school year 2030/2031."""
    return dt.date(FIRST if month >= 9 else FIRST + 1, month, dom)


@pytest.fixture
def database(database_url):
    """This test's migrated database, bound without any Flask application."""
    init_db(database_url)
    with db.connection_context():
        yield db
    if not db.obj.is_closed():
        db.obj.close()


@pytest.fixture
def actor(database):
    return staff_service.create_staff(None, login="zavuch", last_name="Петрова", first_name="Анна", source="system")


@pytest.fixture
def world(actor):
    """A school year with a class, a teacher, a subject and a term, made through the services."""
    teacher = staff_service.create_staff(None, login="smirnova", last_name="Смирнова", first_name="Ольга")
    year = school.create_school_year(
        actor, name=f"{FIRST}/{FIRST + 1}", start_date=day(9, 1), end_date=day(5, 31), is_current=True
    )
    group = school.create_class_group(actor, year=year, grade=5, letter="а")
    math = school.create_subject(actor, name=" Математика ", short_name="")
    term = school.create_term(actor, year=year, kind="quarter", number=1, start_date=day(9, 1), end_date=day(10, 31))
    return {"year": year, "group": group, "math": math, "term": term, "teacher": teacher}


def state(*models):
    """Every row of the given models, the audit trail, the tombstones and the change counter."""
    rows = {m.__name__: [r.snapshot() for r in m.select().order_by(m._meta.primary_key)] for m in models}
    return rows, AuditEntry.select().count(), Tombstone.select().count(), ChangeCounter.current()


def last_entry(model) -> AuditEntry:
    return AuditEntry.select().where(AuditEntry.model == model.__name__).order_by(AuditEntry.id.desc()).get()


def entry_data(entry) -> tuple[dict | None, dict | None]:
    return (json.loads(entry.before) if entry.before else None, json.loads(entry.after) if entry.after else None)


def assert_audited_lifecycle(actor, model, row, create_entry, update_entry, delete_entry, created, updated):
    """Check the three audit entries of a create, an update and a delete of one row."""
    for entry in (create_entry, update_entry, delete_entry):
        assert (entry.actor_id, entry.actor_name, entry.source) == (actor.id, actor.full_name, "cli")
        assert entry.model == model.__name__ and entry.object_id == str(row.id)
    assert [create_entry.action, update_entry.action, delete_entry.action] == ["create", "update", "delete"]
    assert entry_data(create_entry) == (None, created)
    assert entry_data(update_entry) == (created, updated)
    assert entry_data(delete_entry) == (updated, None)


# --- every area: create, update, delete, audited -------------------------------------------------


def _cases(world):
    """(model, create, update, delete, fields to create, fields to change) for every area's record."""
    year, group, math, teacher = world["year"], world["group"], world["math"], world["teacher"]
    guardian = Guardian.create(last_name="Соколова", first_name="Елена")
    pupil = Student.create(last_name="Соколов", first_name="Илья")
    member = Student.create(last_name="Орлова", first_name="Ася")
    Enrollment.create(student=member, class_group=group, start_date=day(9, 1))
    split = groups.create_split(world["actor"], group, "информ.", 2)[0]
    music = school.create_subject(world["actor"], name="Музыка")
    return [
        (
            SchoolYear,
            school.create_school_year,
            school.update_school_year,
            school.delete_school_year,
            {
                "name": f"{FIRST + 1}/{FIRST + 2}",
                "start_date": dt.date(FIRST + 1, 9, 1),
                "end_date": dt.date(FIRST + 2, 5, 31),
            },
            {"end_date": dt.date(FIRST + 2, 6, 30)},
        ),
        (
            Term,
            school.create_term,
            school.update_term,
            school.delete_term,
            {"year": year, "kind": "quarter", "number": 2, "start_date": day(11, 9), "end_date": day(12, 28)},
            {"end_date": day(12, 27)},
        ),
        (
            Holiday,
            school.create_holiday,
            school.update_holiday,
            school.delete_holiday,
            {"year": year, "name": "Осенние каникулы", "start_date": day(11, 1), "end_date": day(11, 8)},
            {"name": "Осенние"},
        ),
        (
            ClassGroup,
            school.create_class_group,
            school.update_class_group,
            school.delete_class_group,
            {"year": year, "grade": 6, "letter": "Б"},
            {"class_teacher": teacher},
        ),
        (
            Subject,
            school.create_subject,
            school.update_subject,
            school.delete_subject,
            {"name": "Астрономия"},
            {"short_name": "Астр."},
        ),
        (
            StudyGroup,
            groups.create_group,
            groups.update_group,
            groups.delete_group,
            {"kind": "subgroup", "class_group": group, "split": "англ.", "name": "5А, англ., гр. 1"},
            {"name": "5А, англ., гр. 3"},
        ),
        (
            Journal,
            groups.create_journal,
            groups.update_journal,
            groups.delete_journal,
            {"group": groups.find_whole_class_group(group), "subject": music},
            {"kind": "extracurricular"},
        ),
        (
            TeachingAssignment,
            groups.create_assignment,
            groups.update_assignment,
            groups.delete_assignment,
            {"journal": groups.class_journal(group, math, world["actor"]), "teacher": teacher},
            {"teacher": staff_service.create_staff(None, login="kozlov", last_name="Козлов", first_name="Игорь")},
        ),
        (
            GroupMembership,
            groups.create_membership,
            groups.update_membership,
            groups.delete_membership,
            {"group": split, "student": member, "start_date": day(9, 1)},
            {"end_date": day(12, 31)},
        ),
        (
            WorkType,
            work_types.create_work_type,
            work_types.update_work_type,
            work_types.delete_work_type,
            {"name": "Изложение", "default_weight": 2},
            {"active": False},
        ),
        (
            Student,
            students.create_student,
            students.update_student,
            students.delete_student,
            {"last_name": "Белова", "first_name": "Ия", "birth_date": dt.date(FIRST - 11, 3, 15)},
            {"middle_name": "Петровна"},
        ),
        (
            Guardian,
            students.create_guardian,
            students.update_guardian,
            students.delete_guardian,
            {"last_name": "Белов", "first_name": "Пётр", "phone": "+7 812 123-45-67"},
            {"email": "belov@example.ru"},
        ),
        (
            StudentGuardian,
            students.create_link,
            students.update_link,
            students.delete_link,
            {"student": pupil, "guardian": guardian, "relation": "mother"},
            {"relation": "guardian"},
        ),
        (
            Enrollment,
            students.create_enrollment,
            students.update_enrollment,
            students.delete_enrollment,
            {"student": pupil, "class_group": group, "start_date": day(9, 1)},
            {"end_date": day(12, 31)},
        ),
    ]


def test_every_area_creates_updates_and_deletes_through_its_service(actor, world):
    world["actor"] = actor
    for model, create, update, delete, fields, change in _cases(world):
        extra = {"today": TODAY} if model is Student else {}
        row = create(actor, source="cli", **fields, **extra)
        assert model.get_by_id(row.id).snapshot() == row.snapshot(), model
        created = row.snapshot()
        create_entry = last_entry(model)
        update(actor, row, source="cli", **change, **extra)
        assert model.get_by_id(row.id).snapshot() == row.snapshot() != created, model
        updated = row.snapshot()
        update_entry = last_entry(model)
        delete(actor, row, source="cli")
        assert not model.select().where(model.id == row.id).exists(), model
        assert_audited_lifecycle(actor, model, row, create_entry, update_entry, last_entry(model), created, updated)


def test_timetable_slots_go_through_the_service(actor, world):
    journal = groups.class_journal(world["group"], world["math"], actor)
    groups.create_assignment(actor, journal=journal, teacher=world["teacher"])
    slot = groups.create_slot(
        actor,
        source="cli",
        journal=journal,
        weekday=1,
        lesson_number=2,
        teacher=world["teacher"],
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    created = slot.snapshot()
    create_entry = last_entry(TimetableSlot)
    groups.update_slot(actor, slot, source="cli", lesson_number=3)
    update_entry = last_entry(TimetableSlot)
    groups.delete_slot(actor, slot, source="cli")
    assert_audited_lifecycle(
        actor, TimetableSlot, slot, create_entry, update_entry, last_entry(TimetableSlot), created, slot.snapshot()
    )


def test_school_settings_are_one_row_written_through_the_service(actor):
    settings = SchoolSettings.load()
    assert settings.id is not None  # made by the migrations' setup
    before = state(SchoolSettings)
    with pytest.raises(DomainError, match="Настройки школы уже заведены"):
        school.create_settings(actor, name="Вторая", school_code="", mark_edit_days=7, upload_max_mb=10)
    with pytest.raises(DomainError, match="Срок правки отметок без указания причины — от 0 до 365 дней."):
        school.update_settings(actor, settings, mark_edit_days=400)
    assert state(SchoolSettings) == before
    school.update_settings(actor, settings, name="  ГБОУ школа № 2  ", school_code="sch2")
    entry = last_entry(SchoolSettings)
    assert entry.action == "update" and entry_data(entry)[1]["name"] == "ГБОУ школа № 2"
    assert SchoolSettings.load().school_code == "sch2"

    SchoolSettings.delete().execute()
    made = school.create_settings(actor, name="Школа № 1", school_code="", mark_edit_days=7, upload_max_mb=10)
    assert last_entry(SchoolSettings).action == "create" and SchoolSettings.load().id == made.id


def test_services_clean_values_with_the_areas_rules(world):
    assert world["group"].letter == "А" and ClassGroup.get_by_id(world["group"].id).letter == "А"
    assert Subject.get_by_id(world["math"].id).name == "Математика"
    assert Subject.get_by_id(world["math"].id).short_name is None


# --- refusals: the area's rules, dependents, constraints -------------------------------------------


@pytest.mark.parametrize(
    "write, message",
    [
        (
            lambda a, w: school.create_term(
                a, year=w["year"], kind="quarter", number=1, start_date=day(9, 1), end_date=day(10, 1)
            ),
            "уже есть",
        ),
        (
            lambda a, w: school.create_holiday(
                a, year=w["year"], name="Лето", start_date=day(6, 1), end_date=day(6, 30)
            ),
            "Период каникул должен лежать внутри учебного года",
        ),
        (lambda a, w: school.create_class_group(a, year=w["year"], grade=5, letter="А"), "уже есть"),
        (lambda a, w: school.create_subject(a, name="математика"), "Предмет «Математика» уже есть."),
        (
            lambda a, w: groups.create_slot(
                a,
                journal=groups.class_journal(w["group"], w["math"], a),
                weekday=1,
                lesson_number=1,
                teacher=w["teacher"],
                valid_from=day(9, 1),
                valid_to=day(5, 31),
            ),
            "не ведёт журнал",
        ),
        (
            lambda a, w: students.create_student(
                a, today=TODAY, last_name="Белов", first_name="Глеб", birth_date=TODAY + dt.timedelta(days=1)
            ),
            "Дата рождения не может быть в будущем.",
        ),
        (
            lambda a, w: students.create_guardian(a, last_name="Белова", first_name="Ия", email="mama.example.ru"),
            "Адрес электронной почты выглядит неверно",
        ),
        (lambda a, w: work_types.create_work_type(a, name="Зачёт", default_weight=11), "Вес — число от 0,1 до 10"),
        (lambda a, w: work_types.create_work_type(a, name="  "), "Укажите название вида работы."),
    ],
)
def test_a_refused_create_writes_nothing(actor, world, write, message):
    groups.class_journal(world["group"], world["math"], actor)
    kept = (Term, Holiday, ClassGroup, StudyGroup, Journal, Subject, TimetableSlot, Student, Guardian, WorkType)
    before = state(*kept)
    with pytest.raises(DomainError, match=message):
        write(actor, world)
    assert state(*kept) == before


def test_a_refused_update_leaves_the_row_as_it_was_in_the_database_and_in_memory(actor, world):
    term = world["term"]
    kept = term.snapshot()
    before = state(Term)
    with pytest.raises(DomainError, match="Конец учебного периода должен быть позже его начала.") as refusal:
        school.update_term(actor, term, start_date=day(10, 1), end_date=day(9, 15))
    assert refusal.value.field == "end_date"
    assert state(Term) == before
    assert term.snapshot() == kept and term.end_date == day(10, 31)


def test_a_database_constraint_is_a_domain_refusal(actor, world):
    work_types.create_work_type(actor, name="Работа над ошибками", default_weight=2)
    before = state(WorkType)
    with pytest.raises(DomainError, match="Такая запись уже есть"):
        work_types.create_work_type(actor, name="Работа над ошибками", default_weight=3)
    assert state(WorkType) == before


def test_unknown_fields_and_closing_a_term_by_a_field_are_programming_errors(actor, world):
    before = state(Term, Subject)
    with pytest.raises(TypeError, match="no editable field 'colour'"):
        school.create_subject(actor, name="Черчение", colour="red")
    with pytest.raises(TypeError, match="no editable field 'id'"):
        school.update_subject(actor, world["math"], id=999)
    with pytest.raises(TypeError, match="close_term"):
        school.update_term(actor, world["term"], closed=True)
    assert state(Term, Subject) == before


def test_deletes_others_depend_on_are_refused_and_never_cascade(actor, world):
    journal = groups.class_journal(world["group"], world["math"], actor)
    groups.create_assignment(actor, journal=journal, teacher=world["teacher"])
    kept = (SchoolYear, Term, ClassGroup, StudyGroup, Journal, Subject, TeachingAssignment)
    before = state(*kept)
    with pytest.raises(DomainError, match=r"Нельзя удалить «.*»: с этой записью связаны .*учебные периоды — 1"):
        school.delete_school_year(actor, world["year"])
    with pytest.raises(DomainError, match="Нельзя удалить «Математика»: с этой записью связаны .*журналы — 1"):
        school.delete_subject(actor, world["math"])
    with pytest.raises(DomainError, match="Нельзя удалить «5А»: с этой записью связаны .*журналы — 1"):
        school.delete_class_group(actor, world["group"])
    with pytest.raises(DomainError, match="Нельзя удалить «5А · Математика»: с этой записью связаны учебная нагрузка"):
        records.delete_row(actor, journal)
    assert state(*kept) == before


def test_a_class_with_nothing_in_it_is_deleted(actor, world):
    group = school.create_class_group(actor, year=world["year"], grade=7, letter="В")
    whole = groups.find_whole_class_group(group)
    school.delete_class_group(actor, group)
    assert not ClassGroup.select().where(ClassGroup.id == group.id).exists()
    assert Tombstone.get(Tombstone.record_type == "class_group").record_id == group.id
    assert Tombstone.get(Tombstone.record_type == "study_group").record_id == whole.id
    assert last_entry(StudyGroup).action == "delete"


def test_area_checks_refuse_deletes_the_timetable_and_the_journal_rely_on(actor, world):
    group, math, teacher = world["group"], world["math"], world["teacher"]
    journal = groups.class_journal(group, math, actor)
    assignment = groups.create_assignment(actor, journal=journal, teacher=teacher)
    groups.create_slot(
        actor,
        journal=journal,
        weekday=2,
        lesson_number=1,
        teacher=teacher,
        valid_from=day(9, 1),
        valid_to=day(5, 31),
    )
    pupil = students.create_student(actor, today=TODAY, last_name="Белов", first_name="Глеб")
    enrollment = students.create_enrollment(actor, student=pupil, class_group=group, start_date=day(9, 1))
    lesson = Lesson.create(journal=journal, date=day(9, 3), number=1, planned_teacher=teacher, teacher=teacher)
    Mark.create(lesson=lesson, student=pupil, value="5", work_type=WorkType.get_or_create(name="ответ на уроке")[0])
    before = state(TeachingAssignment, TimetableSlot, Enrollment)
    with pytest.raises(DomainError, match="Нельзя удалить нагрузку"):
        groups.delete_assignment(actor, assignment)
    with pytest.raises(DomainError, match="по нему есть уроки расписания — 1, уроки — 1"):
        groups.delete_journal(actor, journal)
    with pytest.raises(DomainError, match="Нельзя удалить зачисление"):
        students.delete_enrollment(actor, enrollment)
    with pytest.raises(DomainError, match="есть отметки или пропуски"):
        students.update_enrollment(actor, enrollment, start_date=day(9, 10))
    assert state(TeachingAssignment, TimetableSlot, Enrollment) == before


def test_delete_all_deletes_every_row_or_none(actor, world):
    spare = school.create_class_group(actor, year=world["year"], grade=8, letter="Г")
    groups.class_journal(world["group"], world["math"], actor)
    before = state(ClassGroup, StudyGroup)
    rows = ClassGroup.select().where(ClassGroup.id.in_([spare.id, world["group"].id])).order_by(ClassGroup.id.desc())
    with pytest.raises(DomainError, match="журналы — 1"):
        records.delete_all(rows, lambda row: school.delete_class_group(actor, row))
    assert state(ClassGroup, StudyGroup) == before
    assert (
        records.delete_all(
            ClassGroup.select().where(ClassGroup.id == spare.id), lambda row: school.delete_class_group(actor, row)
        )
        == 1
    )


# --- writes that bring others along ---------------------------------------------------------------


def test_a_new_current_year_takes_the_mark_from_the_old_one_in_the_same_transaction(actor, world):
    old = world["year"]
    new = school.create_school_year(
        actor,
        source="cli",
        name=f"{FIRST + 1}/{FIRST + 2}",
        start_date=dt.date(FIRST + 1, 9, 1),
        end_date=dt.date(FIRST + 2, 5, 31),
        is_current=True,
    )
    assert new.released_years == [old]
    assert [y.name for y in SchoolYear.select().where(SchoolYear.is_current == True)] == [new.name]  # noqa: E712
    released = AuditEntry.get(
        (AuditEntry.model == "SchoolYear") & (AuditEntry.object_id == str(old.id)) & (AuditEntry.action == "update")
    )
    assert entry_data(released)[0]["is_current"] is True and entry_data(released)[1]["is_current"] is False
    assert released.source == "cli"

    # A refused year leaves the old one current.
    before = state(SchoolYear)
    with pytest.raises(DomainError, match="Даты пересекаются"):
        school.create_school_year(
            actor,
            name=f"{FIRST + 2}/{FIRST + 3}",
            start_date=dt.date(FIRST + 2, 5, 1),
            end_date=dt.date(FIRST + 3, 4, 1),
            is_current=True,
        )
    assert state(SchoolYear) == before


def test_a_student_and_their_guardians_are_written_together(actor, database):
    mother = students.create_guardian(actor, last_name="Соколова", first_name="Елена")
    father = students.create_guardian(actor, last_name="Соколов", first_name="Игорь")
    before = state(Student, StudentGuardian)
    with pytest.raises(DomainError, match="уже указан"):
        students.create_student(
            actor,
            today=TODAY,
            last_name="Соколова",
            first_name="Анна",
            guardians=[
                students.GuardianLink(None, mother, "mother"),
                students.GuardianLink(None, mother.id, "guardian"),
            ],
        )
    assert state(Student, StudentGuardian) == before

    pupil = students.create_student(
        actor,
        today=TODAY,
        last_name="Соколова",
        first_name="Анна",
        guardians=[students.GuardianLink(None, mother, "mother"), students.GuardianLink(None, father.id, "father")],
    )
    links = {link.guardian_id: link for link in pupil.guardian_links}
    assert {(g, link.relation) for g, link in links.items()} == {(mother.id, "mother"), (father.id, "father")}
    assert (
        AuditEntry.select().where((AuditEntry.model == "StudentGuardian") & (AuditEntry.action == "create")).count()
        == 2
    )

    # Remove the mother, keep the father untouched, add a grandmother; a foreign link id adds a new link.
    grandmother = students.create_guardian(actor, last_name="Соколова", first_name="Нина")
    other = students.create_student(actor, today=TODAY, last_name="Иванов", first_name="Иван")
    foreign = students.create_link(actor, student=other, guardian=grandmother, relation="guardian")
    father_link = links[father.id]
    entries = AuditEntry.select().count()
    students.update_student(
        actor,
        pupil,
        today=TODAY,
        middle_name="Игоревна",
        guardians=[
            students.GuardianLink(links[mother.id].id, mother, "mother", remove=True),
            students.GuardianLink(father_link.id, father, "father"),
            students.GuardianLink(foreign.id, grandmother, "guardian"),
        ],
    )
    now = {
        (link.guardian_id, link.relation)
        for link in StudentGuardian.select().where(StudentGuardian.student == pupil.id)
    }
    assert now == {(father.id, "father"), (grandmother.id, "guardian")}
    assert StudentGuardian.get_by_id(foreign.id).student_id == other.id
    assert StudentGuardian.get_by_id(father_link.id).change_no == father_link.change_no
    new = list(AuditEntry.select().order_by(AuditEntry.id))[entries:]
    assert sorted((e.model, e.action) for e in new) == [
        ("Student", "update"),
        ("StudentGuardian", "create"),
        ("StudentGuardian", "delete"),
    ]


def test_the_services_need_no_flask():
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent / "app" / "services"
    for name in ("records.py", "school.py", "groups.py", "students.py", "work_types.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {"flask", "flask_admin", "flask_login", "flask_wtf"}, name


def test_the_panels_school_and_students_views_save_through_their_services(database_url, redis_url, tmp_path):
    from admin_views.base import SecureModelView
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):
        DATABASE_URL = database_url
        REDIS_URL = redis_url
        INSTANCE_PATH = tmp_path / "instance"

    application = create_app(Config)
    services = {
        "admin_views.school": school,
        "admin_views.students": students,
        "admin_views.groups": groups,
        "admin_views.timetable": timetable,
    }
    views = [
        view
        for view in application.extensions["admin"][0]._views
        if isinstance(view, SecureModelView) and type(view).__module__ in services
    ]
    assert len(views) == 17
    for view in views:
        assert view.writes is not None, type(view).__name__
        module = services[type(view).__module__]
        for function in (view.writes.create_row, view.writes.update_row, view.writes.delete_row):
            assert function is None or function.__module__ == module.__name__, (type(view).__name__, function)
