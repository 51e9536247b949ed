"""Access in one place (DESIGN 1): no view opts out of the row scope, codes fail loudly, the journal's rules.

The scope checks run every registered model view against `access.scope` for people holding
exactly the view's permissions (without journal.view_all), so a view that lists or opens rows
past the scope fails here whatever way it found to do it. A checked-in leaky view shows the
checks can fail.
"""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from flask import render_template_string
from flask_admin import expose
from flask_admin.contrib.peewee import ModelView
from flask_login import login_user
from jinja2 import UndefinedError
from werkzeug.exceptions import Forbidden

from admin_views import check_view_permissions
from admin_views.base import SecureBaseView, SecureModelView
from app.models import ClassGroup, Lesson, Role, SchoolYear, Staff, Subject, Term
from app.permissions import BUILTIN_ROLES, KNOWN_CODES, NOBODY, PERMISSIONS, Perm, UnknownPermission
from app.services import access, groups, journal, roles
from app.services.errors import AccessDenied
from tests.test_access_matrix import world  # noqa: F401 (the fixture: one row of every model)

ROOT = Path(__file__).resolve().parent.parent


# --- no view bypasses the row scope ------------------------------------------------------------


def _ids(query):
    pk = query.model._meta.primary_key
    return {row.get_id() for row in query.select(pk)}


def scope_leaks(view, staff) -> list[str]:
    """Return what the view shows `staff` outside access.scope: listed rows, and rows get_one opens."""
    model = view.model
    allowed = _ids(access.scope(model.select(), staff, model))
    problems = []
    listed = _ids(view.get_query())
    if listed - allowed:
        problems.append(f"{view.endpoint}: get_query lists {sorted(listed - allowed)} outside the scope")
    for row_id in sorted(_ids(model.select())):
        try:
            found = view.get_one(str(row_id))
        except Forbidden:
            found = None
        if found is not None and row_id not in allowed:
            problems.append(f"{view.endpoint}: get_one opens {row_id} outside the scope")
        if found is None and row_id in allowed:
            problems.append(f"{view.endpoint}: get_one refuses {row_id} inside the scope")
    return problems


def _holder(make_staff, view, login_name, staff=None):
    """A person holding the view's permissions (never journal.view_all) through a custom role; `staff` also teaches."""
    codes = {c for c in (view.required_permission, view.manage_permission) if c} - {Perm.JOURNAL_VIEW_ALL}
    role = roles.create_role(None, code=f"r_{login_name}", name=f"Роль {login_name}", permission_codes=codes)
    if staff is None:
        return make_staff(login_name, roles=[role.code])
    roles.set_staff_roles(staff, {"teacher", role.code}, None, source="system")
    access.forget_permissions(staff)
    return Staff.get_by_id(staff.id)


def _model_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]


def test_every_model_view_is_secure(app):
    for view in _model_views(app):
        assert isinstance(view, SecureModelView), view.endpoint


def test_no_model_view_shows_rows_outside_the_scope(app, make_staff, world):  # noqa: F811
    problems = []
    for n, view in enumerate(_model_views(app)):
        if view.required_permission == Perm.JOURNAL_VIEW_ALL:
            continue  # its holders see every row by definition
        # A stranger to every class, and the class teacher of the world's class (who sees some rows).
        people = [_holder(make_staff, view, f"stranger{n}"), _holder(make_staff, view, f"leader{n}", world["other"])]
        for person in people:
            with app.test_request_context("/"):
                login_user(person)
                problems += scope_leaks(view, person)
    assert problems == []


class LeakyStaffView(SecureModelView):
    """What admin_views/staff.py did before: the staff list and lookups past the row scope."""

    required_permission = Perm.STAFF_MANAGE
    manage_permission = Perm.STAFF_MANAGE

    def get_query(self):
        return Staff.select()

    def get_one(self, id):
        return ModelView.get_one(self, id)


