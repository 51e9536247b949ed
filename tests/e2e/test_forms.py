"""In a real browser: every create and edit form of the panel is filled in and saved by the role that owns it.

The model forms are discovered from the registered Flask-Admin views: every `SecureModelView` with a
`manage_permission` is opened from its list («Создать»), filled field by field like a person would
(Russian text unique to the run, a real option in each select, dates typed as ДД.ММ.ГГГГ, the
checkboxes ticked), saved, found in the database, then edited and found changed. A view is filled
generically unless RECIPES says how to fill the fields generic values cannot satisfy. The pages that
are not model forms (applications' status buttons, staff passwords, UIDs, export settings, the own
password, the journal's lesson, substitution, planning and final-marks forms) have a test each, and
`test_every_posted_page_is_covered` fails when a page accepting POST has neither.

All of it runs against one live server and one database holding the small demo school, logged in
with the demo logins (password `demo`): the records each test adds are its own.
"""

import datetime as dt
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.security import check_password_hash

from admin_views.base import SecureModelView
from app import create_app, demo
from app.config import TestConfig
from app.db import db, init_db
from app.models import (
    MODELS,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    ExportSettings,
    FinalMark,
    Guardian,
    Journal,
    Lesson,
    SchoolYear,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
)
from app.permissions import BUILTIN_ROLES
from app.services import access, groups, setup
from app.services import staff as staff_service
from tests.e2e import (
    test_archive,
    test_backups,
    test_imports,
    test_timetable,
    test_timetable_editor,
    test_year_transition,
)
from tests.e2e.browser import form_fields, guide_shot, log_in, page_problems, post_by_clicking, set_field, shown_errors
from tests.e2e.conftest import new_page, serving

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Проверка2026"
# A school year far from the demo one: the records recipes build there clash with nothing.
SANDBOX_START = 2080


# --- discovery -----------------------------------------------------------------------------------


def panel(app):
    """Return the app's Flask-Admin panel."""
    admins = app.extensions["admin"]
    return admins[0] if isinstance(admins, list) else admins


def model_form_views(app) -> list:
    """Return every model view of the panel whose records some permission lets people create or edit."""
    return [v for v in panel(app)._views if isinstance(v, SecureModelView) and v.manage_permission]


def owner_login(permission: str) -> str:
    """Return the demo login of the built-in role that holds the permission with the fewest others."""
    holders = sorted((len(perms), code) for code, (_name, perms) in BUILTIN_ROLES.items() if permission in perms)
    assert holders, f"no built-in role holds «{permission}»: nobody could save this form"
    role = holders[0][1]
    logins = [login for login, roles in demo.DEMO_LOGINS.items() if roles == (role,)]
    assert logins, f"the demo school has no login with only the role «{role}»"
    return logins[0]


def _discovery_app():
    """Build a throwaway app (never connected to its database) to list the views at collection time."""
    folder = Path(tempfile.mkdtemp(prefix="ejournal-forms-"))

    class Config(TestConfig):
        DATABASE_URL = f"sqlite:///{folder / 'unused.db'}"
        INSTANCE_PATH = folder

    try:
        return create_app(Config)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_generate_tests(metafunc):
    if "endpoint" in metafunc.fixturenames:
        endpoints = [view.endpoint for view in model_form_views(_discovery_app())]
        metafunc.parametrize("endpoint", endpoints)


# --- one database, one server, one browser session per login for the whole module ----------------


