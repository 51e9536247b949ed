"""Forms never guess: no create form of the panel starts with a select's value the person did not pick.

The rule (docs/architecture.md, decision 30): a select on a create form starts on «— выберите —»
unless it is in ALLOWED below with the reason (a record's kind the model defaults to, in sight). Saving untouched gives
«Обязательное поле» next to each required select and creates nothing.
"""

import re

import pytest
from flask import url_for
from wtforms.fields import SelectFieldBase

from admin_views.base import SecureModelView
from admin_views.forms import Chosen
from tests.conftest import form_errors
from tests.journal.conftest import school  # noqa: F401

# (endpoint, field name) → why its preselected value is what the person expects, in plain sight:
# the record's kind, which the model gives as its default (admin_views/forms.py KEEP_DEFAULT).
ALLOWED: dict[tuple[str, str], str] = {
    ("term", "kind"): "St. Petersburg's schools count quarters",
    ("journals", "kind"): "a journal is a lesson journal unless it is the rarer extracurricular one",
    ("studygroup", "kind"): "a group made by hand is a class's subgroup",
}

SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.S)


def preselected(page: str) -> dict[str, str]:
    """Return {select name: value} for every select of a page with a selected non-empty option."""
    found = {}
    for attributes, body in SELECT.findall(page):
        name = re.search(r'\bname="([^"]*)"', attributes)
        for option in OPTION.findall(body):
            if re.search(r"\bselected\b", option):
                value = re.search(r'\bvalue="([^"]*)"', option)
                value = value.group(1) if value else ""
                if value not in ("", "__None"):
                    found[name.group(1) if name else "?"] = value
    return found


def first_option_shown(page: str) -> dict[str, str]:
    """Return {select name: first value} for single selects that have no selected option and no blank first."""
    found = {}
    for attributes, body in SELECT.findall(page):
        if re.search(r"\bmultiple\b", attributes):
            continue
        options = OPTION.findall(body)
        if not options or any(re.search(r"\bselected\b", o) for o in options):
            continue
        value = re.search(r'\bvalue="([^"]*)"', options[0])
        value = value.group(1) if value else ""
        if value not in ("", "__None"):
            name = re.search(r'\bname="([^"]*)"', attributes)
            found[name.group(1) if name else "?"] = value
    return found


def create_views(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, SecureModelView) and v.manage_permission]


@pytest.fixture
def admin_client(app, school, as_user):  # noqa: F811
    return as_user(school.admin)


def test_no_create_form_preselects_a_guess(app, admin_client):
    problems = {}
    walked = 0
    with app.test_request_context():
        views = [(v, url_for(f"{v.endpoint}.create_view")) for v in create_views(app)]
    for view, url in views:
        response = admin_client.get(url)
        if response.status_code != 200:
            continue
        walked += 1
        page = response.get_data(as_text=True)
        guesses = {**preselected(page), **first_option_shown(page)}
        for name, value in guesses.items():
            if (view.endpoint, name) in ALLOWED:
                continue
            problems[f"{view.endpoint}.{name}"] = value
    assert walked > 10
    assert problems == {}, "\n".join(f"{k}={v}" for k, v in sorted(problems.items()))


def shown_values(page: str) -> dict[str, str]:
    """Return what a browser would send for the page's form's selects left untouched."""
    values = {}
    for attributes, body in SELECT.findall(page):
        name = re.search(r'\bname="([^"]*)"', attributes)
        if not name or re.search(r"\bmultiple\b", attributes) or "-__prefix__-" in name.group(1):
            continue
        options = OPTION.findall(body)
        chosen = [o for o in options if re.search(r"\bselected\b", o)] or options[:1]
        value = re.search(r'\bvalue="([^"]*)"', chosen[0]) if chosen else None
        values[name.group(1)] = value.group(1) if value else ""
    return values


def required_selects(view) -> list[str]:
    """Return the create form's selects that refuse «— выберите —»."""
    form = view.create_form()
    return [
        name
        for name, field in form._fields.items()
        if isinstance(field, SelectFieldBase) and any(isinstance(v, Chosen) for v in field.validators)
    ]


def test_a_create_form_saved_untouched_says_required_and_creates_nothing(app, admin_client):
    checked = 0
    with app.test_request_context():
        views = [(v, url_for(f"{v.endpoint}.create_view")) for v in create_views(app)]
    for view, url in views:
        response = admin_client.get(url)
        if response.status_code != 200:
            continue
        with app.test_request_context(url):
            required = required_selects(view)
        if not required:
            continue
        before = view.model.select().count()
        response = admin_client.post(url, data=shown_values(response.get_data(as_text=True)))
        assert response.status_code == 200, (view.endpoint, response.status_code)
        errors = form_errors(response.get_data(as_text=True))
        refused = [e for e in errors if e.startswith("Обязательное поле.")]
        assert len(refused) >= len(required), (view.endpoint, required, errors)
        assert view.model.select().count() == before, view.endpoint
        checked += 1
    assert checked > 10


def test_edit_forms_show_the_current_value(app, admin_client):
    from peewee import ForeignKeyField

    checked = 0
    with app.test_request_context():
        views = [(v, v.model.select().first()) for v in create_views(app)]
        urls = {v.endpoint: url_for(f"{v.endpoint}.edit_view", id=row.get_id()) for v, row in views if row}
    for view, row in views:
        response = admin_client.get(urls[view.endpoint]) if row is not None else None
        if response is None or response.status_code != 200:
            continue
        page = response.get_data(as_text=True)
        shown = preselected(page)
        for name, field in view.model._meta.fields.items():
            value = row.__data__.get(name)
            is_select = isinstance(field, ForeignKeyField) or field.choices
            if is_select and value is not None and re.search(rf'<select\b[^>]*\bname="{name}"', page):
                assert shown.get(name) == str(value), (view.endpoint, name, shown.get(name), value)
                checked += 1
    assert checked > 10