def test_the_scope_check_catches_a_view_that_opts_out(app, make_staff, world):  # noqa: F811
    view = LeakyStaffView(Staff, endpoint="leaky_staff")
    # Someone who may not manage staff but opens a view in the same way sees only themselves.
    person = make_staff("teacher-only", roles=["teacher"])
    with app.test_request_context("/"):
        login_user(person)
        problems = scope_leaks(view, person)
    assert any("get_query lists" in p for p in problems)
    assert any("get_one opens" in p for p in problems)


def test_staff_managers_see_every_staff_member_and_role_through_the_scope(app, make_staff, world):  # noqa: F811
    manager = make_staff("kadry", roles=[])
    roles.create_role(None, code="kadry", name="Кадры", permission_codes=[Perm.STAFF_MANAGE])
    roles.set_staff_roles(manager, {"kadry"}, None, source="system")
    access.forget_permissions(manager)
    assert _ids(access.scope(Staff.select(), manager)) == _ids(Staff.select())
    assert _ids(access.scope(Role.select(), manager)) == _ids(Role.select())
    # Without staff.manage a person sees only their own card, as before.
    teacher = make_staff("plain", roles=["teacher"])
    assert _ids(access.scope(Staff.select(), teacher)) == {teacher.id}


BYPASS_CALL = "{owner}.{method}(self, id)"