def _fresh_database(template_db, folder: Path) -> str:
    if template_db["engine"] == "postgres":
        url = template_db["url"]
        database = init_db(url)
        with database.connection_context():
            tables = ", ".join(m._meta.table_name for m in MODELS)
            database.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            setup.ensure_defaults()
        return url
    path = folder / "forms.db"
    shutil.copyfile(template_db["path"], path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def forms_app(template_db, redis_url, tmp_path_factory):
    """The app on its own database holding the small demo school as of the school's today; CSRF on."""
    folder = tmp_path_factory.mktemp("forms")
    url = _fresh_database(template_db, folder)

    class Config(TestConfig):
        DATABASE_URL = url
        REDIS_URL = redis_url
        INSTANCE_PATH = folder / "instance"
        WTF_CSRF_ENABLED = True

    application = create_app(Config)
    with db.connection_context():
        demo.seed(
            "small",
            today=application.extensions["clock"].today(),
            hash_method=application.config["PASSWORD_HASH_METHOD"],
        )
        yield application
    if not db.obj.is_closed():
        db.obj.close()


@pytest.fixture(scope="module")
def server(forms_app):
    with serving(forms_app) as url:
        yield url


@pytest.fixture(scope="module")
def as_login(browser, server):
    """Return a logged-in page for a login (one browser context per login, kept for the module)."""
    pages = {}

    def _page(login, password=demo.DEMO_PASSWORD):
        if login not in pages:
            page = new_page(browser, server)
            log_in(page, login, password)
            pages[login] = page
        return pages[login]

    yield _page
    for page in pages.values():
        page.context.close()


@pytest.fixture(scope="module")
def shots():
    """The folder for the screenshots of saved forms: emptied at the start, kept after the run for people to look at."""
    folder = Path(tempfile.gettempdir()) / "ejournal-e2e-forms"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


# --- values a person would type --------------------------------------------------------------------

_LETTERS = "абвгдежзиклмнопрстуфхцчшэюя"
_run = random.Random()


@dataclass
class Ctx:
    """What recipes fill forms with: the school's today, unique words, records built for the form."""

    app: Any
    today: dt.date
    serial: int = field(default_factory=lambda: _run.randrange(10_000, 99_999))
    made: dict = field(default_factory=dict)

    def word(self, limit: int | None = None) -> str:
        """Return a Russian-looking word never used before in this run (a surname-like «Проверкина…»)."""
        self.serial += 1
        n, tail = self.serial, ""
        while n:
            n, digit = divmod(n, len(_LETTERS))
            tail += _LETTERS[digit]
        text = f"Проверкин{tail}"
        return text[-limit:].capitalize() if limit and len(text) > limit else text

    def number(self) -> int:
        self.serial += 1
        return self.serial

    def sandbox_year(self) -> SchoolYear:
        """Return a school year of the far future with one class, built once."""
        if "year" not in self.made:
            year = SchoolYear.create(
                name=f"{SANDBOX_START}/{SANDBOX_START + 1}",
                start_date=dt.date(SANDBOX_START, 9, 1),
                end_date=dt.date(SANDBOX_START + 1, 5, 31),
                is_current=False,
            )
            self.made["year"] = year
            self.made["class"] = ClassGroup.create(year=year, grade=5, letter="А")
        return self.made["year"]

    def sandbox_class(self) -> ClassGroup:
        self.sandbox_year()
        return self.made["class"]

    def in_sandbox(self, month: int, day: int) -> dt.date:
        return dt.date(SANDBOX_START + (month < 9), month, day)

    def sandbox_split(self) -> list[StudyGroup]:
        """Return the two English groups of the sandbox class, made once."""
        if "split" not in self.made:
            self.made["split"] = groups.create_split(None, self.sandbox_class(), "англ.", 2)
        return self.made["split"]

    def sandbox_journal(self, subject: Subject) -> Journal:
        """Return the sandbox class's whole-class journal of a subject, made when missing."""
        return groups.class_journal(self.sandbox_class(), subject)

    def teachers(self) -> list[Staff]:
        """Return active staff members who may fill the journal, by id."""
        return [s for s in Staff.select().where(Staff.active).order_by(Staff.id) if access.can(s, "journal.edit_own")]

    def new_student(self) -> Student:
        return Student.create(last_name=self.word(), first_name="Анна", middle_name="Сергеевна")

    def new_guardian(self) -> Guardian:
        return Guardian.create(last_name=self.word(), first_name="Елена", middle_name="Викторовна")

    def new_family(self) -> tuple[Student, Guardian]:
        student, guardian = self.new_student(), self.new_guardian()
        StudentGuardian.create(student=student, guardian=guardian, relation="mother")
        return student, guardian


@pytest.fixture(scope="module")
def ctx(forms_app):
    return Ctx(forms_app, forms_app.extensions["clock"].today())


# --- how to fill the forms generic values cannot satisfy -------------------------------------------


@dataclass
class Recipe:
    """Values for some fields of a view's create form (the rest is filled generically) and the edit to make.

    `create(ctx)` returns {field name: value}; `edit(ctx, record)` returns (field name, new value).
    Values are what a person enters: text, an option's value, a date, True/False for a checkbox
    or the values of the checkboxes to tick.
    """

    create: Callable[[Ctx], dict] = lambda ctx: {}
    edit: Callable[[Ctx, Any], tuple[str, Any]] | None = None
    # Fields whose saved value is not what was typed (passwords, role lists kept elsewhere).
    unchecked: tuple = ()


def _assignment_for_slot(ctx: Ctx) -> dict:
    teacher = ctx.teachers()[0]
    journal = ctx.sandbox_journal(Subject.select().order_by(Subject.id).first())
    groups.assign_teacher(None, journal, teacher)
    return {
        "journal": journal.id,
        "weekday": "1",
        "lesson_number": 1,
        "teacher": teacher.id,
        "valid_from": ctx.in_sandbox(9, 1),
        "valid_to": ctx.in_sandbox(12, 27),
    }


def _membership(ctx: Ctx) -> dict:
    student = ctx.new_student()
    Enrollment.create(student=student, class_group=ctx.sandbox_class(), start_date=ctx.in_sandbox(9, 1))
    return {
        "group": ctx.sandbox_split()[0].id,
        "student": student.id,
        "start_date": ctx.in_sandbox(9, 1),
        "end_date": ctx.in_sandbox(12, 30),
    }


def _journal(ctx: Ctx) -> dict:
    return {
        "group": ctx.sandbox_split()[1].id,
        "subject": Subject.select().order_by(Subject.id).first().id,
        "kind": "lesson",
        "teachers": [str(ctx.teachers()[0].id)],
    }


def _application(ctx: Ctx) -> dict:
    student, guardian = ctx.new_family()
    return {
        "student": student.id,
        "guardian": guardian.id,
        "relation": "mother",
        "student_last_name": student.last_name,
        "student_first_name": student.first_name,
        "student_middle_name": student.middle_name,
        "guardian_last_name": guardian.last_name,
        "guardian_first_name": guardian.first_name,
        "guardian_middle_name": guardian.middle_name,
        "submitted_on": ctx.today,
        "portal_number": f"ПР-{ctx.number()}",
    }


def _other_teacher(ctx: Ctx, record) -> tuple[str, Any]:
    return "teacher", next(t.id for t in ctx.teachers() if t.id != record.teacher_id)


RECIPES = {
    "curriculumhours": Recipe(
        create=lambda ctx: {
            "year": ctx.sandbox_year().id,
            "subject": Subject.create(name=f"Предмет {ctx.word()}").id,
            "grade": 5,
            "hours": 170,
        },
        edit=lambda ctx, row: ("hours", 175),
    ),
    "homeworkexpectation": Recipe(
        create=lambda ctx: {"subject": Subject.create(name=f"Предмет {ctx.word()}").id, "grades": "5–9"},
        edit=lambda ctx, expectation: ("grades", "5–11"),
    ),
    "schoolyear": Recipe(
        create=lambda ctx: {
            "name": f"{SANDBOX_START + 10}/{SANDBOX_START + 11}",
            "start_date": dt.date(SANDBOX_START + 10, 9, 1),
            "end_date": dt.date(SANDBOX_START + 11, 5, 31),
            # Ticking «Текущий» would move the demo school's current year: not this test's business.
            "is_current": False,
        },
        edit=lambda ctx, year: ("end_date", dt.date(SANDBOX_START + 11, 6, 30)),
    ),
    "term": Recipe(
        create=lambda ctx: {
            "year": ctx.sandbox_year().id,
            "kind": "quarter",
            "number": 1,
            "start_date": ctx.in_sandbox(9, 1),
            "end_date": ctx.in_sandbox(10, 25),
        },
        edit=lambda ctx, term: ("end_date", ctx.in_sandbox(10, 26)),
    ),
    "holiday": Recipe(
        create=lambda ctx: {
            "year": ctx.sandbox_year().id,
            "start_date": ctx.in_sandbox(10, 27),
            "end_date": ctx.in_sandbox(11, 4),
        },
    ),
    "classgroup": Recipe(
        create=lambda ctx: {"year": ctx.sandbox_year().id, "grade": 6, "letter": "Б", "class_teacher": ""},
        edit=lambda ctx, group: ("letter", "В"),
    ),
    "studygroup": Recipe(
        create=lambda ctx: {
            "kind": "subgroup",
            "year": ctx.sandbox_year().id,
            "class_group": ctx.sandbox_class().id,
            "grade": ctx.sandbox_class().grade,
        },
        edit=lambda ctx, group: ("name", ctx.word()),
    ),
    "groupmembership": Recipe(create=_membership, edit=lambda ctx, member: ("end_date", ctx.in_sandbox(12, 31))),
    "journals": Recipe(create=_journal, edit=lambda ctx, journal: ("kind", "extracurricular")),
    "teachingassignment": Recipe(
        create=lambda ctx: {
            "journal": ctx.sandbox_journal(Subject.select().order_by(Subject.id.desc()).first()).id,
            "teacher": ctx.teachers()[0].id,
        },
        edit=_other_teacher,
    ),
    "timetableslot": Recipe(create=_assignment_for_slot, edit=lambda ctx, slot: ("lesson_number", 2)),
    "student": Recipe(create=lambda ctx: {"birth_date": dt.date(2014, 3, 15)}),
    "guardian": Recipe(create=lambda ctx: {"phone": "+7 (812) 555-12-34", "email": f"mama{ctx.number()}@example.ru"}),
    "studentguardian": Recipe(
        create=lambda ctx: {"student": ctx.new_student().id, "guardian": ctx.new_guardian().id, "relation": "mother"},
        edit=lambda ctx, link: ("relation", "father"),
    ),
    "enrollment": Recipe(
        create=lambda ctx: {
            "student": ctx.new_student().id,
            "class_group": ctx.sandbox_class().id,
            "start_date": ctx.in_sandbox(9, 1),
            "end_date": ctx.in_sandbox(12, 30),
        },
        edit=lambda ctx, enrollment: ("end_date", ctx.in_sandbox(12, 31)),
    ),
    "diaryapplication": Recipe(create=_application, edit=lambda ctx, a: ("portal_number", f"ПР-{ctx.number()}")),
    "staff": Recipe(
        create=lambda ctx: {
            "login": f"proverka{ctx.number()}",
            "email": f"uchitel{ctx.number()}@example.ru",
            "roles": ["teacher"],
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
        unchecked=("roles", "password", "confirm"),
    ),
    "role": Recipe(
        create=lambda ctx: {"code": f"proverka{ctx.number()}", "permissions": ["school.view", "students.view"]},
        unchecked=("permissions",),
    ),
}

# Views whose list offers no «Создать» on purpose, and why; they are only edited.
EDIT_ONLY = {"schoolsettings": "the school's one settings row is made by `flask db upgrade` and only edited"}


# --- the generic form filler ---------------------------------------------------------------------


def generic_value(ctx: Ctx, spec: dict):
    """Return what a person would enter into a field nobody gave a value for."""
    if spec["type"] == "select":
        real = [o["value"] for o in spec["options"] if o["value"] not in ("", "__None")]
        return spec["value"] if spec["value"] in real else real[0]
    if spec["type"] == "checkbox":
        return True
    if spec["role"] == "datepicker":
        return ctx.today
    if spec["type"] == "number":
        # One, the number people reach for, moved inside the field's bounds when it has some.
        low = float(spec["min"]) if spec["min"] else None
        return int(low) if low is not None and low > 1 else 1
    if spec["type"] == "password":
        return NEW_PASSWORD
    if spec["inputmode"] == "decimal":
        # A decimal typed the Russian way (a mark's weight).
        return "1,5"
    return ctx.word(spec["maxlength"])


def fill(page, ctx: Ctx, form, given: dict) -> dict:
    """Fill every field of the form (given values first, generic ones for the rest); return what was entered."""
    entered = {}
    fields = form_fields(form)
    names = {spec["name"] for spec in fields}
    unknown = set(given) - names
    assert not unknown, f"the recipe fills fields the form lacks: {sorted(unknown)}"
    for spec in fields:
        if spec["readonly"]:
            continue
        value = given[spec["name"]] if spec["name"] in given else generic_value(ctx, spec)
        set_field(page, spec, value)
        entered[spec["name"]] = (spec, value)
    return entered


def as_saved(spec: dict, value):
    """Return the value the database should hold for what was entered in the field."""
    if spec["type"] == "checkbox":
        return bool(value) if len(spec["choices"]) == 1 else value
    if spec["type"] == "number":
        return value
    if spec["inputmode"] == "decimal":
        return Decimal(str(value).replace(",", "."))
    if isinstance(value, dt.date):
        return value
    if spec["type"] == "select" and value == "":
        return None
    return str(value)


def stored(record, name: str):
    """Return a record's field as comparable with what was entered (a related row by its id as text)."""
    model_field = type(record)._meta.fields[name]
    value = getattr(record, model_field.column_name if hasattr(model_field, "rel_model") else name)
    if hasattr(model_field, "rel_model"):
        return None if value is None else str(value)
    if model_field.choices and value is not None:
        return str(value)
    return value


def check_record(record, entered: dict, unchecked=()) -> None:
    """Assert the saved record holds every model field as it was entered."""
    columns = type(record)._meta.fields
    wrong = {}
    for name, (spec, value) in entered.items():
        if name not in columns or name in unchecked:
            continue
        want, got = as_saved(spec, value), stored(record, name)
        if isinstance(want, str) and isinstance(got, str):
            want, got = want.strip().casefold(), got.strip().casefold()
        if want != got:
            wrong[name] = {"entered": want, "saved": got}
    assert not wrong, f"{type(record).__name__} #{record.get_id()} saved other values than entered: {wrong}"


def save(page, button, shots: Path, shot_name: str, what: str = "") -> None:
    """Post the form with its save button, screenshot the page that follows and assert it shows no error."""
    status = post_by_clicking(page, button)
    page.screenshot(path=str(shots / f"{shot_name}.png"), full_page=True)
    problems = page_problems(page, status)
    assert not problems, f"{what or shot_name}: the save at {page.url} ended with {problems} (see {shot_name}.png)"


def save_model_form(page, shots: Path, what: str, shot_name: str) -> None:
    """Save a Flask-Admin form and assert the panel took it: a success message, the form not shown again."""
    button = page.locator("form.admin-form").get_by_role("button", name="Сохранить", exact=True)
    save(page, button, shots, shot_name, what)
    assert "/new/" not in page.url and "/edit/" not in page.url, f"{what}: the form came back at {page.url}"
    expect(page.locator(".alert-success").first).to_be_visible()


def open_create_form(page, view) -> None:
    """Open the view's list and click its «Создать»."""
    page.goto(f"{view.url}/")
    page.wait_for_load_state("load")
    link = page.get_by_role("link", name="Создать", exact=True)
    assert link.count() == 1, f"the list {view.url}/ offers no «Создать» (if on purpose, say why in EDIT_ONLY)"
    link.click()
    page.wait_for_load_state("load")
    assert "/new/" in page.url, f"«Создать» on {view.url}/ led to {page.url}"


def ids_of(model) -> set:
    pk = model._meta.primary_key
    return {row[0] for row in model.select(pk).tuples()}


# --- the model forms, discovered ---------------------------------------------------------------------


def test_model_form_creates_and_edits(endpoint, forms_app, as_login, ctx, shots):
    view = next(v for v in model_form_views(forms_app) if v.endpoint == endpoint)
    model = view.model
    recipe = RECIPES.get(endpoint, Recipe())
    page = as_login(owner_login(view.manage_permission))
    what = f"«{view.name}» ({endpoint})"

    if endpoint in EDIT_ONLY:
        page.goto(f"{view.url}/")
        expect(page.get_by_role("link", name="Создать", exact=True)).to_have_count(0)
        record = model.select().order_by(model._meta.primary_key).first()
        assert record is not None, f"{what}: nothing to edit"
    else:
        given = recipe.create(ctx)  # builds the records the form's selects must offer, before the page opens
        open_create_form(page, view)
        before = ids_of(model)
        entered = fill(page, ctx, page.locator("form.admin-form"), given)
        save_model_form(page, shots, f"{what}, create", f"{endpoint}-create")
        new = ids_of(model) - before
        assert len(new) == 1, f"{what}: saving the create form added {len(new)} records"
        record = model.get_by_id(new.pop())
        check_record(record, entered, recipe.unchecked)

    # The edit: open the record's edit page, change one field, save, find the change saved.
    page.goto(f"{view.url}/edit/?id={record.get_id()}")
    page.wait_for_load_state("load")
    form = page.locator("form.admin-form")
    fields = {spec["name"]: spec for spec in form_fields(form)}
    if recipe.edit:
        name, value = recipe.edit(ctx, record)
    else:
        columns = model._meta.fields
        texts = [
            s
            for s in fields.values()
            if s["type"] in ("text", "textarea") and s["role"] == "" and not s["readonly"] and s["name"] in columns
        ]
        assert texts, f"{what}: no text field to change generically; give RECIPES[{endpoint!r}] an edit"
        name, value = texts[0]["name"], ctx.word(texts[0]["maxlength"])
    set_field(page, fields[name], value)
    save_model_form(page, shots, f"{what}, edit", f"{endpoint}-edit")
    check_record(model.get_by_id(record.get_id()), {name: (fields[name], value)})


# --- the other forms people submit ---------------------------------------------------------------


def checked_application(ctx, status: str) -> DiaryApplication:
    """A new family's application, received by the administrator, its passport and names checked."""
    student, guardian = ctx.new_family()
    return DiaryApplication.create(
        student=student,
        guardian=guardian,
        relation="mother",
        received_by=Staff.get(Staff.login == "admin"),
        status=status,
        submitted_on=ctx.today,
        student_last_name=student.last_name,
        student_first_name=student.first_name,
        guardian_last_name=guardian.last_name,
        guardian_first_name=guardian.first_name,
        passport_presented=True,
        names_checked=True,
        pd_consent=True,
    )


def test_application_moves_to_entered(forms_app, as_login, ctx, shots):
    application = checked_application(ctx, "accepted")
    page = as_login(owner_login("applications.manage"))
    page.goto(f"/diaryapplication/details/?id={application.id}")
    save(page, page.get_by_role("button", name="Внесено в систему"), shots, "diaryapplication-status")
    assert DiaryApplication.get_by_id(application.id).status == "entered"


def test_consent_is_withdrawn_and_the_record_is_printed(forms_app, as_login, ctx, shots):
    """A parent's written withdrawal of consent: the date typed, a note, saved; then the person's record."""
    application = checked_application(ctx, "granted")
    student = application.student
    page = as_login(owner_login("applications.manage"))
    page.goto(f"/diaryapplication/details/?id={application.id}")
    form = page.locator("#withdrawal-form")
    expect(form).to_be_visible()
    form.get_by_label("Дата письменного отзыва согласия").fill(ctx.today.strftime("%d.%m.%Y"))
    form.get_by_label("Примечание").fill("вх. № 17")
    page.keyboard.press("Escape")  # close the date picker before clicking
    save(page, form.get_by_role("button", name="Записать отзыв согласия"), shots, "diaryapplication-withdraw")
    expect(page.locator(".alert-success").first).to_contain_text("Отзыв согласия записан")
    expect(page.locator("#withdrawn-note")).to_contain_text("нужно новое заявление")
    expect(page.locator("#withdrawal-form")).to_have_count(0)
    row = DiaryApplication.get_by_id(application.id)
    assert (row.status, row.withdrawn_on, row.withdrawal_note) == ("withdrawn", ctx.today, "вх. № 17")

    page = as_login(owner_login("privacy.subject_access"))
    page.goto(f"/student/details/?id={student.id}")
    page.get_by_role("link", name="Сведения о персональных данных (по запросу)").click()
    expect(page.locator("#report-title")).to_contain_text("Сведения о персональных данных")
    expect(page.locator("#report")).to_contain_text("согласие отозвано")
    expect(page.locator("#report")).to_contain_text(student.last_name)
    page.screenshot(path=str(shots / "privacy-subject-access.png"), full_page=True)
    guide_shot(page, "admin-subject-access")


def test_staff_password_reset(forms_app, as_login, ctx, shots):
    staff = staff_service.create_staff(
        None,
        login=f"sbros{ctx.number()}",
        last_name=ctx.word(),
        first_name="Ольга",
        password="Старый2026",
        role_codes=["teacher"],
        source="system",
    )
    page = as_login(owner_login("staff.manage"))
    page.goto(f"/staff/password/?id={staff.id}")
    page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
    save(page, page.get_by_role("button", name="Сохранить пароль"), shots, "staff-password")
    assert check_password_hash(Staff.get_by_id(staff.id).password_hash, NEW_PASSWORD)


def test_uid_is_entered(forms_app, as_login, ctx, shots):
    staff = Staff.select().where(Staff.portal_uid.is_null() | (Staff.portal_uid == "")).order_by(Staff.id).first()
    uid = str(1_000_000 + ctx.number())
    page = as_login(owner_login("uids.manage"))
    page.goto(f"/uids/edit/?id={staff.id}")
    page.get_by_label("UID портала").fill(uid)
    save(page, page.get_by_role("button", name="Сохранить"), shots, "uid")
    assert Staff.get_by_id(staff.id).portal_uid == uid


def test_export_settings_are_saved(forms_app, as_login, shots):
    page = as_login(owner_login("exports.run"))
    page.goto("/export-settings/")
    page.get_by_label("Время ежедневной выгрузки").fill("21:15")
    page.get_by_label("День месяца полной выгрузки").fill("5")
    page.get_by_label("Ожидание ответа портала, с").fill("120")
    save(page, page.locator("#export-settings").get_by_role("button", name="Сохранить"), shots, "export-settings")
    expect(page.get_by_text("Настройки выгрузки сохранены.")).to_be_visible()
    settings = ExportSettings.select().first()
    assert (settings.daily_time, settings.full_day, settings.http_timeout) == (dt.time(21, 15), 5, 120)


def test_own_password_is_changed(forms_app, browser, server, ctx, shots):
    login = f"svoy{ctx.number()}"
    staff_service.create_staff(
        None,
        login=login,
        last_name=ctx.word(),
        first_name="Ирина",
        password="Старый2026",
        role_codes=["teacher"],
        source="system",
    )
    page = new_page(browser, server)
    try:
        log_in(page, login, "Старый2026")
        page.goto("/account/")
        page.get_by_label("Текущий пароль").fill("Старый2026")
        page.get_by_label("Новый пароль", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Новый пароль ещё раз").fill(NEW_PASSWORD)
        save(page, page.get_by_role("button", name="Сохранить"), shots, "account-password")
        expect(page.get_by_text("Пароль изменён.")).to_be_visible()
    finally:
        page.context.close()
    assert check_password_hash(Staff.get(Staff.login == login).password_hash, NEW_PASSWORD)


def _open_lesson(teacher: Staff, today: dt.date) -> Lesson:
    """Return a lesson of the teacher's in a term still open, the latest up to today."""
    return (
        Lesson.select()
        .join(Term)
        .where((Lesson.teacher == teacher.id) & (Lesson.date <= today) & ~Term.closed)
        .order_by(Lesson.date.desc(), Lesson.number)
        .first()
    )


def test_lesson_topic_is_saved(forms_app, as_login, ctx, shots):
    login = owner_login("journal.edit_own")
    lesson = _open_lesson(Staff.get(Staff.login == login), ctx.today)
    topic = f"Тема {ctx.word()}"
    page = as_login(login)
    page.goto(f"/journal/lesson/{lesson.id}")
    page.get_by_label("Тема урока").fill(topic)
    save(page, page.locator("#save-lesson"), shots, "journal-lesson")
    assert Lesson.get_by_id(lesson.id).topic == topic


def test_substitute_is_assigned(forms_app, as_login, ctx, shots):
    login = owner_login("journal.check")
    lesson = (
        Lesson.select()
        .join(Term)
        .where((Lesson.date <= ctx.today) & ~Term.closed & (Lesson.teacher == Lesson.planned_teacher))
        .order_by(Lesson.date.desc(), Lesson.journal, Lesson.number)
        .first()
    )
    # A teacher free at that lesson's period: a busy one asks for a confirmation first (its own test).
    busy = {
        teacher_id
        for (teacher_id,) in Lesson.select(Lesson.teacher)
        .where((Lesson.date == lesson.date) & (Lesson.number == lesson.number))
        .tuples()
    }
    substitute = next(t for t in ctx.teachers() if t.id not in busy)
    page = as_login(login)
    page.goto(f"/journal/substitutions/?date={lesson.date.isoformat()}")
    pick = page.locator(f'select[name="teacher_id"][form="sub-{lesson.id}"]')
    pick.focus()  # the row's list of teachers is filled when it is opened
    pick.select_option(value=str(substitute.id))
    save(page, page.locator(f"#sub-{lesson.id}").get_by_role("button", name="Сохранить"), shots, "journal-substitution")
    assert Lesson.get_by_id(lesson.id).teacher_id == substitute.id


def test_lessons_are_planned(forms_app, as_login, ctx, shots):
    login = owner_login("journal.check")
    year = SchoolYear.get(SchoolYear.is_current)
    group = ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter).first()
    start = ctx.today + dt.timedelta(days=7)
    end = start + dt.timedelta(days=6)
    page = as_login(login)
    page.goto("/journal/planning/")
    form = page.locator("#plan-form")
    form.get_by_label("Класс").select_option(value=str(group.id))
    # The browser's own date inputs: Playwright fills them in ISO, whatever the browser displays.
    form.get_by_label("С даты").fill(start.isoformat())
    form.get_by_label("По дату").fill(end.isoformat())
    save(page, form.get_by_role("button", name="Спланировать"), shots, "journal-planning")
    journals = Journal.select(Journal.id).join(StudyGroup).where(StudyGroup.class_group == group.id)
    planned = Lesson.select().where(Lesson.journal.in_(journals) & Lesson.date.between(start, end))
    assert planned.count() > 0


def test_finals_are_saved(forms_app, as_login, ctx, shots):
    login = owner_login("journal.edit_own")
    teacher = Staff.get(Staff.login == login)
    book = (
        Journal.select()
        .join(TeachingAssignment)
        .where((TeachingAssignment.teacher == teacher.id) & (Journal.year == SchoolYear.get(SchoolYear.is_current).id))
        .order_by(Journal.id)
        .first()
    )
    page = as_login(login)
    page.goto(f"/journal/finals/{book.id}")
    page.wait_for_load_state("load")
    column = page.locator('input[name="column"]').input_value()
    field = page.locator("input.fin-input").first
    student_id = int(field.get_attribute("name").removeprefix("value-"))
    value = "5" if field.input_value() != "5" else "4"
    field.fill(value)
    save(page, page.locator("#finals-save"), shots, "journal-finals")
    kind, _, term = column.partition("-")
    mark = FinalMark.get(
        (FinalMark.student == student_id)
        & (FinalMark.subject == book.subject_id)
        & (FinalMark.kind == kind)
        & ((FinalMark.term == int(term)) if term else FinalMark.term.is_null())
    )
    assert mark.value == value


def test_term_is_closed_and_reopened(forms_app, as_login, ctx, shots):
    year = SchoolYear.create(
        name="2016/2017", start_date=dt.date(2016, 9, 1), end_date=dt.date(2017, 5, 31), is_current=False
    )
    term = Term.create(
        year=year, kind="quarter", number=1, start_date=dt.date(2016, 9, 1), end_date=dt.date(2016, 10, 28)
    )
    page = as_login(owner_login("journal.check"))
    page.goto(f"/journal/terms/{term.id}")
    close = page.locator("#close-term")
    close.locator('input[type="checkbox"]').check()
    save(page, close.get_by_role("button", name="Закрыть период"), shots, "journal-term-close")
    assert Term.get_by_id(term.id).closed
    reopen = page.locator("#reopen-term")
    reopen.locator("textarea").fill("Исправление отметок по заявлению родителей")
    save(page, reopen.get_by_role("button", name="Открыть период снова"), shots, "journal-term-reopen")
    assert not Term.get_by_id(term.id).closed


def test_class_is_split_into_groups(forms_app, as_login, ctx, shots):
    year = SchoolYear.get(SchoolYear.is_current)
    group = ClassGroup.select().where(ClassGroup.year == year.id).order_by(ClassGroup.grade, ClassGroup.letter).first()
    split = f"проверка {ctx.number()}"
    page = as_login(owner_login("school.manage"))
    page.goto("/groups/split/")
    form = page.locator("#split-create")
    form.get_by_label("Класс").select_option(value=str(group.id))
    form.get_by_label("Для чего делится").fill(split)
    form.get_by_label("Групп").fill("2")
    save(page, form.get_by_role("button", name="Создать группы"), shots, "groups-split-create")
    first = groups.split_groups(group, split)[0]
    student = groups.class_students_on(group, ctx.today)[0]
    page.get_by_label(f"{student.full_name}: {first.name}").check()
    page.locator("#place-day").fill(ctx.today.isoformat())
    save(page, page.locator("#split-place").get_by_role("button", name="Сохранить"), shots, "groups-split-place")
    assert groups.is_member(student.id, first, ctx.today)


# --- nothing posted goes uncovered ------------------------------------------------------------------


# POST endpoints that are forms with their own test in this module.
def _held_lessons_of(teacher: Staff, today: dt.date, n: int) -> list[Lesson]:
    """Return n of the teacher's held lessons before today in open terms, the latest first."""
    return list(
        Lesson.select()
        .join(Term)
        .where((Lesson.teacher == teacher.id) & (Lesson.date < today) & Lesson.held & ~Term.closed)
        .order_by(Lesson.date.desc(), Lesson.number)
        .limit(n)
    )


def test_journal_check_from_finding_to_accepted_remark(forms_app, as_login, ctx, shots):
    """The deputy opens the month's check, dismisses a finding, gives a remark and publishes; the teacher
    sees it at home, is refused «исправлено» until the lesson is fixed; the deputy returns it, then accepts."""
    teacher = Staff.get(Staff.login == owner_login("journal.edit_own"))
    fixed, dismissed = _held_lessons_of(teacher, ctx.today, 2)
    Lesson.update(topic=None).where(Lesson.id.in_([fixed.id, dismissed.id])).execute()
    key = f"no_topic:{fixed.journal_id}:{fixed.id}:"
    other = f"no_topic:{dismissed.journal_id}:{dismissed.id}:"
    month = fixed.date.strftime("%Y-%m")

    deputy = as_login("deputy")
    deputy.goto("/check/")
    deputy.get_by_label("Месяц").select_option(value=month)
    deputy.get_by_label("Что проверить").select_option(value="school")
    save(deputy, deputy.get_by_role("button", name="Открыть проверку"), shots, "check-open")
    expect(deputy.locator("h1")).to_contain_text("Проверка журнала за")
    if dismissed.date.strftime("%Y-%m") == month:
        row = deputy.locator(f'tr[data-key="{other}"]')
        row.get_by_placeholder("почему не замечание").fill("тема записана в бумажном журнале")
        save(deputy, row.get_by_role("button", name="Снять"), shots, "check-dismiss")
        expect(deputy.locator(f'tr[data-key="{other}"]')).to_have_count(0)
    deputy.locator(f'tr[data-key="{key}"] input[type=checkbox]').check()
    deputy.get_by_label("срок исправления до").fill((ctx.today + dt.timedelta(days=5)).strftime("%d.%m.%Y"))
    save(deputy, deputy.get_by_role("button", name="Дать замечания"), shots, "check-remarks")
    expect(deputy.get_by_text("Дано замечаний: 1.")).to_be_visible()
    paper = deputy.locator(f"#journal-{fixed.journal_id} form").first
    paper.get_by_label("сверено с бумажным").check()
    save(deputy, paper.get_by_role("button", name="Записать"), shots, "check-paper")
    own = deputy.locator("#own-remark")
    own.get_by_label("Кому").select_option(value=str(teacher.id))
    own.get_by_label("Что исправить").fill("Сверить отметки с бумажным журналом")
    save(deputy, own.get_by_role("button", name="Записать замечание"), shots, "check-own-remark")
    save(deputy, deputy.get_by_role("button", name="Опубликовать замечания"), shots, "check-publish")
    expect(deputy.get_by_text("опубликована", exact=False).first).to_be_visible()

    page = as_login(teacher.login)
    page.goto("/")
    remark = page.locator("#home-remarks").get_by_role("link", name=fixed.date.strftime("%d.%m.%Y"), exact=False)
    expect(remark).to_have_count(1)
    remark.click()
    page.wait_for_load_state("load")
    status = post_by_clicking(page, page.get_by_role("button", name="Исправлено"))
    assert status == 200 and any("всё ещё находит" in e for e in shown_errors(page)), shown_errors(page)
    remark_url = page.url
    page.get_by_role("link", name="открыть").click()
    page.get_by_label("Тема урока").fill(f"Тема {ctx.word()}")
    save(page, page.locator("#save-lesson"), shots, "check-fix-lesson")
    page.goto(remark_url)
    page.get_by_label("Что сделано (по желанию)").fill("тему внесла")
    save(page, page.get_by_role("button", name="Исправлено"), shots, "check-fixed")
    expect(page.locator("#remark-status")).to_have_text("исправлено")

    deputy.goto(remark_url)
    deputy.get_by_label("Что ещё не так").fill("тема не по плану")
    save(deputy, deputy.get_by_role("button", name="Вернуть на исправление"), shots, "check-returned")
    page.goto(remark_url)
    save(page, page.get_by_role("button", name="Исправлено"), shots, "check-fixed-again")
    deputy.goto(remark_url)
    save(deputy, deputy.get_by_role("button", name="Принять исправление"), shots, "check-accepted")
    expect(deputy.locator("#remark-status")).to_have_text("принято")
    expect(deputy.locator("#remark-history li")).to_have_count(5)


def test_diary_check_is_reported_to_the_administrator(forms_app, as_login, ctx, shots):
    """The class teacher (who has a portal UID) opens the month's e-diary check from home and reports a problem."""
    page = as_login("classteacher")
    page.goto("/")
    page.locator("#home-diary a").first.click()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_contain_text("Проверка электронного дневника за")
    problem = f"На портале нет урока {ctx.word()}"
    page.get_by_label("Что на портале не так").fill(problem)
    save(page, page.get_by_role("button", name="Сообщить о проблеме"), shots, "diary-report")
    expect(page.locator("#diary-status")).to_contain_text("сообщено о проблеме")
    admin = as_login("admin")
    admin.goto("/remarks/")
    expect(admin.locator("#mine")).to_contain_text(problem)


def test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed(forms_app, as_login, ctx, shots):
    """A teacher takes last year's plan, uploads their own, copies it to a parallel; the deputy returns and approves it.

    The sandbox year (the far future) plays this year: the demo's current year is its «last year».
    """
    from app.models import ClassGroup, Journal, LessonPlanRow, PlanRow, StudyGroup, TeachingAssignment, ThematicPlan
    from app.services import plans
    from tests.plans.conftest import XLSX_NAME, plan_xlsx

    math = Subject.get(Subject.name == "Математика")
    # A list: a cursor left half read would hold SQLite's snapshot open and hide the page's writes.
    demo_journals = list(
        Journal.select()
        .join(StudyGroup)
        .where((Journal.subject == math.id) & (StudyGroup.grade == 5) & (Journal.year != ctx.sandbox_year().id))
        .order_by(Journal.id)
    )
    if not any(plans.rows_of(plans.plan_of(j.id)) for j in demo_journals):
        # The demo seeds most journals' plans; should this year's have none for grade 5, one is imported.
        demo_journal = demo_journals[0]
        keeper = TeachingAssignment.get(TeachingAssignment.journal == demo_journal.id).teacher
        rows = [r.raw for r in plans.preview_file(keeper, demo_journal, XLSX_NAME, plan_xlsx()).rows]
        plans.apply_rows(keeper, demo_journal, rows, clock=forms_app.extensions["clock"])
    login = owner_login("journal.edit_own")
    teacher = Staff.get(Staff.login == login)
    own = ctx.sandbox_journal(math)
    parallel = groups.class_journal(ClassGroup.create(year=ctx.sandbox_year(), grade=5, letter="Б"), math)
    for book in (own, parallel):
        groups.assign_teacher(None, book, teacher)
    # The page offers last year's plans of the grade, none chosen until the teacher picks one.
    source = plans.last_year_journals(own)[0]

    page = as_login(login)
    page.goto(f"/journal/plans/{own.id}")
    expect(page.locator("#copy-source option:checked")).to_have_text("— выберите —")
    page.locator("#copy-source").select_option(value=str(source.id))
    save(page, page.get_by_role("button", name="Перенести"), shots, "plan-copied-from-last-year")
    assert len(plans.rows_of(plans.plan_of(own.id))) == len(plans.rows_of(plans.plan_of(source.id))) > 0
    page.locator("#plan-file").set_input_files(
        files=[{"name": XLSX_NAME, "mimeType": "application/octet-stream", "buffer": plan_xlsx()}]
    )
    save(page, page.locator("#preview-plan"), shots, "plan-preview")
    save(page, page.locator("#apply-plan"), shots, "plan-applied")
    page.locator(f'#copy-form input[value="{parallel.id}"]').check()
    save(page, page.get_by_role("button", name="Скопировать"), shots, "plan-copied-to-parallel")
    assert PlanRow.select().join(ThematicPlan).where(ThematicPlan.journal == parallel.id).count() == 6

    deputy = as_login(owner_login("journal.check"))
    deputy.goto(f"/journal/plans/{own.id}")
    deputy.get_by_label("Комментарий").fill("Добавьте часы резерва")
    save(deputy, deputy.locator("#return-plan"), shots, "plan-returned")
    assert plans.plan_of(own.id).comment == "Добавьте часы резерва"
    save(deputy, deputy.locator("#approve-plan"), shots, "plan-approved")
    assert plans.plan_of(own.id).is_approved

    lesson = Lesson(journal=own, date=ctx.in_sandbox(9, 2), number=1, planned_teacher=teacher, teacher=teacher)
    lesson.save(force_insert=True)
    page.goto(f"/journal/lesson/{lesson.id}")
    save(page, page.locator("#plan-skip"), shots, "plan-row-skipped")
    link = LessonPlanRow.get(LessonPlanRow.lesson == lesson.id)
    assert link.plan_row.position == 2 and Lesson.get_by_id(lesson.id).topic == "Десятичная запись числа"


CUSTOM_FORMS = {
    "backups.create": test_backups.test_the_administrator_takes_a_backup_now_and_downloads_it,
    "archive.build": test_archive.test_the_administrator_builds_and_checks_the_archive_and_the_head_downloads_it,
    "archive.verify": test_archive.test_the_administrator_builds_and_checks_the_archive_and_the_head_downloads_it,
    "timetable_bells.index": test_timetable.test_a_teacher_reads_her_week_and_the_admin_sets_a_bell,
    "timetable_editor.index": test_timetable_editor.test_the_admin_edits_a_cell_sees_a_clash_fixes_it_and_saves,
    "imports.upload": test_imports.test_the_administrator_maps_checks_and_applies_a_staff_list,
    "imports.mapping": test_imports.test_the_administrator_maps_checks_and_applies_a_staff_list,
    "imports.apply": test_imports.test_the_administrator_maps_checks_and_applies_a_staff_list,
    "year_transition.preview": test_year_transition.test_the_administrator_previews_and_applies_the_transfer,
    "year_transition.apply": test_year_transition.test_the_administrator_previews_and_applies_the_transfer,
    "journal_plans.copy_from": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal_plans.preview": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal_plans.apply": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal_plans.copy": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal_plans.send_back": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal_plans.approve": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "journal.lesson_plan": test_thematic_plan_is_taken_uploaded_copied_returned_approved_and_followed,
    "diaryapplication.status_view": test_application_moves_to_entered,
    "diaryapplication.withdraw_view": test_consent_is_withdrawn_and_the_record_is_printed,
    "staff.password_view": test_staff_password_reset,
    "uids.edit": test_uid_is_entered,
    "exportsettings.index": test_export_settings_are_saved,
    "account.index": test_own_password_is_changed,
    "journal.lesson": test_lesson_topic_is_saved,
    "journal_substitutions.save": test_substitute_is_assigned,
    "journal_planning.index": test_lessons_are_planned,
    "journal_terms.term": test_term_is_closed_and_reopened,
    "journal.finals_page": test_finals_are_saved,
    "groups_split.index": test_class_is_split_into_groups,
    "groups_split.place": test_class_is_split_into_groups,
    "journal_check.index": test_journal_check_from_finding_to_accepted_remark,
    "journal_check.dismiss": test_journal_check_from_finding_to_accepted_remark,
    "journal_check.remarks": test_journal_check_from_finding_to_accepted_remark,
    "journal_check.remark": test_journal_check_from_finding_to_accepted_remark,
    "journal_check.paper": test_journal_check_from_finding_to_accepted_remark,
    "journal_check.publish": test_journal_check_from_finding_to_accepted_remark,
    "remarks.remark": test_journal_check_from_finding_to_accepted_remark,
    "diary_check.check": test_diary_check_is_reported_to_the_administrator,
}
# POST endpoints that are not forms to fill, and where they are tested instead.
NOT_FORMS = {
    "auth.login": "the login form: tests/e2e/test_login_menu.py",
    "auth.logout": "a button: tests/e2e/test_login_menu.py",
    "journal.api_absence": "the journal grid's JSON save: tests/e2e/test_journal.py",
    "journal.api_add_mark": "the journal grid's JSON save: tests/e2e/test_journal.py",
    "journal.api_change_mark": "the journal grid's JSON save: tests/e2e/test_journal.py",
    "journal.api_delete_mark": "the journal grid's JSON delete",
    "journal.delete_file": "a delete button on the lesson page",
    "timetable_editor.check": "the timetable editor's JSON check: tests/e2e/test_timetable_editor.py",
    "journal_planning.delete_orphan": "a delete button on the planning page",
    "exportrun.run_full_view": "a button that queues an export: tests/exports",
}
# Flask-Admin's own POST endpoints of every model view: buttons and list actions, not forms to fill.
MODEL_VIEW_BUTTONS = {"delete_view", "action_view", "ajax_update"}


def test_every_posted_page_is_covered(forms_app):
    """Fail for a page accepting POST that this module neither fills in nor names as something else."""
    views = {view.endpoint: view for view in panel(forms_app)._views}
    writable = {view.endpoint for view in model_form_views(forms_app)}
    uncovered = []
    for rule in forms_app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in CUSTOM_FORMS or rule.endpoint in NOT_FORMS:
            continue
        owner, _, method = rule.endpoint.partition(".")
        view = views.get(owner)
        if isinstance(view, SecureModelView):
            if method in MODEL_VIEW_BUTTONS:
                continue
            if method in ("create_view", "edit_view") and (owner in writable or not view.manage_permission):
                continue  # filled by test_model_form_creates_and_edits, or a read-only view
        uncovered.append(f"{rule.endpoint} ({rule.rule})")
    assert not uncovered, (
        "pages accepting POST with no browser test: give each a test in tests/e2e/test_forms.py "
        f"(CUSTOM_FORMS) or say in NOT_FORMS why it is not a form: {uncovered}"
    )


def test_every_model_form_has_an_owner_login(forms_app):
    """Fail for a model view whose manage permission no built-in role (and so no demo login) holds."""
    for view in model_form_views(forms_app):
        owner_login(view.manage_permission)
    assert set(RECIPES) <= {view.endpoint for view in model_form_views(forms_app)}, "a recipe for a view that is gone"