def scope_bypasses(source: str) -> list[str]:
    """Return the get_query/get_one calls in `source` made on something other than self or super()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in ("get_one", "get_query"):
                continue
            owner = node.func.value
            through_base = (isinstance(owner, ast.Name) and owner.id == "self") or (
                isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super"
            )
            if not through_base:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_view_calls_a_lookup_past_its_base():
    for path in sorted((ROOT / "admin_views").glob("*.py")):
        assert scope_bypasses(path.read_text()) == [], path.name
    assert scope_bypasses(BYPASS_CALL.format(owner="ModelView", method="get_one"))
    assert not scope_bypasses(BYPASS_CALL.format(owner="super()", method="get_one"))


# --- permission codes fail loudly ---------------------------------------------------------------


def test_every_code_has_a_label_and_builtin_roles_use_known_codes():
    assert set(PERMISSIONS) == KNOWN_CODES == {p.value for p in Perm}
    for _name, codes in BUILTIN_ROLES.values():
        assert set(codes) <= KNOWN_CODES
    assert Perm.JOURNAL_CHECK == "journal.check" and isinstance(Perm.JOURNAL_CHECK, str)


def test_an_unknown_code_raises_instead_of_denying(make_staff):
    deputy = make_staff("deputy", roles=["deputy"])
    assert access.can(deputy, Perm.JOURNAL_CHECK)
    assert access.can(deputy, "journal.check")  # the stored string is the same code
    for who in (deputy, None):
        with pytest.raises(UnknownPermission):
            access.can(who, "journal.chek")
        with pytest.raises(UnknownPermission):
            access.can_any(who, [Perm.JOURNAL_CHECK, "exports.rum"])
    assert access.can_any(deputy, [Perm.EXPORTS_RUN, Perm.JOURNAL_CHECK])
    # The secure base's default names nobody: known, and held by no one.
    assert not access.can(deputy, NOBODY)


class _Page(SecureBaseView):
    @expose("/")
    def index(self):
        return ""


def _view(attribute, value):
    return type("TypoView", (_Page,), {attribute: value})(name="Опечатка", endpoint=f"typo_{attribute}")


@pytest.mark.parametrize(
    "attribute, value",
    [
        ("required_permission", "school.veiw"),
        ("manage_permission", "students.manag"),
        ("codes", (Perm.JOURNAL_CHECK, "journal.edit")),
    ],
)
def test_registering_a_view_with_an_unknown_code_raises(app, attribute, value):
    with pytest.raises(UnknownPermission, match="TypoView"):
        check_view_permissions([_view(attribute, value)])


def test_registered_views_name_known_codes(app):
    views = app.extensions["admin"][0]._views
    check_view_permissions(views)
    assert any(getattr(v, "codes", None) for v in views)  # the journal's views are checked too
    check_view_permissions([_view("required_permission", None), _view("codes", None)])


def test_templates_can_only_ask_known_codes(app, make_staff):
    admin = make_staff("admin-user", roles=["admin"])
    with app.test_request_context("/"):
        login_user(admin)
        assert render_template_string("{{ can(Perm.UIDS_MANAGE) }}") == "True"
        assert render_template_string("{{ can('uids.manage') }}") == "True"
        with pytest.raises(UnknownPermission):
            render_template_string("{{ can('uids.manag') }}")
        with pytest.raises(UndefinedError):  # tests render with StrictUndefined
            render_template_string("{{ can(Perm.UIDS_MANAG) }}")


CODE_LITERAL = re.compile(r"""can\(\s*['"]""")


def code_literals(source: str) -> list[int]:
    """Return the lines of `source` holding a string constant that is exactly a permission code."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in KNOWN_CODES
    ]


def test_code_names_permissions_through_perm_only():
    found = {}
    for folder in ("app", "admin_views", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name == "app/permissions.py":
                continue
            lines = code_literals(path.read_text())
            if lines:
                found[name] = lines
    for path in sorted((ROOT / "app" / "templates").rglob("*.html")):
        if CODE_LITERAL.search(path.read_text()):
            found[str(path.relative_to(ROOT))] = "can('…')"
    assert found == {}
    assert code_literals('access.can(staff, "journal.check")') == [1]


# --- the journal's rules live in access -----------------------------------------------------------


@pytest.fixture
def journal_world(make_staff):
    """A year with an open and a closed term, two classes, two subjects, their teachers and lessons."""
    year = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    open_term = Term.create(year=year, number=2, start_date=dt.date(2026, 11, 5), end_date=dt.date(2026, 12, 28))
    closed_term = Term.create(
        year=year, number=1, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 10, 26), closed=True
    )
    leader = make_staff("leader", roles=["teacher"], last_name="Классная")
    teacher = make_staff("teacher", roles=["teacher"], last_name="Учитель")
    stranger = make_staff("stranger", roles=["teacher"], last_name="Чужой")
    deputy = make_staff("deputy", roles=["deputy"], last_name="Завуч")
    head = make_staff("head", roles=["head"], last_name="Директор")
    keeper = make_staff("keeper", roles=["admin"], last_name="Расписание")
    math, art = Subject.create(name="Математика"), Subject.create(name="ИЗО")
    c5a = ClassGroup.create(year=year, grade=5, letter="А", class_teacher=leader)
    c6b = ClassGroup.create(year=year, grade=6, letter="Б")
    journals = {(c, s): groups.class_journal(c, s) for c in (c5a, c6b) for s in (math, art)}
    groups.assign_teacher(None, journals[c5a, math], teacher)
    groups.assign_teacher(None, journals[c6b, art], teacher)

    def lesson(term, day):
        return Lesson.create(
            journal=journals[c5a, math], term=term, date=day, number=1, planned_teacher=teacher, teacher=teacher
        )

    return {
        "open": open_term,
        "closed": closed_term,
        "open_lesson": lesson(open_term, dt.date(2026, 11, 9)),
        "closed_lesson": lesson(closed_term, dt.date(2026, 9, 7)),
        "leader": leader,
        "teacher": teacher,
        "stranger": stranger,
        "deputy": deputy,
        "head": head,
        "keeper": keeper,
        "math": math,
        "art": art,
        "c5a": c5a,
        "c6b": c6b,
        "journals": journals,
    }


def test_a_closed_term_is_read_only_except_for_the_deputy(journal_world):
    w = journal_world
    for person in ("teacher", "keeper", "head", "leader"):
        assert access.can_edit_in_term(w[person], w["open"]), person
        assert access.can_edit_in_term(w[person], None), person
        assert not access.can_edit_in_term(w[person], w["closed"]), person
    assert access.can_edit_in_term(w["deputy"], w["closed"])


def test_filling_a_lesson_takes_its_own_rule_and_its_terms(journal_world):
    w = journal_world
    assert access.can_fill_lesson(w["teacher"], w["open_lesson"])
    assert not access.can_fill_lesson(w["teacher"], w["closed_lesson"])
    assert access.can_fill_lesson(w["deputy"], w["closed_lesson"])
    for person in ("stranger", "leader", "head", "keeper"):
        assert not access.can_fill_lesson(w[person], w["open_lesson"]), person
    # The journal's own answers are access's, with the reason for a refusal.
    assert journal.may_edit(w["teacher"], w["open_lesson"]) and not journal.may_edit(w["teacher"], w["closed_lesson"])
    with pytest.raises(AccessDenied, match="закрыт"):
        journal.ensure_can_edit(w["teacher"], w["closed_lesson"])
    with pytest.raises(AccessDenied, match="только учитель"):
        journal.ensure_can_edit(w["leader"], w["open_lesson"])


def test_substitutions_follow_the_closed_term_rule(journal_world):
    w = journal_world
    assert access.can_substitute(w["keeper"], w["open"]) and access.can_substitute(w["keeper"], None)
    assert not access.can_substitute(w["keeper"], w["closed"])
    assert access.can_substitute(w["deputy"], w["closed"])
    for person in ("teacher", "leader", "head"):
        assert not access.can_substitute(w[person], w["open"]), person
    assert journal.may_substitute(w["keeper"], w["open_lesson"])
    assert not journal.may_substitute(w["keeper"], w["closed_lesson"])


def test_who_opens_a_class_journal(journal_world):
    w = journal_world
    c5a, c6b, math, art = w["c5a"], w["c6b"], w["math"], w["art"]
    journals = w["journals"]
    for person in ("deputy", "head", "keeper"):  # journal.view_all
        assert access.can_open_journal(w[person], journals[c6b, math]), person
    assert access.can_open_journal(w["leader"], journals[c5a, art])  # every journal of their class
    assert not access.can_open_journal(w["leader"], journals[c6b, art])
    assert access.can_open_journal(w["teacher"], journals[c5a, math])  # the journals they teach
    assert access.can_open_journal(w["teacher"], journals[c6b, art])
    assert not access.can_open_journal(w["teacher"], journals[c5a, art])
    assert not access.can_open_journal(w["teacher"], journals[c6b, math])
    assert not access.can_open_journal(w["stranger"], journals[c5a, math])
    assert not access.can_open_journal(None, journals[c5a, math])
    # A subgroup's journal is the class's too: its class teacher opens it, a teacher of another journal does not.
    subgroup, _second = groups.create_split(None, c5a, "англ.", 2)
    english = groups.create_journal(None, group=subgroup.id, subject=art.id)
    assert access.can_open_journal(w["leader"], english)
    assert not access.can_open_journal(w["teacher"], english)
    journal.ensure_may_open_journal(w["teacher"], journals[c5a, math])
    with pytest.raises(AccessDenied, match="вы не ведёте его"):
        journal.ensure_may_open_journal(w["teacher"], journals[c5a, art])


JOURNAL_RULE_FILES = ["app/services/journal.py", "app/services/journal_marks.py", "admin_views/journal.py"]


@pytest.mark.parametrize("name", JOURNAL_RULE_FILES)
def test_the_journal_asks_access_about_closed_terms_and_assignments(name):
    source = (ROOT / name).read_text()
    # Reading term.closed or looking up a teaching assignment to decide access is access.py's job.
    assert not re.search(r"\.closed\b", source), name
    assert "sees_everything" not in source, name
